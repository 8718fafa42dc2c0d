/* nexte-slack-settings and nexte-slack-oauth (handle/nxs_handle_settings.c,
 * nxs_caller.c, nxs_handle_oauth.c) through the module's handler hook and
 * the httpd stub: routing below the <Location>, the launch link, who may
 * call the API (session + CSRF token, or Nexte core's signature), and the
 * OAuth refusals and redirect, up to a Slack that does not answer (a closed
 * local port); plus the module's handler dispatch by SetHandler name and
 * post_config's decision not to start the delivery daemon.
 *
 * SQL is faked at link level (t/unit/stub/nxs_fakes.h): nxs_dbd_acquire
 * returns NULL (the 503 paths) or a fresh SQLite store.  The settings API
 * routes themselves (what they read and write in SQL) are left to
 * t/settings/; here only requests that they never see, a route that does
 * not exist, and that reads never purge. */
#include "glue_test.h"

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include <apr_dbd.h>

#include "handle/nxs_assets.h"
#include "handle/nxs_caller.h"
#include "handle/nxs_reply.h"
#include "nxs_log_httpd.h"
#include "security/nxs_session.h"
#include "store/nxs_store.h"

#define LOC   "/slack/settings"
#define OAUTH "/slack/oauth"

static request_rec *settings(apr_pool_t *p, server_rec *s, const char *method, const char *target)
{
    request_rec *r = glue_request(p, s, NXS_H_SETTINGS, method, target, NULL, NULL);

    nxs_stub_location(r, LOC);
    return r;
}

/* A launch link for ACCOUNT valid until EXPIRES, as Nexte core makes it. */
static const char *launch_link(apr_pool_t *p, const char *account, apr_time_t expires)
{
    const char *exp = NULL, *sig = NULL;

    assert_int_equal(nxs_sign_launch_make(&exp, &sig, GLUE_EVENT_SECRET, strlen(GLUE_EVENT_SECRET),
                                          account, expires, p),
                     APR_SUCCESS);
    return apr_pstrcat(p, LOC "/launch?account=", account, "&exp=", exp, "&sig=", sig, NULL);
}

/* Gives R a valid session cookie for acc_42; returns its CSRF token. */
static const char *with_session(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *cookie = NULL, *csrf = NULL;

    assert_int_equal(nxs_session_issue(&cookie, &csrf, c->session_key, c->csrf_key, "acc_42",
                                       r->request_time + apr_time_from_sec(3600), r->pool),
                     APR_SUCCESS);
    apr_table_setn(
        r->headers_in, "Cookie",
        apr_pstrcat(r->pool,
                    nxs_reply_cookie_name(r->pool, NXS_SESSION_COOKIE, nxs_config_https(c)), "=",
                    cookie, NULL));
    return csrf;
}

/* ---- routing ---- */

static void unknown_route_below_the_location_is_404(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC "/nope");

    assert_error_reply(r, glue_run(r), HTTP_NOT_FOUND, "not_found");
    assert_string_equal(glue_json_str(r, "message"), "no settings route /nope");
}

/* The launch link is a GET, or the POST of the account-switch question. */
static void launch_is_get_or_post_and_the_page_get_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = settings(p, s, "PUT", LOC "/launch");

    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "GET, POST");
    r = settings(p, s, "DELETE", LOC "/");
    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
}

/* ---- launch link ---- */

static void forged_or_incomplete_launch_link_is_403_page(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = settings(p, s, "GET", LOC "/launch?account=acc_42&exp=9999999999&sig=00");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_FORBIDDEN);
    assert_string_equal(r->content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(nxs_stub_response(r), "<h1>This link cannot be used</h1>"));
    assert_non_null(strstr(nxs_stub_response(r), "The link is not valid. Open the Slack settings "
                                                 "from Nexte again (malformed_link)."));
    assert_true(nxs_stub_log_has("info: launch link refused: malformed_link"));

    r = settings(p, s, "GET", LOC "/launch");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_FORBIDDEN);
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
    assert_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
}

static void expired_launch_link_says_so(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = settings(p, s, "GET", "/");

    r = settings(p, s, "GET", launch_link(p, "acc_42", r->request_time - apr_time_from_sec(1)));
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_FORBIDDEN);
    assert_non_null(strstr(nxs_stub_response(r), "The link has expired. "));
    assert_non_null(strstr(nxs_stub_response(r), "(expired_link)"));
}

static void valid_launch_link_without_a_store_is_503_page(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r =
        settings(p, s, "GET", launch_link(p, "acc_42", apr_time_now() + apr_time_from_sec(60)));

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_SERVICE_UNAVAILABLE);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>Settings unavailable</h1>"));
    assert_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
}

