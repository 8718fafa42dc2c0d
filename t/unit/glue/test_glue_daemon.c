/* The delivery daemon's side of its socket (daemon/nxs_daemon_conn.c),
 * without forking a daemon: a test builds the daemon's state as its start-up
 * does (a real queue in a scratch directory, the scheduler, the metrics),
 * writes request frames into one end of a socketpair and runs the
 * connection task on the other end in its own thread, then reads the
 * replies.  Covers every operation (enqueue, stats, release, drop,
 * interaction), its refusals, idempotency, and a broken frame ending the
 * connection.
 *
 * Not covered here: the daemon process itself (nxs_daemon_run: signals,
 * privileges, the accept loop), the dispatcher and workers that post to
 * Slack, and the recorder; they need a forked process, Slack and SQL, and
 * are exercised by the Apache-Test suite.  The parent side's decision not
 * to fork is tested in test_glue_settings.c (post_config). */
#include "glue_test.h"

#include <apr_network_io.h>
#include <apr_portable.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon_rig.h"
#include "nxs_ipc.h"

static void *APR_THREAD_FUNC serve(apr_thread_t *t, void *conn)
{
    nxs_daemon_conn(t, conn);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Sends N frames (RAW bytes when FRAMES is NULL) on a connection served by
 * the daemon's connection task and returns its replies, in order, as a JSON
 * array.  The task runs in a thread of its own, as in the daemon, so that
 * neither side waits on a full socket buffer. */
static json_t *exchange(apr_pool_t *p, const char *const *frames, int n, const char *raw,
                        apr_size_t raw_len)
{
    int sv[2];
    apr_os_sock_t fd0, fd1;
    apr_socket_t *client = NULL;
    apr_thread_t *thread = NULL;
    apr_status_t trv;
    nxs_daemon_conn_t *conn = apr_pcalloc(p, sizeof(*conn));
    json_t *replies = nxs_json_own(json_array(), p), *v = NULL;
    int i;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fd0 = sv[0];
    fd1 = sv[1];
    /* the connection's pool and socket belong to the task, which frees them */
    assert_int_equal(apr_pool_create(&conn->pool, NULL), APR_SUCCESS);
    assert_int_equal(apr_os_sock_put(&conn->sock, &fd1, conn->pool), APR_SUCCESS);
    assert_int_equal(apr_os_sock_put(&client, &fd0, p), APR_SUCCESS);
    assert_int_equal(apr_thread_create(&thread, NULL, serve, conn, p), APR_SUCCESS);
    for (i = 0; i < n; ++i) {
        const char *why = NULL;
        json_t *req = NULL;
        if (nxs_json_load(&req, &why, frames[i], strlen(frames[i]), p) != APR_SUCCESS) {
            fail_msg("bad test frame %s: %s", frames[i], why);
        }
        assert_int_equal(nxs_ipc_send(client, req, p), APR_SUCCESS);
    }
    if (raw) {
        apr_size_t len = raw_len;
        assert_int_equal(apr_socket_send(client, raw, &len), APR_SUCCESS);
    }
    assert_int_equal(apr_socket_shutdown(client, APR_SHUTDOWN_WRITE), APR_SUCCESS);
    while (nxs_ipc_recv(&v, client, p) == APR_SUCCESS) {
        json_array_append(replies, v);
    }
    apr_socket_close(client);
    apr_thread_join(&trv, thread);
    return replies;
}

static json_t *one(apr_pool_t *p, const char *frame)
{
    json_t *replies = exchange(p, &frame, 1, NULL, 0);

    assert_int_equal(json_array_size(replies), 1);
    return json_array_get(replies, 0);
}

#define DELIVERY(account, channel)                                                                 \
    "{\"account\":\"" account "\",\"team\":\"T1\",\"channel\":\"" channel "\",\"event_id\":"       \
    "\"evt_1\",\"category\":\"payments\",\"delivery_id\":\"d_1\",\"record\":\"\",\"payload\":"     \
    "\"{\\\"text\\\":\\\"hi\\\"}\"}"

#define ENQUEUE(account, event, deliveries)                                                        \
    "{\"op\":\"enqueue\",\"idem\":{\"account\":\"" account "\",\"event_id\":\"" event "\"},"       \
    "\"deliveries\":[" deliveries "]}"

static json_int_t num(const json_t *o, const char *path)
{
    const json_t *v = nxs_json_path(o, path);

    if (!json_is_integer(v)) {
        fail_msg("%s is not an integer", path);
    }
    return json_integer_value(v);
}

static void stats_of_a_fresh_daemon_are_zero_and_name_its_process(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    json_t *st;

    daemon_state(p);
    st = one(p, "{\"op\":\"stats\"}");
    assert_true(json_is_true(json_object_get(st, "ok")));
    assert_int_equal(num(st, "queue_depth"), 0);
    assert_int_equal(num(st, "in_flight"), 0);
    assert_int_equal(num(st, "channels"), 0);
    assert_int_equal(num(st, "accounts_needing_reconnect"), 0);
    assert_int_equal(num(st, "accepted"), 0);
    assert_int_equal(num(st, "daemon.pid"), getpid());
    assert_true(json_real_value(json_object_get(st, "oldest_age_seconds")) == 0.0);
    assert_int_equal(json_object_size(json_object_get(st, "slack_errors")), 0);
}

static void enqueued_event_is_stored_scheduled_and_then_a_duplicate(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d = daemon_state(p);
    static const char *const frames[] = {
        ENQUEUE("acc_1", "evt_1", DELIVERY("acc_1", "C1")),
        ENQUEUE("acc_1", "evt_1", DELIVERY("acc_1", "C1")),
        "{\"op\":\"stats\"}",
    };
    json_t *r = exchange(p, frames, 3, NULL, 0);
    nxs_queue_stats_t qs;

    assert_int_equal(json_array_size(r), 3);
    assert_string_equal(nxs_json_dump(json_array_get(r, 0), JSON_COMPACT, p),
                        "{\"ok\":true,\"duplicate\":false,\"deliveries\":1}");
    assert_string_equal(nxs_json_dump(json_array_get(r, 1), JSON_COMPACT, p),
                        "{\"ok\":true,\"duplicate\":true,\"deliveries\":0}");
    assert_int_equal(num(json_array_get(r, 2), "accepted"), 1);
    assert_int_equal(num(json_array_get(r, 2), "duplicates"), 1);
    assert_int_equal(num(json_array_get(r, 2), "queue_depth"), 1);
    assert_int_equal(num(json_array_get(r, 2), "channels"), 1);
    nxs_queue_stats(&qs, d->queue);
    assert_int_equal(qs.live, 1);
}

static void event_without_deliveries_is_remembered_for_idempotency(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const frames[] = {
        ENQUEUE("acc_1", "evt_9", ""), ENQUEUE("acc_1", "evt_9", ""),
        ENQUEUE("acc_2", "evt_9", ""), /* the key is per account */
    };
    json_t *r;

    daemon_state(p);
    r = exchange(p, frames, 3, NULL, 0);
    assert_true(json_is_false(nxs_json_path(json_array_get(r, 0), "duplicate")));
    assert_int_equal(num(json_array_get(r, 0), "deliveries"), 0);
    assert_true(json_is_true(nxs_json_path(json_array_get(r, 1), "duplicate")));
    assert_true(json_is_false(nxs_json_path(json_array_get(r, 2), "duplicate")));
}

static void bad_requests_are_answered_and_the_connection_goes_on(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d;
    static const char *const frames[] = {
        "{}",
        "{\"op\":\"compact\"}",
        "{\"op\":\"enqueue\",\"deliveries\":[]}",
        ENQUEUE("acc_1", "evt_1", "{\"account\":\"acc_1\",\"team\":\"T1\",\"payload\":\"{}\"}"),
        "{\"op\":\"enqueue\",\"idem\":{\"account\":\"a\",\"event_id\":\"e\"},\"deliveries\":{}}",
        "{\"op\":\"release\"}",
        "{\"op\":\"stats\"}",
    };
    static const char *const want[] = {"bad_request", "unknown_op",  "bad_request", "bad_request",
                                       "bad_request", "bad_request", NULL};
    json_t *r;
    nxs_queue_stats_t qs;
    size_t i;

    d = daemon_state(p);
    r = exchange(p, frames, 7, NULL, 0);
    assert_int_equal(json_array_size(r), 7);
    for (i = 0; want[i]; ++i) {
        assert_true(json_is_false(json_object_get(json_array_get(r, i), "ok")));
        assert_string_equal(nxs_json_path_str(json_array_get(r, i), "error"), want[i]);
    }
    assert_true(json_is_true(json_object_get(json_array_get(r, 6), "ok")));
    assert_int_equal(num(json_array_get(r, 6), "accepted"), 0);
    nxs_queue_stats(&qs, d->queue);
    assert_int_equal(qs.live, 0);
}

static void drop_forgets_the_queued_messages_of_that_account_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d = daemon_state(p);
    static const char *const frames[] = {
        ENQUEUE("acc_1", "evt_1", DELIVERY("acc_1", "C1") "," DELIVERY("acc_1", "C2")),
        ENQUEUE("acc_2", "evt_1", DELIVERY("acc_2", "C3")),
        "{\"op\":\"drop\",\"account\":\"acc_1\"}",
        "{\"op\":\"release\",\"account\":\"acc_2\"}",
        "{\"op\":\"stats\"}",
    };
    json_t *r = exchange(p, frames, 5, NULL, 0);
    nxs_queue_stats_t qs;

    assert_int_equal(num(json_array_get(r, 0), "deliveries"), 2);
    assert_string_equal(nxs_json_dump(json_array_get(r, 2), JSON_COMPACT, p),
                        "{\"ok\":true,\"dropped\":2}");
    assert_string_equal(nxs_json_dump(json_array_get(r, 3), JSON_COMPACT, p),
                        "{\"ok\":true,\"dropped\":0}");
    assert_int_equal(num(json_array_get(r, 4), "queue_depth"), 1);
    assert_int_equal(num(json_array_get(r, 4), "dropped"), 2);
    nxs_queue_stats(&qs, d->queue);
    assert_int_equal(qs.live, 1);
}

