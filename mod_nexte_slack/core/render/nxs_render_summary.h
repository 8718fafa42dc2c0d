/* The morning summary of active hours (docs/CONTRACT.md "Routing and filters",
 * docs/FILTERS.md): the events held for one channel while the account's
 * active hours were closed become one chat.postMessage body, posted when
 * they open, instead of a burst of messages.
 *
 * The message, within Slack's limits whatever the number of items:
 *   - a header, "🌅 12 events while you were away";
 *   - an intro carrying the channel's mention;
 *   - the count of each event type held, with its amounts summed exactly
 *     (nxs_decimal) per currency, never across types or currencies (a
 *     quote's amount is not money received): "*Invoices paid* 3 ·
 *     €1,540.00 · £200.00"; the most important types first;
 *   - the items, most important first (failed payments and alerts, then
 *     money, leads and changes, then routine news), the oldest first
 *     within a level: icon, title, date token, amount, client, and a
 *     "View" button; at most NXS_SUMMARY_MAX_ITEMS, then "…and N more";
 *   - a plain text fallback with the header and the counts.
 * Items are plain text: every string is escaped and cut here, so a title
 * stored from an event can never become a mention or a link.
 *
 * Thread safety: pure functions of their arguments (each opens its own
 * ICU formatters in P); safe from any thread. */
#ifndef NXS_RENDER_SUMMARY_H
#define NXS_RENDER_SUMMARY_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "render/nxs_render.h"

/* Items listed one by one in a summary; the rest are counted. */
#define NXS_SUMMARY_MAX_ITEMS 40

/* Currencies summed one by one for a type; more are counted. */
#define NXS_SUMMARY_MAX_CURRENCIES 10

/* How much a held event matters in the morning, most first. */
typedef enum {
    NXS_IMPORTANCE_ROUTINE = 0, /* quote sent or opened, renewal, booking, starting soon */
    NXS_IMPORTANCE_NOTABLE,     /* invoice paid, refund, quote accepted or declined, lead,
                                   cancellation, reschedule request */
    NXS_IMPORTANCE_URGENT       /* failed payment, and every alert (overdue invoice, paused
                                   project, integration error, quota) */
} nxs_importance_e;

/* One held event as the summary needs it.  Its category is its type's
 * (event/nxs_event.h), so it is not repeated here. */
typedef struct nxs_summary_item_t {
    const char *type;       /* "payment.failed"; an unknown type counts as "Other events" */
    apr_time_t occurred_at; /* shown as a Slack date token */
    const char *amount;     /* decimal string as the event carried it, or NULL */
    const char *currency;   /* ISO 4217 of AMOUNT; NULL: the account's (settings) */
    const char *title;      /* plain text, "Invoice INV-2026-042 paid"; NULL: counted, not
                               listed */
    const char *client;     /* plain text after the amount ("Acme SARL"), or NULL */
    const char *url;        /* the "View" link; NULL or unusable: no button */
    nxs_importance_e importance;
} nxs_summary_item_t;

/* The importance of an event of TYPE (the table above; ROUTINE for a type
 * not in the catalogue). */
nxs_importance_e nxs_summary_importance(const char *type);

/* Makes the summary item of EVENT (an envelope) with the settings it was
 * held under: the title of its message in the settings' locale, its
 * record's link (record.url, else the app's page), its amount, client and
 * importance.  Strings are copied into P.  APR_EINVAL with *why as
 * nxs_render_event when the event cannot be rendered. */
apr_status_t nxs_render_summary_item(nxs_summary_item_t *item, const char **why,
                                     const json_t *event, const nxs_render_settings_t *s,
                                     apr_pool_t *p);

/* Renders the summary of the COUNT items (at least one, in any order) into
 * *MSG, a pool-owned chat.postMessage body without "channel"; the
 * settings give locale, zone, the account's currency, the mention (the
 * caller passes the strongest mention among the held events' categories)
 * and the app URL; delivery_id is not used (no "Mark as handled" on a
 * summary).  An item with an amount that is not a decimal string or a
 * currency that is not ISO 4217 is counted and listed without it.
 * APR_EINVAL with *why for no items or bad settings. */
apr_status_t nxs_render_summary(json_t **msg, const char **why, const nxs_summary_item_t *items,
                                int count, const nxs_render_settings_t *s, apr_pool_t *p);

#endif
