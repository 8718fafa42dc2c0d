/* The rules of scheduled work between event envelopes, local time and the
 * store (see nxs_chores.h and docs/SCHEDULED.md). */
#include "nxs_chores.h"

#include <apr_network_io.h>
#include <apr_strings.h>
#include <string.h>
#include <unistd.h>

#include "l10n/nxs_l10n.h"
#include "nxs_clock.h"
#include "nxs_json.h"
#include "nxs_time.h"

/* Event ids are at most 64 characters (docs/CONTRACT.md "Events"). */
#define EVENT_ID_MAX 64

static apr_status_t start_of(apr_int64_t *starts_at, const nxs_envelope_t *env)
{
    const char *s = nxs_json_path_str(env->root, "data.starts_at");
    apr_time_t t;

    if (!s || nxs_time_parse_rfc3339(&t, s) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *starts_at = apr_time_sec(t);
    return APR_SUCCESS;
}

apr_status_t nxs_chores_reminder_change(nxs_reminder_change_t *c, const nxs_envelope_t *env,
                                        apr_pool_t *p)
{
    const char *record = nxs_json_path_str(env->root, "record.id");
    apr_status_t rv;

    memset(c, 0, sizeof(*c));
    if (strcmp(env->type, "appointment.booked") == 0) {
        c->kind = NXS_CHANGE_BOOKED;
    } else if (strcmp(env->type, "appointment.rescheduled") == 0) {
        c->kind = NXS_CHANGE_RESCHEDULED;
    } else if (strcmp(env->type, "appointment.cancelled") == 0) {
        c->kind = NXS_CHANGE_CANCELLED;
    } else {
        return APR_ENOENT;
    }
    if (!record) {
        return APR_ENOENT;
    }
    c->account_id = env->account_id;
    c->record_id = record;
    c->event_id = env->id;
    c->occurred_at = apr_time_sec(env->occurred_at);
    if (c->kind == NXS_CHANGE_CANCELLED) {
        return APR_SUCCESS;
    }
    if ((rv = start_of(&c->starts_at, env)) != APR_SUCCESS) {
        return rv;
    }
    c->due_at = c->starts_at - apr_time_sec(NXS_REMINDER_LEAD);
    c->envelope_json = nxs_json_dump(env->root, JSON_COMPACT, p);
    return c->envelope_json ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t nxs_chores_recap_event(nxs_recap_event_t *e, const nxs_envelope_t *env, const char *tz,
                                    const char *currency, apr_pool_t *p)
{
    nxs_day_t day;
    apr_status_t rv;

    memset(e, 0, sizeof(*e));
    if (!nxs_store_recap_metric(env->type)) {
        return APR_ENOENT;
    }
    if ((rv = nxs_localtime_day(&day, env->occurred_at, tz ? tz : "UTC")) != APR_SUCCESS) {
        return rv;
    }
    e->account_id = env->account_id;
    e->event_id = env->id;
    e->type = env->type;
    e->day = nxs_day_format(&day, p);
    e->amount = env->amount;
    e->currency = env->amount ? (env->currency ? env->currency : currency) : NULL;
    e->occurred_at = apr_time_sec(env->occurred_at);
    return APR_SUCCESS;
}

/* The two effects of one event; IN_TX: inside the caller's transaction. */
static apr_status_t apply_event(nxs_reminder_outcome_e *reminder, nxs_recap_count_e *recap,
                                nxs_db_t *db, const nxs_envelope_t *env,
                                const nxs_account_t *account, apr_time_t now, int in_tx,
                                apr_pool_t *p)
{
    nxs_reminder_change_t c;
    nxs_recap_event_t e;
    apr_status_t rv;

    *reminder = NXS_REMINDER_UNCHANGED;
    *recap = NXS_RECAP_NOT_COUNTED;
    rv = nxs_chores_reminder_change(&c, env, p);
    if (rv == APR_SUCCESS) {
        rv = in_tx ? nxs_store_reminder_apply_in(reminder, db, &c, apr_time_sec(now), p)
                   : nxs_store_reminder_apply(reminder, db, &c, apr_time_sec(now), p);
    }
    /* A booking event without a usable start still counts in the recap. */
    if (rv != APR_SUCCESS && rv != APR_ENOENT && rv != APR_EINVAL) {
        return rv;
    }
    rv = nxs_chores_recap_event(&e, env, nxs_chores_zone(account),
                                account ? account->currency : NULL, p);
    if (rv == APR_ENOENT) {
        return APR_SUCCESS;
    }
    return rv ? rv : nxs_store_recap_count(recap, db, &e, apr_time_sec(now), p);
}

apr_status_t nxs_chores_event_accepted(nxs_reminder_outcome_e *reminder, nxs_recap_count_e *recap,
                                       nxs_db_t *db, const nxs_envelope_t *env,
                                       const nxs_account_t *account, apr_time_t now, apr_pool_t *p)
{
    return apply_event(reminder, recap, db, env, account, now, 0, p);
}

/* Tries of a batch that met a concurrent writer (as nxs_store_reminder_apply). */
#define BATCH_ATTEMPTS 3

apr_status_t nxs_chores_events_accepted(nxs_chores_accepted_t *events, int n, nxs_db_t *db,
                                        apr_time_t now, apr_pool_t *p)
{
    apr_status_t rv = APR_EAGAIN;
    int attempt, i, uncounted = 0;

    for (attempt = 0; attempt < BATCH_ATTEMPTS && rv == APR_EAGAIN; ++attempt) {
        if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
            return rv;
        }
        for (i = 0, uncounted = 0; rv == APR_SUCCESS && i < n; ++i) {
            int added = 0;
            rv = apply_event(&events[i].reminder, &events[i].recap, db, events[i].env,
                             events[i].account, now, 1, p);
            if (rv == APR_EINVAL && n == 1) {
                /* Alone, an event without a local day is still held: only
                 * its count is lost (see nxs_chores_event_accepted). */
                uncounted = 1;
                rv = APR_SUCCESS;
            }
            if (rv == APR_SUCCESS && events[i].hold) {
                rv = nxs_store_held_put(&added, db, events[i].hold, p);
            }
        }
        if (rv == APR_SUCCESS) {
            rv = nxs_db_commit(db, p);
            return rv == APR_SUCCESS && uncounted ? APR_EINVAL : rv;
        }
        nxs_db_rollback(db, p);
    }
    return rv;
}

apr_status_t nxs_chores_recap_due(int *due, nxs_day_t *day, apr_time_t *next, apr_time_t now,
                                  const char *tz)
{
    nxs_day_t today;
    apr_time_t at;
    apr_status_t rv;

    *due = 0;
    if ((rv = nxs_localtime_day(&today, now, tz)) != APR_SUCCESS ||
        (rv = nxs_localtime_at(&at, &today, NXS_RECAP_HOUR, NXS_RECAP_MINUTE, tz)) != APR_SUCCESS ||
        (rv = nxs_localtime_next(next, now, NXS_RECAP_HOUR, NXS_RECAP_MINUTE, tz)) != APR_SUCCESS) {
        return rv;
    }
    /* From 09:00 to the end of today: yesterday's recap.  Before 09:00 the
     * window of the day before yesterday has closed (at midnight). */
    if (now >= at) {
        *due = 1;
        *day = nxs_day_add(today, -1);
    }
    return APR_SUCCESS;
}

static const char *rfc3339(apr_int64_t secs, apr_pool_t *p)
{
    apr_time_exp_t x;
    char buf[32];
    apr_size_t len = 0;

    apr_time_exp_gmt(&x, apr_time_from_sec(secs));
    apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &x);
    return apr_pstrndup(p, buf, len);
}

