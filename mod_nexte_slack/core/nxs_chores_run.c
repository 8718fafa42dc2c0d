/* One round of the alerts and recaps that are due: claim, route, render,
 * queue, finish (see nxs_chores_run.h). */
#include "nxs_chores_run.h"

#include <apr_strings.h>
#include <string.h>

#include "event/nxs_event.h"
#include "event/nxs_filter.h"
#include "nxs_chores.h"
#include "nxs_clock.h"
#include "nxs_held.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "render/nxs_render.h"
#include "render/nxs_render_summary.h"
#include "store/nxs_store_held.h"

/* The loop looks again at least this often: alerts booked by other
 * processes, abandoned claims, accounts that connected. */
#define MAX_SLEEP apr_time_from_sec(60)

/* How often the purge runs: rows expire by the hour at the finest
 * (OAuth states after 10 min matter only as clutter). */
#define PURGE_PERIOD apr_time_from_sec(3600)

/* Held events are released under a claim per account and this period. */
#define SUMMARY_SLOT apr_time_from_sec(60)

/* What a message needs from the account's settings. */
typedef struct {
    nxs_account_t *account;
    nxs_workspace_t *active; /* NULL when not connected */
    apr_array_header_t *categories;
} settings_t;

static apr_status_t settings_load(settings_t *s, nxs_db_t *db, const char *account, apr_pool_t *p)
{
    apr_status_t rv;

    memset(s, 0, sizeof(*s));
    if ((rv = nxs_store_account_get(&s->account, db, account, p)) != APR_SUCCESS ||
        (rv = nxs_store_workspace_active(&s->active, db, account, p)) != APR_SUCCESS) {
        return rv;
    }
    return nxs_store_categories_list(&s->categories, db, account, p);
}

/* Queues MSG for (ACCOUNT, TEAM, CHANNEL) under the id EVENT_ID. */
static apr_status_t enqueue(const nxs_chores_env_t *env, const char *account, const char *team,
                            const char *channel, const char *event_id, const char *category,
                            const char *delivery_id, const char *record, json_t *msg, apr_pool_t *p)
{
    json_t *idem, *deliveries;

    json_object_set_new(msg, "channel", json_string(channel));
    idem = nxs_json_own(json_pack("{s:s, s:s}", "account", account, "event_id", event_id), p);
    deliveries = nxs_json_own(
        json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}]", "account", account, "team", team,
                  "channel", channel, "event_id", event_id, "category", category, "delivery_id",
                  delivery_id, "record", record, "payload", nxs_json_dump(msg, JSON_COMPACT, p)),
        p);
    return env->enqueue(env->baton, idem, deliveries);
}

/* The render settings of a message for CAT of the account in S: its locale,
 * currency, zone and the category's mention, and a fresh delivery id for
 * "Mark as handled" (rs->delivery_id). */
static apr_status_t render_settings(nxs_render_settings_t *rs, const settings_t *s,
                                    const nxs_category_t *cat, const nxs_chores_env_t *env,
                                    apr_pool_t *p)
{
    memset(rs, 0, sizeof(*rs));
    if (nxs_render_mention_parse(&rs->mention, cat->mention) != APR_SUCCESS) {
        rs->mention = NXS_MENTION_NONE;
    }
    rs->locale = s->account ? s->account->locale : NULL;
    rs->currency = s->account ? s->account->currency : NULL;
    rs->timezone = nxs_chores_zone(s->account);
    rs->app_url = env->app_url;
    return nxs_render_delivery_id_new(&rs->delivery_id, p);
}

/* The record of an alert, as "Mark as handled" reports it: {"kind", "id",
 * "number"} of the booking. */
static const char *record_of(const json_t *ev, apr_pool_t *p)
{
    static const char *const keys[] = {"kind", "id", "number"};
    const json_t *rec = json_object_get(ev, "record");
    json_t *out = nxs_json_own(json_object(), p);

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i) {
        const json_t *v = json_object_get(rec, keys[i]);
        if (json_is_string(v)) {
            json_object_set(out, keys[i], (json_t *)v);
        }
    }
    return json_object_size(out) ? nxs_json_dump(out, JSON_COMPACT, p) : "";
}

