/* The daemon's delivery loop.  The dispatcher asks the scheduler what may
 * go now (per-channel FIFO, token buckets, backoff, holds) and hands each
 * item to a worker thread; the worker posts it to Slack with its own libcurl
 * handle (keep-alive), classifies the answer, and reports it back, which
 * decides what happens to the record on disk. */
#include "daemon/nxs_daemon_int.h"

#include <apr_atomic.h>
#include <apr_strings.h>
#include <curl/curl.h>
#include <http_log.h>
#include <string.h>

#include "nxs_callback.h"
#include "nxs_dbd.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "slack/nxs_slack.h"
#include "store/nxs_store.h"
#include "slack/nxs_token.h"

APLOG_USE_MODULE(nexte_slack);

#define POST_TIMEOUT apr_time_from_sec(15)
#define TOKEN_TTL    apr_time_from_sec(60)

typedef struct nxs_daemon_token_t {
    apr_pool_t *pool;
    const char *token; /* NULL: the account has no such workspace any more */
    apr_time_t fetched;
} nxs_daemon_token_t;

/* A task's state, so that a push that failed after queueing it (APR queues
 * before it starts a thread) cannot also run it: the first of the worker
 * and the dispatcher to move it out of QUEUED owns it. */
enum { TASK_QUEUED = 0, TASK_RUNNING, TASK_ABANDONED };

typedef struct task_t {
    apr_pool_t *pool;
    nxs_sched_item_t item;
    volatile apr_uint32_t state;
} task_t;

/* One libcurl handle per worker thread, created on first use. */
static _Thread_local CURL *thread_curl;

static const char *token_key(const char *account, const char *team, apr_pool_t *p)
{
    return apr_pstrcat(p, account, "/", team, NULL);
}

void nxs_daemon_tokens_forget(nxs_daemon_t *d, const char *account)
{
    apr_hash_index_t *hi;
    apr_size_t n = strlen(account);

    apr_thread_mutex_lock(d->lock);
    for (hi = apr_hash_first(NULL, d->tokens); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        if (strncmp(k, account, n) == 0 && ((const char *)k)[n] == '/') {
            apr_hash_set(d->tokens, k, APR_HASH_KEY_STRING, NULL);
            apr_pool_destroy(((nxs_daemon_token_t *)v)->pool);
        }
    }
    apr_thread_mutex_unlock(d->lock);
}

/* Reads the workspace's token from SQL (refreshing it if it is about to
 * expire).  *error is set when it cannot be had. */
static const char *fetch_token(const char **error, nxs_daemon_t *d, const char *account,
                               const char *team, apr_pool_t *p)
{
    nxs_slack_app_t app = {d->c->api_base, d->c->client_id, d->c->client_secret.value,
                           d->c->token_key};
    const char *token = NULL;
    void *conn = NULL;
    nxs_db_t *db = nxs_dbd_open(&conn, d->s, p);

    if (!db) {
        *error = "store_unavailable";
        return NULL;
    }
    nxs_token_for_team(&token, error, db, account, team, &app, apr_time_sec(apr_time_now()), p);
    nxs_dbd_close(conn, d->s);
    return token;
}

