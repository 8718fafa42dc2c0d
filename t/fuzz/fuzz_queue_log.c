/* libFuzzer target for the durable queue's recovery from a damaged log
 * segment (queue/nxs_queue.h "Damage is reported, never fatal"): a crash
 * mid-write, a bad disk or a hand-edited file must not crash the daemon
 * at start, nor make it deliver something nobody queued.
 *
 * Input: one flags byte, then the bytes of a log segment.  Flag 1 rewrites
 * the CRC of every complete frame found in it first: libFuzzer cannot
 * compute checksums, and without this nearly every mutation would stop at
 * the CRC, never reaching the record bodies behind it.
 *
 * Each run, in memory, reads the segment frame by frame as recovery does
 * (nxs_qf_parse), and then, in a directory of its own (under $TMPDIR, else
 * /dev/shm, else /tmp; removed after the run unless it failed), writes it
 * as PATH.log.1 and opens the queue on it.  It checks:
 *   - an ENQUEUE record that decodes re-encodes to the very bytes of its
 *     frame (nothing in it is lost or changed by the decoder);
 *   - nxs_queue_open succeeds and reports the damage the frames show: none;
 *     a torn tail cut at the end of the last complete group (the file is
 *     then exactly that prefix of the input); or a corrupt middle (a good
 *     frame follows the damage), the file linked aside unchanged;
 *   - every live record is one of the input's ENQUEUE records before the
 *     cut, in seq order, and a new append gets a seq above all of them;
 *   - reopened, the queue reports no damage, holds the same records plus
 *     the appended one, and the next append's seq is above them all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "fuzz_require.h"
/* The internal header, as only a test of the record format may include
 * it: the frame parser and the ENQUEUE codec are what is fuzzed. */
#include "queue/nxs_queue_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAG_FIX_CRC 1

/* Live records kept for comparison across the reopen. */
#define MAX_LIVE 512

static apr_pool_t *root;
static const char *tmp; /* where each run makes its directory */
static char dir[256];
static char qpath[300];
static char seg1[320];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "%s/nxs-fuzz-queue-XXXXXX", tmp);
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(qpath, sizeof(qpath), "%s/queue", dir);
    snprintf(seg1, sizeof(seg1), "%s.log.1", qpath);
}

/* After a run that passed: a failing one leaves its files for a look. */
static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            (void)unlinkat(dirfd(d), de->d_name, 0);
        }
    }
    if (d) {
        closedir(d);
    }
    (void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct stat st;

    apr_initialize();
    REQUIRE(apr_pool_create(&root, NULL) == APR_SUCCESS);
    tmp = getenv("TMPDIR");
    /* tmpfs when there is one: every open and append syncs. */
    if (!tmp || !*tmp) {
        tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    }
    return 0;
}

static void fix_crcs(char *buf, apr_size_t len)
{
    apr_size_t i, blen;

    for (i = 0; i + NXS_QF_HDR <= len; ++i) {
        if (memcmp(buf + i, "NXQ2", 4) != 0) {
            continue;
        }
        blen = nxs_qle_get32(buf + i + 4);
        if (blen <= NXS_QF_BODY_MAX && blen <= len - i - NXS_QF_HDR) {
            apr_uint32_t crc = nxs_queue_crc32c(0, buf + i + 4, 4);
            nxs_qle_put32(buf + i + 8, nxs_queue_crc32c(crc, buf + i + 12, 1 + blen));
        }
    }
}

/* R's ENQUEUE frame with ATTEMPTS, as the queue writes it. */
static char *encode(apr_size_t *len, const nxs_queue_record_t *r, apr_uint32_t attempts, int end,
                    apr_pool_t *p)
{
    char *f;

    *len = nxs_qf_enqueue_size(r);
    REQUIRE(*len > NXS_QF_HDR);
    f = apr_palloc(p, *len);
    nxs_qf_enqueue_seal(f, *len, r->seq, nxs_qf_enqueue_put(f, r, attempts, end));
    return f;
}

/* An ENQUEUE frame that decodes is exactly what encoding its record gives. */
static void check_enqueue(int type, const char *body, apr_uint32_t blen, const char *frame,
                          apr_size_t flen, apr_pool_t *p)
{
    nxs_queue_record_t r, bare;
    apr_status_t rv = nxs_qf_enqueue_decode(&r, body, blen, p);
    apr_size_t len;
    const char *again;

    memset(&bare, 0, sizeof(bare));
    REQUIRE(nxs_qf_enqueue_decode(&bare, body, blen, NULL) == rv);
    if (rv != APR_SUCCESS) {
        REQUIRE(rv == APR_EGENERAL);
        return;
    }
    REQUIRE(bare.seq == r.seq && bare.accepted_at == r.accepted_at && bare.attempts == r.attempts);
    again = encode(&len, &r, r.attempts, type & NXS_QF_END, p);
    REQUIRE(len == flen && memcmp(again, frame, flen) == 0);
}

