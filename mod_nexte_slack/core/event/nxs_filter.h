/* The Agency plan's advanced filters applied to one routed event
 * (docs/CONTRACT.md "Routing and filters"; the rules and why: docs/FILTERS.md):
 * post it to its category's channel, post it to a client's or a project's
 * channel instead, hold it for the summary when the active hours next
 * open, or drop it with a reason that names what dropped it.
 *
 * In this order, the first that decides wins:
 *   1. the category route (nxs_route_event) said no (not_posted,
 *      not_connected, category_unmapped): dropped with that reason.  A
 *      client or project channel never posts what the category map does
 *      not;
 *   2. the plan is not "agency", or there are no filters: posted to the
 *      category channel (filters are kept after a downgrade, not applied);
 *   3. amount threshold of the category: dropped, "below_threshold", when
 *      the amount's magnitude is at most the threshold (post only when the
 *      amount is above it; a refund sent as -120.00 counts as 120.00).  An
 *      event without an amount, or whose amount is in another currency
 *      than the account's (the threshold's), is not filtered: the module
 *      has no exchange rates, and an unneeded message costs less than a
 *      large foreign payment nobody sees;
 *   4. member filter of the category: dropped, "member_filtered", unless
 *      member.id is one of the chosen members.  An event without a member
 *      is dropped too (it is not one of them); an empty list is no filter;
 *   5. where: the project's channel when project.id has one, else the
 *      client's when client.id has one, else the category's; always with
 *      the category's mention.  A project is the finer choice (it belongs
 *      to one client), so it wins over its client;
 *   6. active hours: outside them (at NOW, when the module would post, not
 *      at occurred_at), held for the channel chosen in 5 until they next
 *      open.  The pre-meeting alert (appointment.starting_soon) is never
 *      held: in the morning it would come after the meeting.
 * Thresholds and members decide whether, channels decide where: a client
 * with a channel of its own still gets only the payments above the
 * threshold.
 *
 * Pure: no SQL, no clock of its own, no logging; it reads its arguments
 * and nothing else, so it is safe from any thread as long as nobody
 * changes them meanwhile.  The account's zone is its time zone, UTC when
 * unset or unknown to ICU (as for the daily recap). */
#ifndef NXS_FILTER_H
#define NXS_FILTER_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

#include "event/nxs_envelope.h"
#include "event/nxs_route.h"
#include "store/nxs_store.h"

typedef enum {
    NXS_FILTER_POST = 0, /* post now to out->channel */
    NXS_FILTER_HOLD,     /* hold for out->channel until out->release_at */
    NXS_FILTER_DROP      /* not posted; out->reason says why */
} nxs_filter_action_e;

/* Which setting chose the channel. */
typedef enum {
    NXS_FILTER_VIA_CATEGORY = 0,
    NXS_FILTER_VIA_CLIENT,
    NXS_FILTER_VIA_PROJECT
} nxs_filter_via_e;

/* The reasons this layer adds to nxs_route_t's. */
#define NXS_FILTER_BELOW_THRESHOLD "below_threshold"
#define NXS_FILTER_MEMBER_FILTERED "member_filtered"
#define NXS_FILTER_OUTSIDE_HOURS   "outside_active_hours" /* with NXS_FILTER_HOLD */

typedef struct nxs_filter_t {
    nxs_filter_action_e action;
    const char *reason;    /* NULL when posted */
    nxs_filter_via_e via;  /* POST and HOLD */
    const char *team;      /* the route's workspace (POST and HOLD) */
    const char *channel;   /* Slack channel id (POST and HOLD) */
    nxs_mention_e mention; /* the category's */
    apr_time_t release_at; /* HOLD: when the active hours next open */
} nxs_filter_t;

/* Decides for ENV, routed to ROUTE (nxs_route_event), of ACCOUNT (plan,
 * timezone, currency), with FILTERS the account's filters document as
 * nxs_check_filters stores it (NULL when none), at NOW.  APR_SUCCESS with
 * the decision in *OUT.  A part of FILTERS this event needs that
 * nxs_check_filters would refuse (a row written by hand): APR_EINVAL, *why
 * naming it, and *OUT the decision without any filter (step 2), so that
 * a broken setting never loses an event; the caller logs it. */
apr_status_t nxs_filter_event(nxs_filter_t *out, const char **why, const nxs_envelope_t *env,
                              const nxs_route_t *route, const nxs_account_t *account,
                              const json_t *filters, apr_time_t now, apr_pool_t *p);

#endif
