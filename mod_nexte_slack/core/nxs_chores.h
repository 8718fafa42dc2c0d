/* What scheduled work an accepted event causes, and when it is due
 * (docs/CONTRACT.md "Scheduled work", docs/SCHEDULED.md): the rules between an event envelope, the
 * account's time zone and the SQL of nxs_store_chores.
 *
 *  - Pre-meeting alert: appointment.booked / .rescheduled / .cancelled
 *    create, move or cancel an alert due NXS_REMINDER_LEAD before
 *    data.starts_at, sent to the booking channel as
 *    appointment.starting_soon;
 *  - Daily recap: every accepted event of a counted type counts for the
 *    local day of its occurred_at in the account's zone; the recap of a
 *    day is due from 09:00 the next local day until that day ends.
 *
 * Pure rules plus calls into the store; no state of its own.  Safe from
 * any thread, each with its own nxs_db_t. */
#ifndef NXS_CHORES_H
#define NXS_CHORES_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "event/nxs_envelope.h"
#include "nxs_localtime.h"
#include "store/nxs_store.h"
#include "store/nxs_store_chores.h"
#include "store/nxs_store_held.h"

/* The alert goes this long before the start. */
#define NXS_REMINDER_LEAD apr_time_from_sec(15 * 60)

/* The recap's local wall-clock time. */
#define NXS_RECAP_HOUR   9
#define NXS_RECAP_MINUTE 0

/* A claim not finished after this long is abandoned (its holder died)
 * and may be taken over.  Rendering and queueing one message takes
 * milliseconds; five minutes leaves room for a slow database. */
#define NXS_CHORE_LEASE apr_time_from_sec(300)

/* The alert change ENV makes.  APR_ENOENT when ENV is not a booking
 * change (appointment.booked, .rescheduled, .cancelled) or has no
 * record.id; APR_EINVAL when a booked or rescheduled event has no valid
 * data.starts_at.  C's strings live in P. */
apr_status_t nxs_chores_reminder_change(nxs_reminder_change_t *c, const nxs_envelope_t *env,
                                        apr_pool_t *p);

/* What ENV adds to its recap, its day taken in TZ (the account's zone at
 * acceptance).  An amount without a currency takes CURRENCY (the
 * account's).  APR_ENOENT when ENV's type is not counted. */
apr_status_t nxs_chores_recap_event(nxs_recap_event_t *e, const nxs_envelope_t *env, const char *tz,
                                    const char *currency, apr_pool_t *p);

/* The two effects of an accepted event on scheduled work, for the ingest
 * path: *reminder and *recap say what happened (NXS_REMINDER_UNCHANGED /
 * NXS_RECAP_NOT_COUNTED when the event has nothing to do with them).
 * ACCOUNT gives the zone and currency (NULL: UTC, no default currency).
 * Each effect is idempotent on the event id, so the caller may run this
 * again for a retried event. */
apr_status_t nxs_chores_event_accepted(nxs_reminder_outcome_e *reminder, nxs_recap_count_e *recap,
                                       nxs_db_t *db, const nxs_envelope_t *env,
                                       const nxs_account_t *account, apr_time_t now, apr_pool_t *p);

/* The scheduled work of an accepted event travels to the delivery daemon
 * inside the event's durable append, as a queue record of this category
 * (team and channel empty): it is on disk before the 202, and the daemon
 * writes it to SQL in batches, off the request thread (docs/SCHEDULED.md
 * "Recording").  No message has this category: '@' is not in a category
 * name. */
#define NXS_CHORES_WORK_CATEGORY "@scheduled-work"

/* True when ENV causes scheduled work: a booking change (its alert) or a
 * type the daily recap counts.  Pure; no SQL. */
int nxs_chores_event_has_work(const nxs_envelope_t *env);

/* The payload of ENV's scheduled-work record: {"event": the envelope,
 * "timezone", "currency"} (ACCOUNT's at acceptance, which decide the
 * recap's day and an amount's default currency; absent when NULL), and
 * "hold" when the event is held outside the active hours (HOLD, as
 * nxs_held_hold_json makes it; NULL: not held).  A compact JSON text in
 * P, or NULL when ENV cannot be serialized. */
const char *nxs_chores_work_payload(const nxs_envelope_t *env, const nxs_account_t *account,
                                    const json_t *hold, apr_pool_t *p);

/* Reads a payload of nxs_chores_work_payload back: *env parsed as the
 * events handler parsed it, *account with only timezone and currency set
 * (and id), *hold the held row to write (NULL when not held).  APR_EINVAL
 * with *why when it is not such a payload. */
apr_status_t nxs_chores_work_parse(nxs_envelope_t *env, nxs_account_t *account, nxs_held_t **hold,
                                   const char **why, const char *payload, apr_size_t len,
                                   apr_pool_t *p);

/* The zone the recap and the counters use for ACCOUNT: its time zone when
 * ICU knows it, else "UTC" (so that a bad zone never makes an event fail
 * to be accepted; the settings API refuses unknown zones anyway). */
const char *nxs_chores_zone(const nxs_account_t *account);

/* One accepted event for nxs_chores_events_accepted, with its outcomes. */
typedef struct nxs_chores_accepted_t {
    const nxs_envelope_t *env;
    const nxs_account_t *account;    /* as for nxs_chores_event_accepted */
    const nxs_held_t *hold;          /* the event held for a summary, or NULL */
    nxs_reminder_outcome_e reminder; /* out */
    nxs_recap_count_e recap;         /* out */
} nxs_chores_accepted_t;

