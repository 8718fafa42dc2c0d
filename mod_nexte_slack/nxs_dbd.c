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

#include "nxs_schema.h"

APLOG_USE_MODULE(nexte_slack);

static apr_thread_mutex_t *schema_lock;
static volatile int schema_ready;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

void nxs_dbd_child_init(apr_pool_t *pchild, server_rec *s)
{
    schema_ready = 0;
    apr_thread_mutex_create(&schema_lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

static int ensure_schema(request_rec *r, nxs_db_t *db)
{
    const char *err = NULL;
    int version = 0, ok;

    if (schema_ready) {
        return 1;
    }
    apr_thread_mutex_lock(schema_lock);
    if (!schema_ready) {
        if (nxs_schema_migrate(&version, &err, db, r->pool) == APR_SUCCESS) {
            schema_ready = 1;
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "SQL schema at version %d", version);
        } else {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SQL schema migration failed: %s", err);
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

nxs_db_t *nxs_dbd_acquire(request_rec *r)
{
    ap_dbd_t *dbd;
    nxs_db_t *db;

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
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    if (!ensure_schema(r, db)) {
        return NULL;
    }
    if (!dbd->prepared) {
        dbd->prepared = apr_hash_make(dbd->pool);
    }
    db->prepared = dbd->prepared;
    if (!apr_hash_get(dbd->prepared, last_label(), APR_HASH_KEY_STRING) &&
        nxs_db_prepare_all(db, dbd->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "preparing SQL statements failed: %s",
                      apr_dbd_error(dbd->driver, dbd->handle, 1));
        return NULL;
    }
    return db;
}
