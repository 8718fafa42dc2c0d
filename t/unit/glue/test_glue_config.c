/* cfg/ through its public API and the httpd stub: every directive through
 * the module's command table (nxs_config_cmds) with good and bad values,
 * the refusal naming directive, value and expectation; the defaults; the
 * main-server-only directives refused in a <VirtualHost>; merging; and the
 * cross-directive rules of nxs_config_finish, also as the module's
 * check_config hook reports them.  Mirrors a part of t/config/directives.t
 * (which runs `httpd -t`) and adds cases it does not cover. */
#include "glue_test.h"

#include <http_log.h>

#define SECRET "inline-secret-0123456789"

static nxs_server_conf_t *conf(server_rec *s)
{
    return nxs_config_get(s);
}

/* Asserts MSG is "<DIRECTIVE>: invalid value '<VALUE>'; expected ..." and
 * that the expectation contains EXPECT. */
static void assert_refused(const char *msg, const char *directive, const char *value,
                           const char *expect)
{
    char want[512];

    assert_non_null(msg);
    snprintf(want, sizeof(want), "%s: invalid value '%s'; expected ", directive, value);
    if (strncmp(msg, want, strlen(want)) != 0 || !strstr(msg + strlen(want), expect)) {
        fail_msg("message \"%s\" is not \"%s...%s...\"", msg, want, expect);
    }
}

/* A main server with the three required directives set. */
static server_rec *configured_server(apr_pool_t *p, const char *dir)
{
    server_rec *s = nxs_stub_server(p);

    nxs_stub_set_runtime_dir(dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_EVENT_SECRET, SECRET, NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, glue_key_file(p, dir, 32), NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_APP_URL, "https://app.nexte.test", NULL));
    return s;
}

/* ---- good values are stored ---- */

static void good_values_are_stored_as_given_or_canonical(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    const char *secret_file =
        glue_write_file(p, dir, "secret", "file-secret-0123456789\n", 23, APR_FPROT_UREAD);
    server_rec *s = nxs_stub_server(p);
    nxs_server_conf_t *c = conf(s);

    nxs_stub_set_runtime_dir(dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_CLIENT_ID, "1111.2222", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_CLIENT_SECRET,
                                   apr_pstrcat(p, "file:", secret_file, NULL), NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_SIGNING_SECRET, SECRET, NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_EVENT_SECRET, SECRET, NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, glue_key_file(p, dir, 32), NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_PUBLIC_URL, "https://slack.nexte.test/", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_APP_URL, "http://app.nexte.test/x/", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_API_BASE, "http://127.0.0.1:9/api", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_AUTHORIZE_URL, "https://a.test/auth", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_QUEUE, "gdbm", "queue"));
    assert_null(nxs_stub_directive(s, p, NXS_D_WORKERS, "256", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_WINDOW, "20s", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "100ms", "2s"));
    assert_null(nxs_stub_directive(s, p, NXS_D_RECONNECT_GRACE, "30d", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_CALLBACK_URL, "https://core.test/cb", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_SETTINGS_PATH, "/custom/settings", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_OAUTH_PATH, "/custom/oauth", NULL));
    assert_null(
        nxs_stub_directive(s, p, NXS_D_RESPONSE_URL_BASE, "http://127.0.0.1:9/response/", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_CHANNEL_CACHE, "2m", "500"));

    assert_string_equal(c->client_id, "1111.2222");
    assert_int_equal(c->client_secret.len, 22); /* the trailing newline is not part of it */
    assert_memory_equal(c->client_secret.value, "file-secret-0123456789", 22);
    assert_string_equal(c->client_secret.path, secret_file);
    assert_int_equal(c->signing_secret.len, strlen(SECRET));
    assert_null(c->signing_secret.path);
    assert_true(c->token_key_set);
    assert_memory_equal(c->token_key, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 32);
    /* URLs lose their trailing slash so that callers can append "/path" */
    assert_string_equal(c->public_url, "https://slack.nexte.test");
    assert_string_equal(c->app_url, "http://app.nexte.test/x");
    assert_string_equal(c->api_base, "http://127.0.0.1:9/api");
    assert_string_equal(GLUE_MOD(c)->queue_type, "GDBM");
    assert_string_equal(GLUE_MOD(c)->queue_path, apr_pstrcat(p, dir, "/queue", NULL));
    assert_int_equal(GLUE_MOD(c)->workers, 256);
    assert_true(c->retry_window == apr_time_from_sec(20));
    assert_true(c->backoff_min == apr_time_from_msec(100));
    assert_true(c->backoff_max == apr_time_from_sec(2));
    assert_true(c->reconnect_grace == apr_time_from_sec(30 * 24 * 3600));
    assert_string_equal(c->settings_path, "/custom/settings");
    assert_string_equal(c->oauth_path, "/custom/oauth");
    assert_string_equal(c->response_url_base, "http://127.0.0.1:9/response");
    assert_true(c->channel_cache_ttl == apr_time_from_sec(120));
    assert_int_equal(c->channel_cache_max, 500);
    assert_true(nxs_config_https(c));
    assert_null(nxs_config_finish(c, s, p));
    /* the module is in use here: its required directives were checked */
    assert_true(c->configured);
    assert_string_equal(GLUE_MOD(c)->socket_path, apr_pstrcat(p, dir, "/queue.sock", NULL));
    assert_string_equal(nxs_stub_log(), "");
}

