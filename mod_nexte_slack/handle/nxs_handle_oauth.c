/* nexte-slack-oauth: the Slack OAuth v2 install.
 *   <oauth>/start     POST from the settings page's "Add to Slack" form with
 *                     the session's CSRF token (field csrf_token): makes a
 *                     one-time state bound to the account and to this browser
 *                     (a cookie), valid 10 minutes, and redirects to Slack's
 *                     authorize page; at most 10 starts per session in 10
 *                     minutes, counted in SQL, then 429 with Retry-After and a
 *                     page that says how long to wait.  A GET changes nothing: it is sent to
 *                     the settings page, where the button is (a state-changing
 *                     GET would let another site start an install in the
 *                     victim's session).
 *   <oauth>/callback  checks state + cookie, exchanges the code at
 *                     oauth.v2.access (client auth by HTTP Basic), stores the
 *                     workspace with its token sealed, and redirects to the
 *                     settings page.  Every failure ends on a page with a link
 *                     back to the settings. */
#include "nxs_handlers.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>
#include <util_script.h>

#include "cfg/nxs_config.h"
#include "handle/nxs_caller.h"
#include "handle/nxs_daemon_client.h"
#include "handle/nxs_request.h"
#include "handle/nxs_reply.h"
#include "security/nxs_crypto.h"
#include "nxs_dbd.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "security/nxs_session.h"
#include "slack/nxs_slack.h"
#include "store/nxs_store.h"
#include "slack/nxs_token.h"

APLOG_USE_MODULE(nexte_slack);

#define NXS_OAUTH_COOKIE    "nxs_oauth"
#define NXS_OAUTH_STATE_TTL 600
#define NXS_BOT_SCOPES      "chat:write,chat:write.public,channels:read"
#define NXS_START_FORM_MAX  4096

/* Starts of one settings session: each makes a state row and a trip to
 * Slack, and nobody installs ten times in ten minutes by hand. */
#define NXS_OAUTH_START_LIMIT  10
#define NXS_OAUTH_START_WINDOW 600
/* The states are what is counted, until they expire (nxs_store.h). */
_Static_assert(NXS_OAUTH_START_WINDOW <= NXS_OAUTH_STATE_TTL,
               "a state must outlive the window it is counted in");

static const char *settings_url(request_rec *r, const nxs_server_conf_t *c)
{
    return apr_pstrcat(r->pool, c->settings_path, "/", NULL);
}

/* The redirect_uri: the public URL + this location + /callback. */
static const char *redirect_uri(request_rec *r, const nxs_server_conf_t *c, const char *sub)
{
    apr_size_t base_len = strlen(r->uri) - strlen(sub);
    return apr_pstrcat(r->pool, c->public_url, apr_pstrmemdup(r->pool, r->uri, base_len),
                       "/callback", NULL);
}

static const char *keyed_hash(const nxs_server_conf_t *c, const char *value, apr_pool_t *p)
{
    char *hex = apr_palloc(p, 65);
    nxs_hmac_sha256_hex(hex, c->state_key, sizeof(c->state_key), value, strlen(value));
    return hex;
}

/* Every failure of the install ends here: a page that says what happened,
 * a link back to the settings and, when the browser still has its settings
 * session, a "Try again" button that starts the install anew. */
static int fail_page(request_rec *r, const nxs_server_conf_t *c, int status, const char *title,
                     const char *message)
{
    const char *account = NULL, *csrf = NULL;

    if (nxs_caller_session(&account, &csrf, NULL, r, c) != APR_SUCCESS) {
        csrf = NULL;
    }
    nxs_reply_set_cookie(r, NXS_OAUTH_COOKIE, "", 0, nxs_config_https(c));
    return nxs_reply_page_retry(r, status, title, message, settings_url(r, c),
                                apr_pstrcat(r->pool, c->oauth_path, "/start", NULL), csrf);
}

