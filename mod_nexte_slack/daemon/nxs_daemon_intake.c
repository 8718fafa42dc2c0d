/* The intake: writes the scheduled work of accepted events (the alert a
 * booking creates, moves or cancels; the event's count in its daily recap)
 * to SQL, off the request thread (docs/SCHEDULED.md "Recording").
 *
 * An event's scheduled work arrives as one record of the event's durable
 * append (category NXS_CHORES_WORK_CATEGORY, core/nxs_chores.h), so it is
 * on disk before Nexte gets its 202 and survives kill -9 like a message.
 * The intake keeps only the records' seqs in memory, reads each back when
 * its turn comes, applies up to BATCH of them in one SQL transaction
 * (nxs_chores_events_accepted) and only then marks them done in the queue.
 * A crash in between applies them again at the next start: each effect is
 * idempotent on the event id.  With the store down, the records wait in
 * the queue and are tried again, the wait doubling from 1 s to 30 s.
 *
 * Why here and not in the request: one SQL commit per event on the
 * request thread held ingest to about a third of what it was (see
 * BENCHMARKS.md "Ingest with scheduled work recorded").  Here one thread
 * applies whatever accumulated while its previous transaction ran.
 *
 * Thread safety: `lock` guards the pending seqs and the counters; the
 * intake thread alone touches SQL and its pool. */
#include "daemon/nxs_daemon_int.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_chores.h"
#include "nxs_clock.h"
#include "nxs_dbd.h"
#include "nxs_log.h"

/* At most this many events per transaction: a transaction holds SQLite's
 * write lock, and a bounded batch bounds what other writers wait for.  64
 * is where bench/chores/run.sh stopped gaining. */
#define BATCH 64

/* An alert due sooner than this after it was recorded wakes the chores
 * thread (a booking less than 15 minutes ahead goes at once); later ones
 * are found by the rounds in between. */
#define POKE_WITHIN apr_time_from_sec(60)

#define RETRY_MIN apr_time_from_sec(1)
#define RETRY_MAX apr_time_from_sec(30)

struct nxs_daemon_intake_t {
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;    /* signalled when seqs arrive or on stop */
    apr_thread_cond_t *settled; /* broadcast after each batch */
    apr_array_header_t *seqs;   /* under lock: apr_uint64_t, in acceptance order */
    int head;                   /* under lock: seqs before it are finished */
    apr_uint64_t added;         /* under lock: seqs ever added */
    apr_uint64_t finished;      /* under lock: ... applied or dropped */
    apr_uint64_t retries;       /* under lock: batches that met a store failure */
    apr_time_t failing_since;   /* under lock: 0 while the store answers */
    int stopping;               /* under lock */
    apr_pool_t *seqs_pool;      /* under lock: the array's (it grows) */
    apr_pool_t *pool;           /* the thread's, cleared per batch */
    apr_thread_t *thread;
};

/* Names of the outcomes, for the trace (nxs_reminder_outcome_e,
 * nxs_recap_count_e order). */
static const char *const reminder_names[] = {"applied", "duplicate", "stale", "unchanged"};
static const char *const recap_names[] = {"counted", "late", "duplicate", "not counted"};

int nxs_daemon_is_work(const nxs_queue_record_t *rec)
{
    return rec->category && strcmp(rec->category, NXS_CHORES_WORK_CATEGORY) == 0;
}

void nxs_daemon_intake_add(nxs_daemon_t *d, apr_uint64_t seq)
{
    nxs_daemon_intake_t *in = d->intake;

    apr_thread_mutex_lock(in->lock);
    APR_ARRAY_PUSH(in->seqs, apr_uint64_t) = seq;
    ++in->added;
    apr_thread_cond_signal(in->wake);
    apr_thread_mutex_unlock(in->lock);
}

