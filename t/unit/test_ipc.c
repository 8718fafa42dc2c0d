/* The daemon's frames on bytes alone: what nxs_ipc_encode writes,
 * nxs_ipc_decode reads back; a frame announcing more than the limit is
 * refused from its header; a short buffer asks for the rest.  And through
 * a socket: recv says EOF only when the stream ends between frames. */
#include "nxs_test.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_portable.h>

#include "nxs_ipc.h"
#include "nxs_json.h"

static json_t *load(const char *text, apr_pool_t *p)
{
    const char *why = NULL;
    json_t *v = NULL;

    assert_int_equal(nxs_json_load(&v, &why, text, strlen(text), p), APR_SUCCESS);
    return v;
}

static void a_frame_is_the_length_then_compact_json(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *frame = NULL;
    apr_size_t len = 0;

    assert_int_equal(nxs_ipc_encode(&frame, &len, load("{ \"op\" : \"stats\" }", p), p),
                     APR_SUCCESS);
    assert_int_equal(len, 4 + 14);
    assert_memory_equal(frame, "\0\0\0\x0e{\"op\":\"stats\"}", len);
}

static void what_is_encoded_decodes_to_the_same_value(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *v = load("{\"op\":\"enqueue\",\"n\":[1,2.5,null,true],\"s\":\"caf\\u00e9\"}", p);
    json_t *back = NULL;
    const char *frame = NULL;
    apr_size_t len = 0, used = 0;

    assert_int_equal(nxs_ipc_encode(&frame, &len, v, p), APR_SUCCESS);
    assert_int_equal(nxs_ipc_decode(&back, &used, frame, len, p), APR_SUCCESS);
    assert_int_equal(used, len);
    assert_true(json_equal(v, back));
}

static void two_frames_in_one_buffer_decode_one_at_a_time(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char two[] = "\0\0\0\x02{}\0\0\0\x02[]";
    json_t *v = NULL;
    apr_size_t used = 0;

    assert_int_equal(nxs_ipc_decode(&v, &used, two, sizeof(two) - 1, p), APR_SUCCESS);
    assert_int_equal(used, 6);
    assert_true(json_is_object(v));
    assert_int_equal(nxs_ipc_decode(&v, &used, two + 6, sizeof(two) - 1 - 6, p), APR_SUCCESS);
    assert_true(json_is_array(v));
}

static void a_short_buffer_is_incomplete_and_says_what_it_needs(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *v = NULL;
    apr_size_t used = 0;

    assert_int_equal(nxs_ipc_decode(&v, &used, "\0\0", 2, p), APR_INCOMPLETE);
    assert_int_equal(used, NXS_IPC_HEAD);
    assert_int_equal(nxs_ipc_decode(&v, &used, "\0\0\0\x0d{\"op\"", 9, p), APR_INCOMPLETE);
    assert_int_equal(used, 4 + 13);
    assert_null(v);
}

static void an_empty_or_oversized_frame_is_refused_from_its_header(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    unsigned char big[4] = {0, 0x40, 0, 1}; /* NXS_IPC_MAX_FRAME + 1 */
    json_t *v = NULL;
    apr_size_t used = 0, len = 0;

    assert_int_equal(nxs_ipc_frame_len(&len, big), APR_EINVAL);
    assert_int_equal(nxs_ipc_decode(&v, &used, (const char *)big, 4, p), APR_EINVAL);
    assert_int_equal(nxs_ipc_decode(&v, &used, "\0\0\0\0{}", 6, p), APR_EINVAL);
    big[3] = 0;
    assert_int_equal(nxs_ipc_frame_len(&len, big), APR_SUCCESS);
    assert_int_equal(len, NXS_IPC_MAX_FRAME);
}

static void malformed_json_or_a_scalar_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *v = NULL;
    apr_size_t used = 0;

    assert_int_equal(nxs_ipc_decode(&v, &used, "\0\0\0\x02{]", 6, p), APR_EINVAL);
    assert_int_equal(nxs_ipc_decode(&v, &used,
                                    "\0\0\0\x01"
                                    "5",
                                    5, p),
                     APR_EINVAL);
    assert_int_equal(nxs_ipc_decode(&v, &used, "\0\0\0\x03{}x", 7, p), APR_EINVAL);
}

static void a_value_too_large_for_a_frame_is_not_encoded(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, NXS_IPC_MAX_FRAME + 1);
    json_t *v;
    const char *frame = NULL;
    apr_size_t len = 0;

    memset(big, 'a', NXS_IPC_MAX_FRAME);
    big[NXS_IPC_MAX_FRAME] = '\0';
    v = nxs_json_own(json_pack("{ss}", "s", big), p);
    assert_int_equal(nxs_ipc_encode(&frame, &len, v, p), APR_EINVAL);
    assert_null(frame);
    assert_int_equal(nxs_ipc_encode(&frame, &len, nxs_json_own(json_integer(5), p), p), APR_EINVAL);
}

/* Receives from a socket fed BYTES then closed: the status of each recv
 * until one fails, in STATUS (at most 4). */
static int recv_stream(apr_status_t *status, const char *bytes, apr_size_t len, apr_pool_t *p)
{
    apr_socket_t *s = NULL;
    json_t *v = NULL;
    int sv[2], n = 0;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], bytes, len), (ssize_t)len);
    close(sv[0]);
    assert_int_equal(apr_os_sock_put(&s, &sv[1], p), APR_SUCCESS);
    do {
        status[n] = nxs_ipc_recv(&v, s, p);
    } while (status[n++] == APR_SUCCESS && n < 4);
    close(sv[1]);
    return n;
}

static void recv_says_eof_only_between_frames(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    apr_status_t st[4];

    assert_int_equal(recv_stream(st, "\0\0\0\x02{}", 6, p), 2);
    assert_int_equal(st[0], APR_SUCCESS);
    assert_int_equal(st[1], APR_EOF);
    assert_int_equal(recv_stream(st, "", 0, p), 1);
    assert_int_equal(st[0], APR_EOF);
    /* The peer went away inside the next frame: its body, or its header. */
    assert_int_equal(recv_stream(st, "\0\0\0\x02{}\0\0\0\x02{", 11, p), 2);
    assert_int_equal(st[1], APR_EINVAL);
    assert_int_equal(recv_stream(st, "\0\0\0\x02{}\0\0", 8, p), 2);
    assert_int_equal(st[1], APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_frame_is_the_length_then_compact_json),
    NXS_TEST(what_is_encoded_decodes_to_the_same_value),
    NXS_TEST(two_frames_in_one_buffer_decode_one_at_a_time),
    NXS_TEST(a_short_buffer_is_incomplete_and_says_what_it_needs),
    NXS_TEST(an_empty_or_oversized_frame_is_refused_from_its_header),
    NXS_TEST(malformed_json_or_a_scalar_is_refused),
    NXS_TEST(a_value_too_large_for_a_frame_is_not_encoded),
    NXS_TEST(recv_says_eof_only_between_frames),
};

NXS_RUN_TESTS(tests)
