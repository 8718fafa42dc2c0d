/* The mod_dbd stub (mod_dbd_stub.h).  mod_dbd keeps a pool of connections
 * per process and one per request; the stub has at most one connection,
 * which every request and every ap_dbd_open gets. */
#include "mod_dbd_stub.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_dbd.h>
#include <apr_hooks.h>
#include <apr_optional.h>

static ap_dbd_t *current;
static int closed;

/* mod_dbd: the request's connection, from the pool or reserved for it. */
ap_dbd_t *ap_dbd_acquire(request_rec *r)
{
    return current;
}

/* mod_dbd: a connection taken from the pool until ap_dbd_close. */
ap_dbd_t *ap_dbd_open(apr_pool_t *p, server_rec *s)
{
    return current;
}

/* mod_dbd: gives the connection back to the pool; the stub counts. */
void ap_dbd_close(server_rec *s, ap_dbd_t *dbd)
{
    ++closed;
}

void nxs_stub_dbd_register(void)
{
    static apr_pool_t *global;

    /* APR keeps optional functions in a table made from this pool, which
     * httpd creates at startup; here it lives until apr_terminate. */
    if (!global) {
        apr_pool_create(&global, NULL);
        apr_hook_global_pool = global;
    }
    APR_REGISTER_OPTIONAL_FN(ap_dbd_acquire);
    APR_REGISTER_OPTIONAL_FN(ap_dbd_open);
    APR_REGISTER_OPTIONAL_FN(ap_dbd_close);
}

static apr_status_t close_handle(void *dbd)
{
    ap_dbd_t *d = dbd;

    apr_dbd_close(d->driver, d->handle);
    if (current == d) {
        current = NULL;
    }
    return APR_SUCCESS;
}

ap_dbd_t *nxs_stub_dbd_connect(apr_pool_t *p, const char *path)
{
    ap_dbd_t *d;
    apr_pool_t *cp = NULL;

    closed = 0;
    current = NULL;
    if (!path) {
        return NULL;
    }
    apr_pool_create(&cp, p);
    d = apr_pcalloc(cp, sizeof(*d));
    d->pool = cp;
    apr_dbd_init(cp);
    if (apr_dbd_get_driver(cp, "sqlite3", &d->driver) != APR_SUCCESS ||
        apr_dbd_open(d->driver, cp, path, &d->handle) != APR_SUCCESS) {
        fail_msg("cannot open SQLite database %s", path);
    }
    apr_pool_cleanup_register(cp, d, close_handle, apr_pool_cleanup_null);
    /* mod_dbd makes the hash for the statements registered with it: none */
    d->prepared = apr_hash_make(cp);
    current = d;
    return d;
}

int nxs_stub_dbd_closed(void)
{
    return closed;
}
