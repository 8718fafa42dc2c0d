/* The queue's life: open with recovery (snapshot, then the newer log
 * segments; torn tails cut, damaged files set aside), reading records back
 * (load, replay), stats and close.  The design is described in nxs_queue.h;
 * writing is in nxs_queue_commit.c, the snapshot in nxs_queue_snapshot.c and
 * nxs_queue_checkpoint.c. */
#include "queue/nxs_queue_int.h"
#include "nxs_log.h"

#include <apr_lib.h>
#include <apr_strings.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

void nxs_queue_opts_default(nxs_queue_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->checkpoint_bytes = 64 * 1024 * 1024;
    opts->checkpoint_interval = apr_time_from_sec(300);
    opts->segment_bytes = 256 * 1024 * 1024;
    opts->record_max = 4 * 1024 * 1024;
    opts->lazy_max = 1024 * 1024;
    opts->dbm_remap = 8 * 1024 * 1024;
}

static void opts_fix(nxs_queue_opts_t *o)
{
    nxs_queue_opts_t d;

    nxs_queue_opts_default(&d);
    if (o->checkpoint_bytes <= 0) {
        o->checkpoint_bytes = d.checkpoint_bytes;
    }
    if (o->checkpoint_interval < 0) {
        o->checkpoint_interval = 0;
    }
    if (o->segment_bytes <= 0 || o->segment_bytes > (apr_off_t)(NXS_QUEUE_SEG_MAX / 2)) {
        o->segment_bytes = d.segment_bytes;
    }
    if (o->record_max == 0 || o->record_max > NXS_QF_HDR + NXS_QF_BODY_MAX) {
        o->record_max = d.record_max;
    }
    if (o->lazy_max == 0) {
        o->lazy_max = d.lazy_max;
    }
    if (o->dbm_remap == 0) {
        o->dbm_remap = d.dbm_remap;
    }
}

apr_time_t nxs_queue_now(const nxs_queue_t *q)
{
    return q->opts.clock ? q->opts.clock(q->opts.clock_baton) : apr_time_now();
}

