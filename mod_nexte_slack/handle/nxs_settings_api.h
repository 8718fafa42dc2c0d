/* The settings JSON API routes, for an authenticated caller, and the page
 * that uses them (handle/nxs_settings_page.c).  ROUTE is the path below
 * <settings>/api ("/config", ...). */
#ifndef NXS_SETTINGS_API_H
#define NXS_SETTINGS_API_H

#include <httpd.h>

#include "cfg/nxs_config.h"
#include "handle/nxs_caller.h"

int nxs_settings_api(request_rec *r, const nxs_server_conf_t *c, const nxs_caller_t *caller,
                     const char *route, const char *body, apr_size_t len);

/* child_init: makes this process's cache of channel lists (GET
 * api/channels; core/slack/nxs_channel_cache.h), shared by its threads. */
void nxs_settings_api_child_init(apr_pool_t *pchild, server_rec *s);

/* GET <settings>/: the settings page for the browser's session (an HTML
 * page saying how to open it when there is none). */
int nxs_settings_page(request_rec *r, const nxs_server_conf_t *c);

#endif
