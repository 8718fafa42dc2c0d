/* Durable queue benchmark: group-commit throughput and latency with 1, 8
 * and 32 producer threads (1 KB payloads, one idempotency key per append, as
 * the ingest path does), recovery (open + replay) and checkpoint times, and
 * memory while records wait.  Prints Markdown table rows.
 *
 *   queue_bench DIR appends THREADS SECONDS
 *   queue_bench DIR recovery RECORDS TYPE
 *   queue_bench DIR memory RECORDS [TYPE] */
#include "queue/nxs_queue.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char payload[1024];

static nxs_queue_record_t rec(apr_pool_t *p, unsigned long i, apr_size_t len)
{
    nxs_queue_record_t r;

    memset(&r, 0, sizeof(r));
    r.accepted_at = apr_time_now();
    r.account = "acc_42";
    r.team = "T0123456";
    r.channel = apr_psprintf(p, "C%06lu", i % 2000);
    r.event_id = apr_psprintf(p, "evt_%lu", i);
    r.category = "payments";
    r.delivery_id = apr_psprintf(p, "dlv_%lu", i);
    r.payload = payload;
    r.payload_len = len;
    return r;
}

static double secs(apr_time_t t)
{
    return (double)t / APR_USEC_PER_SEC;
}

static nxs_queue_t *open_q(const char *dir, const char *type, apr_pool_t *p)
{
    nxs_queue_report_t rep;
    nxs_queue_t *q = NULL;
    apr_status_t rv = nxs_queue_open(&q, &rep, type, apr_pstrcat(p, dir, "/queue", NULL), NULL, p);

    if (rv != APR_SUCCESS) {
        fprintf(stderr, "open: %d\n", rv);
        exit(1);
    }
    return q;
}

/* ---- appends ----------------------------------------------------------------- */

typedef struct prod_t {
    nxs_queue_t *q;
    unsigned id;
    volatile int *stop;
    apr_size_t n;
    apr_interval_time_t *lat; /* per append */
    apr_size_t cap;
} prod_t;

