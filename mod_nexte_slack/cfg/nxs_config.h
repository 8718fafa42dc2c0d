/* The module's configuration as httpd sees it: the command table, the
 * defaults, and the cross-directive checks run once the config is read.
 * The structs and the field list they are generated from are in
 * cfg/nxs_config_fields.h (per server vs module-wide: see there).
 *
 * Thread safety: a config is built while httpd reads its configuration (one
 * thread) and is read-only afterwards, so request threads share it freely. */
#ifndef NXS_CONFIG_H
#define NXS_CONFIG_H

#include <httpd.h>
#include <http_config.h>

#include "cfg/nxs_config_fields.h"

#define NXS_DEFAULT_API_BASE      "https://slack.com/api"
#define NXS_DEFAULT_AUTHORIZE_URL "https://slack.com/oauth/v2/authorize"
/* Where Slack's response_url links point; nothing else is ever posted to. */
#define NXS_DEFAULT_RESPONSE_URL_BASE "https://hooks.slack.com"
#define NXS_DEFAULT_WORKERS           8
#define NXS_MAX_WORKERS               256
#define NXS_DEFAULT_RETRY_WINDOW      apr_time_from_sec(24 * 3600)
#define NXS_DEFAULT_BACKOFF_MIN       apr_time_from_sec(1)
#define NXS_DEFAULT_BACKOFF_MAX       apr_time_from_sec(600)
#define NXS_DEFAULT_RECONNECT_GRACE   apr_time_from_sec(30 * 24 * 3600)
/* HMAC keys shorter than this are guessable; Slack's own secrets are 32 hex. */
#define NXS_MIN_SECRET_LEN        16
#define NXS_DEFAULT_SETTINGS_PATH "/slack/settings"
#define NXS_DEFAULT_OAUTH_PATH    "/slack/oauth"
/* The settings page's channel lists (core/slack/nxs_channel_cache.h): how
 * long one is reused, and how many channels of a workspace are kept. */
#define NXS_DEFAULT_CHANNEL_CACHE_TTL apr_time_from_sec(60)
#define NXS_MAX_CHANNEL_CACHE_TTL     apr_time_from_sec(3600)
#define NXS_DEFAULT_CHANNEL_CACHE_MAX 20000
#define NXS_MAX_CHANNEL_CACHE_MAX     100000

extern const command_rec nxs_config_cmds[];

/* nxs_config_create_server() and nxs_config_merge_server(), the module's
 * create_server and merge_server hooks, are declared in nxs_config_fields.h.
 */

/* Run for every server (any order): computes the derived fields
 * (`configured`, the HKDF keys; once, the module-wide socket path), fills
 * the defaults of what is unset (once for the module-wide config: the queue
 * under the runtime dir, the workers) and checks rules that span
 * directives.  Returns NULL or a message. */
const char *nxs_config_finish(nxs_server_conf_t *conf, server_rec *s, apr_pool_t *p);

/* True when NexteSlackPublicURL is https: cookies are then marked Secure. */
int nxs_config_https(const nxs_server_conf_t *c);

/* The effective configuration of S (never NULL once the module is loaded). */
nxs_server_conf_t *nxs_config_get(const server_rec *s);

#endif
