/* nexte-slack-events (handle/nxs_handle_events.c) through the module's
 * handler hook and the httpd stub: the order of its checks, 405 → 413 →
 * 401 → 415 → 400 → 422, each before anything is stored, then what happens
 * at the store and the delivery daemon.
 *
 * SQL and the daemon are faked at link level (t/unit/stub/nxs_fakes.h):
 * nxs_dbd_acquire returns NULL (the 503 path) or a fresh SQLite store;
 * nxs_daemon_request answers what each test sets, or NULL (unreachable).
 * No account here has a Slack workspace, so an accepted event reaches the
 * daemon with no delivery ("not_connected"); rendering is the core's and
 * has its own tests. */
#include "glue_test.h"

#include <http_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/nxs_directives.h"
#include "nxs_chores.h"
#include "nxs_json.h"
#include "store/nxs_store.h"

#define EVENT                                                                                      \
    "{\"id\":\"evt_01JD8Q5\",\"type\":\"invoice.paid\",\"account_id\":\"acc_42\","                 \
    "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"client\":{\"id\":\"cli_9\",\"name\":\"Acme "       \
    "SARL\"},\"amount\":{\"value\":\"1250.00\",\"currency\":\"EUR\"},\"record\":{\"kind\":"        \
    "\"invoice\",\"id\":\"inv_1042\",\"number\":\"INV-2026-042\"},\"data\":{\"method\":\"card\"}}"

static request_rec *event(void **state, const char *method, const char *ct, const char *body)
{
    apr_pool_t *p = nxs_test_pool(state);

    return glue_request(p, glue_configured_server(p), NXS_H_EVENTS, method, "/slack/events", ct,
                        body);
}

/* A signed JSON event, as Nexte core sends it. */
static request_rec *signed_event(void **state, const char *body)
{
    request_rec *r = event(state, "POST", "application/json", body);

    glue_sign_nexte(r, body);
    return r;
}

static void nothing_was_stored(void)
{
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void get_is_405_allowing_post(void **state)
{
    request_rec *r = event(state, "GET", NULL, NULL);

    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "POST");
    nothing_was_stored();
}

static void body_over_64_kib_is_413_before_the_signature_is_looked_at(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, 64 * 1024 + 2);
    request_rec *r;

    memset(big, ' ', 64 * 1024 + 1);
    big[64 * 1024 + 1] = '\0';
    r = event(state, "POST", "application/json", big); /* and unsigned */
    assert_error_reply(r, glue_run(r), HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large");
    assert_string_equal(glue_json_str(r, "message"), "an event body is at most 64 KiB");
    nothing_was_stored();
}

static void body_of_exactly_64_kib_passes_the_size_check(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, 64 * 1024 + 1);
    request_rec *r;

    memset(big, ' ', 64 * 1024);
    big[64 * 1024] = '\0';
    r = event(state, "POST", "application/json", big);
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_signature");
}

static void unsigned_event_is_401_missing_signature_and_logged(void **state)
{
    request_rec *r = event(state, "POST", "application/json", EVENT);

    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_signature");
    assert_string_equal(glue_json_str(r, "message"),
                        "X-Nexte-Timestamp / X-Nexte-Signature are missing, stale or wrong");
    assert_string_equal(nxs_stub_log(), "info: event refused: missing_signature");
    nothing_was_stored();
}

static void malformed_wrong_and_stale_signatures_are_401_each_named(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    request_rec *r = signed_event(state, EVENT);
    const char *ts = NULL, *sig = NULL;

    apr_table_setn(r->headers_in, "X-Nexte-Signature", "v1=nothex");
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "malformed_signature");

    r = signed_event(state, EVENT);
    nxs_stub_body(r, EVENT " ", strlen(EVENT) + 1); /* a body that is not the signed one */
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "bad_signature");

    r = event(state, "POST", "application/json", EVENT);
    assert_int_equal(nxs_sign_nexte_make(&ts, &sig, GLUE_EVENT_SECRET, strlen(GLUE_EVENT_SECRET),
                                         EVENT, strlen(EVENT),
                                         r->request_time - apr_time_from_sec(301), p),
                     APR_SUCCESS);
    apr_table_setn(r->headers_in, "X-Nexte-Timestamp", ts);
    apr_table_setn(r->headers_in, "X-Nexte-Signature", sig);
    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "stale_timestamp");
    nothing_was_stored();
}

