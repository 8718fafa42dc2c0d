/*
 * primitives.c - micro-benchmarks of the storage and IPC primitives that the
 * mod_nexte_slack architecture could be built on:
 *
 *   dbm TYPE DIR          apr_dbm throughput (open/store/close per op, with and
 *                         without fdatasync, kept-open stores, group commit,
 *                         steady-state queue, deletes, iteration of 100k)
 *   socache TYPE DIR      httpd's mod_socache_dbm pattern from 1 and 8
 *                         processes: global mutex + open/store/delete/close
 *   visible TYPE DIR      are stored records in the file (kernel page cache)
 *                         before apr_dbm_close, and after kill -9 of the writer?
 *   crash TYPE MODE METHOD DIR KILLS
 *                         kill -9 torture: a child stores batches of 64
 *                         records, syncs with METHOD and acknowledges the last
 *                         sequence number in a side file; the parent kills it
 *                         at a random moment and checks the dbm.
 *                         MODE: insert | mixed (stores + deletes of old batches,
 *                         variable value sizes). METHOD: fsync (fdatasync of
 *                         the dbm file(s) through a separate O_RDONLY fd) |
 *                         reopen (apr_dbm_close + reopen, then fdatasync).
 *   crash LOG DIR KILLS   the same torture for a plain append-only log of
 *                         checksummed records (reference, not a DBM)
 *   uds DIR               Unix domain stream socket request/response
 *   fsync DIR             write+fdatasync baselines on a plain file
 *
 * Environment: PRIM_SECONDS (length of each timed measure, default 2),
 * PRIM_SEED (seed of the kill-time generator), PRIM_VERBOSE (print each
 * failed kill), PRIM_KEEP (keep copies of failed crash files, *.failed-N).
 *
 * Results are printed as Markdown table rows:
 *   | test | type | measure | result |
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_dbm.h>
#include <apr_global_mutex.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double g_secs = 2.0;
static apr_pool_t *g_pool;

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double elapsed_s(uint64_t t0)
{
    return (double)(now_ns() - t0) / 1e9;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "primitives: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void row(const char *test, const char *type, const char *measure, const char *fmt, ...)
{
    char val[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    printf("| %s | %s | %s | %s |\n", test, type, measure, val);
    fflush(stdout);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void sleep_ms(double ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000.0);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* records: key "m" + 12 digits; value = seq(8) len(4) payload fnv1a(8)      */

#define KEYLEN 13
#define MAXVAL 1024

static size_t g_fixed_len = 1024; /* value length when !g_varlen */
static int g_varlen;              /* variable value sizes (mixed workload) */

static size_t value_len(uint64_t seq)
{
    if (!g_varlen)
        return g_fixed_len;
    return 200 + (size_t)(mix64(seq ^ 0x5eed) % (g_fixed_len - 200 + 1));
}

static void make_key(char *k, uint64_t seq)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "m%012" PRIu64, seq);
    memcpy(k, tmp, KEYLEN);
}

static int parse_key(const char *p, size_t n, uint64_t *seq)
{
    uint64_t s = 0;
    if (n != KEYLEN || p[0] != 'm')
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        s = s * 10 + (uint64_t)(p[i] - '0');
    }
    *seq = s;
    return 1;
}

static void make_value(unsigned char *v, uint64_t seq, size_t len)
{
    uint32_t l = (uint32_t)len;
    uint64_t s = mix64(seq), h;
    memcpy(v, &seq, 8);
    memcpy(v + 8, &l, 4);
    for (size_t i = 12; i < len - 8; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (unsigned char)(s >> 56);
    }
    h = fnv1a(v, len - 8);
    memcpy(v + len - 8, &h, 8);
}

static int check_value(const unsigned char *v, size_t len, uint64_t seq)
{
    uint64_t s, h;
    uint32_t l;
    if (len < 20 || len != value_len(seq))
        return 0;
    memcpy(&s, v, 8);
    memcpy(&l, v + 8, 4);
    memcpy(&h, v + len - 8, 8);
    return s == seq && l == len && h == fnv1a(v, len - 8);
}

/* ------------------------------------------------------------------------ */
/* apr_dbm handle with a separate sync descriptor per underlying file       */

typedef struct {
    const char *type;
    const char *path;
    const char *used[2];
    apr_pool_t *parent;
    apr_pool_t *p;
    apr_dbm_t *db;
    int sfd[2];
    int nsfd;
} dbh;

static void dbh_init(dbh *h, apr_pool_t *pool, const char *type, const char *path)
{
    memset(h, 0, sizeof(*h));
    h->type = type;
    h->path = apr_pstrdup(pool, path);
    h->parent = pool;
    h->sfd[0] = h->sfd[1] = -1;
    if (apr_dbm_get_usednames_ex(pool, type, path, &h->used[0], &h->used[1]) != APR_SUCCESS)
        die("unknown dbm type %s", type);
}

static apr_status_t dbh_open(dbh *h, apr_int32_t mode)
{
    apr_status_t rv;
    apr_pool_create(&h->p, h->parent);
    rv = apr_dbm_open_ex(&h->db, h->type, h->path, mode, APR_OS_DEFAULT, h->p);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(h->p);
        h->p = NULL;
        h->db = NULL;
    }
    return rv;
}

static void dbh_close(dbh *h)
{
    if (h->db)
        apr_dbm_close(h->db);
    h->db = NULL;
    if (h->p)
        apr_pool_destroy(h->p);
    h->p = NULL;
}

