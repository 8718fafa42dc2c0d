/* The core's logging (core/nxs_log.h): a level that is off costs no call,
 * no argument evaluation and no formatting; the tag leads the text and,
 * with the status, reaches the sink; the stderr sink obeys NXS_LOG_LEVEL.
 * Tags here are 9xxxx: build/check-log-tags looks at the sources only. */
#include "nxs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct capture_t {
    int threshold;
    int asked, printed;
    nxs_log_level_e level;
    apr_status_t rv;
    char tag[16], msg[9000], file[64];
    int line;
} capture_t;

static capture_t cap;

static int cap_is_level(void *baton, nxs_log_level_e level)
{
    capture_t *c = baton;
    ++c->asked;
    return (int)level <= c->threshold;
}

static void cap_print(void *baton, const char *file, int line, nxs_log_level_e level,
                      apr_status_t rv, const char *tag, const char *msg)
{
    capture_t *c = baton;
    ++c->printed;
    c->level = level;
    c->rv = rv;
    c->line = line;
    snprintf(c->tag, sizeof(c->tag), "%s", tag);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    snprintf(c->file, sizeof(c->file), "%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
}

static void capture(int threshold)
{
    memset(&cap, 0, sizeof(cap));
    cap.threshold = threshold;
    nxs_log_set(cap_is_level, cap_print, &cap);
}

static int evaluated;

static int side_effect(void)
{
    return ++evaluated;
}

static void a_level_that_is_off_evaluates_and_formats_nothing(void **state)
{
    capture(NXS_LOG_DEBUG);
    evaluated = 0;
    NXS_LOG(NXS_LOG_TRACE1, 0, "NXS90001", "never %d", side_effect());
    assert_int_equal(evaluated, 0);
    assert_int_equal(cap.printed, 0);
    assert_int_equal(cap.asked, 1);
    /* The function itself checks too: a direct call formats nothing. */
    nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE8, 0, "NXS90002", "never %s", "x");
    assert_int_equal(cap.printed, 0);
    assert_int_equal(nxs_log_is_level(NXS_LOG_TRACE1), 0);
    assert_int_equal(nxs_log_is_level(NXS_LOG_DEBUG), 1);
    nxs_log_use_stderr();
}

static void a_level_that_is_on_reaches_the_sink_with_tag_status_and_place(void **state)
{
    int line;

    capture(NXS_LOG_TRACE2);
    evaluated = 0;
    line = __LINE__ + 1;
    NXS_LOG(NXS_LOG_TRACE2, APR_ENOENT, "NXS90003", "channel %s: %d", "C1", side_effect());
    assert_int_equal(evaluated, 1);
    assert_int_equal(cap.printed, 1);
    assert_int_equal(cap.level, NXS_LOG_TRACE2);
    assert_int_equal(cap.rv, APR_ENOENT);
    assert_string_equal(cap.tag, "NXS90003");
    assert_string_equal(cap.msg, "NXS90003: channel C1: 1");
    assert_string_equal(cap.file, "test_log.c");
    assert_int_equal(cap.line, line);
    nxs_log_use_stderr();
}

static void without_a_sink_nothing_is_logged(void **state)
{
    nxs_log_set(NULL, NULL, NULL);
    assert_int_equal(nxs_log_is_level(NXS_LOG_EMERG), 0);
    nxs_log_perror(NXS_LOG_MARK, NXS_LOG_EMERG, 0, "NXS90004", "nowhere");
    nxs_log_use_stderr();
}

static void a_long_message_is_cut_not_overrun(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, 20001);

    memset(big, 'x', 20000);
    big[20000] = '\0';
    capture(NXS_LOG_DEBUG);
    NXS_LOG(NXS_LOG_ERR, 0, "NXS90005", "%s", big);
    assert_int_equal(cap.printed, 1);
    assert_int_equal(strncmp(cap.msg, "NXS90005: xxx", 13), 0);
    assert_true(strlen(cap.msg) < 8192);
    nxs_log_use_stderr();
}

static void level_names_are_httpds(void **state)
{
    nxs_log_level_e l;

    assert_string_equal(nxs_log_level_name(NXS_LOG_WARNING), "warn");
    assert_string_equal(nxs_log_level_name(NXS_LOG_ERR), "error");
    assert_string_equal(nxs_log_level_name(NXS_LOG_TRACE8), "trace8");
    assert_string_equal(nxs_log_level_name((nxs_log_level_e)16), "?");
    assert_int_equal(nxs_log_level_parse(&l, "TRACE2"), APR_SUCCESS);
    assert_int_equal(l, NXS_LOG_TRACE2);
    assert_int_equal(nxs_log_level_parse(&l, "info"), APR_SUCCESS);
    assert_int_equal(l, NXS_LOG_INFO);
    assert_int_equal(nxs_log_level_parse(&l, "verbose"), APR_EINVAL);
    assert_int_equal(nxs_log_level_parse(&l, NULL), APR_EINVAL);
}

static void times_are_utc_with_milliseconds(void **state)
{
    char buf[NXS_LOG_TIME_SIZE];

    /* 2026-12-07 21:05:03.250 UTC */
    assert_string_equal(nxs_log_time(buf, apr_time_from_sec(1796677503) + 250000),
                        "2026-12-07T21:05:03.250Z");
}

/* Runs FN with stderr going to a file and returns what it wrote. */
static const char *stderr_of(void (*fn)(void), apr_pool_t *p)
{
    char path[] = "/tmp/nxs-test-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    static char out[4096];
    FILE *f;
    size_t n;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
    return out;
}

static void log_three(void)
{
    NXS_LOG(NXS_LOG_WARNING, 0, "NXS90006", "a warning");
    NXS_LOG(NXS_LOG_INFO, APR_ENOSPC, "NXS90007", "some info");
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS90008", "a detail");
}

static void the_stderr_sink_obeys_nxs_log_level(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *out;

    unsetenv("NXS_LOG_LEVEL");
    assert_int_equal(nxs_log_use_stderr(), NXS_LOG_WARNING);
    out = stderr_of(log_three, p);
    assert_non_null(strstr(out, "[warn] NXS90006: a warning (test_log.c:"));
    assert_null(strstr(out, "NXS90007"));
    assert_null(strstr(out, "NXS90008"));

    setenv("NXS_LOG_LEVEL", "info", 1);
    assert_int_equal(nxs_log_use_stderr(), NXS_LOG_INFO);
    out = stderr_of(log_three, p);
    assert_non_null(strstr(out, "NXS90006"));
    assert_non_null(strstr(out, "[info] NXS90007: some info: No space left on device"));
    assert_null(strstr(out, "NXS90008"));

    setenv("NXS_LOG_LEVEL", "nonsense", 1);
    assert_int_equal(nxs_log_use_stderr(), NXS_LOG_WARNING);
    assert_int_equal(nxs_log_is_level(NXS_LOG_NOTICE), 0);

    unsetenv("NXS_LOG_LEVEL");
    nxs_log_use_stderr();
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_level_that_is_off_evaluates_and_formats_nothing),
    NXS_TEST(a_level_that_is_on_reaches_the_sink_with_tag_status_and_place),
    NXS_TEST(without_a_sink_nothing_is_logged),
    NXS_TEST(a_long_message_is_cut_not_overrun),
    NXS_TEST(level_names_are_httpds),
    NXS_TEST(times_are_utc_with_milliseconds),
    NXS_TEST(the_stderr_sink_obeys_nxs_log_level),
};

NXS_RUN_TESTS(tests)
