/* The settings JSON API.  One function per route; the table at the end maps
 * method + path to them.  Inputs are checked by core/nxs_settings_check.c;
 * answers use the error shape of handle/nxs_reply.c. */
#include "handle/nxs_settings_api.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>
#include <util_script.h>

#include "handle/nxs_daemon_client.h"
#include "handle/nxs_request.h"
#include "handle/nxs_reply.h"
#include "security/nxs_crypto.h"
#include "nxs_dbd.h"
#include "nxs_json.h"
#include "nxs_settings_check.h"
#include "nxs_log.h"
#include "slack/nxs_channel_cache.h"
#include "slack/nxs_slack.h"
#include "store/nxs_store.h"
#include "slack/nxs_token.h"

APLOG_USE_MODULE(nexte_slack);

#define SLACK_TIMEOUT apr_time_from_sec(10)

typedef struct ctx_t {
    request_rec *r;
    const nxs_server_conf_t *c;
    const nxs_caller_t *caller;
    nxs_db_t *db;
    json_t *in;      /* parsed body for PUT/POST, pool-owned */
    const char *arg; /* the {category} of /categories/{category}[/mention] */
    apr_int64_t now;
} ctx_t;

static int store_failed(ctx_t *x)
{
    return nxs_reply_error(x->r, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                           "the settings store failed; try again");
}

static int invalid(ctx_t *x, const char *field, const char *message)
{
    return nxs_reply_json(
        x->r, HTTP_UNPROCESSABLE_ENTITY,
        json_pack("{s:s, s:s, s:s}", "error", "invalid_field", "field", field, "message", message));
}

static nxs_slack_app_t slack_app(const ctx_t *x)
{
    nxs_slack_app_t app = {x->c->api_base, x->c->client_id, x->c->client_secret.value,
                           x->c->token_key};
    return app;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *workspace_json(const nxs_workspace_t *w)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:b}", "team_id", w->team_id, "team_name",
                     w->team_name, "bot_user_id", w->bot_user_id, "scopes", w->scopes, "active",
                     w->active, "needs_reconnect", w->needs_reconnect, "installed_at",
                     (json_int_t)w->installed_at, "token_rotation", w->refresh_sealed != NULL);
}

static json_t *categories_json(apr_array_header_t *cats)
{
    json_t *out = json_object();
    int i;

    for (i = 0; i < cats->nelts; ++i) {
        const nxs_category_t *k = APR_ARRAY_IDX(cats, i, nxs_category_t *);
        json_object_set_new(out, k->category,
                            json_pack("{s:o, s:o, s:s, s:o}", "channel_id",
                                      str_or_null(k->channel_id), "channel_name",
                                      str_or_null(k->channel_name), "mention", k->mention,
                                      "last_error", str_or_null(k->last_error)));
    }
    return out;
}

/* The account row, created with defaults on first use. */
static apr_status_t load_account(nxs_account_t **a, ctx_t *x)
{
    apr_status_t rv = nxs_store_account_get(a, x->db, x->caller->account, x->r->pool);

    if (rv == APR_SUCCESS && !*a) {
        if ((rv = nxs_store_account_ensure(x->db, x->caller->account, x->now, x->r->pool)) ==
            APR_SUCCESS) {
            rv = nxs_store_account_get(a, x->db, x->caller->account, x->r->pool);
        }
    }
    return rv;
}

static const char *connection_state(const nxs_account_t *a, apr_array_header_t *ws)
{
    int i;

    for (i = 0; i < ws->nelts; ++i) {
        const nxs_workspace_t *w = APR_ARRAY_IDX(ws, i, nxs_workspace_t *);
        if (w->active) {
            return w->needs_reconnect ? "reconnect_needed" : "connected";
        }
    }
    return a->disconnected_at ? "disconnected" : "not_connected";
}

/* Settings past the reconnect grace that the hourly purge has not deleted
 * yet read as deleted (nxs_store_settings_gone): a read never purges, as
 * a purge takes SQLite's write lock. */
