/* Specification of nxs_localtime (local days and wall-clock times in IANA
 * zones over ICU) and of the clock seam nxs_clock.  The expected instants
 * were computed independently with Python's zoneinfo (the IANA data). */
#include "nxs_test.h"

#include <string.h>

#include "nxs_clock.h"
#include "nxs_localtime.h"

#define SEC(s) apr_time_from_sec(s)

static nxs_day_t day_of(int y, int m, int d)
{
    nxs_day_t day = {y, m, d};
    return day;
}

static void assert_day(const nxs_day_t *got, int y, int m, int d)
{
    assert_int_equal(got->year, y);
    assert_int_equal(got->month, m);
    assert_int_equal(got->day, d);
}

static void assert_bounds(int y, int m, int d, const char *tz, long long start, long long end)
{
    nxs_day_t day = day_of(y, m, d);
    apr_time_t s = 0, e = 0;

    assert_int_equal(nxs_localtime_bounds(&s, &e, &day, tz), APR_SUCCESS);
    assert_int_equal(s, SEC(start));
    assert_int_equal(e, SEC(end));
}

static void assert_at(int y, int m, int d, int hh, int mm, const char *tz, long long expected)
{
    nxs_day_t day = day_of(y, m, d);
    apr_time_t t = 0;

    assert_int_equal(nxs_localtime_at(&t, &day, hh, mm, tz), APR_SUCCESS);
    assert_int_equal(t, SEC(expected));
}

static void paris_spring_forward_day_lasts_23_hours(void **state)
{
    (void)state;
    /* 2026-03-29: 02:00 CET becomes 03:00 CEST. */
    assert_bounds(2026, 3, 29, "Europe/Paris", 1774738800 /* 03-28T23:00Z */,
                  1774821600 /* 03-29T22:00Z */);
    assert_at(2026, 3, 29, 9, 0, "Europe/Paris", 1774767600); /* 07:00Z */
    /* 02:30 does not exist that night: the first valid instant after the
     * gap, 03:00 CEST = 01:00Z. */
    assert_at(2026, 3, 29, 2, 30, "Europe/Paris", 1774746000);
    /* The day before and after are plain 24 h days, 09:00 an hour apart in UTC. */
    assert_at(2026, 3, 28, 9, 0, "Europe/Paris", 1774767600 - 23 * 3600);
    assert_at(2026, 3, 30, 9, 0, "Europe/Paris", 1774767600 + 24 * 3600);
}

static void paris_fall_back_day_lasts_25_hours(void **state)
{
    (void)state;
    /* 2026-10-25: 03:00 CEST becomes 02:00 CET. */
    assert_bounds(2026, 10, 25, "Europe/Paris", 1792879200 /* 10-24T22:00Z */,
                  1792969200 /* 10-25T23:00Z */);
    assert_at(2026, 10, 25, 9, 0, "Europe/Paris", 1792915200); /* 08:00Z */
    /* 02:30 happens twice: the first one (CEST), 00:30Z. */
    assert_at(2026, 10, 25, 2, 30, "Europe/Paris", 1792888200);
}

static void new_york_dst_days_both_ways(void **state)
{
    (void)state;
    assert_bounds(2026, 3, 8, "America/New_York", 1772946000 /* 05:00Z */,
                  1773028800 /* 03-09T04:00Z */);
    assert_at(2026, 3, 8, 9, 0, "America/New_York", 1772974800);  /* 13:00Z */
    assert_at(2026, 3, 8, 2, 30, "America/New_York", 1772953200); /* gap: 03:00 EDT */
    assert_bounds(2026, 11, 1, "America/New_York", 1793505600 /* 04:00Z */,
                  1793595600 /* 11-02T05:00Z */);
    assert_at(2026, 11, 1, 9, 0, "America/New_York", 1793541600);  /* 14:00Z */
    assert_at(2026, 11, 1, 1, 30, "America/New_York", 1793511000); /* first 01:30, EDT */
}

static void a_day_whose_midnight_is_skipped_starts_at_its_first_instant(void **state)
{
    (void)state;
    /* Havana moves from 00:00 CST to 01:00 CDT on 2026-03-08, and from
     * 01:00 CDT back to 00:00 CST on 2026-11-01 (midnight happens twice). */
    assert_bounds(2026, 3, 8, "America/Havana", 1772946000 /* 05:00Z = 01:00 CDT */,
                  1773028800 /* 03-09T04:00Z */);
    assert_bounds(2026, 11, 1, "America/Havana", 1793505600 /* 04:00Z, first midnight */,
                  1793595600 /* 11-02T05:00Z */);
}

