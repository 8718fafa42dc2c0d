/* Scheduled work in SQL: pre-meeting alerts, the daily recap's counters
 * and claims, chore claims (see nxs_store_chores.h).  The SQL follows
 * nxs_store.c's rules: written once for SQLite and PostgreSQL, %s binds
 * text, %lld a bigint, %d an int; once-only work is decided by a row that
 * only one INSERT ... ON CONFLICT DO NOTHING or one conditional UPDATE
 * can change, never by a read followed by a write. */
#include "store/nxs_store_chores.h"
#include "store/nxs_store_int.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_decimal.h"

#define REMINDER_COLS                                                                              \
    "account_id, record_id, starts_at, due_at, state, envelope_json, event_id, event_at, rev, "    \
    "claimed_by, claimed_at, done_at, done_reason"
#define REMINDER_NCOLS 13

/* Tries of a reminder change that met a concurrent writer (PostgreSQL,
 * several nodes; on SQLite, BEGIN IMMEDIATE serialises writers). */
#define APPLY_ATTEMPTS 3

const nxs_db_statement_t nxs_db_chores_statements[] = {
    {"nxs_rem_event_add", "INSERT INTO nxs_reminder_events (account_id, event_id, applied_at) "
                          "VALUES (%s, %s, %lld) ON CONFLICT (account_id, event_id) DO NOTHING"},
    {"nxs_rem_get",
     "SELECT " REMINDER_COLS " FROM nxs_reminders WHERE account_id = %s AND record_id = %s"},
    {"nxs_rem_insert",
     "INSERT INTO nxs_reminders (account_id, record_id, starts_at, due_at, state, envelope_json, "
     "event_id, event_at, rev, updated_at) VALUES (%s, %s, %lld, %lld, %s, %s, %s, %lld, 1, %lld) "
     "ON CONFLICT (account_id, record_id) DO NOTHING"},
    /* Every write below is conditional on the rev that was read: a write
     * based on a stale read changes nothing and the caller learns it. */
    {"nxs_rem_rearm",
     "UPDATE nxs_reminders SET starts_at = %lld, due_at = %lld, state = 'pending', "
     "envelope_json = %s, event_id = %s, event_at = %lld, rev = rev + 1, claimed_by = NULL, "
     "claimed_at = NULL, done_at = NULL, done_reason = NULL, updated_at = %lld "
     "WHERE account_id = %s AND record_id = %s AND rev = %lld"},
    {"nxs_rem_cancel", "UPDATE nxs_reminders SET state = 'cancelled', event_id = %s, "
                       "event_at = %lld, rev = rev + 1, updated_at = %lld "
                       "WHERE account_id = %s AND record_id = %s AND rev = %lld"},
    {"nxs_rem_seen", "UPDATE nxs_reminders SET event_id = %s, event_at = %lld, rev = rev + 1, "
                     "updated_at = %lld WHERE account_id = %s AND record_id = %s AND rev = %lld"},
    {"nxs_rem_due",
     "SELECT account_id, record_id, rev, starts_at FROM nxs_reminders WHERE "
     "(state = 'pending' AND due_at <= %lld) OR (state = 'sending' AND claimed_at < %lld) "
     "ORDER BY due_at, account_id, record_id LIMIT %d"},
    {"nxs_rem_claim", "UPDATE nxs_reminders SET state = 'sending', claimed_by = %s, "
                      "claimed_at = %lld, rev = rev + 1, updated_at = %lld "
                      "WHERE account_id = %s AND record_id = %s AND rev = %lld"},
    {"nxs_rem_finish", "UPDATE nxs_reminders SET state = %s, done_reason = %s, done_at = %lld, "
                       "rev = rev + 1, updated_at = %lld "
                       "WHERE account_id = %s AND record_id = %s AND rev = %lld"},
    {"nxs_rem_next", "SELECT MIN(due_at) FROM nxs_reminders WHERE state = 'pending'"},
    {"nxs_recap_event_add",
     "INSERT INTO nxs_recap_events (account_id, event_id, day, metric, currency, amount, "
     "occurred_at, accepted_at) VALUES (%s, %s, %s, %s, %s, %s, %lld, %lld) "
     "ON CONFLICT (account_id, event_id) DO NOTHING"},
    {"nxs_recap_counts", "SELECT metric, COUNT(*) FROM nxs_recap_events "
                         "WHERE account_id = %s AND day = %s GROUP BY metric"},
    {"nxs_recap_amounts", "SELECT currency, metric, amount FROM nxs_recap_events "
                          "WHERE account_id = %s AND day = %s AND amount IS NOT NULL "
                          "ORDER BY currency"},
    {"nxs_recap_claim", "INSERT INTO nxs_recaps (account_id, day, state, claimed_by, claimed_at) "
                        "VALUES (%s, %s, 'claimed', %s, %lld) "
                        "ON CONFLICT (account_id, day) DO NOTHING"},
    {"nxs_recap_takeover", "UPDATE nxs_recaps SET claimed_by = %s, claimed_at = %lld "
                           "WHERE account_id = %s AND day = %s AND state = 'claimed' "
                           "AND claimed_at < %lld"},
    {"nxs_recap_finish", "UPDATE nxs_recaps SET state = %s, reason = %s, done_at = %lld "
                         "WHERE account_id = %s AND day = %s AND state = 'claimed' "
                         "AND claimed_by = %s"},
    {"nxs_recap_get", "SELECT state, reason FROM nxs_recaps WHERE account_id = %s AND day = %s"},
    {"nxs_recap_accounts",
     "SELECT " NXS_ACCOUNT_COLS " FROM nxs_accounts a "
     "WHERE EXISTS (SELECT 1 FROM nxs_workspaces w WHERE w.account_id = a.account_id "
     "AND w.active = 1) ORDER BY account_id"},
    {"nxs_chore_claim",
     "INSERT INTO nxs_chore_runs (chore, slot, state, claimed_by, claimed_at) "
     "VALUES (%s, %s, 'claimed', %s, %lld) ON CONFLICT (chore, slot) DO NOTHING"},
    /* A claim abandoned (still 'claimed') or failed ('failed': e.g. a
     * token refresh that Slack answered with an error) is taken over once
     * its lease has run out; 'done' is final. */
    {"nxs_chore_takeover", "UPDATE nxs_chore_runs SET claimed_by = %s, claimed_at = %lld, "
                           "state = 'claimed', reason = NULL, done_at = NULL "
                           "WHERE chore = %s AND slot = %s AND state IN ('claimed', 'failed') "
                           "AND claimed_at < %lld"},
    {"nxs_chore_finish", "UPDATE nxs_chore_runs SET state = %s, reason = %s, done_at = %lld "
                         "WHERE chore = %s AND slot = %s AND state = 'claimed' "
                         "AND claimed_by = %s"},
    {"nxs_tokens_expiring",
     "SELECT " NXS_WORKSPACE_COLS " FROM nxs_workspaces "
     "WHERE refresh_sealed IS NOT NULL AND token_expires_at > 0 AND token_expires_at <= %lld "
     "ORDER BY token_expires_at, account_id, team_id"},
    {"nxs_st_rem_pending", "SELECT COUNT(*) FROM nxs_reminders WHERE state = 'pending'"},
    {"nxs_st_rem_done", "SELECT state, COUNT(*) FROM nxs_reminders WHERE done_at >= %lld "
                        "GROUP BY state"},
    {"nxs_st_recaps", "SELECT state, COUNT(*) FROM nxs_recaps WHERE done_at >= %lld "
                      "GROUP BY state"},
    {"nxs_st_chores", "SELECT chore, state, COUNT(*) FROM nxs_chore_runs WHERE claimed_at >= %lld "
                      "GROUP BY chore, state ORDER BY chore, state"},
    {"nxs_purge_reminders", "DELETE FROM nxs_reminders WHERE starts_at < %lld"},
    {"nxs_purge_reminder_events", "DELETE FROM nxs_reminder_events WHERE applied_at < %lld"},
    {"nxs_purge_recap_events", "DELETE FROM nxs_recap_events WHERE accepted_at < %lld"},
    {"nxs_purge_recaps", "DELETE FROM nxs_recaps WHERE claimed_at < %lld"},
    {"nxs_purge_chore_runs", "DELETE FROM nxs_chore_runs WHERE claimed_at < %lld"},
    {NULL, NULL},
};

