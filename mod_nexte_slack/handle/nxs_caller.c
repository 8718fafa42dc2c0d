/* Authentication of settings API callers. */
#include "nxs_caller.h"

#include <apr_strings.h>
#include <http_log.h>
#include <string.h>

#include "handle/nxs_request.h"
#include "nxs_dbd.h"
#include "store/nxs_store.h"
#include "handle/nxs_reply.h"
#include "security/nxs_session.h"
#include "security/nxs_sign.h"

APLOG_USE_MODULE(nexte_slack);

const char *nxs_caller_canonical(request_rec *r, const char *account, const char *body,
                                 apr_size_t body_len, apr_size_t *len)
{
    const char *head =
        apr_pstrcat(r->pool, r->method, " ", r->unparsed_uri, "\n", account, "\n", NULL);
    apr_size_t hl = strlen(head);
    char *out = apr_palloc(r->pool, hl + body_len + 1);

    memcpy(out, head, hl);
    memcpy(out + hl, body, body_len);
    out[hl + body_len] = '\0';
    *len = hl + body_len;
    return out;
}

static int is_safe_method(const request_rec *r)
{
    return r->method_number == M_GET || r->header_only;
}

/* A signed change is accepted once: its signature is kept as a one-time
 * record for as long as its timestamp is acceptable (NXS_SIGN_MAX_SKEW_SEC
 * either side), so a captured PUT or POST cannot be sent again.  Signed
 * reads are not recorded: replaying one shows only what was already seen,
 * and recording every read would add a SQL write to each. */
static int refuse_replay(request_rec *r)
{
    const char *sig = apr_table_get(r->headers_in, "X-Nexte-Signature");
    nxs_db_t *db = nxs_dbd_acquire(r);
    int first = 0;

    if (!db || nxs_store_once(&first, db, apr_pstrcat(r->pool, "nexte:", sig, NULL),
                              apr_time_sec(r->request_time) + 2 * NXS_SIGN_MAX_SKEW_SEC,
                              r->pool) != APR_SUCCESS) {
        return nxs_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                               "the settings store failed; try again");
    }
    if (!first) {
        return nxs_reply_error(r, HTTP_CONFLICT, "replayed_request",
                               "this signed request was already received; sign each call anew");
    }
    return DECLINED;
}

static int by_signature(nxs_caller_t *caller, request_rec *r, const nxs_server_conf_t *c,
                        const char *body, apr_size_t body_len)
{
    const char *account = apr_table_get(r->headers_in, "X-Nexte-Account");
    const char *why = NULL, *canonical;
    apr_size_t len = 0;

    if (!nxs_sign_account_ok(account)) {
        return nxs_reply_error(r, HTTP_UNAUTHORIZED, "missing_account",
                               "signed requests name the account in X-Nexte-Account");
    }
    canonical = nxs_caller_canonical(r, account, body, body_len, &len);
    if (nxs_sign_nexte_verify(&why, c->event_secret.value, c->event_secret.len,
                              apr_table_get(r->headers_in, "X-Nexte-Timestamp"),
                              apr_table_get(r->headers_in, "X-Nexte-Signature"), canonical, len,
                              r->request_time, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "settings API signature refused: %s", why);
        return nxs_reply_error(r, HTTP_UNAUTHORIZED, why ? why : "bad_signature",
                               "the request signature is missing, stale or wrong");
    }
    caller->account = account;
    caller->by_session = 0;
    return is_safe_method(r) ? DECLINED : refuse_replay(r);
}

apr_status_t nxs_caller_session(const char **account, const char **csrf, const char **why,
                                request_rec *r, const nxs_server_conf_t *c)
{
    const char *cookie = nxs_request_cookie(
        r, nxs_reply_cookie_name(r->pool, NXS_SESSION_COOKIE, nxs_config_https(c)));

    *account = *csrf = NULL;
    if (!cookie) {
        if (why) {
            *why = NXS_WHY_MISSING_SESSION;
        }
        return APR_EACCES;
    }
    return nxs_session_check(account, csrf, why, c->session_key, c->csrf_key, cookie,
                             r->request_time, r->pool);
}

int nxs_caller_authenticate(nxs_caller_t *caller, request_rec *r, const nxs_server_conf_t *c,
                            const char *body, apr_size_t body_len)
{
    const char *cookie = nxs_request_cookie(
        r, nxs_reply_cookie_name(r->pool, NXS_SESSION_COOKIE, nxs_config_https(c)));
    const char *why = NULL;

    memset(caller, 0, sizeof(*caller));
    if (apr_table_get(r->headers_in, "X-Nexte-Signature")) {
        return by_signature(caller, r, c, body, body_len);
    }
    if (!cookie) {
        return nxs_reply_error(r, HTTP_UNAUTHORIZED, "not_authenticated",
                               "open the settings from Nexte (launch link) or sign the request");
    }
    if (nxs_session_check(&caller->account, &caller->csrf, &why, c->session_key, c->csrf_key,
                          cookie, r->request_time, r->pool) != APR_SUCCESS) {
        return nxs_reply_error(r, HTTP_UNAUTHORIZED, why ? why : "bad_session",
                               "the session is invalid or has expired; open the settings "
                               "from Nexte again");
    }
    caller->by_session = 1;
    if (!is_safe_method(r) &&
        !nxs_session_csrf_ok(caller->csrf, apr_table_get(r->headers_in, "X-CSRF-Token"))) {
        return nxs_reply_error(r, HTTP_FORBIDDEN, "csrf_failed",
                               "state-changing requests need the session's X-CSRF-Token");
    }
    return DECLINED;
}