static void local_day_of_an_instant_around_the_dst_nights(void **state)
{
    nxs_day_t d;

    (void)state;
    assert_int_equal(nxs_localtime_day(&d, SEC(1774738800 - 1), "Europe/Paris"), APR_SUCCESS);
    assert_day(&d, 2026, 3, 28);
    assert_int_equal(nxs_localtime_day(&d, SEC(1774738800), "Europe/Paris"), APR_SUCCESS);
    assert_day(&d, 2026, 3, 29);
    assert_int_equal(nxs_localtime_day(&d, SEC(1792969200 - 1), "Europe/Paris"), APR_SUCCESS);
    assert_day(&d, 2026, 10, 25);
    assert_int_equal(nxs_localtime_day(&d, SEC(1792969200), "Europe/Paris"), APR_SUCCESS);
    assert_day(&d, 2026, 10, 26);
    /* The microsecond before a New York midnight. */
    assert_int_equal(nxs_localtime_day(&d, SEC(1793595600) - 1, "America/New_York"), APR_SUCCESS);
    assert_day(&d, 2026, 11, 1);
}

static void same_instant_is_a_different_day_in_another_zone(void **state)
{
    nxs_day_t d;
    apr_time_t t = SEC(1796558400); /* 2026-12-06T12:00:00Z */

    (void)state;
    assert_int_equal(nxs_localtime_day(&d, t, "UTC"), APR_SUCCESS);
    assert_day(&d, 2026, 12, 6);
    assert_int_equal(nxs_localtime_day(&d, t, "Europe/Paris"), APR_SUCCESS);
    assert_day(&d, 2026, 12, 6);
    /* Auckland is UTC+13 in December (NZDT): already Monday the 7th. */
    assert_int_equal(nxs_localtime_day(&d, t, "Pacific/Auckland"), APR_SUCCESS);
    assert_day(&d, 2026, 12, 7);
    /* 23:30Z is still the 6th in New York, the 7th in Kolkata (UTC+5:30). */
    t = SEC(1796558400 + 11 * 3600 + 1800);
    assert_int_equal(nxs_localtime_day(&d, t, "America/New_York"), APR_SUCCESS);
    assert_day(&d, 2026, 12, 6);
    assert_int_equal(nxs_localtime_day(&d, t, "Asia/Kolkata"), APR_SUCCESS);
    assert_day(&d, 2026, 12, 7);
}

static void far_east_and_half_hour_zones(void **state)
{
    (void)state;
    assert_at(2026, 12, 7, 9, 0, "Pacific/Auckland", 1796587200); /* 12-06T20:00Z */
    assert_at(2026, 12, 7, 9, 0, "Asia/Kolkata", 1796614200);     /* 03:30Z */
    assert_bounds(2026, 12, 7, "Asia/Kolkata", 1796581800, 1796668200);
    /* Southern hemisphere: NZ summer time ends on 2026-04-05 (25 h) and
     * starts on 2026-09-27 (23 h). */
    assert_bounds(2026, 4, 5, "Pacific/Auckland", 1775300400, 1775390400);
    assert_bounds(2026, 9, 27, "Pacific/Auckland", 1790424000, 1790506800);
}

static void utc_days_are_24_hours_at_midnight(void **state)
{
    nxs_day_t d;

    (void)state;
    assert_bounds(2026, 3, 29, "UTC", 1774742400, 1774828800);
    assert_at(2028, 2, 29, 9, 0, "UTC", 1835427600);
    assert_int_equal(nxs_localtime_day(&d, SEC(1835427600), "UTC"), APR_SUCCESS);
    assert_day(&d, 2028, 2, 29);
}

static void next_wall_clock_time_is_strictly_after_now(void **state)
{
    apr_time_t t = 0;

    (void)state;
    /* 06:59:59Z on the spring day in Paris: 09:00 CEST is one second away. */
    assert_int_equal(nxs_localtime_next(&t, SEC(1774767599), 9, 0, "Europe/Paris"), APR_SUCCESS);
    assert_int_equal(t, SEC(1774767600));
    /* At 09:00 exactly, the next one is tomorrow's. */
    assert_int_equal(nxs_localtime_next(&t, SEC(1774767600), 9, 0, "Europe/Paris"), APR_SUCCESS);
    assert_int_equal(t, SEC(1774767600 + 24 * 3600));
    /* 09:30 CET the day before the spring change: 22.5 h to wait. */
    assert_int_equal(nxs_localtime_next(&t, SEC(1774686600), 9, 0, "Europe/Paris"), APR_SUCCESS);
    assert_int_equal(t, SEC(1774767600));
    /* 09:30 CEST the day before the autumn change: 24.5 h to wait. */
    assert_int_equal(nxs_localtime_next(&t, SEC(1792827000), 9, 0, "Europe/Paris"), APR_SUCCESS);
    assert_int_equal(t, SEC(1792915200));
}

