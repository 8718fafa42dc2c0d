/* nexte-slack-status: health, build, effective non-secret configuration,
 * the delivery daemon's counters (deliveries, and the interactions every
 * httpd child reported to it) and the scheduled work (pending alerts,
 * recaps and chores, read from SQL: the same in every process and node),
 * as JSON or (?format=prometheus) Prometheus text.  It answers when the
 * daemon or SQL is down, with what it could read. */
#include "nxs_handlers.h"

#include <apr_strings.h>
#include <ap_release.h>
#include <http_protocol.h>
#include <util_script.h>
#include <scoreboard.h>
#include <string.h>

#include "nxs_build.h"
#include "nxs_chores.h"
#include "store/nxs_store_held.h"
#include "nxs_clock.h"
#include "nxs_dbd.h"
#include "cfg/nxs_config.h"
#include "nxs_duration.h"
#include "nxs_daemon_client.h"
#include "nxs_json.h"
#include "nxs_reply.h"

static json_t *secret_state(const nxs_secret_t *s)
{
    if (!s->value) {
        return json_string("unset");
    }
    return json_string(s->path ? "set (file)" : "set (inline)");
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static double seconds(apr_interval_time_t t)
{
    return (double)t / (double)APR_USEC_PER_SEC;
}

/* Only settings an operator may see: secrets show as set/unset. */
static json_t *effective_config(const nxs_server_conf_t *c)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:s}, s:i, s:f, s:{s:f, s:f},"
        " s:f, s:o}",
        "client_id", str_or_null(c->client_id), "client_secret", secret_state(&c->client_secret),
        "signing_secret", secret_state(&c->signing_secret), "event_secret",
        secret_state(&c->event_secret), "token_key_file", str_or_null(c->token_key_path),
        "public_url", str_or_null(c->public_url), "app_url", str_or_null(c->app_url), "api_base",
        str_or_null(c->api_base), "authorize_url", str_or_null(c->authorize_url), "queue", "type",
        c->mod->queue_type, "path", c->mod->queue_path, "workers", c->mod->workers,
        "retry_window_seconds", seconds(c->retry_window), "retry_backoff_seconds", "min",
        seconds(c->backoff_min), "max", seconds(c->backoff_max), "reconnect_grace_seconds",
        seconds(c->reconnect_grace), "callback_url", str_or_null(c->callback_url));
}

static apr_time_t server_started(void)
{
    return ap_scoreboard_image ? ap_scoreboard_image->global->restart_time : 0;
}

/* The delivery daemon's counters, or NULL when it does not answer. */
static json_t *daemon_counters(request_rec *r, const nxs_server_conf_t *c)
{
    json_t *reply =
        nxs_daemon_request(r, c, json_pack("{s:s}", "op", "stats"), apr_time_from_msec(500));

    if (!reply || !json_is_true(json_object_get(reply, "ok"))) {
        return NULL;
    }
    json_object_del(reply, "ok");
    return reply;
}

typedef struct scheduled_t {
    nxs_chores_status_t st;
    apr_time_t since;         /* 00:00 UTC today: the counts are "today" */
    apr_time_t next_recap;    /* 0: no connected account */
    apr_array_header_t *held; /* nxs_held_account_t *: accounts holding events */
    apr_time_t now;
} scheduled_t;

/* Events held outside active hours (docs/FILTERS.md): {"total",
 * "oldest_age_seconds", "accounts": [{"account_id", "count",
 * "oldest_age_seconds"}]}, the accounts by id. */
static json_t *held_json(const scheduled_t *sc, apr_pool_t *p)
{
    json_t *list = json_array();
    apr_int64_t now = apr_time_sec(sc->now), oldest = 0;
    int i, total = 0;

    for (i = 0; i < sc->held->nelts; ++i) {
        const nxs_held_account_t *h = APR_ARRAY_IDX(sc->held, i, const nxs_held_account_t *);
        json_array_append_new(list, json_pack("{s:s, s:i, s:I}", "account_id", h->account->id,
                                              "count", h->count, "oldest_age_seconds",
                                              (json_int_t)(now - h->oldest)));
        total += h->count;
        oldest = !oldest || h->oldest < oldest ? h->oldest : oldest;
    }
    return nxs_json_own(json_pack("{s:i, s:I, s:o}", "total", total, "oldest_age_seconds",
                                  (json_int_t)(oldest ? now - oldest : 0), "accounts", list),
                        p);
}