static void relative_key_file_is_under_the_server_root(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *s = nxs_stub_server(p);

    glue_key_file(p, dir, 32);
    nxs_stub_set_server_root(dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, "key32", NULL));
    assert_string_equal(conf(s)->token_key_path, apr_pstrcat(p, dir, "/key32", NULL));
}

static void world_readable_secret_and_key_files_are_warned_about(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    const char *secret_file = glue_write_file(p, dir, "public", "file-secret-0123456789\n", 23,
                                              APR_FPROT_UREAD | APR_FPROT_GREAD | APR_FPROT_WREAD);
    const char *key = glue_key_file(p, dir, 32);
    server_rec *s = nxs_stub_server(p);

    apr_file_perms_set(key, APR_FPROT_UREAD | APR_FPROT_WREAD);
    assert_null(nxs_stub_directive(s, p, NXS_D_CLIENT_SECRET,
                                   apr_pstrcat(p, "file:", secret_file, NULL), NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, key, NULL));
    assert_true(nxs_stub_log_has(apr_pstrcat(p, "warn: " NXS_D_CLIENT_SECRET ": ", secret_file,
                                             " is readable by every user; restrict it (chmod "
                                             "0400, owned by root)",
                                             NULL)));
    assert_true(nxs_stub_log_has(apr_pstrcat(p, "warn: " NXS_D_TOKEN_KEY_FILE ": ", key,
                                             " is readable by every user; restrict it (chmod "
                                             "0400, owned by root)",
                                             NULL)));
}

/* Plain http to another host sends secrets in clear: a warning naming the
 * directive, the value and what travels; loopback (tests, the mock) and
 * https are silent. */
static void cleartext_urls_carrying_secrets_are_warned_about(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_null(nxs_stub_directive(s, p, NXS_D_API_BASE, "http://slack.example/api", NULL));
    assert_null(
        nxs_stub_directive(s, p, NXS_D_AUTHORIZE_URL, "HTTP://10.0.0.7/oauth/authorize", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_CALLBACK_URL, "http://127.core.example/cb", NULL));
    assert_string_equal(
        nxs_stub_log(),
        "warn: NXS00170: " NXS_D_API_BASE ": http://slack.example/api is plain http to a host "
        "that is not loopback: Slack's bot tokens and the app's client secret would travel in "
        "clear; use https://\n"
        "warn: NXS00170: " NXS_D_AUTHORIZE_URL ": HTTP://10.0.0.7/oauth/authorize is plain http "
        "to a host that is not loopback: the install's signed OAuth state would travel in clear; "
        "use https://\n"
        "warn: NXS00170: " NXS_D_CALLBACK_URL ": http://127.core.example/cb is plain http to a "
        "host that is not loopback: the reports to Nexte core and their signatures would travel "
        "in clear; use https://");
}

static void cleartext_urls_to_loopback_and_https_urls_are_silent(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    const char *quiet[] = {"http://127.0.0.1:8080/api", "http://127.9.8.7/x", "http://[::1]:9/",
                           "http://localhost:8081/cb", "https://slack.example/api"};
    const char *directives[] = {NXS_D_API_BASE, NXS_D_AUTHORIZE_URL, NXS_D_CALLBACK_URL};
    size_t i, d;

    for (d = 0; d < sizeof(directives) / sizeof(directives[0]); ++d) {
        for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); ++i) {
            assert_null(nxs_stub_directive(s, p, directives[d], quiet[i], NULL));
        }
    }
    /* the other URLs carry no secret */
    assert_null(nxs_stub_directive(s, p, NXS_D_APP_URL, "http://app.example", NULL));
    assert_string_equal(nxs_stub_log(), "");
}