nxs_queue_seg_t *nxs_queue_seg_by_no(nxs_queue_t *q, apr_uint32_t no)
{
    apr_size_t lo = 0, hi = q->nsegs;

    while (lo < hi) {
        apr_size_t mid = lo + (hi - lo) / 2;
        if (q->segs[mid]->no < no) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < q->nsegs && q->segs[lo]->no == no ? q->segs[lo] : NULL;
}

apr_status_t nxs_queue_seg_add(nxs_queue_t *q, nxs_queue_seg_t *seg)
{
    if (q->nsegs == q->capsegs) {
        apr_size_t cap = q->capsegs ? q->capsegs * 2 : 8;
        nxs_queue_seg_t **ns = realloc(q->segs, cap * sizeof(*ns));
        if (ns == NULL) {
            return APR_ENOMEM;
        }
        q->segs = ns;
        q->capsegs = cap;
    }
    q->segs[q->nsegs++] = seg;
    return APR_SUCCESS;
}

apr_off_t nxs_queue_log_bytes(const nxs_queue_t *q)
{
    apr_off_t n = 0;
    apr_size_t i;

    for (i = 0; i < q->nsegs; ++i) {
        n += q->segs[i]->size;
    }
    return n;
}

/* ---- recovery: replaying a segment --------------------------------------- */

typedef struct replay_t {
    nxs_queue_t *q;
    nxs_queue_report_t *report;
    nxs_queue_ent_t *grp; /* ENQUEUE records of the group being read */
    apr_size_t ngrp, capgrp;
    int open, has_key;
    apr_off_t group_start;
    unsigned char key[NXS_QUEUE_KEY_LEN];
    apr_time_t key_expires;
    apr_uint64_t max_seq, hdr_next;
} replay_t;

/* A complete group takes effect; replay is idempotent by seq (a record
 * already indexed, or older than the newest indexed, was seen before). */
static apr_status_t group_apply(replay_t *st, const nxs_queue_seg_t *seg)
{
    apr_size_t i;
    apr_status_t rv = APR_SUCCESS;

    for (i = 0; i < st->ngrp && rv == APR_SUCCESS; ++i) {
        if (st->grp[i].seq > st->max_seq) {
            st->max_seq = st->grp[i].seq;
        }
        if (st->q->idx.nc == 0 || st->grp[i].seq > nxs_queue_index_last_seq(&st->q->idx)) {
            rv = nxs_queue_index_push(&st->q->idx, &st->grp[i]);
        }
    }
    if (rv == APR_SUCCESS && st->has_key) {
        rv = nxs_queue_keys_put(&st->q->keys, st->key, st->key_expires, seg->no);
    }
    st->open = 0;
    st->ngrp = 0;
    st->has_key = 0;
    return rv;
}

static apr_status_t group_add(replay_t *st, const nxs_queue_seg_t *seg, apr_off_t off,
                              const char *body, apr_uint32_t blen, apr_size_t flen)
{
    nxs_queue_record_t r;
    nxs_queue_ent_t *e;

    if (nxs_qf_enqueue_decode(&r, body, blen, NULL) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (st->ngrp == st->capgrp) {
        apr_size_t cap = st->capgrp ? st->capgrp * 2 : 64;
        nxs_queue_ent_t *ng = realloc(st->grp, cap * sizeof(*ng));
        if (ng == NULL) {
            return APR_ENOMEM;
        }
        st->grp = ng;
        st->capgrp = cap;
    }
    e = &st->grp[st->ngrp++];
    memset(e, 0, sizeof(*e));
    e->seq = r.seq;
    e->seg = seg->no;
    e->off = (apr_uint32_t)off;
    e->len = (apr_uint32_t)flen;
    e->attempts = (apr_uint16_t)(r.attempts > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : r.attempts);
    return APR_SUCCESS;
}

static apr_status_t replay_visit(void *baton, nxs_queue_seg_t *seg, apr_off_t off, int type,
                                 const char *body, apr_uint32_t blen, apr_size_t flen)
{
    replay_t *st = baton;
    nxs_queue_ent_t *e;
    apr_status_t rv = APR_SUCCESS;

    if (!st->open) {
        st->open = 1;
        st->group_start = off;
    }
    switch (type & NXS_QF_TYPE) {
    case NXS_QF_HEADER:
        if (blen >= 16 && nxs_qle_get32(body + 4) == seg->no &&
            nxs_qle_get64(body + 8) > st->hdr_next &&
            nxs_qle_get64(body + 8) <= NXS_QUEUE_SEQ_MAX + 1) {
            st->hdr_next = nxs_qle_get64(body + 8);
        }
        break;
    case NXS_QF_ENQUEUE:
        rv = group_add(st, seg, off, body, blen, flen);
        break;
    case NXS_QF_IDEM:
        st->has_key = nxs_qf_idem_decode(st->key, &st->key_expires, body, blen) == APR_SUCCESS;
        break;
    case NXS_QF_DONE:
        if (blen >= 8) {
            nxs_queue_index_remove(&st->q->idx, nxs_qle_get64(body));
        }
        break;
    case NXS_QF_ATTEMPT:
        if (blen >= 12 && (e = nxs_queue_index_find(&st->q->idx, nxs_qle_get64(body)))) {
            apr_uint32_t a = nxs_qle_get32(body + 8);
            e->attempts = (apr_uint16_t)(a > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : a);
        }
        break;
    default:
        break;
    }
    ++st->report->log_records;
    if (rv == APR_SUCCESS && (type & NXS_QF_END)) {
        rv = group_apply(st, seg);
    }
    return rv;
}

static apr_status_t recover_segment(int *force, nxs_queue_t *q, replay_t *st, apr_uint32_t no)
{
    nxs_queue_report_t *report = st->report;
    nxs_queue_seg_t *seg = NULL;
    nxs_queue_scan_t res;
    apr_size_t before = report->log_records;
    apr_off_t end;
    apr_status_t rv;

    if ((rv = nxs_queue_seg_open(&seg, q->path, no)) != APR_SUCCESS) {
        NXS_LOG(NXS_LOG_ERR, rv, "NXS00005", "queue recovery: cannot open log segment %s.log.%u",
                q->path, (unsigned)no);
        return rv;
    }
    st->open = 0;
    st->ngrp = 0;
    st->has_key = 0;
    if ((rv = nxs_queue_seg_scan(&res, seg, replay_visit, st)) != APR_SUCCESS) {
        goto leave;
    }
    end = res.good_end;
    if (st->open) {
        /* A group without its end was never acknowledged, unless the damage
         * is in the middle of the file: then keep what is intact. */
        if (res.damage == NXS_QSCAN_CORRUPT) {
            rv = group_apply(st, seg);
        } else {
            end = st->group_start;
        }
        st->open = 0;
    }
    if (res.damage == NXS_QSCAN_CORRUPT) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00001",
                "queue recovery: %s: damaged record at offset %" APR_OFF_T_FMT
                "; the %" APR_OFF_T_FMT " bytes from there are not replayed, the rest is kept",
                seg->path, res.good_end, res.file_size - res.good_end);
        ++report->corrupt_segments;
        report->corrupt_bytes += res.file_size - res.good_end;
        seg->size = res.good_end;
        /* The good part stays in use until the checkpoint that recovery
         * forces has copied it into the snapshot and deleted the segment;
         * should that fail, the next start finds the same.  A hard link
         * keeps the damaged file for inspection. */
        (void)nxs_queue_set_aside(q, seg->path, 1, report);
        *force = 1;
    } else if (end < res.file_size) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00002",
                "queue recovery: %s: torn tail cut at offset %" APR_OFF_T_FMT " (%" APR_OFF_T_FMT
                " bytes of an append interrupted before it was acknowledged)",
                seg->path, end, res.file_size - end);
        ++report->torn_tails;
        report->torn_bytes += res.file_size - end;
        rv = rv ? rv : nxs_queue_seg_cut(seg, end);
    } else {
        seg->size = end;
    }
    if (rv == APR_SUCCESS && seg->size == 0 && res.damage != NXS_QSCAN_CORRUPT) {
        /* Not even its header: created by a crash, holds nothing. */
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00003", "queue recovery: %s: empty, deleted", seg->path);
        (void)unlink(seg->path);
        goto leave;
    }
    if (rv == APR_SUCCESS && (rv = nxs_queue_seg_add(q, seg)) == APR_SUCCESS) {
        NXS_LOG(NXS_LOG_INFO, 0, "NXS00004",
                "queue recovery: replayed %s: %" APR_SIZE_T_FMT " log records, %" APR_OFF_T_FMT
                " bytes",
                seg->path, st->report->log_records - before, seg->size);
        ++report->segments;
        seg = NULL;
    }
