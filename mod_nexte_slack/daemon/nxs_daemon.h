/* The delivery daemon: one process per httpd instance, forked by the parent
 * after the configuration is read (like mod_cgid's daemon), that owns the
 * durable queue, the scheduler and the delivery threads.  See
 * docs/ARCHITECTURE.md. */
#ifndef NXS_DAEMON_H
#define NXS_DAEMON_H

#include <httpd.h>

/* Parent side, from post_config: starts the daemon (the previous
 * generation's is stopped by the cleanup of its configuration pool) and
 * restarts it whenever it dies. */
int nxs_daemon_post_config(apr_pool_t *pconf, server_rec *main_server);

/* The daemon process itself: never returns. */
void nxs_daemon_run(apr_pool_t *p, server_rec *main_server);

#endif