/* The channel and mention of CATEGORY in the account's active workspace,
 * or the reason there is none (not_connected, or NO_CHANNEL).  The same
 * rule as nxs_route_event, which takes an event of Nexte core: alerts and
 * recaps are made by the module. */
static const char *category_route(nxs_category_t **out, const settings_t *s, const char *category,
                                  const char *no_channel)
{
    int i;

    *out = NULL;
    if (!s->active) {
        return "not_connected";
    }
    for (i = 0; i < s->categories->nelts; ++i) {
        nxs_category_t *c = APR_ARRAY_IDX(s->categories, i, nxs_category_t *);
        if (strcmp(c->category, category) == 0 && c->channel_id) {
            *out = c;
            return NULL;
        }
    }
    return no_channel;
}

/* The Agency filters applied to the alert ROOT (docs/FILTERS.md): its
 * booking's member filter and client or project channel, never its
 * active hours (nxs_filter_event does not hold a starting-soon alert).
 * *f says where it goes; *skip_reason why not (member_filtered...). */
static apr_status_t alert_filters(nxs_filter_t *f, const char **skip_reason, nxs_db_t *db,
                                  const settings_t *s, const nxs_category_t *cat,
                                  const json_t *root, const char *m_event_id, apr_time_t now,
                                  apr_pool_t *p)
{
    json_t *copy;
    nxs_route_t route = {NULL, s->active->team_id, cat->channel_id, NXS_MENTION_NONE};
    nxs_envelope_t ev;
    const char *field = NULL, *why = NULL;
    json_t *filters = NULL;
    apr_status_t rv;

    if (nxs_render_mention_parse(&route.mention, cat->mention) != APR_SUCCESS) {
        route.mention = NXS_MENTION_NONE;
    }
    /* The alert's id ("soon/<event id>") and type are the module's own,
     * which the envelope parser refuses on purpose: it is read as its
     * booking event, then typed as the alert (so that it is never held). */
    copy = nxs_json_own(json_copy((json_t *)root), p);
    json_object_set_new(copy, "id", json_string(m_event_id));
    json_object_set_new(copy, "type", json_string("appointment.booked"));
    if (nxs_envelope_parse(&ev, &field, &why, copy, p) != APR_SUCCESS) {
        *skip_reason = "invalid";
        return APR_SUCCESS;
    }
    ev.type = "appointment.starting_soon";
    if (s->account && s->account->plan && strcmp(s->account->plan, "agency") == 0 &&
        (rv = nxs_store_filters_json(&filters, &why, db, s->account->id, p)) != APR_SUCCESS &&
        rv != APR_EINVAL) {
        return rv; /* not JSON: posted as routed, like the events handler */
    }
    if (nxs_filter_event(f, &why, &ev, &route, s->account, filters, now, p) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00140",
                "account %s: its filters are not applied to the alert %s: %s", s->account->id,
                ev.id, why);
    }
    if (f->action != NXS_FILTER_POST) {
        *skip_reason = f->reason ? f->reason : "filtered";
    }
    return APR_SUCCESS;
}

