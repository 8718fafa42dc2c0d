/* The module's own words, in English and French: message strings with
 * named arguments and plural forms.  A string is picked by ID for the
 * locale of an nxs_l10n_t (l10n/nxs_l10n.h).
 *
 * Thread safety: the tables are constant; the functions use only the
 * nxs_l10n_t they are given, which is not shared between threads. */
#ifndef NXS_L10N_CATALOG_H
#define NXS_L10N_CATALOG_H

#include <apr_pools.h>

#include "l10n/nxs_l10n.h"

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
    /* What the morning summary counts, per event type: "Invoices paid". */
    NXS_T_EVENTS_INVOICE_PAID,
    NXS_T_EVENTS_PAYMENT_FAILED,
    NXS_T_EVENTS_SUBSCRIPTION_RENEWED,
    NXS_T_EVENTS_REFUND_ISSUED,
    NXS_T_EVENTS_QUOTE_SENT,
    NXS_T_EVENTS_QUOTE_OPENED,
    NXS_T_EVENTS_QUOTE_ACCEPTED,
    NXS_T_EVENTS_QUOTE_DECLINED,
    NXS_T_EVENTS_LEAD_RECEIVED,
    NXS_T_EVENTS_APPOINTMENT_BOOKED,
    NXS_T_EVENTS_APPOINTMENT_CANCELLED,
    NXS_T_EVENTS_RESCHEDULE_REQUESTED,
    NXS_T_EVENTS_STARTING_SOON,
    NXS_T_EVENTS_INVOICE_OVERDUE,
    NXS_T_EVENTS_PROJECT_PAUSED,
    NXS_T_EVENTS_INTEGRATION_ERROR,
    NXS_T_EVENTS_QUOTA_NEARLY_REACHED,
    NXS_T_EVENTS_OTHER,
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

/* The locale's string for ID, before substitution. */
const char *nxs_l10n_text(const nxs_l10n_t *l, nxs_text_e id);

/* The string for ID with "{name}" replaced by the value given after it in
 * the NULL-terminated list of name, value pairs.  Values are inserted as
 * they are: escape them first. */
const char *nxs_l10n_format(const nxs_l10n_t *l, apr_pool_t *p, nxs_text_e id, ...);

/* The plural string for ID and count N, with {n} and the name, value
 * pairs that follow substituted. */
const char *nxs_l10n_plural(nxs_l10n_t *l, apr_pool_t *p, nxs_plural_e id, long long n, ...);

#endif
