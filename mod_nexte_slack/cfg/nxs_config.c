/* Directive table, defaults, and the checks that make `apachectl
 * configtest` refuse every bad value with a message naming the directive,
 * the value and what is expected, and warn about risky good ones (secret
 * files others can read, secrets sent over plain http).  Creation and
 * merging are generated from the field list (cfg/nxs_config_merge.c). */
#include "nxs_config.h"

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_log.h>

#include "security/nxs_crypto.h"
#include "nxs_directives.h"
#include "nxs_duration.h"
#include "queue/nxs_queue_spec.h"
#include "nxs_url.h"

APLOG_USE_MODULE(nexte_slack);

extern module AP_MODULE_DECLARE_DATA nexte_slack_module;

#define EXPECT_DURATION "a duration with a unit (ms, s, m, h or d), e.g. 30s or 24h"

nxs_server_conf_t *nxs_config_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &nexte_slack_module);
}

int nxs_config_https(const nxs_server_conf_t *c)
{
    return c->public_url && strncmp(c->public_url, "https:", 6) == 0;
}

/* The config a directive writes: its server's (module-wide settings go to
 * its `mod`, which every server config shares). */
static nxs_server_conf_t *conf_of(cmd_parms *cmd)
{
    return nxs_config_get(cmd->server);
}

static const char *bad_value(cmd_parms *cmd, const char *value, const char *expected)
{
    return apr_psprintf(cmd->pool, "%s: invalid value '%s'; expected %s", cmd->cmd->name, value,
                        expected);
}

static const char *main_server_only(cmd_parms *cmd)
{
    if (cmd->server->is_virtual) {
        return apr_psprintf(cmd->pool,
                            "%s: only allowed in the main server configuration, not inside "
                            "<VirtualHost> (one delivery queue serves the whole server)",
                            cmd->cmd->name);
    }
    return NULL;
}

static const char *set_client_id(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *c;
    int dots = 0;

    /* Slack client IDs are two decimal numbers joined by a dot. */
    for (c = arg; *c; ++c) {
        if (*c == '.') {
            ++dots;
        } else if (!apr_isdigit(*c)) {
            break;
        }
    }
    if (*c || dots != 1 || arg[0] == '.' || c[-1] == '.') {
        return bad_value(cmd, arg, "a Slack client ID such as 1234567890.1234567890");
    }
    conf_of(cmd)->client_id = arg;
    return NULL;
}

/* Loads a secret; an inline secret's value is never echoed in messages. */
static const char *load_secret(cmd_parms *cmd, nxs_secret_t *out, const char *arg)
{
    const char *why = NULL;
    const char *shown = strncmp(arg, "file:", 5) == 0 ? arg : "(inline secret, not shown)";

    if (nxs_secret_load(out, &why, arg, NXS_MIN_SECRET_LEN, cmd->pool) != APR_SUCCESS) {
        return bad_value(cmd, shown, why);
    }
    if (out->world_readable) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s: %s is readable by every user; restrict it (chmod 0400, owned by root)",
                     cmd->cmd->name, out->path);
    }
    return NULL;
}

static const char *set_client_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    return load_secret(cmd, &conf_of(cmd)->client_secret, arg);
}

static const char *set_signing_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    return load_secret(cmd, &conf_of(cmd)->signing_secret, arg);
}

static const char *set_event_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    return load_secret(cmd, &conf_of(cmd)->event_secret, arg);
}

static const char *set_token_key_file(cmd_parms *cmd, void *dc, const char *arg)
{
    nxs_server_conf_t *c = conf_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *why = NULL;
    int world_readable = 0;

    if (!path || nxs_keyfile_load(c->token_key, &world_readable, &why, path, cmd->pool)) {
        return bad_value(cmd, arg, why ? why : "a valid path");
    }
    if (world_readable) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s: %s is readable by every user; restrict it (chmod 0400, owned by root)",
                     cmd->cmd->name, path);
    }
    c->token_key_path = path;
    c->token_key_set = 1;
    return NULL;
}