void nxs_daemon_intake_stats(nxs_daemon_intake_stats_t *st, nxs_daemon_t *d)
{
    nxs_daemon_intake_t *in = d->intake;

    memset(st, 0, sizeof(*st));
    if (!in) {
        return;
    }
    apr_thread_mutex_lock(in->lock);
    st->waiting = (apr_size_t)(in->seqs->nelts - in->head);
    st->applied = in->finished;
    st->retries = in->retries;
    st->failing_since = in->failing_since;
    apr_thread_mutex_unlock(in->lock);
}

apr_status_t nxs_daemon_intake_settle(nxs_daemon_t *d, apr_interval_time_t timeout)
{
    nxs_daemon_intake_t *in = d->intake;
    apr_time_t until = apr_time_now() + timeout;
    apr_uint64_t target;
    apr_status_t rv = APR_SUCCESS;

    if (!in) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(in->lock);
    target = in->added;
    while (in->finished < target && !in->stopping) {
        apr_time_t now = apr_time_now();
        if (now >= until) {
            rv = APR_TIMEUP;
            break;
        }
        apr_thread_cond_timedwait(in->settled, in->lock, until - now);
    }
    apr_thread_mutex_unlock(in->lock);
    return rv;
}

/* One pending record read back: its event and what it did. */
typedef struct work_t {
    apr_uint64_t seq;
    nxs_envelope_t env;
    nxs_account_t account;
    nxs_held_t *hold; /* held for a summary, or NULL */
    int ok;           /* read and parsed */
} work_t;

/* Reads record SEQ back and parses its payload.  A record that cannot be
 * read or parsed will never apply: it is dropped, loudly. */
static int load(work_t *w, nxs_daemon_t *d, apr_uint64_t seq, apr_pool_t *p)
{
    nxs_queue_record_t rec;
    const char *why = NULL;
    apr_status_t rv;

    memset(w, 0, sizeof(*w));
    w->seq = seq;
    if ((rv = nxs_queue_load(&rec, d->queue, seq, p)) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_ERR, rv, "NXS00130",
                "scheduled work %" APR_UINT64_T_FMT " cannot be read from the queue: lost", seq);
        return 0;
    }
    if (nxs_chores_work_parse(&w->env, &w->account, &w->hold, &why, rec.payload, rec.payload_len,
                              p) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_ERR, 0, "NXS00131",
                "scheduled work %" APR_UINT64_T_FMT " of event %s (account %s) is unreadable "
                "(%s): dropped",
                seq, rec.event_id, rec.account, why ? why : "?");
        return 0;
    }
    w->ok = 1;
    return 1;
}

/* Says what an applied event did, and wakes the chores thread for an
 * alert due soon. */
static void applied(nxs_daemon_t *d, const work_t *w, nxs_reminder_outcome_e reminder,
                    nxs_recap_count_e recap, apr_status_t rv, apr_pool_t *p)
{
    nxs_reminder_change_t change;

    if (rv == APR_EINVAL) {
        /* Its local day cannot be computed: another try would fail the
         * same way, so the event stays accepted, uncounted, and says so. */
        NXS_LOG(NXS_LOG_WARNING, rv, "NXS00063",
                "event %s of %s not counted in the daily recap: no local day for its "
                "occurred_at",
                w->env.id, w->env.account_id);
        return;
    }
    NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00062", "event %s of %s: alert %s, recap %s", w->env.id,
            w->env.account_id, reminder_names[reminder], recap_names[recap]);
    if (reminder == NXS_REMINDER_APPLIED &&
        nxs_chores_reminder_change(&change, &w->env, p) == APR_SUCCESS &&
        change.kind != NXS_CHANGE_CANCELLED &&
        apr_time_from_sec(change.due_at) < nxs_clock_now() + POKE_WITHIN) {
        nxs_daemon_chores_poke(d, apr_time_from_sec(change.due_at));
    }
}

/* Applies the N records of SEQS.  Returns how many of them are finished
 * (a prefix: applied, or dropped as unreadable); the rest wait for the
 * store. */