static void *APR_THREAD_FUNC produce(apr_thread_t *t, void *data)
{
    prod_t *pr = data;
    apr_pool_t *p = NULL;
    apr_uint64_t seq;
    int dup;

    apr_pool_create(&p, NULL);
    while (!*pr->stop) {
        unsigned long i = (unsigned long)pr->id * 100000000UL + pr->n;
        nxs_queue_record_t r = rec(p, i, sizeof(payload));
        nxs_queue_idem_t k = {"acc_42", r.event_id, apr_time_now() + apr_time_from_sec(3600)};
        apr_time_t t0 = apr_time_now();
        if (nxs_queue_append(&seq, &dup, pr->q, &r, 1, &k) != APR_SUCCESS) {
            fprintf(stderr, "append failed\n");
            exit(1);
        }
        if (pr->n < pr->cap) {
            pr->lat[pr->n] = apr_time_now() - t0;
        }
        ++pr->n;
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return NULL;
}

static int lat_cmp(const void *a, const void *b)
{
    apr_interval_time_t x = *(const apr_interval_time_t *)a, y = *(const apr_interval_time_t *)b;
    return x < y ? -1 : x > y;
}

static void appends(const char *dir, unsigned threads, unsigned seconds, apr_pool_t *p)
{
    nxs_queue_t *q = open_q(dir, NULL, p);
    prod_t *pr = apr_pcalloc(p, threads * sizeof(*pr));
    apr_thread_t **th = apr_pcalloc(p, threads * sizeof(*th));
    apr_interval_time_t *all;
    volatile int stop = 0;
    nxs_queue_stats_t st;
    apr_size_t total = 0, nl = 0, i, j;
    apr_status_t trv;
    apr_time_t t0, t1;
    unsigned k;

    for (k = 0; k < threads; ++k) {
        pr[k].q = q;
        pr[k].id = k;
        pr[k].stop = &stop;
        pr[k].cap = 2000000 / threads;
        pr[k].lat = malloc(pr[k].cap * sizeof(*pr[k].lat));
    }
    t0 = apr_time_now();
    for (k = 0; k < threads; ++k) {
        apr_thread_create(&th[k], NULL, produce, &pr[k], p);
    }
    apr_sleep(apr_time_from_sec(seconds));
    stop = 1;
    for (k = 0; k < threads; ++k) {
        apr_thread_join(&trv, th[k]);
        total += pr[k].n;
        nl += pr[k].n < pr[k].cap ? pr[k].n : pr[k].cap;
    }
    t1 = apr_time_now();
    all = malloc(nl * sizeof(*all));
    for (k = 0, j = 0; k < threads; ++k) {
        for (i = 0; i < pr[k].n && i < pr[k].cap; ++i) {
            all[j++] = pr[k].lat[i];
        }
        free(pr[k].lat);
    }
    qsort(all, nl, sizeof(*all), lat_cmp);
    nxs_queue_stats(&st, q);
    printf("| appends | %u producer thread%s, 1 KB + key, %u s | %.0f records/s | "
           "%.1f records per fdatasync (%.0f syncs/s); latency p50 %.2f ms, p99 %.2f ms |\n",
           threads, threads > 1 ? "s" : "", seconds, (double)total / secs(t1 - t0),
           (double)st.committed_records / (double)st.commits, (double)st.commits / secs(t1 - t0),
           (double)all[nl / 2] / 1000.0, (double)all[nl * 99 / 100] / 1000.0);
    free(all);
    nxs_queue_close(q);
}

/* ---- recovery and checkpoint -------------------------------------------------- */

static apr_status_t count(void *baton, const nxs_queue_record_t *r)
{
    ++*(apr_size_t *)baton;
    return APR_SUCCESS;
}

static void fill(nxs_queue_t *q, apr_size_t n, apr_size_t len, apr_pool_t *p)
{
    nxs_queue_record_t *recs = apr_palloc(p, 1000 * sizeof(*recs));
    apr_pool_t *bp = NULL;
    apr_uint64_t seq;
    apr_size_t i, b;
    int dup;

    apr_pool_create(&bp, p);
    for (i = 0; i < n; i += b) {
        for (b = 0; b < 1000 && i + b < n; ++b) {
            recs[b] = rec(bp, i + b, len);
        }
        if (nxs_queue_append(&seq, &dup, q, recs, b, NULL) != APR_SUCCESS) {
            fprintf(stderr, "fill failed\n");
            exit(1);
        }
        apr_pool_clear(bp);
    }
    apr_pool_destroy(bp);
}

static void reopen_replay(const char *what, const char *dir, const char *type, apr_size_t n,
                          apr_pool_t *p)
{
    apr_pool_t *sp = NULL;
    apr_size_t seen = 0;
    apr_time_t t0 = apr_time_now(), t1, t2;
    nxs_queue_t *q;

    apr_pool_create(&sp, p);
    q = open_q(dir, type, sp);
    t1 = apr_time_now();
    nxs_queue_replay(q, count, &seen, sp);
    t2 = apr_time_now();
    printf("| recovery | %s, %lu records of 1 KB, %s | %.2f s | open %.2f s + replay %.2f s "
           "(%.0f records/s)%s |\n",
           type, (unsigned long)n, what, secs(t2 - t0), secs(t1 - t0), secs(t2 - t1),
           (double)n / secs(t2 - t0), seen == n ? "" : " MISMATCH");
    nxs_queue_close(q);
    apr_pool_destroy(sp);
}

static void recovery(const char *dir, apr_size_t n, const char *type, apr_pool_t *p)
{
    nxs_queue_t *q = open_q(dir, type, p);
    nxs_queue_stats_t st;

    fill(q, n, sizeof(payload), p);
    nxs_queue_close(q);
    reopen_replay("from the log", dir, type, n, p);
    q = open_q(dir, type, p);
    nxs_queue_checkpoint(q);
    nxs_queue_stats(&st, q);
    printf(
        "| checkpoint | %s, %lu records of 1 KB | %.2f s | snapshot %.1f MiB (%.0f records/s) |\n",
        type, (unsigned long)n, secs(st.last_checkpoint_took),
        (double)st.snapshot_bytes / (1024.0 * 1024.0), (double)n / secs(st.last_checkpoint_took));
    nxs_queue_close(q);
    reopen_replay("from the snapshot", dir, type, n, p);
}

/* ---- memory -------------------------------------------------------------------- */

/* RSS in MiB from /proc/self/status: "RssAnon" (heap) or "RssFile"
 * (mapped files, such as GDBM's mmap of the snapshot). */
static double rss_mib(const char *which)
{
    char line[256];
    double kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    apr_size_t wl = strlen(which);

    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, which, wl) && line[wl] == ':') {
            kb = atof(line + wl + 1);
        }
    }
    if (f) {
        fclose(f);
    }
    return kb / 1024.0;
}

