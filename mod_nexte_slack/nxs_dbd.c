/* Bridges mod_dbd's connections to the core's nxs_db_t.
 *
 * Why the module prepares its own statements instead of registering them
 * with ap_dbd_prepare: mod_dbd prepares registered statements the moment it
 * opens a connection, and on a fresh database they fail because the tables
 * do not exist yet, which makes every connection unusable before the
 * module's migration could run.  So the schema is migrated first (once per
 * process, under the database's own lock), and the statements are prepared
 * on each connection at its first use, into the connection's own pool and
 * its `prepared` hash, where they live as long as the connection.
 *
 * Thread safety: `schema_ready` is written under `schema_lock`; a
 * connection is used by one request at a time, so its hash needs no lock. */
#include "nxs_dbd.h"

#include <apr_optional.h>
#include <apr_thread_mutex.h>
#include <http_log.h>
#include <mod_dbd.h>

#include "store/nxs_schema.h"

APLOG_USE_MODULE(nexte_slack);

static apr_thread_mutex_t *schema_lock;
static volatile int schema_ready;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close;

void nxs_dbd_child_init(apr_pool_t *pchild, server_rec *s)
{
    schema_ready = 0;
    apr_thread_mutex_create(&schema_lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
}

static int ensure_schema(server_rec *s, apr_pool_t *pool, nxs_db_t *db)
{
    const char *err = NULL;
    int version = 0, ok;

    if (schema_ready) {
        return 1;
    }
    apr_thread_mutex_lock(schema_lock);
    if (!schema_ready) {
        if (nxs_schema_migrate(&version, &err, db, pool) == APR_SUCCESS) {
            schema_ready = 1;
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "SQL schema at version %d", version);
        } else {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "SQL schema migration failed: %s", err);
        }
    }
    ok = schema_ready;
    apr_thread_mutex_unlock(schema_lock);
    return ok;
}

/* The last statement of the table: present only when all were prepared. */
static const char *last_label(void)
{
    const nxs_db_statement_t *s = nxs_db_statements;
    while (s[1].label) {
        ++s;
    }
    return s->label;
}

/* Wraps DBD for the core, with the schema and the statements ready. */
static nxs_db_t *wrap(ap_dbd_t *dbd, server_rec *s, apr_pool_t *pool)
{
    nxs_db_t *db = apr_pcalloc(pool, sizeof(*db));

    db->driver = dbd->driver;
    db->handle = dbd->handle;
    if (!ensure_schema(s, pool, db)) {
        return NULL;
    }
    if (!dbd->prepared) {
        dbd->prepared = apr_hash_make(dbd->pool);
    }
    db->prepared = dbd->prepared;
    if (!apr_hash_get(dbd->prepared, last_label(), APR_HASH_KEY_STRING) &&
        nxs_db_prepare_all(db, dbd->pool) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "preparing SQL statements failed: %s",
                     apr_dbd_error(dbd->driver, dbd->handle, 1));
        return NULL;
    }
    return db;
}

nxs_db_t *nxs_dbd_acquire(request_rec *r)
{
    ap_dbd_t *dbd;

    if (!dbd_acquire) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_dbd is not loaded");
        return NULL;
    }
    dbd = dbd_acquire(r);
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "no SQL connection (check DBDriver/DBDParams and the database)");
        return NULL;
    }
    return wrap(dbd, r->server, r->pool);
}

nxs_db_t *nxs_dbd_open(void **conn, server_rec *s, apr_pool_t *pool)
{
    ap_dbd_t *dbd;
    nxs_db_t *db;

    *conn = NULL;
    if (!dbd_open || !(dbd = dbd_open(pool, s))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "no SQL connection (check DBDriver/DBDParams and the database)");
        return NULL;
    }
    if (!(db = wrap(dbd, s, pool))) {
        dbd_close(s, dbd);
        return NULL;
    }
    *conn = dbd;
    return db;
}

void nxs_dbd_close(void *conn, server_rec *s)
{
    if (conn && dbd_close) {
        dbd_close(s, conn);
    }
}
