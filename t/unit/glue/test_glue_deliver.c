/* The dispatcher's hand-over to the workers (daemon/nxs_daemon_deliver.c)
 * when the worker pool refuses a task.  The test binary is linked with
 * --wrap=apr_thread_pool_push, so a test decides whether a push fails; the
 * daemon's state is built as in test_glue_daemon.c, without its threads. */
#include "glue_test.h"

#include "daemon_rig.h"

static int push_fails;
static int pushes;

apr_status_t __real_apr_thread_pool_push(apr_thread_pool_t *me, apr_thread_start_t func,
                                         void *param, apr_byte_t priority, void *owner);
apr_status_t __wrap_apr_thread_pool_push(apr_thread_pool_t *me, apr_thread_start_t func,
                                         void *param, apr_byte_t priority, void *owner);

/* Fails as apr_thread_pool_push does when it cannot start a thread. */
apr_status_t __wrap_apr_thread_pool_push(apr_thread_pool_t *me, apr_thread_start_t func,
                                         void *param, apr_byte_t priority, void *owner)
{
    ++pushes;
    if (push_fails) {
        return APR_EAGAIN;
    }
    return __real_apr_thread_pool_push(me, func, param, priority, owner);
}

static void a_refused_push_returns_the_item_to_the_scheduler_for_a_later_try(void **state)
{
    apr_pool_t *p = *state;
    nxs_daemon_t *d = daemon_state(p);
    nxs_sched_item_t item = {0}, again;
    nxs_sched_stats_t st;
    apr_time_t now = apr_time_now(), wake_at = 0;

    /* a pool without threads, so that only the wrapper decides */
    assert_int_equal(apr_thread_pool_create(&d->workers, 0, 1, p), APR_SUCCESS);
    item.seq = 7;
    item.account = "acct-1";
    item.team = "T1";
    item.channel = "C1";
    item.accepted_at = now;
    assert_int_equal(nxs_sched_add(d->sched, &item), APR_SUCCESS);

    push_fails = 1;
    pushes = 0;
    apr_thread_mutex_lock(d->lock);
    assert_int_equal(nxs_sched_next(&item, &wake_at, d->sched, now), 1);
    nxs_daemon_submit(d, &item);
    apr_thread_mutex_unlock(d->lock);
    push_fails = 0;
    assert_int_equal(pushes, 1);

    nxs_sched_stats(&st, d->sched);
    assert_int_equal(st.in_flight, 0);
    assert_int_equal(st.queued, 1);
    /* not at once: it backs off like any transient failure ... */
    assert_int_equal(nxs_sched_next(&again, &wake_at, d->sched, now), 0);
    assert_true(wake_at > now);
    /* ... and is handed out again afterwards, its failed try counted */
    assert_int_equal(nxs_sched_next(&again, &wake_at, d->sched, wake_at), 1);
    assert_int_equal(again.seq, 7);
    assert_int_equal(again.attempts, 1);
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(a_refused_push_returns_the_item_to_the_scheduler_for_a_later_try),
};

NXS_RUN_TESTS(tests)
