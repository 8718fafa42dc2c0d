/* The real handle/nxs_daemon_client.c talking to the daemon's real
 * connection task (daemon/nxs_daemon_conn.c) over the daemon's Unix socket,
 * served by a thread of the test instead of a forked daemon: both sides of
 * the IPC protocol, an absent daemon, and the events and status handlers
 * with a live daemon behind them.
 *
 * This test links nxs_daemon_client.o itself instead of the daemon fake
 * (see apxs.mk), so its set-up resets only the SQL fake; SQL is the fake's
 * SQLite store (t/unit/stub/nxs_fakes.h). */
#include "daemon_rig.h"

#include <apr_network_io.h>
#include <apr_support.h>
#include <apr_thread_proc.h>
#include <http_protocol.h>
#include <unistd.h>

#include "handle/nxs_daemon_client.h"
#include "store/nxs_store_chores.h"

static int client_setup(void **state)
{
    if (nxs_test_setup(state) != 0) {
        return -1;
    }
    nxs_stub_reset(nxs_test_pool(state));
    nxs_fake_dbd_reset();
    return 0;
}

static int client_teardown(void **state)
{
    nxs_stub_reset(NULL);
    nxs_fake_dbd_reset();
    return nxs_test_teardown(state);
}

#define CLIENT_TEST(fn) cmocka_unit_test_setup_teardown(fn, client_setup, client_teardown)

typedef struct listener_t {
    apr_socket_t *ls;
    int conns;
    apr_thread_t *thread;
} listener_t;

/* Accepts CONNS connections one after the other, each served to its end by
 * the daemon's connection task, as the daemon's accept loop hands them. */
