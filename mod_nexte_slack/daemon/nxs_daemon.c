/* Parent side of the delivery daemon: fork it once the configuration is
 * read, let the configuration pool stop it (SIGTERM, then SIGKILL after 3 s)
 * on restart and shutdown, and fork it again if it dies. */
#include "daemon/nxs_daemon.h"

#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <ap_mpm.h>
#include <unistd.h>

#include "cfg/nxs_config.h"

APLOG_USE_MODULE(nexte_slack);

typedef struct daemon_t {
    apr_proc_t proc;
    apr_pool_t *pconf;
    server_rec *s;
    apr_time_t started;
    int restarts;
} daemon_t;

static apr_status_t fork_daemon(daemon_t *d);

/* Restarts a daemon that died, with a pause when it dies young so that a
 * daemon failing at start (say, an unwritable queue) does not spin. */
static void maintenance(int reason, void *data, int status)
{
    daemon_t *d = data;

    int mpm_state = AP_MPMQ_RUNNING;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(d);
        /* A whole-process-group SIGTERM reaches the daemon before httpd's
         * own shutdown gets to it: no restart while httpd is stopping. */
        if (ap_mpm_query(AP_MPMQ_MPM_STATE, &mpm_state) == APR_SUCCESS &&
            mpm_state == AP_MPMQ_STOPPING) {
            break;
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, d->s,
                     "delivery daemon (pid %d) exited (status %d); restarting it", d->proc.pid,
                     status);
        if (apr_time_now() - d->started < apr_time_from_sec(5)) {
            apr_sleep(apr_time_from_sec(1));
        }
        ++d->restarts;
        fork_daemon(d);
        break;
    case APR_OC_REASON_RESTART:
    case APR_OC_REASON_UNREGISTER:
    default:
        break;
    }
}

static apr_status_t fork_daemon(daemon_t *d)
{
    apr_status_t rv = apr_proc_fork(&d->proc, d->pconf);

    if (rv == APR_INCHILD) {
        apr_pool_t *p = NULL;
        apr_pool_create(&p, d->pconf);
        apr_pool_tag(p, "nexte_slack_daemon");
        nxs_daemon_run(p, d->s);
        /* not reached */
    }
    if (rv != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, d->s, "cannot fork the delivery daemon");
        return rv;
    }
    d->started = apr_time_now();
    /* Stopped with the configuration: SIGTERM, then SIGKILL after 3 s. */
    apr_pool_note_subprocess(d->pconf, &d->proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(&d->proc, maintenance, d, NULL, d->pconf);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, d->s, "delivery daemon started (pid %d)", d->proc.pid);
    return APR_SUCCESS;
}

static int module_in_use(server_rec *s)
{
    for (; s; s = s->next) {
        if (nxs_config_get(s)->configured) {
            return 1;
        }
    }
    return 0;
}

int nxs_daemon_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    daemon_t *d;

    /* httpd reads its configuration twice at startup; the first pass only
     * checks it.  Start the daemon for the real one. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG ||
        !module_in_use(main_server)) {
        return OK;
    }
    d = apr_pcalloc(pconf, sizeof(*d));
    d->pconf = pconf;
    d->s = main_server;
    return fork_daemon(d) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}