/* What Slack's error code means for the person installing. */
static const char *slack_refusal_words(const char *error, apr_pool_t *p)
{
    if (strcmp(error, "invalid_code") == 0 || strcmp(error, "code_already_used") == 0 ||
        strcmp(error, "code_expired") == 0) {
        return apr_pstrcat(p, "Slack's answer came too late or was already used (", error,
                           "). Try again.", NULL);
    }
    if (strcmp(error, "bad_redirect_uri") == 0 || strcmp(error, "invalid_client_id") == 0 ||
        strcmp(error, "bad_client_secret") == 0) {
        return apr_pstrcat(p, "This server's Slack app is not set up correctly (", error,
                           "). Tell your Nexte administrator.", NULL);
    }
    return apr_pstrcat(p, "Slack refused the install (", error, "). Try again.", NULL);
}

static int oauth_configured(request_rec *r, const nxs_server_conf_t *c)
{
    if (!c->client_id || !c->client_secret.value || !c->public_url) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Slack OAuth needs NexteSlackClientID, NexteSlackClientSecret and "
                      "NexteSlackPublicURL");
        return 0;
    }
    return 1;
}

/* The answer to a session past NXS_OAUTH_START_LIMIT: RETRY_AT is when it
 * may start again. */
static int too_many_starts(request_rec *r, const nxs_server_conf_t *c, const char *account,
                           apr_int64_t retry_at)
{
    apr_int64_t wait = retry_at - apr_time_sec(r->request_time);
    apr_int64_t minutes = (wait + 59) / 60;

    if (wait < 1) {
        wait = minutes = 1;
    }
    NXS_LOG(NXS_LOG_INFO, 0, "NXS00180",
            "account %s: Slack install not started: its settings session started %d in the "
            "last %d s; answered 429, retry after %" APR_INT64_T_FMT " s",
            account, NXS_OAUTH_START_LIMIT, NXS_OAUTH_START_WINDOW, wait);
    apr_table_setn(r->headers_out, "Retry-After", apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait));
    return nxs_reply_page(
        r, HTTP_TOO_MANY_REQUESTS, "Please wait before connecting Slack again",
        apr_psprintf(r->pool,
                     "Connecting Slack was started %d times in %d minutes from this page. "
                     "Wait %" APR_INT64_T_FMT " minute%s, then try again from the settings.",
                     NXS_OAUTH_START_LIMIT, NXS_OAUTH_START_WINDOW / 60, minutes,
                     minutes == 1 ? "" : "s"),
        settings_url(r, c));
}

static int start(request_rec *r, const nxs_server_conf_t *c, const char *sub)
{
    const char *account = NULL, *csrf = NULL, *why = NULL, *state = NULL, *browser = NULL;
    apr_int64_t now = apr_time_sec(r->request_time), retry_at = 0;
    nxs_oauth_start_t st;
    int started = 0;
    nxs_db_t *db;

    if (nxs_caller_session(&account, &csrf, &why, r, c) != APR_SUCCESS) {
        return nxs_reply_page(r, HTTP_UNAUTHORIZED, "Open the settings from Nexte first",
                              "Connecting Slack starts from the Slack settings in Nexte "
                              "(Settings > Integrations > Slack); your session is missing or "
                              "has expired.",
                              NULL);
    }
    if (!nxs_session_csrf_ok(csrf, nxs_request_form_field(r, "csrf_token", NXS_START_FORM_MAX))) {
        return nxs_reply_page(r, HTTP_FORBIDDEN, "Start again from the settings",
                              "This request did not come from the Slack settings page "
                              "(csrf_failed). Open the settings and use the Add to Slack button.",
                              settings_url(r, c));
    }
    if (!(db = nxs_dbd_acquire(r))) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack cannot be connected right now",
                         "The settings store cannot be reached; try again in a minute.");
    }
    if (nxs_random_token(&state, 32, r->pool) || nxs_random_token(&browser, 32, r->pool)) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack cannot be connected right now",
                         "The install could not be prepared; try again in a minute.");
    }
    /* The session is named by its CSRF token (one per session), keyed. */
    st.state_hash = keyed_hash(c, state, r->pool);
    st.account = account;
    st.browser_hash = keyed_hash(c, browser, r->pool);
    st.session_hash = keyed_hash(c, apr_pstrcat(r->pool, "session:", csrf, NULL), r->pool);
    st.now = now;
    st.expires_at = now + NXS_OAUTH_STATE_TTL;
    st.limit = NXS_OAUTH_START_LIMIT;
    st.window = NXS_OAUTH_START_WINDOW;
    if (nxs_store_oauth_state_start(&started, &retry_at, db, &st, r->pool) != APR_SUCCESS) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack cannot be connected right now",
                         "The install could not be prepared; try again in a minute.");
    }
    if (!started) {
        return too_many_starts(r, c, account, retry_at);
    }
    nxs_reply_set_cookie(r, NXS_OAUTH_COOKIE, browser, NXS_OAUTH_STATE_TTL, nxs_config_https(c));
    return nxs_reply_redirect(
        r, apr_pstrcat(r->pool, c->authorize_url,
                       "?client_id=", ap_escape_urlencoded(r->pool, c->client_id),
                       "&scope=", ap_escape_urlencoded(r->pool, NXS_BOT_SCOPES),
                       "&redirect_uri=", ap_escape_urlencoded(r->pool, redirect_uri(r, c, sub)),
                       "&state=", ap_escape_urlencoded(r->pool, state), NULL));
}