/* Sends claimed alert M; *skip_reason set when it is not to be sent. */
static apr_status_t send_alert(const char **skip_reason, nxs_db_t *db, const nxs_chores_env_t *env,
                               const nxs_reminder_t *m, apr_time_t now, apr_pool_t *p)
{
    nxs_render_settings_t rs;
    nxs_category_t *cat = NULL;
    nxs_filter_t f;
    settings_t s;
    json_t *root = NULL, *msg = NULL;
    const char *why = NULL;
    apr_status_t rv;

    *skip_reason = NULL;
    if ((rv = settings_load(&s, db, m->account_id, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((*skip_reason = category_route(&cat, &s, NXS_CAT_BOOKING, "category_unmapped")) != NULL) {
        return APR_SUCCESS;
    }
    if (nxs_chores_reminder_envelope(&root, m, now, p) != APR_SUCCESS) {
        *skip_reason = "invalid";
        return APR_SUCCESS;
    }
    if ((rv = render_settings(&rs, &s, cat, env, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = alert_filters(&f, skip_reason, db, &s, cat, root, m->event_id, now, p)) !=
            APR_SUCCESS ||
        *skip_reason) {
        return rv;
    }
    rs.mention = f.mention;
    if (nxs_render_event(&msg, &why, root, &rs, p) != APR_SUCCESS) {
        *skip_reason = "invalid";
        return APR_SUCCESS;
    }
    return enqueue(env, m->account_id, f.team, f.channel, nxs_json_path_str(root, "id"),
                   NXS_CAT_BOOKING, rs.delivery_id, record_of(root, p), msg, p);
}

static apr_status_t run_alerts(nxs_chores_report_t *report, nxs_db_t *db,
                               const nxs_chores_env_t *env, apr_time_t now, apr_pool_t *p)
{
    apr_array_header_t *claimed = NULL;
    apr_int64_t secs = apr_time_sec(now);
    int skipped = 0, i, done = 0;
    apr_pool_t *ip = NULL; /* one alert's allocations, freed before the next */
    apr_status_t rv;

    rv = nxs_store_reminders_claim_due(&claimed, &skipped, db, env->node, secs,
                                       apr_time_sec(env->lease), env->batch, p);
    report->reminders_skipped += skipped;
    apr_pool_create(&ip, p);
    if (skipped) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00120",
                "%d pre-meeting alert(s) skipped: the meeting had started (server down at the "
                "alert time?)",
                skipped);
    }
    for (i = 0; i < claimed->nelts; ++i) {
        const nxs_reminder_t *m = APR_ARRAY_IDX(claimed, i, const nxs_reminder_t *);
        const char *skip = NULL;
        apr_status_t sent;

        apr_pool_clear(ip);
        sent = send_alert(&skip, db, env, m, now, ip);

        if (sent != APR_SUCCESS) {
            NXS_LOG(NXS_LOG_WARNING, sent, "NXS00121",
                    "pre-meeting alert of account %s, appointment %s not queued; another round "
                    "retries it after the claim's lease",
                    m->account_id, m->record_id);
            report->failures++; /* left claimed: tried again after the lease */
            continue;
        }
        if (skip) {
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00122",
                    "pre-meeting alert of account %s, appointment %s skipped: %s", m->account_id,
                    m->record_id, skip);
        } else {
            NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00123",
                    "pre-meeting alert of account %s, appointment %s queued (claim by %s)",
                    m->account_id, m->record_id, env->node);
        }
        sent = nxs_store_reminder_finish(
            &done, db, m, skip ? NXS_REMINDER_SKIPPED : NXS_REMINDER_SENT, skip, secs, ip);
        rv = rv ? rv : sent; /* the first error is the one reported */
        *(skip ? &report->reminders_skipped : &report->reminders_sent) += 1;
    }
    return rv;
}

/* Sends the claimed recap of (ACCOUNT, DAY); *skip_reason when not sent. */
static apr_status_t send_recap(const char **skip_reason, nxs_db_t *db, const nxs_chores_env_t *env,
                               const char *account, const char *day, apr_pool_t *p)
{
    nxs_render_settings_t rs;
    nxs_category_t *cat = NULL;
    nxs_recap_t *recap = NULL;
    settings_t s;
    json_t *msg = NULL;
    const char *why = NULL;
    int events = 0;
    apr_status_t rv;

    *skip_reason = NULL;
    if ((rv = nxs_store_recap_metrics(&recap, &events, db, account, day, p)) != APR_SUCCESS ||
        (rv = settings_load(&s, db, account, p)) != APR_SUCCESS) {
        return rv;
    }
    if (events == 0) {
        *skip_reason = NXS_RECAP_REASON_NO_ACTIVITY;
        return APR_SUCCESS;
    }
    if ((*skip_reason = category_route(&cat, &s, NXS_CAT_RECAP, NXS_RECAP_REASON_NO_CHANNEL)) !=
        NULL) {
        return APR_SUCCESS;
    }
    if ((rv = render_settings(&rs, &s, cat, env, p)) != APR_SUCCESS) {
        return rv;
    }
    /* A recap has no "Mark as handled": without a delivery id the daemon
     * records no nxs_deliveries row for it (10 000 useless writes in the
     * 09:00 burst, competing with the round's own; BENCHMARKS.md). */
    rs.delivery_id = NULL;
    if (nxs_render_recap(&msg, &why, recap, &rs, p) != APR_SUCCESS) {
        *skip_reason = "invalid"; /* e.g. a stored currency the renderer refuses */
        return APR_SUCCESS;
    }
    return enqueue(env, account, s.active->team_id, cat->channel_id,
                   apr_pstrcat(p, "recap/", day, NULL), NXS_CAT_RECAP, "", "", msg, p);
}