int nxs_chores_event_has_work(const nxs_envelope_t *env)
{
    return strncmp(env->type, "appointment.", 12) == 0
               ? (strcmp(env->type + 12, "booked") == 0 ||
                  strcmp(env->type + 12, "rescheduled") == 0 ||
                  strcmp(env->type + 12, "cancelled") == 0)
               : nxs_store_recap_metric(env->type) != NULL;
}

const char *nxs_chores_work_payload(const nxs_envelope_t *env, const nxs_account_t *account,
                                    const json_t *hold, apr_pool_t *p)
{
    json_t *o = nxs_json_own(json_object(), p);

    /* Shared, not copied: a reference only (jansson counts it). */
    json_object_set(o, "event", (json_t *)env->root);
    if (account && account->timezone) {
        json_object_set_new(o, "timezone", json_string(account->timezone));
    }
    if (account && account->currency) {
        json_object_set_new(o, "currency", json_string(account->currency));
    }
    if (hold) {
        json_object_set(o, "hold", (json_t *)hold);
    }
    return nxs_json_dump(o, JSON_COMPACT, p);
}

apr_status_t nxs_chores_work_parse(nxs_envelope_t *env, nxs_account_t *account, nxs_held_t **hold,
                                   const char **why, const char *payload, apr_size_t len,
                                   apr_pool_t *p)
{
    json_t *root = NULL;
    const json_t *h;
    const char *field = NULL;

    memset(account, 0, sizeof(*account));
    *hold = NULL;
    if (nxs_json_load(&root, why, payload, len, p) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (!json_is_object(json_object_get(root, "event"))) {
        *why = "no \"event\" object";
        return APR_EINVAL;
    }
    if (nxs_envelope_parse(env, &field, why, json_object_get(root, "event"), p) != APR_SUCCESS) {
        *why = apr_pstrcat(p, "event.", field ? field : "?", " ", *why ? *why : "is invalid", NULL);
        return APR_EINVAL;
    }
    account->id = env->account_id;
    account->timezone = nxs_json_path_str(root, "timezone");
    account->currency = nxs_json_path_str(root, "currency");
    if ((h = json_object_get(root, "hold")) != NULL) {
        nxs_held_t *held = apr_pcalloc(p, sizeof(*held));
        const json_t *item = json_object_get(h, "item");

        held->account_id = env->account_id;
        held->event_id = env->id;
        held->team_id = nxs_json_path_str(h, "team");
        held->channel_id = nxs_json_path_str(h, "channel");
        held->mention = nxs_json_path_str(h, "mention");
        held->item_json = json_is_object(item) ? nxs_json_dump(item, JSON_COMPACT, p) : NULL;
        held->held_at = json_is_integer(json_object_get(h, "held_at"))
                            ? (apr_int64_t)json_integer_value(json_object_get(h, "held_at"))
                            : apr_time_sec(env->occurred_at);
        if (!held->team_id || !held->channel_id || !held->item_json) {
            *why = "hold: team, channel and item are required";
            return APR_EINVAL;
        }
        if (!held->mention) {
            held->mention = "none";
        }
        *hold = held;
    }
    return APR_SUCCESS;
}

const char *nxs_chores_zone(const nxs_account_t *account)
{
    const char *tz = account ? account->timezone : NULL;
    return tz && nxs_l10n_timezone_known(tz) ? tz : "UTC";
}

void nxs_chores_zone_memo_init(nxs_chores_zone_memo_t *m, apr_time_t now)
{
    memset(m, 0, sizeof(*m));
    m->now = now;
}

const nxs_chores_zone_due_t *nxs_chores_zone_due(nxs_chores_zone_memo_t *m,
                                                 const nxs_account_t *account)
{
    const char *raw = account && account->timezone ? account->timezone : "UTC";
    nxs_chores_zone_due_t *z;
    int i;

    for (i = 0; i < m->n; ++i) {
        if (strcmp(m->zones[i].raw, raw) == 0) {
            return &m->zones[i];
        }
    }
    z = m->n < NXS_CHORES_ZONE_MEMO ? &m->zones[m->n++] : &m->spare;
    memset(z, 0, sizeof(*z));
    z->raw = raw;
    z->rv = nxs_chores_recap_due(&z->due, &z->day, &z->next, m->now, nxs_chores_zone(account));
    return z;
}

apr_time_t nxs_chores_next_recap(const apr_array_header_t *accounts, apr_time_t now)
{
    nxs_chores_zone_memo_t memo;
    apr_time_t best = 0;
    int i;

    /* Accounts share a few zones: ICU once per zone, not per account
     * (bench/chores/rounds.sh: ~80 µs an account, 0.8 s a round for 10 000). */
    nxs_chores_zone_memo_init(&memo, now);
    for (i = 0; i < accounts->nelts; ++i) {
        const nxs_account_t *a = APR_ARRAY_IDX(accounts, i, const nxs_account_t *);
        const nxs_chores_zone_due_t *z = nxs_chores_zone_due(&memo, a);
        if (z->rv == APR_SUCCESS && (best == 0 || z->next < best)) {
            best = z->next;
        }
    }
    return best;
}

const char *nxs_chores_slot(apr_time_t now, apr_interval_time_t period, apr_pool_t *p)
{
    apr_int64_t secs = apr_time_sec(now), step = apr_time_sec(period);

    if (step > 0) {
        secs -= ((secs % step) + step) % step;
    }
    return rfc3339(secs, p);
}

const char *nxs_chores_node_id(apr_pool_t *p)
{
    char host[APRMAXHOSTLEN + 1];

    if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    return apr_psprintf(p, "%s:%ld:%" APR_TIME_T_FMT, host, (long)getpid(), nxs_clock_now());
}

apr_status_t nxs_chores_reminder_envelope(json_t **ev, const nxs_reminder_t *r, apr_time_t now,
                                          apr_pool_t *p)
{
    const char *why = NULL, *id;
    json_t *root = NULL, *data;

    *ev = NULL;
    if (!r->envelope_json ||
        nxs_json_load(&root, &why, r->envelope_json, strlen(r->envelope_json), p) != APR_SUCCESS ||
        !json_is_object(root)) {
        return APR_EINVAL;
    }
    data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        data = json_object();
        json_object_set_new(root, "data", data);
    }
    id = apr_pstrcat(p, "soon/", r->event_id ? r->event_id : r->record_id, NULL);
    if (strlen(id) > EVENT_ID_MAX) {
        id = apr_pstrndup(p, id, EVENT_ID_MAX);
    }
    json_object_set_new(root, "id", json_string(id));
    json_object_set_new(root, "type", json_string("appointment.starting_soon"));
    json_object_set_new(root, "occurred_at", json_string(rfc3339(apr_time_sec(now), p)));
    json_object_set_new(data, "starts_at", json_string(rfc3339(r->starts_at, p)));
    *ev = root;
    return APR_SUCCESS;
}

