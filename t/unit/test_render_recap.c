/* Specification of the daily recap and of the active-hours summary. */
#include "nxs_test.h"

#include "test_render_helpers.h"

#define NNBSP "\xE2\x80\xAF" /* U+202F: French digit groups */
#define NBSP  "\xC2\xA0"     /* U+00A0: French, before "€" and ":" */

static const nxs_render_settings_t en = {
    "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", NULL};
static const nxs_render_settings_t fr = {
    "fr", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", NULL};

static const nxs_recap_money_t money[] = {
    {"EUR", "3400.00", "290.00", "120.00"},
    {"JPY", "150000", NULL, NULL},
};

static const nxs_recap_t yesterday = {"2026-11-27", money, 2, 6, 1, 3, 4, 2, 5};

static json_t *recap_ok(const nxs_recap_t *recap, const nxs_render_settings_t *s, apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    if (nxs_render_recap(&msg, &why, recap, s, p) != APR_SUCCESS) {
        fail_msg("recap refused: %s", why);
    }
    assert_within_slack_limits(msg, s->mention);
    return msg;
}

static const char *field(const json_t *msg, size_t i)
{
    const json_t *b;
    size_t n;

    json_array_foreach(json_object_get(msg, "blocks"), n, b)
    {
        if (json_object_get(b, "fields")) {
            return nxs_json_path_str(json_array_get(json_object_get(b, "fields"), i), "text");
        }
    }
    return NULL;
}

static void the_recap_sums_revenue_per_currency(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = recap_ok(&yesterday, &en, p);

    assert_string_equal(block_text(msg, "header"), "📊 Daily recap: Friday, November 27, 2026");
    /* 3400.00 + 290.00 - 120.00, exactly. */
    assert_string_equal(block_text(msg, "section"), "*Revenue:* €3,570.00 · ¥150,000");
    assert_string_equal(block_text(msg, "context"),
                        "€3,570.00 = paid €3,400.00 + renewals €290.00 − refunds €120.00\n"
                        "¥150,000 = paid ¥150,000 + renewals ¥0 − refunds ¥0");
    assert_string_equal(nxs_json_path_str(msg, "text"),
                        "📊 Daily recap: Friday, November 27, 2026 — *Revenue:* €3,570.00 · "
                        "¥150,000");
}

static void the_recap_counts_the_day(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = recap_ok(&yesterday, &en, p);

    assert_string_equal(field(msg, 0), "*Payments*\n6");
    assert_string_equal(field(msg, 1), "*Failed payments*\n1");
    assert_string_equal(field(msg, 2), "*New leads*\n3");
    assert_string_equal(field(msg, 3), "*Quotes sent*\n4");
    assert_string_equal(field(msg, 4), "*Quotes accepted*\n2");
    assert_string_equal(field(msg, 5), "*Appointments booked*\n5");
    assert_null(button(msg, NXS_ACTION_HANDLED));
    assert_string_equal(nxs_json_path_str(button(msg, NXS_ACTION_OPEN_RECORD), "url"),
                        "https://app.nexte.io/dashboard");
}

static void the_recap_in_french(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = fr;
    json_t *msg;

    s.mention = NXS_MENTION_CHANNEL;
    msg = recap_ok(&yesterday, &s, p);
    assert_string_equal(block_text(msg, "header"),
                        "📊 Récap quotidien" NBSP ": vendredi 27 novembre 2026");
    assert_string_equal(block_text(msg, "section"),
                        "<!channel> *Chiffre d’affaires" NBSP ":* 3" NNBSP "570,00" NBSP
                        "€ · 150" NNBSP "000" NBSP "JPY");
    assert_string_equal(field(msg, 5), "*Rendez-vous réservés*\n5");
}

static void a_day_without_money_says_so(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_recap_t quiet = {"2026-11-27", NULL, 0, 0, 0, 1, 0, 0, 0};
    json_t *msg = recap_ok(&quiet, &en, p);

    assert_string_equal(block_text(msg, "section"), "*Revenue:* No revenue");
    assert_null(block(msg, "context"));
}

static void a_day_of_refunds_is_negative(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_recap_money_t refunds = {"EUR", NULL, NULL, "75.50"};
    nxs_recap_t bad_day = {"2026-11-27", &refunds, 1, 0, 0, 0, 0, 0, 0};

    assert_string_equal(block_text(recap_ok(&bad_day, &en, p), "section"), "*Revenue:* -€75.50");
}

static void a_malformed_recap_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_recap_money_t bad_money = {"EUR", "12,50", NULL, NULL};
    nxs_recap_t recap = yesterday;
    json_t *msg;
    const char *why;

    recap.day = "27/11/2026";
    assert_int_equal(nxs_render_recap(&msg, &why, &recap, &en, p), APR_EINVAL);
    assert_string_equal(why, "day: a date such as \"2026-11-27\"");
    recap = yesterday;
    recap.money = &bad_money;
    recap.money_count = 1;
    assert_int_equal(nxs_render_recap(&msg, &why, &recap, &en, p), APR_EINVAL);
    assert_string_equal(why, "money: paid, renewals and refunds are decimal strings");
    recap = yesterday;
    recap.new_leads = -1;
    assert_int_equal(nxs_render_recap(&msg, &why, &recap, &en, p), APR_EINVAL);
}

