/* One round of scheduled work: the pre-meeting alerts that are due, the
 * daily recaps that are due and the morning summaries of events held
 * outside active hours (docs/FILTERS.md), each claimed in SQL, routed,
 * rendered and handed to ENQUEUE in the same shape as an accepted event's
 * deliveries, then finished in SQL; and the hourly purge, claimed per hour so that one
 * process of one node runs it (docs/SCHEDULED.md).
 *
 * The caller (the delivery daemon's chores loop) supplies ENQUEUE, which
 * hands the deliveries to its durable queue with the idempotency key IDEM
 * {"account", "event_id"}: "soon/<event id>" for an alert, "recap/<day>"
 * for a recap, "summary/<channel>/<newest held_at>/<count>" for a summary ('/' is outside the
 * alphabet of Nexte's event ids, so they never meet one).  So a claim taken over after a crash
 * between queueing and finishing is a duplicate for the queue, not a second message.
 *
 * Thread safety: none of its own; one thread per nxs_db_t, and ENQUEUE is
 * called from the caller's thread. */
#ifndef NXS_CHORES_RUN_H
#define NXS_CHORES_RUN_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "store/nxs_db.h"

/* Hands DELIVERIES (an array of {"account", "team", "channel", "event_id",
 * "category", "delivery_id", "record", "payload"}) to the durable queue
 * under IDEM.  Anything but APR_SUCCESS leaves the work claimed: it is
 * tried again when the claim's lease runs out. */
typedef apr_status_t nxs_chores_enqueue_fn(void *baton, const json_t *idem,
                                           const json_t *deliveries);

typedef struct nxs_chores_env_t {
    const char *node;          /* nxs_chores_node_id() */
    const char *app_url;       /* NexteSlackAppURL, for links; may be NULL */
    apr_interval_time_t lease; /* NXS_CHORE_LEASE */
    apr_interval_time_t grace; /* NexteSlackReconnectGrace, for the purge */
    int batch;                 /* alerts claimed per round (e.g. 100) */
    int alerts_every;          /* during the recaps, due alerts are looked at again (at
                                  nxs_clock_now()) after this many claimed recaps; 0: only
                                  at the start of the round */
    nxs_chores_enqueue_fn *enqueue;
    void *baton;
} nxs_chores_env_t;

typedef struct nxs_chores_report_t {
    int reminders_sent;    /* queued this round */
    int reminders_skipped; /* started, not connected, category unmapped... */
    int recaps_sent;
    int recaps_skipped;   /* no_activity, no_channel, not_connected */
    int failures;         /* claims left for the lease (enqueue or render failed) */
    int purged;           /* rows the purge deleted this round; -1: another's hour */
    int summaries_sent;   /* morning summaries queued (one per channel) */
    int held_dropped;     /* held events dropped: their account is not connected */
    apr_time_t next_wake; /* when to run again: the next alert or recap, at most 60 s on */
} nxs_chores_report_t;

/* Runs one round at NOW.  APR_SUCCESS unless the database failed; work
 * that could not be queued is counted in failures and retried later.  The
 * purge runs once per UTC hour (chore "purge", slot nxs_chores_slot):
 * nxs_store_purge with GRACE (disconnected accounts' settings, expired
 * OAuth states, one-time signatures of launch links and interactions, old
 * deliveries), then nxs_store_chores_purge. */
apr_status_t nxs_chores_run(nxs_chores_report_t *report, nxs_db_t *db, const nxs_chores_env_t *env,
                            apr_time_t now, apr_pool_t *p);

#endif
