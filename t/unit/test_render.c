/* Specification of event messages: what each event type looks like in
 * Slack, in English and French, and which envelopes are refused. */
#include "nxs_test.h"

#include "test_render_helpers.h"

#define NNBSP "\xE2\x80\xAF" /* U+202F, ICU's space before AM/PM and in French digit groups */
#define NBSP  "\xC2\xA0"     /* U+00A0, French: before "€" and before ":" */

static const nxs_render_settings_t en_paris = {
    "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", "dlv_123"};
static const nxs_render_settings_t fr_paris = {
    "fr", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", "dlv_123"};

static const char invoice_paid[] =
    "{'id': 'evt_1', 'type': 'invoice.paid', 'account_id': 'acc_42',"
    " 'occurred_at': '2026-11-28T08:59:12Z',"
    " 'actor': {'id': 'mem_7', 'name': 'Claire Martin'},"
    " 'client': {'id': 'cli_9', 'name': 'Acme SARL'},"
    " 'project': {'id': 'prj_5', 'name': 'Website redesign'},"
    " 'record': {'kind': 'invoice', 'id': 'inv_1042', 'number': 'INV-2026-042',"
    "            'url': 'https://app.nexte.io/invoices/inv_1042?tab=payments'},"
    " 'amount': {'value': '1250.00', 'currency': 'EUR'},"
    " 'data': {'method': 'card'}}";

static void invoice_paid_in_english(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(parse(invoice_paid, p), &en_paris, p);

    assert_string_equal(block_text(msg, "header"), "💰 Invoice INV-2026-042 paid");
    assert_string_equal(block_text(msg, "section"), "*Method:* Card");
    assert_string_equal(block_text(msg, "context"),
                        "By Claire Martin · <!date^1795856352^{date_short_pretty} at {time}|"
                        "Nov 28, 2026, 9:59" NNBSP "AM GMT+1> · *€1,250.00* · "
                        "Acme SARL / Website redesign");
    assert_string_equal(nxs_json_path_str(msg, "text"),
                        "💰 Invoice INV-2026-042 paid — €1,250.00 · Acme SARL");
    assert_true(json_is_false(json_object_get(msg, "unfurl_links")));
    assert_true(json_is_false(json_object_get(msg, "unfurl_media")));
    assert_null(json_object_get(msg, "channel"));
}

static void invoice_paid_in_french(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(parse(invoice_paid, p), &fr_paris, p);

    assert_string_equal(block_text(msg, "header"), "💰 Facture INV-2026-042 payée");
    assert_string_equal(block_text(msg, "section"), "*Moyen de paiement" NBSP ":* Carte bancaire");
    assert_string_equal(block_text(msg, "context"),
                        "Par Claire Martin · <!date^1795856352^{date_short_pretty} à {time}|"
                        "28 nov. 2026, 09:59 UTC+1> · *1" NNBSP "250,00" NBSP "€* · "
                        "Acme SARL / Website redesign");
    assert_string_equal(nxs_json_path_str(button(msg, NXS_ACTION_HANDLED), "text.text"),
                        "Marquer comme traité");
}

static void buttons_open_the_record_and_mark_the_delivery_handled(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(parse(invoice_paid, p), &en_paris, p);
    const json_t *open = button(msg, NXS_ACTION_OPEN_RECORD);
    const json_t *handled = button(msg, NXS_ACTION_HANDLED);

    assert_string_equal(nxs_json_path_str(block(msg, "actions"), "block_id"), "nxs_actions");
    assert_string_equal(nxs_json_path_str(open, "text.text"), "View invoice");
    assert_string_equal(nxs_json_path_str(open, "url"),
                        "https://app.nexte.io/invoices/inv_1042?tab=payments");
    assert_null(json_object_get(open, "value"));
    assert_string_equal(nxs_json_path_str(handled, "text.text"), "Mark as handled");
    assert_string_equal(nxs_json_path_str(handled, "value"), "dlv_123");
    assert_string_equal(nxs_json_path_str(handled, "style"), "primary");
    assert_null(json_object_get(handled, "url"));
}

static void every_posted_type_renders_in_both_languages(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    for (int i = 0; posted_types[i]; i++) {
        json_t *en = render_ok(fixture(posted_types[i], p), &en_paris, p);
        json_t *fr = render_ok(fixture(posted_types[i], p), &fr_paris, p);

        assert_within_slack_limits(en, NXS_MENTION_NONE);
        assert_within_slack_limits(fr, NXS_MENTION_NONE);
        assert_string_equal(
            nxs_json_path_str(json_array_get(json_object_get(en, "blocks"), 0), "type"), "header");
        assert_non_null(block(en, "context"));
        assert_non_null(button(en, NXS_ACTION_OPEN_RECORD));
        assert_non_null(button(fr, NXS_ACTION_HANDLED));
        assert_string_not_equal(block_text(en, "header"), block_text(fr, "header"));
    }
}

static void silent_and_unknown_types_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(render_refused(fixture("account.updated", p), &en_paris, p),
                        "type: account.updated is never posted as an event message");
    assert_string_equal(render_refused(fixture("appointment.rescheduled", p), &en_paris, p),
                        "type: appointment.rescheduled is never posted as an event message");
    assert_string_equal(render_refused(parse("{'type': 'invoice.eaten', 'occurred_at': "
                                             "'2026-11-28T08:59:12Z'}",
                                             p),
                                       &en_paris, p),
                        "type: unknown event type \"invoice.eaten\"");
}

