/* nexte-slack-events: signed business events from Nexte core (docs/CONTRACT.md "Events").
 * Checks in the order that lets each failure have its own answer: method
 * (405), size (413), signature (401), media type (415), JSON (400), envelope
 * (422).  Then account.updated is applied, the event is routed, the Agency
 * filters decide (core/event/nxs_filter.h: post, post elsewhere, hold
 * for the morning summary, or not post, with a reason), it is rendered,
 * and its deliveries, with its scheduled work (docs/SCHEDULED.md: the
 * pre-meeting alert it creates, moves or cancels, its count in the daily
 * recap), are handed to the delivery daemon, which answers only once they
 * are on disk: 202 then, never before.  No SQL is written here for an
 * event other than an account's first or account.updated. */
#include "nxs_handlers.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>

#include "cfg/nxs_config.h"
#include "handle/nxs_daemon_client.h"
#include "handle/nxs_request.h"
#include "handle/nxs_reply.h"
#include "event/nxs_filter.h"
#include "nxs_chores.h"
#include "nxs_clock.h"
#include "nxs_held.h"
#include "render/nxs_render_summary.h"
#include "nxs_dbd.h"
#include "event/nxs_envelope.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "render/nxs_render.h"
#include "event/nxs_route.h"
#include "nxs_settings_check.h"
#include "security/nxs_sign.h"
#include "store/nxs_store.h"

APLOG_USE_MODULE(nexte_slack);

#define NXS_EVENT_BODY_MAX (64 * 1024)
/* How long a request waits for the daemon (e.g. during a graceful restart)
 * before answering 503 so that Nexte core retries. */
#define NXS_DAEMON_WAIT apr_time_from_sec(2)

static int unprocessable(request_rec *r, const char *field, const char *why)
{
    return nxs_reply_json(r, HTTP_UNPROCESSABLE_ENTITY,
                          json_pack("{s:s, s:s, s:s}", "error", "invalid_field", "field", field,
                                    "message", apr_pstrcat(r->pool, field, " ", why, NULL)));
}

static int unavailable(request_rec *r, const char *code, const char *message)
{
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    return nxs_reply_error(r, HTTP_SERVICE_UNAVAILABLE, code, message);
}

/* account.updated: plan, timezone, locale, currency, each optional; other
 * keys of data are ignored (Nexte may add some). */
static int apply_account_update(request_rec *r, nxs_db_t *db, const nxs_envelope_t *env,
                                nxs_account_t *a)
{
    const json_t *data = json_object_get(env->root, "data");
    const char *field = NULL, *why = NULL;
    int applied = 0;

    if (data && nxs_check_account_fields(a, &field, &why, data, 0, r->pool) != APR_SUCCESS) {
        /* "plan must be ..." becomes "data.plan must be ...". */
        const char *space = strchr(why, ' ');
        return unprocessable(r, apr_pstrcat(r->pool, "data.", field, NULL),
                             strncmp(why, field, strlen(field)) == 0 && space ? space + 1 : why);
    }
    if (nxs_store_account_update_if_newer(&applied, db, a, apr_time_as_msec(env->occurred_at),
                                          apr_time_sec(r->request_time), r->pool) != APR_SUCCESS) {
        return unavailable(r, "store_unavailable", "the settings store failed");
    }
    if (!applied) {
        nxs_account_t *stored = NULL;
        NXS_LOG(NXS_LOG_INFO, 0, "NXS00154",
                "account.updated %s of account %s: a newer change from Nexte core is already "
                "stored; this older one is ignored",
                env->id, env->account_id);
        /* What follows (routing, scheduled work) uses the stored values. */
        if (nxs_store_account_get(&stored, db, a->id, r->pool) != APR_SUCCESS || !stored) {
            return unavailable(r, "store_unavailable", "the settings store failed");
        }
        *a = *stored;
    }
    return DECLINED;
}

/* The event's record as the interactions handler reports it back to Nexte
 * when someone marks the message handled: {"kind", "id", "number"} (the
 * fields present), or "" when the event has no record. */
static const char *record_of(const nxs_envelope_t *env, apr_pool_t *p)
{
    static const char *const keys[] = {"kind", "id", "number"};
    const json_t *rec = json_object_get(env->root, "record");
    json_t *out;
    apr_size_t i;

    if (!json_is_object(rec)) {
        return "";
    }
    out = nxs_json_own(json_object(), p);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i) {
        const json_t *v = json_object_get(rec, keys[i]);
        if (json_is_string(v)) {
            json_object_set(out, keys[i], (json_t *)v);
        }
    }
    return nxs_json_dump(out, JSON_COMPACT, p);
}

/* The 422 for an event the renderer refuses; it names the field:
 * "data.days_overdue: required for ..." */
static int unrenderable(request_rec *r, const char *why)
{
    const char *colon = why ? strchr(why, ':') : NULL;

    return unprocessable(r,
                         colon ? apr_pstrmemdup(r->pool, why, (apr_size_t)(colon - why)) : "data",
                         colon ? colon + 2 : (why ? why : "cannot be rendered"));
}

