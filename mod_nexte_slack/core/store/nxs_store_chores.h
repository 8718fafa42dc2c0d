/* The SQL side of scheduled work (docs/CONTRACT.md "Scheduled work", docs/SCHEDULED.md): the
 * pre-meeting alerts, the daily recap's counters and claims, and generic
 * once-only claims for the other chores (purges, token refresh).
 *
 * Everything here is safe when several processes or nodes share the
 * database: an event applies once (its id is recorded in the same
 * transaction as its effect), and a piece of work goes to exactly one
 * claimer (a conditional UPDATE or an INSERT ... ON CONFLICT DO NOTHING
 * that only one caller sees succeed).  A claim that its holder never
 * finishes (the process died) can be taken over after LEASE seconds; the
 * work may then happen twice, once on each side of the crash, like a
 * delivery (docs/CONTRACT.md "Delivery").
 *
 * Plain functions over an nxs_db_t, prepared statements only
 * (nxs_db_chores_statements).  Times are unix seconds.  NODE names the
 * claimer and must be unique per process ("host:pid:start").
 *
 * Thread safety: as nxs_db_t, one thread per connection. */
#ifndef NXS_STORE_CHORES_H
#define NXS_STORE_CHORES_H

#include <apr_tables.h>

#include "render/nxs_render.h"
#include "store/nxs_db.h"
#include "store/nxs_store.h"

/* Rows about scheduled work are kept this long (seconds), well past the
 * day after a recap's day (the last day it can be sent), so that an event
 * retried within that time is still recognised as a duplicate. */
#define NXS_CHORES_KEEP (35 * 24 * 3600)

/* ---- Pre-meeting alerts -------------------------------------------- */

/* Reminder states.  pending: waiting for due_at; sending: claimed by a
 * node that is rendering and queueing it; sent: handed to the durable
 * queue; skipped: never to be sent (done_reason says why, e.g. "started");
 * cancelled: the appointment was cancelled. */
#define NXS_REMINDER_PENDING   "pending"
#define NXS_REMINDER_SENDING   "sending"
#define NXS_REMINDER_SENT      "sent"
#define NXS_REMINDER_SKIPPED   "skipped"
#define NXS_REMINDER_CANCELLED "cancelled"

typedef enum {
    NXS_CHANGE_BOOKED,      /* appointment.booked */
    NXS_CHANGE_RESCHEDULED, /* appointment.rescheduled */
    NXS_CHANGE_CANCELLED    /* appointment.cancelled */
} nxs_reminder_change_e;

/* What a booking event does to its appointment's alert. */
typedef struct nxs_reminder_change_t {
    nxs_reminder_change_e kind;
    const char *account_id;
    const char *record_id; /* the appointment's record.id */
    const char *event_id;
    apr_int64_t occurred_at;   /* orders the events of one appointment */
    apr_int64_t starts_at;     /* booked, rescheduled: the (new) start */
    apr_int64_t due_at;        /* booked, rescheduled: when to send */
    const char *envelope_json; /* booked, rescheduled: the event as accepted */
} nxs_reminder_change_t;

typedef enum {
    NXS_REMINDER_APPLIED = 0, /* the alert was created, moved or cancelled */
    NXS_REMINDER_DUPLICATE,   /* this event id was applied before: nothing */
    NXS_REMINDER_STALE,       /* a newer event of the appointment won: nothing */
    NXS_REMINDER_UNCHANGED    /* nothing to change (same start, or cancelled) */
} nxs_reminder_outcome_e;

typedef struct nxs_reminder_t {
    const char *account_id;
    const char *record_id;
    apr_int64_t starts_at;
    apr_int64_t due_at;
    const char *state;
    const char *envelope_json; /* the booking event the alert is made from */
    const char *event_id;      /* the last event that changed the alert */
    apr_int64_t event_at;
    apr_int64_t rev; /* bumped by every write; a claim holds the rev it made */
    const char *claimed_by;
    apr_int64_t claimed_at;
    apr_int64_t done_at;
    const char *done_reason;
} nxs_reminder_t;

/* Applies C in one transaction, once per event id:
 *  - booked: creates a pending alert, or re-arms it when the start moved
 *    or the appointment had been cancelled (the same start again after the
 *    alert was sent changes nothing: it is not sent twice);
 *  - rescheduled: moves a pending, sent or skipped alert to the new start
 *    and makes it pending again (a meeting moved after its alert gets a
 *    new alert for the new time); nothing for a cancelled appointment;
 *    an unknown appointment gets an alert made from this event;
 *  - cancelled: cancels the alert (or records the cancellation, so that an
 *    older booked event arriving late does not bring it back).
 * An event that occurred before the last one applied to the appointment
 * is recorded as seen and changes nothing (STALE).  APR_EAGAIN when
 * another writer kept changing the same appointment. */