static void signature_is_checked_before_the_media_type(void **state)
{
    request_rec *r = event(state, "POST", "text/plain", EVENT);

    assert_error_reply(r, glue_run(r), HTTP_UNAUTHORIZED, "missing_signature");
}

static void signed_non_json_media_type_is_415(void **state)
{
    request_rec *r = signed_event(state, EVENT);

    apr_table_setn(r->headers_in, "Content-Type", "text/plain");
    assert_error_reply(r, glue_run(r), HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    r = signed_event(state, EVENT);
    apr_table_unset(r->headers_in, "Content-Type");
    assert_error_reply(r, glue_run(r), HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    nothing_was_stored();
}

static void json_media_type_with_charset_is_accepted(void **state)
{
    request_rec *r = signed_event(state, "{oops");

    apr_table_setn(r->headers_in, "Content-Type", "Application/JSON; charset=utf-8");
    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "malformed_json");
}

static void signed_body_that_is_not_json_is_400_with_the_parsers_reason(void **state)
{
    request_rec *r = signed_event(state, "{\"id\": ");
    const char *msg;

    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "malformed_json");
    msg = glue_json_str(r, "message");
    assert_true(strncmp(msg, "the body is not JSON: ", 22) == 0);
    assert_true(strlen(msg) > 22);
    nothing_was_stored();
}

static void json_that_breaks_the_envelope_is_422_naming_the_field(void **state)
{
    request_rec *r = signed_event(state, "[1]");
    json_t *body;

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNPROCESSABLE_ENTITY);
    body = glue_json(r);
    assert_string_equal(json_string_value(json_object_get(body, "error")), "invalid_field");
    assert_string_equal(json_string_value(json_object_get(body, "field")), "(root)");
    assert_string_equal(json_string_value(json_object_get(body, "message")),
                        "(root) must be a JSON object");

    r = signed_event(state,
                     "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"account_id\":\"a\","
                     "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"client\":{\"id\":\"c\","
                     "\"name\":\"C\"},\"amount\":{\"value\":\"12,50\",\"currency\":\"EUR\"}}");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNPROCESSABLE_ENTITY);
    assert_string_equal(glue_json_str(r, "field"), "amount.value");
    assert_string_equal(glue_json_str(r, "message"),
                        "amount.value must be a decimal string such as \"1250.00\"");
    nothing_was_stored();
}

static void valid_event_without_a_store_is_503_to_retry(void **state)
{
    request_rec *r = signed_event(state, EVENT);

    assert_error_reply(r, glue_run(r), HTTP_SERVICE_UNAVAILABLE, "store_unavailable");
    assert_string_equal(apr_table_get(r->err_headers_out, "Retry-After"), "5");
    assert_int_equal(nxs_fake_dbd_acquired(), 1);
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void valid_event_with_the_daemon_down_is_503_queue_unavailable(void **state)
{
    request_rec *r = signed_event(state, EVENT);
    json_t *req, *work, *payload, *sent;

    nxs_fake_dbd_sqlite(r->pool);
    assert_error_reply(r, glue_run(r), HTTP_SERVICE_UNAVAILABLE, "queue_unavailable");
    assert_string_equal(glue_json_str(r, "message"), "the event could not be stored; retry later");
    assert_string_equal(apr_table_get(r->err_headers_out, "Retry-After"), "5");
    assert_true(nxs_stub_log_has(
        "error: event evt_01JD8Q5 of acc_42 not queued: delivery daemon unreachable"));
    /* what the daemon was asked: enqueue, idempotent per account and event,
     * no message (not connected) but the event's scheduled work (its recap
     * count), with the account's zone and currency */
    req = json_loads(nxs_fake_daemon_last_request(), 0, NULL);
    assert_non_null(req);
    assert_string_equal(nxs_json_path_str(req, "op"), "enqueue");
    assert_string_equal(nxs_json_path_str(req, "idem.account"), "acc_42");
    assert_string_equal(nxs_json_path_str(req, "idem.event_id"), "evt_01JD8Q5");
    assert_int_equal(json_array_size(json_object_get(req, "deliveries")), 1);
    work = json_array_get(json_object_get(req, "deliveries"), 0);
    assert_string_equal(nxs_json_path_str(work, "category"), NXS_CHORES_WORK_CATEGORY);
    assert_null(json_object_get(work, "channel")); /* it goes to no channel */
    assert_string_equal(nxs_json_path_str(work, "event_id"), "evt_01JD8Q5");
    payload = json_loads(nxs_json_path_str(work, "payload"), 0, NULL);
    sent = json_loads(EVENT, 0, NULL);
    assert_true(json_equal(json_object_get(payload, "event"), sent));
    assert_string_equal(nxs_json_path_str(payload, "timezone"), "UTC");
    assert_string_equal(nxs_json_path_str(payload, "currency"), "EUR");
    json_decref(sent);
    json_decref(payload);
    json_decref(req);
}

static void daemon_refusal_is_503_with_its_error_code(void **state)
{
    request_rec *r = signed_event(state, EVENT);

    nxs_fake_dbd_sqlite(r->pool);
    nxs_fake_daemon_reply("{\"ok\":false,\"error\":\"disk_full\"}");
    assert_error_reply(r, glue_run(r), HTTP_SERVICE_UNAVAILABLE, "disk_full");
    assert_true(nxs_stub_log_has("not queued: disk_full"));
}

static void queued_event_of_an_unconnected_account_is_202_with_the_reason(void **state)
{
    request_rec *r = signed_event(state, EVENT);

    nxs_fake_dbd_sqlite(r->pool);
    nxs_fake_daemon_reply("{\"ok\":true}");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_ACCEPTED);
    assert_string_equal(nxs_stub_response(r),
                        "{\"status\":\"queued\",\"deliveries\":0,\"reason\":\"not_connected\"}\n");
    assert_int_equal(nxs_fake_daemon_requests(), 1);
}

