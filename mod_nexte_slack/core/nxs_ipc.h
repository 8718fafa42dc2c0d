/* Frames between httpd children and the delivery daemon over a Unix stream
 * socket: a 4-byte big-endian length, then that many bytes of JSON (an
 * object or an array).  One request frame, one reply frame; a connection
 * may carry several.  The framing (encode, decode) is apart from the
 * socket I/O so that it can be checked on bytes alone. */
#ifndef NXS_IPC_H
#define NXS_IPC_H

#include <apr_network_io.h>
#include <jansson.h>

/* Largest frame either side accepts: an event is at most 64 KiB, and its
 * rendered deliveries (one per channel, each within Slack's limits) stay
 * well under this. */
#define NXS_IPC_MAX_FRAME (4 * 1024 * 1024)

/* Bytes of a frame's length header. */
#define NXS_IPC_HEAD 4

/* The body length HEAD announces, in *len.  APR_EINVAL for 0 or more than
 * NXS_IPC_MAX_FRAME: such a frame is refused from its header, before its
 * body is read or memory reserved for it. */
apr_status_t nxs_ipc_frame_len(apr_size_t *len, const unsigned char *head);

/* V as one frame (header + compact JSON) in *frame, *len bytes, from P.
 * APR_EINVAL when V cannot be written as JSON or is larger than
 * NXS_IPC_MAX_FRAME. */
apr_status_t nxs_ipc_encode(const char **frame, apr_size_t *len, const json_t *v, apr_pool_t *p);

/* Decodes the frame at the start of BUF (LEN bytes, read up to no further)
 * into a pool-owned *v, and sets *used to its size.  APR_INCOMPLETE when
 * BUF holds less than the whole frame (*used: the size needed, or
 * NXS_IPC_HEAD while the header itself is short); APR_EINVAL for an
 * oversized or malformed frame. */
apr_status_t nxs_ipc_decode(json_t **v, apr_size_t *used, const char *buf, apr_size_t len,
                            apr_pool_t *p);

/* Sends V as one frame. */
apr_status_t nxs_ipc_send(apr_socket_t *s, const json_t *v, apr_pool_t *p);

/* Receives one frame into a pool-owned *v.  APR_EOF when the peer closed
 * the connection cleanly between frames; APR_EINVAL for an oversized or
 * malformed frame, or one the peer cut short by closing (in its body or
 * in its header). */
apr_status_t nxs_ipc_recv(json_t **v, apr_socket_t *s, apr_pool_t *p);

/* Connects to the Unix socket at PATH, retrying for up to WAIT (the daemon
 * may be restarting), with TIMEOUT on every later read and write. */
apr_status_t nxs_ipc_connect(apr_socket_t **s, const char *path, apr_interval_time_t wait,
                             apr_interval_time_t timeout, apr_pool_t *p);

#endif