/* The same as Prometheus gauges (totals only: an account label per held
 * account would grow without bound).  apr_psprintf knows APR_INT64_T_FMT,
 * not jansson's "lld" (it printed "%ld" literally). */
static const char *held_prometheus(const scheduled_t *sc, apr_pool_t *p)
{
    json_t *h = held_json(sc, p);

    return apr_psprintf(
        p,
        "# HELP nexte_slack_held_events Events held outside active hours, waiting for their "
        "summary.\n# TYPE nexte_slack_held_events gauge\nnexte_slack_held_events %d\n"
        "# HELP nexte_slack_held_oldest_age_seconds Age of the oldest held event.\n"
        "# TYPE nexte_slack_held_oldest_age_seconds gauge\n"
        "nexte_slack_held_oldest_age_seconds %" APR_INT64_T_FMT "\n",
        (int)json_integer_value(json_object_get(h, "total")),
        (apr_int64_t)json_integer_value(json_object_get(h, "oldest_age_seconds")));
}

/* The scheduled work's numbers, read from SQL; NULL when the store cannot
 * be read (the rest of the status still answers). */
static scheduled_t *scheduled_read(request_rec *r)
{
    scheduled_t *sc = apr_pcalloc(r->pool, sizeof(*sc));
    apr_time_t now = nxs_clock_now();
    apr_array_header_t *accounts = NULL;
    nxs_db_t *db = nxs_dbd_acquire(r);

    sc->since = apr_time_from_sec(apr_time_sec(now) - apr_time_sec(now) % 86400);
    sc->now = now;
    if (!db || nxs_store_chores_status(&sc->st, db, apr_time_sec(sc->since), r->pool) ||
        nxs_store_recap_accounts(&accounts, db, r->pool) ||
        nxs_store_held_accounts(&sc->held, db, r->pool)) {
        return NULL;
    }
    sc->next_recap = nxs_chores_next_recap(accounts, now);
    return sc;
}

static int status_json(request_rec *r, const nxs_server_conf_t *c)
{
    apr_time_t started = server_started();
    json_t *counters = daemon_counters(r, c);
    scheduled_t *sc = scheduled_read(r);
    json_t *body = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s, s:o}, s:f, s:o, s:O, s:b, s:O}", "status",
        counters ? "ok" : "degraded", "module", "mod_nexte_slack", "version", NXS_VERSION, "build",
        "revision", NXS_BUILD_REV, "httpd", ap_get_server_banner(), "libraries",
        nxs_build_libraries(), "uptime_seconds", started ? seconds(apr_time_now() - started) : 0.0,
        "config", effective_config(c), "counters",
        counters ? counters : nxs_json_own(json_object(), r->pool), "delivery_daemon_up",
        counters != NULL, "scheduled",
        sc ? nxs_chores_status_json(&sc->st, sc->since, sc->next_recap, r->pool) : json_null());
    if (sc) {
        json_object_set(json_object_get(body, "scheduled"), "held", held_json(sc, r->pool));
    }
    return nxs_reply_json(r, HTTP_OK, body);
}