leave:
    nxs_queue_seg_free(seg);
    return rv;
}

/* ---- open ------------------------------------------------------------------ */

static apr_status_t type_check(const char **canon, const char *type, apr_pool_t *p)
{
    const char *u1 = NULL, *u2 = NULL;
    char *t = apr_pstrdup(p, type ? type : "GDBM"), *c;
    apr_status_t rv;

    for (c = t; *c; ++c) {
        *c = (char)apr_toupper(*c);
    }
    if ((rv = apr_dbm_get_usednames_ex(p, t, "probe", &u1, &u2)) != APR_SUCCESS) {
        return rv;
    }
    /* A snapshot is replaced by one rename(): a single file is required. */
    if (u2 != NULL) {
        return APR_EINVAL;
    }
    *canon = t;
    return APR_SUCCESS;
}

static apr_status_t take_lock(nxs_queue_t *q)
{
    const char *lp = apr_pstrcat(q->pool, q->path, ".lock", NULL);

    q->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (q->lock_fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    /* flock, not fcntl: a second open in the same process is refused too. */
    if (flock(q->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        return errno == EWOULDBLOCK ? APR_EBUSY : APR_FROM_OS_ERROR(errno);
    }
    return APR_SUCCESS;
}

static int has_prefix(const char *s, const char *a, const char *b)
{
    apr_size_t la = strlen(a), lb = strlen(b);
    return strncmp(s, a, la) == 0 && strncmp(s + la, b, lb) == 0;
}

/* Finds the segments, and deletes what an interrupted checkpoint left. */
static apr_status_t list_dir(apr_uint32_t **nos, apr_size_t *nn, nxs_queue_t *q,
                             nxs_queue_report_t *report)
{
    const char *slash = strrchr(q->path, '/');
    const char *base = slash ? slash + 1 : q->path;
    apr_size_t bl = strlen(base), cap = 0;
    DIR *d = opendir(q->dir);
    struct dirent *de;
    apr_status_t rv = APR_SUCCESS;

    *nos = NULL;
    *nn = 0;
    if (d == NULL) {
        return APR_FROM_OS_ERROR(errno);
    }
    while ((de = readdir(d)) != NULL && rv == APR_SUCCESS) {
        const char *n = de->d_name;
        if (has_prefix(n, base, ".log.")) {
            const char *digits = n + bl + 5;
            char *end = NULL;
            unsigned long v;
            if (*digits < '1' || *digits > '9') {
                continue;
            }
            errno = 0;
            v = strtoul(digits, &end, 10);
            if (errno || *end || v > NXS_QUEUE_SEG_MAX - 16) {
                continue;
            }
            if (*nn == cap) {
                apr_uint32_t *nv = realloc(*nos, (cap = cap ? cap * 2 : 16) * sizeof(*nv));
                if (nv == NULL) {
                    rv = APR_ENOMEM;
                    break;
                }
                *nos = nv;
            }
            (*nos)[(*nn)++] = (apr_uint32_t)v;
        } else if (has_prefix(n, base, ".dbm.tmp-") ||
                   (strncmp(n, "__db.", 5) == 0 && has_prefix(n + 5, base, ".dbm.tmp-"))) {
            (void)unlinkat(dirfd(d), n, 0);
            ++report->stale_removed;
        }
    }
    closedir(d);
    return rv;
}

static int no_cmp(const void *a, const void *b)
{
    apr_uint32_t x = *(const apr_uint32_t *)a, y = *(const apr_uint32_t *)b;
    return x < y ? -1 : x > y;
}

static apr_status_t queue_cleanup(void *data)
{
    (void)nxs_queue_close(data);
    return APR_SUCCESS;
}

static apr_status_t queue_init(nxs_queue_t **out, const char *type, const char *path,
                               const nxs_queue_opts_t *opts, apr_pool_t *p)
{
    nxs_queue_t *q = apr_pcalloc(p, sizeof(*q));
    const char *slash = strrchr(path, '/');
    apr_status_t rv;

    q->pool = p;
    q->lock_fd = -1;
    q->path = apr_pstrdup(p, path);
    q->snap_final = apr_pstrcat(p, path, ".dbm", NULL);
    q->dir = slash == NULL ? "." : slash == path ? "/" : apr_pstrmemdup(p, path, slash - path);
    if (opts) {
        q->opts = *opts;
    } else {
        nxs_queue_opts_default(&q->opts);
    }
    opts_fix(&q->opts);
    if ((rv = type_check(&q->type, type, p)) != APR_SUCCESS ||
        (rv = apr_thread_mutex_create(&q->mu, APR_THREAD_MUTEX_DEFAULT, p)) != APR_SUCCESS ||
        (rv = apr_thread_cond_create(&q->cv, p)) != APR_SUCCESS ||
        (rv = apr_thread_rwlock_create(&q->files, p)) != APR_SUCCESS ||
        (rv = apr_thread_mutex_create(&q->snap_mu, APR_THREAD_MUTEX_DEFAULT, p)) != APR_SUCCESS ||
        (rv = apr_thread_mutex_create(&q->ckpt_mu, APR_THREAD_MUTEX_DEFAULT, p)) != APR_SUCCESS) {
        return rv;
    }
    /* A pre-cleanup: it must run before P's subpools (the snapshot handle's)
     * and P's mutexes are destroyed. */
    apr_pool_pre_cleanup_register(p, q, queue_cleanup);
    *out = q;
    return APR_SUCCESS;
}

/* Loads the snapshot, then replays the segments it does not cover, in
 * order; *top is the highest segment number seen, *next the next seq. */
static apr_status_t recover(int *force, apr_uint32_t *top, apr_uint64_t *next, nxs_queue_t *q,
                            replay_t *st, nxs_queue_report_t *report)
{
    nxs_queue_snapinfo_t info;
    apr_uint32_t *nos = NULL;
    apr_size_t nn = 0, i;
    apr_uint64_t last;
    apr_status_t rv;

    if ((rv = list_dir(&nos, &nn, q, report)) != APR_SUCCESS ||
        (rv = nxs_queue_snapshot_load(&info, q, report)) != APR_SUCCESS) {
        goto leave;
    }
    *force = info.damaged;
    *top = info.covered;
    if (nn > 1) {
        qsort(nos, nn, sizeof(*nos), no_cmp);
    }
    for (i = 0; i < nn && rv == APR_SUCCESS; ++i) {
        *top = nos[i] > *top ? nos[i] : *top;
        if (info.found && !info.unreadable && nos[i] <= info.covered) {
            /* Covered by the snapshot: a kill came before their deletion. */
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00006",
                    "queue recovery: %s.log.%u is covered by the snapshot: deleted", q->path,
                    (unsigned)nos[i]);
            (void)unlink(apr_psprintf(q->pool, "%s.log.%u", q->path, (unsigned)nos[i]));
            ++report->stale_removed;
            continue;
        }
        rv = recover_segment(force, q, st, nos[i]);
    }
    /* Seqs are never reused, even when every record was completed. */
    last = nxs_queue_index_last_seq(&q->idx);
    *next = info.next_seq > st->hdr_next ? info.next_seq : st->hdr_next;
    *next = st->max_seq + 1 > *next ? st->max_seq + 1 : *next;
    *next = last + 1 > *next ? last + 1 : *next;
leave:
    free(nos);
    return rv;
}

apr_status_t nxs_queue_open(nxs_queue_t **out, nxs_queue_report_t *report, const char *type,
                            const char *path, const nxs_queue_opts_t *opts, apr_pool_t *p)
{
    nxs_queue_t *q = NULL;
    nxs_queue_seg_t *seg = NULL;
    replay_t st;
    apr_uint32_t top = 0;
    apr_status_t rv;
    int force = 0;

    memset(report, 0, sizeof(*report));
    report->moved_aside = apr_array_make(p, 2, sizeof(const char *));
    memset(&st, 0, sizeof(st));
    st.report = report;
    *out = NULL;
    if (path == NULL || *path == '\0') {
        return APR_EINVAL;
    }
    if ((rv = queue_init(&q, type, path, opts, p)) != APR_SUCCESS) {
        return rv;
    }
    st.q = q;
    if ((rv = take_lock(q)) != APR_SUCCESS ||
        (rv = recover(&force, &top, &q->next_seq, q, &st, report)) != APR_SUCCESS) {
        goto leave;
    }
    /* Appends always start a fresh segment, never after a repaired tail. */
    if ((rv = nxs_queue_seg_create(&seg, q->path, q->dir, top + 1, q->next_seq)) ||
        (rv = nxs_queue_seg_add(q, seg)) != APR_SUCCESS) {
        nxs_queue_seg_free(seg);
        goto leave;
    }
    q->dirty = nxs_queue_log_bytes(q) - seg->size;
    q->last_ckpt = nxs_queue_now(q);
    report->live = q->idx.live;
    NXS_LOG(NXS_LOG_INFO, 0, "NXS00007",
            "queue %s open: %" APR_SIZE_T_FMT " live records, next seq %" APR_UINT64_T_FMT, q->path,
            report->live, q->next_seq);
    if (force) {
        report->checkpointed = 1;
        report->checkpoint_rv = nxs_queue_checkpoint(q);
        NXS_LOG(report->checkpoint_rv ? NXS_LOG_ERR : NXS_LOG_INFO, report->checkpoint_rv,
                "NXS00008", "queue recovery found damage: a fresh snapshot %s",
                report->checkpoint_rv ? "could not be written (the next start retries)"
                                      : "replaces the damaged files");
    }
    *out = q;
leave:
    free(st.grp);
    if (rv != APR_SUCCESS && q) {
        (void)nxs_queue_close(q);
    }
    return rv;
}

/* ---- reading ------------------------------------------------------------- */

/* Reads SEQ; with P the whole record, without only seq/accepted_at. */
static apr_status_t load_seq(nxs_queue_record_t *rec, nxs_queue_t *q, apr_uint64_t seq,
                             apr_pool_t *p, nxs_qbuf_t *buf)
{
    nxs_queue_ent_t e, *pe;
    nxs_queue_seg_t *seg = NULL;
    apr_uint32_t blk = 0;
    apr_status_t rv;

    apr_thread_mutex_lock(q->mu);
    if ((pe = nxs_queue_index_find(&q->idx, seq)) == NULL) {
        apr_thread_mutex_unlock(q->mu);
        return APR_NOTFOUND;
    }
    e = *pe;
    if (e.seg) {
        seg = nxs_queue_seg_by_no(q, e.seg);
    } else {
        (void)nxs_queue_block_of(&blk, q, seq);
    }
    /* Taken before mu is let go: a checkpoint cannot close the file now. */
    apr_thread_rwlock_rdlock(q->files);
    apr_thread_mutex_unlock(q->mu);
    rv = nxs_queue_read_frame(buf, q, seg, NULL, blk, &e);
    apr_thread_rwlock_unlock(q->files);
    if (rv == APR_SUCCESS) {
        memset(rec, 0, sizeof(*rec));
        rv = nxs_qf_enqueue_decode(rec, buf->p + NXS_QF_HDR, (apr_uint32_t)(buf->len - NXS_QF_HDR),
                                   p);
        rec->attempts = e.attempts;
    } else if (rv == APR_EGENERAL) {
        apr_thread_mutex_lock(q->mu);
        q->dropped += nxs_queue_index_remove(&q->idx, seq);
        apr_thread_mutex_unlock(q->mu);
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00017",
                "queue: record %" APR_UINT64_T_FMT " is damaged on disk (%s): dropped, it cannot "
                "be delivered",
                seq, e.seg ? "log segment" : "snapshot");
    }
    return rv;
}

