/* Shared preamble of the glue unit tests: nxs_test.h's cmocka set-up plus
 * a fresh httpd stub and fakes for every test (t/unit/stub/), and a few
 * assertions on what a handler answered. */
#ifndef NXS_GLUE_TEST_H
#define NXS_GLUE_TEST_H

#include "nxs_test.h"

#include <jansson.h>
#include <string.h>

#include "httpd_stub.h"
#include "nxs_fakes.h"
#include "nxs_json.h"

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

/* Asserts that R was answered with STATUS and {"error": CODE, ...}. */
#define assert_error_reply(r, rc, want_status, want_code)                                          \
    do {                                                                                           \
        assert_int_equal((rc), OK);                                                                \
        assert_int_equal((r)->status, (want_status));                                              \
        assert_string_equal((r)->content_type, "application/json");                                \
        assert_string_equal(glue_json_str((r), "error"), (want_code));                             \
    } while (0)

#endif
