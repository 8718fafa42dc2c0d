/* The chores thread of the delivery daemon: scheduled work that no request
 * triggers (docs/SCHEDULED.md "How the daemon drives it").  Each round runs
 * nxs_chores_run (pre-meeting alerts and daily recaps, handed to the
 * durable queue exactly like an accepted event's deliveries, and the
 * hourly purge), then the token refresh, each claimed in SQL so that one
 * process or node does a given piece of work once.
 *
 * Thread safety: `lock` guards `stopping`, `next_wake` and `poked_at`;
 * everything else is used by the chores thread alone (its pool, its SQL
 * connection, when it last listed tokens). */
#include "daemon/nxs_daemon_int.h"

#include <apr_strings.h>
#include <http_log.h>
#include <string.h>

#include "nxs_chores.h"
#include "nxs_chores_run.h"
#include "nxs_clock.h"
#include "nxs_dbd.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "slack/nxs_token.h"
#include "store/nxs_store_chores.h"

APLOG_USE_MODULE(nexte_slack);

/* The thread checks the clock at least this often while it waits.  Timed
 * waits measure time their own way, and the wall clock can step (NTP, a
 * resumed VM, libfaketime in the tests): looking every second keeps an
 * alert within a second of its time whatever the clock did.  A look that
 * finds nothing due costs a clock read and no SQL. */
#define LOOK_EVERY apr_time_from_sec(1)

/* A round waits at most this long for the intake (nxs_daemon_intake.c). */
#define SETTLE_MAX apr_time_from_sec(2)

/* After a round that could not reach SQL, try again this soon. */
#define RETRY_AFTER apr_time_from_sec(10)

/* Recaps between two looks at due alerts during a round: a 09:00 burst of
 * 10 000 recaps takes 25 s on the dev machine (BENCHMARKS.md); a look that
 * finds nothing costs one indexed SELECT. */
#define ALERTS_EVERY 100

/* Alerts claimed per round; a longer backlog runs in the next round at once. */
#define BATCH 100

/* Tokens expiring within the refresh margin are listed at most this often. */
#define TOKENS_EVERY apr_time_from_sec(300)

/* A scheduled message's idempotency key must outlive the claim's lease: a
 * claim taken over after a crash between queueing and finishing is then a
 * duplicate for the queue, not a second message.  Kept for twice the lease
 * (or the retry window, if longer). */
#define KEY_KEEP (2 * NXS_CHORE_LEASE)

struct nxs_daemon_chores_t {
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;
    int stopping;         /* under lock */
    apr_time_t next_wake; /* under lock: when the next round is due */
    apr_time_t poked_at;  /* under lock: earliest wake asked for during a round, 0: none */
    apr_thread_t *thread;
    apr_pool_t *pool; /* the thread's; cleared after each round */
    const char *node; /* nxs_chores_node_id(), for the claims */
    apr_time_t tokens_checked;
};

typedef struct enqueue_baton_t {
    nxs_daemon_t *d;
    apr_pool_t *p;
} enqueue_baton_t;

static apr_status_t enqueue(void *baton, const json_t *idem, const json_t *deliveries)
{
    enqueue_baton_t *b = baton;
    apr_interval_time_t keep = b->d->c->retry_window > KEY_KEEP ? b->d->c->retry_window : KEY_KEEP;
    apr_size_t n = 0;
    int duplicate = 0;
    apr_status_t rv = nxs_daemon_enqueue(&duplicate, &n, b->d, idem, deliveries, keep, b->p);

    if (rv == APR_SUCCESS && duplicate) {
        /* A claim taken over after a crash: the message is already queued. */
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00055", "scheduled message %s of %s was already queued",
                nxs_json_path_str(idem, "event_id"), nxs_json_path_str(idem, "account"));
    }
    return rv;
}

/* Refreshes the rotating tokens that expire within the refresh margin,
 * each once per token (slot account/team/expires_at) across the cluster,
 * so that an idle account's token is fresh when its next message comes. */
static void refresh_tokens(nxs_daemon_chores_t *ch, nxs_daemon_t *d, nxs_db_t *db, apr_time_t now,
                           apr_pool_t *p)
{
    nxs_slack_app_t app = {d->c->api_base, d->c->client_id, d->c->client_secret.value,
                           d->c->token_key};
    apr_array_header_t *list = NULL;
    apr_int64_t secs = apr_time_sec(now);
    int i;

    if (now - ch->tokens_checked < TOKENS_EVERY && ch->tokens_checked <= now) {
        return;
    }
    if (nxs_store_tokens_expiring(&list, db, secs + NXS_TOKEN_REFRESH_MARGIN, p) != APR_SUCCESS) {
        return;
    }
    ch->tokens_checked = now;
    for (i = 0; i < list->nelts; ++i) {
        nxs_workspace_t *w = APR_ARRAY_IDX(list, i, nxs_workspace_t *);
        const char *slot = apr_psprintf(p, "%s/%s/%" APR_INT64_T_FMT, w->account_id, w->team_id,
                                        w->token_expires_at);
        const char *token = NULL, *error = NULL;
        int won = 0, done = 0;
        apr_status_t rv;

        if (nxs_store_chore_claim(&won, db, "token_refresh", slot, ch->node, secs,
                                  apr_time_sec(NXS_CHORE_LEASE), p) != APR_SUCCESS ||
            !won) {
            continue;
        }
        /* nxs_token_get refreshes (and stores) a token this close to its
         * end; the token itself is never logged. */
        rv = nxs_token_get(&token, &error, db, w, &app, secs, p);
        nxs_store_chore_finish(&done, db, "token_refresh", slot, ch->node, rv ? "failed" : "done",
                               rv ? error : NULL, secs, p);
        nxs_daemon_tokens_forget(d, w->account_id);
        NXS_LOG(rv ? NXS_LOG_WARNING : NXS_LOG_DEBUG, rv, "NXS00057", "token refresh of %s/%s: %s",
                w->account_id, w->team_id, rv ? (error ? error : "failed") : "done");
    }
}

