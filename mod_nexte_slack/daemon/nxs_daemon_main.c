/* The delivery daemon process: set-up (signals, privileges, mod_dbd, the
 * queue replayed into the scheduler, the socket, the threads: dispatcher,
 * workers, recorder, chores), the accept loop, and an orderly stop on
 * SIGTERM. */
#include "daemon/nxs_daemon.h"

#include <apr_signal.h>
#include <apr_support.h>
#include <apr_strings.h>
#include <curl/curl.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_listen.h>
#include <mod_unixd.h>
#include <unixd.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/nxs_daemon_int.h"
#include "nxs_dbd.h"
#include "nxs_log_httpd.h"

APLOG_USE_MODULE(nexte_slack);

nxs_daemon_t *nxs_daemon;

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
    stop_requested = 1;
}

/* mod_dbd sets its connection pool up in child_init, which this process
 * does not get from httpd: run mod_dbd's own hook here. */
static void init_mod_dbd(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *hooks = ap_hook_get_child_init();
    ap_LINK_child_init_t *h;
    int i;

    if (!hooks) {
        return;
    }
    h = (ap_LINK_child_init_t *)hooks->elts;
    for (i = 0; i < hooks->nelts; ++i) {
        if (h[i].szName && strcmp(h[i].szName, "mod_dbd.c") == 0) {
            h[i].pFunc(p, s);
        }
    }
    nxs_dbd_child_init(p, s);
}

/* The queue's directory: made (and given to the httpd User) when it is the
 * default one under the runtime dir and does not exist yet. */
static void prepare_queue_dir(const nxs_mod_conf_t *c, apr_pool_t *p)
{
    char *dir = apr_pstrdup(p, c->queue_path), *slash = strrchr(dir, '/');

    if (!slash || slash == dir) {
        return;
    }
    *slash = '\0';
    if (mkdir(dir, 0750) == 0 && geteuid() == 0) {
        if (chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
            /* reported when the queue fails to open */
        }
    }
}

static apr_status_t listen_socket(apr_socket_t **ls, const char *path, apr_pool_t *p)
{
    apr_sockaddr_t *sa = NULL;
    apr_status_t rv;

    unlink(path);
    if ((rv = apr_sockaddr_info_get(&sa, path, APR_UNIX, 0, 0, p)) ||
        (rv = apr_socket_create(ls, APR_UNIX, SOCK_STREAM, 0, p)) ||
        (rv = apr_socket_bind(*ls, sa)) || (rv = apr_socket_listen(*ls, 1024))) {
        return rv;
    }
    /* Only the httpd User (which this process now is) may talk to it. */
    chmod(path, 0600);
    apr_socket_timeout_set(*ls, apr_time_from_msec(500));
    return APR_SUCCESS;
}

typedef struct replay_t {
    nxs_daemon_t *d;
    apr_size_t n;    /* messages, to the scheduler */
    apr_size_t work; /* events' scheduled work, to the intake */
} replay_t;

static apr_status_t replay_one(void *baton, const nxs_queue_record_t *rec)
{
    replay_t *r = baton;
    nxs_sched_item_t item = {rec->seq,     rec->account,     rec->team,
                             rec->channel, rec->accepted_at, rec->attempts};
    if (nxs_daemon_is_work(rec)) {
        ++r->work;
        nxs_daemon_intake_add(r->d, rec->seq);
        return APR_SUCCESS;
    }
    ++r->n;
    return nxs_sched_add(r->d->sched, &item);
}

/* Tells the operator what recovery found; damage is reported, not fatal. */
static void log_report(const nxs_queue_report_t *r, server_rec *s)
{
    int i;

    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "queue recovery: %" APR_SIZE_T_FMT " live (%" APR_SIZE_T_FMT
                 " from the snapshot, %" APR_SIZE_T_FMT " log records in %" APR_SIZE_T_FMT
                 " segments)",
                 r->live, r->snapshot_records, r->log_records, r->segments);
    if (r->torn_tails) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "queue recovery: cut %" APR_SIZE_T_FMT " torn log tail(s), %" APR_OFF_T_FMT
                     " bytes (an append interrupted before it was acknowledged)",
                     r->torn_tails, r->torn_bytes);
    }
    if (r->snapshot_unreadable || r->snapshot_bad || r->corrupt_segments) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "queue recovery: DAMAGE found: snapshot %s, %" APR_SIZE_T_FMT
                     " bad snapshot values, %" APR_SIZE_T_FMT " corrupt segment(s) (%" APR_OFF_T_FMT
                     " bytes not replayed)",
                     r->snapshot_unreadable ? "unreadable (moved aside)" : "readable",
                     r->snapshot_bad, r->corrupt_segments, r->corrupt_bytes);
    }
    for (i = 0; r->moved_aside && i < r->moved_aside->nelts; ++i) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "queue recovery: damaged file moved aside: %s",
                     APR_ARRAY_IDX(r->moved_aside, i, const char *));
    }
}