static void valid_launch_link_opens_a_session_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const char *link = launch_link(p, "acc_42", apr_time_now() + apr_time_from_sec(60));
    const nxs_server_conf_t *c = nxs_config_get(s);
    request_rec *r = settings(p, s, "GET", link);
    const char *cookie, *account = NULL, *csrf = NULL, *value;

    nxs_fake_dbd_sqlite(p);
    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    assert_string_equal(apr_table_get(r->headers_out, "Location"), LOC "/");
    cookie = apr_table_get(r->err_headers_out, "Set-Cookie");
    assert_non_null(cookie);
    assert_true(strncmp(cookie, "nxs_session=", 12) == 0);
    /* 12 h, and not Secure: this server's public URL is not https */
    assert_non_null(strstr(cookie, ";Max-Age=43200;Path=/;HttpOnly;SameSite=Lax"));
    assert_null(strstr(cookie, "Secure"));
    value = apr_pstrmemdup(p, cookie + 12, strcspn(cookie + 12, ";"));
    assert_int_equal(nxs_session_check(&account, &csrf, NULL, c->session_key, c->csrf_key, value,
                                       r->request_time, p),
                     APR_SUCCESS);
    assert_string_equal(account, "acc_42");

    r = settings(p, s, "GET", link);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_FORBIDDEN);
    assert_non_null(strstr(nxs_stub_response(r), "(link_already_used)"));
}

/* ---- who may call ---- */

/* A server where no NexteSlackEventSecret applies has no keys: a session
 * made with zero-byte keys must not open anything there, nor must any other
 * handler that checks keys answer. */
static void server_without_an_event_secret_refuses_every_keyed_handler(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    const nxs_server_conf_t *c;
    static const char *const keyed[] = {NXS_H_SETTINGS, NXS_H_OAUTH, NXS_H_EVENTS,
                                        NXS_H_INTERACTIONS};
    const char *cookie = NULL, *csrf = NULL;
    request_rec *r;
    size_t i;

    assert_null(nxs_config_finish(nxs_config_get(s), s, p));
    c = nxs_config_get(s);
    assert_null(c->event_secret.value);
    assert_int_equal(nxs_session_issue(&cookie, &csrf, c->session_key, c->csrf_key, "acc_42",
                                       apr_time_now() + apr_time_from_sec(3600), p),
                     APR_SUCCESS);
    r = settings(p, s, "GET", LOC "/");
    apr_table_setn(r->headers_in, "Cookie", apr_pstrcat(p, "nxs_session=", cookie, NULL));
    assert_error_reply(r, glue_run(r), HTTP_INTERNAL_SERVER_ERROR, "not_configured");
    assert_null(strstr(nxs_stub_response(r), "acc_42"));
    for (i = 0; i < sizeof(keyed) / sizeof(keyed[0]); ++i) {
        r = glue_request(p, s, keyed[i], "POST", "/x", NULL, NULL);
        assert_error_reply(r, glue_run(r), HTTP_INTERNAL_SERVER_ERROR, "not_configured");
    }
    r = glue_request(p, s, NXS_H_STATUS, "GET", "/x", NULL, NULL);
    glue_run(r);
    assert_int_not_equal(r->status, HTTP_INTERNAL_SERVER_ERROR);
}

/* A person without a session gets a page saying where the settings open,
 * not JSON. */
static void page_without_a_session_is_a_401_page(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC "/");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNAUTHORIZED);
    assert_string_equal(r->content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(nxs_stub_response(r), "<h1>Open the Slack settings from Nexte</h1>"));
    assert_non_null(strstr(nxs_stub_response(r), "(missing_session)"));
}

static void page_with_a_forged_session_is_401_naming_why(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC "/");

    apr_table_setn(r->headers_in, "Cookie", "nxs_session=forged");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNAUTHORIZED);
    assert_non_null(strstr(nxs_stub_response(r), "(malformed_session)"));
}

static void page_with_a_session_is_the_shell_under_a_strict_policy(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC "/");
    const char *html;

    with_session(r);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    html = nxs_stub_response(r);
    assert_non_null(strstr(html, "data-account=\"acc_42\""));
    assert_non_null(strstr(html, "data-oauth-start=\"/slack/oauth/start\""));
    assert_non_null(strstr(html, apr_pstrcat(p, "<script src=\"", nxs_asset_href("settings.js", p),
                                             "\" defer>", NULL)));
    assert_non_null(strstr(html, apr_pstrcat(p, "<link rel=\"stylesheet\" href=\"",
                                             nxs_asset_href("settings.css", p), "\">", NULL)));
    /* no inline script, and no CSRF token or secret in the page */
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "csrf"));
    assert_string_equal(apr_table_get(r->headers_out, "Content-Security-Policy"),
                        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; "
                        "form-action 'self' https://slack.com");
    assert_string_equal(apr_table_get(r->headers_out, "Cache-Control"), "no-store");
    assert_string_equal(apr_table_get(r->headers_out, "X-Frame-Options"), "DENY");
}

