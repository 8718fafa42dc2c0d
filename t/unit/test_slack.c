/* The Slack client's pure parts: the Retry-After header's value. */
#include "nxs_test.h"

#include <string.h>

#include "slack/nxs_slack.h"

static apr_interval_time_t retry_after(const char *value)
{
    return nxs_slack_retry_after(value, strlen(value));
}

static void retry_after_takes_delta_seconds_with_blanks_and_line_end(void **state)
{
    assert_int_equal(retry_after("30"), apr_time_from_sec(30));
    assert_int_equal(retry_after(" 30\r\n"), apr_time_from_sec(30));
    assert_int_equal(retry_after("\t7 \r\n"), apr_time_from_sec(7));
    assert_int_equal(retry_after("3600"), apr_time_from_sec(3600));
    /* only LEN bytes are read: libcurl's header lines are not terminated */
    assert_int_equal(nxs_slack_retry_after("42", 1), apr_time_from_sec(4));
}

static void retry_after_zero_waits_one_second(void **state)
{
    assert_int_equal(retry_after("0"), apr_time_from_sec(1));
    assert_int_equal(retry_after("000\r\n"), apr_time_from_sec(1));
}

static void retry_after_is_capped_at_one_hour_without_overflow(void **state)
{
    assert_int_equal(retry_after("3601"), NXS_SLACK_RETRY_AFTER_MAX);
    assert_int_equal(retry_after("9223372036854775807"), NXS_SLACK_RETRY_AFTER_MAX);
    assert_int_equal(retry_after("99999999999999999999"), NXS_SLACK_RETRY_AFTER_MAX);
    assert_int_equal(retry_after("000000000000000000000000000005"), apr_time_from_sec(5));
    assert_int_equal(NXS_SLACK_RETRY_AFTER_MAX, apr_time_from_sec(3600));
}

static void retry_after_that_is_not_delta_seconds_is_ignored(void **state)
{
    const char *bad[] = {
        "",    " \r\n", "-1",   "-99999999999999999999",        "+5", "abc", "12abc",
        "1 2", "1.5",   "0x10", "Wed, 21 Oct 2026 07:28:00 GMT"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(retry_after(bad[i]), 0);
    }
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(retry_after_takes_delta_seconds_with_blanks_and_line_end),
    NXS_TEST(retry_after_zero_waits_one_second),
    NXS_TEST(retry_after_is_capped_at_one_hour_without_overflow),
    NXS_TEST(retry_after_that_is_not_delta_seconds_is_ignored),
};

NXS_RUN_TESTS(tests)
