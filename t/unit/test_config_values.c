/* The httpd-free checks behind directive validation: secrets, the token key
 * file, URLs and the queue's DBM type. */
#include "nxs_test.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <string.h>
#include <sys/stat.h>

#include "queue/nxs_queue_spec.h"
#include "security/nxs_secret.h"
#include "nxs_url.h"

/* Writes LEN bytes of DATA to a new temp file with MODE; returns its path. */
static const char *temp_file(apr_pool_t *p, const void *data, apr_size_t len, int mode)
{
    char *path = apr_pstrdup(p, "/tmp/nxs-unit-XXXXXX");
    apr_file_t *f = NULL;
    apr_size_t n = len;

    assert_int_equal(apr_file_mktemp(&f, path,
                                     APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
                                         APR_FOPEN_DELONCLOSE * 0,
                                     p),
                     APR_SUCCESS);
    assert_int_equal(apr_file_write_full(f, data, len, &n), APR_SUCCESS);
    apr_file_close(f);
    chmod(path, (mode_t)mode);
    return path;
}

static void inline_secret_is_taken_as_is(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_secret_t s;
    const char *why = NULL;

    assert_int_equal(nxs_secret_load(&s, &why, "0123456789abcdef", 16, p), APR_SUCCESS);
    assert_string_equal(s.value, "0123456789abcdef");
    assert_null(s.path);
    assert_int_equal(nxs_secret_load(&s, &why, "short", 16, p), APR_EINVAL);
    assert_non_null(strstr(why, "at least 16 bytes"));
}

static void file_secret_drops_one_final_newline(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = temp_file(p, "s3cr3t-s3cr3t-s3cr3t\r\n", 22, 0600);
    nxs_secret_t s;
    const char *why = NULL;

    assert_int_equal(nxs_secret_load(&s, &why, apr_pstrcat(p, "file:", path, NULL), 16, p),
                     APR_SUCCESS);
    assert_string_equal(s.value, "s3cr3t-s3cr3t-s3cr3t");
    assert_int_equal(s.len, 20);
    assert_string_equal(s.path, path);
    assert_false(s.world_readable);
    apr_file_remove(path, p);
}

static void file_secret_reports_world_readable_and_missing_files(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = temp_file(p, "0123456789abcdef0123", 20, 0644);
    nxs_secret_t s;
    const char *why = NULL;

    assert_int_equal(nxs_secret_load(&s, &why, apr_pstrcat(p, "file:", path, NULL), 16, p),
                     APR_SUCCESS);
    assert_true(s.world_readable);
    apr_file_remove(path, p);
    assert_int_not_equal(nxs_secret_load(&s, &why, apr_pstrcat(p, "file:", path, NULL), 16, p),
                         APR_SUCCESS);
    assert_non_null(strstr(why, "readable file"));
    assert_int_equal(nxs_secret_load(&s, &why, "file:relative/path", 16, p), APR_EINVAL);
    assert_non_null(strstr(why, "absolute path"));
}

static void key_file_must_hold_exactly_32_bytes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    unsigned char key[NXS_TOKEN_KEY_LEN], raw[40];
    const char *good, *short_one, *long_one, *why = NULL;
    int wr = 0;

    memset(raw, 0xA5, sizeof(raw));
    good = temp_file(p, raw, 32, 0600);
    short_one = temp_file(p, raw, 31, 0600);
    long_one = temp_file(p, raw, 33, 0600);
    assert_int_equal(nxs_keyfile_load(key, &wr, &why, good, p), APR_SUCCESS);
    assert_memory_equal(key, raw, 32);
    assert_int_equal(nxs_keyfile_load(key, &wr, &why, short_one, p), APR_EINVAL);
    assert_non_null(strstr(why, "exactly 32"));
    assert_non_null(strstr(why, "has 31"));
    assert_int_equal(nxs_keyfile_load(key, &wr, &why, long_one, p), APR_EINVAL);
    assert_non_null(strstr(why, "exactly 32"));
    apr_file_remove(good, p);
    apr_file_remove(short_one, p);
    apr_file_remove(long_one, p);
}

