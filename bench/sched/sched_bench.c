/* Micro-benchmark of the delivery scheduler (nxs_sched): memory per waiting
 * item and CPU per operation, with a simulated clock so that the 1/s
 * per-channel rate costs no real waiting.
 *
 *   sched_bench [ITEMS [CHANNELS [ROUNDS]]]     defaults 1000000 2000 3
 *
 * Round 1 measures memory: process RSS (/proc/self/statm) and malloc's
 * in-use bytes (mallinfo2) before and after queueing ITEMS, and the
 * scheduler's own count.  Every round times: add, a full drain at the
 * default rate (1/s, burst 3) with next + done(DELIVERED) and an expiry
 * sweep at each wake-up, and a drain with the bucket out of the way (every
 * channel always ready, the heap at its busiest).  Prints Markdown rows. */
#include "sched/nxs_sched.h"

#include <apr_general.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define T0 ((apr_time_t)1700000000 * APR_USEC_PER_SEC)

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2) {
        fprintf(stderr, "cannot read /proc/self/statm\n");
        exit(1);
    }
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Small blocks plus mmap()ed large ones (big rings). */
static size_t malloc_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static void dead(void *baton, const nxs_sched_item_t *item)
{
    (void)item;
    ++*(long *)baton;
}

typedef struct names_t {
    char (*chan)[16];
    char (*acct)[16];
    int channels;
} names_t;

/* The item count of the busiest channel, with fill()'s distribution. */
static long most_per_channel(const names_t *n, long items)
{
    long *count = calloc((size_t)n->channels, sizeof(long));
    apr_uint64_t rnd = 2024;
    long i, most = 0;

    for (i = 0; i < items; ++i) {
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        if (++count[(rnd >> 33) % (apr_uint64_t)n->channels] > most) {
            most = count[(rnd >> 33) % (apr_uint64_t)n->channels];
        }
    }
    free(count);
    return most;
}

static double fill(nxs_sched_t *s, const names_t *n, long items)
{
    apr_uint64_t rnd = 2024;
    double t = now_ns();
    long i;

    for (i = 0; i < items; ++i) {
        nxs_sched_item_t it;
        int c;
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        c = (int)((rnd >> 33) % (apr_uint64_t)n->channels);
        it.seq = (apr_uint64_t)i + 1;
        it.account = n->acct[c];
        it.team = "T0123456789";
        it.channel = n->chan[c];
        it.accepted_at = T0 + i; /* one per microsecond: a burst of traffic */
        it.attempts = 0;
        if (nxs_sched_add(s, &it) != APR_SUCCESS) {
            fprintf(stderr, "add failed at %ld\n", i);
            exit(1);
        }
    }
    return (now_ns() - t) / (double)items;
}

/* Drains everything; returns ns per delivered item and the simulated time
 * the drain took in *span. */
