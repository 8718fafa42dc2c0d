/* Specification of nxs_time: strict RFC 3339 timestamps and dates. */
#include "nxs_test.h"

#include "nxs_time.h"

static void rfc3339_timestamps_with_an_offset_are_parsed(void **state)
{
    apr_time_t t;

    (void)state;
    assert_int_equal(nxs_time_parse_rfc3339(&t, "2026-11-28T08:59:12Z"), APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(1795856352));
    assert_int_equal(nxs_time_parse_rfc3339(&t, "2026-11-28T09:59:12+01:00"), APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(1795856352));
    assert_int_equal(nxs_time_parse_rfc3339(&t, "2026-11-28t03:59:12.25-05:00"), APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(1795856352) + 250000);
    assert_int_equal(nxs_time_parse_rfc3339(&t, "1969-12-31T23:00:00z"), APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(-3600));
    /* A leap second is read as the second before it. */
    assert_int_equal(nxs_time_parse_rfc3339(&t, "2016-12-31T23:59:60Z"), APR_SUCCESS);
    assert_int_equal(t, apr_time_from_sec(1483228799));
    assert_int_equal(nxs_time_parse_rfc3339(&t, "2028-02-29T00:00:00Z"), APR_SUCCESS);
}

static void loose_timestamps_are_refused(void **state)
{
    const char *bad[] = {"2026-11-28 08:59:12Z",
                         "2026-11-28T08:59:12",
                         "2026-11-28T08:59Z",
                         "2026-02-29T00:00:00Z",
                         "2026-13-01T00:00:00Z",
                         "2026-11-31T00:00:00Z",
                         "2026-11-28T24:00:00Z",
                         "2026-11-28T08:60:00Z",
                         "2026-11-28T08:59:12+0100",
                         "2026-11-28T08:59:12+24:00",
                         "2026-11-28T08:59:12Zjunk",
                         "2026-11-28T08:59:12.Z",
                         "26-11-28T08:59:12Z",
                         "1795856352",
                         "",
                         NULL};
    apr_time_t t;

    (void)state;
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(nxs_time_parse_rfc3339(&t, bad[i]), APR_EINVAL);
    }
    assert_int_equal(nxs_time_parse_rfc3339(&t, NULL), APR_EINVAL);
}

static void full_dates_are_parsed_strictly(void **state)
{
    int y, m, d;

    (void)state;
    assert_int_equal(nxs_time_parse_date(&y, &m, &d, "2026-11-27"), APR_SUCCESS);
    assert_true(y == 2026 && m == 11 && d == 27);
    assert_int_equal(nxs_time_parse_date(&y, &m, &d, "2026-1-27"), APR_EINVAL);
    assert_int_equal(nxs_time_parse_date(&y, &m, &d, "2026-04-31"), APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(rfc3339_timestamps_with_an_offset_are_parsed),
    NXS_TEST(loose_timestamps_are_refused),
    NXS_TEST(full_dates_are_parsed_strictly),
};

NXS_RUN_TESTS(tests)
