/* Localisation through ICU: every number, amount, date and time shown in a
 * message is formatted by ICU's CLDR data for the account's locale and
 * time zone, never by hand-written tables.  The message strings are
 * l10n/nxs_l10n_catalog.c. */
#include "l10n/nxs_l10n_int.h"

#include "nxs_decimal.h"
#include "nxs_time.h"

#include <apr_strings.h>
#include <pthread.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#define UBUF 256

const char *const nxs_l10n_lang_codes[NXS_LANG_COUNT] = {"en", "fr"};

/* Date formats, by skeleton (ICU picks the locale's pattern for it). */
enum { DF_DATETIME, DF_TIME, DF_DAY, DF_DAY_LONG, DF_COUNT };
static const char *const df_skeletons[DF_COUNT] = {"yMMMdjmmz", "jmm", "yMMMd", "yMMMMEEEEd"};
_Static_assert(DF_COUNT == NXS_DF_COUNT, "l10n/nxs_l10n_int.h sizes the formatter slots");

static apr_status_t l10n_close(void *data)
{
    nxs_l10n_t *l = data;

    if (l->currency) {
        unum_close(l->currency);
    }
    if (l->decimal) {
        unum_close(l->decimal);
    }
    if (l->percent) {
        unum_close(l->percent);
    }
    for (int i = 0; i < DF_COUNT; i++) {
        if (l->dates[i]) {
            udat_close(l->dates[i]);
        }
    }
    if (l->plural) {
        uplrules_close(l->plural);
    }
    return APR_SUCCESS;
}

