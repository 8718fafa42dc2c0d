/* nexte-slack-status (handle/nxs_handle_status.c) through the module's
 * handler hook and the httpd stub: the JSON and Prometheus shapes with the
 * delivery daemon down and up, the secrets shown only as set/unset, the
 * uptime from a scoreboard, numbers in their shortest text, and the
 * refusals (405, 400 bad_format).
 *
 * The daemon is faked at link level (t/unit/stub/nxs_fakes.h):
 * nxs_daemon_request answers NULL (down) or the counters a test sets.  The
 * stub has no scoreboard (uptime 0) unless a test puts one in place. */
#include "glue_test.h"

#include <http_protocol.h>
#include <scoreboard.h>

#include "nxs_build.h"

static request_rec *status(void **state, const char *method, const char *target)
{
    apr_pool_t *p = nxs_test_pool(state);

    return glue_request(p, glue_configured_server(p), NXS_H_STATUS, method, target, NULL, NULL);
}

static void post_is_405_allowing_get(void **state)
{
    request_rec *r = status(state, "POST", "/status");

    assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "GET");
    assert_int_equal(nxs_fake_daemon_requests(), 0);
}

static void unknown_format_is_400(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=xml");

    assert_error_reply(r, glue_run(r), HTTP_BAD_REQUEST, "bad_format");
    assert_string_equal(glue_json_str(r, "message"), "format must be json or prometheus");
}

static void json_with_the_daemon_down_is_degraded_with_the_effective_config(void **state)
{
    request_rec *r = status(state, "GET", "/status");
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    json_t *b, *cfg;

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(r->content_type, "application/json");
    b = glue_json(r);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "degraded");
    assert_string_equal(json_string_value(json_object_get(b, "module")), "mod_nexte_slack");
    assert_string_equal(json_string_value(json_object_get(b, "version")), NXS_VERSION);
    /* the revision is the glue's at its build, which may predate this test's */
    assert_true(json_string_length(nxs_json_path(b, "build.revision")) > 0);
    assert_string_equal(nxs_json_path_str(b, "build.httpd"), "Apache/2.4 (nxs-stub)");
    assert_true(json_is_string(nxs_json_path(b, "build.libraries.apr")));
    assert_true(json_number_value(json_object_get(b, "uptime_seconds")) == 0.0);
    assert_true(json_is_false(json_object_get(b, "delivery_daemon_up")));
    assert_int_equal(json_object_size(json_object_get(b, "counters")), 0);

    cfg = json_object_get(b, "config");
    assert_true(json_is_null(json_object_get(cfg, "client_id")));
    assert_string_equal(json_string_value(json_object_get(cfg, "client_secret")), "unset");
    assert_string_equal(json_string_value(json_object_get(cfg, "signing_secret")), "set (inline)");
    assert_string_equal(json_string_value(json_object_get(cfg, "event_secret")), "set (inline)");
    assert_string_equal(json_string_value(json_object_get(cfg, "token_key_file")),
                        c->token_key_path);
    assert_string_equal(json_string_value(json_object_get(cfg, "app_url")),
                        "https://app.nexte.test");
    assert_string_equal(json_string_value(json_object_get(cfg, "api_base")),
                        "https://slack.com/api");
    assert_string_equal(nxs_json_path_str(cfg, "queue.type"), "GDBM");
    assert_string_equal(nxs_json_path_str(cfg, "queue.path"), GLUE_MOD(c)->queue_path);
    assert_int_equal(json_integer_value(json_object_get(cfg, "workers")), 8);
    assert_true(json_number_value(json_object_get(cfg, "retry_window_seconds")) == 86400.0);
    assert_true(json_number_value(nxs_json_path(cfg, "retry_backoff_seconds.min")) == 1.0);
    assert_true(json_number_value(nxs_json_path(cfg, "retry_backoff_seconds.max")) == 600.0);
    assert_true(json_number_value(json_object_get(cfg, "reconnect_grace_seconds")) == 2592000.0);
    assert_true(json_is_null(json_object_get(cfg, "callback_url")));
    /* secrets never appear, whatever the shape */
    assert_null(strstr(nxs_stub_response(r), GLUE_EVENT_SECRET));
    assert_null(strstr(nxs_stub_response(r), GLUE_SIGNING_SECRET));
    assert_string_equal(nxs_fake_daemon_last_request(), "{\"op\":\"stats\"}");
}

