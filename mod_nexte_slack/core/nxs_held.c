/* Held events: their JSON and when they are released (see nxs_held.h). */
#include "nxs_held.h"

#include <string.h>

#include "nxs_active_hours.h"
#include "nxs_chores.h"
#include "nxs_json.h"

static json_t *item_object(const nxs_summary_item_t *it)
{
    json_t *o =
        json_pack("{s:s, s:I, s:i}", "type", it->type ? it->type : "", "occurred_at",
                  (json_int_t)apr_time_sec(it->occurred_at), "importance", (int)it->importance);
    const char *keys[] = {"amount", "currency", "title", "client", "url"};
    const char *vals[] = {it->amount, it->currency, it->title, it->client, it->url};
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i) {
        if (vals[i]) {
            json_object_set_new(o, keys[i], json_string(vals[i]));
        }
    }
    return o;
}

json_t *nxs_held_hold_json(const char *team, const char *channel, const char *mention,
                           const nxs_summary_item_t *item, apr_time_t held_at, apr_pool_t *p)
{
    return nxs_json_own(json_pack("{s:s, s:s, s:s, s:o, s:I}", "team", team, "channel", channel,
                                  "mention", mention ? mention : "none", "item", item_object(item),
                                  "held_at", (json_int_t)apr_time_sec(held_at)),
                        p);
}

const char *nxs_held_item_json(const nxs_summary_item_t *item, apr_pool_t *p)
{
    return nxs_json_dump(nxs_json_own(item_object(item), p), JSON_COMPACT, p);
}

apr_status_t nxs_held_item_parse(nxs_summary_item_t *item, const char *json, apr_pool_t *p)
{
    json_t *o = NULL;
    const char *why = NULL;
    const json_t *imp;

    memset(item, 0, sizeof(*item));
    if (!json || nxs_json_load(&o, &why, json, strlen(json), p) != APR_SUCCESS ||
        !json_is_object(o) || !nxs_json_path_str(o, "type")) {
        return APR_EINVAL;
    }
    item->type = nxs_json_path_str(o, "type");
    item->occurred_at =
        apr_time_from_sec((apr_time_t)json_integer_value(json_object_get(o, "occurred_at")));
    item->amount = nxs_json_path_str(o, "amount");
    item->currency = nxs_json_path_str(o, "currency");
    item->title = nxs_json_path_str(o, "title");
    item->client = nxs_json_path_str(o, "client");
    item->url = nxs_json_path_str(o, "url");
    imp = json_object_get(o, "importance");
    item->importance = json_is_integer(imp) && json_integer_value(imp) >= NXS_IMPORTANCE_ROUTINE &&
                               json_integer_value(imp) <= NXS_IMPORTANCE_URGENT
                           ? (nxs_importance_e)json_integer_value(imp)
                           : nxs_summary_importance(item->type);
    return APR_SUCCESS;
}

nxs_held_decision_e nxs_held_decide(apr_time_t *next, const nxs_account_t *account, int connected,
                                    const json_t *filters, apr_time_t now, apr_pool_t *p)
{
    const json_t *hours = filters ? json_object_get(filters, "active_hours") : NULL;
    nxs_active_hours_t ah;
    int inside = 0;

    *next = 0;
    if (!connected) {
        return NXS_HELD_DROP;
    }
    /* Filters apply on the Agency plan only: after a downgrade, or with
     * the active hours removed, nothing is held any more. */
    if (!account || !account->plan || strcmp(account->plan, "agency") != 0 || !hours ||
        json_is_null(hours) || nxs_active_hours_parse(&ah, hours, p) != NULL) {
        return NXS_HELD_RELEASE;
    }
    if (nxs_active_hours_inside(&inside, &ah, now, nxs_chores_zone(account)) != APR_SUCCESS ||
        inside) {
        return NXS_HELD_RELEASE;
    }
    if (nxs_active_hours_next_start(next, &ah, now, nxs_chores_zone(account)) != APR_SUCCESS) {
        return NXS_HELD_RELEASE; /* never opens again: do not keep them forever */
    }
    return NXS_HELD_WAIT;
}
