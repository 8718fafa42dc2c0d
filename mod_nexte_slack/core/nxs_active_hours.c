/* Active hours: reading them from the filters document, and placing their
 * windows on the calendar of an IANA zone through nxs_localtime (see
 * nxs_active_hours.h for the rules on midnight and DST). */
#include "nxs_active_hours.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

#include "nxs_localtime.h"

/* Days looked at around T: the window that started the day before can
 * still be open, and a day that starts a window comes within a week of
 * T's; two weeks, because a week's only window can be empty (inside a DST
 * gap). */
#define DAYS_BEFORE 1
#define DAYS_AFTER  15

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const char *const shape_error = "active_hours must be {\"days\": [\"mon\", ...], "
                                       "\"start\": \"09:00\", \"end\": \"19:00\"}";

/* "HH:MM" as minutes after midnight; "24:00" only when END; else -1. */
static int read_hhmm(const char *s, int end)
{
    int h, m;

    if (!s || strlen(s) != 5 || !apr_isdigit(s[0]) || !apr_isdigit(s[1]) || s[2] != ':' ||
        !apr_isdigit(s[3]) || !apr_isdigit(s[4])) {
        return -1;
    }
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (end && h == 24 && m == 0) {
        return NXS_ACTIVE_MINUTES_PER_DAY;
    }
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int day_bit(const char *name)
{
    for (int i = 0; name && i < 7; i++) {
        if (strcmp(name, day_names[i]) == 0) {
            return (int)NXS_ACTIVE_DAY(i + 1);
        }
    }
    return 0;
}

const char *nxs_active_hours_parse(nxs_active_hours_t *ah, const json_t *v, apr_pool_t *p)
{
    const json_t *days = json_object_get(v, "days"), *day;
    int bit;
    size_t i;

    memset(ah, 0, sizeof(*ah));
    if (!json_is_object(v) || !json_is_array(days) || json_array_size(days) == 0 ||
        json_object_size(v) != 3) {
        return shape_error;
    }
    json_array_foreach(days, i, day)
    {
        if (!(bit = day_bit(json_string_value(day)))) {
            return apr_psprintf(p,
                                "active_hours.days[%lu] must be one of mon tue wed thu fri "
                                "sat sun",
                                (unsigned long)i);
        }
        ah->days |= (unsigned)bit;
    }
    ah->start = read_hhmm(json_string_value(json_object_get(v, "start")), 0);
    ah->end = read_hhmm(json_string_value(json_object_get(v, "end")), 1);
    if (ah->start < 0 || ah->end < 0 || ah->start == ah->end) {
        return "active_hours.start and end must be HH:MM (the end may be 24:00) and differ; an "
               "end before the start is on the next day, as in 22:00 to 06:00";
    }
    return NULL;
}

static int hours_valid(const nxs_active_hours_t *ah)
{
    return ah && ah->days != 0 && (ah->days & ~0x7Fu) == 0 && ah->start >= 0 &&
           ah->start < NXS_ACTIVE_MINUTES_PER_DAY && ah->end >= 0 &&
           ah->end <= NXS_ACTIVE_MINUTES_PER_DAY && ah->end != ah->start;
}

/* The window that starts on DAY, as [*start, *end); *start >= *end when
 * DST leaves nothing of it.  Called only for days AH names. */
static apr_status_t window_of(apr_time_t *start, apr_time_t *end, const nxs_active_hours_t *ah,
                              const nxs_day_t *day, const char *tz)
{
    nxs_day_t end_day = *day;
    int minutes = ah->end;
    apr_status_t rv;

    if (minutes < ah->start || minutes == NXS_ACTIVE_MINUTES_PER_DAY) {
        end_day = nxs_day_add(*day, 1);
        minutes %= NXS_ACTIVE_MINUTES_PER_DAY;
    }
    if ((rv = nxs_localtime_at(start, day, ah->start / 60, ah->start % 60, tz)) != APR_SUCCESS) {
        return rv;
    }
    return nxs_localtime_at(end, &end_day, minutes / 60, minutes % 60, tz);
}

/* Calls VISIT on every non-empty window starting from the day before T's
 * local day to LAST days after it, in order, until VISIT returns non-zero;
 * *stopped says whether it did. */
typedef int (*visit_fn)(void *baton, apr_time_t start, apr_time_t end);

static apr_status_t each_window(int *stopped, const nxs_active_hours_t *ah, apr_time_t t,
                                const char *tz, int last, visit_fn visit, void *baton)
{
    nxs_day_t today, day;
    apr_time_t start, end;
    apr_status_t rv;

    *stopped = 0;
    if (!hours_valid(ah)) {
        return APR_EINVAL;
    }
    if ((rv = nxs_localtime_day(&today, t, tz)) != APR_SUCCESS) {
        return rv;
    }
    for (int k = -DAYS_BEFORE; k <= last && !*stopped; k++) {
        day = nxs_day_add(today, k);
        if (!(ah->days & NXS_ACTIVE_DAY(nxs_day_weekday(&day)))) {
            continue;
        }
        if ((rv = window_of(&start, &end, ah, &day, tz)) != APR_SUCCESS) {
            return rv;
        }
        if (start < end) {
            *stopped = visit(baton, start, end);
        }
    }
    return APR_SUCCESS;
}

typedef struct {
    apr_time_t t;
    apr_time_t covered; /* the latest end of the windows seen so far */
    int seen;
} walk_t;

static int contains_t(void *baton, apr_time_t start, apr_time_t end)
{
    walk_t *w = baton;

    return start <= w->t && w->t < end;
}

static int opens_after_t(void *baton, apr_time_t start, apr_time_t end)
{
    walk_t *w = baton;

    /* A window that starts where an earlier one ends continues it. */
    if (start > w->t && (!w->seen || start > w->covered)) {
        w->t = start;
        return 1;
    }
    w->covered = !w->seen || end > w->covered ? end : w->covered;
    w->seen = 1;
    return 0;
}

apr_status_t nxs_active_hours_inside(int *inside, const nxs_active_hours_t *ah, apr_time_t t,
                                     const char *tz)
{
    walk_t w = {t, 0, 0};

    /* A window containing T started on T's local day or the day before. */
    return each_window(inside, ah, t, tz, 0, contains_t, &w);
}

apr_status_t nxs_active_hours_next_start(apr_time_t *start, const nxs_active_hours_t *ah,
                                         apr_time_t t, const char *tz)
{
    walk_t w = {t, 0, 0};
    int found = 0;
    apr_status_t rv = each_window(&found, ah, t, tz, DAYS_AFTER, opens_after_t, &w);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!found) {
        return APR_ENOENT;
    }
    *start = w.t;
    return APR_SUCCESS;
}