static void json_with_the_daemon_up_is_ok_with_its_counters(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=json");
    json_t *b;

    nxs_fake_daemon_reply("{\"ok\":true,\"accepted\":5,\"queue_depth\":2}");
    assert_int_equal(glue_run(r), OK);
    b = glue_json(r);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "ok");
    assert_true(json_is_true(json_object_get(b, "delivery_daemon_up")));
    assert_int_equal(json_object_size(json_object_get(b, "counters")), 2);
    assert_int_equal(json_integer_value(nxs_json_path(b, "counters.accepted")), 5);
    assert_int_equal(json_integer_value(nxs_json_path(b, "counters.queue_depth")), 2);
}

static void daemon_answering_not_ok_counts_as_down(void **state)
{
    request_rec *r = status(state, "GET", "/status");

    nxs_fake_daemon_reply("{\"ok\":false,\"error\":\"stopping\"}");
    assert_int_equal(glue_run(r), OK);
    assert_string_equal(glue_json_str(r, "status"), "degraded");
}

static void head_gets_the_headers_without_the_body(void **state)
{
    request_rec *r = status(state, "HEAD", "/status");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(nxs_stub_response(r), "");
    assert_non_null(apr_table_get(r->headers_out, "Content-Length"));
}

static void prometheus_with_the_daemon_down_has_build_config_and_up_0(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=prometheus");
    const char *text;

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(r->content_type, "text/plain; version=0.0.4; charset=utf-8");
    text = nxs_stub_response(r);
    assert_non_null(strstr(text, "# HELP nexte_slack_build_info Module version and source "
                                 "revision.\n# TYPE nexte_slack_build_info gauge\n"
                                 "nexte_slack_build_info{version=\"" NXS_VERSION "\",revision=\""));
    assert_non_null(strstr(text, "\",httpd=\"Apache/2.4 (nxs-stub)\"} 1\n"));
    assert_non_null(strstr(text, "\nnexte_slack_uptime_seconds 0\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_config_workers gauge\n"
                                 "nexte_slack_config_workers 8\n"));
    assert_non_null(strstr(text, "\nnexte_slack_delivery_daemon_up 0\n"));
    assert_non_null(strstr(text, "\nnexte_slack_config_retry_window_seconds 86400\n"));
    assert_non_null(strstr(text, "\nnexte_slack_config_retry_backoff_min_seconds 1\n"));
    assert_non_null(strstr(text, "\nnexte_slack_config_retry_backoff_max_seconds 600\n"));
    /* no counters from a daemon that did not answer */
    assert_null(strstr(text, "nexte_slack_accepted_total"));
    assert_null(strstr(text, "nexte_slack_queue_depth"));
}

static void prometheus_with_the_daemon_up_has_counters_errors_and_latency(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=prometheus");
    const char *text;

    nxs_fake_daemon_reply(
        "{\"ok\":true,\"accepted\":7,\"duplicates\":1,\"delivered\":6,\"retried\":2,"
        "\"dead_lettered\":0,\"dropped\":0,\"queue_depth\":3,\"oldest_age_seconds\":1.5,"
        "\"accounts_needing_reconnect\":1,\"slack_errors\":{\"rate_limited\":2,"
        "\"we\\\"ird\\\\\\n\":1},\"delivery_latency_seconds\":{\"le\":[0.1,\"+Inf\"],"
        "\"counts\":[4,6],\"sum\":0.75,\"count\":6}}");
    assert_int_equal(glue_run(r), OK);
    text = nxs_stub_response(r);
    assert_non_null(strstr(text, "\nnexte_slack_delivery_daemon_up 1\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_accepted_total counter\n"
                                 "nexte_slack_accepted_total 7\n"));
    assert_non_null(strstr(text, "\nnexte_slack_delivered_total 6\n"));
    assert_non_null(strstr(text, "\nnexte_slack_dead_lettered_total 0\n"));
    assert_non_null(strstr(text, "\nnexte_slack_queue_depth 3\n"));
    assert_non_null(strstr(text, "\nnexte_slack_queue_oldest_age_seconds 1.5\n"));
    assert_non_null(strstr(text, "\nnexte_slack_accounts_needing_reconnect 1\n"));
    assert_non_null(strstr(text, "nexte_slack_slack_errors_total{code=\"rate_limited\"} 2\n"));
    /* label values escape quote, backslash and newline */
    assert_non_null(strstr(text, "nexte_slack_slack_errors_total{code=\"we\\\"ird\\\\\\n\"} 1\n"));
    assert_non_null(strstr(text, "nexte_slack_delivery_latency_seconds_bucket{le=\"0.1\"} 4\n"
                                 "nexte_slack_delivery_latency_seconds_bucket{le=\"+Inf\"} 6\n"
                                 "nexte_slack_delivery_latency_seconds_sum 0.75\n"
                                 "nexte_slack_delivery_latency_seconds_count 6\n"));
}