/* ---- bad values are refused with directive, value and expectation ---- */

static void client_id_must_be_two_numbers_joined_by_a_dot(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    static const char *const bad[] = {"my-app", ".123", "123.", "1.2.3", "12a.3", "123", ""};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_refused(nxs_stub_directive(s, p, NXS_D_CLIENT_ID, bad[i], NULL), NXS_D_CLIENT_ID,
                       bad[i], "a Slack client ID such as 1234567890.1234567890");
    }
    assert_null(conf(s)->client_id);
}

static void inline_secret_too_short_is_refused_without_echoing_it(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    const char *msg = nxs_stub_directive(s, p, NXS_D_EVENT_SECRET, "short-secret", NULL);

    assert_refused(msg, NXS_D_EVENT_SECRET, "(inline secret, not shown)",
                   "a secret of at least 16 bytes");
    assert_null(strstr(msg, "short-secret"));
}

static void secret_files_must_be_absolute_and_readable(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_refused(nxs_stub_directive(s, p, NXS_D_SIGNING_SECRET, "file:/nonexistent/secret", NULL),
                   NXS_D_SIGNING_SECRET, "file:/nonexistent/secret", "a readable file");
    assert_refused(nxs_stub_directive(s, p, NXS_D_CLIENT_SECRET, "file:relative", NULL),
                   NXS_D_CLIENT_SECRET, "file:relative", "file: followed by an absolute path");
}

static void token_key_file_must_hold_exactly_32_bytes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *s = nxs_stub_server(p);
    const char *k31 = glue_key_file(p, dir, 31), *k64 = glue_key_file(p, dir, 64);
    const char *missing = apr_pstrcat(p, dir, "/absent", NULL);

    assert_refused(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, k31, NULL), NXS_D_TOKEN_KEY_FILE,
                   k31, "a file of exactly 32 random bytes");
    assert_refused(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, k64, NULL), NXS_D_TOKEN_KEY_FILE,
                   k64, "a file of exactly 32 random bytes");
    assert_refused(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, missing, NULL),
                   NXS_D_TOKEN_KEY_FILE, missing, "");
    assert_false(conf(s)->token_key_set);
}

static void urls_must_be_absolute_http_without_query_or_user(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_refused(nxs_stub_directive(s, p, NXS_D_APP_URL, "ftp://files.nexte.test", NULL),
                   NXS_D_APP_URL, "ftp://files.nexte.test", "an http:// or https:// URL");
    assert_refused(nxs_stub_directive(s, p, NXS_D_API_BASE, "slack.com/api", NULL), NXS_D_API_BASE,
                   "slack.com/api", "an absolute URL");
    assert_refused(
        nxs_stub_directive(s, p, NXS_D_CALLBACK_URL, "https://core.nexte.test/cb?x=1", NULL),
        NXS_D_CALLBACK_URL, "https://core.nexte.test/cb?x=1",
        "a URL without user info, query, fragment or white space");
    assert_refused(nxs_stub_directive(s, p, NXS_D_PUBLIC_URL, "https://u:pw@h.test", NULL),
                   NXS_D_PUBLIC_URL, "https://u:pw@h.test", "without user info");
    assert_refused(nxs_stub_directive(s, p, NXS_D_AUTHORIZE_URL, "https://h.test/#frag", NULL),
                   NXS_D_AUTHORIZE_URL, "https://h.test/#frag", "fragment");
    assert_refused(nxs_stub_directive(s, p, NXS_D_RESPONSE_URL_BASE, "hooks.slack.com", NULL),
                   NXS_D_RESPONSE_URL_BASE, "hooks.slack.com", "an absolute URL");
    assert_null(conf(s)->response_url_base);
    assert_null(conf(s)->app_url);
    assert_null(conf(s)->public_url);
}

static void settings_path_must_be_a_bare_url_path(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    static const char *const bad[] = {
        "slack/settings", "//host/settings", "/a?b=1", "/a#top", "/a b", "/a\\b"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_refused(nxs_stub_directive(s, p, NXS_D_SETTINGS_PATH, bad[i], NULL),
                       NXS_D_SETTINGS_PATH, bad[i], "a URL path such as /slack/settings");
        assert_refused(nxs_stub_directive(s, p, NXS_D_OAUTH_PATH, bad[i], NULL), NXS_D_OAUTH_PATH,
                       bad[i], "a URL path such as /slack/oauth");
    }
    assert_null(conf(s)->settings_path);
    assert_null(conf(s)->oauth_path);
}