static const char *token_for(const char **error, nxs_daemon_t *d, const char *account,
                             const char *team, apr_pool_t *p)
{
    const char *key = token_key(account, team, p);
    nxs_daemon_token_t *t;
    const char *token;

    apr_thread_mutex_lock(d->lock);
    t = apr_hash_get(d->tokens, key, APR_HASH_KEY_STRING);
    if (t && apr_time_now() - t->fetched < TOKEN_TTL) {
        token = apr_pstrdup(p, t->token);
        apr_thread_mutex_unlock(d->lock);
        *error = NULL;
        return token;
    }
    apr_thread_mutex_unlock(d->lock);

    token = fetch_token(error, d, account, team, p);
    if (!token) {
        return NULL;
    }
    apr_thread_mutex_lock(d->lock);
    if ((t = apr_hash_get(d->tokens, key, APR_HASH_KEY_STRING))) {
        apr_hash_set(d->tokens, key, APR_HASH_KEY_STRING, NULL);
        apr_pool_destroy(t->pool);
    }
    {
        apr_pool_t *tp = NULL;
        apr_pool_create(&tp, d->pool);
        t = apr_pcalloc(tp, sizeof(*t));
        t->pool = tp;
        t->token = apr_pstrdup(tp, token);
        t->fetched = apr_time_now();
        apr_hash_set(d->tokens, apr_pstrdup(tp, key), APR_HASH_KEY_STRING, t);
    }
    apr_thread_mutex_unlock(d->lock);
    return token;
}

/* Slack's answer (or ours, when nothing was sent) as a scheduler outcome. */
static nxs_sched_outcome_e classify(nxs_daemon_t *d, apr_uint64_t seq, const char *error)
{
    int seen;

    if (!error) {
        return NXS_SCHED_DELIVERED;
    }
    if (strcmp(error, "ratelimited") == 0) {
        return NXS_SCHED_RATE_LIMITED;
    }
    if (nxs_slack_error_is_account(error) || strcmp(error, "undecryptable") == 0 ||
        strcmp(error, "invalid_refresh_token") == 0) {
        return NXS_SCHED_ACCOUNT_ERROR;
    }
    if (strcmp(error, "internal_error") == 0 || strcmp(error, "fatal_error") == 0) {
        /* Slack may have posted it: retry once, never twice (see ARCHITECTURE). */
        apr_thread_mutex_lock(d->lock);
        seen = apr_hash_get(d->possibly_posted, &seq, sizeof(seq)) != NULL;
        if (!seen) {
            apr_uint64_t *k = apr_palloc(d->pool, sizeof(*k));
            *k = seq;
            apr_hash_set(d->possibly_posted, k, sizeof(*k), k);
        }
        apr_thread_mutex_unlock(d->lock);
        return seen ? NXS_SCHED_CHANNEL_ERROR : NXS_SCHED_TRANSIENT;
    }
    if (nxs_slack_error_is_transient(error) || strcmp(error, "store_unavailable") == 0) {
        return NXS_SCHED_TRANSIENT;
    }
    /* Channel errors, a disconnected account, and any other refusal that a
     * retry would not change. */
    return NXS_SCHED_CHANNEL_ERROR;
}

static void connection_broken(nxs_daemon_t *d, const nxs_sched_item_t *item, const char *error,
                              apr_pool_t *p)
{
    void *conn = NULL;
    nxs_db_t *db = nxs_dbd_open(&conn, d->s, p);

    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                 "account %s, team %s: Slack said %s; holding its messages until it reconnects",
                 item->account, item->team, error);
    if (db) {
        nxs_store_workspace_set_needs_reconnect(db, item->account, item->team, 1, p);
        nxs_dbd_close(conn, d->s);
    }
    nxs_daemon_tokens_forget(d, item->account);
    if (d->c->callback_url) {
        json_t *body =
            nxs_json_own(json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "slack.connection_broken",
                                   "account_id", item->account, "team_id", item->team, "error",
                                   error, "at", (json_int_t)apr_time_sec(apr_time_now())),
                         p);
        if (nxs_callback_post(d->c->callback_url, d->c->event_secret.value, d->c->event_secret.len,
                              body, 3, p) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                         "NexteSlackCallbackURL did not take the connection_broken notice");
        }
    }
}

static void channel_failed(nxs_daemon_t *d, const nxs_sched_item_t *item, const char *error,
                           apr_pool_t *p)
{
    void *conn = NULL;
    nxs_db_t *db = nxs_dbd_open(&conn, d->s, p);

    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                 "account %s, channel %s: Slack said %s; message dropped", item->account,
                 item->channel, error);
    if (db) {
        nxs_store_channel_error(db, item->account, item->channel, error,
                                apr_time_sec(apr_time_now()), p);
        nxs_dbd_close(conn, d->s);
    }
}

