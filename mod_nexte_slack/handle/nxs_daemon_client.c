/* One request/reply exchange with the delivery daemon over its socket. */
#include "handle/nxs_daemon_client.h"

#include "nxs_ipc.h"
#include "nxs_json.h"

/* A healthy daemon answers within one group commit (milliseconds); a
 * wedged one must not hold an httpd thread for long. */
#define NXS_DAEMON_REPLY_TIMEOUT apr_time_from_sec(5)

json_t *nxs_daemon_request(request_rec *r, const nxs_server_conf_t *c, json_t *request,
                           apr_interval_time_t wait)
{
    apr_socket_t *s = NULL;
    json_t *reply = NULL;

    nxs_json_own(request, r->pool);
    if (nxs_ipc_connect(&s, c->mod->socket_path, wait, NXS_DAEMON_REPLY_TIMEOUT, r->pool) !=
        APR_SUCCESS) {
        return NULL;
    }
    if (nxs_ipc_send(s, request, r->pool) != APR_SUCCESS ||
        nxs_ipc_recv(&reply, s, r->pool) != APR_SUCCESS) {
        reply = NULL;
    }
    apr_socket_close(s);
    return reply;
}