static void a_missing_or_malformed_field_is_named(void **state)
{
    static const struct {
        const char *event, *why;
    } cases[] = {
        {"{'type': 'invoice.paid', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'record': {'kind': 'invoice', 'id': 'inv_1'}}",
         "amount: required for invoice.paid"},
        {"{'type': 'invoice.paid', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'amount': {'value': '1', 'currency': 'EUR'}}",
         "record.number: required for invoice.paid"},
        {"{'type': 'invoice.paid', 'occurred_at': '28/11/2026',"
         " 'record': {'id': 'inv_1'}, 'amount': {'value': '1'}}",
         "occurred_at: not an RFC 3339 date-time with offset"},
        {"{'type': 'quote.sent', 'record': {'id': 'quo_1'}}", "occurred_at: required"},
        {"{'type': 'refund.issued', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'amount': {'value': '12,50', 'currency': 'EUR'}}",
         "amount.value: a decimal string such as \"1250.00\""},
        {"{'type': 'payment.failed', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'amount': {'value': '12.50', 'currency': 'euro'}}",
         "amount.currency: an ISO 4217 code such as \"EUR\""},
        {"{'type': 'lead.received', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'data': {'contact': {'name': 'Ann'}}}",
         "data.source: required for lead.received"},
        {"{'type': 'lead.received', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'data': {'source': 'website_form', 'contact': {}}}",
         "data.contact: a name, company, email or phone is required for lead.received"},
        {"{'type': 'appointment.reschedule_requested', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'data': {'starts_at': '2026-12-03T09:30:00+01:00'}}",
         "data.proposed_starts_at: required for appointment.reschedule_requested"},
        {"{'type': 'appointment.booked', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'data': {'starts_at': '2026-12-03 09:30'}}",
         "data.starts_at: not an RFC 3339 date-time with offset"},
        {"{'type': 'invoice.overdue', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'record': {'id': 'inv_1'}, 'data': {'days_overdue': '12'}}",
         "data.days_overdue: a whole number of days"},
        {"{'type': 'invoice.overdue', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'record': {'id': 'inv_1'}, 'data': {'days_overdue': 12, 'due_date': '16/11/2026'}}",
         "data.due_date: a date such as \"2026-11-20\""},
        {"{'type': 'plan.quota_nearly_reached', 'occurred_at': '2026-11-28T08:59:12Z',"
         " 'data': {'quota': 'Seats', 'used': 4, 'limit': 0}}",
         "data.limit: a number above zero"},
        {"{'type': 'project.paused', 'occurred_at': '2026-11-28T08:59:12Z', 'data': {}}",
         "project.name: required for project.paused"},
        {"{'type': 'integration.error', 'occurred_at': '2026-11-28T08:59:12Z', 'data': {}}",
         "data.integration: required for integration.error"},
    };
    apr_pool_t *p = nxs_test_pool(state);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_string_equal(render_refused(parse(cases[i].event, p), &en_paris, p), cases[i].why);
    }
}

