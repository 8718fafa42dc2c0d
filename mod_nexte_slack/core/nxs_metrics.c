/* Delivery and interaction counters behind one mutex. */
#include "nxs_metrics.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <math.h>

static const char *const NAMES[NXS_M_COUNT] = {"accepted", "duplicates",    "delivered",
                                               "retried",  "dead_lettered", "dropped"};

const double nxs_metrics_buckets[NXS_METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                         0.5,   1.0,  2.5,   5.0,  10.0, INFINITY};

struct nxs_metrics_t {
    apr_thread_mutex_t *lock;
    apr_pool_t *pool;
    apr_uint64_t counters[NXS_M_COUNT];
    apr_hash_t *errors;  /* code -> apr_uint64_t * */
    apr_hash_t *reasons; /* not-posted reason -> apr_uint64_t * */
    apr_uint64_t buckets[NXS_METRICS_BUCKETS];
    double latency_sum;
    apr_uint64_t latency_count;
    apr_uint64_t ix[NXS_IX_COUNT];
    apr_hash_t *refused; /* interaction error code -> apr_uint64_t * */
    apr_uint64_t callbacks_pending;
};

apr_status_t nxs_metrics_create(nxs_metrics_t **out, apr_pool_t *p)
{
    nxs_metrics_t *m = apr_pcalloc(p, sizeof(*m));
    apr_status_t rv = apr_thread_mutex_create(&m->lock, APR_THREAD_MUTEX_DEFAULT, p);

    m->pool = p;
    m->errors = apr_hash_make(p);
    m->reasons = apr_hash_make(p);
    m->refused = apr_hash_make(p);
    *out = m;
    return rv;
}

void nxs_metrics_add(nxs_metrics_t *m, nxs_metric_e which, apr_uint64_t n)
{
    apr_thread_mutex_lock(m->lock);
    m->counters[which] += n;
    apr_thread_mutex_unlock(m->lock);
}

/* One more of KEY in TABLE (under the lock).  Keys come from small sets
 * (Slack's error codes and ours, the routing and filter reasons), so the
 * table stays small; an unknown flood is folded into "other". */
static void count_key(nxs_metrics_t *m, apr_hash_t *table, const char *key)
{
    apr_uint64_t *n = apr_hash_get(table, key, APR_HASH_KEY_STRING);

    if (!n && apr_hash_count(table) >= 64) {
        key = "other";
        n = apr_hash_get(table, key, APR_HASH_KEY_STRING);
    }
    if (!n) {
        n = apr_pcalloc(m->pool, sizeof(*n));
        apr_hash_set(table, apr_pstrdup(m->pool, key), APR_HASH_KEY_STRING, n);
    }
    ++*n;
}

void nxs_metrics_slack_error(nxs_metrics_t *m, const char *code)
{
    apr_thread_mutex_lock(m->lock);
    count_key(m, m->errors, code);
    apr_thread_mutex_unlock(m->lock);
}

void nxs_metrics_not_posted(nxs_metrics_t *m, const char *reason)
{
    apr_thread_mutex_lock(m->lock);
    count_key(m, m->reasons, reason);
    apr_thread_mutex_unlock(m->lock);
}

/* TABLE as a JSON object of counts (under the lock). */
static json_t *counts_json(apr_hash_t *table)
{
    json_t *out = json_object();
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, table); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        json_object_set_new(out, k, json_integer((json_int_t) * (apr_uint64_t *)v));
    }
    return out;
}

void nxs_metrics_interaction(nxs_metrics_t *m, nxs_ix_metric_e which)
{
    apr_thread_mutex_lock(m->lock);
    ++m->ix[which];
    apr_thread_mutex_unlock(m->lock);
}

void nxs_metrics_refused(nxs_metrics_t *m, const char *code)
{
    apr_thread_mutex_lock(m->lock);
    count_key(m, m->refused, code);
    apr_thread_mutex_unlock(m->lock);
}

void nxs_metrics_callback_pending(nxs_metrics_t *m, int delta)
{
    apr_thread_mutex_lock(m->lock);
    if (delta > 0) {
        ++m->callbacks_pending;
    } else if (m->callbacks_pending > 0) {
        --m->callbacks_pending;
    }
    apr_thread_mutex_unlock(m->lock);
}

void nxs_metrics_latency(nxs_metrics_t *m, apr_interval_time_t latency)
{
    double s = (double)latency / (double)APR_USEC_PER_SEC;
    int i;

    apr_thread_mutex_lock(m->lock);
    for (i = 0; i < NXS_METRICS_BUCKETS; ++i) {
        if (s <= nxs_metrics_buckets[i]) {
            ++m->buckets[i];
            break;
        }
    }
    m->latency_sum += s;
    ++m->latency_count;
    apr_thread_mutex_unlock(m->lock);
}

json_t *nxs_metrics_json(nxs_metrics_t *m)
{
    json_t *out = json_object(), *le = json_array(), *counts = json_array();
    apr_uint64_t cumulative = 0;
    int i;

    apr_thread_mutex_lock(m->lock);
    for (i = 0; i < NXS_M_COUNT; ++i) {
        json_object_set_new(out, NAMES[i], json_integer((json_int_t)m->counters[i]));
    }
    for (i = 0; i < NXS_METRICS_BUCKETS; ++i) {
        cumulative += m->buckets[i];
        json_array_append_new(le, isinf(nxs_metrics_buckets[i])
                                      ? json_string("+Inf")
                                      : json_real(nxs_metrics_buckets[i]));
        json_array_append_new(counts, json_integer((json_int_t)cumulative));
    }
    json_object_set_new(out, "slack_errors", counts_json(m->errors));
    json_object_set_new(out, "not_posted", counts_json(m->reasons));
    json_object_set_new(out, "delivery_latency_seconds",
                        json_pack("{s:o, s:o, s:f, s:I}", "le", le, "counts", counts, "sum",
                                  m->latency_sum, "count", (json_int_t)m->latency_count));
    json_object_set_new(
        out, "interactions",
        json_pack("{s:I, s:I, s:o, s:I, s:I}", "clicks", (json_int_t)m->ix[NXS_IX_CLICKS],
                  "handled", (json_int_t)m->ix[NXS_IX_HANDLED], "refused", counts_json(m->refused),
                  "callbacks_pending", (json_int_t)m->callbacks_pending, "callbacks_failed",
                  (json_int_t)m->ix[NXS_IX_CALLBACKS_FAILED]));
    apr_thread_mutex_unlock(m->lock);
    return out;
}