/* Remembers a message Slack accepted, for "Mark as handled": its ts comes
 * only from Slack's answer.  Handed to the recorder after settle(), so
 * neither this channel's next message nor this worker waits for SQL. */
static void record_posted(nxs_daemon_t *d, const nxs_queue_record_t *rec,
                          const nxs_slack_result_t *res)
{
    nxs_delivery_t row;

    memset(&row, 0, sizeof(row));
    row.delivery_id = rec->delivery_id;
    row.account_id = rec->account;
    row.team_id = rec->team;
    row.channel_id = nxs_json_path_str(res->body, "channel");
    row.message_ts = nxs_json_path_str(res->body, "ts");
    row.event_id = rec->event_id;
    row.record_json = rec->record;
    row.message_json = rec->payload;
    row.posted_at = apr_time_sec(apr_time_now());
    if (!row.delivery_id || !*row.delivery_id || !row.message_ts) {
        return; /* nothing can be clicked (no button), or Slack gave no ts */
    }
    if (!row.channel_id) {
        row.channel_id = rec->channel;
    }
    nxs_daemon_record_posted(d, &row);
}

/* Applies the scheduler's verdict to the record on disk and the counters;
 * returns the fate. */
static nxs_sched_fate_e settle(nxs_daemon_t *d, const nxs_sched_item_t *sent, const char *error,
                               apr_interval_time_t retry_after, apr_pool_t *p)
{
    nxs_sched_outcome_e outcome = classify(d, sent->seq, error);
    nxs_sched_fate_e fate = NXS_SCHED_FATE_RETRY;
    nxs_sched_item_t item;
    apr_time_t now = apr_time_now();

    if (error) {
        nxs_metrics_slack_error(d->metrics, error);
    }
    apr_thread_mutex_lock(d->lock);
    if (nxs_sched_done_why(&fate, &item, d->sched, sent->seq, outcome, error, retry_after, now) !=
        APR_SUCCESS) {
        apr_thread_cond_signal(d->wake);
        apr_thread_mutex_unlock(d->lock);
        return NXS_SCHED_FATE_DROPPED; /* no longer the scheduler's: nothing to do */
    }
    if (fate == NXS_SCHED_FATE_SENT || fate == NXS_SCHED_FATE_DEAD ||
        fate == NXS_SCHED_FATE_DROPPED) {
        apr_hash_set(d->possibly_posted, &sent->seq, sizeof(sent->seq), NULL);
    }
    apr_thread_cond_signal(d->wake);
    apr_thread_mutex_unlock(d->lock);

    if (fate != NXS_SCHED_FATE_SENT && nxs_log_is_level(NXS_LOG_DEBUG)) {
        static const char *const decided[] = {
            "sent", "retry scheduled", "account held until it reconnects",
            "dead-lettered (retry window exhausted)", "dropped (a retry would not help)"};
        nxs_log_perror(NXS_LOG_MARK, NXS_LOG_DEBUG, 0, "NXS00052",
                       "message %" APR_UINT64_T_FMT
                       " for channel %s (account %s, team %s): %s; %s (try %u)",
                       sent->seq, sent->channel, sent->account, sent->team,
                       error ? error : "no error", decided[fate], sent->attempts + 1);
    }

    switch (fate) {
    case NXS_SCHED_FATE_SENT:
        nxs_queue_done(d->queue, sent->seq);
        nxs_metrics_add(d->metrics, NXS_M_DELIVERED, 1);
        nxs_metrics_latency(d->metrics, now - sent->accepted_at);
        break;
    case NXS_SCHED_FATE_RETRY:
        nxs_metrics_add(d->metrics, NXS_M_RETRIED, 1);
        break;
    case NXS_SCHED_FATE_HELD:
        connection_broken(d, sent, error, p);
        break;
    case NXS_SCHED_FATE_DEAD:
        nxs_queue_done(d->queue, sent->seq);
        nxs_metrics_add(d->metrics, NXS_M_DEAD_LETTERED, 1);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                     "message %" APR_UINT64_T_FMT " for %s dead-lettered after the retry window "
                     "(last error: %s)",
                     sent->seq, sent->channel, error ? error : "none");
        break;
    case NXS_SCHED_FATE_DROPPED:
        nxs_queue_done(d->queue, sent->seq);
        if (error && (strcmp(error, "internal_error") == 0 || strcmp(error, "fatal_error") == 0)) {
            nxs_metrics_add(d->metrics, NXS_M_DEAD_LETTERED, 1);
            nxs_metrics_slack_error(d->metrics, "possibly_posted");
        } else {
            nxs_metrics_add(d->metrics, NXS_M_DROPPED, 1);
            if (error && nxs_slack_error_is_channel(error)) {
                channel_failed(d, sent, error, p);
            }
        }
        break;
    }
    return fate;
}