/* ---- Pre-meeting alerts -------------------------------------------- */

static nxs_reminder_t *reminder_from_row(const char **r, apr_pool_t *p)
{
    nxs_reminder_t *m = apr_pcalloc(p, sizeof(*m));

    m->account_id = r[0];
    m->record_id = r[1];
    m->starts_at = nxs_store_to_i64(r[2]);
    m->due_at = nxs_store_to_i64(r[3]);
    m->state = r[4];
    m->envelope_json = r[5];
    m->event_id = r[6];
    m->event_at = nxs_store_to_i64(r[7]);
    m->rev = nxs_store_to_i64(r[8]);
    m->claimed_by = r[9];
    m->claimed_at = nxs_store_to_i64(r[10]);
    m->done_at = nxs_store_to_i64(r[11]);
    m->done_reason = r[12];
    return m;
}

apr_status_t nxs_store_reminder_get(nxs_reminder_t **out, nxs_db_t *db, const char *account,
                                    const char *record, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_rem_get", REMINDER_NCOLS, p, account, record);

    *out = NULL;
    if (rv == APR_SUCCESS && rows->nelts) {
        *out = reminder_from_row(APR_ARRAY_IDX(rows, 0, const char **), p);
    }
    return rv;
}

/* A new alert, or the record of a cancellation that came first. */
static apr_status_t reminder_insert(int *n, nxs_db_t *db, const nxs_reminder_change_t *c,
                                    apr_int64_t now, apr_pool_t *p)
{
    int cancel = c->kind == NXS_CHANGE_CANCELLED;

    return EXEC(db, n, "nxs_rem_insert", p, c->account_id, c->record_id,
                nxs_store_i64(cancel ? 0 : c->starts_at, p),
                nxs_store_i64(cancel ? 0 : c->due_at, p),
                cancel ? NXS_REMINDER_CANCELLED : NXS_REMINDER_PENDING,
                cancel || !c->envelope_json ? "{}" : c->envelope_json, c->event_id,
                nxs_store_i64(c->occurred_at, p), nxs_store_i64(now, p));
}

