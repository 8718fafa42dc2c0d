/* The event catalog as one table, so that ingest, routing and rendering
 * agree on names, categories and what is posted. */
#include "event/nxs_event.h"

#include <string.h>

#define FROM_CORE 1 /* Nexte core may send it */

static const struct {
    const char *name;
    const char *category; /* NULL: never posted */
    int flags;
} catalog[NXS_EVT_COUNT] = {
    [NXS_EVT_UNKNOWN] = {NULL, NULL, 0},
    [NXS_EVT_INVOICE_PAID] = {"invoice.paid", NXS_CAT_PAYMENTS, FROM_CORE},
    [NXS_EVT_PAYMENT_FAILED] = {"payment.failed", NXS_CAT_PAYMENTS, FROM_CORE},
    [NXS_EVT_SUBSCRIPTION_RENEWED] = {"subscription.renewed", NXS_CAT_PAYMENTS, FROM_CORE},
    [NXS_EVT_REFUND_ISSUED] = {"refund.issued", NXS_CAT_PAYMENTS, FROM_CORE},
    [NXS_EVT_QUOTE_SENT] = {"quote.sent", NXS_CAT_QUOTES, FROM_CORE},
    [NXS_EVT_QUOTE_OPENED] = {"quote.opened", NXS_CAT_QUOTES, FROM_CORE},
    [NXS_EVT_QUOTE_ACCEPTED] = {"quote.accepted", NXS_CAT_QUOTES, FROM_CORE},
    [NXS_EVT_QUOTE_DECLINED] = {"quote.declined", NXS_CAT_QUOTES, FROM_CORE},
    [NXS_EVT_LEAD_RECEIVED] = {"lead.received", NXS_CAT_CONTACTS, FROM_CORE},
    [NXS_EVT_APPOINTMENT_BOOKED] = {"appointment.booked", NXS_CAT_BOOKING, FROM_CORE},
    [NXS_EVT_APPOINTMENT_CANCELLED] = {"appointment.cancelled", NXS_CAT_BOOKING, FROM_CORE},
    [NXS_EVT_APPOINTMENT_RESCHEDULE_REQUESTED] = {"appointment.reschedule_requested",
                                                  NXS_CAT_BOOKING, FROM_CORE},
    /* Silent: it only moves the pre-meeting alert. */
    [NXS_EVT_APPOINTMENT_RESCHEDULED] = {"appointment.rescheduled", NULL, FROM_CORE},
    [NXS_EVT_INVOICE_OVERDUE] = {"invoice.overdue", NXS_CAT_ALERTS, FROM_CORE},
    [NXS_EVT_PROJECT_PAUSED] = {"project.paused", NXS_CAT_ALERTS, FROM_CORE},
    [NXS_EVT_INTEGRATION_ERROR] = {"integration.error", NXS_CAT_ALERTS, FROM_CORE},
    [NXS_EVT_PLAN_QUOTA_NEARLY_REACHED] = {"plan.quota_nearly_reached", NXS_CAT_ALERTS, FROM_CORE},
    /* Settings for the account, not news for a channel. */
    [NXS_EVT_ACCOUNT_UPDATED] = {"account.updated", NULL, FROM_CORE},
    [NXS_EVT_APPOINTMENT_STARTING_SOON] = {"appointment.starting_soon", NXS_CAT_BOOKING, 0},
    [NXS_EVT_RECAP_DAILY] = {"recap.daily", NXS_CAT_RECAP, 0},
};

nxs_event_type_e nxs_event_type_parse(const char *name)
{
    for (int t = NXS_EVT_UNKNOWN + 1; name && t < NXS_EVT_COUNT; t++) {
        if (strcmp(catalog[t].name, name) == 0) {
            return (nxs_event_type_e)t;
        }
    }
    return NXS_EVT_UNKNOWN;
}

const char *nxs_event_type_name(nxs_event_type_e t)
{
    return t > NXS_EVT_UNKNOWN && t < NXS_EVT_COUNT ? catalog[t].name : NULL;
}

int nxs_event_from_core(const char *type)
{
    return (catalog[nxs_event_type_parse(type)].flags & FROM_CORE) != 0;
}

const char *nxs_event_category(const char *type)
{
    return catalog[nxs_event_type_parse(type)].category;
}

int nxs_event_category_known(const char *category)
{
    static const char *const names[] = {NXS_CAT_PAYMENTS, NXS_CAT_QUOTES, NXS_CAT_CONTACTS,
                                        NXS_CAT_BOOKING,  NXS_CAT_ALERTS, NXS_CAT_RECAP};

    for (size_t i = 0; category && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i], category) == 0) {
            return 1;
        }
    }
    return 0;
}

int nxs_event_is_postable(const char *type, const json_t *data)
{
    const json_t *days;

    if (!nxs_event_category(type)) {
        return 0;
    }
    if (nxs_event_type_parse(type) == NXS_EVT_INVOICE_OVERDUE) {
        days = json_object_get(data, "days_overdue");
        return json_is_integer(days) && json_integer_value(days) > NXS_OVERDUE_MIN_DAYS;
    }
    return 1;
}