/* Prometheus text exposition format 0.0.4; label values escape \ " and \n. */
static const char *prom_label(apr_pool_t *p, const char *v)
{
    apr_size_t n = strlen(v), i, o = 0;
    char *out = apr_palloc(p, 2 * n + 1);

    for (i = 0; i < n; ++i) {
        if (v[i] == '\\' || v[i] == '"') {
            out[o++] = '\\';
            out[o++] = v[i];
        } else if (v[i] == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = v[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void prom_metric(apr_array_header_t *lines, const char *name, const char *type,
                        const char *help, const char *labels, double value)
{
    apr_pool_t *p = lines->pool;
    APR_ARRAY_PUSH(lines, const char *) =
        apr_psprintf(p, "# HELP %s %s\n# TYPE %s %s\n%s%s %s\n", name, help, name, type, name,
                     labels, nxs_json_real_plain(value, p));
}

static double num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* A counter family NAME with one sample per key of COUNTS, labelled LABEL. */
static void prom_counts(apr_array_header_t *lines, const char *name, const char *help,
                        const char *label, const json_t *counts)
{
    apr_pool_t *p = lines->pool;
    const char *key;
    json_t *v;

    APR_ARRAY_PUSH(lines, const char *) =
        apr_psprintf(p, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    json_object_foreach((json_t *)counts, key, v)
    {
        APR_ARRAY_PUSH(lines, const char *) =
            apr_psprintf(p, "%s{%s=\"%s\"} %s\n", name, label, prom_label(p, key),
                         nxs_json_real_plain(json_number_value(v), p));
    }
}

/* The daemon's interaction counters (counters.interactions). */
static void prom_interactions(apr_array_header_t *lines, const json_t *ix)
{
    prom_metric(lines, "nexte_slack_interactions_clicks_total", "counter",
                "Slack button clicks received.", "", num(ix, "clicks"));
    prom_metric(lines, "nexte_slack_interactions_handled_total", "counter",
                "Messages marked handled (the first click on each).", "", num(ix, "handled"));
    prom_counts(lines, "nexte_slack_interactions_refused_total",
                "Interactions refused with a 4xx, by error code.", "code",
                json_object_get(ix, "refused"));
    prom_metric(lines, "nexte_slack_interactions_callbacks_pending", "gauge",
                "Reports of a handled message to Nexte core under way.", "",
                num(ix, "callbacks_pending"));
    prom_metric(lines, "nexte_slack_interactions_callbacks_failed_total", "counter",
                "Reports of a handled message that Nexte core did not take after every try.", "",
                num(ix, "callbacks_failed"));
}

/* The daemon's counters in Prometheus form; an absent daemon shows as down. */
static void prom_counters(apr_array_header_t *lines, const json_t *k)
{
    static const char *const totals[] = {"accepted",      "duplicates", "delivered", "retried",
                                         "dead_lettered", "dropped",    NULL};
    apr_pool_t *p = lines->pool;
    const json_t *hist, *le, *counts;
    size_t i;

    prom_metric(lines, "nexte_slack_delivery_daemon_up", "gauge",
                "1 when the delivery daemon answers.", "", k ? 1 : 0);
    if (!k) {
        return;
    }
    for (i = 0; totals[i]; ++i) {
        prom_metric(lines, apr_pstrcat(p, "nexte_slack_", totals[i], "_total", NULL), "counter",
                    apr_pstrcat(p, "Events or messages ", totals[i], ".", NULL), "",
                    num(k, totals[i]));
    }
    prom_metric(lines, "nexte_slack_queue_depth", "gauge", "Messages waiting or in flight.", "",
                num(k, "queue_depth"));
    prom_metric(lines, "nexte_slack_queue_oldest_age_seconds", "gauge",
                "Age of the oldest waiting message.", "", num(k, "oldest_age_seconds"));
    prom_metric(lines, "nexte_slack_accounts_needing_reconnect", "gauge",
                "Accounts whose Slack connection is broken.", "",
                num(k, "accounts_needing_reconnect"));
    prom_metric(lines, "nexte_slack_scheduled_work_waiting", "gauge",
                "Accepted events whose scheduled work is not yet written to SQL.", "",
                num(json_object_get(k, "scheduled_work"), "waiting"));
    prom_metric(lines, "nexte_slack_scheduled_work_recorded_total", "counter",
                "Accepted events whose scheduled work was written to SQL.", "",
                num(json_object_get(k, "scheduled_work"), "recorded"));
    prom_counts(lines, "nexte_slack_slack_errors_total", "Slack errors by code.", "code",
                json_object_get(k, "slack_errors"));
    prom_counts(lines, "nexte_slack_not_posted_total", "Accepted events not posted, by reason.",
                "reason", json_object_get(k, "not_posted"));
    prom_interactions(lines, json_object_get(k, "interactions"));
    hist = json_object_get(k, "delivery_latency_seconds");
    le = json_object_get(hist, "le");
    counts = json_object_get(hist, "counts");
    APR_ARRAY_PUSH(lines, const char *) =
        "# HELP nexte_slack_delivery_latency_seconds From 202 to Slack's answer.\n"
        "# TYPE nexte_slack_delivery_latency_seconds histogram\n";
    for (i = 0; i < json_array_size(le); ++i) {
        const json_t *b = json_array_get(le, i);
        APR_ARRAY_PUSH(lines, const char *) = apr_psprintf(
            p, "nexte_slack_delivery_latency_seconds_bucket{le=\"%s\"} %s\n",
            json_is_string(b) ? json_string_value(b) : nxs_json_real_plain(json_number_value(b), p),
            nxs_json_real_plain(json_number_value(json_array_get(counts, i)), p));
    }
    APR_ARRAY_PUSH(lines, const char *) = apr_psprintf(
        p,
        "nexte_slack_delivery_latency_seconds_sum %s\n"
        "nexte_slack_delivery_latency_seconds_count %s\n",
        nxs_json_real_plain(num(hist, "sum"), p), nxs_json_real_plain(num(hist, "count"), p));
}

static int status_prometheus(request_rec *r, const nxs_server_conf_t *c)
{
    apr_array_header_t *lines = apr_array_make(r->pool, 8, sizeof(const char *));
    apr_time_t started = server_started();
    scheduled_t *sc;

    prom_metric(lines, "nexte_slack_build_info", "gauge", "Module version and source revision.",
                apr_psprintf(r->pool, "{version=\"%s\",revision=\"%s\",httpd=\"%s\"}",
                             prom_label(r->pool, NXS_VERSION), prom_label(r->pool, NXS_BUILD_REV),
                             prom_label(r->pool, ap_get_server_banner())),
                1);
    prom_metric(lines, "nexte_slack_uptime_seconds", "gauge",
                "Seconds since httpd last (re)started.", "",
                started ? seconds(apr_time_now() - started) : 0.0);
    prom_metric(lines, "nexte_slack_config_workers", "gauge", "Delivery threads configured.", "",
                c->mod->workers);
    prom_counters(lines, daemon_counters(r, c));
    sc = scheduled_read(r);
    prom_metric(lines, "nexte_slack_scheduled_store_up", "gauge",
                "1 when the scheduled work could be read from SQL.", "", sc ? 1 : 0);
    if (sc) {
        APR_ARRAY_PUSH(lines, const char *) =
            nxs_chores_status_prometheus(&sc->st, sc->next_recap, r->pool);
        APR_ARRAY_PUSH(lines, const char *) = held_prometheus(sc, r->pool);
    }
    prom_metric(lines, "nexte_slack_config_retry_window_seconds", "gauge",
                "How long an undelivered message is retried.", "", seconds(c->retry_window));
    prom_metric(lines, "nexte_slack_config_retry_backoff_min_seconds", "gauge",
                "Shortest backoff between delivery attempts.", "", seconds(c->backoff_min));
    prom_metric(lines, "nexte_slack_config_retry_backoff_max_seconds", "gauge",
                "Longest backoff between delivery attempts.", "", seconds(c->backoff_max));
    return nxs_reply_text(r, HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                          apr_array_pstrcat(r->pool, lines, '\0'));
}

int nxs_handle_status(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *format = NULL;
    apr_table_t *args = NULL;
    int rc;

    if ((rc = nxs_reply_unless_method(r, "GET")) != DECLINED) {
        return rc;
    }
    ap_args_to_table(r, &args);
    format = apr_table_get(args, "format");
    if (!format || strcmp(format, "json") == 0) {
        return status_json(r, c);
    }
    if (strcmp(format, "prometheus") == 0) {
        return status_prometheus(r, c);
    }
    return nxs_reply_error(r, HTTP_BAD_REQUEST, "bad_format", "format must be json or prometheus");
}
