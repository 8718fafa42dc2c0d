/* Specification of nxs_mrkdwn: what a user string becomes in a Slack text
 * object, and how text is cut to Slack's limits. */
#include "nxs_test.h"

#include "test_render_helpers.h"

static void escapes_the_three_control_characters(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("Tom & Jerry <b>bold</b>", NXS_ESC_LINE, p),
                        "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;");
}

static void special_mentions_in_user_text_cannot_ping(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("<!channel>", NXS_ESC_LINE, p), "&lt;!channel&gt;");
    assert_string_equal(nxs_mrkdwn_escape("<!here|here>", NXS_ESC_LINE, p), "&lt;!here|here&gt;");
    assert_string_equal(nxs_mrkdwn_escape("<!everyone>", NXS_ESC_LINE, p), "&lt;!everyone&gt;");
    assert_string_equal(nxs_mrkdwn_escape("hi <@U123>", NXS_ESC_LINE, p), "hi &lt;@U123&gt;");
    assert_string_equal(nxs_mrkdwn_escape("<!subteam^S1>", NXS_ESC_LINE, p), "&lt;!subteam^S1&gt;");
}

static void links_in_user_text_stay_literal(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("<https://evil|click here>", NXS_ESC_LINE, p),
                        "&lt;https://evil|click here&gt;");
}

static void already_escaped_text_is_escaped_again(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    /* The user typed the five characters "&amp;": Slack must show exactly that. */
    assert_string_equal(nxs_mrkdwn_escape("R&amp;D &lt;3", NXS_ESC_LINE, p),
                        "R&amp;amp;D &amp;lt;3");
}

static void emoji_and_right_to_left_text_pass_through(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *family = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
    const char *hebrew = "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"; /* shalom */
    const char *arabic =
        "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD9\x83"; /* marhaba bik */

    assert_string_equal(nxs_mrkdwn_escape(family, NXS_ESC_LINE, p), family);
    assert_string_equal(nxs_mrkdwn_escape(hebrew, NXS_ESC_LINE, p), hebrew);
    assert_string_equal(nxs_mrkdwn_escape(arabic, NXS_ESC_LINE, p), arabic);
    assert_string_equal(nxs_mrkdwn_escape("\xF0\x9F\x8E\x89 :tada:", NXS_ESC_LINE, p),
                        "\xF0\x9F\x8E\x89 :tada:");
}

static void bidi_overrides_are_dropped(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    /* U+202E RIGHT-TO-LEFT OVERRIDE would flip the module's text after it;
     * U+2067 RIGHT-TO-LEFT ISOLATE and U+2069 POP DIRECTIONAL ISOLATE too. */
    assert_string_equal(nxs_mrkdwn_escape("Acme\xE2\x80\xAE"
                                          "cod.exe",
                                          NXS_ESC_LINE, p),
                        "Acmecod.exe");
    assert_string_equal(nxs_mrkdwn_escape("\xE2\x81\xA7"
                                          "abc\xE2\x81\xA9",
                                          NXS_ESC_LINE, p),
                        "abc");
}

static void control_characters_are_dropped(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("a\x01"
                                          "b\x1b[31mc\x7f",
                                          NXS_ESC_LINE, p),
                        "ab[31mc");
    assert_string_equal(nxs_mrkdwn_escape("a\xC2\x85"
                                          "b",
                                          NXS_ESC_LINE, p),
                        "ab"); /* U+0085 */
}

static void invalid_utf8_becomes_replacement_characters(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("a\xFF"
                                          "b",
                                          NXS_ESC_LINE, p),
                        "a\xEF\xBF\xBD"
                        "b");
    /* An overlong "/" and a lone surrogate are malformed, byte by byte. */
    assert_string_equal(nxs_mrkdwn_escape("\xC0\xAF", NXS_ESC_LINE, p), "\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(utf8_valid(nxs_mrkdwn_escape("\xED\xA0\x80 x \xF4\x90\x80\x80", 0, p)));
    assert_true(utf8_valid(nxs_mrkdwn_escape("truncated \xE2\x82", 0, p)));
}

static void one_line_text_folds_white_space_and_is_trimmed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_escape("  Acme\n\n  SARL\t ", NXS_ESC_LINE, p), "Acme SARL");
    assert_string_equal(nxs_mrkdwn_escape(NULL, NXS_ESC_LINE, p), "");
    assert_string_equal(nxs_mrkdwn_escape(" \n\t", NXS_ESC_LINE, p), "");
}

static void multi_line_text_keeps_at_most_one_blank_line(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(
        nxs_mrkdwn_escape("Hello,\r\n\r\n\r\n\r\nplease call\nback \n", NXS_ESC_MULTILINE, p),
        "Hello,\n\nplease call\nback");
}

