/* Prepared-statement execution over apr_dbd, shared by every store. */
#include "store/nxs_db.h"

#include <apr_strings.h>
#include <string.h>

static apr_dbd_prepared_t *statement(nxs_db_t *db, const char *label)
{
    return db->prepared ? apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING) : NULL;
}

static apr_status_t prepare_list(nxs_db_t *db, const nxs_db_statement_t *s, apr_pool_t *p)
{
    for (; s->label; ++s) {
        apr_dbd_prepared_t *stmt = NULL;
        if (apr_dbd_prepare(db->driver, p, db->handle, s->sql, s->label, &stmt) != 0) {
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, s->label, APR_HASH_KEY_STRING, stmt);
    }
    return APR_SUCCESS;
}

apr_status_t nxs_db_prepare_all(nxs_db_t *db, apr_pool_t *p)
{
    apr_status_t rv;

    if (!db->prepared) {
        db->prepared = apr_hash_make(p);
    }
    /* nxs_db_statements last: see nxs_db.h. */
    if ((rv = prepare_list(db, nxs_db_chores_statements, p)) != APR_SUCCESS ||
        (rv = prepare_list(db, nxs_db_held_statements, p)) != APR_SUCCESS) {
        return rv;
    }
    return prepare_list(db, nxs_db_statements, p);
}

static void set_err(const char **err, nxs_db_t *db, int rc, const char *label, apr_pool_t *p)
{
    if (err) {
        const char *msg = rc ? apr_dbd_error(db->driver, db->handle, rc) : NULL;
        *err = apr_psprintf(p, "%s: %s", label, msg ? msg : "statement not prepared");
    }
}

apr_status_t nxs_db_exec(int *nrows, const char **err, nxs_db_t *db, const char *label, int nargs,
                         const char *const *args, apr_pool_t *p)
{
    apr_dbd_prepared_t *stmt = statement(db, label);
    int n = 0, rc;

    if (!stmt) {
        set_err(err, db, 0, label, p);
        return APR_EGENERAL;
    }
    rc = apr_dbd_pquery(db->driver, p, db->handle, &n, stmt, nargs, (const char **)args);
    if (rc != 0) {
        set_err(err, db, rc, label, p);
        return APR_EGENERAL;
    }
    if (nrows) {
        *nrows = n;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_db_select(apr_array_header_t **rows, const char **err, nxs_db_t *db,
                           const char *label, int ncols, int nargs, const char *const *args,
                           apr_pool_t *p)
{
    apr_dbd_prepared_t *stmt = statement(db, label);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc, i;

    if (!stmt) {
        set_err(err, db, 0, label, p);
        return APR_EGENERAL;
    }
    rc = apr_dbd_pselect(db->driver, p, db->handle, &res, stmt, 0, nargs, (const char **)args);
    if (rc != 0) {
        set_err(err, db, rc, label, p);
        return APR_EGENERAL;
    }
    *rows = apr_array_make(p, 4, sizeof(const char **));
    /* Read to the end (-1): a half-read result set keeps the connection busy. */
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char **cols = apr_pcalloc(p, sizeof(char *) * (apr_size_t)ncols);
        for (i = 0; i < ncols; ++i) {
            /* apr_dbd_get_entry gives "" for SQL NULL on PostgreSQL; the
             * typed getter reports NULL as APR_ENOENT on both drivers. */
            char *v = NULL;
            if (apr_dbd_datum_get(db->driver, row, i, APR_DBD_TYPE_STRING, &v) == APR_SUCCESS &&
                v) {
                cols[i] = apr_pstrdup(p, v);
            }
        }
        APR_ARRAY_PUSH(*rows, const char **) = cols;
    }
    return APR_SUCCESS;
}

/* Transactions go through SQL text rather than apr_dbd_transaction_start:
 * the transaction object of apr_dbd must outlive the call pool, and plain
 * BEGIN/COMMIT keeps the rules the same for both drivers. */
static apr_status_t run_plain(nxs_db_t *db, const char *sql)
{
    int n = 0;
    return apr_dbd_query(db->driver, db->handle, &n, sql) == 0 ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t nxs_db_begin(nxs_db_t *db, apr_pool_t *p)
{
    /* SQLite: take the write lock at BEGIN, so that a transaction that
     * began never fails at its first write with SQLITE_BUSY.  No
     * busy_timeout is set (apr_dbd steps under one process-wide mutex, see
     * nxs_schema.c): a busy BEGIN is retried by apr_dbd's driver, which
     * sleeps 100 ms between tries. */
    return run_plain(db, strcmp(nxs_db_dialect(db), "sqlite3") == 0 ? "BEGIN IMMEDIATE" : "BEGIN");
}

apr_status_t nxs_db_commit(nxs_db_t *db, apr_pool_t *p)
{
    return run_plain(db, "COMMIT");
}

apr_status_t nxs_db_rollback(nxs_db_t *db, apr_pool_t *p)
{
    return run_plain(db, "ROLLBACK");
}

const char *nxs_db_dialect(const nxs_db_t *db)
{
    return apr_dbd_name(db->driver);
}