static const char *set_url(cmd_parms *cmd, const char **field, const char *arg)
{
    const char *why = NULL;

    if (nxs_url_check_base(field, &why, arg, cmd->pool) != APR_SUCCESS) {
        return bad_value(cmd, arg, why);
    }
    return NULL;
}

static const char *set_public_url(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_url(cmd, &conf_of(cmd)->public_url, arg);
}

static const char *set_app_url(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_url(cmd, &conf_of(cmd)->app_url, arg);
}

/* A URL that carries secrets: set like any other, with a warning when it
 * is plain http to a host other than this one (loopback: tests and a local
 * mock use it), naming what would travel in clear. */
static const char *set_secret_carrying_url(cmd_parms *cmd, const char **field, const char *arg,
                                           const char *carried)
{
    const char *err = set_url(cmd, field, arg);

    if (!err && strncasecmp(*field, "http:", 5) == 0 && !nxs_url_is_loopback(*field, cmd->pool)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "NXS00170: %s: %s is plain http to a host that is not loopback: %s would "
                     "travel in clear; use https://",
                     cmd->cmd->name, arg, carried);
    }
    return err;
}

static const char *set_api_base(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_secret_carrying_url(cmd, &conf_of(cmd)->api_base, arg,
                                   "Slack's bot tokens and the app's client secret");
}

static const char *set_authorize_url(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_secret_carrying_url(cmd, &conf_of(cmd)->authorize_url, arg,
                                   "the install's signed OAuth state");
}

static const char *set_callback_url(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_secret_carrying_url(cmd, &conf_of(cmd)->callback_url, arg,
                                   "the reports to Nexte core and their signatures");
}

static const char *set_response_url_base(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_url(cmd, &conf_of(cmd)->response_url_base, arg);
}

