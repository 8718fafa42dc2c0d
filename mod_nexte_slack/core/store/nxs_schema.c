/* Schema migrations.  Each step is a list of DDL statements valid on both
 * SQLite (3.24+) and PostgreSQL (9.5+); types are limited to TEXT, BIGINT and
 * INTEGER so that one text serves both.  Times are unix seconds (BIGINT). */
#include "store/nxs_schema.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <stdlib.h>
#include <string.h>

/* Tries of a migration that met another process's (see nxs_schema_migrate). */
#define MIGRATE_ATTEMPTS 8

/* Any fixed number: PostgreSQL advisory locks are keyed by a bigint. */
#define NXS_PG_MIGRATION_LOCK "7265001"

static const char *const MIGRATION_1[] = {
    "CREATE TABLE nxs_accounts ("
    " account_id TEXT PRIMARY KEY,"
    " plan TEXT NOT NULL DEFAULT 'solo',"
    " timezone TEXT NOT NULL DEFAULT 'UTC',"
    " locale TEXT NOT NULL DEFAULT 'en',"
    " currency TEXT NOT NULL DEFAULT 'EUR',"
    " disconnected_at BIGINT,"
    " updated_at BIGINT NOT NULL)",
    "CREATE TABLE nxs_workspaces ("
    " account_id TEXT NOT NULL,"
    " team_id TEXT NOT NULL,"
    " team_name TEXT NOT NULL,"
    " bot_user_id TEXT NOT NULL,"
    " scopes TEXT NOT NULL,"
    " token_sealed TEXT,"
    " refresh_sealed TEXT,"
    " token_expires_at BIGINT,"
    " active INTEGER NOT NULL DEFAULT 0,"
    " needs_reconnect INTEGER NOT NULL DEFAULT 0,"
    " installed_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, team_id))",
    "CREATE TABLE nxs_categories ("
    " account_id TEXT NOT NULL,"
    " category TEXT NOT NULL,"
    " channel_id TEXT,"
    " channel_name TEXT,"
    " mention TEXT NOT NULL DEFAULT 'none',"
    " last_error TEXT,"
    " last_error_at BIGINT,"
    " PRIMARY KEY (account_id, category))",
    "CREATE TABLE nxs_filters ("
    " account_id TEXT PRIMARY KEY,"
    " filters_json TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL)",
    "CREATE TABLE nxs_oauth_states ("
    " state_hash TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL,"
    " browser_hash TEXT NOT NULL,"
    " expires_at BIGINT NOT NULL)",
    "CREATE TABLE nxs_launch_used ("
    " sig TEXT PRIMARY KEY,"
    " expires_at BIGINT NOT NULL)",
    NULL,
};

/* Posted messages, for "Mark as handled" (docs/CONTRACT.md "Interactions"): the daemon adds a row
 * when Slack accepted the message (the ts Slack gave it and the message as
 * posted, to rebuild it without its buttons); the interactions handler
 * records the first handler.  Rows go NXS_DELIVERY_KEEP after posting. */
static const char *const MIGRATION_2[] = {
    "CREATE TABLE nxs_deliveries ("
    " delivery_id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL,"
    " team_id TEXT NOT NULL,"
    " channel_id TEXT NOT NULL,"
    " message_ts TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " record_json TEXT NOT NULL,"
    " message_json TEXT NOT NULL,"
    " posted_at BIGINT NOT NULL,"
    " handled_by TEXT,"
    " handled_name TEXT,"
    " handled_at BIGINT,"
    " reported_at BIGINT)",
    "CREATE INDEX nxs_deliveries_posted ON nxs_deliveries (posted_at)",
    NULL,
};

/* Scheduled work (docs/CONTRACT.md "Scheduled work", docs/SCHEDULED.md), shared by every node:
 * - nxs_reminders: one pre-meeting alert per appointment, moved by later
 *   events (event_at orders them), claimed for sending (rev is bumped by
 *   every write, so a write based on a stale read changes nothing);
 * - nxs_reminder_events / nxs_recap_events: the event ids already applied,
 *   so a duplicate or retried event changes nothing; a recap event row
 *   also is the event's contribution to its local day (amounts are
 *   decimal strings, summed exactly in C: the two databases have no
 *   common exact numeric type through apr_dbd's text binding);
 * - nxs_recaps and nxs_chore_runs: once-only claims, one row per
 *   (account, day) and per (chore, slot). */