static void *APR_THREAD_FUNC deliver(apr_thread_t *t, void *taskv)
{
    task_t *task = taskv;
    nxs_daemon_t *d = nxs_daemon;
    const nxs_sched_item_t *item = &task->item;
    nxs_queue_record_t rec;
    const char *error = NULL, *token;
    nxs_slack_result_t res;

    if (apr_atomic_cas32(&task->state, TASK_RUNNING, TASK_QUEUED) != TASK_QUEUED) {
        return NULL; /* abandoned by the dispatcher, whose pool it is */
    }
    memset(&res, 0, sizeof(res));
    if (!thread_curl) {
        thread_curl = curl_easy_init();
    }
    if (nxs_queue_load(&rec, d->queue, item->seq, task->pool) != APR_SUCCESS) {
        /* The record is gone from disk: nothing to send. */
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00053",
                "message %" APR_UINT64_T_FMT " for channel %s (account %s): its record cannot "
                "be read from the queue; nothing to send",
                item->seq, item->channel, item->account);
        error = "record_missing";
    } else if (!(token = token_for(&error, d, item->account, item->team, task->pool))) {
        /* error says why: not_connected, store_unavailable, a token error */
    } else if (!thread_curl) {
        error = "transport_error";
    } else {
        nxs_slack_auth_t auth = {token, NULL, NULL};
        nxs_slack_call_on(thread_curl, &res, d->c->api_base, "chat.postMessage", &auth, NULL,
                          rec.payload, POST_TIMEOUT, task->pool);
        error = res.error;
    }
    if (settle(d, item, error, res.retry_after, task->pool) == NXS_SCHED_FATE_SENT) {
        if (nxs_log_is_level(NXS_LOG_TRACE1)) {
            const char *ts = nxs_json_path_str(res.body, "ts");
            nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE1, 0, "NXS00054",
                           "message %" APR_UINT64_T_FMT
                           " posted to channel %s (account %s, team %s): ts %s, %" APR_TIME_T_FMT
                           " ms after it was accepted",
                           item->seq, item->channel, item->account, item->team, ts ? ts : "none",
                           apr_time_as_msec(apr_time_now() - item->accepted_at));
        }
        record_posted(d, &rec, &res);
    }
    apr_pool_destroy(task->pool);
    return NULL;
}

static void dead_letter(void *baton, const nxs_sched_item_t *item)
{
    nxs_daemon_t *d = baton;
    nxs_queue_done(d->queue, item->seq);
    nxs_metrics_add(d->metrics, NXS_M_DEAD_LETTERED, 1);
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                 "message %" APR_UINT64_T_FMT " for %s dead-lettered: its retry window ended "
                 "while it waited",
                 item->seq, item->channel);
}