static void forget_gone_settings(nxs_account_t *a, apr_array_header_t *cats, const char **filters)
{
    int i;

    for (i = 0; cats && i < cats->nelts; ++i) {
        nxs_category_t *k = APR_ARRAY_IDX(cats, i, nxs_category_t *);
        k->channel_id = k->channel_name = k->last_error = NULL;
        k->last_error_at = 0;
        k->mention = "none";
    }
    *filters = NULL;
    a->disconnected_at = 0;
}

static int get_config(ctx_t *x)
{
    apr_pool_t *p = x->r->pool;
    apr_array_header_t *ws = NULL, *cats = NULL, *list;
    const char *filters = NULL, *why = NULL;
    json_t *filters_json = NULL;
    nxs_account_t *a = NULL;
    int i;

    if (load_account(&a, x) || !a || nxs_store_workspaces_list(&ws, x->db, a->id, p) ||
        nxs_store_categories_list(&cats, x->db, a->id, p) ||
        nxs_store_filters_get(&filters, x->db, a->id, p)) {
        return store_failed(x);
    }
    if (nxs_store_settings_gone(a, x->now, apr_time_sec(x->c->reconnect_grace))) {
        forget_gone_settings(a, cats, &filters);
    }
    if (!filters || nxs_json_load(&filters_json, &why, filters, strlen(filters), p)) {
        filters_json = nxs_json_own(json_object(), p);
    }
    list = ws;
    {
        json_t *wl = json_array();
        for (i = 0; i < list->nelts; ++i) {
            json_array_append_new(wl, workspace_json(APR_ARRAY_IDX(list, i, nxs_workspace_t *)));
        }
        return nxs_reply_json(
            x->r, HTTP_OK,
            json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:o, s:o}, s:o, s:o, s:O, s:b, s:I}",
                      "account", "id", a->id, "plan", a->plan, "timezone", a->timezone, "locale",
                      a->locale, "currency", a->currency, "connection", "state",
                      connection_state(a, ws), "disconnected_at",
                      a->disconnected_at ? json_integer(a->disconnected_at) : json_null(),
                      "purge_at",
                      a->disconnected_at
                          ? json_integer(a->disconnected_at + apr_time_sec(x->c->reconnect_grace))
                          : json_null(),
                      "workspaces", wl, "categories", categories_json(cats), "filters",
                      filters_json, "filters_applied", strcmp(a->plan, "agency") == 0,
                      "reconnect_grace_seconds", (json_int_t)apr_time_sec(x->c->reconnect_grace)));
    }
}

static int get_session(ctx_t *x)
{
    if (!x->caller->by_session) {
        return nxs_reply_error(x->r, HTTP_NOT_FOUND, "not_found",
                               "/session describes browser sessions only");
    }
    return nxs_reply_json(
        x->r, HTTP_OK,
        json_pack("{s:s, s:s}", "account", x->caller->account, "csrf_token", x->caller->csrf));
}

static int get_workspaces(ctx_t *x)
{
    apr_array_header_t *ws = NULL;
    json_t *out;
    int i;

    if (nxs_store_workspaces_list(&ws, x->db, x->caller->account, x->r->pool)) {
        return store_failed(x);
    }
    out = json_array();
    for (i = 0; i < ws->nelts; ++i) {
        json_array_append_new(out, workspace_json(APR_ARRAY_IDX(ws, i, nxs_workspace_t *)));
    }
    return nxs_reply_json(x->r, HTTP_OK, json_pack("{s:o}", "workspaces", out));
}

static int put_active_workspace(ctx_t *x)
{
    const char *team = nxs_json_path_str(x->in, "team_id");
    int found = 0;

    if (!team) {
        return invalid(x, "team_id", "team_id is required");
    }
    if (nxs_store_workspace_activate(&found, x->db, x->caller->account, team, x->r->pool)) {
        return store_failed(x);
    }
    if (!found) {
        return nxs_reply_error(x->r, HTTP_NOT_FOUND, "unknown_workspace",
                               "no workspace with that team_id is linked to this account");
    }
    return get_workspaces(x);
}

