/* Decimal strings as events carry them ("1250.00", "-12.5"): validation,
 * exact addition and comparison.  Pure functions, safe from any thread. */
#ifndef NXS_DECIMAL_H
#define NXS_DECIMAL_H

#include <apr_errno.h>
#include <apr_pools.h>

/* True when S is a decimal string: optional "-", digits, optional "."
 * and digits; at most 30 digits in all. */
int nxs_decimal_valid(const char *s);

/* Exact decimal arithmetic on such strings: *out = A + SIGN * B, SIGN
 * being 1 or -1.  NULL operands count as zero. */
apr_status_t nxs_decimal_add(const char **out, const char *a, int sign, const char *b,
                             apr_pool_t *p);

/* Compares two such strings by value: *cmp is <0, 0 or >0 as A is less
 * than, equal to or greater than B ("1250" equals "1250.00", "-0" equals
 * "0").  APR_EINVAL when either is not a decimal string. */
apr_status_t nxs_decimal_cmp(int *cmp, const char *a, const char *b);

#endif