/* Counters whose reals need 15 significant digits (0.005, 0.1, 1e-9,
 * 123.456), 16 (1/3) and 17 (0.1 + 0.2), as the daemon sends them. */
#define REALS_REPLY                                                                                \
    "{\"ok\":true,\"accepted\":7,\"queue_depth\":3,\"oldest_age_seconds\":0.005,"                  \
    "\"delivery_latency_seconds\":{\"le\":[0.1,\"+Inf\"],\"counts\":[1,2],\"sum\":1e-9,"           \
    "\"count\":2},\"scheduled_work\":{\"waiting\":0,\"recorded\":5,"                               \
    "\"failing_since_seconds\":0.30000000000000004},"                                              \
    "\"daemon\":{\"uptime_seconds\":123.456,\"third\":0.3333333333333333}}"

/* Reals as people read them: the fewest digits that read back as the same
 * double, not jansson's 17 (0.0050000000000000001); a whole real keeps
 * ".0", an integer stays an integer. */
static void json_reals_are_written_in_their_shortest_text(void **state)
{
    request_rec *r = status(state, "GET", "/status");
    const char *text;

    nxs_fake_daemon_reply(REALS_REPLY);
    assert_int_equal(glue_run(r), OK);
    text = nxs_stub_response(r);
    assert_non_null(strstr(text, "\"oldest_age_seconds\":0.005,"));
    assert_non_null(strstr(text, "\"le\":[0.1,\"+Inf\"],\"counts\":[1,2],\"sum\":1e-9,"));
    assert_non_null(strstr(text, "\"failing_since_seconds\":0.30000000000000004}"));
    assert_non_null(strstr(text, "\"uptime_seconds\":123.456,\"third\":0.3333333333333333}"));
    assert_non_null(strstr(text, "\"workers\":8,\"retry_window_seconds\":86400.0,"
                                 "\"retry_backoff_seconds\":{\"min\":1.0,\"max\":600.0}"));
    assert_non_null(strstr(text, "\"accepted\":7,\"queue_depth\":3,"));
    /* the same numbers read back */
    assert_true(json_real_value(nxs_json_path(glue_json(r), "counters.oldest_age_seconds")) ==
                0.005);
    assert_true(json_real_value(nxs_json_path(glue_json(r), "counters.daemon.third")) == 1.0 / 3.0);
}

static void prometheus_values_are_written_in_their_shortest_text(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=prometheus");
    const char *text;

    nxs_fake_daemon_reply(REALS_REPLY);
    assert_int_equal(glue_run(r), OK);
    text = nxs_stub_response(r);
    assert_non_null(strstr(text, "\nnexte_slack_queue_oldest_age_seconds 0.005\n"));
    assert_non_null(strstr(text, "nexte_slack_delivery_latency_seconds_bucket{le=\"0.1\"} 1\n"
                                 "nexte_slack_delivery_latency_seconds_bucket{le=\"+Inf\"} 2\n"
                                 "nexte_slack_delivery_latency_seconds_sum 1e-9\n"
                                 "nexte_slack_delivery_latency_seconds_count 2\n"));
    assert_non_null(strstr(text, "\nnexte_slack_accepted_total 7\n"));
    assert_non_null(strstr(text, "\nnexte_slack_scheduled_work_recorded_total 5\n"));
    assert_non_null(strstr(text, "\nnexte_slack_config_retry_window_seconds 86400\n"));
}

