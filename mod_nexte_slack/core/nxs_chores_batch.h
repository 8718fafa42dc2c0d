/* Group commit of the scheduled work of accepted events, inside one
 * process: request threads that record an event's scheduled work at the
 * same time share one SQL transaction instead of one each.  The first
 * thread to arrive while no transaction is running becomes the leader: it
 * takes every event waiting, applies them with nxs_chores_events_accepted
 * on its own connection, commits once and wakes the others; the others
 * wait, and each returns only once its own event is committed, so a 202
 * still follows the commit.  The queue's log does the same for deliveries
 * (core/queue).  Why: one SQLite commit per event on the request thread cut
 * ingest to a third (BENCHMARKS.md "Ingest with scheduled work recorded"):
 * each commit syncs the WAL and every request thread contends for the
 * write lock, while 64 events per commit run ten times faster.
 *
 * Thread safety: one nxs_chores_batch_t per process, created before the
 * threads that use it (child_init) and shared by them; its list is guarded
 * by its mutex.  Each caller passes its own connection and pool; the
 * leader's are used for the batch, the waiters' are untouched until they
 * return. */
#ifndef NXS_CHORES_BATCH_H
#define NXS_CHORES_BATCH_H

#include <apr_pools.h>
#include <apr_time.h>

#include "nxs_chores.h"

typedef struct nxs_chores_batch_t nxs_chores_batch_t;

/* Creates the batcher in P (its mutex and condition live as long as P). */
apr_status_t nxs_chores_batch_create(nxs_chores_batch_t **out, apr_pool_t *p);

/* nxs_chores_event_accepted, grouped with the events other threads record
 * at the same time (same outcomes, same idempotency).  When the shared
 * transaction fails, each of its events is applied again on its own, so an
 * event that cannot be applied never fails the others and every caller
 * gets the status nxs_chores_event_accepted would have given it.  B NULL:
 * the event is applied alone. */
apr_status_t nxs_chores_batch_record(nxs_chores_batch_t *b, nxs_reminder_outcome_e *reminder,
                                     nxs_recap_count_e *recap, nxs_db_t *db,
                                     const nxs_envelope_t *env, const nxs_account_t *account,
                                     apr_time_t now, apr_pool_t *p);

#endif
