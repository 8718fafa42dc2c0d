/* nexte-slack-interactions (handle/nxs_handle_interactions.c) through the
 * module's handler hook and the httpd stub: its refusals in order, 405 →
 * 413 → 401 → (store) → 409 → 415 → 400, the actions that need no
 * stored delivery, and what each sends the (fake) daemon to be counted.
 *
 * SQL is faked at link level (t/unit/stub/nxs_fakes.h): nxs_dbd_acquire
 * returns NULL (the 503 path) or a fresh SQLite store, which the replay
 * check (409) needs before the media type and payload are looked at.
 * "Mark as handled" is test_glue_handled.c. */
#include "glue_test.h"

#include <curl/curl.h>
#include <http_protocol.h>

#define FORM_TYPE "application/x-www-form-urlencoded"

/* A form body "payload=<JSON, percent-encoded as Slack does>". */
static const char *form(apr_pool_t *p, const char *json)
{
    char *enc = curl_easy_escape(NULL, json, 0);
    const char *out = apr_pstrcat(p, "payload=", enc, NULL);

    curl_free(enc);
    return out;
}

static const char *click(apr_pool_t *p, const char *action_id)
{
    return form(p, apr_pstrcat(p,
                               "{\"type\":\"block_actions\",\"team\":{\"id\":\"T1\"},\"user\":{"
                               "\"id\":\"U1\",\"username\":\"claire\"},\"channel\":{\"id\":\"C1\"},"
                               "\"container\":{\"message_ts\":\"1.2\"},\"actions\":[{\"action_id\":"
                               "\"",
                               action_id, "\",\"value\":\"d_abc\"}]}", NULL));
}

static request_rec *interaction(apr_pool_t *p, server_rec *s, const char *method, const char *ct,
                                const char *body)
{
    return glue_request(p, s, NXS_H_INTERACTIONS, method, "/slack/interactions", ct, body);
}

/* A signed form POST, as Slack sends it, to a server with a SQLite store. */
static request_rec *signed_form(void **state, const char *body)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = interaction(p, glue_configured_server(p), "POST", FORM_TYPE, body);

    glue_sign_slack(r, body);
    nxs_fake_dbd_sqlite(p);
    return r;
}

static void get_is_405(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = interaction(p, glue_configured_server(p), "GET", NULL, NULL);

    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "POST");
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_REFUSED("method_not_allowed"));
}

static void body_over_128_kib_is_413_and_logged(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, 128 * 1024 + 2);
    request_rec *r;

    memset(big, 'x', 128 * 1024 + 1);
    big[128 * 1024 + 1] = '\0';
    r = interaction(p, glue_configured_server(p), "POST", FORM_TYPE, big);
    assert_error_reply(r, glue_run(r), HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large");
    assert_string_equal(glue_json_str(r, "message"), "an interaction body is at most 128 KiB");
    assert_string_equal(nxs_stub_log(), "info: Slack interaction refused: status 413");
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_REFUSED("too_large"));
}

static void unsigned_or_badly_signed_is_401_before_the_store(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const char *body = click(p, "nxs_handled");
    request_rec *r = interaction(p, s, "POST", FORM_TYPE, body);
    const char *ts;

    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_signature");
    assert_string_equal(
        glue_json_str(r, "message"),
        "X-Slack-Request-Timestamp / X-Slack-Signature are missing, stale or wrong");
    assert_true(nxs_stub_log_has("info: Slack interaction refused: missing_signature"));

    r = interaction(p, s, "POST", FORM_TYPE, body);
    glue_sign_slack(r, body);
    apr_table_setn(r->headers_in, "X-Slack-Signature", "v1=abc");
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "malformed_signature");

    r = interaction(p, s, "POST", FORM_TYPE, body);
    glue_sign_slack(r, "payload=other");
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "bad_signature");

    r = interaction(p, s, "POST", FORM_TYPE, body);
    r->request_time -= apr_time_from_sec(301);
    glue_sign_slack(r, body);
    ts = apr_table_get(r->headers_in, "X-Slack-Request-Timestamp");
    r->request_time += apr_time_from_sec(301);
    assert_non_null(ts);
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "stale_timestamp");
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
    /* counted as refusals, not clicks: nothing of the payload is trusted */
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        apr_pstrcat(p, GLUE_IX_REFUSED("missing_signature"), "\n",
                                    GLUE_IX_REFUSED("malformed_signature"), "\n",
                                    GLUE_IX_REFUSED("bad_signature"), "\n",
                                    GLUE_IX_REFUSED("stale_timestamp"), NULL));
}