/* nxs_chores_event_accepted for N events in one transaction, each also
 * held (nxs_store_held_put) when it has a hold: one commit
 * (one WAL sync on SQLite) instead of one or two per event, for a caller
 * that gathers events (the daemon's group commit).  Measured on the 2-core
 * dev machine (ext4, SQLite, load ~2, bench/chores/run.sh): one by one
 * 1 300-2 600 counted events/s, in batches of 64 about 14 600-17 000/s
 * (bookings 9 400-11 300/s); see docs/SCHEDULED.md "Cost".  When a concurrent
 * writer changes an alert of the batch (several nodes), the whole batch is
 * rolled back and tried again, up to 3 times (APR_EAGAIN after).  N = 1
 * and an event without a local day (APR_EINVAL for the whole batch
 * otherwise): its other effects and its hold are committed, and
 * APR_EINVAL says its count was not. */
apr_status_t nxs_chores_events_accepted(nxs_chores_accepted_t *events, int n, nxs_db_t *db,
                                        apr_time_t now, apr_pool_t *p);

/* The recap due at NOW in zone TZ: *due is 1 with *day = yesterday
 * (local) from 09:00 local until local midnight, else 0.  *next is the
 * next 09:00 after NOW, when the daemon should look again. */
apr_status_t nxs_chores_recap_due(int *due, nxs_day_t *day, apr_time_t *next, apr_time_t now,
                                  const char *tz);

/* nxs_chores_recap_due of many accounts at one NOW, computed once per
 * distinct time zone (accounts share a few): a memo on the caller's
 * stack, up to NXS_CHORES_ZONE_MEMO zones (beyond, each look computes
 * again, into `spare`).  An entry stays valid until the next look past
 * the memo's size.  Not shared between threads. */
#define NXS_CHORES_ZONE_MEMO 64

typedef struct nxs_chores_zone_due_t {
    const char *raw; /* the account's timezone as stored ("UTC" for none) */
    apr_status_t rv; /* of nxs_chores_recap_due */
    int due;
    nxs_day_t day;
    apr_time_t next;
} nxs_chores_zone_due_t;

typedef struct nxs_chores_zone_memo_t {
    apr_time_t now;
    int n;
    nxs_chores_zone_due_t zones[NXS_CHORES_ZONE_MEMO];
    nxs_chores_zone_due_t spare;
} nxs_chores_zone_memo_t;

void nxs_chores_zone_memo_init(nxs_chores_zone_memo_t *m, apr_time_t now);

/* nxs_chores_recap_due at the memo's NOW in nxs_chores_zone(ACCOUNT). */
const nxs_chores_zone_due_t *nxs_chores_zone_due(nxs_chores_zone_memo_t *m,
                                                 const nxs_account_t *account);

/* The earliest next 09:00 after NOW among ACCOUNTS (nxs_account_t *, as
 * nxs_store_recap_accounts lists them), each in nxs_chores_zone; 0 when
 * ACCOUNTS is empty.  For the daemon's wake-up and the status. */
apr_time_t nxs_chores_next_recap(const apr_array_header_t *accounts, apr_time_t now);

/* The slot of a periodic chore at NOW: NOW rounded down to a multiple of
 * PERIOD since the epoch, as "2026-12-07T21:00:00Z" (the key of
 * nxs_store_chore_claim, so one node runs each period). */
const char *nxs_chores_slot(apr_time_t now, apr_interval_time_t period, apr_pool_t *p);

/* A claimer name unique to this process: "host:pid:usec" (the time of the
 * call), so that a restarted daemon that got the same pid never takes its
 * predecessor's claims for its own.  Call it once at start and keep it. */
const char *nxs_chores_node_id(apr_pool_t *p);

/* The scheduled-work part of the status endpoint (docs/CONTRACT.md "Observability"), from ST (as
 * nxs_store_chores_status counted it since SINCE, the start of the UTC
 * day) and NEXT_RECAP (nxs_chores_next_recap; 0 for none):
 *   {"since": "...Z", "reminders": {"pending", "next_due_at", "sent",
 *    "skipped"}, "recaps": {"next_at", "sent", "skipped"},
 *    "chores": {"purge": {"done": 1, ...}, ...}}
 * with times as RFC 3339 strings or null.  A new (pool-owned) object. */
json_t *nxs_chores_status_json(const nxs_chores_status_t *st, apr_time_t since,
                               apr_time_t next_recap, apr_pool_t *p);

/* The same numbers as Prometheus text (HELP, TYPE and samples, one
 * metric family after another), names prefixed "nexte_slack_". */
const char *nxs_chores_status_prometheus(const nxs_chores_status_t *st, apr_time_t next_recap,
                                         apr_pool_t *p);

/* The appointment.starting_soon envelope of alert R: the booking event it
 * was made from, with type "appointment.starting_soon", data.starts_at
 * the alert's (current) start, occurred_at NOW and an id of its own
 * ("soon/" + the id of the event that set the start, cut to 64
 * characters; '/' is not in the alphabet of Nexte's ids, so it never
 * equals one of them).  Pool-owned.  APR_EINVAL when R's envelope is not a JSON
 * object. */
apr_status_t nxs_chores_reminder_envelope(json_t **ev, const nxs_reminder_t *r, apr_time_t now,
                                          apr_pool_t *p);

#endif