static void dbh_open_syncfds(dbh *h)
{
    h->nsfd = 0;
    for (int i = 0; i < 2; i++) {
        if (!h->used[i])
            continue;
        int fd = open(h->used[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die("open %s: %s", h->used[i], strerror(errno));
        h->sfd[h->nsfd++] = fd;
    }
}

static void dbh_close_syncfds(dbh *h)
{
    for (int i = 0; i < h->nsfd; i++)
        close(h->sfd[i]);
    h->nsfd = 0;
}

static int dbh_sync(dbh *h)
{
    for (int i = 0; i < h->nsfd; i++)
        if (fdatasync(h->sfd[i]) != 0)
            return -1;
    return 0;
}

static void dbh_remove(dbh *h)
{
    for (int i = 0; i < 2; i++)
        if (h->used[i])
            unlink(h->used[i]);
}

static apr_status_t dbh_store(dbh *h, uint64_t seq, const unsigned char *v, size_t len)
{
    char k[KEYLEN];
    apr_datum_t key, val;
    make_key(k, seq);
    key.dptr = k;
    key.dsize = KEYLEN;
    val.dptr = (char *)v;
    val.dsize = len;
    return apr_dbm_store(h->db, key, val);
}

static apr_status_t dbh_delete(dbh *h, uint64_t seq)
{
    char k[KEYLEN];
    apr_datum_t key;
    make_key(k, seq);
    key.dptr = k;
    key.dsize = KEYLEN;
    return apr_dbm_delete(h->db, key);
}

/* 1 = present and intact, 0 = missing, -1 = present but corrupt */
static int dbh_fetch_check(dbh *h, uint64_t seq)
{
    char k[KEYLEN];
    apr_datum_t key, val;
    int ok;
    make_key(k, seq);
    key.dptr = k;
    key.dsize = KEYLEN;
    memset(&val, 0, sizeof(val));
    if (apr_dbm_fetch(h->db, key, &val) != APR_SUCCESS || val.dptr == NULL)
        return 0;
    ok = check_value((const unsigned char *)val.dptr, val.dsize, seq) ? 1 : -1;
    apr_dbm_freedatum(h->db, val);
    return ok;
}

/* value length per dbm type: SDBM pairs are limited to 1008 bytes */
static size_t type_value_len(const char *type)
{
    return strcmp(type, "SDBM") == 0 ? 900 : 1024;
}

/* ------------------------------------------------------------------------ */
/* dbm throughput                                                            */

#define BATCH 64

static void perf_dbm(const char *type, const char *dir)
{
    unsigned char v[MAXVAL];
    char measure[160];
    const char *path = apr_psprintf(g_pool, "%s/perf-%s", dir, type);
    dbh h;
    uint64_t t0, n, fail;
    double dt;
    size_t len = type_value_len(type);

    g_fixed_len = len;
    g_varlen = 0;
    make_value(v, 1, len); /* payload; only the seq bytes change below */
    dbh_init(&h, g_pool, type, path);

    /* (a) and (b): open(RWCREATE) + store + close [+ fdatasync] per op */
    for (int dosync = 0; dosync < 2; dosync++) {
        dbh_remove(&h);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            die("%s: cannot create %s", type, path);
        dbh_close(&h);
        if (dosync)
            dbh_open_syncfds(&h);
        n = fail = 0;
        t0 = now_ns();
        while (elapsed_s(t0) < g_secs && n < 200000) {
            if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
                die("%s: open failed", type);
            memcpy(v, &n, 8);
            if (dbh_store(&h, n + 1, v, len) != APR_SUCCESS)
                fail++;
            dbh_close(&h);
            if (dosync && dbh_sync(&h) != 0)
                die("fdatasync: %s", strerror(errno));
            n++;
        }
        dt = elapsed_s(t0);
        snprintf(measure, sizeof(measure), "(%s) open(RWCREATE)+store %zu B+close%s per op",
                 dosync ? "b" : "a", len, dosync ? "+fdatasync" : "");
        row("dbm", type, measure, "%.0f ops/s", (double)n / dt);
        if (fail)
            row("dbm", type, "  store failures in the run above", "%" PRIu64, fail);
        dbh_close_syncfds(&h);
    }

    /* (c) handle kept open, store only */
    dbh_remove(&h);
    if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
        die("%s: open failed", type);
    n = fail = 0;
    t0 = now_ns();
    while (elapsed_s(t0) < g_secs && n < 200000) {
        memcpy(v, &n, 8);
        if (dbh_store(&h, n + 1, v, len) != APR_SUCCESS)
            fail++;
        n++;
    }
    dt = elapsed_s(t0);
    snprintf(measure, sizeof(measure),
             "(c) handle kept open, store %zu B only (%" PRIu64 " records)", len, n);
    row("dbm", type, measure, "%.0f ops/s", (double)n / dt);
    if (fail)
        row("dbm", type, "  store failures in the run above", "%" PRIu64, fail);
    t0 = now_ns();
    dbh_close(&h);
    row("dbm", type, "  apr_dbm_close after (c)", "%.1f ms", elapsed_s(t0) * 1e3);

    /* (d) group commit: 64 stores, then sync */
    for (int method = 0; method < 2; method++) {
        uint64_t s0, sync_ns = 0, batches = 0;
        dbh_remove(&h);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            die("%s: open failed", type);
        dbh_open_syncfds(&h);
        n = fail = 0;
        t0 = now_ns();
        while (elapsed_s(t0) < g_secs && n < 300000) {
            for (int i = 0; i < BATCH; i++, n++) {
                memcpy(v, &n, 8);
                if (dbh_store(&h, n + 1, v, len) != APR_SUCCESS)
                    fail++;
            }
            s0 = now_ns();
            if (method == 1) {
                dbh_close(&h);
                if (dbh_open(&h, APR_DBM_READWRITE) != APR_SUCCESS)
                    die("%s: reopen failed", type);
            }
            if (dbh_sync(&h) != 0)
                die("fdatasync: %s", strerror(errno));
            sync_ns += now_ns() - s0;
            batches++;
        }
        dt = elapsed_s(t0);
        snprintf(measure, sizeof(measure), "(d%d) group commit: %d stores + %s", method + 1, BATCH,
                 method ? "close+reopen+fdatasync" : "fdatasync(separate fd)");
        row("dbm", type, measure, "%.0f records/s (sync %.2f ms/batch)", (double)n / dt,
            (double)sync_ns / 1e6 / (double)(batches ? batches : 1));
        if (fail)
            row("dbm", type, "  store failures in the run above", "%" PRIu64, fail);
        dbh_close(&h);
        dbh_close_syncfds(&h);
    }

    /* (g) steady-state queue: a window of 4096 live records; every new record
     * is stored and the oldest one deleted, so the file stops growing and
     * freed space is reused (the daemon's real workload) */
    for (int method = 0; method < 3; method++) {
        const uint64_t win = 4096;
        static const char *names[] = {
            "(g1) steady queue (4096 live): store+delete, no sync",
            "(g2) steady queue: 64 x (store+delete) + fdatasync(separate fd)",
            "(g3) steady queue: 64 x (store+delete) + close+reopen+fdatasync",
        };
        dbh_remove(&h);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            die("%s: open failed", type);
        dbh_open_syncfds(&h);
        for (n = 0; n < win; n++) {
            memcpy(v, &n, 8);
            (void)dbh_store(&h, n + 1, v, len);
        }
        /* warm up: one full window of turnover */
        for (uint64_t i = 0; i < win; i++, n++) {
            memcpy(v, &n, 8);
            (void)dbh_store(&h, n + 1, v, len);
            (void)dbh_delete(&h, n + 1 - win);
        }
        dbh_close(&h);
        if (dbh_open(&h, APR_DBM_READWRITE) != APR_SUCCESS)
            die("%s: open failed", type);
        {
            uint64_t n0 = n, s0, sync_ns = 0, batches = 0;
            struct stat st0, st1;
            stat(h.used[h.used[1] ? 1 : 0], &st0);
            fail = 0;
            t0 = now_ns();
            while (elapsed_s(t0) < g_secs && n - n0 < 2000000) {
                for (int i = 0; i < BATCH; i++, n++) {
                    memcpy(v, &n, 8);
                    if (dbh_store(&h, n + 1, v, len) != APR_SUCCESS)
                        fail++;
                    if (dbh_delete(&h, n + 1 - win) != APR_SUCCESS)
                        fail++;
                }
                s0 = now_ns();
                if (method == 2) {
                    dbh_close(&h);
                    if (dbh_open(&h, APR_DBM_READWRITE) != APR_SUCCESS)
                        die("%s: reopen failed", type);
                }
                if (method > 0 && dbh_sync(&h) != 0)
                    die("fdatasync: %s", strerror(errno));
                sync_ns += now_ns() - s0;
                batches++;
            }
            dt = elapsed_s(t0);
            stat(h.used[h.used[1] ? 1 : 0], &st1);
            if (method == 0)
                row("dbm", type, names[method], "%.0f records/s", (double)(n - n0) / dt);
            else
                row("dbm", type, names[method], "%.0f records/s (sync %.2f ms/batch)",
                    (double)(n - n0) / dt, (double)sync_ns / 1e6 / (double)(batches ? batches : 1));
            if (fail)
                row("dbm", type, "  store/delete failures in the run above", "%" PRIu64, fail);
            if (method == 0)
                row("dbm", type, "  file growth during (g1)", "%.1f MiB",
                    (double)(st1.st_blocks - st0.st_blocks) * 512.0 / 1048576.0);
        }
        dbh_close(&h);
        dbh_close_syncfds(&h);
    }

    /* (e) deletes, handle kept open, over a 50k-record file */
    {
        const uint64_t pre = 50000;
        dbh_remove(&h);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            die("%s: open failed", type);
        for (n = 0; n < pre; n++) {
            memcpy(v, &n, 8);
            (void)dbh_store(&h, n + 1, v, len);
        }
        dbh_close(&h);
        if (dbh_open(&h, APR_DBM_READWRITE) != APR_SUCCESS)
            die("%s: open failed", type);
        n = fail = 0;
        t0 = now_ns();
        while (elapsed_s(t0) < g_secs && n < pre) {
            if (dbh_delete(&h, n + 1) != APR_SUCCESS)
                fail++;
            n++;
        }
        dt = elapsed_s(t0);
        row("dbm", type, "(e) delete, handle kept open (50k-record file)", "%.0f ops/s",
            (double)n / dt);
        if (fail)
            row("dbm", type, "  delete failures (key not found?)", "%" PRIu64, fail);
        dbh_close(&h);
    }

    /* (f) full iteration of 100k records */
    {
        const uint64_t pre = 100000;
        apr_datum_t key, old;
        uint64_t cnt = 0, cnt2 = 0, bad = 0;
        int timed_out = 0;
        char(*keys)[KEYLEN] = malloc(sizeof(*keys) * (pre + 1000));
        dbh_remove(&h);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            die("%s: open failed", type);
        fail = 0;
        t0 = now_ns();
        for (n = 0; n < pre; n++) {
            make_value(v, n + 1, len);
            if (dbh_store(&h, n + 1, v, len) != APR_SUCCESS)
                fail++;
        }
        dt = elapsed_s(t0);
        dbh_close(&h);
        row("dbm", type, "(f) prefill 100k records, handle kept open", "%.0f ops/s",
            (double)pre / dt);
        if (fail)
            row("dbm", type, "  store failures during prefill", "%" PRIu64, fail);
        {
            struct stat st;
            double mb = 0;
            for (int i = 0; i < 2; i++)
                if (h.used[i] && stat(h.used[i], &st) == 0)
                    mb += (double)st.st_blocks * 512.0 / 1048576.0;
            row("dbm", type, "  disk usage of 100k records", "%.1f MiB", mb);
        }
        if (dbh_open(&h, APR_DBM_READONLY) != APR_SUCCESS)
            die("%s: open failed", type);
        t0 = now_ns();
        apr_dbm_firstkey(h.db, &key);
        while (key.dptr != NULL) {
            if ((cnt & 255) == 0 && elapsed_s(t0) > 10 * g_secs) {
                timed_out = 1; /* SDBM walks every page of a sparse file */
                break;
            }
            if (cnt < pre + 1000) {
                if (key.dsize == KEYLEN)
                    memcpy(keys[cnt], key.dptr, KEYLEN);
                else
                    memset(keys[cnt], 'X', KEYLEN);
            }
            cnt++;
            old = key;
            apr_dbm_nextkey(h.db, &key);
            apr_dbm_freedatum(h.db, old);
        }
        dt = elapsed_s(t0);
        snprintf(measure, sizeof(measure),
                 "(f) iterate keys firstkey/nextkey (%" PRIu64 " keys, %.0f ms%s)", cnt, dt * 1e3,
                 timed_out ? ", GAVE UP" : "");
        row("dbm", type, measure, "%.0f keys/s", (double)cnt / dt);
        t0 = now_ns();
        for (uint64_t i = 0; i < cnt && i < pre + 1000; i++) {
            uint64_t seq;
            if (!parse_key(keys[i], KEYLEN, &seq) || dbh_fetch_check(&h, seq) != 1)
                bad++;
            cnt2++;
        }
        dt = elapsed_s(t0);
        snprintf(measure, sizeof(measure),
                 "(f) then fetch+verify each value (%.0f ms, %" PRIu64 " bad)", dt * 1e3, bad);
        row("dbm", type, measure, "%.0f records/s", (double)cnt2 / dt);
        dbh_close(&h);
        free(keys);
    }
    dbh_remove(&h);
}

/* ------------------------------------------------------------------------ */
/* httpd's mod_socache_dbm pattern: several processes, each operation is     */
/* global lock -> apr_dbm_open -> store (+ delete of an old record) ->       */
/* close [-> fdatasync] -> unlock                                            */

#define SC_MAXLAT 400000

static void socache(const char *type, const char *dir)
{
    static const int nprocs[] = {1, 8};
    const char *path = apr_psprintf(g_pool, "%s/socache-%s", dir, type);
    const char *lockpath = apr_psprintf(g_pool, "%s/socache-%s.lock", dir, type);
    size_t len = type_value_len(type);
    dbh h;

    g_fixed_len = len;
    g_varlen = 0;
    dbh_init(&h, g_pool, type, path);
    for (int dosync = 0; dosync < 3; dosync++) {
        for (size_t pi = 0; pi < sizeof(nprocs) / sizeof(nprocs[0]); pi++) {
            int np = nprocs[pi];
            apr_global_mutex_t *mutex;
            uint64_t *shm, total = 0, errors = 0, *all;
            size_t shmsize = (size_t)np * (SC_MAXLAT + 2) * sizeof(uint64_t), k = 0;
            uint64_t t0;
            double dt;
            char measure[200];

            dbh_remove(&h);
            if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
                die("%s: create failed", type);
            dbh_close(&h);
            if (apr_global_mutex_create(&mutex, lockpath, APR_LOCK_DEFAULT, g_pool) != APR_SUCCESS)
                die("apr_global_mutex_create");
            shm = mmap(NULL, shmsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (shm == MAP_FAILED)
                die("mmap");
            t0 = now_ns();
            for (int w = 0; w < np; w++) {
                if (fork() == 0) {
                    /* slot: [0] count, [1] errors, [2..] latencies */
                    uint64_t *slot = shm + (size_t)w * (SC_MAXLAT + 2);
                    uint64_t deadline = t0 + (uint64_t)(g_secs * 1e9), i = 0;
                    unsigned char v[MAXVAL];
                    apr_pool_t *cp;
                    apr_pool_create(&cp, NULL);
                    h.parent = cp;
                    if (apr_global_mutex_child_init(&mutex, lockpath, cp) != APR_SUCCESS)
                        _exit(1);
                    make_value(v, 1, len);
                    if (dosync)
                        dbh_open_syncfds(&h);
                    for (;;) {
                        uint64_t s0 = now_ns(), seq = (uint64_t)w * 1000000000ull + i + 1;
                        if (s0 >= deadline)
                            break;
                        apr_global_mutex_lock(mutex);
                        if (dbh_open(&h, APR_DBM_READWRITE) != APR_SUCCESS) {
                            slot[1]++;
                        } else {
                            memcpy(v, &seq, 8);
                            if (dbh_store(&h, seq, v, len) != APR_SUCCESS)
                                slot[1]++;
                            if (i >= 512)
                                (void)dbh_delete(&h, seq - 512);
                            dbh_close(&h);
                            if (dosync == 1 && dbh_sync(&h) != 0)
                                slot[1]++;
                        }
                        apr_global_mutex_unlock(mutex);
                        if (dosync == 2 && dbh_sync(&h) != 0)
                            slot[1]++;
                        if (slot[0] < SC_MAXLAT)
                            slot[2 + slot[0]] = now_ns() - s0;
                        slot[0]++;
                        i++;
                    }
                    _exit(0);
                }
            }
            for (int w = 0; w < np; w++)
                wait(NULL);
            dt = elapsed_s(t0);
            for (int w = 0; w < np; w++) {
                total += shm[(size_t)w * (SC_MAXLAT + 2)];
                errors += shm[(size_t)w * (SC_MAXLAT + 2) + 1];
            }
            all = malloc((total ? total : 1) * sizeof(*all));
            for (int w = 0; w < np; w++) {
                uint64_t *slot = shm + (size_t)w * (SC_MAXLAT + 2);
                for (uint64_t j = 0; j < slot[0] && j < SC_MAXLAT; j++)
                    all[k++] = slot[2 + j];
            }
            qsort(all, k, sizeof(*all), cmp_u64);
            snprintf(measure, sizeof(measure),
                     "%d proc%s: %s lock+open+store+delete+close%s+unlock%s", np, np > 1 ? "s" : "",
                     apr_global_mutex_name(mutex), dosync == 1 ? "+fdatasync" : "",
                     dosync == 2 ? "+fdatasync" : "");
            row("socache", type, measure, "%.0f ops/s, p50 %.0f us, p99 %.0f us%s",
                (double)total / dt, k ? (double)all[k / 2] / 1e3 : 0.0,
                k ? (double)all[(size_t)((double)k * 0.99)] / 1e3 : 0.0,
                errors ? " (errors!)" : "");
            free(all);
            munmap(shm, shmsize);
            apr_global_mutex_destroy(mutex);
        }
    }
    dbh_remove(&h);
}

/* ------------------------------------------------------------------------ */
/* visibility of un-closed writes                                           */

/* count the records 1..n whose full value appears in the raw file bytes;
 * only the data extents are read (an SDBM .pag file is very sparse) */
static uint64_t scan_files(dbh *h, uint64_t n)
{
    unsigned char *seen = calloc(n + 1, 1);
    uint64_t found = 0;
    for (int f = 0; f < 2; f++) {
        off_t d, e = 0;
        int fd;
        if (!h->used[f] || (fd = open(h->used[f], O_RDONLY)) < 0)
            continue;
        while ((d = lseek(fd, e, SEEK_DATA)) >= 0) {
            unsigned char *buf;
            size_t len;
            e = lseek(fd, d, SEEK_HOLE);
            if (e <= d)
                break;
            len = (size_t)(e - d);
            buf = malloc(len);
            if (pread(fd, buf, len, d) != (ssize_t)len)
                die("short read of %s", h->used[f]);
            for (size_t off = 0; off + 20 <= len; off++) {
                uint64_t seq;
                uint32_t l;
                memcpy(&seq, buf + off, 8);
                if (seq == 0 || seq > n || seen[seq])
                    continue;
                memcpy(&l, buf + off + 8, 4);
                if (l != value_len(seq) || off + l > len)
                    continue;
                if (check_value(buf + off, l, seq)) {
                    seen[seq] = 1;
                    found++;
                }
            }
            free(buf);
        }
        close(fd);
    }
    free(seen);
    return found;
}

static void visible(const char *type, const char *dir)
{
    const uint64_t n = 20000;
    unsigned char v[MAXVAL];
    dbh h;
    uint64_t found, ok;
    char measure[160];
    int pfd[2];
    pid_t pid;
    char c;

    g_fixed_len = type_value_len(type);
    g_varlen = 0;

    /* 1. same process, handle still open */
    dbh_init(&h, g_pool, type, apr_psprintf(g_pool, "%s/vis1-%s", dir, type));
    dbh_remove(&h);
    if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
        die("open failed");
    for (uint64_t s = 1; s <= n; s++) {
        make_value(v, s, g_fixed_len);
        if (dbh_store(&h, s, v, g_fixed_len) != APR_SUCCESS)
            die("store failed");
    }
    found = scan_files(&h, n);
    snprintf(measure, sizeof(measure),
             "records in the file (read via another fd) before close, of %" PRIu64, n);
    row("visible", type, measure, "%" PRIu64, found);
    dbh_close(&h);
    found = scan_files(&h, n);
    row("visible", type, "  same, after apr_dbm_close", "%" PRIu64, found);
    dbh_remove(&h);

    /* 2. writer killed with SIGKILL while the handle is open */
    dbh_init(&h, g_pool, type, apr_psprintf(g_pool, "%s/vis2-%s", dir, type));
    dbh_remove(&h);
    if (pipe(pfd) != 0)
        die("pipe");
    pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        if (dbh_open(&h, APR_DBM_RWCREATE) != APR_SUCCESS)
            _exit(10);
        for (uint64_t s = 1; s <= n; s++) {
            make_value(v, s, g_fixed_len);
            if (dbh_store(&h, s, v, g_fixed_len) != APR_SUCCESS)
                _exit(11);
        }
        if (write(pfd[1], "x", 1) != 1)
            _exit(12);
        for (;;)
            pause();
    }
    close(pfd[1]);
    if (read(pfd[0], &c, 1) != 1)
        die("visible: writer failed");
    close(pfd[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    found = scan_files(&h, n);
    row("visible", type, "records in the file after kill -9 of the writer (no close)", "%" PRIu64,
        found);
    ok = 0;
    if (dbh_open(&h, APR_DBM_READONLY) != APR_SUCCESS) {
        row("visible", type, "  reopen after kill -9", "FAILED");
    } else {
        for (uint64_t s = 1; s <= n; s++)
            if (dbh_fetch_check(&h, s) == 1)
                ok++;
        dbh_close(&h);
        row("visible", type, "  fetchable+intact through apr_dbm after kill -9", "%" PRIu64, ok);
    }
    dbh_remove(&h);
}

/* ------------------------------------------------------------------------ */
/* kill -9 torture                                                           */

#define LAG             8     /* mixed: batch b deletes batch b-LAG */
#define INSERT_CAP      40000 /* insert: start over beyond this many */
#define INSERT_CAP_SDBM 8000  /* (SDBM's sparse file makes iteration slow) */

typedef struct {
    int opened;
    int iter_ok;
    int iter_timeout;
    uint64_t n_iter, bad, lost, resurrected, dups, unexpected, fetch_only;
} check_res;

static uint64_t read_ack(const char *ackpath)
{
    uint64_t s = 0;
    int fd = open(ackpath, O_RDONLY);
    if (fd >= 0) {
        if (pread(fd, &s, 8, 0) != 8)
            s = 0;
        close(fd);
    }
    return s;
}

static void crash_child(dbh *h, const char *ackpath, int mixed, int reopen, uint64_t cap)
{
    unsigned char v[MAXVAL];
    uint64_t s = read_ack(ackpath), b;
    int afd = open(ackpath, O_RDWR | O_CREAT, 0644);
    if (afd < 0)
        _exit(13);
    if (dbh_open(h, APR_DBM_RWCREATE) != APR_SUCCESS)
        _exit(10);
    dbh_open_syncfds(h);
    for (b = s / BATCH + 1;; b++) {
        for (uint64_t i = 0; i < BATCH; i++) {
            uint64_t seq = (b - 1) * BATCH + i + 1;
            size_t len = value_len(seq);
            make_value(v, seq, len);
            if (dbh_store(h, seq, v, len) != APR_SUCCESS)
                _exit(11);
        }
        if (mixed && b > LAG)
            for (uint64_t i = 0; i < BATCH; i++)
                (void)dbh_delete(h, (b - LAG - 1) * BATCH + i + 1);
        if (reopen) {
            dbh_close(h);
            if (dbh_open(h, APR_DBM_READWRITE) != APR_SUCCESS)
                _exit(12);
        }
        if (dbh_sync(h) != 0)
            _exit(14);
        s = b * BATCH;
        if (pwrite(afd, &s, 8, 0) != 8 || fdatasync(afd) != 0)
            _exit(15);
        if (!mixed && s >= cap)
            _exit(3);
    }
}

static void crash_check(dbh *h, uint64_t s, int mixed, check_res *r)
{
    uint64_t b = s / BATCH;
    uint64_t lo_guar = 1, lo_allow = 1, hi_allow = (b + 1) * BATCH;
    uint64_t span, nkeys = 0, maxkeys;
    unsigned char *seen;
    char(*keys)[KEYLEN];
    apr_datum_t key, old;
    uint64_t t0;

    memset(r, 0, sizeof(*r));
    if (mixed) {
        lo_guar = (b + 2 > LAG ? b + 2 - LAG : 1);
        lo_guar = (lo_guar - 1) * BATCH + 1;
        lo_allow = (b + 1 > LAG ? b + 1 - LAG : 1);
        lo_allow = (lo_allow - 1) * BATCH + 1;
    }
    span = hi_allow - lo_allow + 1;
    maxkeys = 4 * span + 1000;
    seen = calloc(span, 1);
    keys = malloc(sizeof(*keys) * maxkeys);

    if (dbh_open(h, APR_DBM_READONLY) != APR_SUCCESS)
        return;
    r->opened = 1;
    r->iter_ok = 1;
    /* collect the keys first: some DBMs do not allow fetching while iterating */
    if (apr_dbm_firstkey(h->db, &key) != APR_SUCCESS) {
        r->iter_ok = 0;
        if (getenv("PRIM_VERBOSE")) {
            char eb[200];
            int ec;
            apr_dbm_geterror(h->db, &ec, eb, sizeof(eb));
            fprintf(stderr, "  firstkey failed: %d %s\n", ec, eb);
        }
    }
    t0 = now_ns();
    while (r->iter_ok && key.dptr != NULL) {
        if ((nkeys & 63) == 0 && elapsed_s(t0) > 20) {
            r->iter_timeout = 1; /* SDBM: walking a huge sparse .pag file */
            break;
        }
        if (nkeys >= maxkeys) {
            r->iter_ok = 0; /* runaway iteration */
            break;
        }
        if (key.dsize == KEYLEN)
            memcpy(keys[nkeys], key.dptr, KEYLEN);
        else
            memset(keys[nkeys], 'X', KEYLEN);
        nkeys++;
        old = key;
        if (apr_dbm_nextkey(h->db, &key) != APR_SUCCESS)
            r->iter_ok = 0;
        apr_dbm_freedatum(h->db, old);
    }
    r->n_iter = nkeys;
    for (uint64_t i = 0; i < nkeys; i++) {
        uint64_t seq;
        if (!parse_key(keys[i], KEYLEN, &seq)) {
            r->bad++;
            continue;
        }
        if (seq > hi_allow)
            r->unexpected++;
        else if (seq < lo_allow)
            r->resurrected++;
        else if (seen[seq - lo_allow]++)
            r->dups++;
        if (dbh_fetch_check(h, seq) != 1)
            r->bad++;
    }
    for (uint64_t seq = lo_guar; seq <= s; seq++) {
        int c = dbh_fetch_check(h, seq);
        if (c != 1)
            r->lost++;
        else if (!seen[seq - lo_allow] && !r->iter_timeout)
            r->fetch_only++;
    }
    dbh_close(h);
    free(keys);
    free(seen);
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return mix64(rng_state);
}

/* GDBM only: is the file longer than the header's next_block, i.e. was the
 * writer killed between extending the file and updating the header?
 * (header: magic at 0, next_block at offset 32 in the 64-bit format) */
static int gdbm_file_extended(const char *path)
{
    uint32_t magic = 0;
    int64_t next_block = 0;
    struct stat st;
    int fd = open(path, O_RDONLY), ok;
    if (fd < 0)
        return 0;
    ok = pread(fd, &magic, 4, 0) == 4 && pread(fd, &next_block, 8, 32) == 8 && fstat(fd, &st) == 0;
    close(fd);
    return ok && magic == 0x13579acfu && st.st_size > next_block;
}

static void crash(const char *type, const char *mode, const char *method, const char *dir,
                  int kills)
{
    int mixed = strcmp(mode, "mixed") == 0;
    int reopen = strcmp(method, "reopen") == 0;
    int is_gdbm = strcmp(type, "GDBM") == 0;
    const char *base = apr_psprintf(g_pool, "crash-%s-%s-%s", type, mode, method);
    const char *path = apr_psprintf(g_pool, "%s/%s", dir, base);
    const char *ackpath = apr_psprintf(g_pool, "%s.ack", path);
    /* Berkeley DB creates a new database as "__db.NAME" and renames it */
    const char *dbtemp = apr_psprintf(g_pool, "%s/__db.%s", dir, base);
    dbh h;
    int k = 0, failed = 0;
    int f_open = 0, f_iter = 0, f_checker = 0, f_corrupt = 0, f_lost = 0;
    int f_gdbm_ext = 0, f_dbtemp = 0, f_timeout = 0, f_child = 0, caps = 0;
    int new_dups = 0, new_resurrected = 0, any_fetch_only = 0;
    uint64_t prev_dups = 0, prev_res = 0;
    uint64_t lost_total = 0, acked_total = 0, bad_total = 0;
    uint64_t since_reset = 0, max_since_reset = 0;
    const char *verbose = getenv("PRIM_VERBOSE");
    char measure[200];

    g_fixed_len = type_value_len(type);
    g_varlen = mixed;
    dbh_init(&h, g_pool, type, path);

#define RESET()                                                                                    \
    do {                                                                                           \
        dbh_remove(&h);                                                                            \
        unlink(ackpath);                                                                           \
        unlink(dbtemp);                                                                            \
        since_reset = 0;                                                                           \
        prev_dups = prev_res = 0;                                                                  \
    } while (0)

    RESET();
    while (k < kills) {
        uint64_t s0 = read_ack(ackpath), s;
        int st, pfd[2], bad_run;
        check_res r;
        pid_t pid = fork(), cpid;
        if (pid < 0)
            die("fork");
        if (pid == 0)
            crash_child(&h, ackpath, mixed, reopen,
                        strcmp(type, "SDBM") == 0 ? INSERT_CAP_SDBM : INSERT_CAP);
        sleep_ms(1.0 + (double)(rnd() % 150000) / 1000.0);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        if (WIFEXITED(st)) {
            if (WEXITSTATUS(st) == 3) /* insert cap reached: start over */
                caps++;
            else {
                if (f_child == 0)
                    fprintf(stderr, "crash %s %s %s: child exited with %d\n", type, mode, method,
                            WEXITSTATUS(st));
                f_child++;
            }
            RESET();
            continue;
        }
        k++;
        s = read_ack(ackpath);
        acked_total += s - s0;

        if (access(dbtemp, F_OK) == 0) {
            /* a later apr_dbm_open(RWCREATE) would wait for this file forever */
            f_dbtemp++;
            failed++;
            if (verbose)
                fprintf(stderr, "crash %s %s %s kill %d: %s left behind\n", type, mode, method, k,
                        dbtemp);
            RESET();
            continue;
        }

        /* check in a separate process: a corrupt file may crash the reader */
        if (pipe(pfd) != 0)
            die("pipe");
        cpid = fork();
        if (cpid == 0) {
            close(pfd[0]);
            alarm(60);
            crash_check(&h, s, mixed, &r);
            if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
                _exit(1);
            _exit(0);
        }
        close(pfd[1]);
        if (read_full(pfd[0], &r, sizeof(r)) != 0) {
            f_checker++;
            memset(&r, 0, sizeof(r));
            r.opened = r.iter_ok = -1;
        }
        close(pfd[0]);
        waitpid(cpid, &st, 0);

        if (r.iter_timeout)
            f_timeout++;
        if (r.dups > prev_dups)
            new_dups++;
        if (r.resurrected > prev_res)
            new_resurrected++;
        prev_dups = r.dups;
        prev_res = r.resurrected;
        if (r.fetch_only)
            any_fetch_only++;
        bad_run = r.opened != 1 || !r.iter_ok || r.bad || r.lost || r.unexpected;
        if (!bad_run) {
            since_reset++;
            if (since_reset > max_since_reset)
                max_since_reset = since_reset;
            continue;
        }
        failed++;
        if (r.opened == 0)
            f_open++;
        else if (r.opened == 1 && !r.iter_ok)
            f_iter++;
        if (r.bad)
            f_corrupt++;
        if (r.lost)
            f_lost++;
        lost_total += r.lost;
        bad_total += r.bad;
        if (is_gdbm && gdbm_file_extended(path))
            f_gdbm_ext++;
        if (verbose)
            fprintf(stderr,
                    "crash %s %s %s kill %d: ack=%" PRIu64 " opened=%d iter=%d"
                    " keys=%" PRIu64 " bad=%" PRIu64 " lost=%" PRIu64 " unexpected=%" PRIu64 "%s\n",
                    type, mode, method, k, s, r.opened, r.iter_ok, r.n_iter, r.bad, r.lost,
                    r.unexpected,
                    is_gdbm && gdbm_file_extended(path) ? " (file > next_block)" : "");
        if (getenv("PRIM_KEEP")) { /* keep the damaged file for inspection */
            char cmd[2048];
            for (int i = 0; i < 2; i++)
                if (h.used[i]) {
                    snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s.failed-%d'", h.used[i],
                             h.used[i], k);
                    if (system(cmd) != 0)
                        fprintf(stderr, "copy failed\n");
                }
            snprintf(cmd, sizeof(cmd), "cp '%s' '%s.failed-%d'", ackpath, ackpath, k);
            if (system(cmd) != 0)
                fprintf(stderr, "copy failed\n");
        }
        /* start over from an empty file so that each failure is independent */
        RESET();
    }
#undef RESET

    snprintf(measure, sizeof(measure), "%s: 64 stores%s + %s, then ack", mode,
             mixed ? " + 64 deletes" : "",
             reopen ? "close+reopen+fdatasync" : "fdatasync(separate fd)");
    row("crash", type, measure, "**%d of %d kills failed**", failed, k);
    row("crash", type, "  unusable: open failed / iteration failed / checker crashed",
        "%d / %d / %d", f_open, f_iter, f_checker);
    row("crash", type, "  acked records missing (kills, records) / corrupt (kills, records)",
        "%d, %" PRIu64 " / %d, %" PRIu64, f_lost, lost_total, f_corrupt, bad_total);
    if (is_gdbm)
        row("crash", type, "  of the failures: file longer than header next_block", "%d",
            f_gdbm_ext);
    if (f_dbtemp)
        row("crash", type, "  kill left __db.NAME temp file (next RWCREATE open hangs)", "%d",
            f_dbtemp);
    row("crash", type, "  kills adding stale duplicate keys / bringing deleted records back",
        "%d / %d", new_dups, new_resurrected);
    if (any_fetch_only)
        row("crash", type, "  kills with acked records fetchable but not iterated", "%d",
            any_fetch_only);
    if (f_timeout)
        row("crash", type, "  iterations given up after 20 s (sparse file; not failures)", "%d",
            f_timeout);
    if (f_child || caps)
        row("crash", type, "  writer errors / restarts at the insert cap", "%d / %d", f_child,
            caps);
    row("crash", type, "  acked records per kill (avg) / longest run on one file",
        "%.0f / %" PRIu64, (double)acked_total / (k ? k : 1), max_since_reset);
    dbh_remove(&h);
    unlink(ackpath);
}

/* ------------------------------------------------------------------------ */
/* the same kill -9 torture for a plain append-only log with checksummed    */
/* records (reference point: not a DBM)                                     */

#define LOG_MAGIC 0x3151584eu /* "NXQ1" */
#define LOG_HDR   16          /* magic(4) len(4) seq(8), then the value */

/* length of the valid prefix of the log; *nrec, *torn: records and whether
 * garbage followed; seen[seq] set for seq <= maxseq */
static off_t log_scan(int fd, unsigned char *seen, uint64_t maxseq, uint64_t *nrec, int *torn)
{
    struct stat st;
    unsigned char *buf;
    size_t off = 0, size;
    *nrec = 0;
    *torn = 0;
    if (fstat(fd, &st) != 0 || st.st_size == 0)
        return 0;
    size = (size_t)st.st_size;
    buf = malloc(size);
    if (pread(fd, buf, size, 0) != (ssize_t)size)
        die("log read");
    while (off + LOG_HDR <= size) {
        uint32_t magic, len;
        uint64_t seq;
        memcpy(&magic, buf + off, 4);
        memcpy(&len, buf + off + 4, 4);
        memcpy(&seq, buf + off + 8, 8);
        if (magic != LOG_MAGIC || len > MAXVAL || off + LOG_HDR + len > size ||
            !check_value(buf + off + LOG_HDR, len, seq))
            break;
        if (seen && seq <= maxseq)
            seen[seq] = 1;
        (*nrec)++;
        off += LOG_HDR + len;
    }
    *torn = off != size;
    free(buf);
    return (off_t)off;
}

static void log_child(const char *path, const char *ackpath)
{
    unsigned char *buf = malloc(BATCH * (LOG_HDR + MAXVAL));
    uint64_t s = read_ack(ackpath), nrec;
    int afd = open(ackpath, O_RDWR | O_CREAT, 0644), torn;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    off_t end;
    if (afd < 0 || fd < 0)
        _exit(13);
    /* recovery: cut a torn tail before appending */
    end = log_scan(fd, NULL, 0, &nrec, &torn);
    if (torn && ftruncate(fd, end) != 0)
        _exit(14);
    for (uint64_t b = s / BATCH + 1;; b++) {
        size_t n = 0;
        for (uint64_t i = 0; i < BATCH; i++) {
            uint64_t seq = (b - 1) * BATCH + i + 1;
            uint32_t magic = LOG_MAGIC, len = (uint32_t)value_len(seq);
            memcpy(buf + n, &magic, 4);
            memcpy(buf + n + 4, &len, 4);
            memcpy(buf + n + 8, &seq, 8);
            make_value(buf + n + LOG_HDR, seq, len);
            n += LOG_HDR + len;
        }
        if (pwrite(fd, buf, n, end) != (ssize_t)n || fdatasync(fd) != 0)
            _exit(15);
        end += (off_t)n;
        s = b * BATCH;
        if (pwrite(afd, &s, 8, 0) != 8 || fdatasync(afd) != 0)
            _exit(15);
        if (s >= INSERT_CAP)
            _exit(3);
    }
}

static void crash_log(const char *dir, int kills)
{
    const char *path = apr_psprintf(g_pool, "%s/crash-LOG", dir);
    const char *ackpath = apr_psprintf(g_pool, "%s.ack", path);
    int k = 0, failed = 0, torn_tails = 0, caps = 0, errs = 0;
    uint64_t lost_total = 0, acked_total = 0;

    g_fixed_len = 1024;
    g_varlen = 1;
    unlink(path);
    unlink(ackpath);
    while (k < kills) {
        uint64_t s0 = read_ack(ackpath), s, nrec, lost = 0;
        int st, torn, fd;
        unsigned char *seen;
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            log_child(path, ackpath);
        sleep_ms(1.0 + (double)(rnd() % 150000) / 1000.0);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        if (WIFEXITED(st)) {
            if (WEXITSTATUS(st) == 3)
                caps++;
            else
                errs++;
            unlink(path);
            unlink(ackpath);
            continue;
        }
        k++;
        s = read_ack(ackpath);
        acked_total += s - s0;
        seen = calloc(s + 1, 1);
        fd = open(path, O_RDONLY);
        if (fd >= 0) {
            log_scan(fd, seen, s, &nrec, &torn);
            close(fd);
            torn_tails += torn;
        }
        for (uint64_t q = 1; q <= s; q++)
            if (!seen[q])
                lost++;
        free(seen);
        if (lost) {
            failed++;
            lost_total += lost;
            unlink(path);
            unlink(ackpath);
        }
    }
    row("crash", "LOG", "append-only log, 64 records per write() + fdatasync, then ack",
        "**%d of %d kills failed**", failed, k);
    row("crash", "LOG", "  acked records missing / kills that left a torn tail (cut on restart)",
        "%" PRIu64 " / %d", lost_total, torn_tails);
    if (errs || caps)
        row("crash", "LOG", "  writer errors / restarts at the insert cap", "%d / %d", errs, caps);
    row("crash", "LOG", "  acked records per kill (avg)", "%.0f",
        (double)acked_total / (k ? k : 1));
    unlink(path);
    unlink(ackpath);
}

/* ------------------------------------------------------------------------ */
/* Unix domain socket request/response                                       */

#define REQ  512
#define RESP 16

static void uds_server(int lfd)
{
    enum { MAXC = 4096 };
    struct pollfd *pf = calloc(MAXC + 1, sizeof(*pf));
    size_t *got = calloc(MAXC + 1, sizeof(*got));
    unsigned char buf[REQ], resp[RESP];
    int n = 1;
    memset(resp, 'k', sizeof(resp));
    pf[0].fd = lfd;
    pf[0].events = POLLIN;
    for (;;) {
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (pf[0].revents & POLLIN) {
            int c;
            while (n <= MAXC && (c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                pf[n].fd = c;
                pf[n].events = POLLIN;
                pf[n].revents = 0;
                got[n] = 0;
                n++;
            }
        }
        for (int i = 1; i < n; i++) {
            ssize_t r;
            if (!pf[i].revents)
                continue;
            pf[i].revents = 0;
            r = read(pf[i].fd, buf, REQ - got[i]);
            if (r > 0) {
                got[i] += (size_t)r;
                if (got[i] == REQ) {
                    got[i] = 0;
                    if (write(pf[i].fd, resp, RESP) != RESP)
                        r = 0; /* treat as broken connection */
                }
            }
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                close(pf[i].fd);
                pf[i] = pf[n - 1];
                got[i] = got[n - 1];
                n--;
                i--;
            }
        }
    }
}

typedef struct {
    const char *sockpath;
    int persistent;
    uint64_t deadline;
    uint64_t *lat;
    size_t n, cap;
    uint64_t errors;
} cli_arg;

static int uds_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (errno == EINTR)
            continue;
        close(fd);
        return -1;
    }
    return fd;
}

static void *cli_thread(void *p)
{
    cli_arg *a = p;
    unsigned char req[REQ], resp[RESP];
    int fd = -1;
    memset(req, 'q', sizeof(req));
    if (a->persistent && (fd = uds_connect(a->sockpath)) < 0) {
        a->errors++;
        return NULL;
    }
    for (;;) {
        uint64_t t0 = now_ns(), t1;
        if (t0 >= a->deadline)
            break;
        if (!a->persistent && (fd = uds_connect(a->sockpath)) < 0) {
            a->errors++;
            continue;
        }
        if (write_full(fd, req, REQ) != 0 || read_full(fd, resp, RESP) != 0) {
            a->errors++;
            close(fd);
            if (a->persistent && (fd = uds_connect(a->sockpath)) < 0)
                return NULL;
            continue;
        }
        if (!a->persistent)
            close(fd);
        t1 = now_ns();
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 65536;
            a->lat = realloc(a->lat, a->cap * sizeof(*a->lat));
        }
        a->lat[a->n++] = t1 - t0;
    }
    if (a->persistent)
        close(fd);
    return NULL;
}

