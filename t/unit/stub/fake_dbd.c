/* Fake of mod_nexte_slack/nxs_dbd.c for the glue unit tests (see
 * nxs_fakes.h): no mod_dbd, no schema; nxs_dbd_acquire hands out what the
 * test set and logs, like the real one, when there is nothing. */
#include "nxs_fakes.h"

#include <http_log.h>

#include "nxs_dbd.h"

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

int nxs_fake_dbd_acquired(void)
{
    return acquired;
}

void nxs_fakes_reset(void)
{
    fake_db = NULL;
    acquired = 0;
    nxs_fake_daemon_reset();
}
