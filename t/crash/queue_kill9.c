/* kill -9 test of the durable queue (docs/CONTRACT.md "Reliability and security tests"): a writer
 * process appends from 4 producer threads with group commit, completes records from a delivery
 * thread and checkpoints from a background thread, the way the daemon does; it is killed with
 * SIGKILL at a random moment (sometimes while it is still recovering), then a checker process
 * reopens the queue and checks every acknowledged record.  Repeated KILLS times on the same queue.
 *
 *   queue_kill9 DIR KILLS [SEED]     prints TAP, exits non-zero on failure
 *
 * The writer records what it was told in DIR/acks, with one write() per
 * line, only after the call returned:
 *   A <run> <thread> <counter> <n> <first_seq>   an append of n records was
 *                                                acknowledged (durable)
 *   D <seq>                                      written BEFORE nxs_queue_done
 *   C                                            a checkpoint completed
 * Every field of a record derives from its delivery id "r<run>t<thread>
 * c<counter>j<index>", so any record read back can be checked on its own.
 * The checker counts, over the whole history:
 *   lost        acknowledged, not completed, and missing;
 *   corrupt     present with a field or payload that does not match its id,
 *               or at an acknowledged seq with another id;
 *   duplicated  the same delivery id present twice;
 *   keys        acknowledged events whose idempotency key was not answered
 *               "duplicate" (a sample: the newest 50 and one in 16 of the
 *               others).
 * Completed records that come back (a buffered DONE lost in the kill) are
 * allowed, at most once each, and counted as "redelivered". */
#include "queue/nxs_queue.h"

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PRODUCERS 4
#define KEY_TTL   apr_time_from_sec(86400)

static apr_uint64_t hash64(const char *s)
{
    apr_uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    }
    return h;
}

/* ---- records derived from their delivery id ------------------------------- */

static nxs_queue_record_t make_rec(apr_pool_t *p, const char *id)
{
    apr_uint64_t h = hash64(id);
    nxs_queue_record_t r;
    apr_size_t len = 100 + (apr_size_t)(h % 2400), i;
    char *pl = apr_palloc(p, len + 1);

    memset(&r, 0, sizeof(r));
    for (i = 0; i < len; ++i) {
        pl[i] = (char)('a' + (h >> (i % 48)) % 26);
    }
    pl[len] = '\0';
    r.accepted_at = (apr_time_t)(h % 1000000000000ULL);
    r.account = apr_psprintf(p, "acc_%u", (unsigned)(h % 5));
    r.team = "T01";
    r.channel = apr_psprintf(p, "C%u", (unsigned)(h % 97));
    r.event_id = apr_psprintf(p, "ev-%s", id);
    r.category = "payments";
    r.delivery_id = id;
    r.payload = pl;
    r.payload_len = len;
    return r;
}

static int rec_intact(const nxs_queue_record_t *got, apr_pool_t *p)
{
    nxs_queue_record_t want = make_rec(p, got->delivery_id);

    return got->accepted_at == want.accepted_at && !strcmp(got->account, want.account) &&
           !strcmp(got->team, want.team) && !strcmp(got->channel, want.channel) &&
           !strcmp(got->event_id, want.event_id) && !strcmp(got->category, want.category) &&
           got->payload_len == want.payload_len &&
           !memcmp(got->payload, want.payload, want.payload_len);
}

/* ---- the writer ------------------------------------------------------------ */

typedef struct writer_t {
    nxs_queue_t *q;
    int acks;
    unsigned run;
    apr_thread_mutex_t *mu;
    apr_uint64_t *fifo; /* acknowledged, not yet completed */
    apr_size_t head, tail, cap;
} writer_t;

typedef struct producer_t {
    writer_t *w;
    unsigned thread;
} producer_t;

static void line(int fd, const char *s)
{
    /* One write() per line: a kill cannot interleave two lines. */
    if (write(fd, s, strlen(s)) < 0) {
        _exit(20);
    }
}

static void fifo_push(writer_t *w, apr_uint64_t seq)
{
    apr_thread_mutex_lock(w->mu);
    if (w->tail - w->head < w->cap) {
        w->fifo[w->tail++ % w->cap] = seq;
    }
    apr_thread_mutex_unlock(w->mu);
}