static void bad_settings_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en_paris;
    char *long_id = apr_palloc(p, 2002);

    s.timezone = "Europe/Atlantis";
    assert_string_equal(render_refused(parse(invoice_paid, p), &s, p),
                        "settings: unknown time zone \"Europe/Atlantis\" (expected an IANA name "
                        "such as Europe/Paris)");
    s = en_paris;
    memset(long_id, 'd', 2001);
    long_id[2001] = '\0';
    s.delivery_id = long_id;
    assert_string_equal(render_refused(parse(invoice_paid, p), &s, p),
                        "settings: the delivery id must have 1 to 2000 characters");
    long_id[2000] = '\0';
    assert_string_equal(
        nxs_json_path_str(button(render_ok(parse(invoice_paid, p), &s, p), NXS_ACTION_HANDLED),
                          "value"),
        long_id);
}

static void the_mention_leads_the_section_and_the_fallback_text(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en_paris;
    json_t *msg;

    s.mention = NXS_MENTION_HERE;
    msg = render_ok(parse(invoice_paid, p), &s, p);
    assert_string_equal(block_text(msg, "section"), "<!here> *Method:* Card");
    assert_string_equal(nxs_json_path_str(msg, "text"),
                        "<!here> 💰 Invoice INV-2026-042 paid — €1,250.00 · Acme SARL");
    s.mention = NXS_MENTION_CHANNEL;
    msg = render_ok(fixture("quote.accepted", p), &s, p);
    assert_string_equal(block_text(msg, "section"), "<!channel>");
    assert_within_slack_limits(msg, NXS_MENTION_CHANNEL);
}

static void without_a_mention_or_details_there_is_no_section(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_null(block(render_ok(fixture("quote.accepted", p), &en_paris, p), "section"));
}

static void an_unusable_record_url_falls_back_to_the_app_path(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = parse(invoice_paid, p);
    char *huge = apr_palloc(p, 3100);
    const char *prefix = "https://app.nexte.io/invoices/inv_1042?";

    json_object_set_new(json_object_get(ev, "record"), "url", json_string("javascript:alert(1)"));
    assert_string_equal(
        nxs_json_path_str(button(render_ok(ev, &en_paris, p), NXS_ACTION_OPEN_RECORD), "url"),
        "https://app.nexte.io/invoices/inv_1042");
    memset(huge, 'x', 3099);
    huge[3099] = '\0';
    memcpy(huge, prefix, strlen(prefix));
    json_object_set_new(json_object_get(ev, "record"), "url", json_string(huge));
    assert_string_equal(
        nxs_json_path_str(button(render_ok(ev, &en_paris, p), NXS_ACTION_OPEN_RECORD), "url"),
        "https://app.nexte.io/invoices/inv_1042");
}

static void record_ids_are_url_encoded_in_app_paths(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en_paris;
    json_t *ev = parse(invoice_paid, p);

    s.app_url = "https://app.nexte.io/";
    json_object_del(json_object_get(ev, "record"), "url");
    json_object_set_new(json_object_get(ev, "record"), "id", json_string("inv 1/2?x=<é>"));
    assert_string_equal(
        nxs_json_path_str(button(render_ok(ev, &s, p), NXS_ACTION_OPEN_RECORD), "url"),
        "https://app.nexte.io/invoices/inv%201%2F2%3Fx%3D%3C%C3%A9%3E");
}

static void without_a_link_or_a_delivery_there_are_no_buttons(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en_paris;
    json_t *ev = parse(invoice_paid, p), *msg;

    json_object_del(json_object_get(ev, "record"), "url");
    s.app_url = NULL;
    msg = render_ok(ev, &s, p);
    assert_null(button(msg, NXS_ACTION_OPEN_RECORD));
    assert_non_null(button(msg, NXS_ACTION_HANDLED));
    s.delivery_id = NULL;
    assert_null(block(render_ok(ev, &s, p), "actions"));
}

