/* Bot tokens in use: opened from their sealed form, and refreshed when the
 * install uses token rotation and the token has 2 hours or less to live. */
#ifndef NXS_TOKEN_H
#define NXS_TOKEN_H

#include "store/nxs_store.h"

/* Refresh when this many seconds or fewer remain (Slack's tokens live 12 h). */
#define NXS_TOKEN_REFRESH_MARGIN 7200

typedef struct nxs_slack_app_t {
    const char *api_base;
    const char *client_id;
    const char *client_secret;
    const unsigned char *token_key; /* 32 bytes */
} nxs_slack_app_t;

/* The row-binding of a sealed token (AES-GCM additional data). */
const char *nxs_token_aad(const char *account, const char *team, apr_pool_t *p);

/* The usable bot token of W, refreshing it first when needed (the new
 * tokens are stored).  *error is a Slack or transport code on failure
 * (e.g. invalid_refresh_token, unreachable) or "undecryptable". */
apr_status_t nxs_token_get(const char **token, const char **error, nxs_db_t *db, nxs_workspace_t *w,
                           const nxs_slack_app_t *app, apr_int64_t now, apr_pool_t *p);

/* The usable bot token of ACCOUNT's workspace TEAM, as nxs_token_get.  Also
 * *error "store_unavailable" (the workspaces could not be read) or
 * "not_connected" (the account has no such workspace any more). */
apr_status_t nxs_token_for_team(const char **token, const char **error, nxs_db_t *db,
                                const char *account, const char *team, const nxs_slack_app_t *app,
                                apr_int64_t now, apr_pool_t *p);

#endif
