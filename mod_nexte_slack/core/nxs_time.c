/* Calendar arithmetic and the strict parsing of the RFC 3339 timestamps and
 * dates events carry.  No time zone is involved here: an instant is UTC. */
#include "nxs_time.h"

#include <string.h>

long long nxs_time_days_from_civil(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void nxs_time_civil_from_days(int *y, int *m, int *d, long long days)
{
    long long z = days + 719468, era, doe, yoe, doy, mp;

    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Reads exactly N digits at S into *v. */
static int digits(int *v, const char *s, int n)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

apr_status_t nxs_time_parse_date(int *year, int *month, int *day, const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(year, s, 4) ||
        !digits(month, s + 5, 2) || !digits(day, s + 8, 2) || *month < 1 || *month > 12 ||
        *day < 1 || *day > days_in_month(*year, *month)) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Parses "HH:MM:SS[.frac]" then the offset; *end is what follows. */
static int parse_time(long long *secs, long long *usec, const char *s, const char **end)
{
    int h, m, sec, scale = 100000;

    if (!digits(&h, s, 2) || s[2] != ':' || !digits(&m, s + 3, 2) || s[5] != ':' ||
        !digits(&sec, s + 6, 2) || h > 23 || m > 59 || sec > 60) {
        return 0;
    }
    s += 8;
    *usec = 0;
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9') {
            return 0;
        }
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10) {
            *usec += (*s - '0') * scale;
        }
    }
    *secs = h * 3600LL + m * 60LL + (sec == 60 ? 59 : sec);
    *end = s;
    return 1;
}

static int parse_offset(long long *offset, const char *s)
{
    int h, m;

    if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
        *offset = 0;
        return 1;
    }
    if ((s[0] != '+' && s[0] != '-') || !digits(&h, s + 1, 2) || s[3] != ':' ||
        !digits(&m, s + 4, 2) || s[6] != '\0' || h > 23 || m > 59) {
        return 0;
    }
    *offset = (s[0] == '-' ? -1 : 1) * (h * 3600LL + m * 60LL);
    return 1;
}

apr_status_t nxs_time_parse_rfc3339(apr_time_t *t, const char *s)
{
    int y, mo, d;
    long long secs, usec, offset;
    char date[11];
    const char *rest;

    if (!s || strlen(s) < 20 || (s[10] != 'T' && s[10] != 't')) {
        return APR_EINVAL;
    }
    memcpy(date, s, 10);
    date[10] = '\0';
    if (nxs_time_parse_date(&y, &mo, &d, date) != APR_SUCCESS ||
        !parse_time(&secs, &usec, s + 11, &rest) || !parse_offset(&offset, rest)) {
        return APR_EINVAL;
    }
    secs += nxs_time_days_from_civil(y, mo, d) * 86400LL - offset;
    *t = apr_time_from_sec(secs) + usec;
    return APR_SUCCESS;
}
