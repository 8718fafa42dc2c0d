/* The delivery daemon's shared state for the glue tests that talk to its
 * connection task (daemon/nxs_daemon_conn.c) without forking a daemon. */
#ifndef NXS_DAEMON_RIG_H
#define NXS_DAEMON_RIG_H

#include "glue_test.h"

#include "daemon/nxs_daemon_int.h"

static inline apr_status_t glue_close_queue(void *q)
{
    nxs_queue_close(q);
    return APR_SUCCESS;
}

/* The daemon's shared state, as nxs_daemon_run's set-up makes it, for the
 * queue of a freshly configured server. */
static inline nxs_daemon_t *daemon_state(apr_pool_t *p)
{
    nxs_daemon_t *d = apr_pcalloc(p, sizeof(*d));
    nxs_queue_report_t report;
    nxs_queue_opts_t qo;
    nxs_sched_config_t sc;

    d->s = glue_configured_server(p);
    d->c = nxs_config_get(d->s);
    d->pool = p;
    d->started = apr_time_now();
    nxs_queue_opts_default(&qo);
    memset(&report, 0, sizeof(report));
    assert_int_equal(nxs_queue_open(&d->queue, &report, GLUE_MOD(d->c)->queue_type,
                                    GLUE_MOD(d->c)->queue_path, &qo, p),
                     APR_SUCCESS);
    /* registered after the scratch directory: runs before it is removed */
    apr_pool_cleanup_register(p, d->queue, glue_close_queue, apr_pool_cleanup_null);
    nxs_sched_config_default(&sc);
    sc.seed = 1;
    sc.backoff_min = d->c->backoff_min;
    sc.backoff_max = d->c->backoff_max;
    sc.retry_window = d->c->retry_window;
    assert_int_equal(apr_thread_mutex_create(&d->lock, APR_THREAD_MUTEX_DEFAULT, p), APR_SUCCESS);
    assert_int_equal(apr_thread_cond_create(&d->wake, p), APR_SUCCESS);
    assert_int_equal(nxs_metrics_create(&d->metrics, p), APR_SUCCESS);
    assert_int_equal(nxs_sched_create(&d->sched, &sc, p), APR_SUCCESS);
    d->tokens = apr_hash_make(p);
    d->possibly_posted = apr_hash_make(p);
    /* the intake, without its thread: a test runs it when it wants the
     * scheduled work written */
    assert_int_equal(nxs_daemon_intake_start(d), APR_SUCCESS);
    nxs_daemon = d;
    return d;
}

#endif
