/* Specification of nxs_active_hours: whether an instant is inside an
 * account's active hours, and when they next open, in its IANA zone;
 * windows that cross midnight; DST nights in Paris and New York.  The
 * expected instants were computed independently with Python's zoneinfo. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_active_hours.h"
#include "nxs_json.h"

#define SEC(s)  apr_time_from_sec(s)
#define PARIS   "Europe/Paris"
#define NEWYORK "America/New_York"

#define WEEKDAYS                                                                                   \
    (NXS_ACTIVE_DAY(1) | NXS_ACTIVE_DAY(2) | NXS_ACTIVE_DAY(3) | NXS_ACTIVE_DAY(4) |               \
     NXS_ACTIVE_DAY(5))
#define EVERY_DAY (WEEKDAYS | NXS_ACTIVE_DAY(6) | NXS_ACTIVE_DAY(7))
#define FRIDAY    NXS_ACTIVE_DAY(5)
#define SATURDAY  NXS_ACTIVE_DAY(6)
#define SUNDAY    NXS_ACTIVE_DAY(7)

static nxs_active_hours_t hours(unsigned days, int start, int end)
{
    nxs_active_hours_t ah = {days, start, end};
    return ah;
}

#define HM(h, m) ((h)*60 + (m))

static int inside(const nxs_active_hours_t *ah, apr_time_t t, const char *tz)
{
    int in = -1;

    assert_int_equal(nxs_active_hours_inside(&in, ah, t, tz), APR_SUCCESS);
    return in;
}

static long long next_start(const nxs_active_hours_t *ah, apr_time_t t, const char *tz)
{
    apr_time_t start = 0;

    assert_int_equal(nxs_active_hours_next_start(&start, ah, t, tz), APR_SUCCESS);
    assert_true(start > t);
    return apr_time_sec(start);
}

static void office_hours_mon_to_fri_nine_to_seven(void **state)
{
    nxs_active_hours_t ah = hours(WEEKDAYS, HM(9, 0), HM(19, 0));

    (void)state;
    /* Monday 2026-11-30 in Paris (UTC+1): 09:00 is 08:00Z. */
    assert_false(inside(&ah, SEC(1796025600) - 1, PARIS));
    assert_int_equal(next_start(&ah, SEC(1796025600) - 1, PARIS), 1796025600);
    assert_true(inside(&ah, SEC(1796025600), PARIS)); /* the start is inside */
    assert_true(inside(&ah, SEC(1796025600 + 10 * 3600) - 1, PARIS));
    assert_false(inside(&ah, SEC(1796025600 + 10 * 3600), PARIS)); /* 19:00 is outside */
    /* Inside, the next opening is tomorrow's. */
    assert_int_equal(next_start(&ah, SEC(1796025600), PARIS), 1796112000);
    assert_int_equal(next_start(&ah, SEC(1796025600 + 10 * 3600), PARIS), 1796112000);
    /* Friday 19:30 and Saturday noon wait for Monday 2026-12-07 09:00. */
    assert_false(inside(&ah, SEC(1796409000), PARIS));
    assert_int_equal(next_start(&ah, SEC(1796409000), PARIS), 1796630400);
    assert_false(inside(&ah, SEC(1796468400), PARIS));
    assert_int_equal(next_start(&ah, SEC(1796468400), PARIS), 1796630400);
}

static void the_same_hours_are_read_in_the_accounts_zone(void **state)
{
    nxs_active_hours_t ah = hours(WEEKDAYS, HM(9, 0), HM(19, 0));

    (void)state;
    /* 08:30Z on Monday 2026-11-30: 09:30 in Paris, 03:30 in New York,
     * 08:30 in UTC. */
    assert_true(inside(&ah, SEC(1796027400), PARIS));
    assert_false(inside(&ah, SEC(1796027400), NEWYORK));
    assert_int_equal(next_start(&ah, SEC(1796027400), NEWYORK), 1796047200); /* 14:00Z */
    assert_false(inside(&ah, SEC(1796027400), "UTC"));
    assert_int_equal(next_start(&ah, SEC(1796027400), "UTC"), 1796029200); /* 09:00Z */
}