apr_status_t nxs_store_reminder_apply(nxs_reminder_outcome_e *out, nxs_db_t *db,
                                      const nxs_reminder_change_t *c, apr_int64_t now,
                                      apr_pool_t *p);

/* The same inside the caller's transaction (several events in one
 * commit).  APR_EAGAIN when another writer changed the alert since it was
 * read: the caller rolls the transaction back and tries again. */
apr_status_t nxs_store_reminder_apply_in(nxs_reminder_outcome_e *out, nxs_db_t *db,
                                         const nxs_reminder_change_t *c, apr_int64_t now,
                                         apr_pool_t *p);

/* The alert of one appointment; *out NULL when there is none. */
apr_status_t nxs_store_reminder_get(nxs_reminder_t **out, nxs_db_t *db, const char *account,
                                    const char *record, apr_pool_t *p);

/* Claims up to LIMIT alerts that are due at NOW (pending with due_at <=
 * NOW, or sending under a claim older than LEASE), earliest first, for
 * NODE.  *claimed gets the alerts won (nxs_reminder_t *, state "sending",
 * rev = the claim's); an alert whose meeting has started (starts_at <=
 * NOW) is not claimed but marked skipped with reason "started" and
 * counted in *skipped.  Alerts another claimer took first are left out.
 * When an error stops the run, *claimed still holds the alerts won before
 * it: the caller sends them (or they wait for the lease). */
apr_status_t nxs_store_reminders_claim_due(apr_array_header_t **claimed, int *skipped, nxs_db_t *db,
                                           const char *node, apr_int64_t now, apr_int64_t lease,
                                           int limit, apr_pool_t *p);

/* Ends the claim R (as returned by the claim): STATE is NXS_REMINDER_SENT
 * or NXS_REMINDER_SKIPPED, REASON may be NULL.  *done is 0 when the alert
 * changed since the claim (rescheduled, cancelled or taken over): the new
 * state stands. */
apr_status_t nxs_store_reminder_finish(int *done, nxs_db_t *db, const nxs_reminder_t *r,
                                       const char *state, const char *reason, apr_int64_t now,
                                       apr_pool_t *p);

/* The earliest due_at of a pending alert, or 0 when none is pending. */
apr_status_t nxs_store_reminder_next_due(apr_int64_t *due_at, nxs_db_t *db, apr_pool_t *p);

/* ---- Daily recap ---------------------------------------------------- */

/* Recap claim states and the reasons of a skipped recap. */
#define NXS_RECAP_CLAIMED            "claimed"
#define NXS_RECAP_SENT               "sent"
#define NXS_RECAP_SKIPPED            "skipped"
#define NXS_RECAP_REASON_NO_CHANNEL  "no_channel"
#define NXS_RECAP_REASON_NO_ACTIVITY "no_activity"

typedef enum {
    NXS_RECAP_COUNTED = 0, /* the event counts for its day */
    NXS_RECAP_LATE,        /* recorded, but its day's recap is already claimed */
    NXS_RECAP_DUPLICATE,   /* this event id was counted before: nothing */
    NXS_RECAP_NOT_COUNTED  /* the type is not in the recap */
} nxs_recap_count_e;

/* What one accepted event adds to the recap of its local day DAY
 * ("2026-11-27"). */
typedef struct nxs_recap_event_t {
    const char *account_id;
    const char *event_id;
    const char *type;     /* "invoice.paid"... */
    const char *day;      /* local day of occurred_at in the account's zone */
    const char *amount;   /* decimal string or NULL */
    const char *currency; /* ISO 4217 or NULL */
    apr_int64_t occurred_at;
} nxs_recap_event_t;

/* The recap metric an event type counts in ("paid", "renewal", "refund",
 * "failed", "lead", "quote_sent", "quote_accepted", "booked"), or NULL. */
const char *nxs_store_recap_metric(const char *type);

/* Counts E once per (account, event id).  Money (invoice.paid,
 * subscription.renewed, refund.issued) is kept when E has a valid decimal
 * amount and a currency; a refund counts as a positive amount whatever
 * its sign. */