/* The active workspace and its usable token: DECLINED to go on, else the
 * request has been answered. */
static int active_token(nxs_workspace_t **w, const char **token, ctx_t *x)
{
    nxs_slack_app_t app = slack_app(x);
    const char *error = NULL;

    if (nxs_store_workspace_active(w, x->db, x->caller->account, x->r->pool)) {
        return store_failed(x);
    }
    if (!*w) {
        return nxs_reply_error(x->r, HTTP_CONFLICT, "not_connected",
                               "no Slack workspace is connected to this account");
    }
    if (nxs_token_get(token, &error, x->db, *w, &app, x->now, x->r->pool) != APR_SUCCESS) {
        return nxs_reply_error(x->r, HTTP_BAD_GATEWAY, error,
                               "the workspace's token cannot be used; reconnect Slack");
    }
    return DECLINED;
}

/* The workspaces' channel lists of this process, shared by its threads
 * (core/slack/nxs_channel_cache.h says why per process): made in
 * nxs_settings_api_child_init; NULL elsewhere, where every call fetches. */
static nxs_channel_cache_t *channel_cache;

/* Lists kept per process: at NexteSlackChannelCache's default cap of
 * 20 000 channels a list takes about 1.2 MB with 20-character names
 * (measured), so 16 take about 20 MB at most. */
#define CHANNEL_LISTS 16

#define CHANNELS_PAGE_MAX 1000
#define CHANNELS_Q_MAX    80

void nxs_settings_api_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = nxs_channel_cache_create(&channel_cache, CHANNEL_LISTS, pchild);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "the settings page's channel lists will not be cached in this process");
    }
}

typedef struct channels_fetch_t {
    const ctx_t *x;
    const char *team;
    const char *token;
    int pages;
} channels_fetch_t;

static int add_channel(void *list, const char *id, const char *name)
{
    return nxs_channel_list_add(list, id, name) != APR_SUCCESS;
}

/* conversations.list into LIST (nxs_channel_fetch_fn). */
static apr_status_t fetch_channels(nxs_channel_list_t *list, const char **error, void *baton)
{
    channels_fetch_t *f = baton;
    apr_time_t t0 = apr_time_now();
    apr_status_t rv =
        nxs_slack_channels_each(&f->pages, error, f->x->c->api_base, f->token, "public_channel",
                                SLACK_TIMEOUT, add_channel, list, f->x->r->pool);

    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00181",
            "channels of team %s listed by Slack: %d kept%s, %d page(s), in %" APR_TIME_T_FMT
            " ms%s%s",
            f->team, nxs_channel_list_count(list),
            nxs_channel_list_truncated(list) ? " (the cap: more were left out)" : "", f->pages,
            apr_time_as_msec(apr_time_now() - t0),
            rv == APR_SUCCESS ? "" : "; failed: ", rv == APR_SUCCESS ? "" : *error);
    return rv;
}

/* ?cursor=C&limit=N&q=TEXT of GET api/channels: DECLINED when valid. */
static int channels_query(const char **cursor, int *limit, const char **q, ctx_t *x)
{
    apr_table_t *args = NULL;
    const char *l;
    char *end = NULL;
    apr_int64_t n;

    ap_args_to_table(x->r, &args);
    *cursor = apr_table_get(args, "cursor");
    *q = apr_table_get(args, "q");
    *limit = CHANNELS_PAGE_MAX;
    if ((l = apr_table_get(args, "limit"))) {
        n = apr_strtoi64(l, &end, 10);
        if (!*l || *end || n < 1) {
            return invalid(x, "limit",
                           "limit is a whole number of channels from 1 (at most 1000 are sent)");
        }
        *limit = n > CHANNELS_PAGE_MAX ? CHANNELS_PAGE_MAX : (int)n;
    }
    if (*q && strlen(*q) > CHANNELS_Q_MAX) {
        return invalid(x, "q", "q is at most 80 characters");
    }
    return DECLINED;
}

/* One page of the active workspace's public channels, from this process's
 * list when it is fresh, else from Slack. */