static apr_status_t run_recaps(nxs_chores_report_t *report, apr_time_t *next, nxs_db_t *db,
                               const nxs_chores_env_t *env, apr_time_t now, apr_pool_t *p)
{
    apr_array_header_t *accounts = NULL;
    apr_int64_t secs = apr_time_sec(now);
    apr_pool_t *ip = NULL; /* one recap's allocations, freed before the next */
    nxs_chores_zone_memo_t *memo = apr_palloc(p, sizeof(*memo));
    apr_status_t rv;
    int i, since_alerts = 0;

    if ((rv = nxs_store_recap_accounts(&accounts, db, p)) != APR_SUCCESS) {
        return rv;
    }
    *next = nxs_chores_next_recap(accounts, now);
    /* Rendering a recap allocates tens of KiB (measured: ~97 KiB with its
     * SQL reads); 10 000 accounts due at the same 09:00 in one pool took
     * ~1 GB until the round ended (bench/chores/rounds.sh). */
    apr_pool_create(&ip, p);
    nxs_chores_zone_memo_init(memo, now);
    for (i = 0; rv == APR_SUCCESS && i < accounts->nelts; ++i) {
        const nxs_account_t *a = APR_ARRAY_IDX(accounts, i, const nxs_account_t *);
        const nxs_chores_zone_due_t *z = nxs_chores_zone_due(memo, a);
        const char *state = NULL, *reason = NULL, *skip = NULL, *dayname;
        apr_status_t sent;
        int won = 0, done = 0;

        apr_pool_clear(ip);
        if (z->rv != APR_SUCCESS || !z->due) {
            continue;
        }
        dayname = nxs_day_format(&z->day, ip);
        /* Read before claiming: an INSERT takes SQLite's write lock even
         * when it changes nothing, and this runs every round. */
        if ((rv = nxs_store_recap_state(&state, &reason, db, a->id, dayname, ip)) != APR_SUCCESS ||
            (state && strcmp(state, NXS_RECAP_CLAIMED) != 0)) {
            continue;
        }
        if ((rv = nxs_store_recap_claim(&won, db, a->id, dayname, env->node, secs,
                                        apr_time_sec(env->lease), ip)) != APR_SUCCESS ||
            !won) {
            continue;
        }
        if (env->alerts_every > 0 && ++since_alerts >= env->alerts_every) {
            /* A long burst of recaps (10 000 at the same 09:00 take tens of
             * seconds) must not hold back an alert that fell due meanwhile:
             * look again, at the clock's time, every ALERTS_EVERY recaps. */
            apr_time_t live = nxs_clock_now();
            since_alerts = 0;
            if ((rv = run_alerts(report, db, env, live > now ? live : now, p)) != APR_SUCCESS) {
                break;
            }
        }
        if ((sent = send_recap(&skip, db, env, a->id, dayname, ip)) != APR_SUCCESS) {
            NXS_LOG(NXS_LOG_WARNING, sent, "NXS00124",
                    "daily recap of account %s for %s not queued; another round retries it "
                    "after the claim's lease (until the local day ends)",
                    a->id, dayname);
            report->failures++; /* left claimed: tried again after the lease */
            continue;
        }
        if (skip) {
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00125", "daily recap of account %s for %s skipped: %s",
                    a->id, dayname, skip);
        } else {
            NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00126",
                    "daily recap of account %s for %s queued (claim by %s)", a->id, dayname,
                    env->node);
        }
        rv = nxs_store_recap_finish(&done, db, a->id, dayname, env->node,
                                    skip ? NXS_RECAP_SKIPPED : NXS_RECAP_SENT, skip, secs, ip);
        *(skip ? &report->recaps_skipped : &report->recaps_sent) += 1;
    }
    return rv;
}

/* Queues the summary of the N held rows ROWS (one channel of ACCOUNT).
 * A row whose item cannot be read is counted as an event of its kind
 * only. */