/* Exchanges CODE and stores the workspace for ACCOUNT. */
static int finish_install(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                          const char *account, const char *code, const char *sub)
{
    nxs_slack_auth_t auth = {NULL, c->client_id, c->client_secret.value};
    apr_table_t *form = apr_table_make(r->pool, 2);
    nxs_slack_result_t res;
    nxs_workspace_t w;
    const char *token, *refresh, *aad;
    json_int_t expires_in;
    int purged = 0;

    apr_table_setn(form, "code", code);
    apr_table_setn(form, "redirect_uri", redirect_uri(r, c, sub));
    nxs_slack_call(&res, c->api_base, "oauth.v2.access", &auth, form, NULL, apr_time_from_sec(10),
                   r->pool);
    if (res.error && !res.body) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "oauth.v2.access failed: %s", res.error);
        return fail_page(r, c, HTTP_BAD_GATEWAY, "Slack could not be reached",
                         apr_pstrcat(r->pool, "Slack did not answer (", res.error,
                                     "). Try connecting again in a minute.", NULL));
    }
    if (res.error) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "oauth.v2.access refused: %s", res.error);
        return fail_page(r, c, HTTP_BAD_GATEWAY, "Slack refused the install",
                         slack_refusal_words(res.error, r->pool));
    }
    memset(&w, 0, sizeof(w));
    w.account_id = account;
    w.team_id = nxs_json_path_str(res.body, "team.id");
    w.team_name = nxs_json_path_str(res.body, "team.name");
    w.bot_user_id = nxs_json_path_str(res.body, "bot_user_id");
    w.scopes = nxs_json_path_str(res.body, "scope");
    token = nxs_json_path_str(res.body, "access_token");
    refresh = nxs_json_path_str(res.body, "refresh_token");
    expires_in = json_integer_value(json_object_get(res.body, "expires_in"));
    if (!w.team_id || !w.team_name || !w.bot_user_id || !w.scopes || !token) {
        return fail_page(r, c, HTTP_BAD_GATEWAY, "Slack refused the install",
                         "Slack's answer lacked the workspace or the bot token. Try again.");
    }
    aad = nxs_token_aad(account, w.team_id, r->pool);
    w.installed_at = apr_time_sec(r->request_time);
    if (refresh && expires_in > 0) {
        w.token_expires_at = w.installed_at + expires_in;
    }
    /* Settings past the reconnect grace are not brought back by a reconnect,
     * even before the hourly purge has deleted them. */
    if (nxs_token_seal(&w.token_sealed, c->token_key, token, aad, r->pool) ||
        (w.token_expires_at &&
         nxs_token_seal(&w.refresh_sealed, c->token_key, refresh, aad, r->pool)) ||
        nxs_store_account_ensure(db, account, w.installed_at, r->pool) ||
        nxs_store_account_purge(&purged, db, account, w.installed_at,
                                apr_time_sec(c->reconnect_grace), r->pool) ||
        nxs_store_workspace_install(db, &w, r->pool)) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack could not be connected",
                         "The workspace could not be saved; try again in a minute.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "account %s connected Slack team %s", account,
                  w.team_id);
    /* Messages held while the connection was broken go out again. */
    nxs_daemon_request(r, c, json_pack("{s:s, s:s}", "op", "release", "account", account),
                       apr_time_from_sec(1));
    nxs_reply_set_cookie(r, NXS_OAUTH_COOKIE, "", 0, nxs_config_https(c));
    return nxs_reply_redirect(r, apr_pstrcat(r->pool, settings_url(r, c), "?connected=",
                                             ap_escape_urlencoded(r->pool, w.team_id), NULL));
}