/* The page's links are relative to <settings>/: without the slash they
 * would point one level up. */
static void page_without_its_slash_redirects_to_it(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC);

    with_session(r);
    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    assert_string_equal(apr_table_get(r->headers_out, "Location"), LOC "/");
}

static void state_change_without_the_csrf_token_is_403(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r =
        glue_request(p, s, NXS_H_SETTINGS, "PUT", LOC "/api/config", "application/json", "{}");

    nxs_stub_location(r, LOC);
    with_session(r);
    assert_error_reply(r, glue_run(r), HTTP_FORBIDDEN, "csrf_failed");

    r = glue_request(p, s, NXS_H_SETTINGS, "PUT", LOC "/api/config", "application/json", "{}");
    nxs_stub_location(r, LOC);
    with_session(r);
    apr_table_setn(r->headers_in, "X-CSRF-Token", "0123456789abcdef");
    assert_error_reply(r, glue_run(r), HTTP_FORBIDDEN, "csrf_failed");
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

static void session_with_its_csrf_token_reaches_the_api(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "POST", LOC "/api/nope");

    apr_table_setn(r->headers_in, "X-CSRF-Token", with_session(r));
    assert_error_reply(r, glue_run(r), HTTP_NOT_FOUND, "not_found");
    assert_string_equal(glue_json_str(r, "message"), "no API route /nope");
}

static void signed_call_must_name_a_valid_account_and_be_signed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = settings(p, s, "GET", LOC "/api/config");
    const char *canonical, *ts = NULL, *sig = NULL;
    apr_size_t len = 0;

    apr_table_setn(r->headers_in, "X-Nexte-Signature", "v1=00");
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_account");

    r = settings(p, s, "GET", LOC "/api/config");
    apr_table_setn(r->headers_in, "X-Nexte-Account", "acc 42");
    apr_table_setn(r->headers_in, "X-Nexte-Signature", "v1=00");
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_account");

    /* signed for another route: the canonical string binds method and path */
    r = settings(p, s, "GET", LOC "/api/config");
    apr_table_setn(r->headers_in, "X-Nexte-Account", "acc_42");
    r->unparsed_uri = LOC "/api/other";
    canonical = nxs_caller_canonical(r, "acc_42", "", 0, &len);
    r->unparsed_uri = LOC "/api/config";
    assert_int_equal(nxs_sign_nexte_make(&ts, &sig, GLUE_EVENT_SECRET, strlen(GLUE_EVENT_SECRET),
                                         canonical, len, r->request_time, p),
                     APR_SUCCESS);
    apr_table_setn(r->headers_in, "X-Nexte-Timestamp", ts);
    apr_table_setn(r->headers_in, "X-Nexte-Signature", sig);
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "bad_signature");
    assert_true(nxs_stub_log_has("info: settings API signature refused: bad_signature"));
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

static void signed_call_reaches_the_api_and_its_store(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, glue_configured_server(p), "GET", LOC "/api/config");
    const char *canonical, *ts = NULL, *sig = NULL;
    apr_size_t len = 0;

    apr_table_setn(r->headers_in, "X-Nexte-Account", "acc_42");
    canonical = nxs_caller_canonical(r, "acc_42", "", 0, &len);
    assert_string_equal(canonical, "GET " LOC "/api/config\nacc_42\n");
    assert_int_equal(nxs_sign_nexte_make(&ts, &sig, GLUE_EVENT_SECRET, strlen(GLUE_EVENT_SECRET),
                                         canonical, len, r->request_time, p),
                     APR_SUCCESS);
    apr_table_setn(r->headers_in, "X-Nexte-Timestamp", ts);
    apr_table_setn(r->headers_in, "X-Nexte-Signature", sig);
    assert_int_equal(glue_run(r), OK);
    /* authenticated: the route ran and asked for the store, which is down */
    assert_int_equal(nxs_fake_dbd_acquired(), 1);
    assert_int_equal(r->status, HTTP_SERVICE_UNAVAILABLE);
}

