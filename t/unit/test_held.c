/* Specification of held events (nxs_held): when an account's held events
 * are released, kept or dropped, from its current plan, connection and
 * active hours; and their summary items as they travel and are stored. */
#include "nxs_test.h"

#include <string.h>

#include "nxs_held.h"
#include "nxs_json.h"

/* 2026-12-08T19:30:00Z, a Tuesday: 20:30 in Paris. */
#define TUE_2030_PARIS apr_time_from_sec(1796758200)
/* Wednesday 2026-12-09T08:00:00Z: 09:00 in Paris. */
#define WED_0900_PARIS apr_time_from_sec(1796803200)

static json_t *filters(apr_pool_t *p, const char *json)
{
    json_t *f = NULL;
    const char *why = NULL;

    assert_int_equal(nxs_json_load(&f, &why, json, strlen(json), p), APR_SUCCESS);
    return f;
}

#define OFFICE                                                                                     \
    "{\"active_hours\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"], \"start\": "         \
    "\"09:00\", \"end\": \"19:00\"}}"

static void held_events_wait_for_the_hours_then_are_released(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "en", "EUR", 0};
    json_t *f = filters(p, OFFICE);
    apr_time_t next = -1;

    /* Tuesday evening: kept until Wednesday 09:00 Paris */
    assert_int_equal(nxs_held_decide(&next, &a, 1, f, TUE_2030_PARIS, p), NXS_HELD_WAIT);
    assert_int_equal(next, WED_0900_PARIS);
    /* at 09:00 the window that was waited for is open: released */
    assert_int_equal(nxs_held_decide(&next, &a, 1, f, WED_0900_PARIS, p), NXS_HELD_RELEASE);
    /* and later in the day still (a server that was down at 09:00) */
    assert_int_equal(
        nxs_held_decide(&next, &a, 1, f, WED_0900_PARIS + apr_time_from_sec(5 * 3600), p),
        NXS_HELD_RELEASE);
    /* the current zone decides: New York is 14:30 on Tuesday, inside */
    a.timezone = "America/New_York";
    assert_int_equal(nxs_held_decide(&next, &a, 1, f, TUE_2030_PARIS, p), NXS_HELD_RELEASE);
}

static void a_downgrade_removed_hours_or_a_disconnect_end_the_wait(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "en", "EUR", 0};
    apr_time_t next = -1;

    /* below Agency, filters do not apply: released at once */
    a.plan = "team";
    assert_int_equal(nxs_held_decide(&next, &a, 1, filters(p, OFFICE), TUE_2030_PARIS, p),
                     NXS_HELD_RELEASE);
    a.plan = "agency";
    /* active hours removed (null), or no filters at all: released */
    assert_int_equal(
        nxs_held_decide(&next, &a, 1, filters(p, "{\"active_hours\": null}"), TUE_2030_PARIS, p),
        NXS_HELD_RELEASE);
    assert_int_equal(nxs_held_decide(&next, &a, 1, NULL, TUE_2030_PARIS, p), NXS_HELD_RELEASE);
    /* hours that became unreadable (a hand-written row): released, never
     * kept forever */
    assert_int_equal(nxs_held_decide(&next, &a, 1, filters(p, "{\"active_hours\": {\"days\": []}}"),
                                     TUE_2030_PARIS, p),
                     NXS_HELD_RELEASE);
    /* not connected any more: dropped, whatever the hours say */
    assert_int_equal(nxs_held_decide(&next, &a, 0, filters(p, OFFICE), TUE_2030_PARIS, p),
                     NXS_HELD_DROP);
    assert_int_equal(nxs_held_decide(&next, &a, 0, NULL, WED_0900_PARIS, p), NXS_HELD_DROP);
}

static void a_window_across_midnight_opens_in_the_evening(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "en", "EUR", 0};
    json_t *night = filters(p, "{\"active_hours\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\","
                               "\"fri\",\"sat\",\"sun\"], \"start\": \"22:00\", \"end\": "
                               "\"06:00\"}}");
    apr_time_t next = -1;

    /* Tuesday 20:30 Paris: opens at 22:00 (21:00Z) */
    assert_int_equal(nxs_held_decide(&next, &a, 1, night, TUE_2030_PARIS, p), NXS_HELD_WAIT);
    assert_int_equal(next, TUE_2030_PARIS + apr_time_from_sec(90 * 60));
    /* Wednesday 03:00 Paris is inside Tuesday's window */
    assert_int_equal(
        nxs_held_decide(&next, &a, 1, night, TUE_2030_PARIS + apr_time_from_sec(390 * 60), p),
        NXS_HELD_RELEASE);
}

static void items_travel_and_come_back_whole(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t in = {"payment.failed",
                             apr_time_from_sec(1796758200),
                             "1250.00",
                             "EUR",
                             "Payment failed: INV-42",
                             "Acme SARL",
                             "https://app.nexte.io/invoices/inv_42",
                             NXS_IMPORTANCE_URGENT};
    nxs_summary_item_t out;
    json_t *hold = nxs_held_hold_json("T1", "C1", "here", &in, apr_time_from_sec(1796758300), p);

    assert_string_equal(nxs_json_path_str(hold, "team"), "T1");
    assert_string_equal(nxs_json_path_str(hold, "channel"), "C1");
    assert_string_equal(nxs_json_path_str(hold, "mention"), "here");
    assert_int_equal(json_integer_value(json_object_get(hold, "held_at")), 1796758300);
    assert_int_equal(
        nxs_held_item_parse(&out, nxs_json_dump(json_object_get(hold, "item"), JSON_COMPACT, p), p),
        APR_SUCCESS);
    assert_string_equal(out.type, in.type);
    assert_int_equal(out.occurred_at, in.occurred_at);
    assert_string_equal(out.amount, in.amount);
    assert_string_equal(out.currency, in.currency);
    assert_string_equal(out.title, in.title);
    assert_string_equal(out.client, in.client);
    assert_string_equal(out.url, in.url);
    assert_int_equal(out.importance, NXS_IMPORTANCE_URGENT);
    /* an item without the optional parts, and its importance from its type */
    assert_int_equal(nxs_held_item_parse(&out, "{\"type\":\"invoice.paid\",\"occurred_at\":1}", p),
                     APR_SUCCESS);
    assert_null(out.amount);
    assert_null(out.title);
    assert_int_equal(out.importance, nxs_summary_importance("invoice.paid"));
    /* what is not an item */
    assert_int_equal(nxs_held_item_parse(&out, "{\"occurred_at\":1}", p), APR_EINVAL);
    assert_int_equal(nxs_held_item_parse(&out, "[", p), APR_EINVAL);
    assert_int_equal(nxs_held_item_parse(&out, NULL, p), APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(held_events_wait_for_the_hours_then_are_released),
    NXS_TEST(a_downgrade_removed_hours_or_a_disconnect_end_the_wait),
    NXS_TEST(a_window_across_midnight_opens_in_the_evening),
    NXS_TEST(items_travel_and_come_back_whole),
};

NXS_RUN_TESTS(tests)
