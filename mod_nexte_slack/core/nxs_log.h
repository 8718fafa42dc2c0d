/* The core's logging: one process-wide sink that the glue points at httpd's
 * error log (mod_nexte_slack.c, the delivery daemon) and that tools and unit
 * tests point at stderr.  The core never includes httpd headers, so it cannot
 * call ap_log_error itself; it calls this, and this calls the sink.
 *
 * Levels mirror httpd's APLOG_* numbers one for one (EMERG 0 .. DEBUG 7,
 * TRACE1 8 .. TRACE8 15), so the glue passes them through unchanged and
 * `LogLevel nexte_slack:trace2` decides what is shown.
 *
 * Tags.  Every message carries a stable tag, "NXS" and five digits (the
 * width of httpd's APLOGNO numbers), written as a string literal at its one
 * call site and put at the start of the text like APLOGNO does:
 * "NXSnnnnn: queue recovery: ...".  A tag names one message for ever: it is
 * never reused nor renumbered, so operators can grep logs and sources for
 * it.  build/check-log-tags fails when a tag in mod_nexte_slack/ or tools/ is
 * used twice or malformed, and prints the next free one.
 *
 * Cost.  A disabled level costs one call of the sink's level check: the
 * NXS_LOG macro evaluates no argument and formats nothing unless
 * nxs_log_is_level() says the level is on.  Hot paths (per message) use it.
 *
 * Thread safety.  nxs_log_set and nxs_log_use_stderr are called once at
 * start-up, before any thread that logs exists (httpd's post_config, the
 * daemon right after its fork, a tool's or test's main), and again only when
 * no thread logs (a pool cleanup on restart); after that the sink is
 * read-only and every other call may come from any thread at the same time.
 * The sink's functions must therefore be thread-safe themselves (ap_log_error
 * is; the stderr sink writes each line with a single stdio call). */
#ifndef NXS_LOG_H
#define NXS_LOG_H

#include <apr_errno.h>
#include <apr_time.h>

typedef enum {
    NXS_LOG_EMERG = 0,
    NXS_LOG_ALERT,
    NXS_LOG_CRIT,
    NXS_LOG_ERR,
    NXS_LOG_WARNING,
    NXS_LOG_NOTICE,
    NXS_LOG_INFO,
    NXS_LOG_DEBUG,
    NXS_LOG_TRACE1,
    NXS_LOG_TRACE2,
    NXS_LOG_TRACE3,
    NXS_LOG_TRACE4,
    NXS_LOG_TRACE5,
    NXS_LOG_TRACE6,
    NXS_LOG_TRACE7,
    NXS_LOG_TRACE8
} nxs_log_level_e;

/* The source position of a log call, for nxs_log_perror. */
#define NXS_LOG_MARK __FILE__, __LINE__

/* Is LEVEL shown?  Must be cheap: it runs for every guarded call. */
typedef int nxs_log_is_level_fn(void *baton, nxs_log_level_e level);

/* Writes one message.  MSG is the whole text, tag first ("NXSnnnnn: ...");
 * TAG is the tag alone, RV the status the message is about (0: none).  Only
 * called for levels IS_LEVEL accepted. */
typedef void nxs_log_print_fn(void *baton, const char *file, int line, nxs_log_level_e level,
                              apr_status_t rv, const char *tag, const char *msg);

/* Installs the process's sink.  IS_LEVEL or PRINT NULL: nothing is logged
 * (the state before any call).  See "Thread safety" above. */
void nxs_log_set(nxs_log_is_level_fn *is_level, nxs_log_print_fn *print, void *baton);

/* Installs the stderr sink, for tools and unit tests: lines
 * "[level] NXSnnnnn: text: <status text> (file:line)" at and above the
 * threshold named by the environment variable NXS_LOG_LEVEL (httpd's level
 * names: emerg alert crit error warn notice info debug trace1..trace8;
 * unset or unknown: warn).  Returns the threshold. */
nxs_log_level_e nxs_log_use_stderr(void);

/* 1 when LEVEL would be logged now. */
int nxs_log_is_level(nxs_log_level_e level);

/* Formats and logs one message when LEVEL is on; TAG is the message's
 * "NXSnnnnn" literal.  Messages longer than about 8 KiB are cut. */
void nxs_log_perror(const char *file, int line, nxs_log_level_e level, apr_status_t rv,
                    const char *tag, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The usual call: NXS_LOG(NXS_LOG_DEBUG, rv, "NXSnnnnn", "fmt", ...).  The
 * arguments are not evaluated when the level is off. */
#define NXS_LOG(level, rv, tag, ...)                                                               \
    do {                                                                                           \
        if (nxs_log_is_level(level)) {                                                             \
            nxs_log_perror(NXS_LOG_MARK, (level), (rv), (tag), __VA_ARGS__);                       \
        }                                                                                          \
    } while (0)

/* httpd's name of LEVEL ("warn", "trace2"); "?" when out of range. */
const char *nxs_log_level_name(nxs_log_level_e level);

/* Parses httpd's name of a level (case-insensitive).  APR_EINVAL if unknown. */
apr_status_t nxs_log_level_parse(nxs_log_level_e *level, const char *name);

/* T as UTC "2026-12-07T21:05:03.250Z" in BUF (NXS_LOG_TIME_SIZE bytes), for
 * messages that say until when something waits.  Returns BUF. */
#define NXS_LOG_TIME_SIZE 32
const char *nxs_log_time(char *buf, apr_time_t t);

#endif