/* One round at NOW; *next_wake says when the next one is due. */
static void run_round(nxs_daemon_chores_t *ch, nxs_daemon_t *d, apr_time_t *next_wake,
                      apr_pool_t *p)
{
    apr_time_t now = nxs_clock_now();
    enqueue_baton_t baton = {d, p};
    nxs_chores_env_t env;
    nxs_chores_report_t report;
    char when[NXS_LOG_TIME_SIZE];
    void *conn = NULL;
    nxs_db_t *db = nxs_dbd_open(&conn, d->s, p);
    apr_status_t rv;

    if (!db) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00058",
                "scheduled work waits: the store cannot be reached (next try in 10 s)");
        *next_wake = now + RETRY_AFTER;
        return;
    }
    memset(&env, 0, sizeof(env));
    env.node = ch->node;
    env.app_url = d->c->app_url;
    env.lease = NXS_CHORE_LEASE;
    env.grace = d->c->reconnect_grace; /* the main server's, for the round's hourly purge */
    env.batch = BATCH;
    env.alerts_every = ALERTS_EVERY;
    env.enqueue = enqueue;
    env.baton = &baton;
    rv = nxs_chores_run(&report, db, &env, now, p);
    if (rv != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_WARNING, rv, "NXS00059",
                "scheduled work round failed on the store (next try in 10 s)");
        *next_wake = now + RETRY_AFTER;
    } else {
        *next_wake = report.next_wake;
        if (report.reminders_sent || report.reminders_skipped || report.recaps_sent ||
            report.recaps_skipped || report.summaries_sent || report.held_dropped ||
            report.failures) {
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00060",
                    "scheduled work: %d alerts queued, %d skipped; %d recaps queued, %d "
                    "skipped; %d summaries queued, %d held events dropped; %d left for the "
                    "lease; next look at %s",
                    report.reminders_sent, report.reminders_skipped, report.recaps_sent,
                    report.recaps_skipped, report.summaries_sent, report.held_dropped,
                    report.failures, nxs_log_time(when, *next_wake));
        } else {
            NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00061", "scheduled work: nothing due; next look at %s",
                    nxs_log_time(when, *next_wake));
        }
    }
    refresh_tokens(ch, d, db, now, p);
    nxs_dbd_close(conn, d->s);
}

static void *APR_THREAD_FUNC chores_main(apr_thread_t *t, void *dv)
{
    nxs_daemon_t *d = dv;
    nxs_daemon_chores_t *ch = d->chores;
    apr_time_t next = 0;

    apr_thread_mutex_lock(ch->lock);
    while (!ch->stopping) {
        apr_time_t now = nxs_clock_now();

        if (now < ch->next_wake) {
            apr_interval_time_t wait = ch->next_wake - now;
            apr_thread_cond_timedwait(ch->wake, ch->lock, wait < LOOK_EVERY ? wait : LOOK_EVERY);
            continue;
        }
        /* The round reads SQL, where a poke's alert already is; only pokes
         * that come during the round must move the next one. */
        ch->poked_at = 0;
        apr_thread_mutex_unlock(ch->lock);
        /* The events accepted so far are recorded first, so that a recap
         * counts every event that came before it (bounded: with the store
         * refusing, the round goes on and meets the same store). */
        nxs_daemon_intake_settle(d, SETTLE_MAX);
        run_round(ch, d, &next, ch->pool);
        apr_pool_clear(ch->pool);
        apr_thread_mutex_lock(ch->lock);
        ch->next_wake = ch->poked_at && ch->poked_at < next ? ch->poked_at : next;
    }
    apr_thread_mutex_unlock(ch->lock);
    return NULL;
}

apr_status_t nxs_daemon_chores_start(nxs_daemon_t *d)
{
    nxs_daemon_chores_t *ch = apr_pcalloc(d->pool, sizeof(*ch));
    apr_status_t rv;

    if ((rv = apr_thread_mutex_create(&ch->lock, APR_THREAD_MUTEX_DEFAULT, d->pool)) ||
        (rv = apr_thread_cond_create(&ch->wake, d->pool)) ||
        (rv = apr_pool_create(&ch->pool, d->pool))) {
        return rv;
    }
    ch->node = nxs_chores_node_id(d->pool);
    ch->next_wake = 0; /* a first round at once: work left by a predecessor */
    d->chores = ch;
    return apr_thread_create(&ch->thread, NULL, chores_main, d, d->pool);
}

void nxs_daemon_chores_stop(nxs_daemon_t *d)
{
    nxs_daemon_chores_t *ch = d->chores;
    apr_status_t trv;

    if (!ch) {
        return;
    }
    apr_thread_mutex_lock(ch->lock);
    ch->stopping = 1;
    apr_thread_cond_signal(ch->wake);
    apr_thread_mutex_unlock(ch->lock);
    apr_thread_join(&trv, ch->thread); /* a round in progress ends first */
    d->chores = NULL;
}

void nxs_daemon_chores_poke(nxs_daemon_t *d, apr_time_t at)
{
    nxs_daemon_chores_t *ch = d->chores;

    if (!ch) {
        return;
    }
    apr_thread_mutex_lock(ch->lock);
    if (at < ch->next_wake) {
        ch->next_wake = at;
    }
    if (!ch->poked_at || at < ch->poked_at) {
        ch->poked_at = at;
    }
    apr_thread_cond_signal(ch->wake);
    apr_thread_mutex_unlock(ch->lock);
}