/* A location's URL path: absolute, no host, query, fragment or blank. */
static const char *set_location_path(cmd_parms *cmd, const char **slot, const char *arg,
                                     const char *example)
{
    if (arg[0] != '/' || arg[1] == '/' || strpbrk(arg, "?#\\ \t")) {
        return bad_value(cmd, arg,
                         apr_pstrcat(cmd->pool, "a URL path such as ", example,
                                     " (no host, query or fragment)", NULL));
    }
    *slot = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_settings_path(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_location_path(cmd, &conf_of(cmd)->settings_path, arg, "/slack/settings");
}

static const char *set_oauth_path(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_location_path(cmd, &conf_of(cmd)->oauth_path, arg, "/slack/oauth");
}

static const char *set_queue(cmd_parms *cmd, void *dc, const char *type, const char *path)
{
    nxs_mod_conf_t *c = conf_of(cmd)->mod;
    const char *why = NULL, *err = main_server_only(cmd);

    if (err) {
        return err;
    }
    if (nxs_queue_type_check(&c->queue_type, &why, type, cmd->pool) != APR_SUCCESS) {
        return bad_value(cmd, type, why);
    }
    c->queue_path = ap_runtime_dir_relative(cmd->pool, path);
    if (!c->queue_path || !*path || path[strlen(path) - 1] == '/') {
        return bad_value(cmd, path, "a file path (relative paths are under the runtime dir)");
    }
    return NULL;
}

static const char *set_workers(cmd_parms *cmd, void *dc, const char *arg)
{
    nxs_mod_conf_t *c = conf_of(cmd)->mod;
    const char *err = main_server_only(cmd);
    char *end = NULL;
    apr_int64_t n;

    if (err) {
        return err;
    }
    n = apr_strtoi64(arg, &end, 10);
    if (!*arg || *end || n < 1 || n > NXS_MAX_WORKERS) {
        return bad_value(cmd, arg,
                         apr_psprintf(cmd->pool, "a whole number from 1 to %d", NXS_MAX_WORKERS));
    }
    c->workers = (int)n;
    return NULL;
}

static const char *set_duration(cmd_parms *cmd, apr_interval_time_t *field, const char *arg)
{
    if (nxs_duration_parse(field, arg) != APR_SUCCESS) {
        return bad_value(cmd, arg, EXPECT_DURATION " (at most 365d)");
    }
    return NULL;
}

static const char *set_retry_window(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_duration(cmd, &conf_of(cmd)->retry_window, arg);
}

static const char *set_reconnect_grace(cmd_parms *cmd, void *dc, const char *arg)
{
    return set_duration(cmd, &conf_of(cmd)->reconnect_grace, arg);
}

static const char *set_retry_backoff(cmd_parms *cmd, void *dc, const char *min, const char *max)
{
    nxs_server_conf_t *c = conf_of(cmd);
    const char *err;

    if ((err = set_duration(cmd, &c->backoff_min, min)) ||
        (err = set_duration(cmd, &c->backoff_max, max))) {
        return err;
    }
    if (c->backoff_min > c->backoff_max) {
        return apr_psprintf(cmd->pool,
                            "%s: invalid value '%s %s'; expected MIN MAX with MIN <= MAX",
                            cmd->cmd->name, min, max);
    }
    return NULL;
}

/* NexteSlackChannelCache TTL [MAX]: a list older than an hour would hide
 * new channels for too long; the cap bounds each list's memory. */
static const char *set_channel_cache(cmd_parms *cmd, void *dc, const char *ttl, const char *max)
{
    nxs_server_conf_t *c = conf_of(cmd);
    apr_interval_time_t t = 0;
    char *end = NULL;
    apr_int64_t n;

    if (nxs_duration_parse(&t, ttl) != APR_SUCCESS || t < apr_time_from_sec(1) ||
        t > NXS_MAX_CHANNEL_CACHE_TTL) {
        return bad_value(cmd, ttl, "a duration from 1s to 1h, e.g. 60s");
    }
    c->channel_cache_ttl = t;
    if (!max) {
        return NULL;
    }
    n = apr_strtoi64(max, &end, 10);
    if (!*max || *end || n < 1 || n > NXS_MAX_CHANNEL_CACHE_MAX) {
        return bad_value(cmd, max,
                         apr_psprintf(cmd->pool, "a whole number of channels from 1 to %d",
                                      NXS_MAX_CHANNEL_CACHE_MAX));
    }
    c->channel_cache_max = (int)n;
    return NULL;
}

const command_rec nxs_config_cmds[] = {
    AP_INIT_TAKE1(NXS_D_CLIENT_ID, set_client_id, NULL, RSRC_CONF,
                  "The Slack app's OAuth client ID"),
    AP_INIT_TAKE1(NXS_D_CLIENT_SECRET, set_client_secret, NULL, RSRC_CONF,
                  "The Slack app's OAuth client secret, or file:/path"),
    AP_INIT_TAKE1(NXS_D_SIGNING_SECRET, set_signing_secret, NULL, RSRC_CONF,
                  "Slack signing secret for interaction requests, or file:/path"),
    AP_INIT_TAKE1(NXS_D_EVENT_SECRET, set_event_secret, NULL, RSRC_CONF,
                  "HMAC key shared with Nexte core, or file:/path"),
    AP_INIT_TAKE1(NXS_D_TOKEN_KEY_FILE, set_token_key_file, NULL, RSRC_CONF,
                  "File of 32 random bytes that encrypts Slack tokens at rest"),
    AP_INIT_TAKE1(NXS_D_PUBLIC_URL, set_public_url, NULL, RSRC_CONF,
                  "This server's public base URL (builds the OAuth redirect_uri)"),
    AP_INIT_TAKE1(NXS_D_APP_URL, set_app_url, NULL, RSRC_CONF,
                  "Nexte web app base URL, for record links"),
    AP_INIT_TAKE1(NXS_D_API_BASE, set_api_base, NULL, RSRC_CONF, "Slack Web API base URL"),
    AP_INIT_TAKE1(NXS_D_AUTHORIZE_URL, set_authorize_url, NULL, RSRC_CONF,
                  "Slack OAuth authorize page URL"),
    AP_INIT_TAKE2(NXS_D_QUEUE, set_queue, NULL, RSRC_CONF,
                  "TYPE PATH of the apr_dbm file that persists the delivery queue"),
    AP_INIT_TAKE1(NXS_D_WORKERS, set_workers, NULL, RSRC_CONF,
                  "Delivery threads in the thread pool (1-256)"),
    AP_INIT_TAKE1(NXS_D_RETRY_WINDOW, set_retry_window, NULL, RSRC_CONF,
                  "How long an undelivered message keeps being retried"),
    AP_INIT_TAKE2(NXS_D_RETRY_BACKOFF, set_retry_backoff, NULL, RSRC_CONF,
                  "MIN MAX backoff between delivery attempts"),
    AP_INIT_TAKE1(NXS_D_RECONNECT_GRACE, set_reconnect_grace, NULL, RSRC_CONF,
                  "How long a disconnected account's settings are kept"),
    AP_INIT_TAKE1(NXS_D_CALLBACK_URL, set_callback_url, NULL, RSRC_CONF,
                  "Nexte core URL told about clicks and broken connections"),
    AP_INIT_TAKE1(NXS_D_SETTINGS_PATH, set_settings_path, NULL, RSRC_CONF,
                  "URL path of the nexte-slack-settings location (redirect target)"),
    AP_INIT_TAKE1(NXS_D_RESPONSE_URL_BASE, set_response_url_base, NULL, RSRC_CONF,
                  "The only URL base a click's response_url may have (Slack's hooks host)"),
    AP_INIT_TAKE1(NXS_D_OAUTH_PATH, set_oauth_path, NULL, RSRC_CONF,
                  "URL path of the nexte-slack-oauth location (the settings page's Add to Slack)"),
    AP_INIT_TAKE12(NXS_D_CHANNEL_CACHE, set_channel_cache, NULL, RSRC_CONF,
                   "TTL [MAX]: how long a workspace's channel list is reused, and how many of its "
                   "channels are kept"),
    {NULL},
};

static const char *missing(apr_pool_t *p, server_rec *s, const char *directive, const char *why)
{
    if (s->is_virtual) {
        return apr_psprintf(p, "%s is required %s (virtual host %s defined at %s:%u)", directive,
                            why, s->server_hostname ? s->server_hostname : "?",
                            s->defn_name ? s->defn_name : "?", s->defn_line_number);
    }
    return apr_psprintf(p, "%s is required %s (main server configuration)", directive, why);
}

/* The queue file is created by the delivery side; its directory must exist
 * now so that a typo fails the config test instead of the first event. */
static const char *check_queue_dir(const nxs_mod_conf_t *c, apr_pool_t *p)
{
    char *dir = apr_pstrdup(p, c->queue_path);
    char *slash = strrchr(dir, '/');
    apr_finfo_t fi;

    if (slash && slash != dir) {
        *slash = '\0';
    }
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_DIR) {
        return apr_psprintf(p,
                            "%s: invalid value '%s %s'; expected a path in an existing "
                            "directory (%s does not exist)",
                            NXS_D_QUEUE, c->queue_type, c->queue_path, dir);
    }
    return NULL;
}

