/* Exact decimal arithmetic on the decimal strings events carry ("1250.00"):
 * validation, addition and comparison, digit by digit, so that money is never rounded
 * through a binary float. */
#include "nxs_decimal.h"

#include <apr_strings.h>
#include <string.h>

#define DEC_MAX_DIGITS 30

int nxs_decimal_valid(const char *s)
{
    size_t whole, frac = 0;

    if (!s) {
        return 0;
    }
    s += *s == '-';
    whole = strspn(s, "0123456789");
    if (s[whole] == '.' && (frac = strspn(s + whole + 1, "0123456789")) == 0) {
        return 0;
    }
    return whole > 0 && s[whole + (frac ? frac + 1 : 0)] == '\0' && whole + frac <= DEC_MAX_DIGITS;
}

/* A decimal as sign + digits (without the point) + digits after the point,
 * right-aligned in a fixed buffer so that two of them line up. */
typedef struct {
    int neg;
    char d[2 * DEC_MAX_DIGITS + 4]; /* '0'..'9', most significant first */
} decimal_t;

#define DEC_WIDTH ((int)sizeof(((decimal_t *)0)->d))
#define DEC_SCALE (DEC_MAX_DIGITS + 1) /* digits kept after the point */

static void decimal_read(decimal_t *x, const char *s)
{
    const char *dot, *c;
    int i;

    memset(x->d, '0', DEC_WIDTH);
    x->neg = s && *s == '-';
    if (!s) {
        return;
    }
    s += x->neg;
    dot = strchr(s, '.');
    /* Digits before the point end at DEC_WIDTH - DEC_SCALE; after it, start there. */
    for (c = dot ? dot - 1 : s + strlen(s) - 1, i = DEC_WIDTH - DEC_SCALE - 1; c >= s; c--, i--) {
        x->d[i] = *c;
    }
    for (c = dot ? dot + 1 : "", i = DEC_WIDTH - DEC_SCALE; *c; c++, i++) {
        x->d[i] = *c;
    }
}

/* |a| >= |b| ? a - b : ... ; both magnitudes, result into r. */
static void magnitude_add(char *r, const char *a, const char *b, int subtract)
{
    int carry = 0, v;

    for (int i = DEC_WIDTH - 1; i >= 0; i--) {
        v = subtract ? (a[i] - '0') - (b[i] - '0') - carry : (a[i] - '0') + (b[i] - '0') + carry;
        carry = subtract ? v < 0 : v > 9;
        r[i] = (char)('0' + (subtract ? (v + 10) % 10 : v % 10));
    }
}

apr_status_t nxs_decimal_add(const char **out, const char *a, int sign, const char *b,
                             apr_pool_t *p)
{
    decimal_t x, y, r;
    const char *fa = a ? strchr(a, '.') : NULL, *fb = b ? strchr(b, '.') : NULL;
    int scale, first, last, cmp, zero;

    *out = NULL;
    if ((a && !nxs_decimal_valid(a)) || (b && !nxs_decimal_valid(b)) || (sign != 1 && sign != -1)) {
        return APR_EINVAL;
    }
    decimal_read(&x, a);
    decimal_read(&y, b);
    y.neg = b && (y.neg ^ (sign < 0));
    cmp = memcmp(x.d, y.d, DEC_WIDTH);
    if (x.neg == y.neg) {
        magnitude_add(r.d, x.d, y.d, 0);
        r.neg = x.neg;
    } else {
        magnitude_add(r.d, cmp >= 0 ? x.d : y.d, cmp >= 0 ? y.d : x.d, 1);
        r.neg = cmp >= 0 ? x.neg : y.neg;
    }
    /* Keep the larger number of decimals of the operands: 3400.00 + 290 = 3690.00. */
    scale = (int)(fa ? strlen(fa + 1) : 0);
    scale = fb && (int)strlen(fb + 1) > scale ? (int)strlen(fb + 1) : scale;
    last = DEC_WIDTH - DEC_SCALE + scale;
    first = 0;
    while (first < DEC_WIDTH - DEC_SCALE - 1 && r.d[first] == '0') {
        first++;
    }
    /* No "-0.00": a zero result has no sign. */
    zero = 1;
    for (int i = first; i < last; i++) {
        zero = zero && r.d[i] == '0';
    }
    r.neg = r.neg && !zero;
    *out = apr_psprintf(p, "%s%.*s%s%.*s", r.neg ? "-" : "", DEC_WIDTH - DEC_SCALE - first,
                        r.d + first, scale ? "." : "", scale, r.d + DEC_WIDTH - DEC_SCALE);
    return APR_SUCCESS;
}

static int decimal_zero(const decimal_t *x)
{
    for (int i = 0; i < DEC_WIDTH; i++) {
        if (x->d[i] != '0') {
            return 0;
        }
    }
    return 1;
}

apr_status_t nxs_decimal_cmp(int *cmp, const char *a, const char *b)
{
    decimal_t x, y;
    int mag;

    *cmp = 0;
    if (!nxs_decimal_valid(a) || !nxs_decimal_valid(b)) {
        return APR_EINVAL;
    }
    decimal_read(&x, a);
    decimal_read(&y, b);
    mag = memcmp(x.d, y.d, DEC_WIDTH);
    /* A zero magnitude has no sign: "-0.00" equals "0". */
    x.neg = x.neg && !decimal_zero(&x);
    y.neg = y.neg && !decimal_zero(&y);
    if (x.neg != y.neg) {
        *cmp = x.neg ? -1 : 1;
    } else {
        *cmp = mag == 0 ? 0 : ((mag < 0) != x.neg) ? -1 : 1;
    }
    return APR_SUCCESS;
}