static void uds(const char *dir)
{
    const char *sockpath = apr_psprintf(g_pool, "%s/prim.sock", dir);
    struct sockaddr_un sa;
    int lfd;
    pid_t spid;
    static const int nthreads[] = {1, 8, 32};

    unlink(sockpath);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0)
        die("uds listen %s: %s", sockpath, strerror(errno));
    spid = fork();
    if (spid == 0)
        uds_server(lfd);
    close(lfd);

    for (int persistent = 1; persistent >= 0; persistent--) {
        for (size_t t = 0; t < sizeof(nthreads) / sizeof(nthreads[0]); t++) {
            int nt = nthreads[t];
            cli_arg *args = calloc((size_t)nt, sizeof(*args));
            pthread_t *th = calloc((size_t)nt, sizeof(*th));
            uint64_t t0 = now_ns(), total = 0, errors = 0, *all;
            size_t k = 0;
            double dt;
            char measure[160];
            for (int i = 0; i < nt; i++) {
                args[i].sockpath = sockpath;
                args[i].persistent = persistent;
                args[i].deadline = t0 + (uint64_t)(g_secs * 1e9);
                pthread_create(&th[i], NULL, cli_thread, &args[i]);
            }
            for (int i = 0; i < nt; i++) {
                pthread_join(th[i], NULL);
                total += args[i].n;
                errors += args[i].errors;
            }
            dt = elapsed_s(t0);
            all = malloc((total ? total : 1) * sizeof(*all));
            for (int i = 0; i < nt; i++) {
                memcpy(all + k, args[i].lat, args[i].n * sizeof(*all));
                k += args[i].n;
                free(args[i].lat);
            }
            qsort(all, total, sizeof(*all), cmp_u64);
            snprintf(measure, sizeof(measure), "%s, %d client thread%s, 512 B req / 16 B resp",
                     persistent ? "connect once" : "connect per request", nt, nt > 1 ? "s" : "");
            row("uds", "-", measure, "%.0f rt/s, p50 %.1f us, p99 %.1f us%s", (double)total / dt,
                total ? (double)all[total / 2] / 1e3 : 0.0,
                total ? (double)all[(size_t)((double)total * 0.99)] / 1e3 : 0.0,
                errors ? " (errors!)" : "");
            free(all);
            free(args);
            free(th);
        }
    }
    kill(spid, SIGTERM);
    waitpid(spid, NULL, 0);
    unlink(sockpath);
}

