/* Frames between httpd children and the delivery daemon over a Unix stream
 * socket: a 4-byte big-endian length, then that many bytes of JSON.  One
 * request frame, one reply frame; a connection may carry several. */
#ifndef NXS_IPC_H
#define NXS_IPC_H

#include <apr_network_io.h>
#include <jansson.h>

/* Largest frame either side accepts: an event is at most 64 KiB, and its
 * rendered deliveries (one per channel, each within Slack's limits) stay
 * well under this. */
#define NXS_IPC_MAX_FRAME (4 * 1024 * 1024)

/* Sends V as one frame. */
apr_status_t nxs_ipc_send(apr_socket_t *s, const json_t *v, apr_pool_t *p);

/* Receives one frame into a pool-owned *v.  APR_EOF when the peer closed
 * the connection cleanly between frames; APR_EINVAL for an oversized or
 * malformed frame. */
apr_status_t nxs_ipc_recv(json_t **v, apr_socket_t *s, apr_pool_t *p);

/* Connects to the Unix socket at PATH, retrying for up to WAIT (the daemon
 * may be restarting), with TIMEOUT on every later read and write. */
apr_status_t nxs_ipc_connect(apr_socket_t **s, const char *path, apr_interval_time_t wait,
                             apr_interval_time_t timeout, apr_pool_t *p);

#endif
