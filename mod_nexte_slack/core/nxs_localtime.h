/* Local calendar time in an account's IANA time zone, over ICU's calendar
 * (ucal_*, with the zone rules of the ICU data; no hand-written offsets or
 * DST tables).  It answers the questions scheduled work asks: which local
 * day an instant falls on, when a local wall-clock time (09:00) happens on
 * a given day, where a local day starts and ends (23 h and 25 h days
 * included), and the next time the wall clock shows HH:MM.
 *
 * Wall-clock times that a DST change makes ambiguous follow one rule
 * everywhere:
 *   - a time that does not exist (skipped forward: 02:30 on the spring
 *     night in Europe/Paris) is the first valid instant after the gap,
 *     the moment of the change itself (03:00 new time): ICU's
 *     UCAL_WALLTIME_NEXT_VALID.  Work planned in the gap then runs as soon
 *     as it can, never an hour early;
 *   - a time that exists twice (02:30 on the autumn night) is its first
 *     occurrence (UCAL_WALLTIME_FIRST): a recap is never an hour late, and
 *     it happens once whatever the rule, since recaps are claimed per day.
 * Zones whose changes happen at midnight (America/Havana, Asia/Beirut...)
 * follow the same rule, so a local day always starts at its first instant.
 *
 * Instants are apr_time_t (microseconds since the epoch, UTC); days are
 * proleptic Gregorian dates, years 1 to 9999.  Every function opens its own
 * ICU calendar: safe from any thread.  APR_EINVAL for a zone ICU does not
 * know (ICU would silently use GMT instead) or an impossible date or
 * time. */
#ifndef NXS_LOCALTIME_H
#define NXS_LOCALTIME_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* A calendar day, without a zone. */
typedef struct nxs_day_t {
    int year;
    int month; /* 1-12 */
    int day;   /* 1-31 */
} nxs_day_t;

/* The local day of instant T in zone TZ ("Europe/Paris", "UTC"). */
apr_status_t nxs_localtime_day(nxs_day_t *day, apr_time_t t, const char *tz);

/* The instant at which the wall clock of TZ shows HOUR:MINUTE on DAY
 * (DST rules above). */
apr_status_t nxs_localtime_at(apr_time_t *t, const nxs_day_t *day, int hour, int minute,
                              const char *tz);

/* DAY in TZ as the half-open interval [*start, *end): 24 h on most days,
 * 23 h or 25 h on the DST days. */
apr_status_t nxs_localtime_bounds(apr_time_t *start, apr_time_t *end, const nxs_day_t *day,
                                  const char *tz);

/* The first instant strictly after NOW at which the wall clock of TZ shows
 * HOUR:MINUTE (DST rules above). */
apr_status_t nxs_localtime_next(apr_time_t *t, apr_time_t now, int hour, int minute,
                                const char *tz);

/* DAY moved by N days (N may be negative). */
nxs_day_t nxs_day_add(nxs_day_t day, int n);

/* The day of the week of DAY, ISO 8601: 1 is Monday, 7 is Sunday. */
int nxs_day_weekday(const nxs_day_t *day);

/* <0, 0 or >0 as A is before, the same as or after B. */
int nxs_day_cmp(const nxs_day_t *a, const nxs_day_t *b);

/* "2026-11-27". */
const char *nxs_day_format(const nxs_day_t *day, apr_pool_t *p);

/* Reads "2026-11-27" (RFC 3339 full-date, checked). */
apr_status_t nxs_day_parse(nxs_day_t *day, const char *s);

#endif
