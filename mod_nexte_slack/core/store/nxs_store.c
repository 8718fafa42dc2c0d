/* Settings store over prepared statements.  The SQL is written once for
 * both SQLite and PostgreSQL: %s binds text, %lld binds a bigint (apr_dbd
 * declares the parameter type to PostgreSQL; SQLite applies the column's
 * affinity), and upserts use ON CONFLICT, which both understand. */
#include "store/nxs_store.h"
#include "store/nxs_store_int.h"

#include "nxs_json.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

const char *const nxs_store_category_names[] = {"payments", "quotes", "contacts", "booking",
                                                "alerts",   "recap",  NULL};

const nxs_db_statement_t nxs_db_statements[] = {
    {"nxs_account_get", "SELECT " NXS_ACCOUNT_COLS " FROM nxs_accounts WHERE account_id = %s"},
    {"nxs_account_ensure", "INSERT INTO nxs_accounts (account_id, updated_at) VALUES (%s, %lld) "
                           "ON CONFLICT (account_id) DO NOTHING"},
    {"nxs_account_update",
     "UPDATE nxs_accounts SET plan = %s, timezone = %s, locale = %s, "
     "currency = %s, updated_at = %lld, core_at = %lld WHERE account_id = %s"},
    {"nxs_account_update_if_newer",
     "UPDATE nxs_accounts SET plan = %s, timezone = %s, locale = %s, currency = %s, "
     "updated_at = %lld, core_at = %lld WHERE account_id = %s AND (core_at IS NULL OR "
     "core_at <= %lld)"},
    {"nxs_account_disconnect",
     "UPDATE nxs_accounts SET disconnected_at = %lld WHERE account_id = %s"},
    {"nxs_account_reconnect",
     "UPDATE nxs_accounts SET disconnected_at = NULL WHERE account_id = %s"},
    {"nxs_ws_deactivate_all", "UPDATE nxs_workspaces SET active = 0 WHERE account_id = %s"},
    {"nxs_ws_install",
     "INSERT INTO nxs_workspaces (account_id, team_id, team_name, bot_user_id, scopes, "
     "token_sealed, refresh_sealed, token_expires_at, active, needs_reconnect, installed_at) "
     "VALUES (%s, %s, %s, %s, %s, %s, %s, %lld, 1, 0, %lld) "
     "ON CONFLICT (account_id, team_id) DO UPDATE SET team_name = excluded.team_name, "
     "bot_user_id = excluded.bot_user_id, scopes = excluded.scopes, "
     "token_sealed = excluded.token_sealed, refresh_sealed = excluded.refresh_sealed, "
     "token_expires_at = excluded.token_expires_at, active = 1, needs_reconnect = 0"},
    {"nxs_ws_list", "SELECT " NXS_WORKSPACE_COLS " FROM nxs_workspaces WHERE account_id = %s "
                    "ORDER BY installed_at, team_id"},
    {"nxs_ws_activate", "UPDATE nxs_workspaces SET active = 1 WHERE account_id = %s AND "
                        "team_id = %s"},
    {"nxs_ws_set_tokens", "UPDATE nxs_workspaces SET token_sealed = %s, refresh_sealed = %s, "
                          "token_expires_at = %lld WHERE account_id = %s AND team_id = %s"},
    {"nxs_ws_delete_all", "DELETE FROM nxs_workspaces WHERE account_id = %s"},
    {"nxs_ws_needs_reconnect", "UPDATE nxs_workspaces SET needs_reconnect = %d "
                               "WHERE account_id = %s AND team_id = %s"},
    {"nxs_cat_channel_error", "UPDATE nxs_categories SET last_error = %s, last_error_at = %lld "
                              "WHERE account_id = %s AND channel_id = %s"},
    {"nxs_cat_list", "SELECT category, channel_id, channel_name, mention, last_error, "
                     "last_error_at FROM nxs_categories WHERE account_id = %s"},
    {"nxs_cat_set_channel",
     "INSERT INTO nxs_categories (account_id, category, channel_id, channel_name) "
     "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, category) DO UPDATE SET "
     "channel_id = excluded.channel_id, channel_name = excluded.channel_name, "
     "last_error = NULL, last_error_at = NULL"},
    {"nxs_cat_set_mention",
     "INSERT INTO nxs_categories (account_id, category, mention) VALUES (%s, %s, %s) "
     "ON CONFLICT (account_id, category) DO UPDATE SET mention = excluded.mention"},
    {"nxs_filters_get", "SELECT filters_json FROM nxs_filters WHERE account_id = %s"},
    {"nxs_filters_put", "INSERT INTO nxs_filters (account_id, filters_json, updated_at) "
                        "VALUES (%s, %s, %lld) ON CONFLICT (account_id) DO UPDATE SET "
                        "filters_json = excluded.filters_json, updated_at = excluded.updated_at"},
    /* One statement, so that on SQLite (which takes the write lock before
     * it reads) two starts of a session cannot both see room for one.  The
     * CAST: SQLite's driver binds text, and a number compared with text
     * that is no column's is always smaller. */
    {"nxs_oauth_start",
     "INSERT INTO nxs_oauth_states (state_hash, account_id, browser_hash, session_hash, "
     "created_at, expires_at) SELECT %s, %s, %s, %s, %lld, %lld WHERE (SELECT COUNT(*) FROM "
     "nxs_oauth_states WHERE session_hash = %s AND created_at > %lld) < CAST(%lld AS BIGINT)"},
    {"nxs_oauth_oldest", "SELECT MIN(created_at) FROM nxs_oauth_states WHERE session_hash = %s "
                         "AND created_at > %lld"},
    {"nxs_oauth_get", "SELECT account_id, browser_hash, expires_at FROM nxs_oauth_states "
                      "WHERE state_hash = %s AND taken_at IS NULL"},
    {"nxs_oauth_take", "UPDATE nxs_oauth_states SET taken_at = %lld WHERE state_hash = %s AND "
                       "taken_at IS NULL"},
    {"nxs_launch_use", "INSERT INTO nxs_launch_used (sig, expires_at) VALUES (%s, %lld) "
                       "ON CONFLICT (sig) DO NOTHING"},
    {"nxs_purge_categories",
     "DELETE FROM nxs_categories WHERE account_id IN (SELECT account_id FROM nxs_accounts "
     "WHERE disconnected_at IS NOT NULL AND disconnected_at < %lld)"},
    {"nxs_purge_filters",
     "DELETE FROM nxs_filters WHERE account_id IN (SELECT account_id FROM nxs_accounts "
     "WHERE disconnected_at IS NOT NULL AND disconnected_at < %lld)"},
    /* The account row itself stays: plan, time zone, locale and currency
     * come from Nexte core (account.updated), not from the Slack settings. */
    {"nxs_purge_accounts", "UPDATE nxs_accounts SET disconnected_at = NULL WHERE "
                           "disconnected_at IS NOT NULL AND disconnected_at < %lld"},
    {"nxs_purge_deliveries", "DELETE FROM nxs_deliveries WHERE posted_at < %lld"},
    /* The same for one account (nxs_store_account_purge). */
    {"nxs_purge_account_categories",
     "DELETE FROM nxs_categories WHERE account_id = %s AND EXISTS (SELECT 1 FROM nxs_accounts "
     "WHERE account_id = %s AND disconnected_at IS NOT NULL AND disconnected_at < %lld)"},
    {"nxs_purge_account_filters",
     "DELETE FROM nxs_filters WHERE account_id = %s AND EXISTS (SELECT 1 FROM nxs_accounts "
     "WHERE account_id = %s AND disconnected_at IS NOT NULL AND disconnected_at < %lld)"},
    {"nxs_purge_account_mark", "UPDATE nxs_accounts SET disconnected_at = NULL WHERE "
                               "account_id = %s AND disconnected_at IS NOT NULL AND "
                               "disconnected_at < %lld"},
    {"nxs_delivery_put",
     "INSERT INTO nxs_deliveries (delivery_id, account_id, team_id, channel_id, message_ts, "
     "event_id, record_json, message_json, posted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
     "%lld) ON CONFLICT (delivery_id) DO NOTHING"},
    {"nxs_delivery_get",
     "SELECT delivery_id, account_id, team_id, channel_id, message_ts, event_id, record_json, "
     "message_json, posted_at, handled_by, handled_name, handled_at, reported_at "
     "FROM nxs_deliveries WHERE delivery_id = %s"},
    /* "AND handled_by IS NULL": of two clicks racing, one row update wins. */
    {"nxs_delivery_handle", "UPDATE nxs_deliveries SET handled_by = %s, handled_name = %s, "
                            "handled_at = %lld WHERE delivery_id = %s AND handled_by IS NULL"},
    {"nxs_delivery_reported",
     "UPDATE nxs_deliveries SET reported_at = %lld WHERE delivery_id = %s"},
    {"nxs_purge_oauth", "DELETE FROM nxs_oauth_states WHERE expires_at < %lld"},
    {"nxs_purge_launch", "DELETE FROM nxs_launch_used WHERE expires_at < %lld"},
    {NULL, NULL},
};

