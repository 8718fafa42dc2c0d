/* The daemon's side of the Unix socket: one task per connection from an
 * httpd child, one reply per request frame.
 *   {"op":"enqueue","idem":{"account","event_id"},"deliveries":[...],"reason"?}
 *       -> stored durably (group commit), then {"ok":true,"duplicate":b,"deliveries":n};
 *          "reason" (nothing posted now, and why) is counted for the status
 *   {"op":"stats"}               -> counters, queue and scheduler state
 *   {"op":"release","account"}   -> resume an account held for reconnect
 *   {"op":"drop","account"}      -> disconnect: forget its queued messages
 *   {"op":"interaction","click"?:true,"handled"?:true,"refused"?:code,
 *    "callback"?:"started"|"done"|"failed"} -> {"ok":true}: what became of
 *       one Slack interaction, counted for the status (core/nxs_metrics.h) */
#include "daemon/nxs_daemon_int.h"

#include <apr_strings.h>
#include <http_log.h>
#include <string.h>
#include <unistd.h>

#include "nxs_ipc.h"
#include "nxs_json.h"

APLOG_USE_MODULE(nexte_slack);

static json_t *fail(const char *code)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", code);
}

static const char *str(const json_t *o, const char *key)
{
    return nxs_json_path_str(o, key);
}

apr_status_t nxs_daemon_enqueue(int *duplicate, apr_size_t *count, nxs_daemon_t *d,
                                const json_t *idem, const json_t *deliveries,
                                apr_interval_time_t keep, apr_pool_t *p)
{
    apr_size_t n = json_array_size(deliveries), i;
    nxs_queue_record_t *recs = apr_pcalloc(p, sizeof(*recs) * (n ? n : 1));
    nxs_queue_idem_t key;
    apr_time_t now = apr_time_now();
    apr_uint64_t first = 0;
    apr_status_t rv;

    *duplicate = 0;
    *count = 0;
    key.account = str(idem, "account");
    key.event_id = str(idem, "event_id");
    key.expires_at = now + keep;
    if (!key.account || !key.event_id || !json_is_array(deliveries)) {
        return APR_EINVAL;
    }
    for (i = 0; i < n; ++i) {
        const json_t *e = json_array_get(deliveries, i);
        recs[i].accepted_at = now;
        recs[i].account = str(e, "account");
        recs[i].team = str(e, "team");
        recs[i].channel = str(e, "channel");
        recs[i].event_id = str(e, "event_id");
        recs[i].category = str(e, "category");
        recs[i].delivery_id = str(e, "delivery_id");
        recs[i].record = str(e, "record");
        recs[i].payload = str(e, "payload");
        if (!recs[i].delivery_id) {
            recs[i].delivery_id = ""; /* no "Mark as handled" (a summary) */
        }
        if (nxs_daemon_is_work(&recs[i])) {
            /* an event's scheduled work goes to no channel */
            recs[i].team = recs[i].channel = "";
        }
        if (!recs[i].account || !recs[i].team || !recs[i].channel || !recs[i].payload) {
            return APR_EINVAL;
        }
        recs[i].payload_len = strlen(recs[i].payload);
    }
    rv = nxs_queue_append(&first, duplicate, d->queue, recs, n, &key);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, d->s, "queue append failed");
        return rv;
    }
    if (*duplicate) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(d->lock);
    for (i = 0; i < n; ++i) {
        nxs_sched_item_t item = {first + i,       recs[i].account,     recs[i].team,
                                 recs[i].channel, recs[i].accepted_at, 0};
        if (nxs_daemon_is_work(&recs[i])) {
            continue;
        }
        nxs_sched_add(d->sched, &item);
        ++*count;
    }
    apr_thread_cond_signal(d->wake);
    apr_thread_mutex_unlock(d->lock);
    for (i = 0; i < n; ++i) {
        if (nxs_daemon_is_work(&recs[i])) {
            nxs_daemon_intake_add(d, first + i);
        }
    }
    return APR_SUCCESS;
}

static json_t *enqueue(nxs_daemon_t *d, const json_t *req, apr_pool_t *p)
{
    apr_size_t n = 0;
    int duplicate = 0;
    apr_status_t rv = nxs_daemon_enqueue(&duplicate, &n, d, json_object_get(req, "idem"),
                                         json_object_get(req, "deliveries"), d->c->retry_window, p);

    if (rv == APR_EINVAL) {
        return fail("bad_request");
    }
    if (rv != APR_SUCCESS) {
        return fail(APR_STATUS_IS_ENOSPC(rv) ? "disk_full" : "queue_unavailable");
    }
    /* Events only: scheduled messages have their own counts (the status's
     * "scheduled"), so that accepted_total stays what Nexte core sent. */
    if (duplicate) {
        nxs_metrics_add(d->metrics, NXS_M_DUPLICATES, 1);
        return json_pack("{s:b, s:b, s:i}", "ok", 1, "duplicate", 1, "deliveries", 0);
    }
    nxs_metrics_add(d->metrics, NXS_M_ACCEPTED, 1);
    if (str(req, "reason")) {
        /* accepted, nothing posted now: counted by why (the status's
         * counters.not_posted) */
        nxs_metrics_not_posted(d->metrics, str(req, "reason"));
    }
    return json_pack("{s:b, s:b, s:I}", "ok", 1, "duplicate", 0, "deliveries", (json_int_t)n);
}