static void *APR_THREAD_FUNC accept_loop(apr_thread_t *t, void *v)
{
    listener_t *l = v;
    int i;

    for (i = 0; i < l->conns; ++i) {
        nxs_daemon_conn_t conn = {NULL, NULL};
        /* with a timeout set, accept itself does not wait: wait first */
        if (apr_wait_for_io_or_timeout(NULL, l->ls, 1) != APR_SUCCESS) {
            break;
        }
        apr_pool_create(&conn.pool, NULL);
        if (apr_socket_accept(&conn.sock, l->ls, conn.pool) != APR_SUCCESS) {
            apr_pool_destroy(conn.pool);
            break;
        }
        nxs_daemon_conn(t, &conn);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* A daemon listening on its configured socket for CONNS connections. */
static listener_t *serve(apr_pool_t *p, nxs_daemon_t *d, int conns)
{
    listener_t *l = apr_pcalloc(p, sizeof(*l));
    apr_sockaddr_t *sa = NULL;

    l->conns = conns;
    assert_int_equal(apr_sockaddr_info_get(&sa, GLUE_MOD(d->c)->socket_path, APR_UNIX, 0, 0, p),
                     APR_SUCCESS);
    assert_int_equal(apr_socket_create(&l->ls, APR_UNIX, SOCK_STREAM, 0, p), APR_SUCCESS);
    assert_int_equal(apr_socket_bind(l->ls, sa), APR_SUCCESS);
    assert_int_equal(apr_socket_listen(l->ls, 8), APR_SUCCESS);
    /* a test that fails before connecting must not leave the thread waiting */
    apr_socket_timeout_set(l->ls, apr_time_from_sec(5));
    assert_int_equal(apr_thread_create(&l->thread, NULL, accept_loop, l, p), APR_SUCCESS);
    return l;
}

static void stop(listener_t *l)
{
    apr_status_t rv;

    apr_thread_join(&rv, l->thread);
    apr_socket_close(l->ls);
}

static void absent_daemon_is_null_after_the_wait(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = nxs_stub_request(p, s, "GET", "/");
    apr_time_t start = apr_time_now();

    assert_null(nxs_daemon_request(r, nxs_config_get(s), json_pack("{s:s}", "op", "stats"),
                                   apr_time_from_msec(200)));
    /* it retried until the wait was over, and not much longer */
    assert_true(apr_time_now() - start >= apr_time_from_msec(200));
    assert_true(apr_time_now() - start < apr_time_from_sec(3));
}

static void request_and_reply_cross_the_socket(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d = daemon_state(p);
    listener_t *l = serve(p, d, 2);
    request_rec *r = nxs_stub_request(p, d->s, "GET", "/");
    json_t *reply;

    reply = nxs_daemon_request(r, d->c, json_pack("{s:s}", "op", "stats"), apr_time_from_sec(1));
    assert_non_null(reply);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_int_equal(json_integer_value(nxs_json_path(reply, "daemon.pid")), getpid());
    reply = nxs_daemon_request(r, d->c, json_pack("{s:s}", "op", "compact"), apr_time_from_sec(1));
    assert_non_null(reply);
    assert_string_equal(nxs_json_path_str(reply, "error"), "unknown_op");
    stop(l);
}

#define EVENT                                                                                      \
    "{\"id\":\"evt_01JD8Q5\",\"type\":\"invoice.paid\",\"account_id\":\"acc_42\","                 \
    "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"client\":{\"id\":\"cli_9\",\"name\":\"Acme "       \
    "SARL\"},\"amount\":{\"value\":\"1250.00\",\"currency\":\"EUR\"},\"data\":{}}"

static request_rec *signed_event(apr_pool_t *p, server_rec *s)
{
    request_rec *r = glue_request(p, s, "nexte-slack-events", "POST", "/slack/events",
                                  "application/json", EVENT);

    glue_sign_nexte(r, EVENT);
    return r;
}

static void event_is_queued_once_then_a_duplicate_through_the_daemon(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d = daemon_state(p);
    listener_t *l = serve(p, d, 4);
    request_rec *r = signed_event(p, d->s);
    nxs_db_t *db = nxs_fake_dbd_sqlite(p);
    nxs_queue_stats_t qs;
    nxs_recap_t *recap = NULL;
    int counted = -1;
    json_t *st;

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_ACCEPTED);
    assert_string_equal(nxs_stub_response(r),
                        "{\"status\":\"queued\",\"deliveries\":0,\"reason\":\"not_connected\"}\n");
    r = signed_event(p, d->s);
    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(nxs_stub_response(r), "{\"status\":\"duplicate\"}\n");
    st = nxs_daemon_request(r, d->c, json_pack("{s:s}", "op", "stats"), apr_time_from_sec(1));
    assert_non_null(st);
    assert_int_equal(json_integer_value(json_object_get(st, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "duplicates")), 1);
    /* the event's scheduled work (its recap count) is on disk with it,
     * waiting for the intake: once, not twice for the duplicate, and not
     * yet in SQL */
    assert_int_equal(json_integer_value(nxs_json_path(st, "scheduled_work.waiting")), 1);
    assert_int_equal(json_integer_value(nxs_json_path(st, "queue_depth")), 0);
    assert_int_equal(nxs_store_recap_metrics(&recap, &counted, db, "acc_42", "2026-11-28", p),
                     APR_SUCCESS);
    assert_int_equal(counted, 0);
    /* the intake writes it to SQL and only then lets the record go */
    assert_int_equal(nxs_daemon_intake_run(d), APR_SUCCESS);
    assert_int_equal(nxs_daemon_intake_settle(d, apr_time_from_sec(5)), APR_SUCCESS);
    nxs_daemon_intake_stop(d);
    assert_int_equal(nxs_store_recap_metrics(&recap, &counted, db, "acc_42", "2026-11-28", p),
                     APR_SUCCESS);
    assert_int_equal(counted, 1);
    assert_int_equal(recap->payments, 1);
    assert_int_equal(recap->money_count, 1);
    assert_string_equal(recap->money[0].currency, "EUR");
    assert_string_equal(recap->money[0].paid, "1250.00");
    nxs_queue_stats(&qs, d->queue);
    assert_int_equal(qs.live, 0);
    st = nxs_daemon_request(r, d->c, json_pack("{s:s}", "op", "stats"), apr_time_from_sec(1));
    assert_int_equal(json_integer_value(nxs_json_path(st, "scheduled_work.waiting")), 0);
    assert_int_equal(json_integer_value(nxs_json_path(st, "scheduled_work.recorded")), 1);
    stop(l);
}

static void status_reports_the_live_daemons_counters(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_daemon_t *d = daemon_state(p);
    listener_t *l = serve(p, d, 1);
    request_rec *r = glue_request(p, d->s, "nexte-slack-status", "GET", "/status", NULL, NULL);
    json_t *b;

    assert_int_equal(glue_run(r), OK);
    b = glue_json(r);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "ok");
    assert_true(json_is_true(json_object_get(b, "delivery_daemon_up")));
    assert_int_equal(json_integer_value(nxs_json_path(b, "counters.queue_depth")), 0);
    assert_int_equal(json_integer_value(nxs_json_path(b, "counters.daemon.pid")), getpid());
    assert_null(json_object_get(json_object_get(b, "counters"), "ok"));
    stop(l);
}

static const struct CMUnitTest tests[] = {
    CLIENT_TEST(absent_daemon_is_null_after_the_wait),
    CLIENT_TEST(request_and_reply_cross_the_socket),
    CLIENT_TEST(event_is_queued_once_then_a_duplicate_through_the_daemon),
    CLIENT_TEST(status_reports_the_live_daemons_counters),
};

NXS_RUN_TESTS(tests)