static void *APR_THREAD_FUNC produce(apr_thread_t *t, void *data)
{
    producer_t *pr = data;
    writer_t *w = pr->w;
    apr_pool_t *p = NULL;
    nxs_queue_record_t recs[8];
    nxs_queue_idem_t k;
    apr_uint64_t first, c;
    unsigned n, j;
    int dup;

    apr_pool_create(&p, NULL);
    for (c = 0;; ++c) {
        n = 1 +
            (unsigned)(hash64(apr_psprintf(p, "%u-%u-%lu", w->run, pr->thread, (unsigned long)c)) %
                       6);
        for (j = 0; j < n; ++j) {
            recs[j] = make_rec(
                p, apr_psprintf(p, "r%ut%uc%luj%u", w->run, pr->thread, (unsigned long)c, j));
        }
        k.account = apr_psprintf(p, "acc_%u", pr->thread);
        k.event_id = apr_psprintf(p, "e%u-%u-%lu", w->run, pr->thread, (unsigned long)c);
        k.expires_at = apr_time_now() + KEY_TTL;
        if (nxs_queue_append(&first, &dup, w->q, recs, n, &k) != APR_SUCCESS || dup) {
            _exit(21);
        }
        line(w->acks, apr_psprintf(p, "A %u %u %lu %u %lu\n", w->run, pr->thread, (unsigned long)c,
                                   n, (unsigned long)first));
        for (j = 0; j < n; ++j) {
            fifo_push(w, first + j);
        }
        apr_pool_clear(p);
    }
    return NULL;
}

/* Completes the oldest records, keeping a backlog of about 2000. */
static void *APR_THREAD_FUNC deliver(apr_thread_t *t, void *data)
{
    writer_t *w = data;
    apr_uint64_t batch[64];
    char buf[64 * 24];
    apr_size_t n, i, len;

    for (;;) {
        n = 0;
        apr_thread_mutex_lock(w->mu);
        while (n < 64 && w->tail - w->head > 2000) {
            batch[n++] = w->fifo[w->head++ % w->cap];
        }
        apr_thread_mutex_unlock(w->mu);
        for (i = 0, len = 0; i < n; ++i) {
            len += (apr_size_t)snprintf(buf + len, sizeof(buf) - len, "D %lu\n",
                                        (unsigned long)batch[i]);
        }
        if (n) {
            line(w->acks, buf);
        }
        for (i = 0; i < n; ++i) {
            nxs_queue_done(w->q, batch[i]);
            if (batch[i] % 5 == 0) {
                nxs_queue_set_attempts(w->q, batch[i] + 1, 2);
            }
        }
        apr_sleep(n ? 1000 : 5000);
    }
    return NULL;
}

static void *APR_THREAD_FUNC checkpointer(apr_thread_t *t, void *data)
{
    writer_t *w = data;
    int did;

    for (;;) {
        if (nxs_queue_maybe_checkpoint(&did, w->q) != APR_SUCCESS) {
            _exit(22);
        }
        if (did) {
            line(w->acks, "C\n");
        }
        apr_sleep(10000);
    }
    return NULL;
}

static apr_status_t backlog(void *baton, const nxs_queue_record_t *rec)
{
    fifo_push(baton, rec->seq);
    return APR_SUCCESS;
}

