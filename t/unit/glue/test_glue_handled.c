/* "Mark as handled" (handle/nxs_interaction_handled.c) through the
 * interactions handler, the module's handler hook and the httpd stub, with
 * a delivery recorded in the SQL fake's SQLite store as the daemon records
 * a posted message: the click's refusals (400 invalid_field, 404
 * unknown_delivery, 403 delivery_mismatch), the first handler recorded and
 * answered 200 before anything else is tried, a later click showing the
 * first handler, and what each sends the (fake) daemon to be counted.
 *
 * No Slack here: the account has no workspace, so chat.update has no token,
 * and a response_url points at a closed local port; the test checks what
 * the handler logs about it.  No NexteSlackCallbackURL but once (a closed
 * port, to count a failed report): the report itself is left to
 * t/interactions/handled.t. */
#include "glue_test.h"
#include "test_log_capture.h"

#include <curl/curl.h>
#include <http_protocol.h>

#include "event/nxs_envelope.h"
#include "render/nxs_render.h"
#include "store/nxs_store.h"

#define FORM_TYPE "application/x-www-form-urlencoded"

#define EVENT                                                                                      \
    "{\"id\":\"evt_1\",\"type\":\"quote.accepted\",\"account_id\":\"acc_42\","                     \
    "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"client\":{\"id\":\"cli_9\",\"name\":\"Acme "       \
    "SARL\"},\"record\":{\"kind\":\"quote\",\"id\":\"q_7\",\"number\":\"Q-2026-007\"},"            \
    "\"amount\":{\"value\":\"980.00\",\"currency\":\"EUR\"}}"

/* Records delivery d_abc of acc_42 in team T1, channel C1, ts 1.2, as the
 * daemon records a message Slack accepted. */
static nxs_db_t *posted_delivery(apr_pool_t *p)
{
    nxs_db_t *db = nxs_fake_dbd_sqlite(p);
    static const nxs_render_settings_t rs = {
        "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.test", "d_abc"};
    json_t *root = NULL, *msg = NULL;
    const char *why = NULL, *field = NULL;
    nxs_envelope_t env;
    nxs_delivery_t d;

    assert_int_equal(nxs_json_load(&root, &why, EVENT, strlen(EVENT), p), APR_SUCCESS);
    assert_int_equal(nxs_envelope_parse(&env, &field, &why, root, p), APR_SUCCESS);
    assert_int_equal(nxs_render_event(&msg, &why, root, &rs, p), APR_SUCCESS);
    json_object_set_new(msg, "channel", json_string("C1"));
    memset(&d, 0, sizeof(d));
    d.delivery_id = "d_abc";
    d.account_id = "acc_42";
    d.team_id = "T1";
    d.channel_id = "C1";
    d.message_ts = "1.2";
    d.event_id = "evt_1";
    d.record_json = "{\"kind\":\"quote\",\"id\":\"q_7\"}";
    d.message_json = nxs_json_dump(msg, JSON_COMPACT, p);
    d.posted_at = apr_time_sec(apr_time_now());
    assert_int_equal(nxs_store_delivery_put(db, &d, p), APR_SUCCESS);
    return db;
}

/* A signed click on "Mark as handled" with VALUE, from TEAM/CHANNEL, by USER. */
static request_rec *click(apr_pool_t *p, server_rec *s, const char *value, const char *team,
                          const char *channel, const char *user, const char *response_url)
{
    const char *json = apr_pstrcat(
        p, "{\"type\":\"block_actions\",\"team\":{\"id\":\"", team, "\"},\"user\":{\"id\":\"", user,
        "\",\"username\":\"claire\"},\"channel\":{\"id\":\"", channel,
        "\"},\"container\":{\"message_ts\":\"1.2\"},",
        response_url ? apr_pstrcat(p, "\"response_url\":\"", response_url, "\",", NULL) : "",
        "\"actions\":[{\"action_id\":\"nxs_handled\",\"value\":\"", value, "\"}]}", NULL);
    char *enc = curl_easy_escape(NULL, json, 0);
    const char *body = apr_pstrcat(p, "payload=", enc, NULL);
    request_rec *r;

    curl_free(enc);
    r = glue_request(p, s, NXS_H_INTERACTIONS, "POST", "/slack/interactions", FORM_TYPE, body);
    glue_sign_slack(r, body);
    return r;
}

static void malformed_delivery_id_is_400_invalid_field(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r;

    posted_delivery(p);
    r = click(p, s, "abc", "T1", "C1", "U1", NULL);
    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "invalid_field");
    assert_string_equal(glue_json_str(r, "message"), "actions[0].value is missing or malformed");
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_CLICK_REFUSED("invalid_field"));
}

static void unknown_delivery_is_404(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r;

    posted_delivery(p);
    r = click(p, s, "d_other", "T1", "C1", "U1", NULL);
    assert_error_reply(r, glue_run(r), HTTP_NOT_FOUND, "unknown_delivery");
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_CLICK_REFUSED("unknown_delivery"));
}

static void click_from_elsewhere_is_403_and_records_nothing(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    nxs_db_t *db = posted_delivery(p);
    nxs_delivery_t *d = NULL;
    request_rec *r = click(p, s, "d_abc", "T2", "C1", "U1", NULL);

    assert_error_reply(r, glue_run(r), HTTP_FORBIDDEN, "delivery_mismatch");
    assert_true(nxs_stub_log_has("warn: click on delivery d_abc from team T2, channel C1: it was "
                                 "posted to team T1, channel C1"));
    r = click(p, s, "d_abc", "T1", "C9", "U1", NULL);
    assert_error_reply(r, glue_run(r), HTTP_FORBIDDEN, "delivery_mismatch");
    assert_int_equal(nxs_store_delivery_get(&d, db, "d_abc", p), APR_SUCCESS);
    assert_null(d->handled_by);
    assert_string_equal(nxs_fake_daemon_last_request(), GLUE_IX_CLICK_REFUSED("delivery_mismatch"));
}

