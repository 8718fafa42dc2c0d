/* nexte-slack-settings: the launch link that opens a browser session, the
 * settings page and its static assets, and the JSON API (routes in the
 * README) used by the page and by Nexte core.  Every request but the assets
 * (the same bytes for everyone) is scoped to one account: the session's or
 * the one Nexte core signed for. */
#include "nxs_handlers.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>
#include <util_script.h>

#include "cfg/nxs_config.h"
#include "handle/nxs_assets.h"
#include "handle/nxs_caller.h"
#include "handle/nxs_request.h"
#include "handle/nxs_reply.h"
#include "handle/nxs_settings_api.h"
#include "nxs_dbd.h"
#include "nxs_log.h"
#include "security/nxs_session.h"
#include "security/nxs_sign.h"
#include "store/nxs_store.h"

APLOG_USE_MODULE(nexte_slack);

#define NXS_SETTINGS_BODY_MAX (64 * 1024)

/* The browser already holds a session of another account than the link's:
 * the link is not used yet, and the person says whether to switch.  Without
 * this, a link someone else made for their own account, sent to a victim,
 * would silently turn the victim's settings page into theirs (and a Slack
 * workspace installed there would be linked to the other account).  The
 * switch is a POST carrying the current session's CSRF token, so another
 * site cannot make it. */
static int confirm_switch(request_rec *r, const nxs_server_conf_t *c, const char *current,
                          const char *csrf, const char *account)
{
    const char *settings = apr_pstrcat(r->pool, c->settings_path, "/", NULL);
    const char *html = apr_pstrcat(
        r->pool,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Switch account - Nexte for Slack</title></head><body>"
        "<h1>Switch to another Nexte account?</h1><p>This browser has the Slack settings of "
        "Nexte account <strong>",
        ap_escape_html2(r->pool, current, 1),
        "</strong> open. This link opens those of account <strong>",
        ap_escape_html2(r->pool, account, 1),
        "</strong> instead. Switch only if you opened it yourself from Nexte.</p>"
        "<form method=\"post\" action=\"",
        ap_escape_html2(r->pool, apr_pstrcat(r->pool, r->uri, "?", r->args, NULL), 1),
        "\"><input type=\"hidden\" name=\"csrf_token\" value=\"", ap_escape_html2(r->pool, csrf, 1),
        "\"><button type=\"submit\">Open account ", ap_escape_html2(r->pool, account, 1),
        "</button></form><p><a href=\"", ap_escape_html2(r->pool, settings, 1),
        "\">Stay in account ", ap_escape_html2(r->pool, current, 1), "</a></p></body></html>\n",
        NULL);

    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                   "form-action 'self'");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return nxs_reply_text(r, HTTP_OK, "text/html; charset=utf-8", html);
}

/* DECLINED when this browser may open ACCOUNT's session now; else answered
 * (the switch question, or a refused switch). */
static int may_switch(request_rec *r, const nxs_server_conf_t *c, const char *account)
{
    const char *current = NULL, *csrf = NULL;

    if (nxs_caller_session(&current, &csrf, NULL, r, c) != APR_SUCCESS ||
        strcmp(current, account) == 0) {
        return DECLINED;
    }
    if (r->method_number != M_POST) {
        return confirm_switch(r, c, current, csrf, account);
    }
    if (!nxs_session_csrf_ok(csrf, nxs_request_form_field(r, "csrf_token", 4096))) {
        return nxs_reply_page(r, HTTP_FORBIDDEN, "Start again from Nexte",
                              "The switch to another account did not come from this browser's "
                              "settings (csrf_failed). Open the Slack settings from Nexte again.",
                              NULL);
    }
    return DECLINED;
}

/* GET <settings>/launch?account=ID&exp=UNIX&sig=HEX: a valid, unexpired,
 * never used link becomes a session cookie and a redirect to the page.
 * When the browser holds another account's session, the person is asked
 * first (a POST of the same URL switches). */