static int get_channels(ctx_t *x)
{
    nxs_workspace_t *w = NULL;
    const char *token = NULL, *error = NULL, *cursor = NULL, *q = NULL, *next = NULL, *key;
    const nxs_channel_list_t *list = NULL;
    apr_array_header_t *page = NULL;
    channels_fetch_t fetch = {x, NULL, NULL, 0};
    char token_hash[65];
    json_t *out;
    int i, rc, limit = 0, hit = 0;

    if ((rc = channels_query(&cursor, &limit, &q, x)) != DECLINED ||
        (rc = active_token(&w, &token, x)) != DECLINED) {
        return rc;
    }
    /* Per install (a reconnect's new token lists anew), never the token. */
    nxs_hmac_sha256_hex(token_hash, x->c->state_key, sizeof(x->c->state_key), token, strlen(token));
    key = apr_pstrcat(x->r->pool, x->c->api_base, "\n", w->team_id, "\n", token_hash, NULL);
    fetch.team = w->team_id;
    fetch.token = token;
    if (nxs_channel_cache_get(&list, &hit, &error, channel_cache, key, apr_time_now(),
                              x->c->channel_cache_ttl, x->c->channel_cache_max, fetch_channels,
                              &fetch, x->r->pool) != APR_SUCCESS) {
        return nxs_reply_error(x->r, HTTP_BAD_GATEWAY, error, "Slack did not list the channels");
    }
    if (hit) {
        NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00182",
                "channels of team %s: from this process's list of %d (no Slack call)", w->team_id,
                nxs_channel_list_count(list));
    }
    if (nxs_channel_list_page(&page, &next, list, cursor, q, limit, x->r->pool) != APR_SUCCESS) {
        return invalid(x, "cursor", "cursor is not one this API gave (start without it)");
    }
    out = json_array();
    for (i = 0; i < page->nelts; ++i) {
        const nxs_channel_t *ch = APR_ARRAY_IDX(page, i, const nxs_channel_t *);
        json_array_append_new(out, json_pack("{s:s, s:s}", "id", ch->id, "name", ch->name));
    }
    return nxs_reply_json(x->r, HTTP_OK,
                          json_pack("{s:s, s:o, s:o, s:b}", "team_id", w->team_id, "channels", out,
                                    "next_cursor", str_or_null(next), "truncated",
                                    nxs_channel_list_truncated(list)));
}

static int put_category(ctx_t *x)
{
    const char *channel = nxs_json_path_str(x->in, "channel_id");
    const char *name = nxs_json_path_str(x->in, "channel_name");
    const char *mention = nxs_json_path_str(x->in, "mention");
    const char *err;

    if ((err = nxs_check_channel_id(channel))) {
        return invalid(x, "channel_id", err);
    }
    if (mention && (err = nxs_check_mention(mention))) {
        return invalid(x, "mention", err);
    }
    if (name && strlen(name) > 80) {
        return invalid(x, "channel_name", "channel_name is at most 80 characters");
    }
    if (nxs_store_category_set_channel(x->db, x->caller->account, x->arg, channel, name,
                                       x->r->pool) ||
        (mention &&
         nxs_store_category_set_mention(x->db, x->caller->account, x->arg, mention, x->r->pool))) {
        return store_failed(x);
    }
    return get_config(x);
}

static int delete_category(ctx_t *x)
{
    if (nxs_store_category_set_channel(x->db, x->caller->account, x->arg, NULL, NULL, x->r->pool)) {
        return store_failed(x);
    }
    return get_config(x);
}

static int put_mention(ctx_t *x)
{
    const char *mention = nxs_json_path_str(x->in, "mention");
    const char *err = nxs_check_mention(mention);

    if (err) {
        return invalid(x, "mention", err);
    }
    if (nxs_store_category_set_mention(x->db, x->caller->account, x->arg, mention, x->r->pool)) {
        return store_failed(x);
    }
    return get_config(x);
}

/* The plan, time zone, locale and currency belong to Nexte core (billing and
 * the account's own settings): only a signed call or account.updated
 * changes them.  A browser session may not, or a Solo user could give
 * itself the Agency plan's filters. */
