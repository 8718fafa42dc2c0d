/* Calendar arithmetic and strict RFC 3339 parsing (UTC instants; no time
 * zone involved).  Pure functions, safe from any thread. */
#ifndef NXS_TIME_H
#define NXS_TIME_H

#include <apr_errno.h>
#include <apr_time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual
 * era-of-400-years computation, valid for every year of RFC 3339). */
long long nxs_time_days_from_civil(int y, int m, int d);

/* The inverse: the proleptic Gregorian date DAYS days after 1970-01-01. */
void nxs_time_civil_from_days(int *y, int *m, int *d, long long days);

/* Parses an RFC 3339 date-time ("2026-11-28T08:59:12Z",
 * "2026-11-28T09:59:12.5+01:00"): the offset is required, every field is
 * range-checked (leap years included), a leap second counts as :59. */
apr_status_t nxs_time_parse_rfc3339(apr_time_t *t, const char *s);

/* Parses an RFC 3339 full-date ("2026-11-27"). */
apr_status_t nxs_time_parse_date(int *year, int *month, int *day, const char *s);

#endif