int nxs_store_is_category(const char *name)
{
    const char *const *c;

    for (c = nxs_store_category_names; name && *c; ++c) {
        if (strcmp(*c, name) == 0) {
            return 1;
        }
    }
    return 0;
}

nxs_account_t *nxs_store_account_from_row(const char **r, apr_pool_t *p)
{
    nxs_account_t *a = apr_pcalloc(p, sizeof(*a));

    a->id = r[0];
    a->plan = r[1];
    a->timezone = r[2];
    a->locale = r[3];
    a->currency = r[4];
    a->disconnected_at = nxs_store_to_i64(r[5]);
    return a;
}

apr_status_t nxs_store_account_get(nxs_account_t **out, nxs_db_t *db, const char *id, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_account_get", NXS_ACCOUNT_NCOLS, p, id);

    *out = NULL;
    if (rv == APR_SUCCESS && rows->nelts > 0) {
        *out = nxs_store_account_from_row(APR_ARRAY_IDX(rows, 0, const char **), p);
    }
    return rv;
}

apr_status_t nxs_store_account_ensure(nxs_db_t *db, const char *id, apr_int64_t now, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_account_ensure", p, id, nxs_store_i64(now, p));
}

apr_status_t nxs_store_account_update(nxs_db_t *db, const nxs_account_t *a, apr_int64_t now,
                                      apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_account_update", p, a->plan, a->timezone, a->locale, a->currency,
                nxs_store_i64(now, p), nxs_store_i64(now * 1000, p), a->id);
}