static void api_body_over_64_kib_is_413_before_authentication(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, 64 * 1024 + 2);
    request_rec *r;

    memset(big, ' ', 64 * 1024 + 1);
    big[64 * 1024 + 1] = '\0';
    r = glue_request(p, glue_configured_server(p), NXS_H_SETTINGS, "PUT", LOC "/api/config",
                     "application/json", big);
    nxs_stub_location(r, LOC);
    assert_error_reply(r, glue_run(r), HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large");
    assert_string_equal(glue_json_str(r, "message"), "settings requests are at most 64 KiB");
}

/* ---- reads never purge (issue #15) ---- */

/* How many rows SQL counts (one number in one row). */
static long count_rows(nxs_db_t *db, const char *sql, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    long n = -1;

    assert_int_equal(apr_dbd_select(db->driver, p, db->handle, &res, sql, 0), 0);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        n = atol(apr_dbd_get_entry(db->driver, row, 0));
    }
    return n;
}

/* acc_42 disconnected GONE_AGO seconds before NOW with payments mapped and
 * filters saved, plus an expired OAuth state and launch-link record: what
 * only the hourly purge deletes. */
static nxs_db_t *store_with_rows_to_purge(apr_pool_t *p, apr_int64_t now, apr_int64_t gone_ago)
{
    nxs_db_t *db = nxs_fake_dbd_sqlite(p);
    nxs_oauth_start_t st = {"old_state", "acc_42", "b", "s", now - 610, now - 10, 10, 600};
    apr_int64_t retry_at = 0;
    int first = 0;

    assert_int_equal(nxs_store_account_ensure(db, "acc_42", now - 3600, p), APR_SUCCESS);
    assert_int_equal(
        nxs_store_category_set_channel(db, "acc_42", "payments", "C0PAYMENTS", "payments", p),
        APR_SUCCESS);
    assert_int_equal(nxs_store_category_set_mention(db, "acc_42", "payments", "here", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_store_filters_put(db, "acc_42", "{\"members\":{}}", now - 3600, p),
                     APR_SUCCESS);
    assert_int_equal(nxs_store_account_set_disconnected(db, "acc_42", now - gone_ago, p),
                     APR_SUCCESS);
    assert_int_equal(nxs_store_oauth_state_start(&first, &retry_at, db, &st, p), APR_SUCCESS);
    assert_int_equal(nxs_store_once(&first, db, "old_sig", now - 10, p), APR_SUCCESS);
    return db;
}

/* What store_with_rows_to_purge wrote is all still there. */
static void assert_nothing_purged(nxs_db_t *db, apr_pool_t *p)
{
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_oauth_states", p), 1);
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_launch_used", p), 1);
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_filters", p), 1);
    assert_int_equal(
        count_rows(db, "SELECT COUNT(*) FROM nxs_categories WHERE channel_id IS NOT NULL", p), 1);
    assert_int_equal(
        count_rows(db, "SELECT COUNT(*) FROM nxs_accounts WHERE disconnected_at IS NOT NULL", p),
        1);
}

/* NexteSlackReconnectGrace 30s on a configured server. */
static server_rec *grace_30s_server(apr_pool_t *p)
{
    server_rec *s = glue_configured_server(p);

    assert_null(nxs_stub_directive(s, p, NXS_D_RECONNECT_GRACE, "30s", NULL));
    assert_null(nxs_config_finish(nxs_config_get(s), s, p));
    return s;
}

/* GET api/config used to run the purge (SQLite's write lock on a read):
 * the settings past the grace now read as deleted and stay in SQL until
 * the hourly purge. */
static void config_shows_settings_past_the_grace_as_purged_without_purging(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, grace_30s_server(p), "GET", LOC "/api/config");
    nxs_db_t *db = store_with_rows_to_purge(p, apr_time_sec(r->request_time), 31);
    json_t *cfg, *pay;

    with_session(r);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    cfg = glue_json(r);
    pay = json_object_get(json_object_get(cfg, "categories"), "payments");
    assert_true(json_is_null(json_object_get(pay, "channel_id")));
    assert_true(json_is_null(json_object_get(pay, "channel_name")));
    assert_string_equal(json_string_value(json_object_get(pay, "mention")), "none");
    assert_int_equal(json_object_size(json_object_get(cfg, "filters")), 0);
    assert_string_equal(nxs_json_path_str(cfg, "connection.state"), "not_connected");
    assert_true(json_is_null(json_object_get(json_object_get(cfg, "connection"), "purge_at")));
    assert_nothing_purged(db, p);

    r = settings(p, r->server, "GET", LOC "/api/filters");
    with_session(r);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(json_object_size(json_object_get(glue_json(r), "filters")), 0);
    assert_nothing_purged(db, p);
}

