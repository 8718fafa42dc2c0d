/* The module's per-server configuration: what every directive sets, its
 * defaults, and the cross-directive checks run once the config is read.
 *
 * Thread safety: a config is built while httpd reads its configuration (one
 * thread) and is read-only afterwards, so request threads share it freely. */
#ifndef NXS_CONFIG_H
#define NXS_CONFIG_H

#include <httpd.h>
#include <http_config.h>

#include "security/nxs_secret.h"

#define NXS_DEFAULT_API_BASE        "https://slack.com/api"
#define NXS_DEFAULT_AUTHORIZE_URL   "https://slack.com/oauth/v2/authorize"
#define NXS_DEFAULT_WORKERS         8
#define NXS_MAX_WORKERS             256
#define NXS_DEFAULT_RETRY_WINDOW    apr_time_from_sec(24 * 3600)
#define NXS_DEFAULT_BACKOFF_MIN     apr_time_from_sec(1)
#define NXS_DEFAULT_BACKOFF_MAX     apr_time_from_sec(600)
#define NXS_DEFAULT_RECONNECT_GRACE apr_time_from_sec(30 * 24 * 3600)
/* HMAC keys shorter than this are guessable; Slack's own secrets are 32 hex. */
#define NXS_MIN_SECRET_LEN        16
#define NXS_DEFAULT_SETTINGS_PATH "/slack/settings"

typedef struct nxs_server_conf_t {
    const char *client_id;
    nxs_secret_t client_secret;
    nxs_secret_t signing_secret;
    nxs_secret_t event_secret;
    const char *token_key_path;
    unsigned char token_key[NXS_TOKEN_KEY_LEN];
    int token_key_set;
    const char *public_url;
    const char *app_url;
    const char *api_base;
    const char *authorize_url;
    const char *queue_type;
    const char *queue_path;
    const char *socket_path; /* the delivery daemon's Unix socket: queue path + ".sock" */
    int workers;
    apr_interval_time_t retry_window;
    apr_interval_time_t backoff_min;
    apr_interval_time_t backoff_max;
    apr_interval_time_t reconnect_grace;
    const char *callback_url;
    const char *settings_path;
    /* Keys derived from the event secret (HKDF), one per purpose, so that a
     * session cookie can never be replayed as a CSRF token or an OAuth state. */
    unsigned char session_key[32];
    unsigned char csrf_key[32];
    unsigned char state_key[32];
    /* Set when any NexteSlack* directive appears in this server's scope, so
     * that the required-directive check only applies where the module is
     * actually configured. */
    int configured;
} nxs_server_conf_t;

extern const command_rec nxs_config_cmds[];

void *nxs_config_create_server(apr_pool_t *p, server_rec *s);
void *nxs_config_merge_server(apr_pool_t *p, void *basev, void *addv);

/* Fills defaults that depend on the server (queue path under the runtime
 * dir) and checks rules that span directives.  Returns NULL or a message. */
const char *nxs_config_finish(nxs_server_conf_t *conf, server_rec *s, apr_pool_t *p);

/* True when NexteSlackPublicURL is https: cookies are then marked Secure. */
int nxs_config_https(const nxs_server_conf_t *c);

/* The effective configuration of S (never NULL once the module is loaded). */
nxs_server_conf_t *nxs_config_get(const server_rec *s);

#endif