static int lang_of(const char *locale)
{
    for (int i = 0; i < NXS_LANG_COUNT; i++) {
        if (strcmp(locale, nxs_l10n_lang_codes[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int nxs_l10n_locale_known(const char *locale)
{
    return locale && lang_of(locale) >= 0;
}

int nxs_l10n_currency_valid(const char *code)
{
    return code && strlen(code) == 3 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

int nxs_l10n_timezone_known(const char *tz)
{
    UChar in[64], canon[64];
    UBool is_system = 0;
    UErrorCode err = U_ZERO_ERROR;

    if (!tz || strlen(tz) >= sizeof(in) / sizeof(in[0]) || !strchr(tz, '/')) {
        return strcmp(tz ? tz : "", "UTC") == 0;
    }
    u_uastrcpy(in, tz);
    ucal_getCanonicalTimeZoneID(in, -1, canon, 64, &is_system, &err);
    return U_SUCCESS(err) && is_system;
}

apr_status_t nxs_l10n_create(nxs_l10n_t **pl, const char **why, const char *locale, const char *tz,
                             apr_pool_t *p)
{
    nxs_l10n_t *l;

    *pl = NULL;
    locale = locale ? locale : "en";
    tz = tz ? tz : "UTC";
    if (!nxs_l10n_locale_known(locale)) {
        *why = apr_psprintf(p, "unknown locale \"%s\" (expected en or fr)", locale);
        return APR_EINVAL;
    }
    if (!nxs_l10n_timezone_known(tz)) {
        *why = apr_psprintf(p,
                            "unknown time zone \"%s\" (expected an IANA name such as "
                            "Europe/Paris)",
                            tz);
        return APR_EINVAL;
    }
    l = apr_pcalloc(p, sizeof(*l));
    l->lang = lang_of(locale);
    u_uastrcpy(l->zone, tz);
    apr_pool_cleanup_register(p, l, l10n_close, apr_pool_cleanup_null);
    *pl = l;
    return APR_SUCCESS;
}

/* ICU speaks UTF-16; messages are UTF-8. */
static const char *from_uchars(const UChar *u, int32_t n, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = 0;
    char *out;

    u_strToUTF8(NULL, 0, &len, u, n, &err);
    err = U_ZERO_ERROR;
    out = apr_palloc(p, (apr_size_t)len + 1);
    u_strToUTF8(out, len + 1, NULL, u, n, &err);
    return U_SUCCESS(err) ? out : "";
}

/* Opens the number format of STYLE for the locale once, on first use. */
static UNumberFormat *number_format(nxs_l10n_t *l, UNumberFormat **slot, UNumberFormatStyle style)
{
    UErrorCode err = U_ZERO_ERROR;

    if (!*slot) {
        *slot = unum_open(style, NULL, 0, nxs_l10n_lang_codes[l->lang], NULL, &err);
        if (U_FAILURE(err)) {
            *slot = NULL;
        }
    }
    return *slot;
}

apr_status_t nxs_l10n_amount(const char **out, nxs_l10n_t *l, const char *value,
                             const char *currency, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UChar code[4], buf[UBUF];
    UNumberFormat *f;
    int32_t n;

    *out = NULL;
    if (!nxs_decimal_valid(value)) {
        return APR_EINVAL;
    }
    if (currency) {
        if (!nxs_l10n_currency_valid(currency)) {
            return APR_EINVAL;
        }
        if (!(f = number_format(l, &l->currency, UNUM_CURRENCY))) {
            return APR_EGENERAL;
        }
        /* Setting the currency also sets its digits: 2 for EUR, 0 for JPY. */
        u_uastrcpy(code, currency);
        unum_setTextAttribute(f, UNUM_CURRENCY_CODE, code, 3, &err);
    } else if (!(f = number_format(l, &l->decimal, UNUM_DECIMAL))) {
        return APR_EGENERAL;
    }
    n = unum_formatDecimal(f, value, -1, buf, UBUF, NULL, &err);
    if (U_FAILURE(err)) {
        return APR_EGENERAL;
    }
    *out = from_uchars(buf, n, p);
    return APR_SUCCESS;
}

const char *nxs_l10n_number(nxs_l10n_t *l, long long n, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UNumberFormat *f = number_format(l, &l->decimal, UNUM_DECIMAL);
    UChar buf[UBUF];
    int32_t len;

    if (!f) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)n);
    }
    len = unum_formatInt64(f, n, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, len, p)
                          : apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)n);
}

const char *nxs_l10n_percent(nxs_l10n_t *l, double ratio, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UNumberFormat *f = number_format(l, &l->percent, UNUM_PERCENT);
    UChar buf[UBUF];
    int32_t len;

    if (!f) {
        return apr_psprintf(p, "%.0f%%", ratio * 100.0);
    }
    len = unum_formatDouble(f, ratio, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, len, p) : apr_psprintf(p, "%.0f%%", ratio * 100.0);
}

/* The locale's best pattern for each skeleton.  CLDR data does not change
 * while the process runs, and ICU's pattern generator is by far the most
 * expensive part of a message, so the patterns are computed once. */
static UChar patterns[NXS_LANG_COUNT][DF_COUNT][64];
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void patterns_init(void)
{
    UErrorCode err;
    UDateTimePatternGenerator *gen;
    UChar skeleton[32];

    for (int lang = 0; lang < NXS_LANG_COUNT; lang++) {
        err = U_ZERO_ERROR;
        gen = udatpg_open(nxs_l10n_lang_codes[lang], &err);
        for (int which = 0; which < DF_COUNT && U_SUCCESS(err); which++) {
            u_uastrcpy(skeleton, df_skeletons[which]);
            udatpg_getBestPattern(gen, skeleton, -1, patterns[lang][which], 64, &err);
        }
        udatpg_close(gen);
    }
}

/* Opens date format WHICH once, in the account's zone, or in UTC for
 * calendar days (a day has no zone; its noon in UTC shows it unchanged). */
static UDateFormat *date_format(nxs_l10n_t *l, int which)
{
    static const UChar utc[] = {'U', 'T', 'C', 0};
    UErrorCode err = U_ZERO_ERROR;
    int day = which == DF_DAY || which == DF_DAY_LONG;

    pthread_once(&patterns_once, patterns_init);
    if (!l->dates[which] && patterns[l->lang][which][0]) {
        l->dates[which] = udat_open(UDAT_PATTERN, UDAT_PATTERN, nxs_l10n_lang_codes[l->lang],
                                    day ? utc : l->zone, -1, patterns[l->lang][which], -1, &err);
        if (U_FAILURE(err) && l->dates[which]) {
            udat_close(l->dates[which]);
            l->dates[which] = NULL;
        }
    }
    return l->dates[which];
}

static const char *format_date(nxs_l10n_t *l, int which, UDate when, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UDateFormat *f = date_format(l, which);
    UChar buf[UBUF];
    int32_t n;

    if (!f) {
        return "";
    }
    n = udat_format(f, when, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, n, p) : "";
}

const char *nxs_l10n_datetime(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p)
{
    return format_date(l, DF_DATETIME, (UDate)(t / 1000), p);
}

const char *nxs_l10n_time(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p)
{
    return format_date(l, DF_TIME, (UDate)(t / 1000), p);
}

const char *nxs_l10n_day(nxs_l10n_t *l, int year, int month, int day, int long_form, apr_pool_t *p)
{
    UDate noon = ((UDate)nxs_time_days_from_civil(year, month, day) * 86400.0 + 43200.0) * 1000.0;

    return format_date(l, long_form ? DF_DAY_LONG : DF_DAY, noon, p);
}
