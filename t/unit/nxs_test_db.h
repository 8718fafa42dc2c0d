/* A real database for the store tests: a fresh SQLite file per test, or,
 * with NXS_TEST_PGSQL set to apr_dbd_pgsql parameters (see
 * build/with-postgres), a PostgreSQL database emptied before each test.
 * The schema is migrated and every statement prepared, as the module does
 * on its connections. */
#ifndef NXS_TEST_DB_H
#define NXS_TEST_DB_H

#include <apr_dbd.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/nxs_schema.h"

/* Empties a PostgreSQL test database so each test starts from nothing:
 * every table any migration creates.  (The helpers are static inline:
 * each test program uses some of them.) */
static inline void nxs_test_db_drop_all(nxs_db_t *db)
{
    static const char *const tables[] = {
        "nxs_schema",          "nxs_accounts",     "nxs_workspaces",
        "nxs_categories",      "nxs_filters",      "nxs_oauth_states",
        "nxs_launch_used",     "nxs_deliveries",   "nxs_reminders",
        "nxs_reminder_events", "nxs_recap_events", "nxs_recaps",
        "nxs_chore_runs",      "nxs_held",         NULL};
    int i, n = 0;

    for (i = 0; tables[i]; ++i) {
        char sql[80];
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", tables[i]);
        assert_int_equal(apr_dbd_query(db->driver, db->handle, &n, sql), 0);
    }
}

/* Puts the tables that migration 5 changes back in their version 4 shape
 * (nxs_oauth_states without its new columns, both without their expiry
 * index), so that a test can migrate them again; the OAuth states are lost,
 * the launch-link rows kept.  On a fresh connection (SQLite cannot drop a
 * table that prepared statements still use). */
/* Undoes migration 6 (nxs_accounts.core_at), for the upgrade tests. */
static inline void nxs_test_db_unmigrate_6(nxs_db_t *db)
{
    int n = 0;

    assert_int_equal(
        apr_dbd_query(db->driver, db->handle, &n, "ALTER TABLE nxs_accounts DROP COLUMN core_at"),
        0);
}

static inline void nxs_test_db_unmigrate_5(nxs_db_t *db)
{
    static const char *const sql[] = {
        "DROP TABLE nxs_oauth_states",
        "CREATE TABLE nxs_oauth_states (state_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, "
        "browser_hash TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        "DROP INDEX nxs_launch_used_expires", NULL};
    int i, n = 0;

    for (i = 0; sql[i]; ++i) {
        assert_int_equal(apr_dbd_query(db->driver, db->handle, &n, sql[i]), 0);
    }
}

/* Opens a second connection to the database of an open test (another
 * process racing the first): same PostgreSQL, or the SQLite file PATH.
 * Returns NULL on failure (for use in a forked child). */
static inline nxs_db_t *nxs_test_db_connect(const char *path, apr_pool_t *p)
{
    nxs_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *pg = getenv("NXS_TEST_PGSQL");

    apr_dbd_init(p);
    if (apr_dbd_get_driver(p, pg ? "pgsql" : "sqlite3", &db->driver) != APR_SUCCESS ||
        apr_dbd_open(db->driver, p, pg ? pg : path, &db->handle) != APR_SUCCESS ||
        nxs_db_prepare_all(db, p) != APR_SUCCESS) {
        return NULL;
    }
    return db;
}

static inline nxs_db_t *open_db(apr_pool_t *p, const char **path_out)
{
    nxs_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *pg = getenv("NXS_TEST_PGSQL");
    const char *path =
        pg ? NULL : apr_psprintf(p, "/tmp/nxs-store-%ld-%p.sqlite", (long)getpid(), (void *)db);
    const char *err = NULL;
    int version = 0;

    apr_dbd_init(p);
    assert_int_equal(apr_dbd_get_driver(p, pg ? "pgsql" : "sqlite3", &db->driver), APR_SUCCESS);
    assert_int_equal(apr_dbd_open(db->driver, p, pg ? pg : path, &db->handle), APR_SUCCESS);
    if (pg) {
        nxs_test_db_drop_all(db);
    }
    if (nxs_schema_migrate(&version, &err, db, p) != APR_SUCCESS) {
        fail_msg("migration failed: %s", err);
    }
    assert_int_equal(version, nxs_schema_target_version());
    assert_int_equal(nxs_db_prepare_all(db, p), APR_SUCCESS);
    *path_out = path;
    return db;
}

static inline void close_db(nxs_db_t *db, const char *path, apr_pool_t *p)
{
    apr_dbd_close(db->driver, db->handle);
    if (!path) {
        return;
    }
    unlink(path);
    unlink(apr_pstrcat(p, path, "-wal", NULL));
    unlink(apr_pstrcat(p, path, "-shm", NULL));
}

#endif
