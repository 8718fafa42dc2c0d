/* Fake of mod_nexte_slack/nxs_dbd.c for the glue unit tests (see
 * nxs_fakes.h): no mod_dbd, no schema; nxs_dbd_acquire hands out what the
 * test set and logs, like the real one, when there is nothing. */
#include "nxs_fakes.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_strings.h>
#include <http_log.h>
#include <unistd.h>

#include "nxs_dbd.h"
#include "store/nxs_schema.h"

APLOG_USE_MODULE(nexte_slack);

static nxs_db_t *fake_db;
static int acquired;

nxs_db_t *nxs_dbd_acquire(request_rec *r)
{
    ++acquired;
    if (!fake_db) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "no SQL connection (fake nxs_dbd_acquire)");
    }
    return fake_db;
}

nxs_db_t *nxs_dbd_open(void **conn, server_rec *s, apr_pool_t *pool)
{
    *conn = NULL;
    return fake_db;
}

void nxs_dbd_close(void *conn, server_rec *s)
{
}

void nxs_dbd_child_init(apr_pool_t *pchild, server_rec *s)
{
}

void nxs_fake_dbd_set(nxs_db_t *db)
{
    fake_db = db;
}

typedef struct sqlite_file_t {
    nxs_db_t *db;
    const char *path;
    apr_pool_t *pool;
} sqlite_file_t;

static apr_status_t close_sqlite(void *v)
{
    sqlite_file_t *f = v;

    apr_dbd_close(f->db->driver, f->db->handle);
    unlink(f->path);
    unlink(apr_pstrcat(f->pool, f->path, "-wal", NULL));
    unlink(apr_pstrcat(f->pool, f->path, "-shm", NULL));
    return APR_SUCCESS;
}

nxs_db_t *nxs_fake_dbd_sqlite(apr_pool_t *p)
{
    static int serial;
    sqlite_file_t *f = apr_pcalloc(p, sizeof(*f));
    const char *err = NULL;
    int version = 0;

    f->pool = p;
    f->db = apr_pcalloc(p, sizeof(*f->db));
    f->path = apr_psprintf(p, "/tmp/nxs-glue-%ld-%d.sqlite", (long)getpid(), ++serial);
    apr_dbd_init(p);
    if (apr_dbd_get_driver(p, "sqlite3", &f->db->driver) != APR_SUCCESS ||
        apr_dbd_open(f->db->driver, p, f->path, &f->db->handle) != APR_SUCCESS) {
        fail_msg("cannot open SQLite database %s", f->path);
    }
    apr_pool_cleanup_register(p, f, close_sqlite, apr_pool_cleanup_null);
    if (nxs_schema_migrate(&version, &err, f->db, p) != APR_SUCCESS ||
        nxs_db_prepare_all(f->db, p) != APR_SUCCESS) {
        fail_msg("cannot prepare the store: %s", err ? err : "preparing statements failed");
    }
    fake_db = f->db;
    return f->db;
}

int nxs_fake_dbd_acquired(void)
{
    return acquired;
}

void nxs_fake_dbd_reset(void)
{
    fake_db = NULL;
    acquired = 0;
}