static void a_window_crossing_midnight_belongs_to_the_day_it_starts(void **state)
{
    nxs_active_hours_t ah = hours(FRIDAY, HM(22, 0), HM(6, 0));

    (void)state;
    /* Friday 2026-12-04 21:59 local: the window opens at 22:00. */
    assert_false(inside(&ah, SEC(1796417940), PARIS));
    assert_int_equal(next_start(&ah, SEC(1796417940), PARIS), 1796418000);
    assert_true(inside(&ah, SEC(1796418000), PARIS));
    /* Saturday 03:00 is inside although Saturday is not chosen. */
    assert_true(inside(&ah, SEC(1796436000), PARIS));
    assert_false(inside(&ah, SEC(1796446800), PARIS));                     /* Saturday 06:00 */
    assert_int_equal(next_start(&ah, SEC(1796446800), PARIS), 1797022800); /* next Friday 22:00 */
    /* Thursday 03:00: Wednesday starts no window. */
    assert_false(inside(&ah, SEC(1796263200), PARIS));
    assert_int_equal(next_start(&ah, SEC(1796263200), PARIS), 1796418000);
}

static void a_night_shift_every_day(void **state)
{
    nxs_active_hours_t ah = hours(EVERY_DAY, HM(22, 0), HM(6, 0));

    (void)state;
    /* Tuesday 2026-12-01, 03:00 and 10:00 local. */
    assert_true(inside(&ah, SEC(1796112000 - 6 * 3600), PARIS));
    assert_false(inside(&ah, SEC(1796115600), PARIS));
    assert_int_equal(next_start(&ah, SEC(1796115600), PARIS), 1796115600 + 12 * 3600);
    /* Inside at 03:00, the next opening is that evening's. */
    assert_int_equal(next_start(&ah, SEC(1796112000 - 6 * 3600), PARIS), 1796115600 + 12 * 3600);
}

static void a_window_may_end_at_midnight(void **state)
{
    nxs_active_hours_t weekdays = hours(WEEKDAYS, HM(0, 0), NXS_ACTIVE_MINUTES_PER_DAY);
    nxs_active_hours_t always = hours(EVERY_DAY, HM(0, 0), NXS_ACTIVE_MINUTES_PER_DAY);
    apr_time_t t;

    (void)state;
    assert_true(inside(&weekdays, SEC(1796425199), PARIS)); /* Friday 23:59:59 */
    assert_false(inside(&weekdays, SEC(1796425200), PARIS));
    assert_int_equal(next_start(&weekdays, SEC(1796468400), PARIS), 1796598000); /* Mon 00:00 */
    /* Tuesday: the days run into each other, they open again next Monday. */
    assert_true(inside(&weekdays, SEC(1796115600), PARIS));
    assert_int_equal(next_start(&weekdays, SEC(1796115600), PARIS), 1796598000);
    /* Every day all day: always inside, never opening again. */
    assert_true(inside(&always, SEC(1796468400), PARIS));
    assert_int_equal(nxs_active_hours_next_start(&t, &always, SEC(1796468400), PARIS), APR_ENOENT);
}

static void paris_spring_forward_a_start_that_does_not_exist(void **state)
{
    nxs_active_hours_t ah = hours(SUNDAY, HM(2, 30), HM(8, 0));
    nxs_active_hours_t in_the_gap = hours(SUNDAY, HM(2, 0), HM(2, 45));
    nxs_active_hours_t saturday_night = hours(SATURDAY, HM(22, 0), HM(6, 0));

    (void)state;
    /* 2026-03-29: 02:30 does not exist; the window opens at 03:00 CEST (01:00Z). */
    assert_false(inside(&ah, SEC(1774746000) - 1, PARIS));
    assert_int_equal(next_start(&ah, SEC(1774746000) - 1, PARIS), 1774746000);
    assert_int_equal(next_start(&ah, SEC(1774742400), PARIS), 1774746000); /* 01:00 CET */
    assert_true(inside(&ah, SEC(1774746000), PARIS));
    /* A window entirely in the gap is empty that day: next Sunday 02:00 CEST. */
    assert_false(inside(&in_the_gap, SEC(1774746000), PARIS));
    assert_int_equal(next_start(&in_the_gap, SEC(1774744200), PARIS), 1775347200);
    /* Seen from the Sunday before, that empty window is skipped too. */
    assert_int_equal(next_start(&in_the_gap, SEC(1774170000), PARIS), 1775347200);
    /* Saturday 22:00 CET to Sunday 06:00 CEST lasts 7 hours. */
    assert_int_equal(next_start(&saturday_night, SEC(1774731600) - 1, PARIS), 1774731600);
    assert_true(inside(&saturday_night, SEC(1774756800) - 1, PARIS));
    assert_false(inside(&saturday_night, SEC(1774756800), PARIS));
}

