/* Specification of the "Mark as handled" update: the posted message with
 * its buttons replaced by who handled it and when, the same whoever
 * clicks, and refusals for what is not a posted message or a Slack user. */
#include "nxs_test.h"

#include "test_render_helpers.h"

#define NNBSP "\xE2\x80\xAF" /* U+202F, ICU's space before AM/PM */

static const nxs_render_settings_t en_paris = {
    "en", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", "d_abc"};
static const nxs_render_settings_t fr_paris = {
    "fr", "EUR", "Europe/Paris", NXS_MENTION_NONE, "https://app.nexte.io", NULL};

static const char quote_accepted[] =
    "{'id': 'evt_1', 'type': 'quote.accepted', 'account_id': 'acc_42',"
    " 'occurred_at': '2026-11-28T08:59:12Z',"
    " 'client': {'id': 'cli_9', 'name': 'Acme SARL'},"
    " 'record': {'kind': 'quote', 'id': 'q_7', 'number': 'Q-2026-007'},"
    " 'amount': {'value': '980.00', 'currency': 'EUR'}}";

/* 2026-11-28T09:05:00Z */
#define CLICKED_AT apr_time_from_sec(1795856700)

/* The message as the daemon posted it (with "channel"), as stored. */
static const char *posted(apr_pool_t *p)
{
    json_t *msg = render_ok(parse(quote_accepted, p), &en_paris, p);
    json_object_set_new(msg, "channel", json_string("C0PAYMENTS"));
    return nxs_json_dump(msg, JSON_COMPACT, p);
}

static json_t *handled_ok(const char *sent, const char *user, const nxs_render_settings_t *s,
                          apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    if (nxs_render_handled(&msg, &why, sent, user, CLICKED_AT, s, p) != APR_SUCCESS) {
        fail_msg("handled render failed: %s", why);
    }
    return msg;
}

static const json_t *block_with_id(const json_t *msg, const char *id)
{
    size_t i;
    const json_t *b;

    json_array_foreach(json_object_get(msg, "blocks"), i, b)
    {
        const char *bid = nxs_json_path_str(b, "block_id");
        if (bid && strcmp(bid, id) == 0) {
            return b;
        }
    }
    return NULL;
}

static void the_buttons_become_who_handled_it_and_when(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sent = posted(p);
    json_t *before = parse(sent, p), *msg = handled_ok(sent, "U024BE7LH", &en_paris, p);
    const json_t *line = block_with_id(msg, NXS_BLOCK_HANDLED);

    assert_null(block(msg, "actions"));
    assert_non_null(line);
    assert_string_equal(nxs_json_path_str(line, "type"), "context");
    assert_string_equal(
        nxs_json_path_str(json_array_get(json_object_get(line, "elements"), 0), "text"),
        "✅ Handled by <@U024BE7LH> · <!date^1795856700^{date_short_pretty} at "
        "{time}|Nov 28, 2026, 10:05" NNBSP "AM GMT+1>");
    /* Everything else is the message as posted: same blocks, same order,
     * the line where the buttons were; no channel, no unfurl options. */
    assert_int_equal(json_array_size(json_object_get(msg, "blocks")),
                     json_array_size(json_object_get(before, "blocks")));
    assert_true(json_equal(json_array_get(json_object_get(msg, "blocks"), 0),
                           json_array_get(json_object_get(before, "blocks"), 0)));
    assert_ptr_equal(json_array_get(json_object_get(msg, "blocks"),
                                    json_array_size(json_object_get(msg, "blocks")) - 1),
                     line);
    assert_string_equal(nxs_json_path_str(msg, "text"), nxs_json_path_str(before, "text"));
    assert_null(json_object_get(msg, "channel"));
    assert_null(json_object_get(msg, "unfurl_links"));
}

static void in_french(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *msg = handled_ok(posted(p), "W0ENTERPRISE1", &fr_paris, p);

    assert_string_equal(
        nxs_json_path_str(
            json_array_get(json_object_get(block_with_id(msg, NXS_BLOCK_HANDLED), "elements"), 0),
            "text"),
        "✅ Traité par <@W0ENTERPRISE1> · <!date^1795856700^{date_short_pretty} à {time}|"
        "28 nov. 2026, 10:05 UTC+1>");
}

static void rendering_a_handled_message_again_gives_the_same_message(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *once = handled_ok(posted(p), "U024BE7LH", &en_paris, p);
    json_t *twice = handled_ok(nxs_json_dump(once, JSON_COMPACT, p), "U024BE7LH", &en_paris, p);

    assert_true(json_equal(once, twice));
}

static void a_message_without_buttons_gets_the_line_at_its_end(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sent = "{\"text\":\"hi\",\"blocks\":[{\"type\":\"section\",\"text\":"
                       "{\"type\":\"mrkdwn\",\"text\":\"hi\"}}]}";
    json_t *msg = handled_ok(sent, "U1", &en_paris, p);

    assert_int_equal(json_array_size(json_object_get(msg, "blocks")), 2);
    assert_ptr_equal(json_array_get(json_object_get(msg, "blocks"), 1),
                     block_with_id(msg, NXS_BLOCK_HANDLED));
}

static void what_is_not_a_slack_user_or_a_message_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const bad_users[] = {"",    "U",         "u024be7lh",  "<!channel>",
                                            "U1>", "B024BE7LH", "U024 BE7LH", "U02\n4"};
    static const char *const bad_messages[] = {"", "not json", "[]", "{\"text\":\"x\"}",
                                               "{\"blocks\":[]}"};
    const char *sent = posted(p), *why = NULL;
    json_t *msg = NULL;
    size_t i;

    for (i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); ++i) {
        assert_int_equal(
            nxs_render_handled(&msg, &why, sent, bad_users[i], CLICKED_AT, &en_paris, p),
            APR_EINVAL);
        assert_null(msg);
        assert_non_null(strstr(why, "user"));
    }
    assert_int_equal(nxs_render_handled(&msg, &why, sent, NULL, CLICKED_AT, &en_paris, p),
                     APR_EINVAL);
    for (i = 0; i < sizeof(bad_messages) / sizeof(bad_messages[0]); ++i) {
        assert_int_equal(
            nxs_render_handled(&msg, &why, bad_messages[i], "U1", CLICKED_AT, &en_paris, p),
            APR_EINVAL);
        assert_null(msg);
        assert_non_null(strstr(why, "message"));
    }
}

