/* The event catalog (docs/CONTRACT.md "Events"): every event type, its routing category, and
 * whether an event of that type is posted to Slack at all. */
#ifndef NXS_EVENT_H
#define NXS_EVENT_H

#include <jansson.h>

typedef enum {
    NXS_EVT_UNKNOWN = 0,
    NXS_EVT_INVOICE_PAID,
    NXS_EVT_PAYMENT_FAILED,
    NXS_EVT_SUBSCRIPTION_RENEWED,
    NXS_EVT_REFUND_ISSUED,
    NXS_EVT_QUOTE_SENT,
    NXS_EVT_QUOTE_OPENED,
    NXS_EVT_QUOTE_ACCEPTED,
    NXS_EVT_QUOTE_DECLINED,
    NXS_EVT_LEAD_RECEIVED,
    NXS_EVT_APPOINTMENT_BOOKED,
    NXS_EVT_APPOINTMENT_CANCELLED,
    NXS_EVT_APPOINTMENT_RESCHEDULE_REQUESTED,
    NXS_EVT_APPOINTMENT_RESCHEDULED,
    NXS_EVT_INVOICE_OVERDUE,
    NXS_EVT_PROJECT_PAUSED,
    NXS_EVT_INTEGRATION_ERROR,
    NXS_EVT_PLAN_QUOTA_NEARLY_REACHED,
    NXS_EVT_ACCOUNT_UPDATED,
    /* Created by the module itself, never accepted from Nexte core. */
    NXS_EVT_APPOINTMENT_STARTING_SOON,
    NXS_EVT_RECAP_DAILY,
    NXS_EVT_COUNT
} nxs_event_type_e;

/* Category names, as stored in the routing settings. */
#define NXS_CAT_PAYMENTS "payments"
#define NXS_CAT_QUOTES   "quotes"
#define NXS_CAT_CONTACTS "contacts"
#define NXS_CAT_BOOKING  "booking"
#define NXS_CAT_ALERTS   "alerts"
#define NXS_CAT_RECAP    "recap"

/* An invoice.overdue event is posted only past this many days. */
#define NXS_OVERDUE_MIN_DAYS 7

/* The type named NAME ("invoice.paid"), or NXS_EVT_UNKNOWN. */
nxs_event_type_e nxs_event_type_parse(const char *name);

/* The name of type T, or NULL for NXS_EVT_UNKNOWN. */
const char *nxs_event_type_name(nxs_event_type_e t);

/* True for the types Nexte core may send (the catalogue of docs/CONTRACT.md "Events"), including
 * the silent ones (account.updated, appointment.rescheduled). */
int nxs_event_from_core(const char *type);

/* The category a posted event of TYPE is routed by ("payments", ...), or
 * NULL for a type that is never posted or unknown. */
const char *nxs_event_category(const char *type);

/* True for a category name of the settings (the six above). */
int nxs_event_category_known(const char *category);

/* True when an event of TYPE with DATA is posted: its type has a category,
 * and for invoice.overdue, data.days_overdue is more than 7. */
int nxs_event_is_postable(const char *type, const json_t *data);

#endif