static void paris_fall_back_a_start_that_exists_twice(void **state)
{
    nxs_active_hours_t ah = hours(SUNDAY, HM(2, 30), HM(8, 0));
    nxs_active_hours_t saturday_night = hours(SATURDAY, HM(22, 0), HM(6, 0));
    nxs_active_hours_t ends_in_the_overlap = hours(SATURDAY, HM(22, 0), HM(2, 30));

    (void)state;
    /* 2026-10-25: the window opens at the first 02:30 (CEST, 00:30Z). */
    assert_false(inside(&ah, SEC(1792888200) - 1, PARIS));
    assert_int_equal(next_start(&ah, SEC(1792888200) - 1, PARIS), 1792888200);
    /* The second 02:15 (CET, 01:15Z) is after it: inside. */
    assert_true(inside(&ah, SEC(1792890900), PARIS));
    /* Saturday 22:00 CEST to Sunday 06:00 CET lasts 9 hours. */
    assert_true(inside(&saturday_night, SEC(1792872000), PARIS));
    assert_true(inside(&saturday_night, SEC(1792904400) - 1, PARIS));
    assert_false(inside(&saturday_night, SEC(1792904400), PARIS));
    /* A window ending at 02:30 ends at the first one: the second 02:15 is outside. */
    assert_true(inside(&ends_in_the_overlap, SEC(1792888200) - 1, PARIS));
    assert_false(inside(&ends_in_the_overlap, SEC(1792890900), PARIS));
}

static void new_york_dst_both_ways(void **state)
{
    nxs_active_hours_t spring = hours(SUNDAY, HM(2, 30), HM(9, 0));
    nxs_active_hours_t autumn = hours(SUNDAY, HM(1, 30), HM(9, 0));
    nxs_active_hours_t office = hours(WEEKDAYS, HM(9, 0), HM(19, 0));

    (void)state;
    /* 2026-03-08: 02:30 does not exist; 03:00 EDT is 07:00Z. */
    assert_int_equal(next_start(&spring, SEC(1772953200) - 1, NEWYORK), 1772953200);
    assert_true(inside(&spring, SEC(1772953200), NEWYORK));
    /* 2026-11-01: 01:30 exists twice; the first (EDT) is 05:30Z. */
    assert_int_equal(next_start(&autumn, SEC(1793511000) - 1, NEWYORK), 1793511000);
    assert_true(inside(&autumn, SEC(1793514600), NEWYORK)); /* the second 01:30 */
    /* Friday 2026-03-06 19:00 EST to Monday 09:00 EDT: 61 hours, not 62. */
    assert_int_equal(next_start(&office, SEC(1772841600), NEWYORK), 1773061200);
    assert_int_equal(1773061200 - 1772841600, 61 * 3600);
}

static void hours_and_zones_that_make_no_sense_are_refused(void **state)
{
    nxs_active_hours_t none = hours(0, HM(9, 0), HM(19, 0));
    nxs_active_hours_t same = hours(WEEKDAYS, HM(9, 0), HM(9, 0));
    nxs_active_hours_t late = hours(WEEKDAYS, HM(24, 0), HM(9, 0));
    nxs_active_hours_t ok = hours(WEEKDAYS, HM(9, 0), HM(19, 0));
    apr_time_t t;
    int in;

    (void)state;
    assert_int_equal(nxs_active_hours_inside(&in, &none, 0, PARIS), APR_EINVAL);
    assert_int_equal(nxs_active_hours_inside(&in, &same, 0, PARIS), APR_EINVAL);
    assert_int_equal(nxs_active_hours_next_start(&t, &late, 0, PARIS), APR_EINVAL);
    assert_int_equal(nxs_active_hours_inside(&in, &ok, 0, "Mars/Olympus_Mons"), APR_EINVAL);
    assert_int_equal(nxs_active_hours_next_start(&t, &ok, 0, NULL), APR_EINVAL);
}

