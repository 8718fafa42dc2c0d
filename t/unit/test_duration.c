/* Durations: every unit, the mandatory unit, and the bounds. */
#include "nxs_test.h"

#include "nxs_duration.h"

static void accepts_each_unit(void **state)
{
    apr_interval_time_t d = 0;

    assert_int_equal(nxs_duration_parse(&d, "1500ms"), APR_SUCCESS);
    assert_int_equal(d, 1500000);
    assert_int_equal(nxs_duration_parse(&d, "20s"), APR_SUCCESS);
    assert_int_equal(d, apr_time_from_sec(20));
    assert_int_equal(nxs_duration_parse(&d, "10m"), APR_SUCCESS);
    assert_int_equal(d, apr_time_from_sec(600));
    assert_int_equal(nxs_duration_parse(&d, "24h"), APR_SUCCESS);
    assert_int_equal(d, apr_time_from_sec(86400));
    assert_int_equal(nxs_duration_parse(&d, "30d"), APR_SUCCESS);
    assert_int_equal(d, apr_time_from_sec(30 * 86400));
    assert_int_equal(nxs_duration_parse(&d, "365d"), APR_SUCCESS);
}

static void refuses_missing_or_unknown_units(void **state)
{
    apr_interval_time_t d = 42;
    const char *bad[] = {"",     "10",   "s",    "10x",  "10 s",
                         " 10s", "10s ", "1.5s", "-1s",  "10sec",
                         "10S",  "0s",   "0ms",  "366d", "99999999999999999999s",
                         "1e3s"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(nxs_duration_parse(&d, bad[i]), APR_EINVAL);
        assert_int_equal(d, 42); /* untouched on failure */
    }
    assert_int_equal(nxs_duration_parse(&d, NULL), APR_EINVAL);
}

static void formats_with_the_largest_exact_unit(void **state)
{
    char buf[32];

    assert_string_equal(nxs_duration_format(apr_time_from_sec(86400), buf, sizeof(buf)), "1d");
    assert_string_equal(nxs_duration_format(apr_time_from_sec(90), buf, sizeof(buf)), "90s");
    assert_string_equal(nxs_duration_format(apr_time_from_sec(600), buf, sizeof(buf)), "10m");
    assert_string_equal(nxs_duration_format(1500000, buf, sizeof(buf)), "1500ms");
    assert_string_equal(nxs_duration_format(7, buf, sizeof(buf)), "7us");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(accepts_each_unit),
    NXS_TEST(refuses_missing_or_unknown_units),
    NXS_TEST(formats_with_the_largest_exact_unit),
};

NXS_RUN_TESTS(tests)