/* Within the grace the settings are shown, with the date they go. */
static void config_within_the_grace_shows_the_kept_settings_and_purge_at(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = settings(p, grace_30s_server(p), "GET", LOC "/api/config");
    apr_int64_t now = apr_time_sec(r->request_time);
    nxs_db_t *db = store_with_rows_to_purge(p, now, 30);
    json_t *cfg;

    with_session(r);
    assert_int_equal(glue_run(r), OK);
    cfg = glue_json(r);
    assert_string_equal(nxs_json_path_str(cfg, "categories.payments.channel_id"), "C0PAYMENTS");
    assert_string_equal(nxs_json_path_str(cfg, "connection.state"), "disconnected");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(cfg, "connection"), "purge_at")), now);
    assert_nothing_purged(db, p);
}

/* A write to an account past its grace first deletes the old settings,
 * so that the hourly purge cannot delete what it writes. */
static void write_past_the_grace_purges_that_account_first(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = grace_30s_server(p);
    request_rec *r = glue_request(p, s, NXS_H_SETTINGS, "PUT", LOC "/api/categories/recap",
                                  "application/json", "{\"channel_id\":\"C0DAILY\"}");
    nxs_db_t *db = store_with_rows_to_purge(p, apr_time_sec(r->request_time), 31);
    json_t *cfg;

    nxs_stub_location(r, LOC);
    apr_table_setn(r->headers_in, "X-CSRF-Token", with_session(r));
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    cfg = glue_json(r);
    assert_string_equal(nxs_json_path_str(cfg, "categories.recap.channel_id"), "C0DAILY");
    assert_true(json_is_null(json_object_get(
        json_object_get(json_object_get(cfg, "categories"), "payments"), "channel_id")));
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_filters", p), 0);
    assert_int_equal(
        count_rows(db, "SELECT COUNT(*) FROM nxs_accounts WHERE disconnected_at IS NOT NULL", p),
        0);
    /* the one-time rows are the hourly purge's */
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_oauth_states", p), 1);
}

/* The launch link used to run the purge too. */
static void launch_link_does_not_purge(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = grace_30s_server(p);
    request_rec *r =
        settings(p, s, "GET", launch_link(p, "acc_42", apr_time_now() + apr_time_from_sec(60)));
    nxs_db_t *db = store_with_rows_to_purge(p, apr_time_sec(r->request_time), 31);

    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    assert_non_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_launch_used", p), 2);
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_oauth_states", p), 1);
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_filters", p), 1);
}

/* ---- OAuth ---- */

static server_rec *oauth_server(apr_pool_t *p)
{
    server_rec *s = glue_configured_server(p);

    assert_null(nxs_stub_directive(s, p, "NexteSlackClientID", "1111.2222", NULL));
    assert_null(
        nxs_stub_directive(s, p, "NexteSlackClientSecret", "client-secret-0123456789", NULL));
    assert_null(nxs_stub_directive(s, p, "NexteSlackPublicURL", "https://slack.nexte.test", NULL));
    assert_null(nxs_config_finish(nxs_config_get(s), s, p));
    return s;
}

static request_rec *oauth(apr_pool_t *p, server_rec *s, const char *method, const char *target)
{
    request_rec *r = glue_request(p, s, NXS_H_OAUTH, method, target, NULL, NULL);

    nxs_stub_location(r, OAUTH);
    return r;
}

static void oauth_without_a_slack_app_is_500_and_logged(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = oauth(p, glue_configured_server(p), "GET", OAUTH "/start");

    assert_error_reply(r, glue_run(r), HTTP_INTERNAL_SERVER_ERROR, "oauth_not_configured");
    assert_true(nxs_stub_log_has("error: Slack OAuth needs NexteSlackClientID, "
                                 "NexteSlackClientSecret and NexteSlackPublicURL"));
}

/* The settings page's Add to Slack: a form POST carrying FORM. */
static request_rec *start_form(apr_pool_t *p, server_rec *s, const char *form)
{
    request_rec *r = oauth(p, s, "POST", OAUTH "/start");

    apr_table_setn(r->headers_in, "Content-Type", "application/x-www-form-urlencoded");
    nxs_stub_body(r, form, strlen(form));
    return r;
}

static void oauth_refuses_other_methods_and_routes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    request_rec *r = oauth(p, s, "PUT", OAUTH "/start");

    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "GET, POST");
    r = oauth(p, s, "POST", OAUTH "/callback");
    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    r = oauth(p, s, "GET", OAUTH "/other");
    assert_error_reply(r, glue_run(r), HTTP_NOT_FOUND, "not_found");
}

