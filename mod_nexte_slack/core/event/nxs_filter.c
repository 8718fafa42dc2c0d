/* The advanced filters on one routed event, step by step in the order
 * nxs_filter.h gives: threshold, members, channel, active hours. */
#include "event/nxs_filter.h"

#include <string.h>

#include "event/nxs_event.h"
#include "l10n/nxs_l10n.h"
#include "nxs_active_hours.h"
#include "nxs_decimal.h"
#include "nxs_settings_check.h"

#define PLAN_WITH_FILTERS "agency"

/* The setting of CATEGORY in the filters' object KEY, or NULL; *bad when
 * KEY is there but not an object. */
static const json_t *per_key(int *bad, const json_t *filters, const char *key, const char *name)
{
    const json_t *map = json_object_get(filters, key);

    *bad = map && !json_is_object(map);
    return *bad || !name ? NULL : json_object_get(map, name);
}

static apr_status_t malformed(const char **why, const char *what)
{
    *why = what;
    return APR_EINVAL;
}

/* Step 3: *drop when the amount is in the account's currency and at most
 * the category's threshold. */
static apr_status_t threshold(int *drop, const char **why, const nxs_envelope_t *env,
                              const nxs_account_t *account, const json_t *filters)
{
    int bad, cmp;
    const json_t *v = per_key(&bad, filters, "amount_thresholds", env->category);
    const char *limit = json_string_value(v);
    const char *currency = env->currency ? env->currency : account->currency;
    const char *magnitude;

    *drop = 0;
    if (bad || (v && (!nxs_decimal_valid(limit) || *limit == '-'))) {
        return malformed(why, "amount_thresholds");
    }
    if (!v || !env->amount || !currency || !account->currency ||
        strcmp(currency, account->currency) != 0) {
        return APR_SUCCESS;
    }
    magnitude = env->amount + (*env->amount == '-');
    if (nxs_decimal_cmp(&cmp, magnitude, limit) != APR_SUCCESS) {
        return malformed(why, "amount.value");
    }
    *drop = cmp <= 0;
    return APR_SUCCESS;
}

/* Step 4: *drop unless member.id is one of the category's chosen members
 * (an empty or missing list chooses nobody: no filter). */
static apr_status_t members(int *drop, const char **why, const nxs_envelope_t *env,
                            const json_t *filters)
{
    int bad;
    const json_t *list = per_key(&bad, filters, "members", env->category), *m;
    size_t i;

    *drop = 0;
    if (bad || (list && !json_is_array(list))) {
        return malformed(why, "members");
    }
    if (json_array_size(list) == 0) {
        return APR_SUCCESS;
    }
    *drop = 1;
    json_array_foreach(list, i, m)
    {
        if (!json_is_string(m)) {
            return malformed(why, "members");
        }
        if (env->member_id && strcmp(json_string_value(m), env->member_id) == 0) {
            *drop = 0;
        }
    }
    return APR_SUCCESS;
}

/* The channel of ID in the filters' object KEY, or NULL. */
static apr_status_t dedicated(const char **channel, const char **why, const json_t *filters,
                              const char *key, const char *id)
{
    int bad;
    const json_t *v = per_key(&bad, filters, key, id);

    *channel = json_string_value(v);
    if (bad || (v && nxs_check_channel_id(*channel))) {
        *channel = NULL;
        return malformed(why, key);
    }
    return APR_SUCCESS;
}

/* Step 5: project, else client, else the category's channel. */
static apr_status_t destination(nxs_filter_t *out, const char **why, const nxs_envelope_t *env,
                                const json_t *filters)
{
    const char *project = NULL, *client = NULL;
    apr_status_t rv;

    if ((rv = dedicated(&project, why, filters, "project_channels", env->project_id)) ||
        (rv = dedicated(&client, why, filters, "client_channels", env->client_id))) {
        return rv;
    }
    if (project) {
        out->channel = project;
        out->via = NXS_FILTER_VIA_PROJECT;
    } else if (client) {
        out->channel = client;
        out->via = NXS_FILTER_VIA_CLIENT;
    }
    return APR_SUCCESS;
}

/* Step 6: held until the hours open when NOW is outside them. */
static apr_status_t active_hours(nxs_filter_t *out, const char **why, const nxs_envelope_t *env,
                                 const nxs_account_t *account, const json_t *filters,
                                 apr_time_t now, apr_pool_t *p)
{
    const json_t *v = json_object_get(filters, "active_hours");
    const char *tz =
        account->timezone && nxs_l10n_timezone_known(account->timezone) ? account->timezone : "UTC";
    nxs_active_hours_t ah;
    apr_time_t opens;
    int inside = 1;

    if (!v || json_is_null(v) ||
        nxs_event_type_parse(env->type) == NXS_EVT_APPOINTMENT_STARTING_SOON) {
        return APR_SUCCESS;
    }
    if (nxs_active_hours_parse(&ah, v, p) || nxs_active_hours_inside(&inside, &ah, now, tz) ||
        (!inside && nxs_active_hours_next_start(&opens, &ah, now, tz))) {
        return malformed(why, "active_hours");
    }
    if (!inside) {
        out->action = NXS_FILTER_HOLD;
        out->reason = NXS_FILTER_OUTSIDE_HOURS;
        out->release_at = opens;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_filter_event(nxs_filter_t *out, const char **why, const nxs_envelope_t *env,
                              const nxs_route_t *route, const nxs_account_t *account,
                              const json_t *filters, apr_time_t now, apr_pool_t *p)
{
    nxs_filter_t decided;
    int drop = 0;
    apr_status_t rv;

    *why = NULL;
    memset(out, 0, sizeof(*out));
    out->action = NXS_FILTER_POST;
    out->via = NXS_FILTER_VIA_CATEGORY;
    out->team = route->team;
    out->channel = route->channel;
    out->mention = route->mention;
    if (route->reason) {
        out->action = NXS_FILTER_DROP;
        out->reason = route->reason;
        return APR_SUCCESS;
    }
    if (!account || !account->plan || strcmp(account->plan, PLAN_WITH_FILTERS) != 0 || !filters) {
        return APR_SUCCESS;
    }
    if (!json_is_object(filters)) {
        return malformed(why, "filters");
    }
    /* Decided on a copy, so that a malformed part leaves *OUT unfiltered. */
    decided = *out;
    if ((rv = threshold(&drop, why, env, account, filters)) != APR_SUCCESS) {
        return rv;
    }
    if (drop) {
        decided.action = NXS_FILTER_DROP;
        decided.reason = NXS_FILTER_BELOW_THRESHOLD;
    } else if ((rv = members(&drop, why, env, filters)) != APR_SUCCESS) {
        return rv;
    } else if (drop) {
        decided.action = NXS_FILTER_DROP;
        decided.reason = NXS_FILTER_MEMBER_FILTERED;
    } else if ((rv = destination(&decided, why, env, filters)) != APR_SUCCESS ||
               (rv = active_hours(&decided, why, env, account, filters, now, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = decided;
    return APR_SUCCESS;
}