static apr_status_t send_summary(const nxs_chores_env_t *env, const nxs_account_t *account,
                                 nxs_held_t *const *rows, int n, apr_pool_t *p)
{
    nxs_summary_item_t *items = apr_pcalloc(p, sizeof(*items) * (apr_size_t)n);
    nxs_render_settings_t rs;
    nxs_mention_e strongest = NXS_MENTION_NONE, m;
    const char *why = NULL, *key;
    json_t *msg = NULL;
    int i;

    for (i = 0; i < n; ++i) {
        if (nxs_held_item_parse(&items[i], rows[i]->item_json, p) != APR_SUCCESS) {
            items[i].type = "unknown";
            items[i].occurred_at = apr_time_from_sec(rows[i]->held_at);
        }
        if (nxs_render_mention_parse(&m, rows[i]->mention) == APR_SUCCESS && m > strongest) {
            strongest = m;
        }
    }
    memset(&rs, 0, sizeof(rs));
    rs.locale = account->locale;
    rs.currency = account->currency;
    rs.timezone = nxs_chores_zone(account);
    rs.mention = strongest;
    rs.app_url = env->app_url;
    if (nxs_render_summary(&msg, &why, items, n, &rs, p) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_ERR, 0, "NXS00136",
                "morning summary of %d held event(s) for channel %s (account %s) cannot be "
                "rendered: %s; dropped",
                n, rows[0]->channel_id, account->id, why ? why : "?");
        return APR_SUCCESS;
    }
    /* The same rows give the same key: a summary queued by a round that
     * died before deleting them is a duplicate for the queue. */
    key = apr_psprintf(p, "summary/%s/%" APR_INT64_T_FMT "/%d", rows[0]->channel_id,
                       rows[n - 1]->held_at, n);
    return enqueue(env, account->id, rows[0]->team_id, rows[0]->channel_id, key, "summary", "", "",
                   msg, p);
}

/* Releases what ACCOUNT holds: one summary per channel, then the rows
 * deleted, under a claim per account and minute so that one process of
 * one node does it. */
static apr_status_t release_held(nxs_chores_report_t *report, nxs_db_t *db,
                                 const nxs_chores_env_t *env, const nxs_account_t *account,
                                 apr_time_t now, apr_pool_t *p)
{
    const char *slot =
        apr_pstrcat(p, account->id, "/", nxs_chores_slot(now, SUMMARY_SLOT, p), NULL);
    apr_int64_t secs = apr_time_sec(now);
    apr_array_header_t *rows = NULL;
    int won = 0, done = 0, deleted = 0, i, first, sent = 0;
    apr_status_t rv;

    if ((rv = nxs_store_chore_claim(&won, db, "summary", slot, env->node, secs,
                                    apr_time_sec(env->lease), p)) != APR_SUCCESS ||
        !won || (rv = nxs_store_held_list(&rows, db, account->id, p)) != APR_SUCCESS) {
        return rv;
    }
    for (first = 0, i = 1; i <= rows->nelts; ++i) {
        nxs_held_t *const *r = (nxs_held_t *const *)rows->elts;
        if (i < rows->nelts && strcmp(r[i]->channel_id, r[first]->channel_id) == 0) {
            continue;
        }
        if ((rv = send_summary(env, account, r + first, i - first, p)) != APR_SUCCESS) {
            NXS_LOG(NXS_LOG_WARNING, rv, "NXS00137",
                    "morning summary for channel %s (account %s) not queued; tried again "
                    "after the claim's lease",
                    r[first]->channel_id, account->id);
            report->failures++;
            return APR_SUCCESS; /* left claimed, rows kept */
        }
        ++sent;
        first = i;
    }
    if ((rv = nxs_store_held_delete(&deleted, db, rows, p)) != APR_SUCCESS) {
        return rv;
    }
    report->summaries_sent += sent;
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00138",
            "account %s: %d held event(s) released as %d summary message(s)", account->id, deleted,
            sent);
    return nxs_store_chore_finish(&done, db, "summary", slot, env->node, "done",
                                  apr_psprintf(p, "%d events, %d channels", deleted, sent), secs,
                                  p);
}

/* The accounts holding events: released when their active hours are
 * open (or filters no longer hold them), dropped when disconnected, else
 * looked at again when the hours open (*next). */