/* The push of TASK failed: takes it back unless a worker already runs it,
 * and reports the item as a transient failure.  Called with d->lock held. */
static void take_back(nxs_daemon_t *d, task_t *task, apr_status_t why)
{
    nxs_sched_item_t item = task->item;
    nxs_sched_fate_e fate = NXS_SCHED_FATE_RETRY;

    if (apr_atomic_cas32(&task->state, TASK_ABANDONED, TASK_QUEUED) != TASK_QUEUED) {
        return; /* a worker took it anyway and reports its outcome */
    }
    /* Off the pool's queue if it is there; waits for a worker that has just
     * taken it, which returns at once without the lock we hold. */
    apr_thread_pool_tasks_cancel(d->workers, task);
    nxs_log_perror(NXS_LOG_MARK, NXS_LOG_ERR, why, "NXS00150",
                   "message %" APR_UINT64_T_FMT " for channel %s (account %s): no delivery "
                   "worker could take it; it will be retried",
                   item.seq, item.channel, item.account);
    if (nxs_sched_done_why(&fate, NULL, d->sched, item.seq, NXS_SCHED_TRANSIENT,
                           "worker_unavailable", 0, apr_time_now()) == APR_SUCCESS) {
        if (fate == NXS_SCHED_FATE_RETRY) {
            nxs_metrics_add(d->metrics, NXS_M_RETRIED, 1);
        } else {
            /* it leaves the scheduler: forget an earlier try's doubt, as settle does */
            apr_hash_set(d->possibly_posted, &item.seq, sizeof(item.seq), NULL);
            if (fate == NXS_SCHED_FATE_DEAD) {
                dead_letter(d, &item);
            } else {
                nxs_queue_done(d->queue, item.seq); /* its account was dropped */
            }
        }
    }
    apr_pool_destroy(task->pool);
}

void nxs_daemon_submit(nxs_daemon_t *d, const nxs_sched_item_t *item)
{
    apr_pool_t *tp = NULL;
    task_t *task;
    apr_status_t rv;

    apr_pool_create_unmanaged_ex(&tp, NULL, d->allocator);
    task = apr_pcalloc(tp, sizeof(*task));
    task->pool = tp;
    task->item = *item;
    task->item.account = apr_pstrdup(tp, item->account);
    task->item.team = apr_pstrdup(tp, item->team);
    task->item.channel = apr_pstrdup(tp, item->channel);
    task->state = TASK_QUEUED;
    rv = apr_thread_pool_push(d->workers, deliver, task, APR_THREAD_TASK_PRIORITY_NORMAL, task);
    if (rv != APR_SUCCESS) {
        take_back(d, task, rv);
    }
}

void *APR_THREAD_FUNC nxs_daemon_dispatch(apr_thread_t *t, void *dv)
{
    nxs_daemon_t *d = dv;

    apr_thread_mutex_lock(d->lock);
    while (!d->stopping) {
        apr_time_t now = apr_time_now(), wake_at = 0, expiry;
        apr_interval_time_t wait = apr_time_from_sec(1);
        nxs_sched_item_t item;

        /* Hand out first, expire after: an item's last try is scheduled at
         * its deadline exactly, and the dispatcher wakes a little after it. */
        while (nxs_sched_next(&item, &wake_at, d->sched, now)) {
            nxs_daemon_submit(d, &item);
        }
        nxs_sched_expire(d->sched, now, dead_letter, d);
        expiry = nxs_sched_next_expiry(d->sched);
        if (expiry && (!wake_at || expiry < wake_at)) {
            wake_at = expiry;
        }
        if (wake_at) {
            wait = wake_at > now ? wake_at - now : 0;
            if (wait > apr_time_from_sec(1)) {
                wait = apr_time_from_sec(1);
            }
        }
        if (wait > 0) {
            apr_thread_cond_timedwait(d->wake, d->lock, wait);
        }
    }
    apr_thread_mutex_unlock(d->lock);
    return NULL;
}