static void a_refund_is_money_going_out(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *refunds[] = {"40.00", "-40.00"};

    for (int i = 0; i < 2; i++) {
        json_t *ev = parse("{'type': 'refund.issued', 'occurred_at': '2026-11-28T08:59:12Z',"
                           " 'amount': {'currency': 'EUR'}, 'data': {'reason': 'Duplicate'}}",
                           p);
        json_t *msg;

        json_object_set_new(json_object_get(ev, "amount"), "value", json_string(refunds[i]));
        msg = render_ok(ev, &en_paris, p);
        assert_string_equal(block_text(msg, "header"), "↩️ Refund of €40.00 issued");
        assert_non_null(strstr(block_text(msg, "context"), " · *-€40.00*"));
        msg = render_ok(ev, &fr_paris, p);
        assert_string_equal(block_text(msg, "header"),
                            "↩️ Remboursement de 40,00" NBSP "€ effectué");
        assert_non_null(strstr(block_text(msg, "context"), " · *-40,00" NBSP "€*"));
    }
}

static void an_amount_without_currency_takes_the_account_currency(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = en_paris;
    json_t *ev = parse("{'type': 'payment.failed', 'occurred_at': '2026-11-28T08:59:12Z',"
                       " 'amount': {'value': '1250'}}",
                       p);

    s.currency = "JPY";
    assert_non_null(strstr(block_text(render_ok(ev, &s, p), "context"), " · *¥1,250*"));
}

static void an_overdue_invoice_counts_its_days(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(fixture("invoice.overdue", p), &fr_paris, p);

    assert_string_equal(block_text(msg, "header"), "⏳ Facture INV-2026-019 en retard de 12 jours");
    assert_string_equal(block_text(msg, "section"), "*Échéance" NBSP ":* 16 nov. 2026");
}

static void a_lead_shows_its_source_contact_and_message(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(fixture("lead.received", p), &en_paris, p);

    assert_string_equal(block_text(msg, "header"), "👥 New lead: Léa Fontaine");
    assert_string_equal(block_text(msg, "section"),
                        "*Source:* Website form\n"
                        "*Company:* Fontaine &amp; Fils\n"
                        "*Email:* lea.fontaine@example.fr\n"
                        "*Phone:* +33 6 12 34 56 78\n"
                        "> Hello,\n"
                        "> we need a new e-shop before March. Can you send a quote?\n"
                        "> Thanks!");
    assert_string_equal(nxs_json_path_str(button(msg, NXS_ACTION_OPEN_RECORD), "text.text"),
                        "View lead");
}

static void appointments_show_slack_date_tokens_with_readable_fallbacks(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = render_ok(fixture("appointment.booked", p), &en_paris, p);

    assert_string_equal(block_text(msg, "section"),
                        "*When:* <!date^1796216400^{date_short_pretty} at {time}|"
                        "Dec 2, 2026, 2:00" NNBSP "PM GMT+1> – <!date^1796219100^{time}|"
                        "2:45" NNBSP "PM>\n"
                        "*Attendee:* Marc Leroy (marc@leroy-conseil.fr)");
}

static void a_quota_shows_usage_as_a_percentage(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(
        block_text(render_ok(fixture("plan.quota_nearly_reached", p), &fr_paris, p), "section"),
        "*Utilisation" NBSP ":* 46 sur 50 (92" NBSP "%)");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(invoice_paid_in_english),
    NXS_TEST(invoice_paid_in_french),
    NXS_TEST(buttons_open_the_record_and_mark_the_delivery_handled),
    NXS_TEST(every_posted_type_renders_in_both_languages),
    NXS_TEST(silent_and_unknown_types_are_refused),
    NXS_TEST(a_missing_or_malformed_field_is_named),
    NXS_TEST(bad_settings_are_refused),
    NXS_TEST(the_mention_leads_the_section_and_the_fallback_text),
    NXS_TEST(without_a_mention_or_details_there_is_no_section),
    NXS_TEST(an_unusable_record_url_falls_back_to_the_app_path),
    NXS_TEST(record_ids_are_url_encoded_in_app_paths),
    NXS_TEST(without_a_link_or_a_delivery_there_are_no_buttons),
    NXS_TEST(a_refund_is_money_going_out),
    NXS_TEST(an_amount_without_currency_takes_the_account_currency),
    NXS_TEST(an_overdue_invoice_counts_its_days),
    NXS_TEST(a_lead_shows_its_source_contact_and_message),
    NXS_TEST(appointments_show_slack_date_tokens_with_readable_fallbacks),
    NXS_TEST(a_quota_shows_usage_as_a_percentage),
};

NXS_RUN_TESTS(tests)