/* What recovery should make of the segment, from its frames alone. */
typedef struct model_t {
    apr_size_t kept;   /* bytes recovery keeps */
    int corrupt;       /* damage with a good frame after it */
    apr_size_t damage; /* where the damage starts; the size when none */
} model_t;

static void read_frames(model_t *m, const char *buf, apr_size_t len, apr_pool_t *p)
{
    apr_size_t off = 0, flen, group = 0, j;
    apr_uint32_t blen;
    const char *body;
    int type, open = 0, r = NXS_QF_OK;

    while (off < len) {
        r = nxs_qf_parse(&type, &body, &blen, &flen, buf + off, len - off);
        if (r != NXS_QF_OK) {
            break;
        }
        REQUIRE(flen >= NXS_QF_HDR && flen <= len - off);
        if (!open) {
            open = 1;
            group = off;
        }
        if ((type & NXS_QF_TYPE) == NXS_QF_ENQUEUE) {
            check_enqueue(type, body, blen, buf + off, flen, p);
        }
        open = !(type & NXS_QF_END);
        off += flen;
    }
    m->damage = off;
    m->corrupt = 0;
    for (j = off + 1; off < len && !m->corrupt && j + NXS_QF_HDR <= len; ++j) {
        m->corrupt = memcmp(buf + j, "NXQ2", 4) == 0 &&
                     nxs_qf_parse(&type, &body, &blen, &flen, buf + j, len - j) == NXS_QF_OK;
    }
    /* A corrupt middle keeps even an unfinished group; a torn tail does not. */
    m->kept = m->corrupt || !open ? off : group;
}

static void write_file(const char *path, const char *buf, apr_size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    REQUIRE(fd >= 0);
    REQUIRE(len == 0 || write(fd, buf, len) == (ssize_t)len);
    REQUIRE(close(fd) == 0);
}

/* 1 when FILE holds exactly BUF. */
static int file_is(const char *file, const char *buf, apr_size_t len)
{
    char *got = malloc(len + 1);
    int fd = open(file, O_RDONLY), same;

    same = got && fd >= 0 && read(fd, got, len + 1) == (ssize_t)len && memcmp(got, buf, len) == 0;
    if (fd >= 0) {
        close(fd);
    }
    free(got);
    return same;
}

/* The live records, each as its frame (attempts included). */
typedef struct live_t {
    apr_pool_t *p;
    const char *input;
    apr_size_t kept;
    apr_size_t n;
    apr_uint64_t seq[MAX_LIVE];
    char *frame[MAX_LIVE];
    apr_size_t len[MAX_LIVE];
} live_t;