/* The write C makes to the existing alert M: *n gets the rows changed (0
 * when M changed since it was read); *out UNCHANGED when nothing is to
 * be written. */
static apr_status_t reminder_change(int *n, nxs_reminder_outcome_e *out, nxs_db_t *db,
                                    const nxs_reminder_t *m, const nxs_reminder_change_t *c,
                                    apr_int64_t now, apr_pool_t *p)
{
    int cancelled = strcmp(m->state, NXS_REMINDER_CANCELLED) == 0;
    const char *rev = nxs_store_i64(m->rev, p), *at = nxs_store_i64(c->occurred_at, p),
               *upd = nxs_store_i64(now, p);
    const char *envelope;

    *out = NXS_REMINDER_APPLIED;
    if (c->kind == NXS_CHANGE_CANCELLED) {
        if (cancelled) {
            *out = NXS_REMINDER_UNCHANGED;
            return EXEC(db, n, "nxs_rem_seen", p, c->event_id, at, upd, m->account_id, m->record_id,
                        rev);
        }
        return EXEC(db, n, "nxs_rem_cancel", p, c->event_id, at, upd, m->account_id, m->record_id,
                    rev);
    }
    /* Booked again at the same start, or moved to where it already is:
     * the alert stays as it is (a sent one is not sent twice).  A cancelled
     * appointment comes back only with a new appointment.booked. */
    if ((!cancelled && m->starts_at == c->starts_at) ||
        (cancelled && c->kind == NXS_CHANGE_RESCHEDULED)) {
        *out = NXS_REMINDER_UNCHANGED;
        return EXEC(db, n, "nxs_rem_seen", p, c->event_id, at, upd, m->account_id, m->record_id,
                    rev);
    }
    /* A reschedule keeps the booking's envelope (title, attendee). */
    envelope =
        c->kind == NXS_CHANGE_BOOKED && c->envelope_json ? c->envelope_json : m->envelope_json;
    return EXEC(db, n, "nxs_rem_rearm", p, nxs_store_i64(c->starts_at, p),
                nxs_store_i64(c->due_at, p), envelope, c->event_id, at, upd, m->account_id,
                m->record_id, rev);
}