static int put_account(ctx_t *x)
{
    nxs_account_t *a = NULL;
    const char *field = NULL, *why = NULL;

    if (x->caller->by_session) {
        return nxs_reply_error(x->r, HTTP_FORBIDDEN, "core_owned",
                               "the plan, time zone, locale and currency are set by Nexte "
                               "(account.updated or a signed call), not from the settings page");
    }
    if (load_account(&a, x) || !a) {
        return store_failed(x);
    }
    if (nxs_check_account_fields(a, &field, &why, x->in, 1, x->r->pool) != APR_SUCCESS) {
        return invalid(x, field, why);
    }
    if (nxs_store_account_update(x->db, a, x->now, x->r->pool)) {
        return store_failed(x);
    }
    return get_config(x);
}

static int get_filters(ctx_t *x)
{
    const char *filters = NULL, *why = NULL;
    json_t *v = NULL;
    nxs_account_t *a = NULL;

    if (load_account(&a, x) || !a || nxs_store_filters_get(&filters, x->db, a->id, x->r->pool)) {
        return store_failed(x);
    }
    if (nxs_store_settings_gone(a, x->now, apr_time_sec(x->c->reconnect_grace))) {
        filters = NULL;
    }
    if (!filters || nxs_json_load(&v, &why, filters, strlen(filters), x->r->pool)) {
        v = nxs_json_own(json_object(), x->r->pool);
    }
    return nxs_reply_json(
        x->r, HTTP_OK,
        json_pack("{s:O, s:b}", "filters", v, "applied", strcmp(a->plan, "agency") == 0));
}

static int put_filters(ctx_t *x)
{
    nxs_account_t *a = NULL;
    json_t *normalized = NULL;
    const char *err, *text, *field = NULL;

    if (load_account(&a, x) || !a) {
        return store_failed(x);
    }
    if (strcmp(a->plan, "agency") != 0) {
        return nxs_reply_error(x->r, HTTP_FORBIDDEN, "plan_required",
                               "advanced filters need the Agency plan");
    }
    if ((err = nxs_check_filters(&normalized, &field, x->in, x->r->pool))) {
        return invalid(x, field, err);
    }
    nxs_json_own(normalized, x->r->pool);
    text = nxs_json_dump(normalized, JSON_COMPACT | JSON_SORT_KEYS, x->r->pool);
    if (!text || nxs_store_filters_put(x->db, a->id, text, x->now, x->r->pool)) {
        return store_failed(x);
    }
    return get_filters(x);
}

static const char *test_message(const nxs_account_t *a, const char *category, apr_pool_t *p)
{
    if (a && strcmp(a->locale, "fr") == 0) {
        return apr_psprintf(p,
                            "\xE2\x9C\x85 Nexte est connect\xC3\xA9 : les \xC3\xA9v\xC3\xA9"
                            "nements \xC2\xAB %s \xC2\xBB arriveront ici.",
                            category);
    }
    return apr_psprintf(p, "\xE2\x9C\x85 Nexte is connected: %s events will be posted here.",
                        category);
}