/* What the httpd children report of Slack's clicks adds up in the daemon:
 * two clicks (one refused, one marked handled with a report that failed),
 * a refusal before any click, a report that ended well, and a report's end
 * whose start an earlier daemon counted (the gauge stays at 0). */
static void interactions_reported_by_children_add_up_in_the_stats(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const frames[] = {
        "{\"op\":\"interaction\",\"callback\":\"done\"}",
        "{\"op\":\"interaction\",\"refused\":\"bad_signature\"}",
        "{\"op\":\"interaction\",\"click\":true,\"refused\":\"unknown_delivery\"}",
        "{\"op\":\"interaction\",\"click\":true,\"handled\":true,\"callback\":\"started\"}",
        "{\"op\":\"interaction\",\"refused\":\"bad_signature\"}",
        "{\"op\":\"interaction\",\"callback\":\"started\"}",
        "{\"op\":\"stats\"}",
        "{\"op\":\"interaction\",\"callback\":\"failed\"}",
        "{\"op\":\"interaction\",\"callback\":\"done\"}",
        "{\"op\":\"interaction\",\"callback\":\"lost\"}",
        "{\"op\":\"stats\"}",
    };
    json_t *r, *during, *after;

    daemon_state(p);
    r = exchange(p, frames, 11, NULL, 0);
    assert_int_equal(json_array_size(r), 11);
    assert_string_equal(nxs_json_dump(json_array_get(r, 1), JSON_COMPACT, p), "{\"ok\":true}");
    assert_string_equal(nxs_json_path_str(json_array_get(r, 9), "error"), "bad_request");
    during = json_object_get(json_array_get(r, 6), "interactions");
    assert_int_equal(num(during, "callbacks_pending"), 2);
    after = json_object_get(json_array_get(r, 10), "interactions");
    assert_string_equal(
        nxs_json_dump(after, JSON_COMPACT | JSON_SORT_KEYS, p),
        "{\"callbacks_failed\":1,\"callbacks_pending\":0,\"clicks\":2,\"handled\":1,"
        "\"refused\":{\"bad_signature\":2,\"unknown_delivery\":1}}");
}

static void broken_frame_ends_the_connection_without_a_reply(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const frames[] = {"{\"op\":\"stats\"}"};
    /* a length prefix far above NXS_IPC_MAX_FRAME */
    static const char huge[] = "\x7f\xff\xff\xff{}";
    json_t *r;

    daemon_state(p);
    r = exchange(p, frames, 1, huge, sizeof(huge) - 1);
    assert_int_equal(json_array_size(r), 1);
    assert_true(json_is_true(json_object_get(json_array_get(r, 0), "ok")));
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(stats_of_a_fresh_daemon_are_zero_and_name_its_process),
    GLUE_TEST(enqueued_event_is_stored_scheduled_and_then_a_duplicate),
    GLUE_TEST(event_without_deliveries_is_remembered_for_idempotency),
    GLUE_TEST(bad_requests_are_answered_and_the_connection_goes_on),
    GLUE_TEST(drop_forgets_the_queued_messages_of_that_account_only),
    GLUE_TEST(interactions_reported_by_children_add_up_in_the_stats),
    GLUE_TEST(broken_frame_ends_the_connection_without_a_reply),
};

NXS_RUN_TESTS(tests)