static apr_status_t open_queue(nxs_daemon_t *d)
{
    nxs_queue_report_t report;
    nxs_queue_opts_t opts;
    replay_t r = {d, 0, 0};
    apr_pool_t *scratch = NULL;
    apr_status_t rv;

    nxs_queue_opts_default(&opts);
    memset(&report, 0, sizeof(report));
    rv = nxs_queue_open(&d->queue, &report, d->c->mod->queue_type, d->c->mod->queue_path, &opts,
                        d->pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, d->s, "cannot open the delivery queue %s",
                     d->c->mod->queue_path);
        return rv;
    }
    log_report(&report, d->s);
    apr_pool_create(&scratch, d->pool);
    rv = nxs_queue_replay(d->queue, replay_one, &r, scratch);
    apr_pool_destroy(scratch);
    ap_log_error(APLOG_MARK, APLOG_INFO, rv, d->s,
                 "delivery queue %s: %" APR_SIZE_T_FMT " messages to deliver, %" APR_SIZE_T_FMT
                 " events' scheduled work to record",
                 d->c->mod->queue_path, r.n, r.work);
    return rv;
}

static apr_status_t create_state(nxs_daemon_t *d)
{
    nxs_sched_config_t sc;
    apr_thread_mutex_t *alloc_lock = NULL;
    apr_status_t rv;

    nxs_sched_config_default(&sc);
    /* Slack allows about 1 message/s per channel with short bursts.  One
     * token less than the burst Slack tolerates, so that network jitter
     * (a first post that also opened the connection arriving after a later
     * one) never turns into a 429. */
    sc.burst = 2;
    /* The daemon before this one may have spent the buckets just before it
     * stopped: start them empty rather than full. */
    sc.spent_at = apr_time_now();
    /* A hanging workspace may not take every worker: other accounts keep
     * flowing (one account's trouble never delays another's). */
    sc.max_inflight_per_account =
        d->c->mod->workers > 1 ? (unsigned)(d->c->mod->workers + 1) / 2 : 1;
    sc.backoff_min = d->c->backoff_min;
    sc.backoff_max = d->c->backoff_max;
    sc.retry_window = d->c->retry_window;
    sc.seed = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)getpid();
    if ((rv = apr_thread_mutex_create(&d->lock, APR_THREAD_MUTEX_DEFAULT, d->pool)) ||
        (rv = apr_thread_mutex_create(&alloc_lock, APR_THREAD_MUTEX_DEFAULT, d->pool)) ||
        (rv = apr_allocator_create(&d->allocator)) ||
        (rv = apr_thread_cond_create(&d->wake, d->pool)) ||
        (rv = nxs_metrics_create(&d->metrics, d->pool)) ||
        (rv = nxs_sched_create(&d->sched, &sc, d->pool))) {
        return rv;
    }
    /* The short-lived pools (one per connection, one per delivery) take
     * their blocks from this allocator and give them back to it.  With an
     * allocator of their own, each pool mapped and unmapped its memory (APR
     * allocates blocks with mmap here), and every munmap is a TLB shootdown
     * on every CPU: under load in bench/run that was most of the daemon's
     * CPU time.  The mutex makes it safe to share across threads; the free
     * list is bounded so that a burst does not keep its memory forever. */
    apr_allocator_mutex_set(d->allocator, alloc_lock);
    apr_allocator_max_free_set(d->allocator, 4 * 1024 * 1024);
    d->tokens = apr_hash_make(d->pool);
    d->possibly_posted = apr_hash_make(d->pool);
    return APR_SUCCESS;
}

