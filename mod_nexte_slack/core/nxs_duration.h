/* Parsing of the durations that every time-related directive takes:
 * an integer followed by a unit (ms, s, m, h, d), e.g. "24h", "1500ms". */
#ifndef NXS_DURATION_H
#define NXS_DURATION_H

#include <apr_errno.h>
#include <apr_time.h>

/* Longest duration accepted anywhere (365 days); protects apr_interval_time_t
 * arithmetic from overflow and catches typos such as "30000d". */
#define NXS_DURATION_MAX apr_time_from_sec(365LL * 24 * 3600)

/* Parses TEXT into *out (microseconds).  The unit is mandatory so that "10"
 * cannot silently mean seconds to one reader and milliseconds to another.
 * Returns APR_SUCCESS, or APR_EINVAL for anything else (empty, no digits, an
 * unknown unit, trailing characters, zero, or more than NXS_DURATION_MAX). */
apr_status_t nxs_duration_parse(apr_interval_time_t *out, const char *text);

/* Formats D as the shortest exact "<n><unit>" (e.g. 86400s -> "1d"). */
const char *nxs_duration_format(apr_interval_time_t d, char *buf, apr_size_t len);

#endif