static void user_that_is_not_slacks_is_400_before_anything_is_recorded(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    nxs_db_t *db = posted_delivery(p);
    nxs_delivery_t *d = NULL;
    request_rec *r = click(p, s, "d_abc", "T1", "C1", "not-a-user", NULL);

    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "invalid_field");
    assert_true(strncmp(glue_json_str(r, "message"), "cannot show the handler: ", 25) == 0);
    assert_int_equal(nxs_store_delivery_get(&d, db, "d_abc", p), APR_SUCCESS);
    assert_null(d->handled_by);
}

static void first_click_is_recorded_and_answered_before_slack_is_tried(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    nxs_db_t *db = posted_delivery(p);
    nxs_delivery_t *d = NULL;
    request_rec *r = click(p, s, "d_abc", "T1", "C1", "U0CLAIRE1", NULL);

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(nxs_stub_response(r), "");
    /* the empty 200 is flushed to Slack before the message update */
    assert_int_equal(nxs_stub_flushes(r), 1);
    assert_true(nxs_stub_log_has("info: delivery d_abc marked handled by U0CLAIRE1"));
    assert_false(nxs_stub_log_has("(earlier click)"));
    /* no workspace, so no token, and no response_url: said, not fatal */
    assert_true(nxs_stub_log_has("warn: delivery d_abc: chat.update failed (no_token) and the "
                                 "click has no response_url"));
    assert_int_equal(nxs_store_delivery_get(&d, db, "d_abc", p), APR_SUCCESS);
    assert_string_equal(d->handled_by, "U0CLAIRE1");
    assert_string_equal(d->handled_name, "claire");
    assert_true(d->handled_at > 0);
    /* counted after the 200 went; no callback URL, so no report */
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        "{\"click\":true,\"handled\":true,\"op\":\"interaction\"}");
}

static void later_click_shows_the_first_handler_and_changes_nothing(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    nxs_db_t *db = posted_delivery(p);
    nxs_delivery_t *d = NULL;
    request_rec *r = click(p, s, "d_abc", "T1", "C1", "U0CLAIRE1", NULL);

    assert_int_equal(glue_run(r), OK);
    /* Slack's hooks are the only place a response_url may point to... */
    r = click(p, s, "d_abc", "T1", "C1", "U0BOB2", "http://127.0.0.1:9/respond");
    lc_start(NXS_LOG_WARNING);
    assert_int_equal(glue_run(r), OK);
    assert_non_null(lc_find("NXS00152", "the click's response_url is not below "
                                        "https://hooks.slack.com (NexteSlackResponseURLBase)"));
    lc_stop();
    assert_false(nxs_stub_log_has("updating through response_url"));
    /* ...unless NexteSlackResponseURLBase says otherwise (a test Slack) */
    assert_null(nxs_stub_directive(s, p, "NexteSlackResponseURLBase", "http://127.0.0.1:9", NULL));
    r = click(p, s, "d_abc", "T1", "C1", "U0DAVE3", "http://127.0.0.1:9/respond");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_true(nxs_stub_log_has("marked handled by U0CLAIRE1 (earlier click)"));
    /* the update falls back to the click's response_url, which fails here */
    assert_true(nxs_stub_log_has("info: delivery d_abc: chat.update failed (no_token); updating "
                                 "through response_url"));
    assert_true(nxs_stub_log_has("warn: delivery d_abc: the message could not be updated "
                                 "(response_url: "));
    assert_int_equal(nxs_store_delivery_get(&d, db, "d_abc", p), APR_SUCCESS);
    assert_string_equal(d->handled_by, "U0CLAIRE1");
    /* a click, but not the one that handled the message */
    assert_string_equal(nxs_fake_daemon_last_request(), GLUE_IX_CLICK);
}

/* The report to Nexte core is counted as under way once the click is
 * answered, then as failed when NexteSlackCallbackURL (a closed port here)
 * never took it. */
static void report_nexte_core_never_took_is_counted_as_failed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r;

    assert_null(nxs_stub_directive(s, p, NXS_D_CALLBACK_URL, "http://127.0.0.1:9/cb", NULL));
    posted_delivery(p);
    r = click(p, s, "d_abc", "T1", "C1", "U0CLAIRE1", NULL);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_true(nxs_stub_log_has("warn: delivery d_abc: NexteSlackCallbackURL did not take the "
                                 "handled report after 3 tries"));
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        "{\"callback\":\"started\",\"click\":true,\"handled\":true,\"op\":"
                        "\"interaction\"}\n{\"callback\":\"failed\",\"op\":\"interaction\"}");
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(malformed_delivery_id_is_400_invalid_field),
    GLUE_TEST(unknown_delivery_is_404),
    GLUE_TEST(click_from_elsewhere_is_403_and_records_nothing),
    GLUE_TEST(user_that_is_not_slacks_is_400_before_anything_is_recorded),
    GLUE_TEST(first_click_is_recorded_and_answered_before_slack_is_tried),
    GLUE_TEST(later_click_shows_the_first_handler_and_changes_nothing),
    GLUE_TEST(report_nexte_core_never_took_is_counted_as_failed),
};

NXS_RUN_TESTS(tests)