static void event_the_daemon_already_has_is_200_duplicate(void **state)
{
    request_rec *r = signed_event(state, EVENT);

    nxs_fake_dbd_sqlite(r->pool);
    nxs_fake_daemon_reply("{\"ok\":true,\"duplicate\":true}");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(nxs_stub_response(r), "{\"status\":\"duplicate\"}\n");
}

#define ACCOUNT_UPDATED(data)                                                                      \
    "{\"id\":\"evt_2\",\"type\":\"account.updated\",\"account_id\":\"acc_42\","                    \
    "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"data\":" data "}"

static void account_update_with_a_bad_field_is_422_naming_data_field(void **state)
{
    request_rec *r = signed_event(state, ACCOUNT_UPDATED("{\"locale\":\"de\"}"));

    nxs_fake_dbd_sqlite(r->pool);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_UNPROCESSABLE_ENTITY);
    assert_string_equal(glue_json_str(r, "error"), "invalid_field");
    assert_string_equal(glue_json_str(r, "field"), "data.locale");
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void account_update_is_stored_and_not_posted(void **state)
{
    request_rec *r = signed_event(state, ACCOUNT_UPDATED("{\"locale\":\"fr\",\"future\":1}"));

    nxs_fake_dbd_sqlite(r->pool);
    nxs_fake_daemon_reply("{\"ok\":true}");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_ACCEPTED);
    assert_string_equal(nxs_stub_response(r),
                        "{\"status\":\"queued\",\"deliveries\":0,\"reason\":\"not_posted\"}\n");
}

