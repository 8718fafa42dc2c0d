/* Durations for directives: "<digits><unit>" with unit ms, s, m, h or d. */
#include "nxs_duration.h"

#include <apr_strings.h>
#include <string.h>

typedef struct {
    const char *suffix;
    apr_int64_t usec;
} unit_t;

/* Longest suffix first is not needed: "ms" is tested before "m" because the
 * whole remaining text must equal the suffix. */
static const unit_t UNITS[] = {
    {"ms", 1000LL},
    {"s", 1000000LL},
    {"m", 60LL * 1000000LL},
    {"h", 3600LL * 1000000LL},
    {"d", 86400LL * 1000000LL},
};

apr_status_t nxs_duration_parse(apr_interval_time_t *out, const char *text)
{
    apr_int64_t n = 0;
    const char *p = text;
    size_t i;

    if (!text || *text < '0' || *text > '9') {
        return APR_EINVAL;
    }
    for (; *p >= '0' && *p <= '9'; ++p) {
        n = n * 10 + (*p - '0');
        if (n > 365LL * 24 * 3600 * 1000) { /* larger than the max in any unit */
            return APR_EINVAL;
        }
    }
    for (i = 0; i < sizeof(UNITS) / sizeof(UNITS[0]); ++i) {
        if (strcmp(p, UNITS[i].suffix) == 0) {
            apr_int64_t usec = n * UNITS[i].usec;
            if (n == 0 || usec / UNITS[i].usec != n || usec > NXS_DURATION_MAX) {
                return APR_EINVAL;
            }
            *out = usec;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

const char *nxs_duration_format(apr_interval_time_t d, char *buf, apr_size_t len)
{
    size_t i = sizeof(UNITS) / sizeof(UNITS[0]);

    while (i-- > 1) {
        if (d % UNITS[i].usec == 0) {
            break;
        }
    }
    if (d % UNITS[i].usec != 0) {
        apr_snprintf(buf, len, "%" APR_INT64_T_FMT "us", (apr_int64_t)d);
        return buf;
    }
    apr_snprintf(buf, len, "%" APR_INT64_T_FMT "%s", (apr_int64_t)(d / UNITS[i].usec),
                 UNITS[i].suffix);
    return buf;
}
