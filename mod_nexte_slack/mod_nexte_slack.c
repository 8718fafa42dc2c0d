/* mod_nexte_slack: the module record and its hooks.  Everything here is
 * glue: configuration lives in cfg/, one handler per file in handle/, and the
 * httpd-free logic in core/. */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>

#include <curl/curl.h>
#include <string.h>

#include "cfg/nxs_config.h"
#include "cfg/nxs_directives.h"
#include "handle/nxs_handlers.h"
#include "handle/nxs_settings_api.h"
#include "daemon/nxs_daemon.h"
#include "handle/nxs_reply.h"
#include "nxs_log.h"
#include "nxs_dbd.h"
#include "nxs_log_httpd.h"

typedef int (*nxs_handler_fn)(request_rec *r);

static const struct {
    const char *name;
    nxs_handler_fn fn;
} HANDLERS[] = {
    {NXS_H_STATUS, nxs_handle_status},     {NXS_H_EVENTS, nxs_handle_events},
    {NXS_H_OAUTH, nxs_handle_oauth},       {NXS_H_INTERACTIONS, nxs_handle_interactions},
    {NXS_H_SETTINGS, nxs_handle_settings},
};

static int nxs_handler(request_rec *r)
{
    size_t i;

    if (!r->handler) {
        return DECLINED;
    }
    for (i = 0; i < sizeof(HANDLERS) / sizeof(HANDLERS[0]); ++i) {
        if (strcmp(r->handler, HANDLERS[i].name) != 0) {
            continue;
        }
        /* Every handler but status checks sessions, CSRF tokens, OAuth
         * states or Nexte's signatures with keys derived from
         * NexteSlackEventSecret.  In a server where no secret applies they
         * would be zero bytes, and a forged cookie would pass: refuse. */
        if (HANDLERS[i].fn != nxs_handle_status && !nxs_config_get(r->server)->event_secret.value) {
            NXS_LOG(NXS_LOG_ERR, 0, "NXS00153",
                    "%s at %s: no NexteSlackEventSecret applies to this server (%s); answered 500",
                    r->handler, r->uri,
                    r->server->server_hostname ? r->server->server_hostname : "?");
            return nxs_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "not_configured",
                                   "this server has no NexteSlackEventSecret");
        }
        return HANDLERS[i].fn(r);
    }
    return DECLINED;
}

/* Runs after every virtual host has been merged and before `apachectl -t`
 * prints "Syntax OK", so rules spanning directives fail the config test. */
static int nxs_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *main_server)
{
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        const char *err = nxs_config_finish(nxs_config_get(s), s, pconf);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL, "mod_nexte_slack: %s",
                         err);
            return !OK;
        }
    }
    return OK;
}

static apr_status_t nxs_curl_cleanup(void *unused)
{
    curl_global_cleanup();
    return APR_SUCCESS;
}

/* libcurl's global state must be set up while httpd is still one thread. */
static int nxs_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (cc != CURLE_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_nexte_slack: curl_global_init: %s",
                     curl_easy_strerror(cc));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, nxs_curl_cleanup, apr_pool_cleanup_null);
    /* Before the daemon's fork and the children's: they inherit the sink. */
    nxs_log_httpd_init(s, pconf);
    return nxs_daemon_post_config(pconf, s);
}

static void nxs_child_init(apr_pool_t *pchild, server_rec *s)
{
    nxs_dbd_child_init(pchild, s);
    nxs_settings_api_child_init(pchild, s);
}

static void nxs_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(nxs_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(nxs_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_dbd's, whose state the delivery daemon inherits. */
    static const char *const after_dbd[] = {"mod_dbd.c", NULL};
    ap_hook_post_config(nxs_post_config, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(nxs_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(nexte_slack) = {
    STANDARD20_MODULE_STUFF,
    NULL, /* per-directory config: none, every setting is per server */
    NULL,
    nxs_config_create_server,
    nxs_config_merge_server,
    nxs_config_cmds,
    nxs_register_hooks,
    AP_MODULE_FLAG_NONE,
};
