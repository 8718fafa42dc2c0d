/* Specification of the morning summary of active hours
 * (render/nxs_render_summary.h): counts per event type, exact sums per
 * currency, the most important items first with their "View" links,
 * "…and N more", Slack's limits with 500 held items, English and French. */
#include "nxs_test.h"

#include "test_render_helpers.h"

#include "render/nxs_render_summary.h"

#define NNBSP  "\xE2\x80\xAF" /* U+202F: French digit groups, English times */
#define NBSP   "\xC2\xA0"     /* U+00A0: French, before "€" and ":" */
#define SEC(s) apr_time_from_sec(s)

/* 2026-11-28T03:00:00Z, 04:00 in Paris: the middle of a held night. */
#define NIGHT 1795834800

static const nxs_render_settings_t en = {
    "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", NULL};
static const nxs_render_settings_t fr = {
    "fr", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", NULL};

static nxs_summary_item_t item(const char *type, int minutes, const char *amount,
                               const char *currency, const char *title)
{
    nxs_summary_item_t it = {type,
                             SEC(NIGHT + minutes * 60),
                             amount,
                             currency,
                             title,
                             "Acme SARL",
                             "https://app.nexte.io/invoices/inv_1",
                             nxs_summary_importance(type)};
    return it;
}

static json_t *summary_ok(const nxs_summary_item_t *items, int n, const nxs_render_settings_t *s,
                          apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    if (nxs_render_summary(&msg, &why, items, n, s, p) != APR_SUCCESS) {
        fail_msg("summary refused: %s", why);
    }
    assert_within_slack_limits(msg, s->mention);
    return msg;
}

static const json_t *nth_block(const json_t *msg, size_t i)
{
    return json_array_get(json_object_get(msg, "blocks"), i);
}

/* The text of field I of the count section that starts at block 2. */
static const char *count_field(const json_t *msg, size_t i)
{
    const json_t *fields = json_object_get(nth_block(msg, 2 + i / 10), "fields");

    return nxs_json_path_str(json_array_get(fields, i % 10), "text");
}

/* The first line of listed item N (1-based) after COUNT_SECTIONS. */
static const char *listed(const json_t *msg, int count_sections, int n, apr_pool_t *p)
{
    const char *text =
        nxs_json_path_str(nth_block(msg, (size_t)(1 + count_sections + n)), "text.text");

    assert_non_null(text);
    return apr_pstrndup(p, text, strcspn(text, "\n"));
}

static void a_night_is_counted_per_type_and_summed_per_currency(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t night[] = {
        item("invoice.paid", 0, "1250.00", "EUR", "Invoice INV-2026-042 paid"),
        item("invoice.paid", 10, "0.10", "EUR", "Invoice INV-2026-043 paid"),
        item("invoice.paid", 20, "1200", "GBP", "Invoice INV-2026-044 paid"),
        item("invoice.paid", 30, "0.20", NULL, "Invoice INV-2026-045 paid"),
        item("refund.issued", 40, "120.00", "EUR", "Refund of €120.00 issued"),
        item("refund.issued", 50, "-30.00", "EUR", "Refund of €30.00 issued"),
        item("payment.failed", 60, "480.00", "EUR", "Payment failed: INV-2026-051"),
        item("lead.received", 70, NULL, NULL, "New lead: Léa Fontaine"),
    };
    json_t *msg = summary_ok(night, 8, &en, p);

    assert_string_equal(block_text(msg, "header"), "🌅 8 events while you were away");
    assert_string_equal(nxs_json_path_str(nth_block(msg, 1), "text.text"),
                        "Held outside your active hours, the most important first.");
    /* Failed payments first; sums exact, in currency order; an amount
     * without a currency is in the account's; refunds go out. */
    assert_string_equal(count_field(msg, 0), "*Failed payments*\n1 · €480.00");
    assert_string_equal(count_field(msg, 1), "*Invoices paid*\n4 · €1,250.30 · £1,200.00");
    assert_string_equal(count_field(msg, 2), "*Refunds issued*\n2 · -€150.00");
    assert_string_equal(count_field(msg, 3), "*New leads*\n1");
    assert_null(count_field(msg, 4));
    assert_string_equal(nxs_json_path_str(msg, "text"),
                        "🌅 8 events while you were away — *Failed payments:* 1 · *Invoices "
                        "paid:* 4 · *Refunds issued:* 2 · *New leads:* 1");
    /* Header, intro, counts, 8 items. */
    assert_int_equal(json_array_size(json_object_get(msg, "blocks")), 3 + 8);
    assert_null(block(msg, "context"));
}

static void items_come_most_important_first_then_oldest_first(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t night[] = {
        item("quote.sent", 0, "900", "EUR", "Quote Q-1 sent"),
        item("invoice.paid", 5, "100", "EUR", "Invoice I-1 paid"),
        item("integration.error", 50, NULL, NULL, "Integration error: Stripe"),
        item("payment.failed", 40, "80", "EUR", "Payment failed: I-2"),
        item("invoice.overdue", 40, "60", "EUR", "Invoice I-3 overdue by 9 days"),
        item("lead.received", 1, NULL, NULL, "New lead: Léa Fontaine"),
    };
    json_t *msg = summary_ok(night, 6, &en, p);

    /* Urgent: failed payment and overdue invoice at the same minute keep
     * their order, then the later integration error; then notable news,
     * oldest first; then routine. */
    assert_string_equal(listed(msg, 1, 1, p), "❌ *Payment failed: I-2*");
    assert_string_equal(listed(msg, 1, 2, p), "⏳ *Invoice I-3 overdue by 9 days*");
    assert_string_equal(listed(msg, 1, 3, p), "🔌 *Integration error: Stripe*");
    assert_string_equal(listed(msg, 1, 4, p), "👥 *New lead: Léa Fontaine*");
    assert_string_equal(listed(msg, 1, 5, p), "💰 *Invoice I-1 paid*");
    assert_string_equal(listed(msg, 1, 6, p), "📝 *Quote Q-1 sent*");
    /* The counts follow the same order of importance. */
    assert_string_equal(count_field(msg, 0), "*Failed payments*\n1 · €80.00");
    assert_string_equal(count_field(msg, 1), "*Overdue invoices*\n1 · €60.00");
    assert_string_equal(count_field(msg, 2), "*Integration errors*\n1");
    assert_string_equal(count_field(msg, 5), "*Quotes sent*\n1 · €900.00");
}

static void each_listed_item_has_its_date_amount_client_and_view_link(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t one = item("invoice.paid", 0, "1250.00", "EUR", "Invoice INV-2026-042 paid");
    const json_t *listed_item;

    listed_item = nth_block(summary_ok(&one, 1, &en, p), 3);
    assert_string_equal(nxs_json_path_str(listed_item, "text.text"),
                        "💰 *Invoice INV-2026-042 paid*\n<!date^1795834800^{date_short_pretty} at "
                        "{time}|Nov 28, 2026, 4:00" NNBSP "AM GMT+1> · €1,250.00 · Acme SARL");
    assert_string_equal(nxs_json_path_str(listed_item, "accessory.text.text"), "View");
    assert_string_equal(nxs_json_path_str(listed_item, "accessory.url"),
                        "https://app.nexte.io/invoices/inv_1");
    assert_string_equal(nxs_json_path_str(listed_item, "accessory.action_id"), "nxs_open_record_1");
}

static void a_held_event_becomes_an_item_in_plain_text(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *event = fixture("invoice.paid", p);
    nxs_summary_item_t it;
    const char *why = "unset";

    assert_int_equal(nxs_render_summary_item(&it, &why, event, &en, p), APR_SUCCESS);
    assert_null(why);
    assert_string_equal(it.type, "invoice.paid");
    assert_int_equal(apr_time_sec(it.occurred_at), 1795856352);
    assert_string_equal(it.amount, "1250.00");
    assert_string_equal(it.currency, "EUR");
    assert_string_equal(it.title, "Invoice INV-2026-042 paid");
    assert_string_equal(it.client, "Acme SARL");
    assert_string_equal(it.url, "https://app.nexte.io/invoices/inv_1042");
    assert_int_equal(it.importance, NXS_IMPORTANCE_NOTABLE);
    /* A title from hostile text is plain text in the item, escaped again
     * in the message: no mention, no link. */
    json_object_set_new(json_object_get(event, "record"), "number",
                        json_string("<!channel> & <https://evil|x>"));
    assert_int_equal(nxs_render_summary_item(&it, &why, event, &en, p), APR_SUCCESS);
    assert_string_equal(it.title, "Invoice <!channel> & <https://evil|x> paid");
    assert_string_equal(listed(summary_ok(&it, 1, &en, p), 1, 1, p),
                        "💰 *Invoice &lt;!channel&gt; &amp; &lt;https://evil|x&gt; paid*");
    /* An envelope the renderer refuses says why. */
    assert_int_equal(
        nxs_render_summary_item(&it, &why, parse("{'type': 'invoice.paid'}", p), &en, p),
        APR_EINVAL);
    assert_string_equal(why, "occurred_at: required");
}

static void failed_payments_and_alerts_matter_most(void **state)
{
    static const char *const urgent[] = {"payment.failed", "invoice.overdue", "project.paused",
                                         "integration.error", "plan.quota_nearly_reached"};
    static const char *const notable[] = {"invoice.paid",
                                          "refund.issued",
                                          "quote.accepted",
                                          "quote.declined",
                                          "lead.received",
                                          "appointment.cancelled",
                                          "appointment.reschedule_requested"};
    static const char *const routine[] = {
        "subscription.renewed",      "quote.sent",   "quote.opened", "appointment.booked",
        "appointment.starting_soon", "invoice.eaten"};

    (void)state;
    for (size_t i = 0; i < sizeof(urgent) / sizeof(urgent[0]); i++) {
        assert_int_equal(nxs_summary_importance(urgent[i]), NXS_IMPORTANCE_URGENT);
    }
    for (size_t i = 0; i < sizeof(notable) / sizeof(notable[0]); i++) {
        assert_int_equal(nxs_summary_importance(notable[i]), NXS_IMPORTANCE_NOTABLE);
    }
    for (size_t i = 0; i < sizeof(routine) / sizeof(routine[0]); i++) {
        assert_int_equal(nxs_summary_importance(routine[i]), NXS_IMPORTANCE_ROUTINE);
    }
}

/* 500 held items: every type, an unknown one, 12 currencies, 10 KB titles. */
static nxs_summary_item_t *long_night(int n, apr_pool_t *p)
{
    static const char *const currencies[] = {"EUR", "USD", "GBP", "JPY", "CHF", "CAD",
                                             "AUD", "SEK", "NOK", "DKK", "PLN", "CZK"};
    nxs_summary_item_t *items = apr_pcalloc(p, sizeof(*items) * (size_t)n);
    const char *huge = repeat_to("<!channel> Ünïcødé 🎉 &amp; ", 10 * 1024, p);
    int types = 0;

    while (posted_types[types]) {
        types++;
    }
    for (int i = 0; i < n; i++) {
        const char *type =
            i % (types + 1) == types ? "invoice.eaten" : posted_types[i % (types + 1)];
        items[i] = item(type, i, "19.99", currencies[i % 12],
                        i % 7 == 0 ? huge : apr_psprintf(p, "Held event %d", i));
        items[i].client = i % 11 == 0 ? huge : "Acme SARL";
    }
    return items;
}

static void five_hundred_items_stay_within_slacks_limits(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t *items = long_night(500, p);
    nxs_render_settings_t s = en;
    json_t *msg;
    const json_t *blocks;
    const char *more;

    s.mention = NXS_MENTION_CHANNEL;
    msg = summary_ok(items, 500, &s, p);
    blocks = json_object_get(msg, "blocks");
    assert_string_equal(block_text(msg, "header"), "🌅 500 events while you were away");
    /* Header, intro, 18 counts in two sections of at most 10, 40 items,
     * the count of the rest: 45 of Slack's 50. */
    assert_int_equal(json_array_size(blocks), 2 + 2 + NXS_SUMMARY_MAX_ITEMS + 1);
    assert_int_equal(json_array_size(json_object_get(nth_block(msg, 2), "fields")), 10);
    assert_int_equal(json_array_size(json_object_get(nth_block(msg, 3), "fields")), 8);
    /* 27 of an unknown type, 14 in CAD and 13 in CZK, 19.99 each. */
    assert_string_equal(count_field(msg, 17), "*Other events*\n27 · CA$279.86 · CZK" NBSP "259.87");
    more = nxs_json_path_str(
        json_array_get(json_object_get(json_array_get(blocks, 44), "elements"), 0), "text");
    assert_string_equal(more, "…and 460 more");
    /* Every button is a different action. */
    for (int i = 1; i <= NXS_SUMMARY_MAX_ITEMS; i++) {
        assert_string_equal(
            nxs_json_path_str(nth_block(msg, (size_t)(3 + i)), "accessory.action_id"),
            apr_psprintf(p, "nxs_open_record_%d", i));
    }
    assert_string_equal(nxs_json_path_str(nth_block(msg, 1), "text.text"),
                        "<!channel> Held outside your active hours, the most important first.");
}

static void more_than_ten_currencies_of_a_type_are_counted(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const currencies[] = {"AUD", "CAD", "CHF", "CZK", "DKK", "EUR",
                                             "GBP", "JPY", "NOK", "PLN", "SEK", "USD"};
    nxs_summary_item_t items[12];

    for (int i = 0; i < 12; i++) {
        items[i] = item("invoice.paid", i, "10", currencies[11 - i], "Invoice paid");
    }
    assert_string_equal(count_field(summary_ok(items, 12, &en, p), 0),
                        "*Invoices paid*\n12 · A$10.00 · CA$10.00 · CHF" NBSP "10.00 · CZK" NBSP
                        "10.00 · DKK" NBSP "10.00 · €10.00 · £10.00 · ¥10 · NOK" NBSP
                        "10.00 · PLN" NBSP "10.00 · …and 2 more");
}

static void a_summary_in_french(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t night[] = {
        item("payment.failed", 0, "1250.00", "EUR", "Échec de paiement : INV-2026-051"),
        item("quote.accepted", 1, "4800", "EUR", "Devis Q-2026-310 accepté"),
    };
    json_t *msg = summary_ok(night, 2, &fr, p);

    assert_string_equal(block_text(msg, "header"), "🌅 2 événements pendant votre absence");
    assert_string_equal(nxs_json_path_str(nth_block(msg, 1), "text.text"),
                        "Reçus en dehors de vos heures d’activité, les plus importants d’abord.");
    assert_string_equal(count_field(msg, 0), "*Paiements échoués*\n1 · 1" NNBSP "250,00" NBSP "€");
    assert_string_equal(count_field(msg, 1), "*Devis acceptés*\n1 · 4" NNBSP "800,00" NBSP "€");
    assert_string_equal(nxs_json_path_str(nth_block(msg, 3), "accessory.text.text"), "Voir");
    assert_string_equal(block_text(summary_ok(night, 1, &fr, p), "header"),
                        "🌅 1 événement pendant votre absence");
    assert_string_equal(block_text(summary_ok(long_night(500, p), 500, &fr, p), "context"),
                        "…et 460 autres");
    assert_string_equal(block_text(summary_ok(long_night(41, p), 41, &fr, p), "context"),
                        "…et 1 autre");
}

static void what_cannot_be_shown_is_still_counted(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t night[] = {
        item("invoice.paid", 0, "12,50", "EUR", "Invoice I-1 paid"),  /* not a decimal */
        item("invoice.paid", 1, "10.00", "euro", "Invoice I-2 paid"), /* not ISO 4217 */
        item("invoice.paid", 2, "20.00", "EUR", NULL),                /* no title */
        item("invoice.eaten", 3, NULL, NULL, "Something new"),        /* unknown type */
    };
    nxs_render_settings_t no_currency = en;
    nxs_summary_item_t plain = item("invoice.paid", 0, "42.50", NULL, "Invoice I-9 paid");
    json_t *msg;

    night[3].url = "javascript:alert(1)";
    night[1].url = NULL;
    msg = summary_ok(night, 4, &en, p);
    assert_string_equal(count_field(msg, 0), "*Invoices paid*\n3 · €20.00");
    assert_string_equal(count_field(msg, 1), "*Other events*\n1");
    assert_string_equal(nxs_json_path_str(nth_block(msg, 3), "text.text"),
                        "💰 *Invoice I-1 paid*\n<!date^1795834800^{date_short_pretty} at "
                        "{time}|Nov 28, 2026, 4:00" NNBSP "AM GMT+1> · Acme SARL");
    assert_string_equal(listed(msg, 1, 2, p), "💰 *Invoice I-2 paid*");
    assert_null(json_object_get(nth_block(msg, 4), "accessory")); /* no URL */
    assert_string_equal(listed(msg, 1, 3, p), "• *Something new*");
    assert_null(json_object_get(nth_block(msg, 5), "accessory")); /* not http(s) */
    assert_string_equal(block_text(msg, "context"), "…and 1 more");
    /* Neither the item nor the account has a currency: a plain number. */
    no_currency.currency = NULL;
    assert_string_equal(count_field(summary_ok(&plain, 1, &no_currency, p), 0),
                        "*Invoices paid*\n1 · 42.5");
}

static void nothing_to_summarise_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_summary_item_t one = item("invoice.paid", 0, "1", "EUR", "Invoice paid");
    nxs_render_settings_t bad = en;
    json_t *msg;
    const char *why;

    assert_int_equal(nxs_render_summary(&msg, &why, &one, 0, &en, p), APR_EINVAL);
    assert_string_equal(why, "items: at least one held event");
    assert_null(msg);
    assert_int_equal(nxs_render_summary(&msg, &why, NULL, 3, &en, p), APR_EINVAL);
    bad.locale = "de";
    assert_int_equal(nxs_render_summary(&msg, &why, &one, 1, &bad, p), APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_night_is_counted_per_type_and_summed_per_currency),
    NXS_TEST(items_come_most_important_first_then_oldest_first),
    NXS_TEST(each_listed_item_has_its_date_amount_client_and_view_link),
    NXS_TEST(a_held_event_becomes_an_item_in_plain_text),
    NXS_TEST(failed_payments_and_alerts_matter_most),
    NXS_TEST(five_hundred_items_stay_within_slacks_limits),
    NXS_TEST(more_than_ten_currencies_of_a_type_are_counted),
    NXS_TEST(a_summary_in_french),
    NXS_TEST(what_cannot_be_shown_is_still_counted),
    NXS_TEST(nothing_to_summarise_is_refused),
};

NXS_RUN_TESTS(tests)