/* Reads JSON written with single quotes, then the hours in it. */
static const char *parsed(nxs_active_hours_t *ah, const char *single_quoted, apr_pool_t *p)
{
    char *text = apr_pstrdup(p, single_quoted);
    json_t *v = NULL;
    const char *why = NULL;

    for (char *c = text; *c; c++) {
        *c = *c == '\'' ? '"' : *c;
    }
    if (nxs_json_load(&v, &why, text, strlen(text), p) != APR_SUCCESS) {
        fail_msg("bad test JSON: %s", why);
    }
    return nxs_active_hours_parse(ah, v, p);
}

static void hours_are_read_from_the_filters_document(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_active_hours_t ah;

    assert_null(parsed(&ah,
                       "{'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'start': '09:00', "
                       "'end': '19:00'}",
                       p));
    assert_int_equal(ah.days, WEEKDAYS);
    assert_int_equal(ah.start, HM(9, 0));
    assert_int_equal(ah.end, HM(19, 0));
    assert_null(parsed(&ah, "{'days': ['fri', 'fri'], 'start': '22:00', 'end': '06:00'}", p));
    assert_int_equal(ah.days, FRIDAY);
    assert_int_equal(ah.end, HM(6, 0));
    assert_null(parsed(&ah, "{'days': ['sun'], 'start': '00:00', 'end': '24:00'}", p));
    assert_int_equal(ah.end, NXS_ACTIVE_MINUTES_PER_DAY);
}

static void malformed_hours_say_what_is_wrong(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_active_hours_t ah;
    const char *times = "active_hours.start and end must be HH:MM (the end may be 24:00) and "
                        "differ; an end before the start is on the next day, as in 22:00 to 06:00";
    const char *shape = "active_hours must be {\"days\": [\"mon\", ...], \"start\": \"09:00\", "
                        "\"end\": \"19:00\"}";

    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '09:00', 'end': '09:00'}", p),
                        times);
    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '24:00', 'end': '09:00'}", p),
                        times);
    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '09:00', 'end': '25:00'}", p),
                        times);
    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '9:00', 'end': '19:00'}", p),
                        times);
    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '09:60', 'end': '19:00'}", p),
                        times);
    assert_string_equal(
        parsed(&ah, "{'days': ['mon', 'xyz'], 'start': '09:00', 'end': '19:00'}", p),
        "active_hours.days[1] must be one of mon tue wed thu fri sat sun");
    assert_string_equal(parsed(&ah, "{'days': [], 'start': '09:00', 'end': '19:00'}", p), shape);
    assert_string_equal(parsed(&ah, "{'days': ['mon'], 'start': '09:00'}", p), shape);
    assert_string_equal(
        parsed(&ah, "{'days': ['mon'], 'start': '09:00', 'end': '19:00', 'tz': 'UTC'}", p), shape);
    assert_string_equal(parsed(&ah, "['mon']", p), shape);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(office_hours_mon_to_fri_nine_to_seven),
    NXS_TEST(the_same_hours_are_read_in_the_accounts_zone),
    NXS_TEST(a_window_crossing_midnight_belongs_to_the_day_it_starts),
    NXS_TEST(a_night_shift_every_day),
    NXS_TEST(a_window_may_end_at_midnight),
    NXS_TEST(paris_spring_forward_a_start_that_does_not_exist),
    NXS_TEST(paris_fall_back_a_start_that_exists_twice),
    NXS_TEST(new_york_dst_both_ways),
    NXS_TEST(hours_and_zones_that_make_no_sense_are_refused),
    NXS_TEST(hours_are_read_from_the_filters_document),
    NXS_TEST(malformed_hours_say_what_is_wrong),
};

NXS_RUN_TESTS(tests)
