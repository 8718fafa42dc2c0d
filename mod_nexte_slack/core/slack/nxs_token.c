/* Opening and refreshing bot tokens.  The plaintext exists only in the
 * request pool for the duration of a call; it is never logged: the log
 * names the account and team, the expiry and Slack's error code only. */
#include "slack/nxs_token.h"

#include <apr_strings.h>
#include <string.h>

#include "security/nxs_crypto.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "slack/nxs_slack.h"

const char *nxs_token_aad(const char *account, const char *team, apr_pool_t *p)
{
    return apr_pstrcat(p, account, "/", team, NULL);
}

static apr_status_t refresh(const char **token, const char **error, nxs_db_t *db,
                            nxs_workspace_t *w, const nxs_slack_app_t *app, apr_int64_t now,
                            apr_pool_t *p)
{
    const char *aad = nxs_token_aad(w->account_id, w->team_id, p);
    const char *refresh_token = NULL, *access, *next_refresh, *sealed, *sealed_refresh;
    nxs_slack_auth_t auth = {NULL, app->client_id, app->client_secret};
    apr_table_t *form = apr_table_make(p, 2);
    nxs_slack_result_t res;
    json_int_t expires_in;

    if (nxs_token_open(&refresh_token, app->token_key, w->refresh_sealed, aad, p)) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00043",
                "account %s, team %s: the stored refresh token cannot be decrypted "
                "(NexteSlackTokenKey changed?)",
                w->account_id, w->team_id);
        *error = "undecryptable";
        return APR_EGENERAL;
    }
    apr_table_setn(form, "grant_type", "refresh_token");
    apr_table_setn(form, "refresh_token", refresh_token);
    nxs_slack_call(&res, app->api_base, "oauth.v2.access", &auth, form, NULL, apr_time_from_sec(10),
                   p);
    if (res.error) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00044",
                "account %s, team %s: token refresh refused: %s (HTTP %ld)", w->account_id,
                w->team_id, res.error, res.http_status);
        *error = res.error;
        return APR_EGENERAL;
    }
    access = nxs_json_path_str(res.body, "access_token");
    next_refresh = nxs_json_path_str(res.body, "refresh_token");
    expires_in = json_integer_value(json_object_get(res.body, "expires_in"));
    if (!access || !next_refresh || expires_in <= 0) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00045",
                "account %s, team %s: token refresh answer lacks a token, a refresh token or "
                "a lifetime",
                w->account_id, w->team_id);
        *error = "bad_response";
        return APR_EGENERAL;
    }
    if (nxs_token_seal(&sealed, app->token_key, access, aad, p) ||
        nxs_token_seal(&sealed_refresh, app->token_key, next_refresh, aad, p) ||
        nxs_store_workspace_set_tokens(db, w->account_id, w->team_id, sealed, sealed_refresh,
                                       now + expires_in, p)) {
        /* The refresh token is spent: a reconnect will be needed. */
        NXS_LOG(NXS_LOG_ERR, 0, "NXS00046",
                "account %s, team %s: refreshed token could not be stored", w->account_id,
                w->team_id);
        *error = "store_failed";
        return APR_EGENERAL;
    }
    NXS_LOG(NXS_LOG_INFO, 0, "NXS00047",
            "account %s, team %s: token refreshed, valid for %" APR_INT64_T_FMT " s", w->account_id,
            w->team_id, (apr_int64_t)expires_in);
    w->token_sealed = sealed;
    w->refresh_sealed = sealed_refresh;
    w->token_expires_at = now + expires_in;
    *token = apr_pstrdup(p, access);
    return APR_SUCCESS;
}

/* Another process may have refreshed first and spent the refresh token:
 * then the stored row already holds a fresh token. */
static int reload(nxs_db_t *db, nxs_workspace_t *w, apr_int64_t now, apr_pool_t *p)
{
    apr_array_header_t *all = NULL;
    int i;

    if (nxs_store_workspaces_list(&all, db, w->account_id, p) != APR_SUCCESS) {
        return 0;
    }
    for (i = 0; i < all->nelts; ++i) {
        nxs_workspace_t *cur = APR_ARRAY_IDX(all, i, nxs_workspace_t *);
        if (strcmp(cur->team_id, w->team_id) == 0 && cur->token_sealed &&
            cur->token_expires_at - now > NXS_TOKEN_REFRESH_MARGIN) {
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00048",
                    "account %s, team %s: another process refreshed the token first; using it",
                    w->account_id, w->team_id);
            *w = *cur;
            return 1;
        }
    }
    return 0;
}

apr_status_t nxs_token_get(const char **token, const char **error, nxs_db_t *db, nxs_workspace_t *w,
                           const nxs_slack_app_t *app, apr_int64_t now, apr_pool_t *p)
{
    const char *aad = nxs_token_aad(w->account_id, w->team_id, p);

    *token = NULL;
    *error = NULL;
    if (w->refresh_sealed && w->token_expires_at - now <= NXS_TOKEN_REFRESH_MARGIN) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00049",
                "account %s, team %s: token expires in %" APR_INT64_T_FMT " s: refreshing it",
                w->account_id, w->team_id, w->token_expires_at - now);
        if (refresh(token, error, db, w, app, now, p) == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        if (!reload(db, w, now, p)) {
            return APR_EGENERAL;
        }
        *error = NULL;
    }
    if (!w->token_sealed || nxs_token_open(token, app->token_key, w->token_sealed, aad, p)) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00050", "account %s, team %s: the stored token %s",
                w->account_id, w->team_id,
                w->token_sealed ? "cannot be decrypted (NexteSlackTokenKey changed?)"
                                : "is missing");
        *error = "undecryptable";
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_token_for_team(const char **token, const char **error, nxs_db_t *db,
                                const char *account, const char *team, const nxs_slack_app_t *app,
                                apr_int64_t now, apr_pool_t *p)
{
    apr_array_header_t *all = NULL;
    int i;

    *token = NULL;
    if (nxs_store_workspaces_list(&all, db, account, p) != APR_SUCCESS) {
        *error = "store_unavailable";
        return APR_EGENERAL;
    }
    for (i = 0; i < all->nelts; ++i) {
        nxs_workspace_t *w = APR_ARRAY_IDX(all, i, nxs_workspace_t *);
        if (strcmp(w->team_id, team) == 0) {
            return nxs_token_get(token, error, db, w, app, now, p);
        }
    }
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00051", "account %s has no workspace %s any more", account, team);
    *error = "not_connected";
    return APR_EGENERAL;
}