static void length_counts_code_points(void **state)
{
    (void)state;
    assert_int_equal(nxs_mrkdwn_length("\xE2\x82\xAC"
                                       "1"),
                     2);                                        /* "€1" */
    assert_int_equal(nxs_mrkdwn_length("\xF0\x9F\x92\xB0"), 1); /* 💰 */
    assert_int_equal(nxs_mrkdwn_length("&amp;"), 5);
}

static void text_that_fits_is_returned_as_is(void **state)
{
    const char *t = "short";

    assert_ptr_equal(nxs_mrkdwn_truncate(t, 5, nxs_test_pool(state)), t);
}

static void long_text_is_cut_with_an_ellipsis(void **state)
{
    assert_string_equal(nxs_mrkdwn_truncate("abcdefghij", 5, nxs_test_pool(state)),
                        "abcd\xE2\x80\xA6");
    assert_string_equal(nxs_mrkdwn_truncate("abc defghij", 5, nxs_test_pool(state)),
                        "abc\xE2\x80\xA6"); /* no space left before the ellipsis */
}

static void a_cut_never_splits_an_entity(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_mrkdwn_truncate("ab&amp;cdef", 6, p), "ab\xE2\x80\xA6");
    assert_string_equal(nxs_mrkdwn_truncate("ab&amp;cdef", 8, p), "ab&amp;\xE2\x80\xA6");
}

static void a_cut_never_splits_a_module_token(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *t = "At <!date^1764320352^{time}|9:59 AM> and more";

    assert_string_equal(nxs_mrkdwn_truncate(t, 20, p), "At\xE2\x80\xA6");
    assert_string_equal(nxs_mrkdwn_truncate(t, 37, p),
                        "At <!date^1764320352^{time}|9:59 AM>\xE2\x80\xA6");
}

static void a_cut_keeps_graphemes_whole(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    /* "e" + U+0301 COMBINING ACUTE: cutting between them would drop the accent. */
    const char *accents = "ce\xCC\x81"
                          "ce\xCC\x81";
    /* man ZWJ woman ZWJ girl: five code points, one family. */
    const char *family =
        "ab\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"
        "cd";

    assert_string_equal(nxs_mrkdwn_truncate(accents, 3, p), "c\xE2\x80\xA6");
    assert_string_equal(nxs_mrkdwn_truncate(family, 5, p), "ab\xE2\x80\xA6");
}

static void ten_kilobytes_of_hostile_text_fit_a_section(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *hostile = repeat_to("<!channel> &amp; \xF0\x9F\x92\xA5 \xD7\xA9", 10 * 1024, p);
    const char *out = nxs_mrkdwn_field(hostile, 3000, NXS_ESC_MULTILINE, p);

    assert_true(strlen(hostile) > 10 * 1024);
    assert_true(nxs_mrkdwn_length(out) <= 3000);
    assert_true(nxs_mrkdwn_length(out) >= 2990);
    assert_null(strchr(out, '<'));
    assert_null(strstr(out, "!channel>"));
    assert_true(utf8_valid(out));
    assert_string_equal(out + strlen(out) - 3, NXS_MRKDWN_ELLIPSIS);
}

static void ten_kilobytes_of_multibyte_text_fit_a_header(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *euros = repeat_to("\xE2\x82\xAC", 12000, p);
    const char *out = nxs_mrkdwn_field(euros, 150, NXS_ESC_LINE, p);

    assert_int_equal(nxs_mrkdwn_length(out), 150);
    assert_true(utf8_valid(out));
}

static void quote_prefixes_every_line(void **state)
{
    assert_string_equal(nxs_mrkdwn_quote("Hello\n\nbye", nxs_test_pool(state)),
                        "> Hello\n> \n> bye");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(escapes_the_three_control_characters),
    NXS_TEST(special_mentions_in_user_text_cannot_ping),
    NXS_TEST(links_in_user_text_stay_literal),
    NXS_TEST(already_escaped_text_is_escaped_again),
    NXS_TEST(emoji_and_right_to_left_text_pass_through),
    NXS_TEST(bidi_overrides_are_dropped),
    NXS_TEST(control_characters_are_dropped),
    NXS_TEST(invalid_utf8_becomes_replacement_characters),
    NXS_TEST(one_line_text_folds_white_space_and_is_trimmed),
    NXS_TEST(multi_line_text_keeps_at_most_one_blank_line),
    NXS_TEST(length_counts_code_points),
    NXS_TEST(text_that_fits_is_returned_as_is),
    NXS_TEST(long_text_is_cut_with_an_ellipsis),
    NXS_TEST(a_cut_never_splits_an_entity),
    NXS_TEST(a_cut_never_splits_a_module_token),
    NXS_TEST(a_cut_keeps_graphemes_whole),
    NXS_TEST(ten_kilobytes_of_hostile_text_fit_a_section),
    NXS_TEST(ten_kilobytes_of_multibyte_text_fit_a_header),
    NXS_TEST(quote_prefixes_every_line),
};

NXS_RUN_TESTS(tests)