static void accept_loop(nxs_daemon_t *d, apr_socket_t *ls)
{
    pid_t parent = getppid();
    apr_time_t last_tick = 0;

    while (!stop_requested) {
        nxs_daemon_conn_t *conn;
        apr_pool_t *cp = NULL;
        apr_socket_t *s = NULL;
        apr_status_t rv;

        /* An orphan (httpd's parent killed) must not keep the queue. */
        if (getppid() != parent) {
            break;
        }
        /* Once a second: sync buffered completions, checkpoint when due
         * (each tick with completions pending costs an fdatasync). */
        if (apr_time_now() - last_tick >= apr_time_from_sec(1)) {
            nxs_queue_maybe_checkpoint(NULL, d->queue);
            last_tick = apr_time_now();
        }
        /* apr_socket_accept() does not wait on the socket's timeout: on a
         * socket with a timeout it fails at once with EAGAIN.  Without this
         * wait the loop spun, and an idle daemon used a whole CPU (found by
         * bench/run).  Wait up to the listener's 500 ms, then check above. */
        if (apr_wait_for_io_or_timeout(NULL, ls, 1) != APR_SUCCESS) {
            continue;
        }
        apr_pool_create_unmanaged_ex(&cp, NULL, d->allocator);
        rv = apr_socket_accept(&s, ls, cp);
        if (rv != APR_SUCCESS) {
            apr_pool_destroy(cp);
            continue;
        }
        apr_socket_timeout_set(s, apr_time_from_sec(30));
        conn = apr_palloc(cp, sizeof(*conn));
        conn->sock = s;
        conn->pool = cp;
        if (apr_thread_pool_push(d->conns, nxs_daemon_conn, conn, APR_THREAD_TASK_PRIORITY_NORMAL,
                                 NULL) != APR_SUCCESS) {
            apr_socket_close(s);
            apr_pool_destroy(cp);
        }
    }
}

void nxs_daemon_run(apr_pool_t *p, server_rec *s)
{
    nxs_daemon_t *d = apr_pcalloc(p, sizeof(*d));
    apr_socket_t *ls = NULL;
    apr_thread_t *dispatcher = NULL;
    apr_status_t rv, trv;

    nxs_daemon = d;
    d->s = s;
    d->c = nxs_config_get(s);
    d->pool = p;
    d->started = apr_time_now();
    /* Inherited over the fork already; set again so that the daemon does
     * not depend on what the parent did before forking it. */
    nxs_log_httpd_init(s, p);

    apr_signal(SIGTERM, on_term);
    apr_signal(SIGINT, on_term);
    apr_signal(SIGHUP, SIG_IGN);
    apr_signal(SIGUSR1, SIG_IGN);
    apr_signal(SIGWINCH, SIG_IGN);
    apr_signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    ap_close_listeners();

    prepare_queue_dir(d->c->mod, p);
    if (ap_unixd_setup_child() != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "delivery daemon: cannot drop privileges");
        exit(1);
    }
    init_mod_dbd(p, s);
    if ((rv = create_state(d)) || (rv = nxs_daemon_intake_start(d)) || (rv = open_queue(d)) ||
        (rv = listen_socket(&ls, d->c->mod->socket_path, p)) ||
        (rv = apr_thread_pool_create(&d->workers, (apr_size_t)d->c->mod->workers,
                                     (apr_size_t)d->c->mod->workers, p)) ||
        (rv = apr_thread_pool_create(&d->conns, 4, 512, p)) ||
        (rv = nxs_daemon_recorder_start(d)) ||
        (rv = apr_thread_create(&dispatcher, NULL, nxs_daemon_dispatch, d, p)) ||
        (rv = nxs_daemon_chores_start(d)) || (rv = nxs_daemon_intake_run(d))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "delivery daemon cannot start (socket %s)",
                     d->c->mod->socket_path);
        exit(1);
    }
    /* Each connection holds its thread until its group commit is synced, so
     * under load as many threads are busy as requests wait.  APR's default
     * keeps only init_threads (4) idle and ends the others as soon as their
     * task is done: every request then paid a pthread_create and the munmap
     * of a stack (a TLB shootdown on every CPU), which bench/run measured as
     * the ingest bottleneck.  Keep the threads that load needed. */
    apr_thread_pool_idle_max_set(d->conns, 512);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "delivery daemon ready on %s (%d workers)",
                 d->c->mod->socket_path, d->c->mod->workers);

    accept_loop(d, ls);

    /* Orderly stop: no new connections, let in-flight work end, sync. */
    apr_socket_close(ls);
    unlink(d->c->mod->socket_path);
    apr_thread_pool_destroy(d->conns);
    /* Before the dispatcher: a round in progress may still queue a message. */
    nxs_daemon_chores_stop(d);
    nxs_daemon_intake_stop(d);
    apr_thread_mutex_lock(d->lock);
    d->stopping = 1;
    apr_thread_cond_signal(d->wake);
    apr_thread_mutex_unlock(d->lock);
    apr_thread_join(&trv, dispatcher);
    apr_thread_pool_destroy(d->workers);
    nxs_daemon_recorder_stop(d);
    nxs_queue_close(d->queue);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "delivery daemon stopped");
    exit(0);
}
