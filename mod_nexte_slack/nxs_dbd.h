/* The SQL connection of a request, or of the delivery daemon, through
 * mod_dbd, with the schema migrated and the module's statements prepared
 * by the module itself (not registered with mod_dbd; see nxs_dbd.c).
 *
 * Thread safety: nxs_dbd_child_init runs once per process before its
 * threads start; acquire and open may be called from any thread (the
 * migration is serialized per process); the nxs_db_t they return belongs
 * to the calling thread, like the mod_dbd connection it wraps. */
#ifndef NXS_DBD_H
#define NXS_DBD_H

#include <httpd.h>

#include "store/nxs_db.h"

/* Gets the request's mod_dbd connection, with the schema migrated (once per
 * process) and the module's statements prepared (once per connection).
 * Returns NULL, with the reason logged, when the store cannot be used. */
nxs_db_t *nxs_dbd_acquire(request_rec *r);

/* The same outside a request (the delivery daemon): *conn must be given
 * back with nxs_dbd_close. */
nxs_db_t *nxs_dbd_open(void **conn, server_rec *s, apr_pool_t *pool);
void nxs_dbd_close(void *conn, server_rec *s);

/* Creates the per-process state; called from child_init (and by the
 * delivery daemon, which has no child_init of its own). */
void nxs_dbd_child_init(apr_pool_t *pchild, server_rec *s);

#endif