/* What the account's settings and MENTION give a message (or a summary
 * item). */
static void settings_for(nxs_render_settings_t *rs, const nxs_server_conf_t *c,
                         const nxs_account_t *a, nxs_mention_e mention)
{
    memset(rs, 0, sizeof(*rs));
    rs->locale = a->locale;
    rs->currency = a->currency;
    rs->timezone = a->timezone;
    rs->mention = mention;
    rs->app_url = c->app_url;
}

/* Renders the message for ROUTE; *delivery is the frame entry for the daemon. */
static int render(json_t **delivery, request_rec *r, const nxs_server_conf_t *c,
                  const nxs_envelope_t *env, const nxs_account_t *a, const nxs_route_t *route)
{
    nxs_render_settings_t rs;
    const char *delivery_id = NULL, *why = NULL, *payload;
    json_t *msg = NULL;

    if (nxs_render_delivery_id_new(&delivery_id, r->pool) != APR_SUCCESS) {
        return unavailable(r, "internal_error", "no randomness for the delivery id");
    }
    settings_for(&rs, c, a, route->mention);
    rs.delivery_id = delivery_id;
    if (nxs_render_event(&msg, &why, env->root, &rs, r->pool) != APR_SUCCESS) {
        return unrenderable(r, why);
    }
    json_object_set_new(msg, "channel", json_string(route->channel));
    payload = nxs_json_dump(msg, JSON_COMPACT, r->pool);
    *delivery = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "account", env->account_id,
                          "team", route->team, "channel", route->channel, "event_id", env->id,
                          "category", env->category, "delivery_id", delivery_id, "record",
                          record_of(env, r->pool), "payload", payload);
    return DECLINED;
}

/* The frame entry that carries ENV's scheduled work to the daemon
 * (NXS_CHORES_WORK_CATEGORY, core/nxs_chores.h), with its HOLD when it
 * is held for the morning summary, or NULL when ENV has none.  It is part of the event's durable
 * append, so the work is on disk before the 202, and the daemon writes it to SQL off this thread.
 */
static json_t *scheduled_work(const nxs_envelope_t *env, const nxs_account_t *a, const json_t *hold,
                              apr_pool_t *p)
{
    const char *payload;

    if ((!hold && !nxs_chores_event_has_work(env)) ||
        !(payload = nxs_chores_work_payload(env, a, hold, p))) {
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:s}", "account", env->account_id, "event_id", env->id,
                     "category", NXS_CHORES_WORK_CATEGORY, "payload", payload);
}

/* The account's filters document (nxs_check_filters' form), or NULL when
 * it has none or they do not apply (not on the Agency plan: they are kept
 * and not read).  *failed when the store failed. */
static const json_t *filters_of(int *failed, request_rec *r, nxs_db_t *db, const nxs_account_t *a)
{
    const char *why = NULL;
    json_t *filters = NULL;
    apr_status_t rv;

    *failed = 0;
    if (!a->plan || strcmp(a->plan, "agency") != 0) {
        return NULL;
    }
    if ((rv = nxs_store_filters_json(&filters, &why, db, a->id, r->pool)) == APR_EINVAL) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00134",
                "account %s: its stored filters are not JSON (%s); events post as routed", a->id,
                why);
        return NULL;
    }
    *failed = rv != APR_SUCCESS;
    return filters;
}

static const char *const mention_names[] = {"none", "here", "channel"};

/* The hold of an event kept outside the active hours (F says for which
 * channel): its summary item, made now in the account's language.
 * DECLINED with *hold set, or the 422 to answer (the event cannot be
 * shown, as render() would say). */
static int hold_of(json_t **hold, request_rec *r, const nxs_server_conf_t *c,
                   const nxs_envelope_t *env, const nxs_account_t *a, const nxs_filter_t *f)
{
    nxs_render_settings_t rs;
    nxs_summary_item_t item;
    const char *why = NULL;

    settings_for(&rs, c, a, f->mention);
    if (nxs_render_summary_item(&item, &why, env->root, &rs, r->pool) != APR_SUCCESS) {
        return unrenderable(r, why);
    }
    *hold = nxs_held_hold_json(f->team, f->channel, mention_names[f->mention], &item,
                               r->request_time, r->pool);
    return DECLINED;
}

