/* Shared preamble of the glue unit tests: nxs_test.h's cmocka set-up plus
 * a fresh httpd stub and fakes for every test (t/unit/stub/), and a few
 * assertions on what a handler answered. */
#ifndef NXS_GLUE_TEST_H
#define NXS_GLUE_TEST_H

#include "nxs_test.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/nxs_config.h"
#include "cfg/nxs_directives.h"
#include "httpd_stub.h"
#include "nxs_fakes.h"
#include "nxs_json.h"
#include "security/nxs_crypto.h"
#include "security/nxs_sign.h"

/* The module-wide settings (queue, socket, workers) of a server config:
 * one nxs_mod_conf_t per configuration read, shared by its servers. */
#define GLUE_MOD(conf) ((conf)->mod)

#define GLUE_EVENT_SECRET   "nexte-event-secret-for-tests"
#define GLUE_SIGNING_SECRET "slack-signing-secret-for-tests"

static inline int glue_setup(void **state)
{
    if (nxs_test_setup(state) != 0) {
        return -1;
    }
    nxs_stub_reset(nxs_test_pool(state));
    nxs_fakes_reset();
    return 0;
}

static inline int glue_teardown(void **state)
{
    /* The stub keeps log lines on the pool: forget them before it goes. */
    nxs_stub_reset(NULL);
    nxs_fakes_reset();
    return nxs_test_teardown(state);
}

/* ---- files the directives read, in a directory removed with the pool ---- */

/* Removes PATH: a file, or a directory and the files in it (what the
 * glue wrote there, such as the queue's segments and snapshot). */
static inline apr_status_t glue_remove_path(void *path)
{
    apr_pool_t *p = NULL;
    apr_dir_t *dir = NULL;
    apr_finfo_t fi;

    if (apr_file_remove(path, NULL) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, NULL);
    if (apr_dir_open(&dir, path, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
            if (fi.filetype != APR_DIR) {
                apr_file_remove(apr_pstrcat(p, path, "/", fi.name, NULL), p);
            }
        }
        apr_dir_close(dir);
    }
    apr_dir_remove(path, p);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

static inline const char *glue_temp_dir(apr_pool_t *p)
{
    char *dir = apr_pstrdup(p, "/tmp/nxs-glue-XXXXXX");

    assert_non_null(mkdtemp(dir));
    apr_pool_cleanup_register(p, dir, glue_remove_path, apr_pool_cleanup_null);
    return dir;
}

static inline const char *glue_write_file(apr_pool_t *p, const char *dir, const char *name,
                                          const char *bytes, apr_size_t len, apr_fileperms_t perms)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    apr_file_t *f = NULL;

    assert_int_equal(apr_file_open(&f, path,
                                   APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                                   APR_FPROT_OS_DEFAULT, p),
                     APR_SUCCESS);
    assert_int_equal(apr_file_write_full(f, bytes, len, NULL), APR_SUCCESS);
    apr_file_close(f);
    assert_int_equal(apr_file_perms_set(path, perms), APR_SUCCESS);
    apr_pool_cleanup_register(p, path, glue_remove_path, apr_pool_cleanup_null);
    return path;
}

/* A key file of LEN bytes ('k' each) in DIR. */
static inline const char *glue_key_file(apr_pool_t *p, const char *dir, apr_size_t len)
{
    char *bytes = apr_palloc(p, len);

    memset(bytes, 'k', len);
    return glue_write_file(p, dir, apr_psprintf(p, "key%" APR_SIZE_T_FMT, len), bytes, len,
                           APR_FPROT_UREAD | APR_FPROT_UWRITE);
}

/* A main server with the required directives and both request secrets set,
 * its queue under a fresh directory, finished as at startup. */
static inline server_rec *glue_configured_server(apr_pool_t *p)
{
    const char *dir = glue_temp_dir(p);
    server_rec *s = nxs_stub_server(p);

    nxs_stub_set_runtime_dir(dir);
    assert_null(nxs_stub_directive(s, p, NXS_D_EVENT_SECRET, GLUE_EVENT_SECRET, NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_SIGNING_SECRET, GLUE_SIGNING_SECRET, NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_TOKEN_KEY_FILE, glue_key_file(p, dir, 32), NULL));
    assert_null(nxs_stub_directive(s, p, NXS_D_APP_URL, "https://app.nexte.test", NULL));
    assert_null(nxs_config_finish(nxs_config_get(s), s, p));
    return s;
}

