/* Specification of the daily recap. */
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

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_recap_sums_revenue_per_currency),
    NXS_TEST(the_recap_counts_the_day),
    NXS_TEST(the_recap_in_french),
    NXS_TEST(a_day_without_money_says_so),
    NXS_TEST(a_day_of_refunds_is_negative),
    NXS_TEST(a_malformed_recap_is_refused),
    NXS_TEST(a_recap_is_read_from_json),
};

NXS_RUN_TESTS(tests)
