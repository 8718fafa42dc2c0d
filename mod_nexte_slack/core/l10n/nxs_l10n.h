/* Localisation: amounts, numbers, dates and times formatted by ICU for a
 * locale and an IANA time zone, the English and French message strings,
 * and the strict parsing of the timestamps and decimals events carry. */
#ifndef NXS_L10N_H
#define NXS_L10N_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* One locale + time zone, with the ICU formatters it opened on demand.
 * Not shared between threads; closed when its pool goes. */
typedef struct nxs_l10n_t nxs_l10n_t;

/* Message strings.  Templates name their arguments: "Invoice {ref} paid". */
typedef enum {
    NXS_T_TITLE_INVOICE_PAID,
    NXS_T_TITLE_PAYMENT_FAILED,
    NXS_T_TITLE_SUBSCRIPTION_RENEWED,
    NXS_T_TITLE_REFUND_ISSUED,
    NXS_T_TITLE_QUOTE_SENT,
    NXS_T_TITLE_QUOTE_OPENED,
    NXS_T_TITLE_QUOTE_ACCEPTED,
    NXS_T_TITLE_QUOTE_DECLINED,
    NXS_T_TITLE_LEAD_RECEIVED,
    NXS_T_TITLE_APPOINTMENT_BOOKED,
    NXS_T_TITLE_APPOINTMENT_CANCELLED,
    NXS_T_TITLE_RESCHEDULE_REQUESTED,
    NXS_T_TITLE_STARTING_SOON,
    NXS_T_TITLE_PROJECT_PAUSED,
    NXS_T_TITLE_INTEGRATION_ERROR,
    NXS_T_TITLE_QUOTA_NEARLY_REACHED,
    NXS_T_TITLE_RECAP,
    NXS_T_TITLE_WITH_DETAIL, /* "{title}: {detail}" */
    NXS_T_DETAIL_LINE,       /* "*{label}:* {value}" */
    NXS_T_LABEL_METHOD,
    NXS_T_LABEL_REASON,
    NXS_T_LABEL_PERIOD,
    NXS_T_LABEL_SOURCE,
    NXS_T_LABEL_COMPANY,
    NXS_T_LABEL_EMAIL,
    NXS_T_LABEL_PHONE,
    NXS_T_LABEL_WHEN,
    NXS_T_LABEL_ATTENDEE,
    NXS_T_LABEL_CURRENT_TIME,
    NXS_T_LABEL_PROPOSED_TIME,
    NXS_T_LABEL_STARTS,
    NXS_T_LABEL_DUE_DATE,
    NXS_T_LABEL_USAGE,
    NXS_T_LABEL_INVOICE,
    NXS_T_USAGE,         /* "{used} of {limit} ({percent})" */
    NXS_T_CONTEXT_BY,    /* "By {name}" */
    NXS_T_CONTEXT_OWNER, /* "Owner: {name}" */
    NXS_T_DATE_TOKEN,    /* Slack's own placeholders: "{date_short_pretty} at {time}" */
    NXS_T_SOURCE_WEBSITE_FORM,
    NXS_T_SOURCE_BOOKING_REQUEST,
    NXS_T_SOURCE_CLIENT_MESSAGE,
    NXS_T_METHOD_CARD,
    NXS_T_METHOD_BANK_TRANSFER,
    NXS_T_METHOD_SEPA_DEBIT,
    NXS_T_METHOD_CASH,
    NXS_T_METHOD_CHECK,
    NXS_T_PERIOD_MONTHLY,
    NXS_T_PERIOD_QUARTERLY,
    NXS_T_PERIOD_YEARLY,
    NXS_T_BUTTON_INVOICE,
    NXS_T_BUTTON_QUOTE,
    NXS_T_BUTTON_LEAD,
    NXS_T_BUTTON_APPOINTMENT,
    NXS_T_BUTTON_SUBSCRIPTION,
    NXS_T_BUTTON_PROJECT,
    NXS_T_BUTTON_CLIENT,
    NXS_T_BUTTON_PAYMENT,
    NXS_T_BUTTON_REFUND,
    NXS_T_BUTTON_INTEGRATIONS,
    NXS_T_BUTTON_PLAN,
    NXS_T_BUTTON_OPEN,
    NXS_T_BUTTON_DASHBOARD,
    NXS_T_BUTTON_VIEW,
    NXS_T_BUTTON_HANDLED,
    NXS_T_HANDLED_BY, /* "✅ Handled by {user} · {when}" */
    NXS_T_RECAP_REVENUE,
    NXS_T_RECAP_BREAKDOWN, /* "{paid} paid + {renewals} renewals − {refunds} refunds" */
    NXS_T_RECAP_NO_REVENUE,
    NXS_T_RECAP_PAYMENTS,
    NXS_T_RECAP_FAILED_PAYMENTS,
    NXS_T_RECAP_NEW_LEADS,
    NXS_T_RECAP_QUOTES_SENT,
    NXS_T_RECAP_QUOTES_ACCEPTED,
    NXS_T_RECAP_APPOINTMENTS_BOOKED,
    NXS_T_SUMMARY_INTRO,
    NXS_T_COUNT
} nxs_text_e;

/* Strings with a plural form chosen by ICU's plural rules for the locale
 * (French says "1 jour" and "0 jour", English "1 day" and "0 days");
 * "{n}" is the count formatted for the locale. */
typedef enum {
    NXS_P_TITLE_INVOICE_OVERDUE, /* "Invoice {ref} overdue by {n} days" */
    NXS_P_SUMMARY_TITLE,         /* "{n} events while you were away" */
    NXS_P_MORE,                  /* "…and {n} more" */
    NXS_P_COUNT
} nxs_plural_e;

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

/* The locale's string for ID, before substitution. */
const char *nxs_l10n_text(const nxs_l10n_t *l, nxs_text_e id);

/* The string for ID with "{name}" replaced by the value given after it in
 * the NULL-terminated list of name, value pairs.  Values are inserted as
 * they are: escape them first. */
const char *nxs_l10n_format(const nxs_l10n_t *l, apr_pool_t *p, nxs_text_e id, ...);

/* The plural string for ID and count N, with {n} and the name, value
 * pairs that follow substituted. */
const char *nxs_l10n_plural(nxs_l10n_t *l, apr_pool_t *p, nxs_plural_e id, long long n, ...);

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

/* Parses an RFC 3339 date-time ("2026-11-28T08:59:12Z",
 * "2026-11-28T09:59:12.5+01:00"): the offset is required, every field is
 * range-checked (leap years included), a leap second counts as :59. */
apr_status_t nxs_l10n_parse_rfc3339(apr_time_t *t, const char *s);

/* Parses an RFC 3339 full-date ("2026-11-27"). */
apr_status_t nxs_l10n_parse_date(int *year, int *month, int *day, const char *s);

/* True when S is a decimal string: optional "-", digits, optional "."
 * and digits; at most 30 digits in all. */
int nxs_l10n_decimal_valid(const char *s);

/* Exact decimal arithmetic on such strings: *out = A + SIGN * B, SIGN
 * being 1 or -1.  NULL operands count as zero. */
apr_status_t nxs_l10n_decimal_add(const char **out, const char *a, int sign, const char *b,
                                  apr_pool_t *p);

#endif