static const char *const MIGRATION_3[] = {
    "CREATE TABLE nxs_reminders ("
    " account_id TEXT NOT NULL,"
    " record_id TEXT NOT NULL,"
    " starts_at BIGINT NOT NULL,"
    " due_at BIGINT NOT NULL,"
    " state TEXT NOT NULL,"
    " envelope_json TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " event_at BIGINT NOT NULL,"
    " rev BIGINT NOT NULL,"
    " claimed_by TEXT,"
    " claimed_at BIGINT,"
    " done_at BIGINT,"
    " done_reason TEXT,"
    " updated_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, record_id))",
    "CREATE INDEX nxs_reminders_due ON nxs_reminders (state, due_at)",
    "CREATE TABLE nxs_reminder_events ("
    " account_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, event_id))",
    "CREATE TABLE nxs_recap_events ("
    " account_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " day TEXT NOT NULL,"
    " metric TEXT NOT NULL,"
    " currency TEXT,"
    " amount TEXT,"
    " occurred_at BIGINT NOT NULL,"
    " accepted_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, event_id))",
    "CREATE INDEX nxs_recap_events_day ON nxs_recap_events (account_id, day)",
    "CREATE TABLE nxs_recaps ("
    " account_id TEXT NOT NULL,"
    " day TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " reason TEXT,"
    " claimed_by TEXT NOT NULL,"
    " claimed_at BIGINT NOT NULL,"
    " done_at BIGINT,"
    " PRIMARY KEY (account_id, day))",
    "CREATE TABLE nxs_chore_runs ("
    " chore TEXT NOT NULL,"
    " slot TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " reason TEXT,"
    " claimed_by TEXT NOT NULL,"
    " claimed_at BIGINT NOT NULL,"
    " done_at BIGINT,"
    " PRIMARY KEY (chore, slot))",
    NULL,
};

/* Version 4 (issue #13): events held outside an Agency account's active
 * hours, until the summary of their channel is posted
 * (nxs_store_held.c).  One row per (account, event, channel); ITEM_JSON
 * is the summary item made when the event was held. */
static const char *const MIGRATION_4[] = {
    "CREATE TABLE nxs_held ("
    " account_id TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " team_id TEXT NOT NULL,"
    " channel_id TEXT NOT NULL,"
    " mention TEXT NOT NULL,"
    " item_json TEXT NOT NULL,"
    " held_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, event_id, channel_id))",
    "CREATE INDEX nxs_held_account ON nxs_held (account_id, held_at)",
    NULL,
};

/* Version 5 (issue #15): the one-time rows (OAuth states; in
 * nxs_launch_used, used launch links, Slack interaction signatures and
 * signed settings API writes) are found by the hourly purge through an
 * index on their expiry, not by reading every row of tables that grow with
 * each install, launch, click and change.  An OAuth
 * state also names the settings session that started it (a keyed hash)
 * and when, and is marked taken instead of deleted, so that the starts of
 * a session can be counted in SQL, across processes and nodes, until the
 * purge deletes them after their expiry (nxs_store_oauth_state_start). */
static const char *const MIGRATION_5[] = {
    "CREATE INDEX nxs_oauth_states_expires ON nxs_oauth_states (expires_at)",
    "CREATE INDEX nxs_launch_used_expires ON nxs_launch_used (expires_at)",
    "ALTER TABLE nxs_oauth_states ADD COLUMN session_hash TEXT",
    "ALTER TABLE nxs_oauth_states ADD COLUMN created_at BIGINT",
    "ALTER TABLE nxs_oauth_states ADD COLUMN taken_at BIGINT",
    "CREATE INDEX nxs_oauth_states_session ON nxs_oauth_states (session_hash, created_at)",
    NULL,
};

/* Version 6 (issue #15): when Nexte core last set an account's plan, time
 * zone, locale and currency (ms since the epoch: the occurred_at of the
 * account.updated applied, or the time of a signed PUT api/account), so
 * that an older account.updated arriving late does not undo a newer one. */
static const char *const MIGRATION_6[] = {
    "ALTER TABLE nxs_accounts ADD COLUMN core_at BIGINT",
    NULL,
};

static const char *const *const MIGRATIONS[] = {MIGRATION_1, MIGRATION_2, MIGRATION_3,
                                                MIGRATION_4, MIGRATION_5, MIGRATION_6};
#define TARGET_VERSION ((int)(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0])))

int nxs_schema_target_version(void)
{
    return TARGET_VERSION;
}