apr_status_t nxs_store_reminder_apply_in(nxs_reminder_outcome_e *out, nxs_db_t *db,
                                         const nxs_reminder_change_t *c, apr_int64_t now,
                                         apr_pool_t *p)
{
    nxs_reminder_t *m = NULL;
    apr_status_t rv;
    int n = 0;

    if ((rv = EXEC(db, &n, "nxs_rem_event_add", p, c->account_id, c->event_id,
                   nxs_store_i64(now, p)))) {
        return rv;
    }
    if (n == 0) {
        *out = NXS_REMINDER_DUPLICATE;
        return APR_SUCCESS;
    }
    if ((rv = nxs_store_reminder_get(&m, db, c->account_id, c->record_id, p))) {
        return rv;
    }
    if (!m) {
        *out = NXS_REMINDER_APPLIED;
        rv = reminder_insert(&n, db, c, now, p);
    } else if (c->occurred_at < m->event_at) {
        *out = NXS_REMINDER_STALE;
        return APR_SUCCESS;
    } else {
        rv = reminder_change(&n, out, db, m, c, now, p);
    }
    /* No row changed: another writer changed the alert since we read it. */
    return rv == APR_SUCCESS && n == 0 ? APR_EAGAIN : rv;
}

/* One try of nxs_store_reminder_apply in a transaction of its own. */
static apr_status_t reminder_apply_once(nxs_reminder_outcome_e *out, nxs_db_t *db,
                                        const nxs_reminder_change_t *c, apr_int64_t now,
                                        apr_pool_t *p)
{
    apr_status_t rv;

    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = nxs_store_reminder_apply_in(out, db, c, now, p)) != APR_SUCCESS) {
        nxs_db_rollback(db, p);
        return rv;
    }
    return nxs_db_commit(db, p);
}

apr_status_t nxs_store_reminder_apply(nxs_reminder_outcome_e *out, nxs_db_t *db,
                                      const nxs_reminder_change_t *c, apr_int64_t now,
                                      apr_pool_t *p)
{
    apr_status_t rv = APR_EAGAIN;
    int attempt;

    for (attempt = 0; attempt < APPLY_ATTEMPTS && rv == APR_EAGAIN; ++attempt) {
        rv = reminder_apply_once(out, db, c, now, p);
    }
    return rv;
}

apr_status_t nxs_store_reminders_claim_due(apr_array_header_t **claimed, int *skipped, nxs_db_t *db,
                                           const char *node, apr_int64_t now, apr_int64_t lease,
                                           int limit, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    int i, n;

    *claimed = apr_array_make(p, 4, sizeof(nxs_reminder_t *));
    *skipped = 0;
    rv = SELECT(&rows, db, "nxs_rem_due", 4, p, nxs_store_i64(now, p),
                nxs_store_i64(now - lease, p), apr_itoa(p, limit));
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        nxs_reminder_t *m = NULL;

        n = 0;
        if (nxs_store_to_i64(r[3]) <= now) {
            /* Never after the start (docs/CONTRACT.md "Scheduled work"): a node that was down at
             * due_at sends late only while the meeting has not begun. */
            rv = EXEC(db, &n, "nxs_rem_finish", p, NXS_REMINDER_SKIPPED, "started",
                      nxs_store_i64(now, p), nxs_store_i64(now, p), r[0], r[1], r[2]);
            *skipped += n;
            continue;
        }
        rv = EXEC(db, &n, "nxs_rem_claim", p, node, nxs_store_i64(now, p), nxs_store_i64(now, p),
                  r[0], r[1], r[2]);
        if (rv == APR_SUCCESS && n == 1 &&
            (rv = nxs_store_reminder_get(&m, db, r[0], r[1], p)) == APR_SUCCESS && m) {
            APR_ARRAY_PUSH(*claimed, nxs_reminder_t *) = m;
        }
    }
    return rv;
}