static json_t *json_time(apr_int64_t secs, apr_pool_t *p)
{
    return secs ? json_string(rfc3339(secs, p)) : json_null();
}

json_t *nxs_chores_status_json(const nxs_chores_status_t *st, apr_time_t since,
                               apr_time_t next_recap, apr_pool_t *p)
{
    json_t *chores = json_object();
    int i;

    for (i = 0; i < st->chores->nelts; ++i) {
        const nxs_chore_count_t *c = &APR_ARRAY_IDX(st->chores, i, nxs_chore_count_t);
        json_t *one = json_object_get(chores, c->chore);

        if (!one) {
            json_object_set_new(chores, c->chore, one = json_object());
        }
        json_object_set_new(one, c->state, json_integer(c->runs));
    }
    return nxs_json_own(json_pack("{s:o, s:{s:i, s:o, s:i, s:i}, s:{s:o, s:i, s:i}, s:o}", "since",
                                  json_time(apr_time_sec(since), p), "reminders", "pending",
                                  st->reminders_pending, "next_due_at",
                                  json_time(st->next_reminder_at, p), "sent", st->reminders_sent,
                                  "skipped", st->reminders_skipped, "recaps", "next_at",
                                  json_time(apr_time_sec(next_recap), p), "sent", st->recaps_sent,
                                  "skipped", st->recaps_skipped, "chores", chores),
                        p);
}

