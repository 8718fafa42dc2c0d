/* Length-prefixed JSON frames: their encoding and decoding, and sending
 * and receiving them over apr sockets (AF_UNIX). */
#include "nxs_ipc.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "nxs_json.h"

static apr_status_t send_all(apr_socket_t *s, const char *buf, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_send(s, buf, &n);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        buf += n;
        len -= n;
    }
    return APR_SUCCESS;
}

/* APR_EOF when the peer closed before LEN bytes came; *got says how many
 * did (may be NULL). */
static apr_status_t recv_all(apr_size_t *got, apr_socket_t *s, char *buf, apr_size_t len)
{
    apr_size_t done = 0;
    apr_status_t rv = APR_SUCCESS;

    while (done < len) {
        apr_size_t n = len - done;
        rv = apr_socket_recv(s, buf + done, &n);
        if (n > 0) {
            done += n;
            continue;
        }
        rv = rv != APR_SUCCESS ? rv : APR_EOF;
        break;
    }
    if (got) {
        *got = done;
    }
    return done == len ? APR_SUCCESS : rv;
}

apr_status_t nxs_ipc_frame_len(apr_size_t *len, const unsigned char *head)
{
    *len = ((apr_size_t)head[0] << 24) | ((apr_size_t)head[1] << 16) | ((apr_size_t)head[2] << 8) |
           head[3];
    return *len == 0 || *len > NXS_IPC_MAX_FRAME ? APR_EINVAL : APR_SUCCESS;
}

apr_status_t nxs_ipc_encode(const char **frame, apr_size_t *len, const json_t *v, apr_pool_t *p)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    apr_size_t n = text ? strlen(text) : 0;
    unsigned char *f;

    *frame = NULL;
    *len = 0;
    if (!text || n == 0 || n > NXS_IPC_MAX_FRAME) {
        free(text);
        return APR_EINVAL;
    }
    f = apr_palloc(p, NXS_IPC_HEAD + n);
    f[0] = (unsigned char)(n >> 24);
    f[1] = (unsigned char)(n >> 16);
    f[2] = (unsigned char)(n >> 8);
    f[3] = (unsigned char)n;
    memcpy(f + NXS_IPC_HEAD, text, n);
    free(text);
    *frame = (const char *)f;
    *len = NXS_IPC_HEAD + n;
    return APR_SUCCESS;
}

apr_status_t nxs_ipc_decode(json_t **v, apr_size_t *used, const char *buf, apr_size_t len,
                            apr_pool_t *p)
{
    const char *why = NULL;
    apr_size_t body;

    *v = NULL;
    *used = NXS_IPC_HEAD;
    if (len < NXS_IPC_HEAD) {
        return APR_INCOMPLETE;
    }
    if (nxs_ipc_frame_len(&body, (const unsigned char *)buf) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *used = NXS_IPC_HEAD + body;
    if (len - NXS_IPC_HEAD < body) {
        return APR_INCOMPLETE;
    }
    return nxs_json_load(v, &why, buf + NXS_IPC_HEAD, body, p) == APR_SUCCESS ? APR_SUCCESS
                                                                              : APR_EINVAL;
}

apr_status_t nxs_ipc_send(apr_socket_t *s, const json_t *v, apr_pool_t *p)
{
    const char *frame = NULL;
    apr_size_t len = 0;
    apr_status_t rv = nxs_ipc_encode(&frame, &len, v, p);

    return rv == APR_SUCCESS ? send_all(s, frame, len) : rv;
}

apr_status_t nxs_ipc_recv(json_t **v, apr_socket_t *s, apr_pool_t *p)
{
    unsigned char head[NXS_IPC_HEAD];
    apr_size_t body, used, got = 0;
    char *buf;
    apr_status_t rv;

    *v = NULL;
    if ((rv = recv_all(&got, s, (char *)head, NXS_IPC_HEAD)) != APR_SUCCESS) {
        /* A close inside the header cuts a frame short, as one inside the
         * body does: only a close before its first byte is a clean end. */
        return rv == APR_EOF && got > 0 ? APR_EINVAL : rv;
    }
    if (nxs_ipc_frame_len(&body, head) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    /* The header again in front of the body, so that one decoder serves
     * bytes from a socket and bytes from anywhere else. */
    buf = apr_palloc(p, NXS_IPC_HEAD + body);
    memcpy(buf, head, NXS_IPC_HEAD);
    if ((rv = recv_all(NULL, s, buf + NXS_IPC_HEAD, body)) != APR_SUCCESS) {
        return rv == APR_EOF ? APR_EINVAL : rv;
    }
    return nxs_ipc_decode(v, &used, buf, NXS_IPC_HEAD + body, p);
}

apr_status_t nxs_ipc_connect(apr_socket_t **s, const char *path, apr_interval_time_t wait,
                             apr_interval_time_t timeout, apr_pool_t *p)
{
    apr_time_t until = apr_time_now() + wait;
    apr_sockaddr_t *sa = NULL;
    apr_status_t rv;

    if ((rv = apr_sockaddr_info_get(&sa, path, APR_UNIX, 0, 0, p)) != APR_SUCCESS) {
        return rv;
    }
    for (;;) {
        if ((rv = apr_socket_create(s, APR_UNIX, SOCK_STREAM, 0, p)) != APR_SUCCESS) {
            return rv;
        }
        apr_socket_timeout_set(*s, timeout);
        rv = apr_socket_connect(*s, sa);
        if (rv == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        apr_socket_close(*s);
        *s = NULL;
        if (apr_time_now() >= until) {
            return rv;
        }
        /* The daemon is starting or restarting: its socket is missing or
         * refuses connections for a moment. */
        apr_sleep(apr_time_from_msec(50));
    }
}