/* A request to S carrying BODY (may be NULL: none) and CONTENT_TYPE (may be
 * NULL), through the handler named HANDLER. */
static inline request_rec *glue_request(apr_pool_t *p, server_rec *s, const char *handler,
                                        const char *method, const char *target,
                                        const char *content_type, const char *body)
{
    request_rec *r = nxs_stub_request(p, s, method, target);

    r->handler = handler;
    if (body) {
        nxs_stub_body(r, body, strlen(body));
    }
    if (content_type) {
        apr_table_setn(r->headers_in, "Content-Type", content_type);
    }
    return r;
}

/* Signs R's BODY as Nexte core does (X-Nexte-Timestamp, X-Nexte-Signature). */
static inline void glue_sign_nexte(request_rec *r, const char *body)
{
    const char *ts = NULL, *sig = NULL;

    assert_int_equal(nxs_sign_nexte_make(&ts, &sig, GLUE_EVENT_SECRET, strlen(GLUE_EVENT_SECRET),
                                         body, strlen(body), r->request_time, r->pool),
                     APR_SUCCESS);
    apr_table_setn(r->headers_in, "X-Nexte-Timestamp", ts);
    apr_table_setn(r->headers_in, "X-Nexte-Signature", sig);
}

/* Signs R's BODY as Slack does (X-Slack-Request-Timestamp, X-Slack-Signature). */
static inline void glue_sign_slack(request_rec *r, const char *body)
{
    const char *ts = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_sec(r->request_time));
    const char *base = apr_pstrcat(r->pool, "v0:", ts, ":", body, NULL);
    char hex[65];

    assert_int_equal(nxs_hmac_sha256_hex(hex, GLUE_SIGNING_SECRET, strlen(GLUE_SIGNING_SECRET),
                                         base, strlen(base)),
                     APR_SUCCESS);
    apr_table_setn(r->headers_in, "X-Slack-Request-Timestamp", ts);
    apr_table_setn(r->headers_in, "X-Slack-Signature", apr_pstrcat(r->pool, "v0=", hex, NULL));
}

/* Runs R through the module's own handler hook, as httpd would. */
static inline int glue_run(request_rec *r)
{
    nxs_stub_register_module(r->pool);
    assert_non_null(nxs_stub_hooked_handler());
    return nxs_stub_hooked_handler()(r);
}

#define GLUE_TEST(fn) cmocka_unit_test_setup_teardown(fn, glue_setup, glue_teardown)

/* The response body of R parsed as JSON (the test fails when it is not);
 * the value lives as long as R's pool. */
static inline json_t *glue_json(const request_rec *r)
{
    json_error_t err;
    json_t *v = json_loads(nxs_stub_response(r), 0, &err);

    if (!v) {
        fail_msg("response is not JSON (%s): %s", err.text, nxs_stub_response(r));
    }
    return nxs_json_own(v, r->pool);
}

/* The string member KEY of R's JSON response, or NULL. */
static inline const char *glue_json_str(const request_rec *r, const char *key)
{
    return json_string_value(json_object_get(glue_json(r), key));
}

/* The frames the interactions handler sends the fake daemon to count an
 * interaction (nxs_interaction_count), as nxs_fake_daemon_all_requests()
 * shows them: keys sorted. */
#define GLUE_IX_REFUSED(code) "{\"op\":\"interaction\",\"refused\":\"" code "\"}"
#define GLUE_IX_CLICK_REFUSED(code)                                                                \
    "{\"click\":true,\"op\":\"interaction\",\"refused\":\"" code "\"}"
#define GLUE_IX_CLICK "{\"click\":true,\"op\":\"interaction\"}"

/* Asserts that R was answered with STATUS and {"error": CODE, ...}. */
#define assert_error_reply(r, rc, want_status, want_code)                                          \
    do {                                                                                           \
        assert_int_equal((rc), OK);                                                                \
        assert_int_equal((r)->status, (want_status));                                              \
        assert_string_equal((r)->content_type, "application/json");                                \
        assert_string_equal(glue_json_str((r), "error"), (want_code));                             \
    } while (0)

#endif