static void prom(apr_array_header_t *out, const char *name, const char *type, const char *help)
{
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
        out->pool, "# HELP nexte_slack_%s %s\n# TYPE nexte_slack_%s %s\n", name, help, name, type);
}

static void sample(apr_array_header_t *out, const char *name, const char *labels, double v)
{
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(out->pool, "nexte_slack_%s%s %s\n", name,
                                                     labels, nxs_json_real_plain(v, out->pool));
}

const char *nxs_chores_status_prometheus(const nxs_chores_status_t *st, apr_time_t next_recap,
                                         apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    int i;

    prom(out, "reminders_pending", "gauge", "Pre-meeting alerts waiting for their time.");
    sample(out, "reminders_pending", "", st->reminders_pending);
    prom(out, "reminders_next_due_timestamp_seconds", "gauge",
         "When the next pre-meeting alert is due (0: none).");
    sample(out, "reminders_next_due_timestamp_seconds", "", (double)st->next_reminder_at);
    prom(out, "reminders_today", "gauge", "Pre-meeting alerts finished since 00:00 UTC.");
    sample(out, "reminders_today", "{state=\"sent\"}", st->reminders_sent);
    sample(out, "reminders_today", "{state=\"skipped\"}", st->reminders_skipped);
    prom(out, "recaps_today", "gauge", "Daily recaps finished since 00:00 UTC.");
    sample(out, "recaps_today", "{state=\"sent\"}", st->recaps_sent);
    sample(out, "recaps_today", "{state=\"skipped\"}", st->recaps_skipped);
    prom(out, "recap_next_timestamp_seconds", "gauge",
         "When the next daily recap is due (0: none).");
    sample(out, "recap_next_timestamp_seconds", "", (double)apr_time_sec(next_recap));
    prom(out, "chore_runs_today", "gauge", "Runs of each chore claimed since 00:00 UTC, by state.");
    for (i = 0; i < st->chores->nelts; ++i) {
        const nxs_chore_count_t *c = &APR_ARRAY_IDX(st->chores, i, nxs_chore_count_t);
        /* Chore and state names are the module's own ([a-z_]), never input. */
        sample(out, "chore_runs_today",
               apr_psprintf(p, "{chore=\"%s\",state=\"%s\"}", c->chore, c->state), c->runs);
    }
    return apr_array_pstrcat(p, out, '\0');
}
