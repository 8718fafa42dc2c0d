/* Localisation: amounts, numbers, dates and times formatted by ICU for a
 * locale and an IANA time zone.  The message strings are
 * l10n/nxs_l10n_catalog.h; timestamps and decimals are parsed by
 * nxs_time.h and nxs_decimal.h. */
#ifndef NXS_L10N_H
#define NXS_L10N_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* One locale + time zone, with the ICU formatters it opened on demand.
 * Not shared between threads; closed when its pool goes. */
typedef struct nxs_l10n_t nxs_l10n_t;

/* Creates the localisation for LOCALE ("en" or "fr"; NULL means "en") and
 * TZ (an IANA zone such as "Europe/Paris"; NULL means "UTC").  Anything
 * else is refused with APR_EINVAL and a reason in *why. */
apr_status_t nxs_l10n_create(nxs_l10n_t **pl, const char **why, const char *locale, const char *tz,
                             apr_pool_t *p);

/* True for the locales the messages exist in. */
int nxs_l10n_locale_known(const char *locale);

/* True for an ISO 4217 code's shape: three capital letters ("EUR"). */
int nxs_l10n_currency_valid(const char *code);

/* True when TZ is an IANA time zone ICU knows (not a raw offset). */
int nxs_l10n_timezone_known(const char *tz);

/* Formats the decimal string VALUE ("1250.00", "-40") as an amount of
 * CURRENCY (ISO 4217) the way the locale writes it: "€1,250.00" in
 * English, "1 250,00 €" in French, "¥1,250" for JPY.  The digits never go
 * through binary floating point.  A NULL CURRENCY formats a plain number. */
apr_status_t nxs_l10n_amount(const char **out, nxs_l10n_t *l, const char *value,
                             const char *currency, apr_pool_t *p);

/* Formats an integer with the locale's grouping ("12,500", "12 500"). */
const char *nxs_l10n_number(nxs_l10n_t *l, long long n, apr_pool_t *p);

/* Formats RATIO (0.92) as a whole percentage ("92%", "92 %"). */
const char *nxs_l10n_percent(nxs_l10n_t *l, double ratio, apr_pool_t *p);

/* Date and time of T in the zone, with the zone named:
 * "Nov 28, 2026, 9:59 AM GMT+1", "28 nov. 2026, 09:59 UTC+1". */
const char *nxs_l10n_datetime(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p);

/* Time of day of T in the zone: "9:59 AM", "09:59". */
const char *nxs_l10n_time(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p);

/* A calendar day (no zone involved): "Nov 27, 2026" or, with LONG_FORM,
 * "Friday, November 27, 2026" / "vendredi 27 novembre 2026". */
const char *nxs_l10n_day(nxs_l10n_t *l, int year, int month, int day, int long_form, apr_pool_t *p);

#endif