/* ------------------------------------------------------------------------ */
/* plain file write + fdatasync baselines                                    */

static void fsync_bench(const char *dir)
{
    const char *path = apr_psprintf(g_pool, "%s/append.dat", dir);
    unsigned char rec[1024];
    uint64_t n, t0;
    double dt;
    int fd;

    memset(rec, 'a', sizeof(rec));
    for (int group = 0; group < 2; group++) {
        int per = group ? BATCH : 1;
        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        if (fd < 0)
            die("open %s", path);
        n = 0;
        t0 = now_ns();
        while (elapsed_s(t0) < g_secs) {
            for (int i = 0; i < per; i++, n++)
                if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
                    die("write");
            if (fdatasync(fd) != 0)
                die("fdatasync");
        }
        dt = elapsed_s(t0);
        close(fd);
        row("fsync", "file",
            group ? "append 64 x 1 KB write(), one fdatasync" : "append 1 KB write() + fdatasync",
            "%.0f records/s (%.0f syncs/s)", (double)n / dt, (double)n / dt / per);
    }
    /* overwrite in place in a preallocated file: fdatasync needs no size update */
    {
        const off_t size = 64 << 20;
        unlink(path);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || posix_fallocate(fd, 0, size) != 0)
            die("fallocate");
        /* write the whole file once so that no extent is "unwritten" */
        for (off_t o = 0; o < size; o += (off_t)sizeof(rec))
            if (pwrite(fd, rec, sizeof(rec), o) != (ssize_t)sizeof(rec))
                die("pwrite");
        fsync(fd);
        n = 0;
        t0 = now_ns();
        while (elapsed_s(t0) < g_secs) {
            off_t o = (off_t)((n * sizeof(rec)) % (uint64_t)size);
            if (pwrite(fd, rec, sizeof(rec), o) != (ssize_t)sizeof(rec))
                die("pwrite");
            if (fdatasync(fd) != 0)
                die("fdatasync");
            n++;
        }
        dt = elapsed_s(t0);
        close(fd);
        row("fsync", "file", "overwrite 1 KB in a preallocated file + fdatasync", "%.0f records/s",
            (double)n / dt);
    }
    unlink(path);
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: primitives dbm TYPE DIR\n"
                    "       primitives socache TYPE DIR\n"
                    "       primitives visible TYPE DIR\n"
                    "       primitives crash TYPE insert|mixed fsync|reopen DIR KILLS\n"
                    "       primitives crash LOG DIR KILLS\n"
                    "       primitives uds DIR\n"
                    "       primitives fsync DIR\n"
                    "TYPE is GDBM, SDBM or DB\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *e;
    if (argc < 3)
        usage();
    if ((e = getenv("PRIM_SECONDS")) != NULL && atof(e) > 0)
        g_secs = atof(e);
    rng_state = (e = getenv("PRIM_SEED")) ? strtoull(e, NULL, 10)
                                          : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    signal(SIGPIPE, SIG_IGN);
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&g_pool, NULL);

    if (strcmp(argv[1], "dbm") == 0 && argc == 4)
        perf_dbm(argv[2], argv[3]);
    else if (strcmp(argv[1], "socache") == 0 && argc == 4)
        socache(argv[2], argv[3]);
    else if (strcmp(argv[1], "visible") == 0 && argc == 4)
        visible(argv[2], argv[3]);
    else if (strcmp(argv[1], "crash") == 0 && argc == 5 && strcmp(argv[2], "LOG") == 0)
        crash_log(argv[3], atoi(argv[4]));
    else if (strcmp(argv[1], "crash") == 0 && argc == 7)
        crash(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
    else if (strcmp(argv[1], "uds") == 0 && argc == 3)
        uds(argv[2]);
    else if (strcmp(argv[1], "fsync") == 0 && argc == 3)
        fsync_bench(argv[2]);
    else
        usage();
    return 0;
}