/* Once per configuration read: what nothing set gets its default, and the
 * socket path follows the queue path. */
static void finish_mod(nxs_mod_conf_t *mc, apr_pool_t *p)
{
    if (mc->finished) {
        return;
    }
    mc->configured = nxs_config_mod_any_set(mc);
    if (!mc->queue_type) {
        mc->queue_type = NXS_QUEUE_DEFAULT_TYPE;
        mc->queue_path = ap_runtime_dir_relative(p, NXS_QUEUE_DEFAULT_FILE);
    }
    mc->socket_path = apr_pstrcat(p, mc->queue_path, ".sock", NULL);
    if (mc->workers == NXS_UNSET_INT) {
        mc->workers = NXS_DEFAULT_WORKERS;
    }
    mc->finished = 1;
}

/* The main server's checks of the module-wide settings. */
static const char *check_mod(const nxs_mod_conf_t *mc, apr_pool_t *p)
{
    const char *err = check_queue_dir(mc, p);

    if (err) {
        return err;
    }
    /* sun_path holds 108 bytes on Linux, the daemon's socket included. */
    if (strlen(mc->socket_path) > 100) {
        return apr_psprintf(p,
                            "%s: the path %s is too long; expected at most 95 "
                            "characters (its socket %s must fit a Unix socket address)",
                            NXS_D_QUEUE, mc->queue_path, mc->socket_path);
    }
    return NULL;
}