static int callback(request_rec *r, const nxs_server_conf_t *c, const char *sub)
{
    apr_table_t *q = NULL;
    const char *state, *code, *error, *browser, *account = NULL, *browser_hash = NULL;
    nxs_db_t *db;

    ap_args_to_table(r, &q);
    state = apr_table_get(q, "state");
    code = apr_table_get(q, "code");
    error = apr_table_get(q, "error");
    browser = nxs_request_cookie(
        r, nxs_reply_cookie_name(r->pool, NXS_OAUTH_COOKIE, nxs_config_https(c)));
    if (!state || (!code && !error)) {
        return fail_page(r, c, HTTP_BAD_REQUEST, "This install link is incomplete",
                         "The address Slack sent back lacks its state or code. Start again "
                         "from the settings.");
    }
    if (!(db = nxs_dbd_acquire(r))) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack cannot be connected right now",
                         "The settings store cannot be reached; try again in a minute.");
    }
    /* Taken before anything else: a state works once, even for a cancel. */
    if (nxs_store_oauth_state_take(&account, &browser_hash, db, keyed_hash(c, state, r->pool),
                                   apr_time_sec(r->request_time), r->pool) != APR_SUCCESS) {
        return fail_page(r, c, HTTP_SERVICE_UNAVAILABLE, "Slack cannot be connected right now",
                         "The settings store failed; try again in a minute.");
    }
    if (!account || !browser ||
        !nxs_crypto_str_equal(browser_hash, keyed_hash(c, browser, r->pool))) {
        return fail_page(r, c, HTTP_BAD_REQUEST, "This install link has expired",
                         "The install was started more than 10 minutes ago, in another "
                         "browser, or was already used. Start again from the settings.");
    }
    if (error) {
        return fail_page(r, c, HTTP_OK, "Slack was not connected",
                         strcmp(error, "access_denied") == 0
                             ? "You cancelled the install in Slack. Nothing was changed."
                             : apr_pstrcat(r->pool, "Slack did not connect (", error,
                                           "). Nothing was changed.", NULL));
    }
    return finish_install(r, c, db, account, code, sub);
}

int nxs_handle_oauth(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *sub = nxs_request_subpath(r);
    int rc;

    if (!oauth_configured(r, c)) {
        return nxs_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "oauth_not_configured",
                               "this server has no Slack app configured");
    }
    if (strcmp(sub, "/start") == 0) {
        if ((rc = nxs_reply_unless_method(r, "GET, POST")) != DECLINED) {
            return rc;
        }
        return r->method_number == M_POST ? start(r, c, sub)
                                          : nxs_reply_redirect(r, settings_url(r, c));
    }
    if (strcmp(sub, "/callback") == 0) {
        return (rc = nxs_reply_unless_method(r, "GET")) != DECLINED ? rc : callback(r, c, sub);
    }
    return nxs_reply_error(r, HTTP_NOT_FOUND, "not_found", "use /start or /callback");
}
