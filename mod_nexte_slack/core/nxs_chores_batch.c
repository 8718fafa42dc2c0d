/* One SQL transaction for the scheduled work of the events that request
 * threads of one process record at the same time (leader and followers,
 * like the queue's group commit).  See nxs_chores_batch.h. */
#include "nxs_chores_batch.h"

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "nxs_log.h"

/* At most this many events in one transaction: a transaction holds
 * SQLite's write lock, so a bounded batch bounds what other processes wait
 * for.  64 is where bench/chores/run.sh stopped gaining. */
#define BATCH_MAX 64

/* One waiting event; lives on its caller's stack until the caller returns. */
typedef struct waiter_t {
    nxs_chores_accepted_t ev;
    apr_time_t now;
    apr_status_t rv;
    int done;
    struct waiter_t *next;
} waiter_t;

struct nxs_chores_batch_t {
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *done; /* broadcast when a batch is committed */
    waiter_t *head, *tail;   /* under lock: events waiting for a leader */
    int leading;             /* under lock: a leader is applying a batch */
};

apr_status_t nxs_chores_batch_create(nxs_chores_batch_t **out, apr_pool_t *p)
{
    nxs_chores_batch_t *b = apr_pcalloc(p, sizeof(*b));
    apr_status_t rv;

    *out = NULL;
    if ((rv = apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, p)) != APR_SUCCESS ||
        (rv = apr_thread_cond_create(&b->done, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = b;
    return APR_SUCCESS;
}

/* Takes up to BATCH_MAX waiting events off the list (under lock). */
static waiter_t *take(nxs_chores_batch_t *b, int *n)
{
    waiter_t *first = b->head, *w = first, *last = NULL;

    for (*n = 0; w && *n < BATCH_MAX; w = w->next) {
        last = w;
        ++*n;
    }
    b->head = w;
    if (!w) {
        b->tail = NULL;
    }
    if (last) {
        last->next = NULL;
    }
    return first;
}

/* Applies the N events from FIRST on DB: one transaction, or each alone
 * when the shared one fails.  Runs without the lock. */
static void apply(waiter_t *first, int n, nxs_db_t *db, apr_pool_t *p)
{
    nxs_chores_accepted_t *events = apr_palloc(p, sizeof(*events) * (apr_size_t)n);
    apr_time_t now = first->now;
    apr_status_t rv;
    waiter_t *w;
    int i;

    for (w = first, i = 0; w; w = w->next, ++i) {
        events[i] = w->ev;
        now = w->now > now ? w->now : now;
    }
    rv = nxs_chores_events_accepted(events, n, db, now, p);
    if (rv == APR_SUCCESS) {
        for (w = first, i = 0; w; w = w->next, ++i) {
            w->ev = events[i];
            w->rv = APR_SUCCESS;
        }
        NXS_LOG(NXS_LOG_TRACE2, 0, "NXS00128", "scheduled work of %d events in one transaction", n);
        return;
    }
    /* One event may be what failed (e.g. no local day for its time): the
     * others must not pay for it, and each caller gets its own answer. */
    NXS_LOG(NXS_LOG_DEBUG, rv, "NXS00129",
            "scheduled work of %d events: the shared transaction failed; each applied alone", n);
    for (w = first; w; w = w->next) {
        w->rv = nxs_chores_event_accepted(&w->ev.reminder, &w->ev.recap, db, w->ev.env,
                                          w->ev.account, w->now, p);
    }
}

apr_status_t nxs_chores_batch_record(nxs_chores_batch_t *b, nxs_reminder_outcome_e *reminder,
                                     nxs_recap_count_e *recap, nxs_db_t *db,
                                     const nxs_envelope_t *env, const nxs_account_t *account,
                                     apr_time_t now, apr_pool_t *p)
{
    waiter_t me = {{env, account, NXS_REMINDER_UNCHANGED, NXS_RECAP_NOT_COUNTED}, now, 0, 0, NULL};
    waiter_t *batch, *w;
    apr_pool_t *sub = NULL;
    int n;

    if (!b) {
        return nxs_chores_event_accepted(reminder, recap, db, env, account, now, p);
    }
    apr_thread_mutex_lock(b->lock);
    if (b->tail) {
        b->tail->next = &me;
    } else {
        b->head = &me;
    }
    b->tail = &me;
    while (!me.done) {
        if (b->leading) {
            apr_thread_cond_wait(b->done, b->lock);
            continue;
        }
        /* Lead: this batch may not hold this thread's event (a previous
         * leader may have taken it); then it waits for the next one. */
        b->leading = 1;
        batch = take(b, &n);
        apr_thread_mutex_unlock(b->lock);
        apr_pool_create(&sub, p);
        apply(batch, n, db, sub);
        apr_pool_destroy(sub);
        apr_thread_mutex_lock(b->lock);
        /* Set under the lock: no waiter sees it before it can return. */
        for (w = batch; w; w = w->next) {
            w->done = 1;
        }
        b->leading = 0;
        apr_thread_cond_broadcast(b->done);
    }
    apr_thread_mutex_unlock(b->lock);
    *reminder = me.ev.reminder;
    *recap = me.ev.recap;
    return me.rv;
}
