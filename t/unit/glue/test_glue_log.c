/* nxs_log_httpd.c through the httpd stub: the core's messages reach
 * httpd's error log (ap_log_error, captured by the stub) with their level,
 * tag and status, filtered by the server's LogLevel including the
 * per-module `LogLevel warn nexte_slack:trace2` form, and the sink goes away
 * with its pool.  The tags are test-only (t/ is not scanned by
 * build/check-log-tags). */
#include "glue_test.h"

#include <http_log.h>

#include "nxs_log.h"
#include "nxs_log_httpd.h"

/* Points the core's log at S's error log for the life of a subpool of P;
 * returns the subpool. */
static apr_pool_t *httpd_sink(apr_pool_t *p, server_rec *s)
{
    apr_pool_t *sub = NULL;

    assert_int_equal(apr_pool_create(&sub, p), APR_SUCCESS);
    nxs_log_httpd_init(s, sub);
    return sub;
}

static void core_messages_reach_the_error_log_with_level_tag_and_status(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    apr_pool_t *sub = httpd_sink(p, s);

    NXS_LOG(NXS_LOG_WARNING, 0, "NXS91001", "queue %s is %d%% full", "q", 90);
    NXS_LOG(NXS_LOG_TRACE2, APR_ENOENT, "NXS91002", "channel %s", "C1");
    assert_string_equal(nxs_stub_log(), "warn: NXS91001: queue q is 90% full\n"
                                        "trace2: (2)No such file or directory: NXS91002: "
                                        "channel C1");
    apr_pool_destroy(sub);
}

static void server_log_level_decides_what_the_core_shows(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    apr_pool_t *sub = httpd_sink(p, s);

    s->log.level = APLOG_INFO;
    assert_true(nxs_log_is_level(NXS_LOG_INFO));
    assert_false(nxs_log_is_level(NXS_LOG_DEBUG));
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS91003", "hidden");
    NXS_LOG(NXS_LOG_INFO, 0, "NXS91004", "shown");
    assert_string_equal(nxs_stub_log(), "info: NXS91004: shown");
    apr_pool_destroy(sub);
}

static void module_log_level_overrides_the_servers(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    apr_pool_t *sub = httpd_sink(p, s);
    signed char *levels = apr_palloc(p, 4);

    /* LogLevel warn nexte_slack:trace2 */
    memset(levels, -1, 4);
    levels[nexte_slack_module.module_index] = APLOG_TRACE2;
    s->log.level = APLOG_WARNING;
    s->log.module_levels = levels;
    NXS_LOG(NXS_LOG_TRACE2, 0, "NXS91005", "why a channel waits");
    NXS_LOG(NXS_LOG_TRACE3, 0, "NXS91006", "too fine");
    assert_string_equal(nxs_stub_log(), "trace2: NXS91005: why a channel waits");
    apr_pool_destroy(sub);
}

static void sink_goes_away_with_its_pool(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    apr_pool_destroy(httpd_sink(p, s));
    assert_false(nxs_log_is_level(NXS_LOG_EMERG));
    NXS_LOG(NXS_LOG_EMERG, 0, "NXS91007", "nowhere");
    assert_string_equal(nxs_stub_log(), "");
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(core_messages_reach_the_error_log_with_level_tag_and_status),
    GLUE_TEST(server_log_level_decides_what_the_core_shows),
    GLUE_TEST(module_log_level_overrides_the_servers),
    GLUE_TEST(sink_goes_away_with_its_pool),
};

NXS_RUN_TESTS(tests)
