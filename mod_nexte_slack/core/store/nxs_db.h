/* A SQL connection as the core sees it: an apr_dbd driver + handle and the
 * statements prepared on it, looked up by label.  The glue fills it from
 * mod_dbd's ap_dbd_t; unit tests and tools open one with apr_dbd directly.
 * Every statement that carries a value is prepared (see nxs_db_statements)
 * and every value is bound as a parameter, never pasted into SQL text; only
 * fixed text without values (BEGIN/COMMIT/ROLLBACK, the schema migration's
 * DDL) runs unprepared.
 *
 * Thread safety: an nxs_db_t belongs to one thread at a time, like the
 * connection it wraps (mod_dbd hands a connection to one request). */
#ifndef NXS_DB_H
#define NXS_DB_H

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>

typedef struct nxs_db_t {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared; /* label -> apr_dbd_prepared_t * */
} nxs_db_t;

typedef struct nxs_db_statement_t {
    const char *label;
    const char *sql; /* apr_dbd placeholders: %s for every parameter */
} nxs_db_statement_t;

/* The statements of the module, NULL-terminated: the settings store's
 * (nxs_store.c), the scheduled work's (nxs_store_chores.c) and the held
 * events' (nxs_store_held.c).  None is
 * registered with mod_dbd: mod_dbd would prepare them as it opens a
 * connection, before the schema exists on a fresh database.  Everyone (the
 * glue in nxs_dbd.c at a connection's first use, tools, tests) prepares
 * them with nxs_db_prepare_all once the schema is migrated. */
extern const nxs_db_statement_t nxs_db_statements[];
extern const nxs_db_statement_t nxs_db_chores_statements[];
extern const nxs_db_statement_t nxs_db_held_statements[];

/* Prepares every statement of the lists on DB into its `prepared` hash
 * (made in P when DB has none); the statements live as long as P.  The
 * schema must exist first.  APR_EGENERAL when one fails to prepare.  The
 * last statement of nxs_db_statements is prepared last of all, so finding
 * it prepared means that every statement is (nxs_dbd.c checks it to
 * prepare a connection once). */
apr_status_t nxs_db_prepare_all(nxs_db_t *db, apr_pool_t *p);

/* Runs prepared LABEL with NARGS text arguments; *nrows gets the affected
 * row count (may be NULL).  Returns APR_EGENERAL on a database error, with
 * the driver's message in *err when ERR is not NULL. */
apr_status_t nxs_db_exec(int *nrows, const char **err, nxs_db_t *db, const char *label, int nargs,
                         const char *const *args, apr_pool_t *p);

/* Runs prepared query LABEL and returns every row as an array of
 * const char ** (one string or NULL per column); NCOLS columns are read. */
apr_status_t nxs_db_select(apr_array_header_t **rows, const char **err, nxs_db_t *db,
                           const char *label, int ncols, int nargs, const char *const *args,
                           apr_pool_t *p);

/* Transactions around several statements. */
apr_status_t nxs_db_begin(nxs_db_t *db, apr_pool_t *p);
apr_status_t nxs_db_commit(nxs_db_t *db, apr_pool_t *p);
apr_status_t nxs_db_rollback(nxs_db_t *db, apr_pool_t *p);

/* "sqlite3" or "pgsql" (apr_dbd_name). */
const char *nxs_db_dialect(const nxs_db_t *db);

#endif