#define INTERACTIONS_REPLY                                                                         \
    "{\"ok\":true,\"interactions\":{\"clicks\":9,\"handled\":4,\"refused\":{"                      \
    "\"bad_signature\":2,\"unknown_delivery\":1},\"callbacks_pending\":1,"                         \
    "\"callbacks_failed\":3}}"

/* The interaction counters are the daemon's (every httpd child reports
 * to it): passed through as counters.interactions. */
static void json_has_the_daemons_interaction_counters(void **state)
{
    request_rec *r = status(state, "GET", "/status");

    nxs_fake_daemon_reply(INTERACTIONS_REPLY);
    assert_int_equal(glue_run(r), OK);
    assert_non_null(strstr(nxs_stub_response(r),
                           "\"counters\":{\"interactions\":{\"clicks\":9,\"handled\":4,"
                           "\"refused\":{\"bad_signature\":2,\"unknown_delivery\":1},"
                           "\"callbacks_pending\":1,\"callbacks_failed\":3}}"));
}

static void prometheus_has_the_interaction_counters(void **state)
{
    request_rec *r = status(state, "GET", "/status?format=prometheus");
    const char *text;

    nxs_fake_daemon_reply(INTERACTIONS_REPLY);
    assert_int_equal(glue_run(r), OK);
    text = nxs_stub_response(r);
    assert_non_null(strstr(text, "# HELP nexte_slack_interactions_clicks_total Slack button clicks "
                                 "received.\n# TYPE nexte_slack_interactions_clicks_total counter\n"
                                 "nexte_slack_interactions_clicks_total 9\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_interactions_handled_total counter\n"
                                 "nexte_slack_interactions_handled_total 4\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_interactions_refused_total counter\n"));
    assert_non_null(
        strstr(text, "\nnexte_slack_interactions_refused_total{code=\"bad_signature\"} 2\n"));
    assert_non_null(
        strstr(text, "\nnexte_slack_interactions_refused_total{code=\"unknown_delivery\"} 1\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_interactions_callbacks_pending gauge\n"
                                 "nexte_slack_interactions_callbacks_pending 1\n"));
    assert_non_null(strstr(text, "# TYPE nexte_slack_interactions_callbacks_failed_total counter\n"
                                 "nexte_slack_interactions_callbacks_failed_total 3\n"));
}

static void uptime_counts_from_httpds_last_restart(void **state)
{
    request_rec *r = status(state, "GET", "/status");
    global_score global;
    scoreboard sb;
    double up;

    memset(&global, 0, sizeof(global));
    memset(&sb, 0, sizeof(sb));
    global.restart_time = apr_time_now() - apr_time_from_sec(90);
    sb.global = &global;
    ap_scoreboard_image = &sb;
    assert_int_equal(glue_run(r), OK);
    ap_scoreboard_image = NULL;
    up = json_number_value(json_object_get(glue_json(r), "uptime_seconds"));
    assert_true(up >= 90.0 && up < 100.0);
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(post_is_405_allowing_get),
    GLUE_TEST(unknown_format_is_400),
    GLUE_TEST(json_with_the_daemon_down_is_degraded_with_the_effective_config),
    GLUE_TEST(json_with_the_daemon_up_is_ok_with_its_counters),
    GLUE_TEST(daemon_answering_not_ok_counts_as_down),
    GLUE_TEST(head_gets_the_headers_without_the_body),
    GLUE_TEST(uptime_counts_from_httpds_last_restart),
    GLUE_TEST(prometheus_with_the_daemon_down_has_build_config_and_up_0),
    GLUE_TEST(prometheus_with_the_daemon_up_has_counters_errors_and_latency),
    GLUE_TEST(json_reals_are_written_in_their_shortest_text),
    GLUE_TEST(prometheus_values_are_written_in_their_shortest_text),
    GLUE_TEST(json_has_the_daemons_interaction_counters),
    GLUE_TEST(prometheus_has_the_interaction_counters),
};

NXS_RUN_TESTS(tests)