static void a_recap_is_read_from_json(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_recap_t *recap = NULL;
    const char *why = NULL;

    assert_int_equal(nxs_render_recap_read(&recap, &why,
                                           parse("{'day': '2026-11-27', 'money': [{'currency': "
                                                 "'EUR', 'paid': '10.00'}], 'payments': 1, "
                                                 "'new_leads': 2}",
                                                 p),
                                           p),
                     APR_SUCCESS);
    assert_string_equal(recap->day, "2026-11-27");
    assert_int_equal(recap->money_count, 1);
    assert_string_equal(recap->money[0].paid, "10.00");
    assert_null(recap->money[0].refunds);
    assert_int_equal(recap->payments, 1);
    assert_int_equal(recap->new_leads, 2);
    assert_int_equal(recap->quotes_sent, 0);
    assert_int_equal(
        nxs_render_recap_read(&recap, &why, parse("{'day': '2026-11-27', 'payments': -3}", p), p),
        APR_EINVAL);
    assert_string_equal(why, "payments: a whole number, zero or more");
}

static json_t *summary_ok(const json_t *events, const nxs_render_settings_t *s, apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    if (nxs_render_summary(&msg, &why, events, s, p) != APR_SUCCESS) {
        fail_msg("summary refused: %s", why);
    }
    assert_within_slack_limits(msg, s->mention);
    return msg;
}

static json_t *held(int n, apr_pool_t *p)
{
    const char *types[] = {"invoice.paid", "lead.received", "quote.accepted"};
    json_t *events = nxs_json_own(json_array(), p);

    for (int i = 0; i < n; i++) {
        json_array_append(events, fixture(types[i % 3], p));
    }
    return events;
}

static void a_summary_lists_each_held_event_with_a_link(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en;
    json_t *msg;
    const json_t *first;

    s.mention = NXS_MENTION_HERE;
    msg = summary_ok(held(3, p), &s, p);
    assert_string_equal(block_text(msg, "header"), "🌅 3 events while you were away");
    assert_string_equal(block_text(msg, "section"),
                        "<!here> Held outside your active hours, oldest first.");
    assert_string_equal(nxs_json_path_str(msg, "text"), "<!here> 🌅 3 events while you were away");
    assert_int_equal(json_array_size(json_object_get(msg, "blocks")), 5);
    first = json_array_get(json_object_get(msg, "blocks"), 2);
    assert_string_equal(nxs_json_path_str(first, "text.text"),
                        "💰 *Invoice INV-2026-042 paid*\n"
                        "<!date^1795856352^{date_short_pretty} at {time}|Nov 28, 2026, "
                        "9:59" NNBSP "AM GMT+1> · €1,250.00 · Acme SARL");
    assert_string_equal(nxs_json_path_str(first, "accessory.url"),
                        "https://app.nexte.io/invoices/inv_1042");
    assert_string_equal(nxs_json_path_str(first, "accessory.action_id"), "nxs_open_record_1");
}

static void a_long_night_shows_forty_events_and_counts_the_rest(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = summary_ok(held(52, p), &en, p);
    const json_t *blocks = json_object_get(msg, "blocks");

    assert_string_equal(block_text(msg, "header"), "🌅 52 events while you were away");
    /* Header, intro, 40 events, the count of the rest: 43 of Slack's 50. */
    assert_int_equal(json_array_size(blocks), 2 + NXS_SUMMARY_MAX_ITEMS + 1);
    assert_string_equal(
        nxs_json_path_str(
            json_array_get(json_object_get(json_array_get(blocks, 42), "elements"), 0), "text"),
        "…and 12 more");
}

static void a_summary_in_french_uses_french_plurals(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(block_text(summary_ok(held(1, p), &fr, p), "header"),
                        "🌅 1 événement pendant votre absence");
    assert_string_equal(block_text(summary_ok(held(41, p), &fr, p), "context"), "…et 1 autre");
}

static void an_unrenderable_held_event_is_counted_not_fatal(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *events = held(2, p);
    json_t *msg;

    json_array_insert_new(events, 1, json_pack("{s:s}", "type", "invoice.paid"));
    msg = summary_ok(events, &en, p);
    assert_int_equal(json_array_size(json_object_get(msg, "blocks")), 2 + 2 + 1);
    assert_string_equal(block_text(msg, "context"), "…and 1 more");
}

static void an_empty_summary_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg;
    const char *why;

    assert_int_equal(nxs_render_summary(&msg, &why, held(0, p), &en, p), APR_EINVAL);
    assert_string_equal(why, "events: a non-empty array of envelopes");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_recap_sums_revenue_per_currency),
    NXS_TEST(the_recap_counts_the_day),
    NXS_TEST(the_recap_in_french),
    NXS_TEST(a_day_without_money_says_so),
    NXS_TEST(a_day_of_refunds_is_negative),
    NXS_TEST(a_malformed_recap_is_refused),
    NXS_TEST(a_recap_is_read_from_json),
    NXS_TEST(a_summary_lists_each_held_event_with_a_link),
    NXS_TEST(a_long_night_shows_forty_events_and_counts_the_rest),
    NXS_TEST(a_summary_in_french_uses_french_plurals),
    NXS_TEST(an_unrenderable_held_event_is_counted_not_fatal),
    NXS_TEST(an_empty_summary_is_refused),
};

NXS_RUN_TESTS(tests)