apr_status_t nxs_store_reminder_finish(int *done, nxs_db_t *db, const nxs_reminder_t *r,
                                       const char *state, const char *reason, apr_int64_t now,
                                       apr_pool_t *p)
{
    *done = 0;
    return EXEC(db, done, "nxs_rem_finish", p, state, reason, nxs_store_i64(now, p),
                nxs_store_i64(now, p), r->account_id, r->record_id, nxs_store_i64(r->rev, p));
}

apr_status_t nxs_store_reminder_next_due(apr_int64_t *due_at, nxs_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT0(&rows, db, "nxs_rem_next", 1, p);

    *due_at = 0;
    if (rv == APR_SUCCESS && rows->nelts) {
        *due_at = nxs_store_to_i64(APR_ARRAY_IDX(rows, 0, const char **)[0]);
    }
    return rv;
}

/* ---- Daily recap ---------------------------------------------------- */

static const struct {
    const char *type;
    const char *metric;
    int money;
} recap_metrics[] = {
    {"invoice.paid", "paid", 1},
    {"subscription.renewed", "renewal", 1},
    {"refund.issued", "refund", 1},
    {"payment.failed", "failed", 0},
    {"lead.received", "lead", 0},
    {"quote.sent", "quote_sent", 0},
    {"quote.accepted", "quote_accepted", 0},
    {"appointment.booked", "booked", 0},
};
#define RECAP_METRICS ((int)(sizeof(recap_metrics) / sizeof(recap_metrics[0])))

static int recap_metric_index(const char *type)
{
    for (int i = 0; type && i < RECAP_METRICS; ++i) {
        if (strcmp(recap_metrics[i].type, type) == 0) {
            return i;
        }
    }
    return -1;
}

const char *nxs_store_recap_metric(const char *type)
{
    int i = recap_metric_index(type);
    return i < 0 ? NULL : recap_metrics[i].metric;
}

apr_status_t nxs_store_recap_count(nxs_recap_count_e *out, nxs_db_t *db, const nxs_recap_event_t *e,
                                   apr_int64_t now, apr_pool_t *p)
{
    int i = recap_metric_index(e->type), n = 0;
    const char *amount = NULL, *currency = NULL, *state = NULL, *reason = NULL;
    apr_status_t rv;

    *out = NXS_RECAP_NOT_COUNTED;
    if (i < 0) {
        return APR_SUCCESS;
    }
    if (recap_metrics[i].money && nxs_decimal_valid(e->amount) && e->currency) {
        /* A refund is reported as a positive amount, whatever its sign. */
        int refund = strcmp(recap_metrics[i].metric, "refund") == 0;
        amount = refund && e->amount[0] == '-' ? e->amount + 1 : e->amount;
        currency = e->currency;
    }
    if ((rv = EXEC(db, &n, "nxs_recap_event_add", p, e->account_id, e->event_id, e->day,
                   recap_metrics[i].metric, currency, amount, nxs_store_i64(e->occurred_at, p),
                   nxs_store_i64(now, p))) != APR_SUCCESS) {
        return rv;
    }
    if (n == 0) {
        *out = NXS_RECAP_DUPLICATE;
        return APR_SUCCESS;
    }
    rv = nxs_store_recap_state(&state, &reason, db, e->account_id, e->day, p);
    *out = state ? NXS_RECAP_LATE : NXS_RECAP_COUNTED;
    return rv;
}

/* The money of one currency, found or appended. */
static nxs_recap_money_t *money_of(apr_array_header_t *money, const char *currency)
{
    nxs_recap_money_t *m;

    if (money->nelts) {
        m = &APR_ARRAY_IDX(money, money->nelts - 1, nxs_recap_money_t);
        if (strcmp(m->currency, currency) == 0) {
            return m; /* rows come ordered by currency */
        }
    }
    m = apr_array_push(money);
    memset(m, 0, sizeof(*m));
    m->currency = currency;
    return m;
}

static apr_status_t recap_money(nxs_recap_t *recap, nxs_db_t *db, const char *account,
                                const char *day, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL, *money = apr_array_make(p, 2, sizeof(nxs_recap_money_t));
    apr_status_t rv = SELECT(&rows, db, "nxs_recap_amounts", 3, p, account, day);
    int i;

    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        nxs_recap_money_t *m;
        const char **sum;

        if (!r[0] || !r[2]) {
            continue;
        }
        m = money_of(money, r[0]);
        sum = strcmp(r[1], "paid") == 0      ? &m->paid
              : strcmp(r[1], "renewal") == 0 ? &m->renewals
                                             : &m->refunds;
        rv = nxs_decimal_add(sum, *sum, 1, r[2], p);
    }
    recap->money = (const nxs_recap_money_t *)money->elts;
    recap->money_count = money->nelts;
    return rv;
}