apr_status_t nxs_store_account_update_if_newer(int *applied, nxs_db_t *db, const nxs_account_t *a,
                                               apr_int64_t core_at_ms, apr_int64_t now,
                                               apr_pool_t *p)
{
    int n = 0;
    apr_status_t rv = EXEC(db, &n, "nxs_account_update_if_newer", p, a->plan, a->timezone,
                           a->locale, a->currency, nxs_store_i64(now, p),
                           nxs_store_i64(core_at_ms, p), a->id, nxs_store_i64(core_at_ms, p));

    *applied = rv == APR_SUCCESS && n > 0;
    return rv;
}

apr_status_t nxs_store_account_set_disconnected(nxs_db_t *db, const char *id, apr_int64_t at,
                                                apr_pool_t *p)
{
    if (at == 0) {
        return EXEC(db, NULL, "nxs_account_reconnect", p, id);
    }
    return EXEC(db, NULL, "nxs_account_disconnect", p, nxs_store_i64(at, p), id);
}

apr_status_t nxs_store_workspace_install(nxs_db_t *db, const nxs_workspace_t *w, apr_pool_t *p)
{
    apr_status_t rv;

    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = EXEC(db, NULL, "nxs_ws_deactivate_all", p, w->account_id)) ||
        (rv = EXEC(db, NULL, "nxs_ws_install", p, w->account_id, w->team_id, w->team_name,
                   w->bot_user_id, w->scopes, w->token_sealed, w->refresh_sealed,
                   nxs_store_i64(w->token_expires_at, p), nxs_store_i64(w->installed_at, p))) ||
        (rv = EXEC(db, NULL, "nxs_account_reconnect", p, w->account_id))) {
        nxs_db_rollback(db, p);
        return rv;
    }
    return nxs_db_commit(db, p);
}