static void queue_type_must_be_gdbm_or_db_and_path_a_file(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_refused(nxs_stub_directive(s, p, NXS_D_QUEUE, "SDBM", "/tmp/q"), NXS_D_QUEUE, "SDBM",
                   "GDBM or DB (SDBM limits each record to 1008 bytes");
    assert_refused(nxs_stub_directive(s, p, NXS_D_QUEUE, "NDBM", "/tmp/q"), NXS_D_QUEUE, "NDBM",
                   "GDBM or DB");
    assert_refused(nxs_stub_directive(s, p, NXS_D_QUEUE, "GDBM", "/tmp/dir/"), NXS_D_QUEUE,
                   "/tmp/dir/", "a file path (relative paths are under the runtime dir)");
    assert_refused(nxs_stub_directive(s, p, NXS_D_QUEUE, "GDBM", ""), NXS_D_QUEUE, "",
                   "a file path");
}

static void workers_must_be_a_whole_number_from_1_to_256(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    static const char *const bad[] = {"0", "257", "eight", "", "8x", "-1", "99999999999999999999"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_refused(nxs_stub_directive(s, p, NXS_D_WORKERS, bad[i], NULL), NXS_D_WORKERS, bad[i],
                       "a whole number from 1 to 256");
    }
    assert_null(nxs_stub_directive(s, p, NXS_D_WORKERS, "1", NULL));
    assert_int_equal(GLUE_MOD(conf(s))->workers, 1);
}

static void durations_need_a_unit_and_at_most_a_year(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_refused(nxs_stub_directive(s, p, NXS_D_RETRY_WINDOW, "10", NULL), NXS_D_RETRY_WINDOW,
                   "10",
                   "a duration with a unit (ms, s, m, h or d), e.g. 30s or 24h (at most 365d)");
    assert_refused(nxs_stub_directive(s, p, NXS_D_RECONNECT_GRACE, "30x", NULL),
                   NXS_D_RECONNECT_GRACE, "30x", "a duration with a unit");
    assert_refused(nxs_stub_directive(s, p, NXS_D_RECONNECT_GRACE, "-1d", NULL),
                   NXS_D_RECONNECT_GRACE, "-1d", "a duration with a unit");
    assert_refused(nxs_stub_directive(s, p, NXS_D_RETRY_WINDOW, "400d", NULL), NXS_D_RETRY_WINDOW,
                   "400d", "at most 365d");
    assert_refused(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "1s", "soon"), NXS_D_RETRY_BACKOFF,
                   "soon", "a duration with a unit");
}

/* NexteSlackChannelCache TTL [MAX]: 1s to 1h, 1 to 100000 channels; MAX
 * may be left out (the default, or what the main server set). */
static void channel_cache_takes_a_ttl_up_to_an_hour_and_a_channel_cap(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    static const char *const bad_ttl[] = {"0s", "500ms", "2h", "60", "soon"};
    static const char *const bad_max[] = {"0", "-5", "100001", "1e3", "lots"};
    size_t i;

    for (i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); ++i) {
        assert_refused(nxs_stub_directive(s, p, NXS_D_CHANNEL_CACHE, bad_ttl[i], NULL),
                       NXS_D_CHANNEL_CACHE, bad_ttl[i], "a duration from 1s to 1h, e.g. 60s");
    }
    for (i = 0; i < sizeof(bad_max) / sizeof(bad_max[0]); ++i) {
        assert_refused(nxs_stub_directive(s, p, NXS_D_CHANNEL_CACHE, "60s", bad_max[i]),
                       NXS_D_CHANNEL_CACHE, bad_max[i],
                       "a whole number of channels from 1 to 100000");
    }
    assert_null(nxs_stub_directive(s, p, NXS_D_CHANNEL_CACHE, "1h", "100000"));
    assert_int_equal(conf(s)->channel_cache_max, 100000);
    assert_null(nxs_stub_directive(s, p, NXS_D_CHANNEL_CACHE, "1s", NULL));
    assert_true(conf(s)->channel_cache_ttl == apr_time_from_sec(1));
    assert_int_equal(conf(s)->channel_cache_max, 100000);
}