static int post_confirm(ctx_t *x)
{
    apr_pool_t *p = x->r->pool;
    apr_array_header_t *cats = NULL;
    nxs_workspace_t *w = NULL;
    nxs_account_t *a = NULL;
    const char *token = NULL;
    json_t *results = json_object();
    int i, rc, all_ok = 1;

    if ((rc = active_token(&w, &token, x)) != DECLINED) {
        json_decref(results);
        return rc;
    }
    if (load_account(&a, x) || nxs_store_categories_list(&cats, x->db, x->caller->account, p)) {
        json_decref(results);
        return store_failed(x);
    }
    for (i = 0; i < cats->nelts; ++i) {
        const nxs_category_t *k = APR_ARRAY_IDX(cats, i, nxs_category_t *);
        nxs_slack_auth_t auth = {token, NULL, NULL};
        nxs_slack_result_t res;
        const char *body;

        if (!k->channel_id) {
            continue;
        }
        body =
            nxs_json_dump(nxs_json_own(json_pack("{s:s, s:s, s:b, s:b}", "channel", k->channel_id,
                                                 "text", test_message(a, k->category, p),
                                                 "unfurl_links", 0, "unfurl_media", 0),
                                       p),
                          JSON_COMPACT, p);
        nxs_slack_call(&res, x->c->api_base, "chat.postMessage", &auth, NULL, body, SLACK_TIMEOUT,
                       p);
        all_ok &= res.error == NULL;
        json_object_set_new(results, k->category,
                            res.error
                                ? json_pack("{s:s, s:b, s:s}", "channel_id", k->channel_id, "ok", 0,
                                            "error", res.error)
                                : json_pack("{s:s, s:b, s:o}", "channel_id", k->channel_id, "ok", 1,
                                            "ts", str_or_null(nxs_json_path_str(res.body, "ts"))));
    }
    return nxs_reply_json(x->r, HTTP_OK, json_pack("{s:b, s:o}", "ok", all_ok, "results", results));
}

static int post_disconnect(ctx_t *x)
{
    apr_pool_t *p = x->r->pool;
    apr_array_header_t *ws = NULL;
    nxs_slack_app_t app = slack_app(x);
    json_t *revoked = json_array();
    int i;

    if (nxs_store_account_ensure(x->db, x->caller->account, x->now, p) ||
        nxs_store_workspaces_list(&ws, x->db, x->caller->account, p)) {
        json_decref(revoked);
        return store_failed(x);
    }
    for (i = 0; i < ws->nelts; ++i) {
        nxs_workspace_t *w = APR_ARRAY_IDX(ws, i, nxs_workspace_t *);
        const char *token = NULL, *error = NULL;
        nxs_slack_result_t res = {0, NULL, NULL, 0};

        /* Revocation is best effort: the tokens are deleted below whatever
         * Slack answers, and the answer is reported. */
        if (nxs_token_get(&token, &error, x->db, w, &app, x->now, p) == APR_SUCCESS) {
            nxs_slack_auth_t auth = {token, NULL, NULL};
            nxs_slack_call(&res, x->c->api_base, "auth.revoke", &auth, apr_table_make(p, 1), NULL,
                           SLACK_TIMEOUT, p);
            error = res.error;
        }
        json_array_append_new(revoked,
                              json_pack("{s:s, s:b, s:o}", "team_id", w->team_id, "revoked",
                                        error == NULL, "error", str_or_null(error)));
    }
    if (nxs_store_workspaces_delete(x->db, x->caller->account, p) ||
        nxs_store_account_set_disconnected(x->db, x->caller->account, x->now, p)) {
        json_decref(revoked);
        return store_failed(x);
    }
    /* Its queued messages are dropped with the tokens (docs/CONTRACT.md "Settings"). */
    nxs_daemon_request(x->r, x->c,
                       json_pack("{s:s, s:s}", "op", "drop", "account", x->caller->account),
                       apr_time_from_sec(1));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, x->r, "account %s disconnected Slack (%d workspaces)",
                  x->caller->account, ws->nelts);
    return nxs_reply_json(x->r, HTTP_OK,
                          json_pack("{s:s, s:o, s:I}", "status", "disconnected", "workspaces",
                                    revoked, "purge_at",
                                    (json_int_t)(x->now + apr_time_sec(x->c->reconnect_grace))));
}

typedef int (*route_fn)(ctx_t *x);

typedef struct route_t {
    const char *method;
    const char *path; /* "*" matches one category segment */
    route_fn fn;
} route_t;

static const route_t ROUTES[] = {
    {"GET", "/session", get_session},
    {"GET", "/config", get_config},
    {"GET", "/workspaces", get_workspaces},
    {"PUT", "/workspaces/active", put_active_workspace},
    {"GET", "/channels", get_channels},
    {"PUT", "/categories/*", put_category},
    {"DELETE", "/categories/*", delete_category},
    {"PUT", "/categories/*/mention", put_mention},
    {"PUT", "/account", put_account},
    {"GET", "/filters", get_filters},
    {"PUT", "/filters", put_filters},
    {"POST", "/confirm", post_confirm},
    {"POST", "/disconnect", post_disconnect},
    {NULL, NULL, NULL},
};