/* A GET could be made by any page the victim visits: it changes nothing. */
static void oauth_start_by_get_only_leads_to_the_settings_page(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = oauth(p, oauth_server(p), "GET", OAUTH "/start");

    with_session(r);
    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    assert_string_equal(apr_table_get(r->headers_out, "Location"), "/slack/settings/");
    assert_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

static void oauth_start_needs_a_session(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = start_form(p, oauth_server(p), "csrf_token=abc");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNAUTHORIZED);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>Open the settings from Nexte first</h1>"));
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

static void oauth_start_needs_the_sessions_csrf_token(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    static const char *const forms[] = {"", "csrf_token=", "csrf_token=0123", "other=1"};
    size_t i;

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); ++i) {
        request_rec *r = start_form(p, s, forms[i]);
        with_session(r);
        assert_int_equal(glue_run(r), OK);
        assert_int_equal(r->status, HTTP_FORBIDDEN);
        assert_non_null(strstr(nxs_stub_response(r), "csrf_failed"));
        assert_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
    }
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

/* Runs the start form with R's own session and its CSRF token. */
static request_rec *start_with_session(apr_pool_t *p, server_rec *s)
{
    request_rec *r = start_form(p, s, "");
    const char *form = apr_pstrcat(p, "csrf_token=", with_session(r), NULL);

    nxs_stub_body(r, form, strlen(form));
    return r;
}

static void oauth_start_sends_the_browser_to_slack_with_a_state(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = start_with_session(p, oauth_server(p));
    static const char want[] =
        "https://slack.com/oauth/v2/authorize?client_id=1111.2222&scope=chat%3Awrite"
        "%2Cchat%3Awrite.public%2Cchannels%3Aread&redirect_uri=https%3A%2F%2Fslack."
        "nexte.test%2Fslack%2Foauth%2Fcallback&state=";
    const char *location, *cookie;

    nxs_fake_dbd_sqlite(p);
    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    location = apr_table_get(r->headers_out, "Location");
    assert_non_null(location);
    if (strncmp(location, want, sizeof(want) - 1) != 0 || strlen(location) <= sizeof(want) - 1) {
        fail_msg("Location %s is not %s<state>", location, want);
    }
    cookie = apr_table_get(r->err_headers_out, "Set-Cookie");
    assert_non_null(cookie);
    /* the browser's half of the state, Secure and __Host- because the public
     * URL is https */
    assert_true(strncmp(cookie, "__Host-nxs_oauth=", 17) == 0);
    assert_non_null(strstr(cookie, ";Max-Age=600;Path=/;HttpOnly;SameSite=Lax;Secure"));
}

/* The start form of the session COOKIE (its CSRF token CSRF). */
static request_rec *start_in_session(apr_pool_t *p, server_rec *s, const char *cookie,
                                     const char *csrf)
{
    request_rec *r = start_form(p, s, apr_pstrcat(p, "csrf_token=", csrf, NULL));
    const nxs_server_conf_t *c = nxs_config_get(s);

    apr_table_setn(r->headers_in, "Cookie",
                   apr_pstrcat(p, nxs_reply_cookie_name(p, NXS_SESSION_COOKIE, nxs_config_https(c)),
                               "=", cookie, NULL));
    return r;
}

/* Ten starts in ten minutes per session, counted in SQL; the eleventh is
 * a 429 page with Retry-After, and stores nothing.  Another session of
 * the same account is not held back. */
static void oauth_start_is_limited_to_10_per_session_in_10_minutes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    const nxs_server_conf_t *c = nxs_config_get(s);
    apr_time_t now = apr_time_now();
    const char *cookie = NULL, *csrf = NULL, *other = NULL, *other_csrf = NULL, *html;
    nxs_db_t *db = nxs_fake_dbd_sqlite(p);
    request_rec *r;
    long retry;
    int i;

    nxs_log_httpd_init(s, p); /* the core's log lines, NXS00180 among them */
    s->log.level = APLOG_INFO;
    assert_int_equal(nxs_session_issue(&cookie, &csrf, c->session_key, c->csrf_key, "acc_42",
                                       now + apr_time_from_sec(3600), p),
                     APR_SUCCESS);
    assert_int_equal(nxs_session_issue(&other, &other_csrf, c->session_key, c->csrf_key, "acc_42",
                                       now + apr_time_from_sec(3600), p),
                     APR_SUCCESS);
    for (i = 0; i < 10; ++i) {
        r = start_in_session(p, s, cookie, csrf);
        assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    }
    r = start_in_session(p, s, cookie, csrf);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_TOO_MANY_REQUESTS);
    assert_string_equal(r->content_type, "text/html; charset=utf-8");
    html = nxs_stub_response(r);
    assert_non_null(strstr(html, "<h1>Please wait before connecting Slack again</h1>"));
    assert_non_null(strstr(html, "started 10 times in 10 minutes"));
    assert_non_null(strstr(html, "<a href=\"/slack/settings/\">"));
    retry = atol(apr_table_get(r->headers_out, "Retry-After"));
    assert_true(retry >= 590 && retry <= 600);
    assert_null(apr_table_get(r->headers_out, "Location"));
    assert_null(apr_table_get(r->err_headers_out, "Set-Cookie"));
    assert_true(nxs_stub_log_has("NXS00180: account acc_42: Slack install not started"));
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM nxs_oauth_states", p), 10);

    r = start_in_session(p, s, other, other_csrf);
    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
}