static int accept_event(request_rec *r, const nxs_server_conf_t *c, const nxs_envelope_t *env)
{
    nxs_db_t *db = nxs_dbd_acquire(r);
    nxs_account_t *a = NULL;
    nxs_workspace_t *active = NULL;
    apr_array_header_t *cats = NULL;
    nxs_route_t route;
    nxs_filter_t f;
    const json_t *filters;
    json_t *deliveries = json_array(), *reply = NULL, *d = NULL, *work, *hold = NULL, *frame;
    const char *reason, *why = NULL;
    apr_size_t messages;
    int rc, failed = 0;

    nxs_json_own(deliveries, r->pool);
    /* Read first, write only for an account never seen: an INSERT takes
     * SQLite's write lock even when it ends up doing nothing, and under load
     * every event then queued on that one lock (bench/run: ~900 events/s). */
    if (!db || nxs_store_account_get(&a, db, env->account_id, r->pool) ||
        (!a &&
         (nxs_store_account_ensure(db, env->account_id, apr_time_sec(r->request_time), r->pool) ||
          nxs_store_account_get(&a, db, env->account_id, r->pool))) ||
        !a) {
        return unavailable(r, "store_unavailable", "the settings store cannot be reached");
    }
    if (strcmp(env->type, "account.updated") == 0 &&
        (rc = apply_account_update(r, db, env, a)) != DECLINED) {
        return rc;
    }
    if (nxs_store_workspace_active(&active, db, env->account_id, r->pool) ||
        nxs_store_categories_list(&cats, db, env->account_id, r->pool)) {
        return unavailable(r, "store_unavailable", "the settings store failed");
    }
    nxs_route_event(&route, env, active, cats);
    filters = filters_of(&failed, r, db, a);
    if (failed) {
        return unavailable(r, "store_unavailable", "the settings store failed");
    }
    if (nxs_filter_event(&f, &why, env, &route, a, filters, nxs_clock_now(), r->pool) !=
        APR_SUCCESS) {
        /* A hand-written setting the API would refuse: posted as routed. */
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00135",
                "account %s: its filters are not applied to event %s: %s", a->id, env->id, why);
    }
    reason = f.reason;
    if (f.action == NXS_FILTER_POST) {
        route.team = f.team;
        route.channel = f.channel;
        route.mention = f.mention;
        if ((rc = render(&d, r, c, env, a, &route)) != DECLINED) {
            return rc;
        }
        json_array_append_new(deliveries, d);
    } else if (f.action == NXS_FILTER_HOLD && (rc = hold_of(&hold, r, c, env, a, &f)) != DECLINED) {
        return rc;
    }
    messages = json_array_size(deliveries);
    if ((work = scheduled_work(env, a, hold, r->pool))) {
        json_array_append_new(deliveries, work);
    }
    frame = json_pack("{s:s, s:{s:s, s:s}, s:O}", "op", "enqueue", "idem", "account",
                      env->account_id, "event_id", env->id, "deliveries", deliveries);
    if (reason) {
        json_object_set_new(frame, "reason", json_string(reason));
    }
    reply = nxs_daemon_request(r, c, frame, NXS_DAEMON_WAIT);
    if (!reply || !json_is_true(json_object_get(reply, "ok"))) {
        const char *err = reply ? nxs_json_path_str(reply, "error") : NULL;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "event %s of %s not queued: %s", env->id,
                      env->account_id, err ? err : "delivery daemon unreachable");
        return unavailable(r, err ? err : "queue_unavailable",
                           "the event could not be stored; retry later");
    }
    if (json_is_true(json_object_get(reply, "duplicate"))) {
        return nxs_reply_json(r, HTTP_OK, json_pack("{s:s}", "status", "duplicate"));
    }
    if (reason) {
        return nxs_reply_json(
            r, HTTP_ACCEPTED,
            json_pack("{s:s, s:i, s:s}", "status", "queued", "deliveries", 0, "reason", reason));
    }
    return nxs_reply_json(
        r, HTTP_ACCEPTED,
        json_pack("{s:s, s:I}", "status", "queued", "deliveries", (json_int_t)messages));
}

int nxs_handle_events(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *body = NULL, *why = NULL, *field = NULL, *ct;
    apr_size_t len = 0;
    json_t *root = NULL;
    nxs_envelope_t env;
    apr_status_t rv;
    int rc;

    if ((rc = nxs_reply_unless_method(r, "POST")) != DECLINED) {
        return rc;
    }
    if ((rc = nxs_request_body_or_refuse(&body, &len, r, NXS_EVENT_BODY_MAX,
                                         "an event body is at most 64 KiB")) != DECLINED) {
        return rc;
    }
    rv = nxs_sign_nexte_verify(&why, c->event_secret.value, c->event_secret.len,
                               apr_table_get(r->headers_in, "X-Nexte-Timestamp"),
                               apr_table_get(r->headers_in, "X-Nexte-Signature"), body, len,
                               r->request_time, r->pool);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "event refused: %s", why);
        if (rv != APR_EACCES) {
            return nxs_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                   "the signature could not be checked");
        }
        return nxs_reply_error(r, HTTP_UNAUTHORIZED, why,
                               "X-Nexte-Timestamp / X-Nexte-Signature are missing, stale or "
                               "wrong");
    }
    ct = apr_table_get(r->headers_in, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        return nxs_reply_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                               "send Content-Type: application/json");
    }
    if (nxs_json_load(&root, &why, body, len, r->pool) != APR_SUCCESS) {
        return nxs_reply_error(r, HTTP_BAD_REQUEST, "malformed_json",
                               apr_pstrcat(r->pool, "the body is not JSON: ", why, NULL));
    }
    if (nxs_envelope_parse(&env, &field, &why, root, r->pool) != APR_SUCCESS) {
        return unprocessable(r, field, why);
    }
    return accept_event(r, c, &env);
}
