/* Points the core's logging (core/nxs_log.h) at httpd's error log, under
 * this module's name, so that `LogLevel nexte_slack:trace2` decides what the
 * core shows. */
#ifndef NXS_LOG_HTTPD_H
#define NXS_LOG_HTTPD_H

#include <httpd.h>

/* Sends the core's messages to S's error log (the main server's), filtered
 * by the module's log level there.  Call while the process has one thread:
 * in post_config (the parent, and the children it forks later inherit it)
 * and in the delivery daemon right after its fork.  The sink is removed when
 * POOL (pconf) is cleared, since S lives in it: a restart sets it again. */
void nxs_log_httpd_init(server_rec *s, apr_pool_t *pool);

#endif