nxs_workspace_t *nxs_store_workspace_from_row(const char **r, apr_pool_t *p)
{
    nxs_workspace_t *w = apr_pcalloc(p, sizeof(*w));

    w->account_id = r[0];
    w->team_id = r[1];
    w->team_name = r[2];
    w->bot_user_id = r[3];
    w->scopes = r[4];
    w->token_sealed = r[5];
    w->refresh_sealed = r[6];
    w->token_expires_at = nxs_store_to_i64(r[7]);
    w->installed_at = nxs_store_to_i64(r[8]);
    w->active = (int)nxs_store_to_i64(r[9]);
    w->needs_reconnect = (int)nxs_store_to_i64(r[10]);
    return w;
}

apr_status_t nxs_store_workspaces_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                       apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_ws_list", NXS_WORKSPACE_NCOLS, p, account);
    int i;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = apr_array_make(p, rows->nelts, sizeof(nxs_workspace_t *));
    for (i = 0; i < rows->nelts; ++i) {
        APR_ARRAY_PUSH(*out, nxs_workspace_t *) =
            nxs_store_workspace_from_row(APR_ARRAY_IDX(rows, i, const char **), p);
    }
    return APR_SUCCESS;
}

apr_status_t nxs_store_workspace_active(nxs_workspace_t **out, nxs_db_t *db, const char *account,
                                        apr_pool_t *p)
{
    apr_array_header_t *all = NULL;
    apr_status_t rv = nxs_store_workspaces_list(&all, db, account, p);
    int i;

    *out = NULL;
    for (i = 0; rv == APR_SUCCESS && i < all->nelts; ++i) {
        nxs_workspace_t *w = APR_ARRAY_IDX(all, i, nxs_workspace_t *);
        if (w->active) {
            *out = w;
        }
    }
    return rv;
}

apr_status_t nxs_store_workspace_activate(int *found, nxs_db_t *db, const char *account,
                                          const char *team, apr_pool_t *p)
{
    apr_status_t rv;
    int n = 0;

    *found = 0;
    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = EXEC(db, NULL, "nxs_ws_deactivate_all", p, account)) ||
        (rv = EXEC(db, &n, "nxs_ws_activate", p, account, team))) {
        nxs_db_rollback(db, p);
        return rv;
    }
    if (n == 0) {
        /* Unknown team: keep the current active workspace. */
        nxs_db_rollback(db, p);
        return APR_SUCCESS;
    }
    *found = 1;
    return nxs_db_commit(db, p);
}

apr_status_t nxs_store_workspace_set_tokens(nxs_db_t *db, const char *account, const char *team,
                                            const char *token_sealed, const char *refresh_sealed,
                                            apr_int64_t expires_at, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_ws_set_tokens", p, token_sealed, refresh_sealed,
                nxs_store_i64(expires_at, p), account, team);
}

apr_status_t nxs_store_workspaces_delete(nxs_db_t *db, const char *account, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_ws_delete_all", p, account);
}

apr_status_t nxs_store_workspace_set_needs_reconnect(nxs_db_t *db, const char *account,
                                                     const char *team, int needed, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_ws_needs_reconnect", p, needed ? "1" : "0", account, team);
}

apr_status_t nxs_store_channel_error(nxs_db_t *db, const char *account, const char *channel,
                                     const char *error, apr_int64_t at, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_cat_channel_error", p, error, nxs_store_i64(at, p), account,
                channel);
}

apr_status_t nxs_store_categories_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                       apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_cat_list", 6, p, account);
    int i, j;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = apr_array_make(p, NXS_CATEGORY_COUNT, sizeof(nxs_category_t *));
    for (i = 0; i < NXS_CATEGORY_COUNT; ++i) {
        nxs_category_t *c = apr_pcalloc(p, sizeof(*c));
        c->category = nxs_store_category_names[i];
        c->mention = "none";
        for (j = 0; j < rows->nelts; ++j) {
            const char **r = APR_ARRAY_IDX(rows, j, const char **);
            if (strcmp(r[0], c->category) == 0) {
                c->channel_id = r[1];
                c->channel_name = r[2];
                c->mention = r[3] ? r[3] : "none";
                c->last_error = r[4];
                c->last_error_at = nxs_store_to_i64(r[5]);
            }
        }
        APR_ARRAY_PUSH(*out, nxs_category_t *) = c;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_store_category_set_channel(nxs_db_t *db, const char *account, const char *category,
                                            const char *channel_id, const char *channel_name,
                                            apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_cat_set_channel", p, account, category, channel_id,
                channel_id ? channel_name : NULL);
}

