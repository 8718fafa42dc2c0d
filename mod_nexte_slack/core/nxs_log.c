/* The core's logging sink (see nxs_log.h): the process-wide callback, the
 * formatting that puts the tag first, and the stderr sink that tools and
 * unit tests share. */
#include "nxs_log.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest message passed on; httpd cuts its own lines at 8 KiB as well. */
#define LOG_MSG_MAX 8192

static const char *const level_names[] = {
    "emerg",  "alert",  "crit",   "error",  "warn",   "notice", "info",   "debug",
    "trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7", "trace8"};

#define LEVEL_COUNT ((int)(sizeof(level_names) / sizeof(level_names[0])))

/* Written only while no thread logs (see nxs_log.h), read by all. */
static nxs_log_is_level_fn *sink_is_level;
static nxs_log_print_fn *sink_print;
static void *sink_baton;

void nxs_log_set(nxs_log_is_level_fn *is_level, nxs_log_print_fn *print, void *baton)
{
    sink_is_level = is_level;
    sink_print = print;
    sink_baton = baton;
}

int nxs_log_is_level(nxs_log_level_e level)
{
    return sink_is_level && sink_print && sink_is_level(sink_baton, level);
}

void nxs_log_perror(const char *file, int line, nxs_log_level_e level, apr_status_t rv,
                    const char *tag, const char *fmt, ...)
{
    char msg[LOG_MSG_MAX];
    apr_size_t n;
    va_list ap;

    if (!nxs_log_is_level(level)) {
        return;
    }
    n = apr_snprintf(msg, sizeof(msg), "%s: ", tag ? tag : "NXS?????");
    va_start(ap, fmt);
    apr_vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
    va_end(ap);
    sink_print(sink_baton, file, line, level, rv, tag, msg);
}

const char *nxs_log_level_name(nxs_log_level_e level)
{
    return (int)level >= 0 && (int)level < LEVEL_COUNT ? level_names[level] : "?";
}

apr_status_t nxs_log_level_parse(nxs_log_level_e *level, const char *name)
{
    int i;

    for (i = 0; name && i < LEVEL_COUNT; ++i) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *level = (nxs_log_level_e)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

const char *nxs_log_time(char *buf, apr_time_t t)
{
    apr_time_exp_t x;

    if (apr_time_exp_gmt(&x, t) != APR_SUCCESS) {
        apr_snprintf(buf, NXS_LOG_TIME_SIZE, "@%" APR_TIME_T_FMT, t);
        return buf;
    }
    apr_snprintf(buf, NXS_LOG_TIME_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", x.tm_year + 1900,
                 x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec, x.tm_usec / 1000);
    return buf;
}

/* ---- the stderr sink ------------------------------------------------------ */

/* The threshold, as an int so that the baton needs no allocation. */
static int stderr_threshold = NXS_LOG_WARNING;

static int stderr_is_level(void *baton, nxs_log_level_e level)
{
    return (int)level <= *(const int *)baton;
}

static void stderr_print(void *baton, const char *file, int line, nxs_log_level_e level,
                         apr_status_t rv, const char *tag, const char *msg)
{
    const char *base = file ? strrchr(file, '/') : NULL;
    char err[256] = "";

    if (rv != APR_SUCCESS) {
        char why[200];
        apr_snprintf(err, sizeof(err), ": %s (%d)", apr_strerror(rv, why, sizeof(why)), rv);
    }
    /* One call per line, so that lines of concurrent threads never mix. */
    fprintf(stderr, "[%s] %s%s (%s:%d)\n", nxs_log_level_name(level), msg, err,
            base ? base + 1 : (file ? file : "?"), line);
}

nxs_log_level_e nxs_log_use_stderr(void)
{
    nxs_log_level_e level = NXS_LOG_WARNING;

    if (nxs_log_level_parse(&level, getenv("NXS_LOG_LEVEL")) != APR_SUCCESS) {
        level = NXS_LOG_WARNING;
    }
    stderr_threshold = (int)level;
    nxs_log_set(stderr_is_level, stderr_print, &stderr_threshold);
    return level;
}
