/* Delivery counters kept by the delivery daemon and reported by the status
 * endpoint: accepted, duplicates, delivered, retried, dead-lettered,
 * dropped, Slack errors by code, accepted events not posted by reason
 * (not_connected, category_unmapped, below_threshold, ...), and a
 * histogram of the delay from acceptance (202) to Slack's answer.
 *
 * Thread safety: every function takes the metrics' own mutex. */
#ifndef NXS_METRICS_H
#define NXS_METRICS_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

typedef struct nxs_metrics_t nxs_metrics_t;

typedef enum {
    NXS_M_ACCEPTED = 0,
    NXS_M_DUPLICATES,
    NXS_M_DELIVERED,
    NXS_M_RETRIED,
    NXS_M_DEAD_LETTERED,
    NXS_M_DROPPED,
    NXS_M_COUNT
} nxs_metric_e;

apr_status_t nxs_metrics_create(nxs_metrics_t **m, apr_pool_t *p);
void nxs_metrics_add(nxs_metrics_t *m, nxs_metric_e which, apr_uint64_t n);
void nxs_metrics_slack_error(nxs_metrics_t *m, const char *code);
void nxs_metrics_not_posted(nxs_metrics_t *m, const char *reason);
void nxs_metrics_latency(nxs_metrics_t *m, apr_interval_time_t latency);

/* A new JSON object with every counter, "slack_errors" and "not_posted"
 * (counts by code and by reason) and the histogram {"le": [...], "counts": [...cumulative], "sum",
 * "count"}. */
json_t *nxs_metrics_json(nxs_metrics_t *m);

/* Upper bounds of the latency buckets, in seconds (the last is +Inf). */
extern const double nxs_metrics_buckets[];
#define NXS_METRICS_BUCKETS 12

#endif
