/* Delivery counters kept by the delivery daemon and reported by the status
 * endpoint: accepted, duplicates, delivered, retried, dead-lettered,
 * dropped, Slack errors by code, accepted events not posted by reason
 * (not_connected, category_unmapped, below_threshold, ...), and a
 * histogram of the delay from acceptance (202) to Slack's answer.  Also the
 * interactions (Slack's clicks): clicks, messages marked handled, refusals
 * by code, and the reports to Nexte core under way and failed.
 *
 * Thread safety: every function takes the metrics' own mutex.
 *
 * Process safety: one nxs_metrics_t exists, in the delivery daemon.  The
 * httpd children never hold one: what they see (an event accepted, a
 * click, a refusal, a report's outcome) reaches it as a frame on the
 * daemon's socket (daemon/nxs_daemon_conn.c), so every child's counts add
 * up in one place.  The counts start at zero when the daemon starts, and a
 * frame the daemon did not take (it was down) is not counted. */
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

typedef enum {
    NXS_IX_CLICKS = 0,       /* button clicks: block_actions payloads with an action */
    NXS_IX_HANDLED,          /* messages marked handled (the first click on each) */
    NXS_IX_CALLBACKS_FAILED, /* reports to Nexte core given up after their tries */
    NXS_IX_COUNT
} nxs_ix_metric_e;

apr_status_t nxs_metrics_create(nxs_metrics_t **m, apr_pool_t *p);
void nxs_metrics_add(nxs_metrics_t *m, nxs_metric_e which, apr_uint64_t n);
void nxs_metrics_slack_error(nxs_metrics_t *m, const char *code);
void nxs_metrics_not_posted(nxs_metrics_t *m, const char *reason);
void nxs_metrics_latency(nxs_metrics_t *m, apr_interval_time_t latency);

void nxs_metrics_interaction(nxs_metrics_t *m, nxs_ix_metric_e which);
/* An interaction answered with a 4xx and error CODE. */
void nxs_metrics_refused(nxs_metrics_t *m, const char *code);
/* A report to Nexte core started (DELTA 1) or ended (-1); the gauge never
 * goes below 0 (an end whose start an earlier daemon counted). */
void nxs_metrics_callback_pending(nxs_metrics_t *m, int delta);

/* A new JSON object with every counter, "slack_errors" and "not_posted"
 * (counts by code and by reason), the histogram "delivery_latency_seconds"
 * {"le": [...], "counts": [...cumulative], "sum", "count"}, and
 * "interactions" {"clicks", "handled", "refused": {code: n},
 * "callbacks_pending", "callbacks_failed"}. */
json_t *nxs_metrics_json(nxs_metrics_t *m);

/* Upper bounds of the latency buckets, in seconds (the last is +Inf). */
extern const double nxs_metrics_buckets[];
#define NXS_METRICS_BUCKETS 12

#endif