static double drain(nxs_sched_t *s, long items, apr_time_t *span, long *wakeups)
{
    apr_time_t now = T0 + apr_time_from_sec(1);
    apr_time_t start = now;
    long sent = 0, expired = 0;
    double t = now_ns();

    *wakeups = 0;
    while (sent < items) {
        nxs_sched_item_t it;
        apr_time_t wake;
        nxs_sched_fate_e fate;
        if (nxs_sched_next(&it, &wake, s, now)) {
            nxs_sched_done(&fate, NULL, s, it.seq, NXS_SCHED_DELIVERED, 0, now);
            ++sent;
            continue;
        }
        if (wake == 0) {
            fprintf(stderr, "stalled after %ld\n", sent);
            exit(1);
        }
        now = wake;
        ++*wakeups;
        nxs_sched_expire(s, now, dead, &expired);
    }
    *span = now - start;
    if (expired) {
        fprintf(stderr, "%ld expired\n", expired);
        exit(1);
    }
    return (now_ns() - t) / (double)items;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long items = argc > 1 ? atol(argv[1]) : 1000000;
    int channels = argc > 2 ? atoi(argv[2]) : 2000;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    double add_ns[16], drain_ns[16], free_ns[16];
    names_t n;
    apr_pool_t *root;
    apr_time_t span = 0;
    long wakeups = 0;
    int r, c;

    if (items < 1 || channels < 1 || rounds < 1 || rounds > 16) {
        fprintf(stderr, "usage: %s [ITEMS [CHANNELS [ROUNDS<=16]]]\n", argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&root, NULL);
    n.channels = channels;
    n.chan = malloc(sizeof(*n.chan) * (size_t)channels);
    n.acct = malloc(sizeof(*n.acct) * (size_t)channels);
    for (c = 0; c < channels; ++c) {
        snprintf(n.chan[c], sizeof(n.chan[c]), "C%08d", c);
        snprintf(n.acct[c], sizeof(n.acct[c]), "acct-%05d", c / 10); /* 10 per account */
    }
    for (r = 0; r < rounds; ++r) {
        nxs_sched_config_t cfg;
        nxs_sched_t *s;
        apr_pool_t *p;
        long rss0 = rss_bytes();
        size_t heap0 = malloc_in_use();

        nxs_sched_config_default(&cfg);
        apr_pool_create(&p, root);
        nxs_sched_create(&s, &cfg, p);
        add_ns[r] = fill(s, &n, items);
        if (r == 0) {
            nxs_sched_stats_t st;
            long rss1 = rss_bytes();
            size_t heap1 = malloc_in_use();
            nxs_sched_stats(&st, s);
            printf("| memory | RSS growth with %ld items waiting over %d channels | %.1f MiB "
                   "| %.1f bytes/item |\n",
                   items, channels, (double)(rss1 - rss0) / 1048576.0,
                   (double)(rss1 - rss0) / (double)items);
            printf("| memory | malloc in use (mallinfo2) | %.1f MiB | %.1f bytes/item |\n",
                   (double)(heap1 - heap0) / 1048576.0, (double)(heap1 - heap0) / (double)items);
            printf(
                "| memory | scheduler's own count (stats.bytes) | %.1f MiB | %.1f bytes/item |\n",
                (double)st.bytes / 1048576.0, (double)st.bytes / (double)items);
        }
        drain_ns[r] = drain(s, items, &span, &wakeups);
        apr_pool_destroy(p);
        if (r == 0) {
            /* Each channel's k-th item can go at (k - burst + 1) s at the
             * earliest: the busiest channel bounds the drain. */
            printf("| drain | simulated time to drain at 1/s burst 3 | %.0f s | bound %ld s, "
                   "%ld wake-ups |\n",
                   (double)span / 1e6, most_per_channel(&n, items) - (long)cfg.burst, wakeups);
        }

        /* The same queue with the bucket out of the way: every channel is
         * always ready, so each next/done is a full heap pop and push. */
        cfg.rate = 1e6;
        cfg.burst = 1000000;
        apr_pool_create(&p, root);
        nxs_sched_create(&s, &cfg, p);
        fill(s, &n, items);
        free_ns[r] = drain(s, items, &span, &wakeups);
        apr_pool_destroy(p);
    }
    qsort(add_ns, (size_t)rounds, sizeof(double), cmp_double);
    qsort(drain_ns, (size_t)rounds, sizeof(double), cmp_double);
    qsort(free_ns, (size_t)rounds, sizeof(double), cmp_double);
    printf("| cpu | add, per item (median of %d) | %.0f ns | min %.0f ns |\n", rounds,
           add_ns[rounds / 2], add_ns[0]);
    printf("| cpu | next + done, 1/s burst 3, expiry sweep per wake-up (median) | %.0f ns "
           "| min %.0f ns |\n",
           drain_ns[rounds / 2], drain_ns[0]);
    printf("| cpu | next + done, every channel always ready (median) | %.0f ns | min %.0f ns |\n",
           free_ns[rounds / 2], free_ns[0]);
    free(n.chan);
    free(n.acct);
    apr_pool_destroy(root);
    apr_terminate();
    return 0;
}