/* Matches PATTERN against ROUTE; a "*" takes one segment into *arg. */
static int route_matches(const char *pattern, const char *route, const char **arg, apr_pool_t *p)
{
    const char *star = strchr(pattern, '*');
    const char *seg_end;

    if (!star) {
        return strcmp(pattern, route) == 0;
    }
    if (strncmp(pattern, route, (apr_size_t)(star - pattern)) != 0) {
        return 0;
    }
    route += star - pattern;
    seg_end = strchr(route, '/');
    if (!seg_end) {
        seg_end = route + strlen(route);
    }
    if (seg_end == route || strcmp(star + 1, seg_end) != 0) {
        return 0;
    }
    *arg = apr_pstrmemdup(p, route, (apr_size_t)(seg_end - route));
    return 1;
}

/* DECLINED when x->in holds the body's JSON object; else answered. */
static int parse_body(ctx_t *x, const char *body, apr_size_t len)
{
    const char *ct = apr_table_get(x->r->headers_in, "Content-Type");
    const char *why = NULL;

    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        return nxs_reply_error(x->r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                               "send Content-Type: application/json");
    }
    if (nxs_json_load(&x->in, &why, body, len, x->r->pool) != APR_SUCCESS) {
        return nxs_reply_error(x->r, HTTP_BAD_REQUEST, "malformed_json",
                               apr_pstrcat(x->r->pool, "the body is not JSON: ", why, NULL));
    }
    if (!json_is_object(x->in)) {
        return nxs_reply_error(x->r, HTTP_BAD_REQUEST, "malformed_json",
                               "the body must be a JSON object");
    }
    return DECLINED;
}

int nxs_settings_api(request_rec *r, const nxs_server_conf_t *c, const nxs_caller_t *caller,
                     const char *route, const char *body, apr_size_t len)
{
    ctx_t x = {r, c, caller, NULL, NULL, NULL, apr_time_sec(r->request_time)};
    const char *allowed = NULL;
    const route_t *rt;
    int rc, purged = 0;

    for (rt = ROUTES; rt->method; ++rt) {
        const char *arg = NULL;
        if (!route_matches(rt->path, route, &arg, r->pool)) {
            continue;
        }
        allowed = allowed ? apr_pstrcat(r->pool, allowed, ", ", rt->method, NULL) : rt->method;
        if (strcmp(rt->method, r->method) == 0 ||
            (r->header_only && strcmp(rt->method, "GET") == 0)) {
            x.arg = arg;
            break;
        }
    }
    if (!rt->method) {
        if (allowed) {
            apr_table_setn(r->headers_out, "Allow", allowed);
            return nxs_reply_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                   apr_psprintf(r->pool, "use %s", allowed));
        }
        return nxs_reply_error(r, HTTP_NOT_FOUND, "not_found",
                               apr_psprintf(r->pool, "no API route %s", route));
    }
    if (x.arg && !nxs_store_is_category(x.arg)) {
        return nxs_reply_error(r, HTTP_NOT_FOUND, "unknown_category",
                               "categories are payments, quotes, contacts, booking, alerts "
                               "and recap");
    }
    if ((strcmp(r->method, "PUT") == 0) && (rc = parse_body(&x, body, len)) != DECLINED) {
        return rc;
    }
    if (!(x.db = nxs_dbd_acquire(r))) {
        return store_failed(&x);
    }
    /* A write first completes the purge of settings past the reconnect
     * grace, so that what it writes is not deleted with them later. */
    if (r->method_number != M_GET &&
        nxs_store_account_purge(&purged, x.db, caller->account, x.now,
                                apr_time_sec(c->reconnect_grace), r->pool) != APR_SUCCESS) {
        return store_failed(&x);
    }
    return rt->fn(&x);
}