static int apply(nxs_daemon_t *d, const apr_uint64_t *seqs, int n, apr_pool_t *p)
{
    work_t *work = apr_pcalloc(p, sizeof(*work) * (apr_size_t)n);
    nxs_chores_accepted_t *events = apr_pcalloc(p, sizeof(*events) * (apr_size_t)n);
    apr_time_t now = nxs_clock_now();
    void *conn = NULL;
    nxs_db_t *db;
    apr_status_t rv;
    int i, m = 0, done;

    for (i = 0; i < n; ++i) {
        if (load(&work[i], d, seqs[i], p)) {
            events[m].env = &work[i].env;
            events[m].account = &work[i].account;
            events[m].hold = work[i].hold;
            ++m;
        }
    }
    if (m == 0) {
        for (i = 0; i < n; ++i) {
            nxs_queue_done(d->queue, seqs[i]);
        }
        return n;
    }
    if (!(db = nxs_dbd_open(&conn, d->s, p))) {
        return 0;
    }
    rv = nxs_chores_events_accepted(events, m, db, now, p);
    if (rv == APR_SUCCESS) {
        for (i = 0, m = 0; i < n; ++i) {
            if (work[i].ok) {
                applied(d, &work[i], events[m].reminder, events[m].recap, APR_SUCCESS, p);
                ++m;
            }
            nxs_queue_done(d->queue, seqs[i]);
        }
        NXS_LOG(NXS_LOG_TRACE2, 0, "NXS00128", "scheduled work of %d events in one transaction", n);
        nxs_dbd_close(conn, d->s);
        return n;
    }
    /* One event may be what failed (no local day for its time): apply each
     * alone, in order, so that the others do not pay for it; stop at the
     * first that the store itself refuses. */
    NXS_LOG(NXS_LOG_DEBUG, rv, "NXS00129",
            "scheduled work of %d events: the shared transaction failed; each applied alone", n);
    for (done = 0; done < n; ++done) {
        work_t *w = &work[done];
        nxs_chores_accepted_t one = {&w->env, &w->account, w->hold, NXS_REMINDER_UNCHANGED,
                                     NXS_RECAP_NOT_COUNTED};

        if (w->ok) {
            rv = nxs_chores_events_accepted(&one, 1, db, now, p);
            if (rv != APR_SUCCESS && rv != APR_EINVAL) {
                break;
            }
            applied(d, w, one.reminder, one.recap, rv, p);
        }
        nxs_queue_done(d->queue, w->seq);
    }
    nxs_dbd_close(conn, d->s);
    return done;
}

/* Drops the first DONE pending seqs (under lock).  The array is a queue
 * with a moving head, compacted once the head passes half of it, so that
 * a long backlog (the store down for hours) costs no copy per batch. */
static void consume(nxs_daemon_intake_t *in, int done)
{
    in->head += done;
    if (in->head == in->seqs->nelts) {
        in->head = in->seqs->nelts = 0;
    } else if (in->head > 1024 && in->head * 2 > in->seqs->nelts) {
        memmove(in->seqs->elts, &APR_ARRAY_IDX(in->seqs, in->head, apr_uint64_t),
                sizeof(apr_uint64_t) * (apr_size_t)(in->seqs->nelts - in->head));
        in->seqs->nelts -= in->head;
        in->head = 0;
    }
}