apr_status_t nxs_queue_load(nxs_queue_record_t *rec, nxs_queue_t *q, apr_uint64_t seq,
                            apr_pool_t *p)
{
    nxs_qbuf_t buf = {0};
    apr_status_t rv = load_seq(rec, q, seq, p, &buf);

    nxs_qbuf_free(&buf);
    return rv;
}

apr_status_t nxs_queue_replay(nxs_queue_t *q, nxs_queue_record_fn *fn, void *baton, apr_pool_t *p)
{
    enum { SLICE = 256 };
    nxs_queue_ent_t ents[SLICE];
    nxs_queue_record_t rec;
    nxs_qbuf_t buf = {0};
    apr_pool_t *sp;
    apr_uint64_t after = 0;
    apr_size_t n, i;
    apr_status_t rv;

    if ((rv = apr_pool_create(&sp, p)) != APR_SUCCESS) {
        return rv;
    }
    do {
        apr_thread_mutex_lock(q->mu);
        n = nxs_queue_index_copy(ents, SLICE, &q->idx, after);
        apr_thread_mutex_unlock(q->mu);
        for (i = 0; i < n && rv == APR_SUCCESS; ++i) {
            apr_pool_clear(sp);
            rv = load_seq(&rec, q, ents[i].seq, sp, &buf);
            if (rv == APR_SUCCESS) {
                rv = fn(baton, &rec);
            } else if (rv == APR_NOTFOUND || rv == APR_EGENERAL) {
                /* Finished meanwhile, or damaged (dropped and counted). */
                rv = APR_SUCCESS;
            }
        }
        after = n ? ents[n - 1].seq : after;
    } while (n == SLICE && rv == APR_SUCCESS);
    apr_pool_destroy(sp);
    nxs_qbuf_free(&buf);
    return rv;
}

