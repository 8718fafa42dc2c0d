/* Requests from an httpd child to the delivery daemon (see
 * daemon/nxs_daemon_conn.c for the operations). */
#ifndef NXS_DAEMON_CLIENT_H
#define NXS_DAEMON_CLIENT_H

#include <httpd.h>
#include <jansson.h>

#include "cfg/nxs_config.h"

/* Sends REQUEST (consumed) and returns the daemon's pool-owned reply, or
 * NULL when the daemon could not be reached within WAIT. */
json_t *nxs_daemon_request(request_rec *r, const nxs_server_conf_t *c, json_t *request,
                           apr_interval_time_t wait);

#endif
