/* Active hours (docs/CONTRACT.md "Routing and filters", docs/FILTERS.md):
 * the days and the time range, in the account's time zone, during which an
 * Agency account's events are posted at once; what arrives outside is held
 * and summarised when the next window opens.  This file answers the two
 * questions that needs: is instant T inside the hours, and when do they
 * next open after T.
 *
 * The rules:
 *   - A window starts on each chosen day at START and lasts until END.  An
 *     END before START ends on the next day: Friday 22:00-06:00 runs from
 *     Friday 22:00 to Saturday 06:00, whether Saturday is chosen or not.
 *     The days name the day a window starts on.  END may be 24:00 (the
 *     next midnight); START and END are never equal.
 *   - A window is the half-open interval [start, end): 19:00 is outside
 *     Mon-Fri 09:00-19:00.
 *   - Each end is placed on the calendar by nxs_localtime_at (ICU, the
 *     IANA rules; no offsets of our own), with its DST rule: a wall-clock
 *     time that does not exist is the first instant after the gap, one
 *     that exists twice is its first occurrence.  So on a spring-forward
 *     night a window starting at 02:30 opens at 03:00 new time, on an
 *     autumn night at the first 02:30; a window lasts an hour less or more
 *     when it spans the change, and one whose two ends fall in the same
 *     gap is empty that day.
 *   - "The hours open" at the start of a window that does not continue an
 *     earlier one: with every day 00:00-24:00 they never open again.
 *
 * Instants are apr_time_t (UTC, microseconds).  Pure functions over their
 * arguments; each call opens its own ICU calendars (a few, through
 * nxs_localtime): safe from any thread.  APR_EINVAL for hours that
 * nxs_active_hours_parse would refuse or a zone ICU does not know (the
 * caller picks the fallback: UTC, as for every account). */
#ifndef NXS_ACTIVE_HOURS_H
#define NXS_ACTIVE_HOURS_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* The bit of ISO weekday D (1 Monday ... 7 Sunday) in nxs_active_hours_t.days. */
#define NXS_ACTIVE_DAY(d) (1u << ((d)-1))

#define NXS_ACTIVE_MINUTES_PER_DAY 1440

typedef struct nxs_active_hours_t {
    unsigned days; /* NXS_ACTIVE_DAY() of each day a window starts on; not 0 */
    int start;     /* minutes after local midnight, 0 to 1439 */
    int end;       /* 0 to 1440 (24:00), not START; below START: the next day */
} nxs_active_hours_t;

/* Reads the filters' "active_hours" object, {"days": ["mon", ...],
 * "start": "HH:MM", "end": "HH:MM"} (days mon tue wed thu fri sat sun,
 * repeats allowed; END may be "24:00").  NULL when it is valid and *AH
 * holds it; else what is wrong, naming the field (the settings API's 422
 * message, through nxs_check_filters). */
const char *nxs_active_hours_parse(nxs_active_hours_t *ah, const json_t *v, apr_pool_t *p);

/* *INSIDE is 1 when T is inside one of the windows of AH in zone TZ. */
apr_status_t nxs_active_hours_inside(int *inside, const nxs_active_hours_t *ah, apr_time_t t,
                                     const char *tz);

/* *START is the first instant strictly after T at which the hours open
 * (see above): when T is outside, the end of the wait; when T is inside,
 * the opening after the window T is in.  APR_ENOENT when they never open
 * again (every day, 00:00-24:00). */
apr_status_t nxs_active_hours_next_start(apr_time_t *start, const nxs_active_hours_t *ah,
                                         apr_time_t t, const char *tz);

#endif
