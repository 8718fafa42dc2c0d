/* Local days and wall-clock times in IANA zones, over ICU's UCalendar
 * (see nxs_localtime.h for the rules on skipped and repeated times). */
#include "nxs_localtime.h"

#include <apr_strings.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "l10n/nxs_l10n.h"
#include "nxs_time.h"

/* Long enough for every IANA name (the longest is about 30 characters). */
#define ZONE_MAX 64

/* Opens a calendar for TZ with this file's rules.  The caller closes it. */
static apr_status_t open_zone(UCalendar **cal, const char *tz)
{
    UChar zone[ZONE_MAX];
    UErrorCode err = U_ZERO_ERROR;

    *cal = NULL;
    /* ucal_open takes an unknown zone for GMT without an error. */
    if (!tz || strlen(tz) >= ZONE_MAX || !nxs_l10n_timezone_known(tz)) {
        return APR_EINVAL;
    }
    u_uastrcpy(zone, tz);
    *cal = ucal_open(zone, -1, "en_US_POSIX", UCAL_GREGORIAN, &err);
    if (U_FAILURE(err)) {
        return APR_EGENERAL;
    }
    /* Proleptic Gregorian like nxs_time (no Julian calendar before 1582). */
    ucal_setGregorianChange(*cal, -1e300, &err);
    ucal_setAttribute(*cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(*cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    if (U_FAILURE(err)) {
        ucal_close(*cal);
        *cal = NULL;
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* apr_time_t counts microseconds, UDate milliseconds (both from the epoch);
 * rounded down so that an instant before the epoch stays on its day. */
static UDate to_udate(apr_time_t t)
{
    apr_time_t ms = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
    return (UDate)ms;
}

static int day_valid(const nxs_day_t *day)
{
    int y, m, d;

    if (!day || day->year < 1 || day->year > 9999 || day->month < 1 || day->month > 12 ||
        day->day < 1 || day->day > 31) {
        return 0;
    }
    /* A date like 02-30 comes back as another day. */
    nxs_time_civil_from_days(&y, &m, &d, nxs_time_days_from_civil(day->year, day->month, day->day));
    return y == day->year && m == day->month && d == day->day;
}

apr_status_t nxs_localtime_day(nxs_day_t *day, apr_time_t t, const char *tz)
{
    UCalendar *cal = NULL;
    UErrorCode err = U_ZERO_ERROR;
    apr_status_t rv;

    if ((rv = open_zone(&cal, tz)) != APR_SUCCESS) {
        return rv;
    }
    ucal_setMillis(cal, to_udate(t), &err);
    day->year = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    day->month = ucal_get(cal, UCAL_MONTH, &err) + 1;
    day->day = ucal_get(cal, UCAL_DATE, &err);
    ucal_close(cal);
    return U_SUCCESS(err) ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t nxs_localtime_at(apr_time_t *t, const nxs_day_t *day, int hour, int minute,
                              const char *tz)
{
    UCalendar *cal = NULL;
    UErrorCode err = U_ZERO_ERROR;
    UDate ms;
    apr_status_t rv;

    if (!day_valid(day) || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
        return APR_EINVAL;
    }
    if ((rv = open_zone(&cal, tz)) != APR_SUCCESS) {
        return rv;
    }
    ucal_clear(cal);
    ucal_set(cal, UCAL_EXTENDED_YEAR, day->year);
    ucal_set(cal, UCAL_MONTH, day->month - 1);
    ucal_set(cal, UCAL_DATE, day->day);
    ucal_set(cal, UCAL_HOUR_OF_DAY, hour);
    ucal_set(cal, UCAL_MINUTE, minute);
    ms = ucal_getMillis(cal, &err);
    ucal_close(cal);
    if (U_FAILURE(err)) {
        return APR_EGENERAL;
    }
    *t = (apr_time_t)ms * 1000;
    return APR_SUCCESS;
}

apr_status_t nxs_localtime_bounds(apr_time_t *start, apr_time_t *end, const nxs_day_t *day,
                                  const char *tz)
{
    nxs_day_t next;
    apr_status_t rv;

    if (!day_valid(day)) {
        return APR_EINVAL;
    }
    next = nxs_day_add(*day, 1);
    if ((rv = nxs_localtime_at(start, day, 0, 0, tz)) != APR_SUCCESS) {
        return rv;
    }
    return nxs_localtime_at(end, &next, 0, 0, tz);
}

apr_status_t nxs_localtime_next(apr_time_t *t, apr_time_t now, int hour, int minute, const char *tz)
{
    nxs_day_t today, tomorrow;
    apr_status_t rv;

    if ((rv = nxs_localtime_day(&today, now, tz)) != APR_SUCCESS ||
        (rv = nxs_localtime_at(t, &today, hour, minute, tz)) != APR_SUCCESS) {
        return rv;
    }
    if (*t > now) {
        return APR_SUCCESS;
    }
    /* Tomorrow's HH:MM is after tomorrow's start, itself after NOW. */
    tomorrow = nxs_day_add(today, 1);
    return nxs_localtime_at(t, &tomorrow, hour, minute, tz);
}

nxs_day_t nxs_day_add(nxs_day_t day, int n)
{
    nxs_day_t out;

    nxs_time_civil_from_days(&out.year, &out.month, &out.day,
                             nxs_time_days_from_civil(day.year, day.month, day.day) + n);
    return out;
}

int nxs_day_weekday(const nxs_day_t *day)
{
    /* 1970-01-01 was a Thursday (4); the modulo stays positive before it. */
    long long days = nxs_time_days_from_civil(day->year, day->month, day->day);

    return (int)(((days + 3) % 7 + 7) % 7) + 1;
}

int nxs_day_cmp(const nxs_day_t *a, const nxs_day_t *b)
{
    if (a->year != b->year) {
        return a->year < b->year ? -1 : 1;
    }
    if (a->month != b->month) {
        return a->month < b->month ? -1 : 1;
    }
    return a->day < b->day ? -1 : a->day > b->day;
}

const char *nxs_day_format(const nxs_day_t *day, apr_pool_t *p)
{
    return apr_psprintf(p, "%04d-%02d-%02d", day->year, day->month, day->day);
}

apr_status_t nxs_day_parse(nxs_day_t *day, const char *s)
{
    return nxs_time_parse_date(&day->year, &day->month, &day->day, s);
}