static int launch(request_rec *r, const nxs_server_conf_t *c)
{
    apr_table_t *q = NULL;
    const char *account, *exp, *sig, *why = NULL, *cookie = NULL, *csrf = NULL;
    apr_int64_t exp_sec = 0;
    nxs_db_t *db;
    int first = 0, rc;

    ap_args_to_table(r, &q);
    account = apr_table_get(q, "account");
    exp = apr_table_get(q, "exp");
    sig = apr_table_get(q, "sig");
    if (nxs_sign_launch_verify(&why, c->event_secret.value, c->event_secret.len, account, exp, sig,
                               r->request_time, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "launch link refused: %s", why);
        return nxs_reply_page(
            r, HTTP_FORBIDDEN, "This link cannot be used",
            apr_pstrcat(r->pool,
                        strcmp(why ? why : "", "expired_link") == 0 ? "The link has expired. "
                                                                    : "The link is not valid. ",
                        "Open the Slack settings from Nexte again (", why, ").", NULL),
            NULL);
    }
    if ((rc = may_switch(r, c, account)) != DECLINED) {
        return rc;
    }
    if (!(db = nxs_dbd_acquire(r))) {
        return nxs_reply_page(r, HTTP_SERVICE_UNAVAILABLE, "Settings unavailable",
                              "The settings store cannot be reached; try again in a minute.", NULL);
    }
    nxs_sign_parse_unix(&exp_sec, exp);
    if (nxs_store_once(&first, db, sig, exp_sec, r->pool) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_ERR, 0, "NXS00151",
                "launch link of account %s: its one-time use could not be recorded (the "
                "settings store failed); answered 503",
                account);
        return nxs_reply_page(r, HTTP_SERVICE_UNAVAILABLE, "Settings unavailable",
                              "The settings store failed; try again in a minute.", NULL);
    }
    if (!first) {
        return nxs_reply_page(r, HTTP_FORBIDDEN, "This link cannot be used",
                              "This link was already used. Open the Slack settings from Nexte "
                              "again (link_already_used).",
                              NULL);
    }
    nxs_store_account_ensure(db, account, apr_time_sec(r->request_time), r->pool);
    nxs_session_issue(&cookie, &csrf, c->session_key, c->csrf_key, account,
                      r->request_time + apr_time_from_sec(NXS_SESSION_LIFETIME_SEC), r->pool);
    nxs_reply_set_cookie(r, NXS_SESSION_COOKIE, cookie, NXS_SESSION_LIFETIME_SEC,
                         nxs_config_https(c));
    return nxs_reply_redirect(r, apr_pstrcat(r->pool, c->settings_path, "/", NULL));
}

static int api(request_rec *r, const nxs_server_conf_t *c, const char *route)
{
    const char *body = NULL;
    apr_size_t len = 0;
    nxs_caller_t caller;
    int rc;

    if ((rc = nxs_request_body_or_refuse(&body, &len, r, NXS_SETTINGS_BODY_MAX,
                                         "settings requests are at most 64 KiB")) != DECLINED) {
        return rc;
    }
    if ((rc = nxs_caller_authenticate(&caller, r, c, body, len)) != DECLINED) {
        return rc;
    }
    return nxs_settings_api(r, c, &caller, route, body, len);
}

int nxs_handle_settings(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *sub = nxs_request_subpath(r);

    /* The page's static files need no session: they hold no account data. */
    if (strncmp(sub, "/assets/", 8) == 0) {
        return nxs_asset_serve(r, sub + 8);
    }
    if (strcmp(sub, "/launch") == 0) {
        int rc = nxs_reply_unless_method(r, "GET, POST");
        return rc != DECLINED ? rc : launch(r, c);
    }
    if (strncmp(sub, "/api/", 5) == 0) {
        return api(r, c, sub + 4);
    }
    if (strcmp(sub, "/") == 0) {
        int rc = nxs_reply_unless_method(r, "GET");
        if (rc != DECLINED) {
            return rc;
        }
        /* The page's links (assets/, api/) are relative to the slash. */
        return r->uri[strlen(r->uri) - 1] != '/'
                   ? nxs_reply_redirect(r, apr_pstrcat(r->pool, r->uri, "/", NULL))
                   : nxs_settings_page(r, c);
    }
    return nxs_reply_error(r, HTTP_NOT_FOUND, "not_found",
                           apr_psprintf(r->pool, "no settings route %s", sub));
}