static void writer(const char *dir, unsigned run)
{
    apr_pool_t *p = NULL;
    nxs_queue_opts_t o;
    nxs_queue_report_t rep;
    producer_t pr[PRODUCERS];
    apr_thread_t *th;
    writer_t w;
    unsigned i;

    apr_pool_create(&p, NULL);
    memset(&w, 0, sizeof(w));
    w.run = run;
    w.cap = 1 << 20;
    w.fifo = malloc(w.cap * sizeof(*w.fifo));
    w.acks = open(apr_pstrcat(p, dir, "/acks", NULL), O_WRONLY | O_APPEND | O_CREAT, 0600);
    nxs_queue_opts_default(&o);
    o.checkpoint_bytes = 256 * 1024; /* checkpoints often, so kills land in them */
    o.checkpoint_interval = apr_time_from_msec(20);
    o.segment_bytes = 256 * 1024;
    o.dbm_remap = 256 * 1024; /* and reopens its apr_dbm handles often */
    if (w.fifo == NULL || w.acks < 0 ||
        apr_thread_mutex_create(&w.mu, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS ||
        nxs_queue_open(&w.q, &rep, NULL, apr_pstrcat(p, dir, "/queue", NULL), &o, p) !=
            APR_SUCCESS ||
        nxs_queue_replay(w.q, backlog, &w, p) != APR_SUCCESS) {
        _exit(23);
    }
    for (i = 0; i < PRODUCERS; ++i) {
        pr[i].w = &w;
        pr[i].thread = i;
        apr_thread_create(&th, NULL, produce, &pr[i], p);
    }
    apr_thread_create(&th, NULL, deliver, &w, p);
    apr_thread_create(&th, NULL, checkpointer, &w, p);
    for (;;) {
        pause(); /* until the SIGKILL */
    }
}

/* ---- the checker ----------------------------------------------------------- */

typedef struct result_t {
    unsigned long acked, live, lost, corrupt, duplicated, redelivered, keys, torn, moved, ckpts;
    int open_rv;
} result_t;

typedef struct ack_t {
    apr_uint64_t seq;
    unsigned run, thread, j;
    unsigned long c;
} ack_t;

typedef struct check_t {
    apr_pool_t *p, *scratch;
    ack_t *acks;
    apr_size_t nacks, ckpts;
    apr_uint64_t *done;
    apr_size_t ndone;
    apr_hash_t *ids;  /* delivery ids seen in the replay */
    apr_hash_t *seen; /* acknowledged seqs seen */
    result_t *res;
} check_t;

static int seq_cmp(const void *a, const void *b)
{
    apr_uint64_t x = *(const apr_uint64_t *)a, y = *(const apr_uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const ack_t *ack_of(const check_t *ck, apr_uint64_t seq)
{
    return bsearch(&seq, ck->acks, ck->nacks, sizeof(*ck->acks), seq_cmp);
}

static int is_done(const check_t *ck, apr_uint64_t seq)
{
    return bsearch(&seq, ck->done, ck->ndone, sizeof(*ck->done), seq_cmp) != NULL;
}

static void read_acks(check_t *ck, const char *dir)
{
    FILE *f = fopen(apr_pstrcat(ck->p, dir, "/acks", NULL), "r");
    apr_size_t capa = 1024, capd = 1024;
    unsigned run, thread, n, j;
    unsigned long c, first, seq;
    char ln[128];

    ck->acks = malloc(capa * sizeof(*ck->acks));
    ck->done = malloc(capd * sizeof(*ck->done));
    while (f && fgets(ln, sizeof(ln), f)) {
        if (sscanf(ln, "A %u %u %lu %u %lu", &run, &thread, &c, &n, &first) == 5) {
            for (j = 0; j < n; ++j) {
                if (ck->nacks == capa) {
                    ck->acks = realloc(ck->acks, (capa *= 2) * sizeof(*ck->acks));
                }
                ck->acks[ck->nacks].seq = first + j;
                ck->acks[ck->nacks].run = run;
                ck->acks[ck->nacks].thread = thread;
                ck->acks[ck->nacks].c = c;
                ck->acks[ck->nacks++].j = j;
            }
        } else if (ln[0] == 'C') {
            ++ck->ckpts;
        } else if (sscanf(ln, "D %lu", &seq) == 1) {
            if (ck->ndone == capd) {
                ck->done = realloc(ck->done, (capd *= 2) * sizeof(*ck->done));
            }
            ck->done[ck->ndone++] = seq;
        }
    }
    if (f) {
        fclose(f);
    }
    qsort(ck->acks, ck->nacks, sizeof(*ck->acks), seq_cmp);
    qsort(ck->done, ck->ndone, sizeof(*ck->done), seq_cmp);
}

static apr_status_t check_rec(void *baton, const nxs_queue_record_t *rec)
{
    check_t *ck = baton;
    const ack_t *a = ack_of(ck, rec->seq);
    const char *id = apr_pstrdup(ck->p, rec->delivery_id);

    apr_pool_clear(ck->scratch);
    ++ck->res->live;
    if (apr_hash_get(ck->ids, id, APR_HASH_KEY_STRING)) {
        ++ck->res->duplicated;
    }
    apr_hash_set(ck->ids, id, APR_HASH_KEY_STRING, "");
    if (!rec_intact(rec, ck->scratch) ||
        (a && strcmp(id, apr_psprintf(ck->scratch, "r%ut%uc%luj%u", a->run, a->thread, a->c,
                                      a->j)) != 0)) {
        ++ck->res->corrupt;
    }
    if (a) {
        apr_uint64_t *s = apr_pmemdup(ck->p, &rec->seq, sizeof(rec->seq));
        apr_hash_set(ck->seen, s, sizeof(*s), "");
        ck->res->redelivered += is_done(ck, rec->seq);
    }
    return APR_SUCCESS;
}

static void checker(const char *dir, int out)
{
    apr_pool_t *p = NULL;
    nxs_queue_report_t rep;
    nxs_queue_t *q = NULL;
    result_t res;
    check_t ck;
    apr_size_t i;
    apr_uint64_t seq;
    int dup;

    memset(&res, 0, sizeof(res));
    memset(&ck, 0, sizeof(ck));
    apr_pool_create(&p, NULL);
    apr_pool_create(&ck.scratch, p);
    ck.p = p;
    ck.res = &res;
    ck.ids = apr_hash_make(p);
    ck.seen = apr_hash_make(p);
    read_acks(&ck, dir);
    res.acked = ck.nacks;
    res.ckpts = ck.ckpts;
    res.open_rv = nxs_queue_open(&q, &rep, NULL, apr_pstrcat(p, dir, "/queue", NULL), NULL, p);
    if (res.open_rv == APR_SUCCESS) {
        res.torn = rep.torn_tails;
        res.moved = (unsigned long)rep.moved_aside->nelts;
        if (nxs_queue_replay(q, check_rec, &ck, p) != APR_SUCCESS) {
            res.open_rv = APR_EGENERAL;
        }
        for (i = 0; i < ck.nacks; ++i) {
            if (!is_done(&ck, ck.acks[i].seq) &&
                !apr_hash_get(ck.seen, &ck.acks[i].seq, sizeof(ck.acks[i].seq))) {
                ++res.lost;
            }
        }
        /* Acknowledged events must still be known: the newest 50 (their keys
         * are in the log) and one in 16 of the older ones (in the snapshot). */
        for (i = ck.nacks; i > 0; --i) {
            const ack_t *a = &ck.acks[i - 1];
            if (a->j != 0 || (i + 50 <= ck.nacks && a->c % 16 != 0)) {
                continue;
            }
            nxs_queue_idem_t k = {apr_psprintf(p, "acc_%u", a->thread),
                                  apr_psprintf(p, "e%u-%u-%lu", a->run, a->thread, a->c),
                                  apr_time_now() + KEY_TTL};
            if (nxs_queue_append(&seq, &dup, q, NULL, 0, &k) != APR_SUCCESS || !dup) {
                ++res.keys;
            }
        }
        nxs_queue_close(q);
    }
    if (write(out, &res, sizeof(res)) != (ssize_t)sizeof(res)) {
        _exit(2);
    }
    _exit(0);
}

/* ---- the harness ------------------------------------------------------------ */

static int check_once(result_t *res, const char *dir)
{
    int fds[2], status = 0;
    pid_t pid;

    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        checker(dir, fds[1]);
    }
    close(fds[1]);
    memset(res, 0, sizeof(*res));
    if (read(fds[0], res, sizeof(*res)) != (ssize_t)sizeof(*res)) {
        res->open_rv = -1; /* the checker crashed */
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 2 ? argv[1] : NULL;
    int kills = argc > 2 ? atoi(argv[2]) : 0, k, failed = 0, status;
    unsigned seed = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : (unsigned)time(NULL);
    unsigned long prev_acked = 0, lost = 0, dup = 0, corrupt = 0, keys = 0, redelivered = 0;
    unsigned long torn = 0, ckpts = 0;
    result_t res;
    char acks[4096];
    pid_t pid;

    if (dir == NULL || kills <= 0) {
        fprintf(stderr, "usage: %s DIR KILLS [SEED]\n", argv[0]);
        return 2;
    }
    snprintf(acks, sizeof(acks), "%s/acks", dir);
    if (access(acks, F_OK) == 0) {
        /* Delivery ids restart with the kill number: a reused one would mix. */
        fprintf(stderr, "%s: %s must be a fresh directory\n", argv[0], dir);
        return 2;
    }
    apr_initialize();
    srand(seed);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("1..%d\n# seed %u\n", kills, seed);
    for (k = 1; k <= kills; ++k) {
        /* A quarter of the kills come within the first 30 ms: during open,
         * recovery and the first commits. */
        long ms = rand() % 4 == 0 ? rand() % 30 : 30 + rand() % 400;
        int bad;

        if ((pid = fork()) < 0) {
            return 3;
        }
        if (pid == 0) {
            writer(dir, (unsigned)k);
        }
        apr_sleep(apr_time_from_msec(ms));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            printf("not ok %d - kill %d: the writer stopped by itself (status %d)\n", k, k, status);
            ++failed;
            continue;
        }
        bad = check_once(&res, dir) != 0 || res.open_rv != 0 || res.lost || res.corrupt ||
              res.duplicated || res.keys;
        printf("%s %d - kill %d after %ld ms: %lu acked (%lu in this run), %lu lost, %lu corrupt, "
               "%lu duplicated, %lu keys missing; %lu live, %lu redelivered, %lu torn tail%s%s\n",
               bad ? "not ok" : "ok", k, k, ms, res.acked, res.acked - prev_acked, res.lost,
               res.corrupt, res.duplicated, res.keys, res.live, res.redelivered, res.torn,
               res.moved ? ", files moved aside" : "", res.open_rv ? ", REOPEN FAILED" : "");
        failed += bad;
        prev_acked = res.acked;
        lost = res.lost > lost ? res.lost : lost;
        corrupt = res.corrupt > corrupt ? res.corrupt : corrupt;
        dup = res.duplicated > dup ? res.duplicated : dup;
        keys += res.keys;
        redelivered = res.redelivered;
        torn += res.torn;
        ckpts = res.ckpts;
    }
    printf("# lost=%lu duplicated=%lu kills=%d (corrupt=%lu keys_missing=%lu acked=%lu "
           "redelivered=%lu torn_tails=%lu checkpoints=%lu failed=%d)\n",
           lost, dup, kills, corrupt, keys, prev_acked, redelivered, torn, ckpts, failed);
    apr_terminate();
    return failed ? 1 : 0;
}