void nxs_queue_stats(nxs_queue_stats_t *st, nxs_queue_t *q)
{
    nxs_queue_ent_t first;
    nxs_queue_record_t rec;
    nxs_qbuf_t buf = {0};
    apr_uint64_t need = 0;

    memset(st, 0, sizeof(*st));
    apr_thread_mutex_lock(q->mu);
    st->live = q->idx.live;
    st->next_seq = q->next_seq;
    st->log_bytes = nxs_queue_log_bytes(q);
    st->log_segments = q->nsegs;
    st->snapshot_bytes = q->snap_bytes;
    st->snapshot_keys = q->snap_keys;
    st->recent_keys = q->keys.n;
    st->last_checkpoint = q->last_ckpt;
    st->last_checkpoint_took = q->last_ckpt_took;
    st->checkpoints = q->checkpoints;
    st->last_checkpoint_rv = q->last_ckpt_rv;
    st->commits = q->commits;
    st->committed_records = q->committed;
    st->dropped_unreadable = q->dropped;
    st->index_bytes =
        q->idx.bytes + q->keys.cap * sizeof(nxs_queue_key_t) + q->nblk * sizeof(nxs_queue_blk_t);
    st->broken = q->broken;
    if (nxs_queue_index_copy(&first, 1, &q->idx, 0) == 1) {
        if (first.seq == q->oldest_seq) {
            st->oldest_accepted_at = q->oldest_at;
        } else {
            need = first.seq;
        }
    }
    apr_thread_mutex_unlock(q->mu);
    /* The oldest record's time is on disk; read once per new oldest. */
    if (need && load_seq(&rec, q, need, NULL, &buf) == APR_SUCCESS) {
        st->oldest_accepted_at = rec.accepted_at;
        apr_thread_mutex_lock(q->mu);
        q->oldest_seq = need;
        q->oldest_at = rec.accepted_at;
        apr_thread_mutex_unlock(q->mu);
    }
    nxs_qbuf_free(&buf);
}

apr_status_t nxs_queue_close(nxs_queue_t *q)
{
    apr_status_t rv = APR_SUCCESS;
    apr_size_t i;

    if (q->closed) {
        return APR_SUCCESS;
    }
    q->closed = 1;
    if (q->nsegs > 0) {
        rv = nxs_queue_flush(q);
    }
    nxs_queue_snapshot_close(q);
    for (i = 0; i < q->nsegs; ++i) {
        nxs_queue_seg_free(q->segs[i]);
    }
    free(q->segs);
    q->segs = NULL;
    q->nsegs = q->capsegs = 0;
    nxs_queue_index_free(&q->idx);
    nxs_queue_keys_free(&q->keys);
    nxs_queue_batch_free(q);
    if (q->lock_fd >= 0) {
        close(q->lock_fd);
        q->lock_fd = -1;
    }
    return rv;
}