static void server_without_a_signing_secret_cannot_check_and_says_500(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *s = nxs_stub_server(p);
    request_rec *r;

    /* configured for events only: no NexteSlackSigningSecret */
    nxs_stub_set_runtime_dir(dir);
    assert_null(nxs_stub_directive(s, p, "NexteSlackEventSecret", GLUE_EVENT_SECRET, NULL));
    assert_null(
        nxs_stub_directive(s, p, "NexteSlackTokenKeyFile", glue_key_file(p, dir, 32), NULL));
    assert_null(nxs_stub_directive(s, p, "NexteSlackAppURL", "https://app.nexte.test", NULL));
    assert_null(nxs_config_finish(nxs_config_get(s), s, p));
    r = interaction(p, s, "POST", FORM_TYPE, "payload=%7B%7D");
    glue_sign_slack(r, "payload=%7B%7D");
    assert_error_reply(r, glue_run(r), HTTP_INTERNAL_SERVER_ERROR, "internal_error");
    assert_string_equal(glue_json_str(r, "message"), "the signature could not be checked");
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
    /* our failure, not a refusal: not counted */
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void signed_without_a_store_is_503(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *body = click(p, "nxs_handled");
    request_rec *r = interaction(p, glue_configured_server(p), "POST", FORM_TYPE, body);

    glue_sign_slack(r, body);
    assert_error_reply(r, glue_run(r), HTTP_SERVICE_UNAVAILABLE, "store_unavailable");
    assert_int_equal(nxs_fake_dbd_acquired(), 1);
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void same_signed_request_twice_is_409_replayed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *body = click(p, "nxs_open_record");
    request_rec *first = signed_form(state, body);
    request_rec *again = interaction(p, first->server, "POST", FORM_TYPE, body);

    assert_int_equal(glue_run(first), OK);
    assert_int_equal(first->status, HTTP_OK);
    apr_table_overlap(again->headers_in, first->headers_in, APR_OVERLAP_TABLES_SET);
    again->request_time = first->request_time;
    assert_error_reply(again, glue_run(again), HTTP_CONFLICT, "replayed_request");
    assert_true(nxs_stub_log_has("info: Slack interaction refused: replayed_request"));
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        GLUE_IX_CLICK "\n" GLUE_IX_REFUSED("replayed_request"));
}

static void signed_non_form_media_type_is_415(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = signed_form(state, click(p, "nxs_handled"));

    apr_table_setn(r->headers_in, "Content-Type", "application/json");
    assert_error_reply(r, glue_run(r), HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_REFUSED("unsupported_media_type"));
}

static void payloads_that_are_not_slack_interactions_are_400_each_named(void **state)
{
    static const struct {
        const char *body, *code;
    } cases[] = {
        {"token=x&team_id=T1", "no_payload"},
        {"payload=%7Bnot-json", "malformed_payload"},
        {"payload=%7B%7D", "missing_type"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        request_rec *r = signed_form(state, cases[i].body);
        assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, cases[i].code);
        assert_string_equal(glue_json_str(r, "message"),
                            "the body is not a Slack interaction payload");
    }
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        apr_pstrcat(nxs_test_pool(state), GLUE_IX_REFUSED("no_payload"), "\n",
                                    GLUE_IX_REFUSED("malformed_payload"), "\n",
                                    GLUE_IX_REFUSED("missing_type"), NULL));
}

static void other_payload_types_and_actions_are_400(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = signed_form(state, form(p, "{\"type\":\"view_submission\"}"));

    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "unknown_payload_type");
    assert_string_equal(glue_json_str(r, "message"),
                        "payload type view_submission is not handled here");

    r = signed_form(state, form(p, "{\"type\":\"block_actions\",\"actions\":[]}"));
    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "missing_action");

    r = signed_form(state, click(p, "evil\\\"action"));
    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "unknown_action");
    /* the action id is escaped before it is echoed */
    assert_string_equal(glue_json_str(r, "message"),
                        "action evil\\\"action is not one of this app's");
    /* a click is a block_actions payload with an action, whatever its fate */
    assert_string_equal(nxs_fake_daemon_all_requests(),
                        apr_pstrcat(p, GLUE_IX_REFUSED("unknown_payload_type"), "\n",
                                    GLUE_IX_REFUSED("missing_action"), "\n",
                                    GLUE_IX_CLICK_REFUSED("unknown_action"), NULL));
}

static void url_button_click_is_an_empty_200(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = signed_form(state, click(p, "nxs_open_record_inv_1042"));

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(r->content_type, "text/plain");
    assert_string_equal(nxs_stub_response(r), "");
    assert_string_equal(nxs_fake_daemon_all_requests(), GLUE_IX_CLICK);
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(get_is_405),
    GLUE_TEST(body_over_128_kib_is_413_and_logged),
    GLUE_TEST(unsigned_or_badly_signed_is_401_before_the_store),
    GLUE_TEST(server_without_a_signing_secret_cannot_check_and_says_500),
    GLUE_TEST(signed_without_a_store_is_503),
    GLUE_TEST(same_signed_request_twice_is_409_replayed),
    GLUE_TEST(signed_non_form_media_type_is_415),
    GLUE_TEST(payloads_that_are_not_slack_interactions_are_400_each_named),
    GLUE_TEST(other_payload_types_and_actions_are_400),
    GLUE_TEST(url_button_click_is_an_empty_200),
};

NXS_RUN_TESTS(tests)
