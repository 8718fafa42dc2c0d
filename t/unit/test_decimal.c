/* Specification of nxs_decimal: exact sums of decimal strings. */
#include "nxs_test.h"

#include "nxs_decimal.h"

static const char *sum(const char *a, int sign, const char *b, apr_pool_t *p)
{
    const char *out = NULL;

    assert_int_equal(nxs_decimal_add(&out, a, sign, b, p), APR_SUCCESS);
    return out;
}

static void decimal_sums_are_exact(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(sum("3400.00", 1, "290.00", p), "3690.00");
    assert_string_equal(sum("3690.00", -1, "120.00", p), "3570.00");
    assert_string_equal(sum("0.1", 1, "0.2", p), "0.3");
    assert_string_equal(sum("10", -1, "10.50", p), "-0.50");
    assert_string_equal(sum("-5", 1, "5", p), "0");
    assert_string_equal(sum("-0.50", -1, "-0.50", p), "0.00");
    assert_string_equal(sum("1250", 1, "0.005", p), "1250.005");
    assert_string_equal(sum(NULL, -1, "12.30", p), "-12.30");
    assert_string_equal(sum("99999999999999999999999999.99", 1, "0.01", p),
                        "100000000000000000000000000.00");
}

static void decimal_sums_refuse_what_is_not_a_decimal(void **state)
{
    const char *out;

    assert_int_equal(nxs_decimal_add(&out, "1e3", 1, "1", nxs_test_pool(state)), APR_EINVAL);
    assert_int_equal(nxs_decimal_add(&out, "1", 2, "1", nxs_test_pool(state)), APR_EINVAL);
    assert_false(nxs_decimal_valid("1234567890123456789012345678901"));
}

static int cmp(const char *a, const char *b)
{
    int c = 99;

    assert_int_equal(nxs_decimal_cmp(&c, a, b), APR_SUCCESS);
    return c < 0 ? -1 : c > 0;
}

static void decimals_compare_by_value_not_by_text(void **state)
{
    int c;

    (void)state;
    assert_int_equal(cmp("500.00", "500"), 0);
    assert_int_equal(cmp("500.01", "500"), 1);
    assert_int_equal(cmp("499.999", "500.00"), -1);
    assert_int_equal(cmp("1250", "500.00"), 1);
    assert_int_equal(cmp("90", "500"), -1); /* not "9" > "5" */
    assert_int_equal(cmp("-600", "500"), -1);
    assert_int_equal(cmp("-600", "-500"), -1);
    assert_int_equal(cmp("-0.00", "0"), 0);
    assert_int_equal(cmp("0.000000000000000000000000001", "0"), 1);
    assert_int_equal(nxs_decimal_cmp(&c, "12,50", "1"), APR_EINVAL);
    assert_int_equal(nxs_decimal_cmp(&c, "1", NULL), APR_EINVAL);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(decimal_sums_are_exact),
    NXS_TEST(decimal_sums_refuse_what_is_not_a_decimal),
    NXS_TEST(decimals_compare_by_value_not_by_text),
};

NXS_RUN_TESTS(tests)
