/* Decimal strings as events carry them ("1250.00", "-12.5"): validation
 * and exact addition.  Pure functions, safe from any thread. */
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

#endif