static void backoff_min_above_max_names_both_values(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    assert_string_equal(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "10s", "1s"),
                        "NexteSlackRetryBackoff: invalid value '10s 1s'; expected MIN MAX with "
                        "MIN <= MAX");
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "1s", "1s"));
}

static void queue_and_workers_are_refused_in_a_virtual_host(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *main = nxs_stub_server(p);
    server_rec *v = nxs_stub_vhost(p, main, "v.test");

    assert_string_equal(nxs_stub_directive(v, p, NXS_D_QUEUE, "GDBM", "/tmp/q"),
                        "NexteSlackQueue: only allowed in the main server configuration, not "
                        "inside <VirtualHost> (one delivery queue serves the whole server)");
    assert_string_equal(nxs_stub_directive(v, p, NXS_D_WORKERS, "2", NULL),
                        "NexteSlackWorkers: only allowed in the main server configuration, not "
                        "inside <VirtualHost> (one delivery queue serves the whole server)");
    /* every other directive is per server */
    assert_null(nxs_stub_directive(v, p, NXS_D_RETRY_WINDOW, "1h", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_CLIENT_ID, "1.2", NULL));
}

/* ---- defaults and finish's rules ---- */

static void unconfigured_server_gets_the_defaults_and_no_requirement(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    nxs_server_conf_t *c = conf(s);

    nxs_stub_set_runtime_dir("/run/test");
    assert_false(c->configured);
    assert_null(nxs_config_finish(c, s, p));
    assert_string_equal(c->api_base, NXS_DEFAULT_API_BASE);
    assert_string_equal(c->authorize_url, NXS_DEFAULT_AUTHORIZE_URL);
    assert_string_equal(GLUE_MOD(c)->queue_type, "GDBM");
    assert_string_equal(GLUE_MOD(c)->queue_path, "/run/test/nexte_slack_queue");
    assert_string_equal(GLUE_MOD(c)->socket_path, "/run/test/nexte_slack_queue.sock");
    assert_int_equal(GLUE_MOD(c)->workers, 8);
    assert_true(c->retry_window == apr_time_from_sec(24 * 3600));
    assert_true(c->backoff_min == apr_time_from_sec(1));
    assert_true(c->backoff_max == apr_time_from_sec(600));
    assert_true(c->reconnect_grace == apr_time_from_sec(30 * 24 * 3600));
    assert_string_equal(c->settings_path, "/slack/settings");
    assert_string_equal(c->oauth_path, "/slack/oauth");
    assert_string_equal(c->response_url_base, "https://hooks.slack.com");
    assert_true(c->channel_cache_ttl == apr_time_from_sec(60));
    assert_int_equal(c->channel_cache_max, 20000);
    assert_null(c->app_url);
    assert_false(nxs_config_https(c));
}

static void configured_server_needs_event_secret_token_key_and_app_url(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    const char *key = glue_key_file(p, dir, 32);
    server_rec *s = nxs_stub_server(p);

    nxs_stub_set_runtime_dir(dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_WORKERS, "2", NULL));
    assert_string_equal(nxs_config_finish(conf(s), s, p),
                        "NexteSlackEventSecret is required to authenticate Nexte core (main "
                        "server configuration)");
    assert_null(nxs_stub_directive(s, p, NXS_D_EVENT_SECRET, SECRET, NULL));
    assert_string_equal(nxs_config_finish(conf(s), s, p),
                        "NexteSlackTokenKeyFile is required to encrypt Slack tokens at rest (main "
                        "server configuration)");
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, key, NULL));
    assert_string_equal(nxs_config_finish(conf(s), s, p),
                        "NexteSlackAppURL is required to link messages to Nexte records (main "
                        "server configuration)");
    assert_null(nxs_stub_directive(s, p, NXS_D_APP_URL, "https://app.test", NULL));
    assert_null(nxs_config_finish(conf(s), s, p));
}

