/* Rendering of Slack messages: an event envelope (docs/CONTRACT.md "Events") or the daily
 * recap, plus the account's settings, become the JSON body of a
 * chat.postMessage call (the caller adds "channel").  The active-hours
 * summary has its own header, render/nxs_render_summary.h.
 *
 * Every message is Block Kit (a header, a section, a context line, one or
 * two buttons) with a plain "text" fallback, and respects Slack's limits.
 * Every string that comes from an event is escaped: only the module writes
 * mentions, dates and links.  See docs/RENDERING.md. */
#ifndef NXS_RENDER_H
#define NXS_RENDER_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

/* Interaction identifiers the interactions handler relies on. */
#define NXS_ACTION_HANDLED     "nxs_handled"     /* "Mark as handled"; value = delivery id */
#define NXS_ACTION_OPEN_RECORD "nxs_open_record" /* URL buttons (summary items add "_<n>") */
#define NXS_BLOCK_ACTIONS      "nxs_actions"     /* the block holding the buttons */
#define NXS_BLOCK_HANDLED      "nxs_handled_by"  /* what replaces it once handled */

/* Slack's limits, in characters (Unicode code points). */
#define NXS_LIMIT_BLOCKS       50
#define NXS_LIMIT_SECTION_TEXT 3000
#define NXS_LIMIT_HEADER_TEXT  150
#define NXS_LIMIT_BUTTON_TEXT  75
#define NXS_LIMIT_URL          3000
#define NXS_LIMIT_BUTTON_VALUE 2000
#define NXS_LIMIT_MESSAGE_TEXT 40000

typedef enum {
    NXS_MENTION_NONE = 0,
    NXS_MENTION_HERE,   /* <!here> */
    NXS_MENTION_CHANNEL /* <!channel> */
} nxs_mention_e;

/* What the account's settings contribute to a message. */
typedef struct nxs_render_settings_t {
    const char *locale;      /* "en" or "fr"; NULL means "en" */
    const char *currency;    /* ISO 4217, for amounts that carry none; may be NULL */
    const char *timezone;    /* IANA zone of the readable dates; NULL means "UTC" */
    nxs_mention_e mention;   /* the category's mention setting */
    const char *app_url;     /* NexteSlackAppURL, base of record links; may be NULL */
    const char *delivery_id; /* value of "Mark as handled"; NULL leaves the button out */
} nxs_render_settings_t;

/* The daily recap's numbers for one currency; amounts are decimal strings
 * (NULL counts as zero).  Revenue = paid + renewals - refunds. */
typedef struct nxs_recap_money_t {
    const char *currency;
    const char *paid;     /* invoices paid */
    const char *renewals; /* subscriptions renewed */
    const char *refunds;  /* refunds issued, as a positive amount */
} nxs_recap_money_t;

/* The daily recap: the previous day's numbers for one account. */
typedef struct nxs_recap_t {
    const char *day; /* "2026-11-27", in the account's time zone */
    const nxs_recap_money_t *money;
    int money_count;
    int payments; /* invoices paid + subscriptions renewed */
    int failed_payments;
    int new_leads;
    int quotes_sent;
    int quotes_accepted;
    int appointments_booked;
} nxs_recap_t;

/* "none", "here" or "channel" (as the settings store them). */
apr_status_t nxs_render_mention_parse(nxs_mention_e *m, const char *name);

/* Renders EVENT (an envelope) into *MSG, a pool-owned chat.postMessage
 * body without "channel".  APR_EINVAL with *why naming the field when the
 * envelope lacks what its type needs, has a malformed value, or has a type
 * that is unknown or never posted; APR_EINVAL too for bad settings. */
apr_status_t nxs_render_event(json_t **msg, const char **why, const json_t *event,
                              const nxs_render_settings_t *s, apr_pool_t *p);

/* Renders the daily recap (category "recap"; no "Mark as handled"). */
apr_status_t nxs_render_recap(json_t **msg, const char **why, const nxs_recap_t *recap,
                              const nxs_render_settings_t *s, apr_pool_t *p);

/* Reads a recap from JSON (the CLI's input, shape in docs/RENDERING.md):
 * {"day": "2026-11-27", "money": [{"currency": "EUR", "paid": "3400.00",
 * "renewals": "290.00", "refunds": "120.00"}], "payments": 5, ...}. */
apr_status_t nxs_render_recap_read(nxs_recap_t **recap, const char **why, const json_t *json,
                                   apr_pool_t *p);

/* A new delivery id, the value of the "Mark as handled" button that a click
 * brings back: "d_" and 16 random bytes in URL-safe base64.  APR_SUCCESS,
 * or the status of the random source. */
apr_status_t nxs_render_delivery_id_new(const char **id, apr_pool_t *p);

/* True when ID has the shape nxs_render_delivery_id_new makes ("d_" and
 * URL-safe base64, at most 80 characters): anything else in a click is
 * refused before it reaches the store. */
int nxs_render_delivery_id_ok(const char *id);

/* The message POSTED (the chat.postMessage JSON as it was sent) once
 * handled: its buttons replaced by "✅ Handled by <@USER_ID> · <date>",
 * in the settings' locale, the date as a Slack date token (each reader
 * sees their own time zone; the fallback uses the settings' zone).  *MSG
 * has "blocks" and "text"; the caller adds "channel" and "ts" for
 * chat.update.  Rendering an already handled message again replaces its
 * line, so the result is the same whoever clicks.  APR_EINVAL with *why
 * for a POSTED that is not a message or a USER_ID that is not Slack's. */
apr_status_t nxs_render_handled(json_t **msg, const char **why, const char *posted,
                                const char *user_id, apr_time_t at, const nxs_render_settings_t *s,
                                apr_pool_t *p);

#endif