apr_status_t nxs_store_category_set_mention(nxs_db_t *db, const char *account, const char *category,
                                            const char *mention, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_cat_set_mention", p, account, category, mention);
}

apr_status_t nxs_store_filters_get(const char **json, nxs_db_t *db, const char *account,
                                   apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_filters_get", 1, p, account);

    *json = NULL;
    if (rv == APR_SUCCESS && rows->nelts > 0) {
        *json = APR_ARRAY_IDX(rows, 0, const char **)[0];
    }
    return rv;
}

apr_status_t nxs_store_filters_json(json_t **filters, const char **why, nxs_db_t *db,
                                    const char *account, apr_pool_t *p)
{
    const char *text = NULL;
    apr_status_t rv = nxs_store_filters_get(&text, db, account, p);

    *filters = NULL;
    if (rv != APR_SUCCESS || !text) {
        return rv;
    }
    if (nxs_json_load(filters, why, text, strlen(text), p) != APR_SUCCESS) {
        *filters = NULL;
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_store_filters_put(nxs_db_t *db, const char *account, const char *json,
                                   apr_int64_t now, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_filters_put", p, account, json, nxs_store_i64(now, p));
}

apr_status_t nxs_store_oauth_state_start(int *started, apr_int64_t *retry_at, nxs_db_t *db,
                                         const nxs_oauth_start_t *st, apr_pool_t *p)
{
    const char *since = nxs_store_i64(st->now - st->window, p);
    apr_array_header_t *rows = NULL;
    apr_status_t rv;

    *started = 0;
    *retry_at = 0;
    if ((rv = EXEC(db, started, "nxs_oauth_start", p, st->state_hash, st->account, st->browser_hash,
                   st->session_hash, nxs_store_i64(st->now, p), nxs_store_i64(st->expires_at, p),
                   st->session_hash, since, nxs_store_i64(st->limit, p))) != APR_SUCCESS ||
        *started) {
        return rv;
    }
    if ((rv = SELECT(&rows, db, "nxs_oauth_oldest", 1, p, st->session_hash, since)) ==
            APR_SUCCESS &&
        rows->nelts > 0) {
        *retry_at = nxs_store_to_i64(APR_ARRAY_IDX(rows, 0, const char **)[0]) + st->window;
    }
    if (*retry_at <= st->now) {
        *retry_at = st->now + 1; /* a start older than the window, being purged */
    }
    return rv;
}

apr_status_t nxs_store_oauth_state_take(const char **account, const char **browser_hash,
                                        nxs_db_t *db, const char *state_hash, apr_int64_t now,
                                        apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    const char **r;
    int taken = 0;

    *account = *browser_hash = NULL;
    if ((rv = SELECT(&rows, db, "nxs_oauth_get", 3, p, state_hash)) || rows->nelts == 0) {
        return rv;
    }
    r = APR_ARRAY_IDX(rows, 0, const char **);
    /* Only the caller whose UPDATE marked the row may use it: two callbacks
     * racing with one state cannot both succeed.  The row stays until it
     * expires: it counts among its session's starts. */
    if ((rv = EXEC(db, &taken, "nxs_oauth_take", p, nxs_store_i64(now, p), state_hash)) ||
        taken != 1) {
        return rv;
    }
    if (nxs_store_to_i64(r[2]) <= now) {
        return APR_SUCCESS;
    }
    *account = r[0];
    *browser_hash = r[1];
    return APR_SUCCESS;
}

apr_status_t nxs_store_once(int *first, nxs_db_t *db, const char *sig, apr_int64_t expires_at,
                            apr_pool_t *p)
{
    int n = 0;
    apr_status_t rv = EXEC(db, &n, "nxs_launch_use", p, sig, nxs_store_i64(expires_at, p));

    *first = rv == APR_SUCCESS && n == 1;
    return rv;
}

apr_status_t nxs_store_purge(int *purged, nxs_db_t *db, apr_int64_t now, apr_int64_t grace,
                             apr_pool_t *p)
{
    const char *cutoff = nxs_store_i64(now - grace, p), *t = nxs_store_i64(now, p);
    apr_status_t rv;

    *purged = 0;
    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = EXEC(db, NULL, "nxs_purge_categories", p, cutoff)) ||
        (rv = EXEC(db, NULL, "nxs_purge_filters", p, cutoff)) ||
        (rv = EXEC(db, purged, "nxs_purge_accounts", p, cutoff)) ||
        (rv = EXEC(db, NULL, "nxs_purge_oauth", p, t)) ||
        (rv = EXEC(db, NULL, "nxs_purge_launch", p, t)) ||
        (rv = EXEC(db, NULL, "nxs_purge_deliveries", p,
                   nxs_store_i64(now - NXS_DELIVERY_KEEP, p)))) {
        nxs_db_rollback(db, p);
        return rv;
    }
    return nxs_db_commit(db, p);
}