static void oauth_needs_client_id_secret_and_public_url_together(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    struct {
        const char *id, *secret, *url, *want;
    } cases[] = {
        {"1.2", NULL, NULL, "NexteSlackClientSecret is required for the Slack OAuth install"},
        {"1.2", SECRET, NULL, "NexteSlackPublicURL is required to build the OAuth redirect_uri"},
        {NULL, SECRET, "https://x.test", "NexteSlackClientID is required for the Slack OAuth"},
        {NULL, NULL, "https://x.test", "NexteSlackClientID is required for the Slack OAuth"},
        {"1.2", SECRET, "https://x.test", NULL},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        server_rec *s = configured_server(p, dir);
        const char *err;
        if (cases[i].id) {
            assert_null(nxs_stub_directive(s, p, NXS_D_CLIENT_ID, cases[i].id, NULL));
        }
        if (cases[i].secret) {
            assert_null(nxs_stub_directive(s, p, NXS_D_CLIENT_SECRET, cases[i].secret, NULL));
        }
        if (cases[i].url) {
            assert_null(nxs_stub_directive(s, p, NXS_D_PUBLIC_URL, cases[i].url, NULL));
        }
        err = nxs_config_finish(conf(s), s, p);
        if (!cases[i].want) {
            assert_null(err);
        } else if (!err || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
            fail_msg("case %u: \"%s\" does not start with \"%s\"", (unsigned)i,
                     err ? err : "(null)", cases[i].want);
        }
    }
}

static void backoff_max_must_fit_in_the_retry_window(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *s = configured_server(p, dir);

    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_WINDOW, "1h", NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "1s", "2h"));
    assert_string_equal(nxs_config_finish(conf(s), s, p),
                        "NexteSlackRetryBackoff: the maximum backoff 2h exceeds "
                        "NexteSlackRetryWindow 1h; expected MAX <= the retry window");

    /* against the default window of 24h too, and equal is fine */
    s = configured_server(p, dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "1s", "25h"));
    assert_non_null(strstr(nxs_config_finish(conf(s), s, p), "exceeds NexteSlackRetryWindow 1d"));
    s = configured_server(p, dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_RETRY_BACKOFF, "1s", "24h"));
    assert_null(nxs_config_finish(conf(s), s, p));
}

static void queue_directory_must_exist_and_its_socket_fit(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *s = configured_server(p, dir);
    char longname[120];

    assert_null(nxs_stub_directive(s, p, NXS_D_QUEUE, "GDBM", "/nonexistent/dir/q"));
    assert_string_equal(nxs_config_finish(conf(s), s, p),
                        "NexteSlackQueue: invalid value 'GDBM /nonexistent/dir/q'; expected a "
                        "path in an existing directory (/nonexistent/dir does not exist)");

    memset(longname, 'q', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    s = configured_server(p, dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_QUEUE, "GDBM", longname));
    assert_non_null(
        strstr(nxs_config_finish(conf(s), s, p), "expected at most 95 characters (its socket "));
}

static void finish_derives_distinct_keys_from_the_event_secret(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *a = configured_server(p, dir), *b = configured_server(p, dir);
    static const unsigned char zero[32];

    assert_null(nxs_config_finish(conf(a), a, p));
    assert_null(nxs_config_finish(conf(b), b, p));
    assert_memory_not_equal(conf(a)->session_key, zero, 32);
    assert_memory_not_equal(conf(a)->session_key, conf(a)->csrf_key, 32);
    assert_memory_not_equal(conf(a)->session_key, conf(a)->state_key, 32);
    assert_memory_not_equal(conf(a)->csrf_key, conf(a)->state_key, 32);
    /* the same secret gives the same keys: every child and restart agrees */
    assert_memory_equal(conf(a)->session_key, conf(b)->session_key, 32);
    assert_memory_equal(conf(a)->state_key, conf(b)->state_key, 32);
}

/* ---- virtual hosts ---- */

