/* The core's log sink in httpd: the core's levels are httpd's, the check
 * is the module's LogLevel on the main server, and each message goes to
 * ap_log_error with the module's index (see nxs_log_httpd.h). */
#include "nxs_log_httpd.h"

#include <http_config.h>
#include <http_log.h>

#include "nxs_log.h"

APLOG_USE_MODULE(nexte_slack);

/* The numbers are passed through unchanged. */
_Static_assert(NXS_LOG_EMERG == APLOG_EMERG && NXS_LOG_WARNING == APLOG_WARNING &&
                   NXS_LOG_DEBUG == APLOG_DEBUG && NXS_LOG_TRACE1 == APLOG_TRACE1 &&
                   NXS_LOG_TRACE8 == APLOG_TRACE8,
               "nxs_log levels mirror APLOG_*");

static int httpd_is_level(void *baton, nxs_log_level_e level)
{
    const server_rec *s = baton;

    return APLOG_MODULE_IS_LEVEL(s, APLOG_MODULE_INDEX, (int)level);
}

static void httpd_print(void *baton, const char *file, int line, nxs_log_level_e level,
                        apr_status_t rv, const char *tag, const char *msg)
{
    ap_log_error(file, line, APLOG_MODULE_INDEX, (int)level, rv, (server_rec *)baton, "%s", msg);
}

static apr_status_t sink_off(void *unused)
{
    nxs_log_set(NULL, NULL, NULL);
    return APR_SUCCESS;
}

void nxs_log_httpd_init(server_rec *s, apr_pool_t *pool)
{
    nxs_log_set(httpd_is_level, httpd_print, s);
    apr_pool_cleanup_register(pool, NULL, sink_off, apr_pool_cleanup_null);
}
