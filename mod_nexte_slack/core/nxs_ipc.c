/* Length-prefixed JSON frames over apr sockets (AF_UNIX). */
#include "nxs_ipc.h"

#include <apr_strings.h>
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

static apr_status_t recv_all(apr_socket_t *s, char *buf, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_recv(s, buf, &n);
        if (n > 0) {
            buf += n;
            len -= n;
            continue;
        }
        return rv != APR_SUCCESS ? rv : APR_EOF;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_ipc_send(apr_socket_t *s, const json_t *v, apr_pool_t *p)
{
    const char *text = nxs_json_dump(v, JSON_COMPACT, p);
    apr_size_t len;
    unsigned char head[4];
    apr_status_t rv;

    if (!text) {
        return APR_EINVAL;
    }
    len = strlen(text);
    if (len > NXS_IPC_MAX_FRAME) {
        return APR_EINVAL;
    }
    head[0] = (unsigned char)(len >> 24);
    head[1] = (unsigned char)(len >> 16);
    head[2] = (unsigned char)(len >> 8);
    head[3] = (unsigned char)len;
    if ((rv = send_all(s, (const char *)head, 4)) != APR_SUCCESS) {
        return rv;
    }
    return send_all(s, text, len);
}

apr_status_t nxs_ipc_recv(json_t **v, apr_socket_t *s, apr_pool_t *p)
{
    unsigned char head[4];
    apr_size_t len;
    const char *why = NULL;
    char *buf;
    apr_status_t rv;

    *v = NULL;
    if ((rv = recv_all(s, (char *)head, 4)) != APR_SUCCESS) {
        return rv;
    }
    len = ((apr_size_t)head[0] << 24) | ((apr_size_t)head[1] << 16) | ((apr_size_t)head[2] << 8) |
          head[3];
    if (len == 0 || len > NXS_IPC_MAX_FRAME) {
        return APR_EINVAL;
    }
    buf = apr_palloc(p, len + 1);
    if ((rv = recv_all(s, buf, len)) != APR_SUCCESS) {
        return rv == APR_EOF ? APR_EINVAL : rv;
    }
    buf[len] = '\0';
    return nxs_json_load(v, &why, buf, len, p) == APR_SUCCESS ? APR_SUCCESS : APR_EINVAL;
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