static void *APR_THREAD_FUNC intake_main(apr_thread_t *t, void *dv)
{
    nxs_daemon_t *d = dv;
    nxs_daemon_intake_t *in = d->intake;
    apr_interval_time_t backoff = 0;
    apr_time_t retry_at = 0;

    apr_thread_mutex_lock(in->lock);
    for (;;) {
        apr_uint64_t batch[BATCH];
        apr_time_t now = apr_time_now();
        int pending = in->seqs->nelts - in->head, n, done;

        if (in->stopping && (pending == 0 || in->failing_since)) {
            break; /* what the store refused stays in the queue for the next start */
        }
        if (pending == 0 || (now < retry_at && !in->stopping)) {
            if (pending == 0) {
                apr_thread_cond_wait(in->wake, in->lock);
            } else {
                apr_thread_cond_timedwait(in->wake, in->lock, retry_at - now);
            }
            continue;
        }
        n = pending < BATCH ? pending : BATCH;
        memcpy(batch, &APR_ARRAY_IDX(in->seqs, in->head, apr_uint64_t),
               sizeof(apr_uint64_t) * (apr_size_t)n);
        apr_thread_mutex_unlock(in->lock);

        done = apply(d, batch, n, in->pool);
        apr_pool_clear(in->pool);

        apr_thread_mutex_lock(in->lock);
        consume(in, done);
        in->finished += (apr_uint64_t)done;
        apr_thread_cond_broadcast(in->settled);
        if (done == n) {
            if (in->failing_since) {
                NXS_LOG(NXS_LOG_NOTICE, 0, "NXS00132",
                        "scheduled work is recorded again (the store answers)");
            }
            in->failing_since = 0;
            backoff = 0;
            retry_at = 0;
            continue;
        }
        /* The store refused: keep the rest, in order, and wait. */
        ++in->retries;
        if (!in->failing_since) {
            in->failing_since = apr_time_now();
            NXS_LOG(NXS_LOG_WARNING, 0, "NXS00133",
                    "scheduled work of %d accepted events waits: the store refuses it (kept "
                    "in the queue, tried again)",
                    in->seqs->nelts - in->head);
        }
        backoff = backoff ? (backoff * 2 > RETRY_MAX ? RETRY_MAX : backoff * 2) : RETRY_MIN;
        retry_at = apr_time_now() + backoff;
    }
    apr_thread_mutex_unlock(in->lock);
    return NULL;
}

apr_status_t nxs_daemon_intake_start(nxs_daemon_t *d)
{
    nxs_daemon_intake_t *in = apr_pcalloc(d->pool, sizeof(*in));
    apr_status_t rv;

    if ((rv = apr_thread_mutex_create(&in->lock, APR_THREAD_MUTEX_DEFAULT, d->pool)) ||
        (rv = apr_thread_cond_create(&in->wake, d->pool)) ||
        (rv = apr_thread_cond_create(&in->settled, d->pool))) {
        return rv;
    }
    /* Children of the daemon's pool (made here, before the threads), with
     * its mutex-protected allocator: their blocks may be taken while other
     * threads take theirs. */
    if ((rv = apr_pool_create_ex(&in->seqs_pool, d->pool, NULL, d->allocator)) ||
        (rv = apr_pool_create_ex(&in->pool, d->pool, NULL, d->allocator))) {
        return rv;
    }
    in->seqs = apr_array_make(in->seqs_pool, 256, sizeof(apr_uint64_t));
    d->intake = in;
    return APR_SUCCESS;
}

apr_status_t nxs_daemon_intake_run(nxs_daemon_t *d)
{
    return apr_thread_create(&d->intake->thread, NULL, intake_main, d, d->pool);
}

void nxs_daemon_intake_stop(nxs_daemon_t *d)
{
    nxs_daemon_intake_t *in = d->intake;
    apr_status_t trv;

    if (!in || !in->thread) {
        return;
    }
    apr_thread_mutex_lock(in->lock);
    in->stopping = 1;
    apr_thread_cond_signal(in->wake);
    apr_thread_cond_broadcast(in->settled);
    apr_thread_mutex_unlock(in->lock);
    apr_thread_join(&trv, in->thread); /* applies what is pending first */
    in->thread = NULL;
    /* The structure and its seqs stay (the process exits next): a late
     * nxs_daemon_intake_add or _settle still finds a valid lock. */
}