int nxs_store_settings_gone(const nxs_account_t *a, apr_int64_t now, apr_int64_t grace)
{
    /* The cutoff of nxs_store_purge: disconnected_at < now - grace. */
    return a && a->disconnected_at && a->disconnected_at < now - grace;
}

apr_status_t nxs_store_account_purge(int *purged, nxs_db_t *db, const char *account,
                                     apr_int64_t now, apr_int64_t grace, apr_pool_t *p)
{
    const char *cutoff = nxs_store_i64(now - grace, p);
    apr_status_t rv;

    *purged = 0;
    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    /* The mark last: the two deletes are conditioned on it. */
    if ((rv = EXEC(db, NULL, "nxs_purge_account_categories", p, account, account, cutoff)) ||
        (rv = EXEC(db, NULL, "nxs_purge_account_filters", p, account, account, cutoff)) ||
        (rv = EXEC(db, purged, "nxs_purge_account_mark", p, account, cutoff))) {
        nxs_db_rollback(db, p);
        *purged = 0;
        return rv;
    }
    return nxs_db_commit(db, p);
}

apr_status_t nxs_store_delivery_put(nxs_db_t *db, const nxs_delivery_t *d, apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_delivery_put", p, d->delivery_id, d->account_id, d->team_id,
                d->channel_id, d->message_ts, d->event_id, d->record_json ? d->record_json : "",
                d->message_json, nxs_store_i64(d->posted_at, p));
}

apr_status_t nxs_store_delivery_get(nxs_delivery_t **out, nxs_db_t *db, const char *delivery_id,
                                    apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_delivery_get", 13, p, delivery_id);
    const char **r;
    nxs_delivery_t *d;

    *out = NULL;
    if (rv != APR_SUCCESS || rows->nelts == 0) {
        return rv;
    }
    r = APR_ARRAY_IDX(rows, 0, const char **);
    d = apr_pcalloc(p, sizeof(*d));
    d->delivery_id = r[0];
    d->account_id = r[1];
    d->team_id = r[2];
    d->channel_id = r[3];
    d->message_ts = r[4];
    d->event_id = r[5];
    d->record_json = r[6];
    d->message_json = r[7];
    d->posted_at = nxs_store_to_i64(r[8]);
    d->handled_by = r[9];
    d->handled_name = r[10];
    d->handled_at = nxs_store_to_i64(r[11]);
    d->reported_at = nxs_store_to_i64(r[12]);
    *out = d;
    return APR_SUCCESS;
}

apr_status_t nxs_store_delivery_handle(int *first, nxs_db_t *db, const char *delivery_id,
                                       const char *user, const char *name, apr_int64_t at,
                                       apr_pool_t *p)
{
    int n = 0;
    apr_status_t rv =
        EXEC(db, &n, "nxs_delivery_handle", p, user, name, nxs_store_i64(at, p), delivery_id);

    *first = rv == APR_SUCCESS && n == 1;
    return rv;
}

apr_status_t nxs_store_delivery_reported(nxs_db_t *db, const char *delivery_id, apr_int64_t at,
                                         apr_pool_t *p)
{
    return EXEC(db, NULL, "nxs_delivery_reported", p, nxs_store_i64(at, p), delivery_id);
}