static void memory(const char *dir, apr_size_t n, const char *type, apr_pool_t *p)
{
    double anon0 = rss_mib("RssAnon"), file0 = rss_mib("RssFile"), anon1, file1;
    nxs_queue_t *q = open_q(dir, type, p);
    nxs_queue_stats_t st;
    apr_pool_t *sp = NULL;
    apr_size_t seen = 0;

    fill(q, n, 100, p);
    anon1 = rss_mib("RssAnon");
    nxs_queue_stats(&st, q);
    printf(
        "| memory | %s, %lu records waiting, appended (payloads on disk) | %.1f MiB RSS growth | "
        "heap %.1f MiB, mapped files %.1f MiB; index %.1f MiB = %.1f bytes/record |\n",
        type, (unsigned long)n, anon1 - anon0 + rss_mib("RssFile") - file0, anon1 - anon0,
        rss_mib("RssFile") - file0, (double)st.index_bytes / (1024.0 * 1024.0),
        (double)st.index_bytes / (double)n);
    nxs_queue_checkpoint(q);
    nxs_queue_close(q);
    apr_pool_create(&sp, p);
    q = open_q(dir, type, sp);
    nxs_queue_replay(q, count, &seen, sp);
    anon1 = rss_mib("RssAnon");
    file1 = rss_mib("RssFile");
    nxs_queue_stats(&st, q);
    printf("| memory | %s, the same after a checkpoint, a restart and a replay | %.1f MiB RSS "
           "growth | "
           "heap %.1f MiB, mapped files %.1f MiB; index %.1f MiB = %.1f bytes/record |\n",
           type, anon1 - anon0 + file1 - file0, anon1 - anon0, file1 - file0,
           (double)st.index_bytes / (1024.0 * 1024.0), (double)st.index_bytes / (double)n);
    nxs_queue_close(q);
    apr_pool_destroy(sp);
}

int main(int argc, char **argv)
{
    apr_pool_t *p = NULL;
    apr_size_t i;

    if (argc < 4) {
        fprintf(stderr,
                "usage: %s DIR appends THREADS SECONDS | recovery RECORDS TYPE | "
                "memory RECORDS\n",
                argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(payload); ++i) {
        payload[i] = (char)('a' + i % 26);
    }
    if (!strcmp(argv[2], "appends") && argc > 4) {
        appends(argv[1], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]), p);
    } else if (!strcmp(argv[2], "recovery") && argc > 4) {
        recovery(argv[1], (apr_size_t)atol(argv[3]), argv[4], p);
    } else if (!strcmp(argv[2], "memory")) {
        memory(argv[1], (apr_size_t)atol(argv[3]), argc > 4 ? argv[4] : "GDBM", p);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