static apr_status_t run(const char **err, nxs_db_t *db, const char *sql, apr_pool_t *p)
{
    int n = 0, rc = apr_dbd_query(db->driver, db->handle, &n, sql);

    if (rc != 0) {
        const char *msg = apr_dbd_error(db->driver, db->handle, rc);
        *err = apr_psprintf(p, "%s: %s", sql, msg ? msg : "error");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t current_version(int *version, const char **err, nxs_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = apr_dbd_select(db->driver, p, db->handle, &res, "SELECT version FROM nxs_schema", 0);

    if (rc != 0) {
        const char *msg = apr_dbd_error(db->driver, db->handle, rc);
        *err = apr_psprintf(p, "reading nxs_schema: %s", msg ? msg : "error");
        return APR_EGENERAL;
    }
    *version = 0;
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = apr_dbd_get_entry(db->driver, row, 0);
        *version = v ? atoi(v) : 0;
    }
    return APR_SUCCESS;
}

/* Locks out other migrators until COMMIT/ROLLBACK. */
static apr_status_t begin_locked(const char **err, nxs_db_t *db, apr_pool_t *p)
{
    if (strcmp(nxs_db_dialect(db), "pgsql") == 0) {
        apr_status_t rv = run(err, db, "BEGIN", p);
        return rv ? rv : run(err, db, "SELECT pg_advisory_xact_lock(" NXS_PG_MIGRATION_LOCK ")", p);
    }
    return run(err, db, "BEGIN IMMEDIATE", p);
}

static apr_status_t apply_pending(int *version, const char **err, nxs_db_t *db, apr_pool_t *p)
{
    apr_status_t rv;
    const char *const *sql;

    if ((rv = run(err, db,
                  "CREATE TABLE IF NOT EXISTS nxs_schema (id INTEGER PRIMARY KEY, "
                  "version INTEGER NOT NULL)",
                  p)) ||
        (rv = current_version(version, err, db, p))) {
        return rv;
    }
    if (*version > TARGET_VERSION) {
        *err = apr_psprintf(p,
                            "the database schema is version %d, newer than this module "
                            "(%d); upgrade the module",
                            *version, TARGET_VERSION);
        return APR_EINVAL;
    }
    for (; *version < TARGET_VERSION; ++*version) {
        for (sql = MIGRATIONS[*version]; *sql; ++sql) {
            if ((rv = run(err, db, *sql, p))) {
                return rv;
            }
        }
    }
    /* One row, id 1: an upsert that both dialects understand. */
    return run(err, db,
               apr_psprintf(p,
                            "INSERT INTO nxs_schema (id, version) VALUES (1, %d) ON CONFLICT "
                            "(id) DO UPDATE SET version = excluded.version",
                            *version),
               p);
}

/* WAL lets readers in other processes go on while one writes; the mode is
 * stored in the file, so setting it again is harmless. */
static apr_status_t sqlite_wal(const char **err, nxs_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    /* The PRAGMA answers a row, so it is a select, read to the end. */
    if (apr_dbd_select(db->driver, p, db->handle, &res, "PRAGMA journal_mode=WAL", 0) != 0) {
        *err = "PRAGMA journal_mode=WAL failed";
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
    }
    return APR_SUCCESS;
}

apr_status_t nxs_schema_migrate(int *version, const char **err, nxs_db_t *db, apr_pool_t *p)
{
    int sqlite = strcmp(nxs_db_dialect(db), "sqlite3") == 0, attempt;
    const char *ignored = NULL;
    apr_status_t rv = APR_EGENERAL;

    *version = 0;
    /* Several processes meet a fresh SQLite file at start (the children and
     * the delivery daemon), and two things there fail at once: the change
     * to WAL while another connection
     * has the file open, and a statement prepared on a connection whose
     * schema cache is older than the file ("database schema has changed":
     * apr_dbd prepares with SQLite's legacy API, which does not re-prepare).
     * Both pass when tried again a moment later, and every step here is
     * idempotent, so the whole migration is tried again.  (Not SQLite's
     * busy_timeout: apr_dbd runs every step under one process-wide mutex,
     * so a thread sleeping in SQLite's busy handler would keep the thread
     * that holds the lock from ever committing.  apr_dbd's own retry of a
     * busy step sleeps with that mutex released.) */
    for (attempt = 0; attempt < MIGRATE_ATTEMPTS; ++attempt) {
        if (attempt) {
            apr_sleep(apr_time_from_msec(20 * attempt));
        }
        if ((sqlite && (rv = sqlite_wal(err, db, p))) || (rv = begin_locked(err, db, p))) {
            continue;
        }
        rv = apply_pending(version, err, db, p);
        if (rv == APR_SUCCESS && (rv = run(err, db, "COMMIT", p)) == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        run(&ignored, db, "ROLLBACK", p);
        if (rv == APR_EINVAL) {
            break; /* a newer schema than this module: final */
        }
    }
    return rv;
}