apr_status_t nxs_store_recap_count(nxs_recap_count_e *out, nxs_db_t *db, const nxs_recap_event_t *e,
                                   apr_int64_t now, apr_pool_t *p);

/* The numbers of ACCOUNT's local day DAY, in the renderer's struct:
 * revenue per currency (currencies in alphabetical order, sums exact),
 * payments = invoices paid + subscriptions renewed.  *events is the number
 * of events counted that day (0: no activity). */
apr_status_t nxs_store_recap_metrics(nxs_recap_t **out, int *events, nxs_db_t *db,
                                     const char *account, const char *day, apr_pool_t *p);

/* Claims the recap of (ACCOUNT, DAY) for NODE: *won is 1 for exactly one
 * caller, or for a caller taking over a claim older than LEASE that was
 * never finished. */
apr_status_t nxs_store_recap_claim(int *won, nxs_db_t *db, const char *account, const char *day,
                                   const char *node, apr_int64_t now, apr_int64_t lease,
                                   apr_pool_t *p);

/* Ends NODE's claim: STATE NXS_RECAP_SENT or NXS_RECAP_SKIPPED with a
 * REASON.  *done is 0 when NODE no longer holds the claim. */
apr_status_t nxs_store_recap_finish(int *done, nxs_db_t *db, const char *account, const char *day,
                                    const char *node, const char *state, const char *reason,
                                    apr_int64_t now, apr_pool_t *p);

/* The claim row of (ACCOUNT, DAY): *state NULL when nobody claimed it. */
apr_status_t nxs_store_recap_state(const char **state, const char **reason, nxs_db_t *db,
                                   const char *account, const char *day, apr_pool_t *p);

/* The accounts that have an active Slack workspace (nxs_account_t *), the
 * ones a recap may be sent to, by id. */
apr_status_t nxs_store_recap_accounts(apr_array_header_t **out, nxs_db_t *db, apr_pool_t *p);

/* ---- Other chores --------------------------------------------------- */

/* Claims run SLOT of CHORE ("purge" + "2026-12-07T21", "token_refresh" +
 * "acc_42/T01/1796558400"...) for NODE, as nxs_store_recap_claim; a run
 * that finished "failed" is claimed again once LEASE has passed since its
 * claim (so a refresh that met a transient error is retried), one that
 * finished "done" never. */
apr_status_t nxs_store_chore_claim(int *won, nxs_db_t *db, const char *chore, const char *slot,
                                   const char *node, apr_int64_t now, apr_int64_t lease,
                                   apr_pool_t *p);

/* Ends NODE's claim with STATE ("done", "failed"...) and REASON. */
apr_status_t nxs_store_chore_finish(int *done, nxs_db_t *db, const char *chore, const char *slot,
                                    const char *node, const char *state, const char *reason,
                                    apr_int64_t now, apr_pool_t *p);

/* The workspaces with token rotation whose token expires at or before
 * BEFORE (nxs_workspace_t *, soonest first): the token-refresh chore
 * (docs/CONTRACT.md "Slack app and tokens": refresh when 2 h or less remain).  Installs without
 * rotation (no refresh token) never appear. */
apr_status_t nxs_store_tokens_expiring(apr_array_header_t **out, nxs_db_t *db, apr_int64_t before,
                                       apr_pool_t *p);

/* ---- Status and purge ----------------------------------------------- */

typedef struct nxs_chore_count_t {
    const char *chore;
    const char *state;
    int runs;
} nxs_chore_count_t;

typedef struct nxs_chores_status_t {
    int reminders_pending;
    apr_int64_t next_reminder_at; /* earliest pending due_at, 0 if none */
    int reminders_sent;           /* finished since SINCE */
    int reminders_skipped;
    int recaps_sent; /* finished since SINCE */
    int recaps_skipped;
    apr_array_header_t *chores; /* nxs_chore_count_t, claimed since SINCE */
} nxs_chores_status_t;

/* Counts for the status endpoint (docs/CONTRACT.md "Observability"). */
apr_status_t nxs_store_chores_status(nxs_chores_status_t *st, nxs_db_t *db, apr_int64_t since,
                                     apr_pool_t *p);

/* Deletes the scheduled-work rows older than NXS_CHORES_KEEP: alerts of
 * meetings that started before, applied event ids, recap events and
 * claims.  *deleted counts the rows. */
apr_status_t nxs_store_chores_purge(int *deleted, nxs_db_t *db, apr_int64_t now, apr_pool_t *p);

#endif