apr_status_t nxs_store_recap_metrics(nxs_recap_t **out, int *events, nxs_db_t *db,
                                     const char *account, const char *day, apr_pool_t *p)
{
    nxs_recap_t *recap = apr_pcalloc(p, sizeof(*recap));
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_recap_counts", 2, p, account, day);
    int i;

    *out = NULL;
    *events = 0;
    recap->day = apr_pstrdup(p, day);
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        const char *metric = r[0] ? r[0] : "";
        int n = (int)nxs_store_to_i64(r[1]);

        *events += n;
        if (strcmp(metric, "paid") == 0 || strcmp(metric, "renewal") == 0) {
            recap->payments += n;
        } else if (strcmp(metric, "failed") == 0) {
            recap->failed_payments += n;
        } else if (strcmp(metric, "lead") == 0) {
            recap->new_leads += n;
        } else if (strcmp(metric, "quote_sent") == 0) {
            recap->quotes_sent += n;
        } else if (strcmp(metric, "quote_accepted") == 0) {
            recap->quotes_accepted += n;
        } else if (strcmp(metric, "booked") == 0) {
            recap->appointments_booked += n;
        }
    }
    if (rv == APR_SUCCESS && (rv = recap_money(recap, db, account, day, p)) == APR_SUCCESS) {
        *out = recap;
    }
    return rv;
}

/* An INSERT that one caller wins, or the takeover of an abandoned claim. */
static apr_status_t claim(int *won, nxs_db_t *db, const char *insert, const char *takeover,
                          const char *k1, const char *k2, const char *node, apr_int64_t now,
                          apr_int64_t lease, apr_pool_t *p)
{
    apr_status_t rv;

    *won = 0;
    if ((rv = EXEC(db, won, insert, p, k1, k2, node, nxs_store_i64(now, p))) != APR_SUCCESS ||
        *won) {
        return rv;
    }
    return EXEC(db, won, takeover, p, node, nxs_store_i64(now, p), k1, k2,
                nxs_store_i64(now - lease, p));
}

apr_status_t nxs_store_recap_claim(int *won, nxs_db_t *db, const char *account, const char *day,
                                   const char *node, apr_int64_t now, apr_int64_t lease,
                                   apr_pool_t *p)
{
    return claim(won, db, "nxs_recap_claim", "nxs_recap_takeover", account, day, node, now, lease,
                 p);
}

apr_status_t nxs_store_recap_finish(int *done, nxs_db_t *db, const char *account, const char *day,
                                    const char *node, const char *state, const char *reason,
                                    apr_int64_t now, apr_pool_t *p)
{
    *done = 0;
    return EXEC(db, done, "nxs_recap_finish", p, state, reason, nxs_store_i64(now, p), account, day,
                node);
}

apr_status_t nxs_store_recap_state(const char **state, const char **reason, nxs_db_t *db,
                                   const char *account, const char *day, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_recap_get", 2, p, account, day);

    *state = *reason = NULL;
    if (rv == APR_SUCCESS && rows->nelts) {
        *state = APR_ARRAY_IDX(rows, 0, const char **)[0];
        *reason = APR_ARRAY_IDX(rows, 0, const char **)[1];
    }
    return rv;
}

apr_status_t nxs_store_recap_accounts(apr_array_header_t **out, nxs_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT0(&rows, db, "nxs_recap_accounts", NXS_ACCOUNT_NCOLS, p);
    int i;

    *out = apr_array_make(p, 4, sizeof(nxs_account_t *));
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        APR_ARRAY_PUSH(*out, nxs_account_t *) =
            nxs_store_account_from_row(APR_ARRAY_IDX(rows, i, const char **), p);
    }
    return rv;
}

/* ---- Other chores --------------------------------------------------- */