static void oauth_callback_without_state_or_code_is_400_page(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = oauth(p, oauth_server(p), "GET", OAUTH "/callback?code=abc");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_BAD_REQUEST);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>This install link is incomplete</h1>"));
    /* the page links back to the settings and clears the browser's state */
    assert_non_null(strstr(nxs_stub_response(r), "<a href=\"/slack/settings/\">"));
    assert_string_equal(apr_table_get(r->err_headers_out, "Set-Cookie"),
                        "__Host-nxs_oauth=;Max-Age=0;Path=/;HttpOnly;SameSite=Lax;Secure");
}

static void oauth_callback_with_an_unknown_state_is_400_expired(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = oauth(p, oauth_server(p), "GET", OAUTH "/callback?state=abc&code=def");

    nxs_fake_dbd_sqlite(p);
    apr_table_setn(r->headers_in, "Cookie", "__Host-nxs_oauth=browser");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_BAD_REQUEST);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>This install link has expired</h1>"));
}

/* Runs /start with a session: *st is the state sent to Slack, *cookie the
 * browser's half ("nxs_oauth=..."). */
static void start_install(apr_pool_t *p, server_rec *s, const char **st, const char **cookie)
{
    request_rec *r = start_with_session(p, s);
    const char *location, *set;

    assert_int_equal(glue_run(r), HTTP_MOVED_TEMPORARILY);
    location = apr_table_get(r->headers_out, "Location");
    *st = strstr(location, "&state=") + 7;
    set = apr_table_get(r->err_headers_out, "Set-Cookie");
    *cookie = apr_pstrmemdup(p, set, strcspn(set, ";"));
}

static void oauth_cancelled_in_slack_changes_nothing(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    request_rec *r;
    const char *cookie, *st;

    nxs_fake_dbd_sqlite(p);
    start_install(p, s, &st, &cookie);
    r = oauth(p, s, "GET", apr_pstrcat(p, OAUTH "/callback?error=access_denied&state=", st, NULL));
    apr_table_setn(r->headers_in, "Cookie", cookie);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_non_null(
        strstr(nxs_stub_response(r), "You cancelled the install in Slack. Nothing was changed."));
}

static void oauth_callback_with_slack_unreachable_is_502_and_the_state_is_spent(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    request_rec *r;
    const char *cookie, *st, *target;

    /* a closed local port stands in for Slack */
    assert_null(nxs_stub_directive(s, p, "NexteSlackAPIBase", "http://127.0.0.1:9/api", NULL));
    nxs_fake_dbd_sqlite(p);
    start_install(p, s, &st, &cookie);
    target = apr_pstrcat(p, OAUTH "/callback?code=c0de&state=", st, NULL);
    r = oauth(p, s, "GET", target);
    apr_table_setn(r->headers_in, "Cookie", cookie);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_BAD_GATEWAY);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>Slack could not be reached</h1>"));
    assert_true(nxs_stub_log_has("warn: oauth.v2.access failed: "));

    /* a state works once */
    r = oauth(p, s, "GET", target);
    apr_table_setn(r->headers_in, "Cookie", cookie);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_BAD_REQUEST);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>This install link has expired</h1>"));
}

static void oauth_callback_from_another_browser_is_400(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = oauth_server(p);
    request_rec *r;
    const char *cookie, *st;

    nxs_fake_dbd_sqlite(p);
    start_install(p, s, &st, &cookie);
    r = oauth(p, s, "GET", apr_pstrcat(p, OAUTH "/callback?code=c0de&state=", st, NULL));
    apr_table_setn(r->headers_in, "Cookie", "__Host-nxs_oauth=someone-elses");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_BAD_REQUEST);
    assert_non_null(strstr(nxs_stub_response(r), "<h1>This install link has expired</h1>"));
}