static json_t *stats(nxs_daemon_t *d)
{
    nxs_sched_stats_t st;
    nxs_daemon_intake_stats_t in;
    apr_time_t now = apr_time_now();
    json_t *out = nxs_metrics_json(d->metrics);

    apr_thread_mutex_lock(d->lock);
    nxs_sched_stats(&st, d->sched);
    apr_thread_mutex_unlock(d->lock);
    json_object_set_new(out, "ok", json_true());
    json_object_set_new(out, "queue_depth", json_integer((json_int_t)st.queued));
    json_object_set_new(out, "in_flight", json_integer((json_int_t)st.in_flight));
    json_object_set_new(out, "oldest_age_seconds",
                        json_real(st.oldest_accepted_at
                                      ? (double)(now - st.oldest_accepted_at) / APR_USEC_PER_SEC
                                      : 0.0));
    json_object_set_new(out, "channels", json_integer((json_int_t)st.channels));
    json_object_set_new(out, "accounts_needing_reconnect",
                        json_integer((json_int_t)st.held_accounts));
    nxs_daemon_intake_stats(&in, d);
    json_object_set_new(
        out, "scheduled_work",
        json_pack("{s:I, s:I, s:I, s:o}", "waiting", (json_int_t)in.waiting, "recorded",
                  (json_int_t)in.applied, "store_refusals", (json_int_t)in.retries,
                  "failing_since_seconds",
                  in.failing_since ? json_real((double)(now - in.failing_since) / APR_USEC_PER_SEC)
                                   : json_null()));
    json_object_set_new(out, "daemon",
                        json_pack("{s:i, s:f}", "pid", (int)getpid(), "uptime_seconds",
                                  (double)(now - d->started) / APR_USEC_PER_SEC));
    return out;
}

typedef struct drop_baton_t {
    nxs_daemon_t *d;
    apr_size_t n;
} drop_baton_t;

static void dropped(void *baton, const nxs_sched_item_t *item)
{
    drop_baton_t *b = baton;
    nxs_queue_done(b->d->queue, item->seq);
    ++b->n;
}

static json_t *account_op(nxs_daemon_t *d, const char *op, const char *account)
{
    drop_baton_t b = {d, 0};

    if (!account) {
        return fail("bad_request");
    }
    apr_thread_mutex_lock(d->lock);
    if (strcmp(op, "release") == 0) {
        nxs_sched_account_release(d->sched, account);
    } else {
        nxs_sched_account_drop(d->sched, account, dropped, &b);
    }
    apr_thread_cond_signal(d->wake);
    apr_thread_mutex_unlock(d->lock);
    nxs_daemon_tokens_forget(d, account);
    if (b.n) {
        nxs_metrics_add(d->metrics, NXS_M_DROPPED, b.n);
    }
    return json_pack("{s:b, s:I}", "ok", 1, "dropped", (json_int_t)b.n);
}

/* An httpd child's report of one interaction (see the frame above).  An
 * error code is one of the module's own, short by construction. */
static json_t *interaction(nxs_daemon_t *d, const json_t *req)
{
    const char *refused = str(req, "refused"), *callback = str(req, "callback");
    int ended = callback && (strcmp(callback, "done") == 0 || strcmp(callback, "failed") == 0);

    if ((callback && !ended && strcmp(callback, "started") != 0) ||
        (refused && strlen(refused) > 64)) {
        return fail("bad_request");
    }
    if (json_is_true(json_object_get(req, "click"))) {
        nxs_metrics_interaction(d->metrics, NXS_IX_CLICKS);
    }
    if (json_is_true(json_object_get(req, "handled"))) {
        nxs_metrics_interaction(d->metrics, NXS_IX_HANDLED);
    }
    if (refused) {
        nxs_metrics_refused(d->metrics, refused);
    }
    if (callback) {
        nxs_metrics_callback_pending(d->metrics, ended ? -1 : 1);
        if (strcmp(callback, "failed") == 0) {
            nxs_metrics_interaction(d->metrics, NXS_IX_CALLBACKS_FAILED);
        }
    }
    return json_pack("{s:b}", "ok", 1);
}

static json_t *handle(nxs_daemon_t *d, const json_t *req, apr_pool_t *p)
{
    const char *op = str(req, "op");

    if (!op) {
        return fail("bad_request");
    }
    if (strcmp(op, "enqueue") == 0) {
        return enqueue(d, req, p);
    }
    if (strcmp(op, "stats") == 0) {
        return stats(d);
    }
    if (strcmp(op, "release") == 0 || strcmp(op, "drop") == 0) {
        return account_op(d, op, str(req, "account"));
    }
    if (strcmp(op, "interaction") == 0) {
        return interaction(d, req);
    }
    return fail("unknown_op");
}

void *APR_THREAD_FUNC nxs_daemon_conn(apr_thread_t *t, void *connv)
{
    nxs_daemon_conn_t *conn = connv;
    apr_socket_t *sock = conn->sock;
    apr_pool_t *p = NULL;

    apr_pool_create(&p, conn->pool);
    for (;;) {
        json_t *req = NULL, *reply;
        apr_status_t rv = nxs_ipc_recv(&req, sock, p);
        if (rv != APR_SUCCESS) {
            break;
        }
        reply = nxs_json_own(handle(nxs_daemon, req, p), p);
        if (nxs_ipc_send(sock, reply, p) != APR_SUCCESS) {
            break;
        }
        apr_pool_clear(p);
    }
    apr_socket_close(sock);
    apr_pool_destroy(conn->pool);
    return NULL;
}
