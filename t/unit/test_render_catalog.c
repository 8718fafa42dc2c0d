/* Specification of the event catalog (docs/CONTRACT.md "Events") that ingest, routing and
 * rendering share: categories, what Nexte core may send, what is posted. */
#include "nxs_test.h"

#include "test_render_helpers.h"

#include "event/nxs_event.h"

static void each_type_has_its_category(void **state)
{
    static const char *const expected[][2] = {
        {"invoice.paid", "payments"},
        {"payment.failed", "payments"},
        {"subscription.renewed", "payments"},
        {"refund.issued", "payments"},
        {"quote.sent", "quotes"},
        {"quote.opened", "quotes"},
        {"quote.accepted", "quotes"},
        {"quote.declined", "quotes"},
        {"lead.received", "contacts"},
        {"appointment.booked", "booking"},
        {"appointment.cancelled", "booking"},
        {"appointment.reschedule_requested", "booking"},
        {"appointment.starting_soon", "booking"},
        {"invoice.overdue", "alerts"},
        {"project.paused", "alerts"},
        {"integration.error", "alerts"},
        {"plan.quota_nearly_reached", "alerts"},
        {"recap.daily", "recap"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        assert_string_equal(nxs_event_category(expected[i][0]), expected[i][1]);
        assert_true(nxs_event_category_known(expected[i][1]));
    }
}

static void silent_and_unknown_types_have_no_category(void **state)
{
    (void)state;
    assert_null(nxs_event_category("account.updated"));
    assert_null(nxs_event_category("appointment.rescheduled"));
    assert_null(nxs_event_category("invoice.eaten"));
    assert_null(nxs_event_category(NULL));
    assert_false(nxs_event_category_known("marketing"));
}

static void core_may_send_the_catalog_but_not_the_module_own_types(void **state)
{
    (void)state;
    assert_true(nxs_event_from_core("invoice.paid"));
    assert_true(nxs_event_from_core("account.updated"));
    assert_true(nxs_event_from_core("appointment.rescheduled"));
    assert_false(nxs_event_from_core("appointment.starting_soon"));
    assert_false(nxs_event_from_core("recap.daily"));
    assert_false(nxs_event_from_core("Invoice.Paid"));
}

static void names_and_types_round_trip(void **state)
{
    (void)state;
    for (int t = NXS_EVT_UNKNOWN + 1; t < NXS_EVT_COUNT; t++) {
        assert_int_equal(nxs_event_type_parse(nxs_event_type_name((nxs_event_type_e)t)), t);
    }
    assert_int_equal(nxs_event_type_parse("nope"), NXS_EVT_UNKNOWN);
    assert_null(nxs_event_type_name(NXS_EVT_UNKNOWN));
}

static void an_overdue_invoice_is_posted_only_after_seven_days(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_false(nxs_event_is_postable("invoice.overdue", parse("{'days_overdue': 7}", p)));
    assert_true(nxs_event_is_postable("invoice.overdue", parse("{'days_overdue': 8}", p)));
    assert_false(nxs_event_is_postable("invoice.overdue", parse("{'days_overdue': '30'}", p)));
    assert_false(nxs_event_is_postable("invoice.overdue", parse("{}", p)));
    assert_false(nxs_event_is_postable("invoice.overdue", NULL));
}

static void other_types_are_posted_whatever_their_data(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_true(nxs_event_is_postable("invoice.paid", NULL));
    assert_true(nxs_event_is_postable("lead.received", parse("{}", p)));
    assert_false(nxs_event_is_postable("account.updated", parse("{'locale': 'fr'}", p)));
    assert_false(nxs_event_is_postable("appointment.rescheduled", NULL));
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(each_type_has_its_category),
    NXS_TEST(silent_and_unknown_types_have_no_category),
    NXS_TEST(core_may_send_the_catalog_but_not_the_module_own_types),
    NXS_TEST(names_and_types_round_trip),
    NXS_TEST(an_overdue_invoice_is_posted_only_after_seven_days),
    NXS_TEST(other_types_are_posted_whatever_their_data),
};

NXS_RUN_TESTS(tests)