static void bad_zones_dates_and_times_are_refused(void **state)
{
    nxs_day_t d = day_of(2026, 2, 29), ok = day_of(2026, 2, 28);
    apr_time_t t;

    (void)state;
    assert_int_equal(nxs_localtime_day(&d, 0, "Mars/Olympus_Mons"), APR_EINVAL);
    assert_int_equal(nxs_localtime_day(&d, 0, NULL), APR_EINVAL);
    assert_int_equal(nxs_localtime_day(&d, 0, "+01:00"), APR_EINVAL);
    assert_int_equal(nxs_localtime_at(&t, &d, 9, 0, "UTC"), APR_EINVAL);
    assert_int_equal(nxs_localtime_at(&t, &ok, 24, 0, "UTC"), APR_EINVAL);
    assert_int_equal(nxs_localtime_at(&t, &ok, 9, 60, "UTC"), APR_EINVAL);
    assert_int_equal(nxs_localtime_at(&t, &ok, 9, 0, "Europe/Nowhere"), APR_EINVAL);
}

static void weekdays_are_iso_monday_one_to_sunday_seven(void **state)
{
    nxs_day_t d;

    (void)state;
    d = day_of(1970, 1, 1);
    assert_int_equal(nxs_day_weekday(&d), 4); /* a Thursday */
    d = day_of(2026, 11, 30);
    assert_int_equal(nxs_day_weekday(&d), 1);
    d = day_of(2026, 12, 6);
    assert_int_equal(nxs_day_weekday(&d), 7);
    d = day_of(1969, 12, 28);
    assert_int_equal(nxs_day_weekday(&d), 7);
    d = day_of(2028, 2, 29);
    assert_int_equal(nxs_day_weekday(&d), 2);
}

static void days_add_compare_format_and_parse(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_day_t d = day_of(2026, 12, 31), e, f;

    e = nxs_day_add(d, 1);
    assert_day(&e, 2027, 1, 1);
    e = nxs_day_add(day_of(2028, 3, 1), -1);
    assert_day(&e, 2028, 2, 29);
    assert_true(nxs_day_cmp(&d, &e) < 0);
    assert_true(nxs_day_cmp(&e, &d) > 0);
    assert_int_equal(nxs_day_cmp(&d, &d), 0);
    assert_string_equal(nxs_day_format(&e, p), "2028-02-29");
    assert_int_equal(nxs_day_parse(&f, "2026-03-29"), APR_SUCCESS);
    assert_day(&f, 2026, 3, 29);
    assert_int_not_equal(nxs_day_parse(&f, "2026-02-30"), APR_SUCCESS);
}

static apr_time_t fixed_clock(void)
{
    return SEC(1774767600);
}

static void the_clock_seam_follows_the_clock_set_and_restores(void **state)
{
    apr_time_t before;

    (void)state;
    before = apr_time_now();
    assert_true(nxs_clock_now() >= before);
    nxs_clock_set(fixed_clock);
    assert_int_equal(nxs_clock_now(), SEC(1774767600));
    nxs_clock_set(NULL);
    assert_true(nxs_clock_now() >= before);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(paris_spring_forward_day_lasts_23_hours),
    NXS_TEST(paris_fall_back_day_lasts_25_hours),
    NXS_TEST(new_york_dst_days_both_ways),
    NXS_TEST(a_day_whose_midnight_is_skipped_starts_at_its_first_instant),
    NXS_TEST(local_day_of_an_instant_around_the_dst_nights),
    NXS_TEST(same_instant_is_a_different_day_in_another_zone),
    NXS_TEST(far_east_and_half_hour_zones),
    NXS_TEST(utc_days_are_24_hours_at_midnight),
    NXS_TEST(next_wall_clock_time_is_strictly_after_now),
    NXS_TEST(bad_zones_dates_and_times_are_refused),
    NXS_TEST(weekdays_are_iso_monday_one_to_sunday_seven),
    NXS_TEST(days_add_compare_format_and_parse),
    NXS_TEST(the_clock_seam_follows_the_clock_set_and_restores),
};

NXS_RUN_TESTS(tests)
