/* Events held outside an Agency account's active hours (docs/FILTERS.md
 * "Held events"): what travels with a held event to the daemon, and when
 * an account's held events are released as one summary per channel.
 *
 * The rules (decided here, applied by the chores round):
 *   - a held event is stored with the channel, workspace and mention the
 *     filters chose when it was accepted, and its summary item made then
 *     (in the account's language at that time);
 *   - when to release is read from the account's CURRENT settings at each
 *     round: so a change of active hours or of time zone while events are
 *     held moves the release, a downgrade below Agency or removing the
 *     active hours releases at once, and a disconnect drops what is held
 *     (there is nowhere to post it; the settings are kept for the grace);
 *   - released: now when the account is inside its active hours (the
 *     window that was waited for has opened), else at their next opening.
 *
 * Pure functions; safe from any thread. */
#ifndef NXS_HELD_H
#define NXS_HELD_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "render/nxs_render_summary.h"
#include "store/nxs_store.h"

/* The hold part of an event's scheduled-work payload: {"team", "channel",
 * "mention", "item": {...}, "held_at"} (a new pool-owned object). */
json_t *nxs_held_hold_json(const char *team, const char *channel, const char *mention,
                           const nxs_summary_item_t *item, apr_time_t held_at, apr_pool_t *p);

/* The item of a held row (its item_json) back.  APR_EINVAL when it is
 * not one (then the row is summarised as counted only). */
apr_status_t nxs_held_item_parse(nxs_summary_item_t *item, const char *json, apr_pool_t *p);

/* The item as JSON text, as nxs_held_hold_json stores it. */
const char *nxs_held_item_json(const nxs_summary_item_t *item, apr_pool_t *p);

typedef enum {
    NXS_HELD_WAIT = 0, /* keep; look again at *next */
    NXS_HELD_RELEASE,  /* post the summaries now */
    NXS_HELD_DROP      /* not connected: drop what is held */
} nxs_held_decision_e;

/* What to do at NOW with the events held by ACCOUNT, CONNECTED or not,
 * whose filters are FILTERS (as stored; NULL for none).  *next is set for
 * NXS_HELD_WAIT (the next opening of the active hours). */
nxs_held_decision_e nxs_held_decide(apr_time_t *next, const nxs_account_t *account, int connected,
                                    const json_t *filters, apr_time_t now, apr_pool_t *p);

#endif