static void delivery_ids_are_made_and_checked_in_one_shape(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *id = NULL, *other = NULL;
    char long_id[82];

    assert_int_equal(nxs_render_delivery_id_new(&id, p), APR_SUCCESS);
    assert_int_equal(nxs_render_delivery_id_new(&other, p), APR_SUCCESS);
    assert_true(nxs_render_delivery_id_ok(id));
    assert_string_not_equal(id, other);
    assert_int_equal(strncmp(id, "d_", 2), 0);
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[0] = 'd', long_id[1] = '_', long_id[81] = '\0';
    assert_false(nxs_render_delivery_id_ok(long_id)); /* 81 characters */
    long_id[80] = '\0';
    assert_true(nxs_render_delivery_id_ok(long_id)); /* 80 */
    assert_false(nxs_render_delivery_id_ok(NULL));
    assert_false(nxs_render_delivery_id_ok("d_"));
    assert_false(nxs_render_delivery_id_ok("x_abc"));
    assert_false(nxs_render_delivery_id_ok("d_a b"));
    assert_false(nxs_render_delivery_id_ok("d_a'1"));
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_buttons_become_who_handled_it_and_when),
    NXS_TEST(in_french),
    NXS_TEST(rendering_a_handled_message_again_gives_the_same_message),
    NXS_TEST(a_message_without_buttons_gets_the_line_at_its_end),
    NXS_TEST(what_is_not_a_slack_user_or_a_message_is_refused),
    NXS_TEST(delivery_ids_are_made_and_checked_in_one_shape),
};

NXS_RUN_TESTS(tests)
