/* libFuzzer target for the frames between httpd children and the delivery
 * daemon (nxs_ipc.h): a child that crashed mid-write, or anything else
 * that reaches the socket, must not crash the daemon or make it read past
 * what it was sent.  The input is the byte stream of one connection, read
 * twice: frame by frame by nxs_ipc_decode from a buffer of exactly its
 * size (so AddressSanitizer sees any read past the end), and by
 * nxs_ipc_recv from a socketpair the stream was written to.  It checks:
 *   - decode answers success, "incomplete" or "invalid" only; a frame
 *     that decodes spans exactly its header plus the length it announces
 *     and holds an object or an array;
 *   - a header announcing 0 or more than NXS_IPC_MAX_FRAME is refused
 *     from the header alone, however few bytes follow it;
 *   - a decoded frame re-encodes to a frame that decodes to an equal value
 *     and re-encodes to the same bytes;
 *   - recv reads the same values in the same order, and says APR_EOF only
 *     when the stream ended between frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_portable.h>
#include <apr_pools.h>

#include "fuzz_require.h"
#include "nxs_ipc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frames the decoder found, for comparison with what recv reads. */
#define MAX_FRAMES 64

/* A socketpair holds this much without a reader (Linux: 200 KiB and more
 * by default); longer inputs skip the socket half. */
#define SOCKET_MAX (64 * 1024)

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    REQUIRE(apr_pool_create(&root, NULL) == APR_SUCCESS);
    return 0;
}

static apr_size_t announced(const char *head)
{
    const unsigned char *h = (const unsigned char *)head;

    return ((apr_size_t)h[0] << 24) | ((apr_size_t)h[1] << 16) | ((apr_size_t)h[2] << 8) | h[3];
}

/* V re-encoded decodes to an equal value, and re-encodes identically. */
static void check_round_trip(const json_t *v, apr_pool_t *p)
{
    const char *frame = NULL, *again = NULL;
    apr_size_t len = 0, again_len = 0, used = 0;
    json_t *back = NULL;

    REQUIRE(nxs_ipc_encode(&frame, &len, v, p) == APR_SUCCESS);
    REQUIRE(len > NXS_IPC_HEAD && announced(frame) == len - NXS_IPC_HEAD);
    REQUIRE(nxs_ipc_decode(&back, &used, frame, len, p) == APR_SUCCESS);
    REQUIRE(used == len && json_equal(v, back));
    REQUIRE(nxs_ipc_encode(&again, &again_len, back, p) == APR_SUCCESS);
    REQUIRE(again_len == len && memcmp(again, frame, len) == 0);
}

/* Decodes BUF frame by frame into VALS; returns how the stream ended
 * (APR_EOF: exactly after a frame) and the number of frames in *n. */
static apr_status_t decode_all(json_t **vals, size_t *n, const char *buf, apr_size_t size,
                               apr_pool_t *p)
{
    apr_size_t at = 0, used, left;
    apr_status_t rv;
    json_t *v;

    *n = 0;
    while (at < size && *n < MAX_FRAMES) {
        left = size - at;
        rv = nxs_ipc_decode(&v, &used, buf + at, left, p);
        if (left >= NXS_IPC_HEAD &&
            (announced(buf + at) == 0 || announced(buf + at) > NXS_IPC_MAX_FRAME)) {
            REQUIRE(rv == APR_EINVAL && v == NULL);
        }
        if (rv == APR_INCOMPLETE) {
            REQUIRE(v == NULL && used > left);
            REQUIRE(left < NXS_IPC_HEAD ? used == NXS_IPC_HEAD
                                        : used == NXS_IPC_HEAD + announced(buf + at));
            return rv;
        }
        if (rv != APR_SUCCESS) {
            REQUIRE(rv == APR_EINVAL && v == NULL);
            return rv;
        }
        REQUIRE(used == NXS_IPC_HEAD + announced(buf + at) && used <= left);
        REQUIRE(json_is_object(v) || json_is_array(v));
        check_round_trip(v, p);
        vals[(*n)++] = v;
        at += used;
    }
    return at == size ? APR_EOF : APR_SUCCESS;
}

/* The same stream through a socket: recv must agree with the decoder. */
static void check_recv(json_t **vals, size_t n, apr_status_t ended, const uint8_t *data,
                       size_t size, apr_pool_t *p)
{
    int sv[2];
    apr_socket_t *s = NULL;
    apr_status_t rv = APR_SUCCESS;
    json_t *v = NULL;
    size_t i;

    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(size == 0 || write(sv[0], data, size) == (ssize_t)size);
    REQUIRE(shutdown(sv[0], SHUT_WR) == 0);
    REQUIRE(apr_os_sock_put(&s, &sv[1], p) == APR_SUCCESS);
    for (i = 0; i <= n && i < MAX_FRAMES; ++i) {
        rv = nxs_ipc_recv(&v, s, p);
        if (i < n) {
            REQUIRE(rv == APR_SUCCESS && json_equal(v, vals[i]));
        }
    }
    if (n < MAX_FRAMES) {
        /* EOF only between frames; a frame cut short or refused is invalid. */
        REQUIRE(ended == APR_EOF ? rv == APR_EOF : rv == APR_EINVAL);
    }
    close(sv[0]);
    close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    json_t *vals[MAX_FRAMES];
    size_t n = 0;
    apr_status_t ended;
    /* Exactly SIZE bytes: a read past the end is a heap overflow. */
    char *buf = malloc(size ? size : 1);

    REQUIRE(buf && apr_pool_create(&p, root) == APR_SUCCESS);
    if (size) {
        memcpy(buf, data, size);
    }
    ended = decode_all(vals, &n, buf, size, p);
    if (size <= SOCKET_MAX) {
        check_recv(vals, n, ended, data, size, p);
    }
    free(buf);
    apr_pool_destroy(p);
    return 0;
}