/* Is record R, with its seq and every field, in INPUT's first KEPT bytes? */
static int in_input(const char *frame, apr_size_t flen, const char *input, apr_size_t kept)
{
    /* From the strings on (what follows accepted_at and attempts). */
    const char *tail = frame + NXS_QF_HDR + 12;
    apr_size_t tlen = flen - NXS_QF_HDR - 12, at;

    for (at = NXS_QF_HDR + 12; at + tlen <= kept; ++at) {
        if (memcmp(input + at, tail, tlen) == 0 &&
            memcmp(input + at - 12, frame + NXS_QF_HDR, 8) == 0) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t collect(void *baton, const nxs_queue_record_t *rec)
{
    live_t *l = baton;

    REQUIRE(l->n < MAX_LIVE);
    REQUIRE(l->n == 0 || rec->seq > l->seq[l->n - 1]);
    l->seq[l->n] = rec->seq;
    l->frame[l->n] = encode(&l->len[l->n], rec, rec->attempts, 1, l->p);
    if (l->input) {
        REQUIRE(in_input(l->frame[l->n], l->len[l->n], l->input, l->kept));
    }
    ++l->n;
    return APR_SUCCESS;
}

static void fuzz_record(nxs_queue_record_t *r)
{
    memset(r, 0, sizeof(*r));
    r->accepted_at = apr_time_from_sec(1700000000);
    r->account = r->team = r->channel = r->event_id = r->category = r->delivery_id = "fuzz";
    r->payload = "{}";
    r->payload_len = 2;
}

/* Appends a record; returns its seq. */
static apr_uint64_t append_one(nxs_queue_t *q)
{
    nxs_queue_record_t r;
    apr_uint64_t seq = 0;
    int dup = -1;

    fuzz_record(&r);
    REQUIRE(nxs_queue_append(&seq, &dup, q, &r, 1, NULL) == APR_SUCCESS && dup == 0);
    return seq;
}

static void check_reopen(const live_t *before, apr_pool_t *p)
{
    nxs_queue_t *q = NULL;
    nxs_queue_report_t rep;
    live_t *after = apr_pcalloc(p, sizeof(*after));
    apr_size_t i;

    REQUIRE(nxs_queue_open(&q, &rep, NULL, qpath, NULL, p) == APR_SUCCESS);
    REQUIRE(rep.torn_tails == 0 && rep.corrupt_segments == 0 && rep.snapshot_bad == 0 &&
            !rep.snapshot_unreadable && rep.moved_aside->nelts == 0);
    after->p = p;
    REQUIRE(nxs_queue_replay(q, collect, after, p) == APR_SUCCESS);
    REQUIRE(after->n == before->n);
    for (i = 0; i < after->n; ++i) {
        REQUIRE(after->seq[i] == before->seq[i] && after->len[i] == before->len[i] &&
                memcmp(after->frame[i], before->frame[i], after->len[i]) == 0);
    }
    /* Seqs go on upwards after a restart too. */
    REQUIRE(append_one(q) > before->seq[before->n - 1]);
    REQUIRE(nxs_queue_close(q) == APR_SUCCESS);
}

static void check_recovery(const model_t *m, const char *seg, apr_size_t len, apr_pool_t *p)
{
    nxs_queue_t *q = NULL;
    nxs_queue_report_t rep;
    nxs_queue_stats_t st;
    nxs_queue_record_t r;
    live_t *l = apr_pcalloc(p, sizeof(*l));
    apr_uint64_t seq;
    struct stat sb;

    write_file(seg1, seg, len);
    REQUIRE(nxs_queue_open(&q, &rep, NULL, qpath, NULL, p) == APR_SUCCESS);
    if (m->corrupt) {
        REQUIRE(rep.corrupt_segments == 1 && rep.torn_tails == 0);
        REQUIRE(rep.corrupt_bytes == (apr_off_t)(len - m->damage));
        REQUIRE(rep.moved_aside->nelts == 1 &&
                file_is(APR_ARRAY_IDX(rep.moved_aside, 0, const char *), seg, len));
        REQUIRE(rep.checkpointed && rep.checkpoint_rv == APR_SUCCESS);
    } else {
        REQUIRE(rep.corrupt_segments == 0 && rep.moved_aside->nelts == 0);
        REQUIRE(rep.torn_tails == (m->kept < len));
        REQUIRE(rep.torn_bytes == (apr_off_t)(len - m->kept));
        /* Cut, never rewritten; a segment with nothing left is deleted. */
        REQUIRE(m->kept == 0 ? stat(seg1, &sb) != 0 : file_is(seg1, seg, m->kept));
    }
    l->p = p;
    l->input = seg;
    l->kept = m->kept;
    REQUIRE(nxs_queue_replay(q, collect, l, p) == APR_SUCCESS);
    nxs_queue_stats(&st, q);
    REQUIRE(l->n == rep.live && st.dropped_unreadable == 0);

    seq = append_one(q);
    REQUIRE(l->n == 0 || seq > l->seq[l->n - 1]);
    fuzz_record(&r);
    REQUIRE(l->n < MAX_LIVE);
    r.seq = seq;
    l->seq[l->n] = seq;
    l->frame[l->n] = encode(&l->len[l->n], &r, 0, 1, p);
    ++l->n;
    REQUIRE(nxs_queue_close(q) == APR_SUCCESS);
    check_reopen(l, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    model_t m;
    char *seg;
    apr_size_t len = size ? size - 1 : 0;

    if (size == 0) {
        return 0;
    }
    REQUIRE(apr_pool_create(&p, root) == APR_SUCCESS);
    make_dir();
    /* Exactly LEN bytes: a read past the end is a heap overflow. */
    seg = malloc(len ? len : 1);
    REQUIRE(seg != NULL);
    memcpy(seg, data + 1, len);
    if (data[0] & FLAG_FIX_CRC) {
        fix_crcs(seg, len);
    }
    read_frames(&m, seg, len, p);
    check_recovery(&m, seg, len, p);
    free(seg);
    apr_pool_destroy(p);
    remove_dir();
    return 0;
}
