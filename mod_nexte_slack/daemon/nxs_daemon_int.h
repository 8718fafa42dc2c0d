/* Shared state of the delivery daemon's parts: the connection handlers
 * (nxs_daemon_conn.c), the dispatcher and workers (nxs_daemon_deliver.c)
 * and the process set-up (nxs_daemon_main.c).
 *
 * Thread safety: `lock` guards the scheduler, the token cache and
 * `possibly_posted`; the queue, the metrics and the recorder lock
 * themselves; the rest is
 * written once at start-up. */
#ifndef NXS_DAEMON_INT_H
#define NXS_DAEMON_INT_H

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_pool.h>
#include <httpd.h>

#include "cfg/nxs_config.h"
#include "nxs_metrics.h"
#include "queue/nxs_queue.h"
#include "sched/nxs_sched.h"
#include "store/nxs_store.h"

/* Writes the rows of posted messages in batches (nxs_daemon_record.c). */
typedef struct nxs_daemon_recorder_t nxs_daemon_recorder_t;

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

/* Starts and stops (after the workers: what is pending is written) the
 * recorder thread. */
apr_status_t nxs_daemon_recorder_start(nxs_daemon_t *d);
void nxs_daemon_recorder_stop(nxs_daemon_t *d);
/* Queues ROW (copied) for the recorder; never waits for SQL. */
void nxs_daemon_record_posted(nxs_daemon_t *d, const nxs_delivery_t *row);

/* Forgets cached tokens of ACCOUNT (after a reconnect or a token error). */
void nxs_daemon_tokens_forget(nxs_daemon_t *d, const char *account);

/* The process-wide daemon (one per process). */
extern nxs_daemon_t *nxs_daemon;

#endif