const char *nxs_config_finish(nxs_server_conf_t *c, server_rec *s, apr_pool_t *p)
{
    apr_interval_time_t window;
    int oauth;

    finish_mod(c->mod, p);
    /* Before the defaults below, which would count as set. */
    c->configured = nxs_config_any_set(c) || c->mod->configured;
    if (!c->response_url_base) {
        c->response_url_base = NXS_DEFAULT_RESPONSE_URL_BASE;
    }
    if (!c->api_base) {
        c->api_base = NXS_DEFAULT_API_BASE;
    }
    if (!c->authorize_url) {
        c->authorize_url = NXS_DEFAULT_AUTHORIZE_URL;
    }
    if (c->retry_window == NXS_UNSET_TIME) {
        c->retry_window = NXS_DEFAULT_RETRY_WINDOW;
    }
    if (c->backoff_min == NXS_UNSET_TIME) {
        c->backoff_min = NXS_DEFAULT_BACKOFF_MIN;
        c->backoff_max = NXS_DEFAULT_BACKOFF_MAX;
    }
    if (c->reconnect_grace == NXS_UNSET_TIME) {
        c->reconnect_grace = NXS_DEFAULT_RECONNECT_GRACE;
    }
    if (!c->settings_path) {
        c->settings_path = NXS_DEFAULT_SETTINGS_PATH;
    }
    if (!c->oauth_path) {
        c->oauth_path = NXS_DEFAULT_OAUTH_PATH;
    }
    if (c->channel_cache_ttl == NXS_UNSET_TIME) {
        c->channel_cache_ttl = NXS_DEFAULT_CHANNEL_CACHE_TTL;
    }
    if (c->channel_cache_max == NXS_UNSET_INT) {
        c->channel_cache_max = NXS_DEFAULT_CHANNEL_CACHE_MAX;
    }
    if (c->event_secret.value &&
        (nxs_derive_key(c->session_key, c->event_secret.value, c->event_secret.len, "session") ||
         nxs_derive_key(c->csrf_key, c->event_secret.value, c->event_secret.len, "csrf") ||
         nxs_derive_key(c->state_key, c->event_secret.value, c->event_secret.len, "oauth-state"))) {
        return "deriving keys from " NXS_D_EVENT_SECRET " failed (OpenSSL HKDF)";
    }
    if (!c->configured) {
        return NULL;
    }
    if (!c->event_secret.value) {
        return missing(p, s, NXS_D_EVENT_SECRET, "to authenticate Nexte core");
    }
    if (!c->token_key_set) {
        return missing(p, s, NXS_D_TOKEN_KEY_FILE, "to encrypt Slack tokens at rest");
    }
    if (!c->app_url) {
        return missing(p, s, NXS_D_APP_URL, "to link messages to Nexte records");
    }
    if (!s->is_virtual) {
        const char *err = check_mod(c->mod, p);
        if (err) {
            return err;
        }
    }
    oauth = c->client_id || c->client_secret.value || c->public_url;
    if (oauth && !c->client_id) {
        return missing(p, s, NXS_D_CLIENT_ID, "for the Slack OAuth install");
    }
    if (oauth && !c->client_secret.value) {
        return missing(p, s, NXS_D_CLIENT_SECRET, "for the Slack OAuth install");
    }
    if (oauth && !c->public_url) {
        return missing(p, s, NXS_D_PUBLIC_URL, "to build the OAuth redirect_uri");
    }
    window = c->retry_window;
    if (c->backoff_max > window) {
        char a[32], b[32];
        return apr_psprintf(p,
                            "%s: the maximum backoff %s exceeds %s %s; expected MAX <= the "
                            "retry window",
                            NXS_D_RETRY_BACKOFF, nxs_duration_format(c->backoff_max, a, sizeof(a)),
                            NXS_D_RETRY_WINDOW, nxs_duration_format(window, b, sizeof(b)));
    }
    return NULL;
}