/* acc_42 on the Agency plan, connected, payments -> C0PAY; FILTERS saved. */
static void agency_with_filters(nxs_db_t *db, const char *filters, apr_pool_t *p)
{
    nxs_workspace_t w = {"acc_42", "T1", "Team", "U1", "chat:write", "sealed", NULL, 0, 1, 1, 0};
    nxs_account_t a = {"acc_42", "agency", "Europe/Paris", "en", "EUR", 0};

    assert_int_equal(nxs_store_account_ensure(db, "acc_42", 1, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_update(db, &a, 1, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_install(db, &w, p), APR_SUCCESS);
    assert_int_equal(nxs_store_category_set_channel(db, "acc_42", "payments", "C0PAY", "pay", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_store_filters_put(db, "acc_42", filters, 1, p), APR_SUCCESS);
}

/* The last frame's deliveries: how many messages, and whether the event's
 * scheduled work (its recap count) was in it. */
static void last_frame(int *messages, int *work, const char **reason)
{
    json_t *req = json_loads(nxs_fake_daemon_last_request(), 0, NULL);
    const json_t *d;
    size_t i;

    assert_non_null(req);
    *messages = *work = 0;
    json_array_foreach(json_object_get(req, "deliveries"), i, d)
    {
        if (strcmp(nxs_json_path_str(d, "category"), NXS_CHORES_WORK_CATEGORY) == 0) {
            ++*work;
        } else {
            ++*messages;
        }
    }
    *reason = nxs_json_path_str(req, "reason") ? strdup(nxs_json_path_str(req, "reason")) : NULL;
    json_decref(req);
}

static void a_filtered_event_is_counted_for_the_recap_and_its_reason_sent(void **state)
{
    request_rec *r = signed_event(state, EVENT); /* invoice.paid 1250.00 EUR */
    nxs_db_t *db = nxs_fake_dbd_sqlite(r->pool);
    const char *reason = NULL;
    int messages = -1, work = -1;

    agency_with_filters(db, "{\"amount_thresholds\": {\"payments\": \"2000.00\"}}", r->pool);
    nxs_fake_daemon_reply("{\"ok\":true}");
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_ACCEPTED);
    assert_string_equal(
        nxs_stub_response(r),
        "{\"status\":\"queued\",\"deliveries\":0,\"reason\":\"below_threshold\"}\n");
    /* nothing to post, but the daily recap still counts it (docs/FILTERS.md),
     * and the daemon gets the reason to count */
    last_frame(&messages, &work, &reason);
    assert_int_equal(messages, 0);
    assert_int_equal(work, 1);
    assert_string_equal(reason, "below_threshold");
    free((void *)reason);
}

static void an_event_outside_the_hours_is_held_with_its_summary_item(void **state)
{
    request_rec *r = signed_event(state, EVENT);
    nxs_db_t *db = nxs_fake_dbd_sqlite(r->pool);
    const char *reason = NULL;
    json_t *req, *payload;
    int messages = -1, work = -1;

    /* hours that are never now: one minute on Sundays at 03:00 */
    agency_with_filters(db,
                        "{\"active_hours\": {\"days\": [\"sun\"], \"start\": \"03:00\", "
                        "\"end\": \"03:01\"}}",
                        r->pool);
    nxs_fake_daemon_reply("{\"ok\":true}");
    assert_int_equal(glue_run(r), OK);
    assert_string_equal(
        nxs_stub_response(r),
        "{\"status\":\"queued\",\"deliveries\":0,\"reason\":\"outside_active_hours\"}\n");
    last_frame(&messages, &work, &reason);
    assert_int_equal(messages, 0);
    assert_int_equal(work, 1);
    assert_string_equal(reason, "outside_active_hours");
    free((void *)reason);
    req = json_loads(nxs_fake_daemon_last_request(), 0, NULL);
    payload = json_loads(
        nxs_json_path_str(json_array_get(json_object_get(req, "deliveries"), 0), "payload"), 0,
        NULL);
    assert_string_equal(nxs_json_path_str(payload, "hold.channel"), "C0PAY");
    assert_string_equal(nxs_json_path_str(payload, "hold.team"), "T1");
    assert_string_equal(nxs_json_path_str(payload, "hold.item.type"), "invoice.paid");
    assert_string_equal(nxs_json_path_str(payload, "hold.item.amount"), "1250.00");
    json_decref(payload);
    json_decref(req);
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(get_is_405_allowing_post),
    GLUE_TEST(a_filtered_event_is_counted_for_the_recap_and_its_reason_sent),
    GLUE_TEST(an_event_outside_the_hours_is_held_with_its_summary_item),
    GLUE_TEST(body_over_64_kib_is_413_before_the_signature_is_looked_at),
    GLUE_TEST(body_of_exactly_64_kib_passes_the_size_check),
    GLUE_TEST(unsigned_event_is_401_missing_signature_and_logged),
    GLUE_TEST(malformed_wrong_and_stale_signatures_are_401_each_named),
    GLUE_TEST(signature_is_checked_before_the_media_type),
    GLUE_TEST(signed_non_json_media_type_is_415),
    GLUE_TEST(json_media_type_with_charset_is_accepted),
    GLUE_TEST(signed_body_that_is_not_json_is_400_with_the_parsers_reason),
    GLUE_TEST(json_that_breaks_the_envelope_is_422_naming_the_field),
    GLUE_TEST(valid_event_without_a_store_is_503_to_retry),
    GLUE_TEST(valid_event_with_the_daemon_down_is_503_queue_unavailable),
    GLUE_TEST(daemon_refusal_is_503_with_its_error_code),
    GLUE_TEST(queued_event_of_an_unconnected_account_is_202_with_the_reason),
    GLUE_TEST(event_the_daemon_already_has_is_200_duplicate),
    GLUE_TEST(account_update_with_a_bad_field_is_422_naming_data_field),
    GLUE_TEST(account_update_is_stored_and_not_posted),
};

NXS_RUN_TESTS(tests)
