/* Specification of what hostile event values become: no mention, link or
 * token can come from an event, and 10 KB values are cut to Slack's limits
 * on character boundaries (run under ASan/UBSan and valgrind too). */
#include "nxs_test.h"

#include "test_render_helpers.h"

static const nxs_render_settings_t settings = {
    "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", "dlv_123"};

static const char hostile_unit[] = "<!channel> <!everyone> <@U123> <https://evil|click here> "
                                   "&amp; \xF0\x9F\x8E\x89 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\n";

/* Values whose format the contract fixes; everything else is free text. */
static int is_structured(const char *key)
{
    static const char *const keys[] = {"type",    "occurred_at",        "starts_at",
                                       "ends_at", "proposed_starts_at", "due_date",
                                       "value",   "currency",           NULL};

    for (int i = 0; keys[i]; i++) {
        if (strcmp(key, keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Replaces every free-text string in V by TEXT. */
static void poison(json_t *v, const char *text)
{
    const char *key;
    json_t *child;

    json_object_foreach(v, key, child)
    {
        if (json_is_object(child)) {
            poison(child, text);
        } else if (json_is_string(child) && !is_structured(key)) {
            json_object_set_new(v, key, json_string(text));
        }
    }
}

static void hostile_names_cannot_ping_link_or_mention(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = parse("{'type': 'invoice.paid', 'occurred_at': '2026-11-28T08:59:12Z',"
                       " 'amount': {'value': '1', 'currency': 'EUR'}}",
                       p);
    json_t *msg;

    json_object_set_new(ev, "client", json_pack("{s:s}", "name", "<!channel>"));
    json_object_set_new(ev, "actor", json_pack("{s:s}", "name", "<!everyone>"));
    json_object_set_new(ev, "member", json_pack("{s:s}", "name", "<@U123>"));
    json_object_set_new(ev, "project", json_pack("{s:s}", "name", "<https://evil|click here>"));
    json_object_set_new(ev, "record", json_pack("{s:s, s:s}", "id", "inv_1", "number", "<!here>"));
    json_object_set_new(ev, "data", json_pack("{s:s}", "method", "<!subteam^S1|@team>"));
    msg = render_ok(ev, &settings, p);
    assert_within_slack_limits(msg, NXS_MENTION_NONE);
    assert_string_equal(block_text(msg, "header"), "💰 Invoice &lt;!here&gt; paid");
    assert_string_equal(block_text(msg, "section"), "*Method:* &lt;!subteam^S1|@team&gt;");
    assert_non_null(
        strstr(block_text(msg, "context"), "By &lt;!everyone&gt; · <!date^1795856352^"));
    assert_non_null(strstr(block_text(msg, "context"),
                           "*€1.00* · &lt;!channel&gt; / &lt;https://evil|click here&gt; · "
                           "Owner: &lt;@U123&gt;"));
    assert_string_equal(nxs_json_path_str(msg, "text"),
                        "💰 Invoice &lt;!here&gt; paid — €1.00 · &lt;!channel&gt;");
}

static void a_lead_message_cannot_fake_a_quote_or_a_mention(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = fixture("lead.received", p);
    json_t *msg;

    json_object_set_new(json_object_get(ev, "data"), "message",
                        json_string("> quoted?\n<!here> call me\n\n\n\nbye"));
    msg = render_ok(ev, &settings, p);
    assert_within_slack_limits(msg, NXS_MENTION_NONE);
    assert_non_null(
        strstr(block_text(msg, "section"), "\n> &gt; quoted?\n> &lt;!here&gt; call me\n> \n> bye"));
}

static void already_escaped_text_is_shown_as_typed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = fixture("invoice.paid", p);

    json_object_set_new(json_object_get(ev, "client"), "name", json_string("R&amp;D &lt;3"));
    assert_non_null(strstr(block_text(render_ok(ev, &settings, p), "context"),
                           " · R&amp;amp;D &amp;lt;3 / Website redesign"));
}

static void emoji_and_right_to_left_names_are_kept(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = fixture("lead.received", p);
    json_t *contact = json_object_get(json_object_get(ev, "data"), "contact");
    const char *arabic = "\xD9\x84\xD9\x8A\xD9\x84\xD9\x89 \xF0\x9F\x8C\xB8"; /* Layla + flower */

    json_object_set_new(contact, "name", json_string(arabic));
    assert_string_equal(block_text(render_ok(ev, &settings, p), "header"),
                        apr_pstrcat(p, "👥 New lead: ", arabic, NULL));
}

static void bidi_overrides_cannot_reverse_the_message(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = fixture("invoice.paid", p);

    /* U+202E RIGHT-TO-LEFT OVERRIDE would reverse everything after the name. */
    json_object_set_new(json_object_get(ev, "client"), "name",
                        json_string("Acme\xE2\x80\xAE SARL"));
    assert_null(strstr(nxs_json_dump(render_ok(ev, &settings, p), 0, p), "\xE2\x80\xAE"));
}

static void ten_kilobyte_values_in_every_field_stay_within_slack_limits(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *hostile = repeat_to(hostile_unit, 10 * 1024, p);
    nxs_render_settings_t s = settings;

    s.mention = NXS_MENTION_HERE;
    for (int i = 0; posted_types[i]; i++) {
        json_t *ev = fixture(posted_types[i], p);
        json_t *msg;

        poison(ev, hostile);
        for (int fr = 0; fr < 2; fr++) {
            s.locale = fr ? "fr" : "en";
            msg = render_ok(ev, &s, p);
            assert_within_slack_limits(msg, NXS_MENTION_HERE);
            /* Something was cut, and cut visibly. */
            assert_non_null(strstr(nxs_json_dump(msg, 0, p), NXS_MRKDWN_ELLIPSIS));
        }
    }
}

static void ten_kilobytes_of_accented_text_are_cut_between_characters(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    /* "e" + U+0301 COMBINING ACUTE ACCENT, then U+00E9: cut points must fall
     * between graphemes, never inside a sequence or between e and accent. */
    const char *accents = repeat_to("e\xCC\x81\xC3\xA9", 10 * 1024, p);

    for (int i = 0; posted_types[i]; i++) {
        json_t *ev = fixture(posted_types[i], p);
        json_t *msg;
        const char *header;

        poison(ev, accents);
        msg = render_ok(ev, &settings, p);
        assert_within_slack_limits(msg, NXS_MENTION_NONE);
        header = block_text(msg, "header");
        assert_null(strstr(header, "e" NXS_MRKDWN_ELLIPSIS));
    }
}

static void an_overlong_record_url_is_replaced_by_the_app_path(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *ev = fixture("quote.sent", p);

    json_object_set_new(json_object_get(ev, "record"), "url",
                        json_string(apr_pstrcat(p, "https://app.nexte.io/quotes/quo_310?",
                                                repeat_to("a", 3000, p), NULL)));
    assert_string_equal(
        nxs_json_path_str(button(render_ok(ev, &settings, p), NXS_ACTION_OPEN_RECORD), "url"),
        "https://app.nexte.io/quotes/quo_310");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(hostile_names_cannot_ping_link_or_mention),
    NXS_TEST(a_lead_message_cannot_fake_a_quote_or_a_mention),
    NXS_TEST(already_escaped_text_is_shown_as_typed),
    NXS_TEST(emoji_and_right_to_left_names_are_kept),
    NXS_TEST(bidi_overrides_cannot_reverse_the_message),
    NXS_TEST(ten_kilobyte_values_in_every_field_stay_within_slack_limits),
    NXS_TEST(ten_kilobytes_of_accented_text_are_cut_between_characters),
    NXS_TEST(an_overlong_record_url_is_replaced_by_the_app_path),
};

NXS_RUN_TESTS(tests)