/* ---- the module's dispatch (mod_nexte_slack.c) ---- */

static void dispatch_declines_requests_that_are_not_its_handlers(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = glue_request(p, s, NULL, "GET", "/", NULL, NULL);

    assert_int_equal(glue_run(r), DECLINED);
    r = glue_request(p, s, "nexte-slack", "GET", "/", NULL, NULL);
    assert_int_equal(glue_run(r), DECLINED);
    r = glue_request(p, s, "default-handler", "GET", "/", NULL, NULL);
    assert_int_equal(glue_run(r), DECLINED);
    assert_string_equal(nxs_stub_response(r), "");
}

static void post_config_starts_no_daemon_on_the_checking_pass(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);

    nxs_stub_register_module(p);
    assert_non_null(nxs_stub_hooked_post_config());
    /* httpd's first, checking read of the configuration: no fork */
    nxs_stub_set_main_state(AP_SQ_MS_CREATE_PRE_CONFIG);
    assert_int_equal(nxs_stub_hooked_post_config()(p, p, p, s), OK);
    assert_false(nxs_stub_log_has("delivery daemon started"));
}

static void post_config_starts_no_daemon_where_the_module_is_unused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    nxs_stub_vhost(p, s, "v.test");
    nxs_stub_merge_vhosts(p, s);
    nxs_stub_register_module(p);
    nxs_stub_set_main_state(AP_SQ_MS_CREATE_CONFIG);
    assert_int_equal(nxs_stub_hooked_post_config()(p, p, p, s), OK);
    assert_false(nxs_stub_log_has("delivery daemon started"));
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(unknown_route_below_the_location_is_404),
    GLUE_TEST(launch_is_get_or_post_and_the_page_get_only),
    GLUE_TEST(forged_or_incomplete_launch_link_is_403_page),
    GLUE_TEST(expired_launch_link_says_so),
    GLUE_TEST(valid_launch_link_without_a_store_is_503_page),
    GLUE_TEST(valid_launch_link_opens_a_session_once),
    GLUE_TEST(server_without_an_event_secret_refuses_every_keyed_handler),
    GLUE_TEST(page_without_a_session_is_a_401_page),
    GLUE_TEST(page_with_a_forged_session_is_401_naming_why),
    GLUE_TEST(page_with_a_session_is_the_shell_under_a_strict_policy),
    GLUE_TEST(page_without_its_slash_redirects_to_it),
    GLUE_TEST(state_change_without_the_csrf_token_is_403),
    GLUE_TEST(session_with_its_csrf_token_reaches_the_api),
    GLUE_TEST(signed_call_must_name_a_valid_account_and_be_signed),
    GLUE_TEST(signed_call_reaches_the_api_and_its_store),
    GLUE_TEST(api_body_over_64_kib_is_413_before_authentication),
    GLUE_TEST(config_shows_settings_past_the_grace_as_purged_without_purging),
    GLUE_TEST(config_within_the_grace_shows_the_kept_settings_and_purge_at),
    GLUE_TEST(write_past_the_grace_purges_that_account_first),
    GLUE_TEST(launch_link_does_not_purge),
    GLUE_TEST(oauth_without_a_slack_app_is_500_and_logged),
    GLUE_TEST(oauth_refuses_other_methods_and_routes),
    GLUE_TEST(oauth_start_by_get_only_leads_to_the_settings_page),
    GLUE_TEST(oauth_start_needs_a_session),
    GLUE_TEST(oauth_start_needs_the_sessions_csrf_token),
    GLUE_TEST(oauth_start_sends_the_browser_to_slack_with_a_state),
    GLUE_TEST(oauth_start_is_limited_to_10_per_session_in_10_minutes),
    GLUE_TEST(oauth_callback_without_state_or_code_is_400_page),
    GLUE_TEST(oauth_callback_with_an_unknown_state_is_400_expired),
    GLUE_TEST(oauth_cancelled_in_slack_changes_nothing),
    GLUE_TEST(oauth_callback_with_slack_unreachable_is_502_and_the_state_is_spent),
    GLUE_TEST(oauth_callback_from_another_browser_is_400),
    GLUE_TEST(dispatch_declines_requests_that_are_not_its_handlers),
    GLUE_TEST(post_config_starts_no_daemon_on_the_checking_pass),
    GLUE_TEST(post_config_starts_no_daemon_where_the_module_is_unused),
};

NXS_RUN_TESTS(tests)
