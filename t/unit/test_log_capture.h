/* A log sink for unit tests that keeps what the core logs, so that a test
 * can assert that a situation was reported with its tag (and the expected
 * damage does not clutter the TAP output).  Thread-safe: queue tests log
 * from several threads. */
#ifndef TEST_LOG_CAPTURE_H
#define TEST_LOG_CAPTURE_H

#include "nxs_test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LC_MAX 256

typedef struct lc_line_t {
    nxs_log_level_e level;
    apr_status_t rv;
    char tag[16];
    char msg[512];
} lc_line_t;

static struct {
    pthread_mutex_t mu;
    int threshold;
    int n; /* lines seen; the first LC_MAX are kept */
    lc_line_t lines[LC_MAX];
} lc = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};

static inline int lc_is_level(void *baton, nxs_log_level_e level)
{
    return (int)level <= lc.threshold;
}

static inline void lc_print(void *baton, const char *file, int line, nxs_log_level_e level,
                            apr_status_t rv, const char *tag, const char *msg)
{
    pthread_mutex_lock(&lc.mu);
    if (lc.n < LC_MAX) {
        lc_line_t *l = &lc.lines[lc.n];
        l->level = level;
        l->rv = rv;
        snprintf(l->tag, sizeof(l->tag), "%s", tag);
        snprintf(l->msg, sizeof(l->msg), "%s", msg);
    }
    ++lc.n;
    pthread_mutex_unlock(&lc.mu);
}

/* Starts keeping every message at THRESHOLD and above, forgetting earlier ones. */
static inline void lc_start(nxs_log_level_e threshold)
{
    pthread_mutex_lock(&lc.mu);
    lc.n = 0;
    lc.threshold = (int)threshold;
    pthread_mutex_unlock(&lc.mu);
    nxs_log_set(lc_is_level, lc_print, NULL);
}

/* Back to the stderr sink of nxs_test.h. */
static inline void lc_stop(void)
{
    nxs_log_use_stderr();
}

/* The first kept line with TAG whose text contains TEXT (NULL: any), or NULL. */
static inline const lc_line_t *lc_find(const char *tag, const char *text)
{
    int i;

    for (i = 0; i < lc.n && i < LC_MAX; ++i) {
        if (strcmp(lc.lines[i].tag, tag) == 0 && (!text || strstr(lc.lines[i].msg, text))) {
            return &lc.lines[i];
        }
    }
    return NULL;
}

/* How many kept lines carry TAG. */
static inline int lc_count(const char *tag)
{
    int i, n = 0;

    for (i = 0; i < lc.n && i < LC_MAX; ++i) {
        n += strcmp(lc.lines[i].tag, tag) == 0;
    }
    return n;
}

#endif