static void vhost_inherits_what_it_does_not_set_and_overrides_what_it_does(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *main = configured_server(p, dir);
    server_rec *v = nxs_stub_vhost(p, main, "v.test");
    server_rec *plain = nxs_stub_vhost(p, main, "plain.test");
    nxs_server_conf_t *mc, *vc, *pc;

    assert_null(nxs_stub_directive(main, p, NXS_D_QUEUE, "DB", "q"));
    assert_null(nxs_stub_directive(main, p, NXS_D_WORKERS, "3", NULL));
    assert_null(nxs_stub_directive(main, p, NXS_D_RETRY_WINDOW, "2h", NULL));
    assert_null(nxs_stub_directive(main, p, NXS_D_SETTINGS_PATH, "/main/settings", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_APP_URL, "https://other.test", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_RETRY_WINDOW, "3h", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_SIGNING_SECRET, "vhost-signing-secret-0123", NULL));
    assert_null(nxs_stub_directive(main, p, NXS_D_CHANNEL_CACHE, "5m", "3000"));
    assert_null(nxs_stub_directive(v, p, NXS_D_CHANNEL_CACHE, "2s", NULL));
    nxs_stub_merge_vhosts(p, main);
    mc = conf(main);
    vc = conf(v);
    pc = conf(plain);

    assert_string_equal(vc->app_url, "https://other.test");
    assert_true(vc->retry_window == apr_time_from_sec(2 * 3600 + 3600));
    assert_int_equal(vc->signing_secret.len, strlen("vhost-signing-secret-0123"));
    assert_null(mc->signing_secret.value);
    /* inherited */
    assert_memory_equal(vc->event_secret.value, SECRET, strlen(SECRET));
    assert_true(vc->token_key_set);
    assert_memory_equal(vc->token_key, mc->token_key, 32);
    assert_string_equal(vc->settings_path, "/main/settings");
    /* the TTL its own, the cap the main server's */
    assert_true(vc->channel_cache_ttl == apr_time_from_sec(2));
    assert_int_equal(vc->channel_cache_max, 3000);
    assert_string_equal(GLUE_MOD(vc)->queue_type, "DB");
    assert_string_equal(GLUE_MOD(vc)->queue_path, GLUE_MOD(mc)->queue_path);
    assert_int_equal(GLUE_MOD(vc)->workers, 3);
    /* a vhost without any directive is the main server's config */
    assert_string_equal(pc->app_url, "https://app.nexte.test");
    assert_true(pc->retry_window == apr_time_from_sec(2 * 3600));
    assert_null(nxs_config_finish(mc, main, p));
    assert_null(nxs_config_finish(vc, v, p));
    assert_null(nxs_config_finish(pc, plain, p));
    /* both use the module, the second through what it inherits */
    assert_true(vc->configured);
    assert_true(pc->configured);
    assert_string_equal(GLUE_MOD(vc)->socket_path, GLUE_MOD(mc)->socket_path);
}

static void vhost_rules_are_checked_on_its_merged_config_and_named(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *main = configured_server(p, dir);
    server_rec *v = nxs_stub_vhost(p, main, "v.test");

    assert_null(nxs_stub_directive(main, p, NXS_D_RETRY_WINDOW, "1h", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_CLIENT_ID, "1111.2222", NULL));
    assert_null(nxs_stub_directive(v, p, NXS_D_RETRY_BACKOFF, "1s", "2h"));
    nxs_stub_merge_vhosts(p, main);
    assert_null(nxs_config_finish(conf(main), main, p));
    assert_string_equal(nxs_config_finish(conf(v), v, p),
                        "NexteSlackClientSecret is required for the Slack OAuth install (virtual "
                        "host v.test defined at stub.conf:10)");
}

static void vhost_of_an_unconfigured_main_server_must_be_complete(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *main = nxs_stub_server(p);
    server_rec *v = nxs_stub_vhost(p, main, "v.test");

    assert_null(nxs_stub_directive(v, p, NXS_D_APP_URL, "https://app.test", NULL));
    nxs_stub_merge_vhosts(p, main);
    assert_null(nxs_config_finish(conf(main), main, p));
    assert_string_equal(nxs_config_finish(conf(v), v, p),
                        "NexteSlackEventSecret is required to authenticate Nexte core (virtual "
                        "host v.test defined at stub.conf:10)");
}

/* ---- through the module's check_config hook (mod_nexte_slack.c) ---- */

static void check_config_hook_fails_startup_with_the_first_message(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *dir = glue_temp_dir(p);
    server_rec *main = configured_server(p, dir);
    server_rec *v = nxs_stub_vhost(p, main, "v.test");
    nxs_stub_config_fn check;

    nxs_stub_register_module(p);
    check = nxs_stub_hooked_check_config();
    assert_non_null(check);
    nxs_stub_merge_vhosts(p, main);
    assert_int_equal(check(p, p, p, main), OK);
    assert_string_equal(nxs_stub_log(), "");

    main = configured_server(p, dir);
    v = nxs_stub_vhost(p, main, "v.test");
    assert_null(nxs_stub_directive(v, p, NXS_D_PUBLIC_URL, "https://v.test", NULL));
    nxs_stub_merge_vhosts(p, main);
    assert_int_not_equal(check(p, p, p, main), OK);
    assert_string_equal(nxs_stub_log(),
                        "crit: mod_nexte_slack: NexteSlackClientID is required for the Slack "
                        "OAuth install (virtual host v.test defined at stub.conf:10)");
}

/* ---- the command table itself ---- */

