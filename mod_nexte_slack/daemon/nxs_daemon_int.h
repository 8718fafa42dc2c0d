/* Shared state of the delivery daemon's parts: the connection handlers
 * (nxs_daemon_conn.c), the dispatcher and workers (nxs_daemon_deliver.c),
 * the recorder (nxs_daemon_record.c), the intake of scheduled work
 * (nxs_daemon_intake.c), the chores thread (nxs_daemon_chores.c) and the
 * process set-up (nxs_daemon_main.c).
 *
 * Thread safety: `lock` guards the scheduler, the token cache and
 * `possibly_posted`; the queue, the metrics, the recorder, the intake and
 * the chores thread's wake-up lock themselves; the rest is written once at start-up.
 * nxs_daemon_enqueue may be called from any thread (connection tasks, the
 * chores thread). */
#ifndef NXS_DAEMON_INT_H
#define NXS_DAEMON_INT_H

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_pool.h>
#include <httpd.h>
#include <jansson.h>

#include "cfg/nxs_config.h"
#include "nxs_metrics.h"
#include "queue/nxs_queue.h"
#include "sched/nxs_sched.h"
#include "store/nxs_store.h"

/* Writes the rows of posted messages in batches (nxs_daemon_record.c). */
typedef struct nxs_daemon_recorder_t nxs_daemon_recorder_t;

/* Writes accepted events' scheduled work to SQL (nxs_daemon_intake.c). */
typedef struct nxs_daemon_intake_t nxs_daemon_intake_t;

/* The thread that runs scheduled work (nxs_daemon_chores.c). */
typedef struct nxs_daemon_chores_t nxs_daemon_chores_t;

typedef struct nxs_daemon_t {
    server_rec *s;
    const nxs_server_conf_t *c;
    apr_pool_t *pool;
    apr_allocator_t *allocator; /* shared by the connection, delivery and recorder pools */
    nxs_queue_t *queue;
    nxs_sched_t *sched;
    nxs_metrics_t *metrics;
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;         /* signalled when the dispatcher may have work */
    apr_thread_pool_t *workers;      /* NexteSlackWorkers delivery threads */
    apr_thread_pool_t *conns;        /* one task per connection from a child */
    apr_hash_t *tokens;              /* "account/team" -> nxs_daemon_token_t * */
    apr_hash_t *possibly_posted;     /* seq (u64 key) -> non-NULL: got internal/fatal_error */
    nxs_daemon_recorder_t *recorder; /* locks itself */
    nxs_daemon_intake_t *intake;     /* locks itself */
    nxs_daemon_chores_t *chores;     /* locks itself */
    apr_time_t started;
    volatile int stopping;
} nxs_daemon_t;

/* An accepted connection and its own pool.  The pool is unmanaged: tasks
 * run on many threads at once, and pools made from one shared parent would
 * contend on it.  Its blocks come from the daemon's shared allocator.  The
 * connection task destroys it. */
typedef struct nxs_daemon_conn_t {
    apr_socket_t *sock;
    apr_pool_t *pool;
} nxs_daemon_conn_t;

/* Serves one connection from an httpd child until it closes. */
void *APR_THREAD_FUNC nxs_daemon_conn(apr_thread_t *t, void *conn);

/* The dispatcher thread: hands ready deliveries to the workers. */
void *APR_THREAD_FUNC nxs_daemon_dispatch(apr_thread_t *t, void *d);

/* Hands ITEM, just taken from the scheduler, to a worker; called with
 * d->lock held.  When no worker can take it, the item goes back to the
 * scheduler as a transient failure (retried after a backoff), never left
 * in flight. */
void nxs_daemon_submit(nxs_daemon_t *d, const nxs_sched_item_t *item);

/* Starts and stops (after the workers: what is pending is written) the
 * recorder thread. */
apr_status_t nxs_daemon_recorder_start(nxs_daemon_t *d);
void nxs_daemon_recorder_stop(nxs_daemon_t *d);
/* Queues ROW (copied) for the recorder; never waits for SQL. */
void nxs_daemon_record_posted(nxs_daemon_t *d, const nxs_delivery_t *row);

/* Appends DELIVERIES (the frame's array, possibly empty) durably under the
 * idempotency key IDEM {"account", "event_id"}, remembered for KEEP, and
 * hands the messages to the dispatcher and a scheduled-work record
 * (nxs_daemon_is_work) to the intake: what an accepted event and a
 * scheduled message share.  *duplicate is 1 (and nothing is added) when
 * the key was seen; *count is the number of messages queued.  APR_EINVAL for a
 * malformed IDEM or delivery, else the queue's status (APR_ENOSPC...).
 * Returns only once the records are on disk. */
apr_status_t nxs_daemon_enqueue(int *duplicate, apr_size_t *count, nxs_daemon_t *d,
                                const json_t *idem, const json_t *deliveries,
                                apr_interval_time_t keep, apr_pool_t *p);

/* The intake of scheduled work (nxs_daemon_intake.c).  _start makes it
 * (before the queue's replay, which adds to it), _run starts its thread,
 * _stop applies what is pending, once, and ends it (what the store
 * refuses stays in the queue for the next start). */
apr_status_t nxs_daemon_intake_start(nxs_daemon_t *d);
apr_status_t nxs_daemon_intake_run(nxs_daemon_t *d);
void nxs_daemon_intake_stop(nxs_daemon_t *d);
/* True when REC carries an event's scheduled work rather than a message
 * (category NXS_CHORES_WORK_CATEGORY). */
int nxs_daemon_is_work(const nxs_queue_record_t *rec);

/* Hands the durable scheduled-work record SEQ to the intake.  Any thread. */
void nxs_daemon_intake_add(nxs_daemon_t *d, apr_uint64_t seq);
/* Waits up to TIMEOUT until every record added before the call is
 * applied (APR_TIMEUP when not): the chores thread calls it before a
 * round, so that a recap counts the events accepted before it. */
apr_status_t nxs_daemon_intake_settle(nxs_daemon_t *d, apr_interval_time_t timeout);

typedef struct nxs_daemon_intake_stats_t {
    apr_size_t waiting;       /* records not yet applied */
    apr_uint64_t applied;     /* records applied (or dropped as unreadable) */
    apr_uint64_t retries;     /* batches the store refused */
    apr_time_t failing_since; /* 0 while the store answers */
} nxs_daemon_intake_stats_t;

void nxs_daemon_intake_stats(nxs_daemon_intake_stats_t *st, nxs_daemon_t *d);

/* Starts and stops the chores thread (pre-meeting alerts, daily recaps,
 * hourly purge, token refresh; see docs/SCHEDULED.md).  Stop it before the
 * queue is closed: a round in progress finishes first. */
apr_status_t nxs_daemon_chores_start(nxs_daemon_t *d);
void nxs_daemon_chores_stop(nxs_daemon_t *d);
/* Asks the chores thread for a round at AT at the latest (an alert was
 * booked or moved to AT, maybe sooner than it planned to look; AT in the
 * past: now).  Any thread. */
void nxs_daemon_chores_poke(nxs_daemon_t *d, apr_time_t at);

/* Forgets cached tokens of ACCOUNT (after a reconnect or a token error). */
void nxs_daemon_tokens_forget(nxs_daemon_t *d, const char *account);

/* The process-wide daemon (one per process). */
extern nxs_daemon_t *nxs_daemon;

#endif