static void base_urls_are_absolute_http_without_extras(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *out = NULL, *why = NULL;
    const char *bad[] = {
        "slack.com/api",     "ftp://slack.com",    "https://",  "https://u:p@host/",
        "https://host/?q=1", "https://host/#frag", "/relative", ""};
    size_t i;

    assert_int_equal(nxs_url_check_base(&out, &why, "https://slack.com/api/", p), APR_SUCCESS);
    assert_string_equal(out, "https://slack.com/api");
    assert_int_equal(nxs_url_check_base(&out, &why, "http://127.0.0.1:8080", p), APR_SUCCESS);
    assert_string_equal(out, "http://127.0.0.1:8080");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        assert_int_equal(nxs_url_check_base(&out, &why, bad[i], p), APR_EINVAL);
        assert_non_null(why);
    }
    assert_true(nxs_url_is_loopback("http://127.0.0.1:9/x", p));
    assert_true(nxs_url_is_loopback("http://localhost/", p));
    assert_false(nxs_url_is_loopback("https://slack.com/api", p));
}

/* A click's response_url is posted to only below NexteSlackResponseURLBase. */
static void response_urls_must_be_below_the_base(void **state)
{
    static const char *const base = "https://hooks.slack.com";

    (void)state;
    assert_true(nxs_url_is_under("https://hooks.slack.com/actions/T1/1/abc", base));
    assert_false(nxs_url_is_under("https://hooks.slack.com", base));
    assert_false(nxs_url_is_under("https://hooks.slack.com.evil.test/x", base));
    assert_false(nxs_url_is_under("https://hooks.slack.com@evil.test/x", base));
    assert_false(nxs_url_is_under("https://hooks.slack.com:444/x", base));
    assert_false(nxs_url_is_under("http://hooks.slack.com/x", base));
    assert_false(nxs_url_is_under("https://evil.test/https://hooks.slack.com/x", base));
    assert_false(nxs_url_is_under(NULL, base));
    assert_false(nxs_url_is_under("https://hooks.slack.com/x", ""));
    assert_false(nxs_url_is_under("https://hooks.slack.com/x", NULL));
}

/* Loopback: 127.0.0.0/8, ::1 and the name localhost; a name that only
 * starts like one is anybody's host. */
static void loopback_is_127_slash_8_ipv6_1_and_localhost_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *yes[] = {"http://127.0.0.1:9/x",  "http://127.255.3.4/",
                         "http://localhost/",     "http://LocalHost:8080",
                         "http://[::1]:8080/api", "http://[0:0:0:0:0:0:0:1]/"};
    const char *no[] = {"https://slack.com/api",    "http://127.evil.example/",
                        "http://127.0.0.1.nip.io/", "http://localhost.evil.example/",
                        "http://128.0.0.1/",        "http://[::2]/",
                        "http://[::ffff:8.8.8.8]/", "not a url"};
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); ++i) {
        if (!nxs_url_is_loopback(yes[i], p)) {
            fail_msg("%s is loopback", yes[i]);
        }
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); ++i) {
        if (nxs_url_is_loopback(no[i], p)) {
            fail_msg("%s is not loopback", no[i]);
        }
    }
}

static void queue_type_is_gdbm_or_db_never_sdbm(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *canon = NULL, *why = NULL;

    assert_int_equal(nxs_queue_type_check(&canon, &why, "gdbm", p), APR_SUCCESS);
    assert_string_equal(canon, "GDBM");
    assert_int_equal(nxs_queue_type_check(&canon, &why, "SDBM", p), APR_EINVAL);
    assert_non_null(strstr(why, "1008"));
    assert_int_equal(nxs_queue_type_check(&canon, &why, "ndbm", p), APR_EINVAL);
    assert_int_equal(nxs_queue_type_check(&canon, &why, "redis", p), APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(inline_secret_is_taken_as_is),
    NXS_TEST(file_secret_drops_one_final_newline),
    NXS_TEST(file_secret_reports_world_readable_and_missing_files),
    NXS_TEST(key_file_must_hold_exactly_32_bytes),
    NXS_TEST(base_urls_are_absolute_http_without_extras),
    NXS_TEST(loopback_is_127_slash_8_ipv6_1_and_localhost_only),
    NXS_TEST(queue_type_is_gdbm_or_db_never_sdbm),
    NXS_TEST(response_urls_must_be_below_the_base),
};

NXS_RUN_TESTS(tests)