static void module_record_serves_the_config_command_table(void **state)
{
    assert_ptr_equal(nexte_slack_module.cmds, nxs_config_cmds);
    assert_ptr_equal(nexte_slack_module.create_server_config, nxs_config_create_server);
    assert_ptr_equal(nexte_slack_module.merge_server_config, nxs_config_merge_server);
}

/* Every directive of the table has good and bad values tested above: a new
 * one fails here until it is added to this list and tested. */
static void every_directive_of_the_table_is_tested_here(void **state)
{
    static const char *const tested[] = {
        NXS_D_CLIENT_ID,     NXS_D_CLIENT_SECRET,   NXS_D_SIGNING_SECRET,
        NXS_D_EVENT_SECRET,  NXS_D_TOKEN_KEY_FILE,  NXS_D_PUBLIC_URL,
        NXS_D_APP_URL,       NXS_D_API_BASE,        NXS_D_AUTHORIZE_URL,
        NXS_D_QUEUE,         NXS_D_WORKERS,         NXS_D_RETRY_WINDOW,
        NXS_D_RETRY_BACKOFF, NXS_D_RECONNECT_GRACE, NXS_D_CALLBACK_URL,
        NXS_D_SETTINGS_PATH, NXS_D_OAUTH_PATH,      NXS_D_RESPONSE_URL_BASE,
        NXS_D_CHANNEL_CACHE,
    };
    const command_rec *c;
    size_t i, n = 0;

    for (c = nxs_config_cmds; c->name; ++c, ++n) {
        for (i = 0; i < sizeof(tested) / sizeof(tested[0]); ++i) {
            if (strcmp(c->name, tested[i]) == 0) {
                break;
            }
        }
        if (i == sizeof(tested) / sizeof(tested[0])) {
            fail_msg("directive %s has no unit test in test_glue_config.c", c->name);
        }
        /* every directive is server-wide: no .htaccess, no <Directory> */
        assert_int_equal(c->req_override, RSRC_CONF);
        assert_non_null(c->errmsg);
    }
    assert_int_equal(n, sizeof(tested) / sizeof(tested[0]));
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(module_record_serves_the_config_command_table),
    GLUE_TEST(every_directive_of_the_table_is_tested_here),
    GLUE_TEST(good_values_are_stored_as_given_or_canonical),
    GLUE_TEST(relative_key_file_is_under_the_server_root),
    GLUE_TEST(world_readable_secret_and_key_files_are_warned_about),
    GLUE_TEST(cleartext_urls_carrying_secrets_are_warned_about),
    GLUE_TEST(cleartext_urls_to_loopback_and_https_urls_are_silent),
    GLUE_TEST(client_id_must_be_two_numbers_joined_by_a_dot),
    GLUE_TEST(inline_secret_too_short_is_refused_without_echoing_it),
    GLUE_TEST(secret_files_must_be_absolute_and_readable),
    GLUE_TEST(token_key_file_must_hold_exactly_32_bytes),
    GLUE_TEST(urls_must_be_absolute_http_without_query_or_user),
    GLUE_TEST(settings_path_must_be_a_bare_url_path),
    GLUE_TEST(queue_type_must_be_gdbm_or_db_and_path_a_file),
    GLUE_TEST(workers_must_be_a_whole_number_from_1_to_256),
    GLUE_TEST(durations_need_a_unit_and_at_most_a_year),
    GLUE_TEST(channel_cache_takes_a_ttl_up_to_an_hour_and_a_channel_cap),
    GLUE_TEST(backoff_min_above_max_names_both_values),
    GLUE_TEST(queue_and_workers_are_refused_in_a_virtual_host),
    GLUE_TEST(unconfigured_server_gets_the_defaults_and_no_requirement),
    GLUE_TEST(configured_server_needs_event_secret_token_key_and_app_url),
    GLUE_TEST(oauth_needs_client_id_secret_and_public_url_together),
    GLUE_TEST(backoff_max_must_fit_in_the_retry_window),
    GLUE_TEST(queue_directory_must_exist_and_its_socket_fit),
    GLUE_TEST(finish_derives_distinct_keys_from_the_event_secret),
    GLUE_TEST(vhost_inherits_what_it_does_not_set_and_overrides_what_it_does),
    GLUE_TEST(vhost_rules_are_checked_on_its_merged_config_and_named),
    GLUE_TEST(vhost_of_an_unconfigured_main_server_must_be_complete),
    GLUE_TEST(check_config_hook_fails_startup_with_the_first_message),
};

NXS_RUN_TESTS(tests)