apr_status_t nxs_store_chore_claim(int *won, nxs_db_t *db, const char *chore, const char *slot,
                                   const char *node, apr_int64_t now, apr_int64_t lease,
                                   apr_pool_t *p)
{
    return claim(won, db, "nxs_chore_claim", "nxs_chore_takeover", chore, slot, node, now, lease,
                 p);
}

apr_status_t nxs_store_chore_finish(int *done, nxs_db_t *db, const char *chore, const char *slot,
                                    const char *node, const char *state, const char *reason,
                                    apr_int64_t now, apr_pool_t *p)
{
    *done = 0;
    return EXEC(db, done, "nxs_chore_finish", p, state, reason, nxs_store_i64(now, p), chore, slot,
                node);
}

apr_status_t nxs_store_tokens_expiring(apr_array_header_t **out, nxs_db_t *db, apr_int64_t before,
                                       apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv =
        SELECT(&rows, db, "nxs_tokens_expiring", NXS_WORKSPACE_NCOLS, p, nxs_store_i64(before, p));
    int i;

    *out = apr_array_make(p, 4, sizeof(nxs_workspace_t *));
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        APR_ARRAY_PUSH(*out, nxs_workspace_t *) =
            nxs_store_workspace_from_row(APR_ARRAY_IDX(rows, i, const char **), p);
    }
    return rv;
}

/* ---- Status and purge ----------------------------------------------- */

/* Rows of (state, count): the count of STATE, or 0. */
static int count_of(const apr_array_header_t *rows, const char *state)
{
    for (int i = 0; i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        if (r[0] && strcmp(r[0], state) == 0) {
            return (int)nxs_store_to_i64(r[1]);
        }
    }
    return 0;
}

apr_status_t nxs_store_chores_status(nxs_chores_status_t *st, nxs_db_t *db, apr_int64_t since,
                                     apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    int i;

    memset(st, 0, sizeof(*st));
    st->chores = apr_array_make(p, 4, sizeof(nxs_chore_count_t));
    if ((rv = SELECT0(&rows, db, "nxs_st_rem_pending", 1, p)) != APR_SUCCESS) {
        return rv;
    }
    st->reminders_pending =
        rows->nelts ? (int)nxs_store_to_i64(APR_ARRAY_IDX(rows, 0, const char **)[0]) : 0;
    if ((rv = nxs_store_reminder_next_due(&st->next_reminder_at, db, p)) != APR_SUCCESS ||
        (rv = SELECT(&rows, db, "nxs_st_rem_done", 2, p, nxs_store_i64(since, p))) != APR_SUCCESS) {
        return rv;
    }
    st->reminders_sent = count_of(rows, NXS_REMINDER_SENT);
    st->reminders_skipped = count_of(rows, NXS_REMINDER_SKIPPED);
    if ((rv = SELECT(&rows, db, "nxs_st_recaps", 2, p, nxs_store_i64(since, p))) != APR_SUCCESS) {
        return rv;
    }
    st->recaps_sent = count_of(rows, NXS_RECAP_SENT);
    st->recaps_skipped = count_of(rows, NXS_RECAP_SKIPPED);
    if ((rv = SELECT(&rows, db, "nxs_st_chores", 3, p, nxs_store_i64(since, p))) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        nxs_chore_count_t *c = apr_array_push(st->chores);

        c->chore = r[0];
        c->state = r[1];
        c->runs = (int)nxs_store_to_i64(r[2]);
    }
    return APR_SUCCESS;
}

apr_status_t nxs_store_chores_purge(int *deleted, nxs_db_t *db, apr_int64_t now, apr_pool_t *p)
{
    static const char *const labels[] = {"nxs_purge_reminders",    "nxs_purge_reminder_events",
                                         "nxs_purge_recap_events", "nxs_purge_recaps",
                                         "nxs_purge_chore_runs",   NULL};
    const char *cutoff = nxs_store_i64(now - NXS_CHORES_KEEP, p);
    apr_status_t rv = APR_SUCCESS;
    int i, n;

    *deleted = 0;
    for (i = 0; rv == APR_SUCCESS && labels[i]; ++i) {
        n = 0;
        rv = EXEC(db, &n, labels[i], p, cutoff);
        *deleted += n;
    }
    return rv;
}
