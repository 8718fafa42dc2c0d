/* Shared preamble of the C unit tests: cmocka with TAP output, so that
 * `prove` runs every test program and reads its plan and results. */
#ifndef NXS_TEST_H
#define NXS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "nxs_log.h"

/* Runs a cmocka group with TAP output inside an APR-initialised process,
 * with the core's log on stderr at NXS_LOG_LEVEL (default warn).  Each test
 * gets a fresh pool through *state (see nxs_test_pool()). */
static int nxs_test_setup(void **state)
{
    apr_pool_t *p = NULL;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return -1;
    }
    *state = p;
    return 0;
}

static int nxs_test_teardown(void **state)
{
    apr_pool_destroy((apr_pool_t *)*state);
    return 0;
}

#define nxs_test_pool(state) ((apr_pool_t *)*(state))
#define NXS_TEST(fn)         cmocka_unit_test_setup_teardown(fn, nxs_test_setup, nxs_test_teardown)

#define NXS_RUN_TESTS(tests)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        int failed;                                                                                \
        apr_initialize();                                                                          \
        nxs_log_use_stderr();                                                                      \
        cmocka_set_message_output(CM_OUTPUT_TAP);                                                  \
        failed = cmocka_run_group_tests(tests, NULL, NULL);                                        \
        apr_terminate();                                                                           \
        return failed;                                                                             \
    }

#endif