static apr_status_t run_held(nxs_chores_report_t *report, apr_time_t *next, nxs_db_t *db,
                             const nxs_chores_env_t *env, apr_time_t now, apr_pool_t *p)
{
    apr_array_header_t *accounts = NULL;
    apr_pool_t *ip = NULL;
    apr_status_t rv;
    int i;

    *next = 0;
    if ((rv = nxs_store_held_accounts(&accounts, db, p)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&ip, p);
    for (i = 0; rv == APR_SUCCESS && i < accounts->nelts; ++i) {
        const nxs_held_account_t *h = APR_ARRAY_IDX(accounts, i, const nxs_held_account_t *);
        const char *why = NULL;
        json_t *filters = NULL;
        apr_time_t when = 0;
        int dropped = 0;

        apr_pool_clear(ip);
        if ((rv = nxs_store_filters_json(&filters, &why, db, h->account->id, ip)) != APR_SUCCESS) {
            if (rv != APR_EINVAL) {
                break;
            }
            rv = APR_SUCCESS; /* not JSON: no active hours, released */
        }
        switch (nxs_held_decide(&when, h->account, h->connected, filters, now, ip)) {
        case NXS_HELD_WAIT:
            if (!*next || when < *next) {
                *next = when;
            }
            break;
        case NXS_HELD_DROP:
            rv = nxs_store_held_drop(&dropped, db, h->account->id, ip);
            report->held_dropped += dropped;
            NXS_LOG(NXS_LOG_INFO, rv, "NXS00139",
                    "account %s is not connected: its %d held event(s) dropped", h->account->id,
                    dropped);
            break;
        case NXS_HELD_RELEASE:
            rv = release_held(report, db, env, h->account, now, ip);
            break;
        }
    }
    apr_pool_destroy(ip);
    return rv;
}

/* The hourly purge, run by whoever claims the hour first. */
static apr_status_t run_purge(nxs_chores_report_t *report, nxs_db_t *db,
                              const nxs_chores_env_t *env, apr_time_t now, apr_pool_t *p)
{
    const char *slot = nxs_chores_slot(now, PURGE_PERIOD, p);
    apr_int64_t secs = apr_time_sec(now);
    int won = 0, accounts = 0, rows = 0, done = 0;
    apr_status_t rv;

    report->purged = -1;
    if ((rv = nxs_store_chore_claim(&won, db, "purge", slot, env->node, secs,
                                    apr_time_sec(env->lease), p)) != APR_SUCCESS ||
        !won) {
        return rv;
    }
    if ((rv = nxs_store_purge(&accounts, db, secs, apr_time_sec(env->grace), p)) != APR_SUCCESS ||
        (rv = nxs_store_chores_purge(&rows, db, secs, p)) != APR_SUCCESS) {
        return rv; /* left claimed: the lease lets the next round try again */
    }
    report->purged = accounts + rows;
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00127",
            "purge of hour %s: settings of %d account(s) past the reconnect grace, %d row(s) of "
            "scheduled work",
            slot, accounts, rows);
    return nxs_store_chore_finish(&done, db, "purge", slot, env->node, "done",
                                  apr_psprintf(p, "%d accounts, %d rows", accounts, rows), secs, p);
}

apr_status_t nxs_chores_run(nxs_chores_report_t *report, nxs_db_t *db, const nxs_chores_env_t *env,
                            apr_time_t now, apr_pool_t *p)
{
    apr_time_t next_recap = 0, next_held = 0;
    apr_int64_t next_alert = 0;
    apr_status_t rv;

    memset(report, 0, sizeof(*report));
    report->next_wake = now + MAX_SLEEP;
    if ((rv = run_alerts(report, db, env, now, p)) != APR_SUCCESS ||
        (rv = run_recaps(report, &next_recap, db, env, now, p)) != APR_SUCCESS ||
        (rv = run_held(report, &next_held, db, env, now, p)) != APR_SUCCESS ||
        (rv = run_purge(report, db, env, now, p)) != APR_SUCCESS ||
        (rv = nxs_store_reminder_next_due(&next_alert, db, p)) != APR_SUCCESS) {
        return rv;
    }
    if (next_alert && apr_time_from_sec(next_alert) < report->next_wake) {
        /* A pending alert already due (more than a batch): at once. */
        report->next_wake =
            apr_time_from_sec(next_alert) > now ? apr_time_from_sec(next_alert) : now;
    }
    if (next_recap && next_recap < report->next_wake) {
        report->next_wake = next_recap;
    }
    if (next_held && next_held < report->next_wake) {
        report->next_wake = next_held;
    }
    return APR_SUCCESS;
}
