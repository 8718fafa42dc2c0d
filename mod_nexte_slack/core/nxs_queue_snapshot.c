/* The apr_dbm snapshot: loading it at recovery, reading records and keys
 * from it, and the checkpoint that writes a new one.
 *
 * apr_dbm is never modified in place (bench/primitives: no type survives
 * kill -9 that way).  A checkpoint writes every live record and unexpired
 * key into a fresh PATH.dbm.tmp-N, closes and fdatasyncs it, renames it over
 * PATH.dbm, fsyncs the directory, and only then deletes the log segments
 * 1..N it covers.  A kill before the rename leaves the old snapshot and all
 * logs (the tmp file is deleted at the next open); after it, the new
 * snapshot, whose META record names N, so that leftover segments 1..N are
 * deleted rather than replayed.
 *
 * Keys: "m" META; "r" + seq (8 bytes, big-endian) a record's ENQUEUE frame;
 * "i" + digest an idempotency key's IDEM frame.  Values are whole frames, so
 * their checksum guards them here too. */
#include "nxs_queue_int.h"

#include <apr_strings.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_LEN (4 + 4 + 8 + 8 + 8 + 8)

void nxs_queue_snap_key(char *key, apr_uint64_t seq)
{
    int i;

    key[0] = 'r';
    for (i = 0; i < 8; ++i) {
        key[1 + i] = (char)((seq >> (8 * (7 - i))) & 0xff);
    }
}

apr_status_t nxs_queue_snapshot_fetch(nxs_qbuf_t *out, int *found, apr_dbm_t *db,
                                      const char *key, apr_size_t klen)
{
    apr_datum_t k, v = {NULL, 0};
    apr_status_t rv;

    k.dptr = (char *)key;
    k.dsize = klen;
    *found = 0;
    out->len = 0;
    rv = apr_dbm_fetch(db, k, &v);
    /* Copied at once: Berkeley DB reuses the value's memory on the next call. */
    if (rv == APR_SUCCESS && v.dptr &&
        (rv = nxs_qbuf_reserve(out, v.dsize)) == APR_SUCCESS) {
        memcpy(out->p, v.dptr, v.dsize);
        out->len = v.dsize;
        *found = 1;
    }
    if (v.dptr) {
        apr_dbm_freedatum(db, v);
    }
    return rv;
}

/* A snapshot value must be exactly one good frame of TYPE. */
static int value_frame(const char **body, apr_uint32_t *blen, const nxs_qbuf_t *v, int type)
{
    apr_size_t flen;
    int t;

    return nxs_qf_parse(&t, body, blen, &flen, v->p, v->len) == NXS_QF_OK && flen == v->len &&
           (t & NXS_QF_TYPE) == type;
}

apr_status_t nxs_queue_read_frame(nxs_qbuf_t *out, nxs_queue_t *q, nxs_queue_seg_t *seg,
                                  apr_dbm_t *db, const nxs_queue_ent_t *e)
{
    char key[9];
    const char *body;
    apr_uint32_t blen;
    nxs_queue_record_t r;
    apr_status_t rv;
    int found = 1;

    out->len = 0;
    if (e->seg != 0) {
        if (seg == NULL) {
            return APR_EGENERAL;
        }
        if ((rv = nxs_qbuf_reserve(out, e->len)) != APR_SUCCESS ||
            (rv = nxs_queue_pread_all(seg->fd, out->p, e->len, e->off)) != APR_SUCCESS) {
            return rv == APR_EOF ? APR_EGENERAL : rv;
        }
        out->len = e->len;
    }
    else {
        nxs_queue_snap_key(key, e->seq);
        if (db) {
            rv = nxs_queue_snapshot_fetch(out, &found, db, key, sizeof(key));
        }
        else {
            apr_thread_mutex_lock(q->snap_mu);
            rv = q->snap ? nxs_queue_snapshot_fetch(out, &found, q->snap, key, sizeof(key))
                         : APR_EGENERAL;
            apr_thread_mutex_unlock(q->snap_mu);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (!found || !value_frame(&body, &blen, out, NXS_QF_ENQUEUE) ||
        nxs_qf_enqueue_decode(&r, body, blen, NULL) != APR_SUCCESS || r.seq != e->seq) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_queue_snapshot_has_key(int *taken, nxs_queue_t *q, const unsigned char *d,
                                        apr_time_t now)
{
    char key[1 + NXS_QUEUE_KEY_LEN];
    unsigned char dd[NXS_QUEUE_KEY_LEN];
    nxs_qbuf_t v = {0};
    const char *body;
    apr_uint32_t blen;
    apr_time_t expires;
    apr_status_t rv = APR_SUCCESS;
    int found = 0;

    *taken = 0;
    if (q->snap == NULL) {
        return APR_SUCCESS;
    }
    key[0] = 'i';
    memcpy(key + 1, d, NXS_QUEUE_KEY_LEN);
    apr_thread_mutex_lock(q->snap_mu);
    rv = nxs_queue_snapshot_fetch(&v, &found, q->snap, key, sizeof(key));
    apr_thread_mutex_unlock(q->snap_mu);
    /* A damaged value cannot prove a duplicate: the event is accepted. */
    if (rv == APR_SUCCESS && found && value_frame(&body, &blen, &v, NXS_QF_IDEM) &&
        nxs_qf_idem_decode(dd, &expires, body, blen) == APR_SUCCESS &&
        memcmp(dd, d, NXS_QUEUE_KEY_LEN) == 0) {
        *taken = expires > now;
    }
    nxs_qbuf_free(&v);
    return rv;
}

char *nxs_queue_move_aside(nxs_queue_t *q, const char *from, nxs_queue_report_t *report)
{
    long now = (long)apr_time_sec(apr_time_now());
    char *to = apr_psprintf(q->pool, "%s.corrupt-%ld", from, now);
    struct stat st;
    int i;

    for (i = 1; stat(to, &st) == 0; ++i) {
        to = apr_psprintf(q->pool, "%s.corrupt-%ld-%d", from, now, i);
    }
    if (rename(from, to) != 0) {
        return NULL;
    }
    (void)nxs_queue_sync_dir(q->dir);
    if (report) {
        APR_ARRAY_PUSH(report->moved_aside, const char *) = to;
    }
    return to;
}

void nxs_queue_snapshot_close(nxs_queue_t *q)
{
    if (q->snap) {
        apr_dbm_close(q->snap);
        q->snap = NULL;
    }
    if (q->snap_pool) {
        apr_pool_destroy(q->snap_pool);
        q->snap_pool = NULL;
    }
}

static int ent_cmp(const void *a, const void *b)
{
    const nxs_queue_ent_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- recovery ------------------------------------------------------------ */

typedef struct snap_load_t {
    nxs_queue_ent_t *ents;
    apr_size_t n, cap;
    apr_size_t keys, bad;
    int have_meta;
    apr_uint32_t covered;
    apr_uint64_t next_seq;
} snap_load_t;

static apr_status_t load_value(snap_load_t *sl, const apr_datum_t *key, const nxs_qbuf_t *v,
                               apr_time_t now)
{
    unsigned char d[NXS_QUEUE_KEY_LEN];
    const char *body;
    apr_uint32_t blen;
    nxs_queue_record_t r;
    apr_time_t expires;
    char rk[9];

    if (key->dsize == 9 && key->dptr[0] == 'r' && value_frame(&body, &blen, v, NXS_QF_ENQUEUE) &&
        nxs_qf_enqueue_decode(&r, body, blen, NULL) == APR_SUCCESS &&
        (nxs_queue_snap_key(rk, r.seq), memcmp(rk, key->dptr, 9) == 0)) {
        if (sl->n == sl->cap) {
            apr_size_t cap = sl->cap ? sl->cap * 2 : 1024;
            nxs_queue_ent_t *ne = realloc(sl->ents, cap * sizeof(*ne));
            if (ne == NULL) {
                return APR_ENOMEM;
            }
            sl->ents = ne;
            sl->cap = cap;
        }
        memset(&sl->ents[sl->n], 0, sizeof(*sl->ents));
        sl->ents[sl->n].seq = r.seq;
        sl->ents[sl->n++].attempts =
            (apr_uint16_t)(r.attempts > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : r.attempts);
    }
    else if (key->dsize == 1 + NXS_QUEUE_KEY_LEN && key->dptr[0] == 'i' &&
             value_frame(&body, &blen, v, NXS_QF_IDEM) &&
             nxs_qf_idem_decode(d, &expires, body, blen) == APR_SUCCESS &&
             memcmp(d, key->dptr + 1, NXS_QUEUE_KEY_LEN) == 0) {
        sl->keys += expires > now;
    }
    else if (key->dsize == 1 && key->dptr[0] == 'm' && value_frame(&body, &blen, v, NXS_QF_META) &&
             blen >= META_LEN && nxs_qle_get32(body) == NXS_QUEUE_FORMAT) {
        sl->have_meta = 1;
        sl->covered = nxs_qle_get32(body + 4);
        sl->next_seq = nxs_qle_get64(body + 8);
    }
    else {
        ++sl->bad;
    }
    return APR_SUCCESS;
}

/* Walks every key.  Keys are freed one step behind: apr_dbm's GDBM driver
 * keeps each returned datum until apr_dbm_freedatum. */
static apr_status_t load_all(snap_load_t *sl, apr_dbm_t *db, apr_time_t now)
{
    apr_datum_t key = {NULL, 0}, prev;
    nxs_qbuf_t v = {0};
    apr_status_t rv;
    int found;

    rv = apr_dbm_firstkey(db, &key);
    while (rv == APR_SUCCESS && key.dptr) {
        rv = nxs_queue_snapshot_fetch(&v, &found, db, key.dptr, key.dsize);
        if (rv == APR_SUCCESS) {
            if (found) {
                rv = load_value(sl, &key, &v, now);
            }
            else {
                ++sl->bad;
            }
        }
        if (rv == APR_SUCCESS) {
            prev = key;
            rv = apr_dbm_nextkey(db, &key);
            apr_dbm_freedatum(db, prev);
        }
    }
    nxs_qbuf_free(&v);
    return rv;
}

apr_status_t nxs_queue_snapshot_load(nxs_queue_snapinfo_t *info, nxs_queue_t *q,
                                     nxs_queue_report_t *report)
{
    const char *path = q->snap_final;
    snap_load_t sl;
    apr_pool_t *sp = NULL;
    apr_dbm_t *db = NULL;
    struct stat st;
    apr_size_t i;
    apr_status_t rv = APR_SUCCESS;

    memset(info, 0, sizeof(*info));
    memset(&sl, 0, sizeof(sl));
    if (stat(path, &st) != 0) {
        return errno == ENOENT ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
    }
    info->found = 1;
    if ((rv = apr_pool_create(&sp, q->pool)) != APR_SUCCESS) {
        return rv;
    }
    if (apr_dbm_open_ex(&db, q->type, path, APR_DBM_READONLY, APR_FPROT_UREAD, sp) !=
            APR_SUCCESS ||
        load_all(&sl, db, nxs_queue_now(q)) != APR_SUCCESS || !sl.have_meta) {
        /* Unusable as a whole: the logs alone are replayed (what is lost is
         * what lived only here: records and keys older than its checkpoint). */
        if (db) {
            apr_dbm_close(db);
        }
        apr_pool_destroy(sp);
        free(sl.ents);
        info->unreadable = 1;
        report->snapshot_unreadable = 1;
        if (nxs_queue_move_aside(q, path, report) == NULL) {
            rv = APR_FROM_OS_ERROR(errno);
        }
        return rv;
    }
    if (sl.n > 1) {
        qsort(sl.ents, sl.n, sizeof(*sl.ents), ent_cmp);
    }
    for (i = 0; i < sl.n && rv == APR_SUCCESS; ++i) {
        if (i == 0 || sl.ents[i].seq != sl.ents[i - 1].seq) {
            rv = nxs_queue_index_push(&q->idx, &sl.ents[i]);
        }
    }
    free(sl.ents);
    q->snap = db;
    q->snap_pool = sp;
    q->snap_path = path;
    q->covered = sl.covered;
    q->snap_bytes = st.st_size;
    q->snap_keys = sl.keys;
    info->covered = sl.covered;
    info->next_seq = sl.next_seq;
    report->snapshot_records = q->idx.live;
    report->snapshot_keys = sl.keys;
    report->snapshot_bad = sl.bad;
    if (sl.bad > 0) {
        /* Keep what is readable (the handle stays open on the moved file)
         * and let recovery write a clean snapshot. */
        const char *to = nxs_queue_move_aside(q, path, report);
        q->snap_path = to ? to : path;
        info->damaged = 1;
    }
    return rv;
}

/* ---- checkpoint ---------------------------------------------------------- */

typedef struct ckpt_t {
    nxs_queue_t *q;
    apr_pool_t *p;
    apr_uint32_t covered;
    apr_uint64_t next_seq;
    apr_dbm_t *out; /* the new snapshot */
    apr_dbm_t *old; /* our own handle on the current one */
    const char *tmp;
    apr_size_t records, keys;
    apr_off_t dirty; /* given back if the checkpoint fails */
    nxs_qbuf_t buf;
} ckpt_t;

static apr_status_t hook(nxs_queue_t *q, nxs_queue_ckpt_step_e step)
{
    return q->opts.checkpoint_hook ? q->opts.checkpoint_hook(q->opts.hook_baton, step)
                                   : APR_SUCCESS;
}

static apr_status_t store(ckpt_t *ck, const char *key, apr_size_t klen, const nxs_qbuf_t *v)
{
    apr_datum_t k, d;

    k.dptr = (char *)key;
    k.dsize = klen;
    d.dptr = v->p;
    d.dsize = v->len;
    return apr_dbm_store(ck->out, k, d);
}

static void remove_dbm_files(ckpt_t *ck, const char *path)
{
    const char *u1 = NULL, *u2 = NULL;
    const char *slash = strrchr(path, '/');

    if (apr_dbm_get_usednames_ex(ck->p, ck->q->type, path, &u1, &u2) == APR_SUCCESS) {
        (void)unlink(u1);
        if (u2) {
            (void)unlink(u2);
        }
    }
    /* Berkeley DB creates through a "__db.NAME" file; a leftover one makes
     * the next create of NAME loop forever (bench/primitives). */
    (void)unlink(slash ? apr_psprintf(ck->p, "%.*s/__db.%s", (int)(slash - path), path, slash + 1)
                       : apr_pstrcat(ck->p, "__db.", path, NULL));
}

/* Copies every live record of segments 1..covered and of the snapshot. */
static apr_status_t copy_records(ckpt_t *ck)
{
    enum { SLICE = 256 };
    nxs_queue_t *q = ck->q;
    nxs_queue_ent_t ents[SLICE];
    nxs_queue_seg_t *segs[SLICE];
    apr_uint64_t after = 0;
    apr_size_t n, i;
    apr_status_t rv = APR_SUCCESS;
    char key[9];
    int more = 1;

    while (more && rv == APR_SUCCESS) {
        /* Slices, so that appends and DONEs go on meanwhile.  A record
         * finished before it is copied is left out, which is what its DONE
         * says; one finished after is cancelled by its DONE in a newer
         * segment. */
        apr_thread_mutex_lock(q->mu);
        n = nxs_queue_index_copy(ents, SLICE, &q->idx, after);
        for (i = 0; i < n; ++i) {
            segs[i] = ents[i].seg ? nxs_queue_seg_by_no(q, ents[i].seg) : NULL;
        }
        apr_thread_mutex_unlock(q->mu);
        more = n == SLICE;
        for (i = 0; i < n && rv == APR_SUCCESS; ++i) {
            if (ents[i].seg > ck->covered) {
                more = 0;
                break;
            }
            rv = nxs_queue_read_frame(&ck->buf, q, segs[i], ck->old, &ents[i]);
            if (rv == APR_EGENERAL) {
                /* Damaged since it was acknowledged: it cannot be delivered. */
                apr_thread_mutex_lock(q->mu);
                q->dropped += nxs_queue_index_remove(&q->idx, ents[i].seq);
                apr_thread_mutex_unlock(q->mu);
                rv = APR_SUCCESS;
                continue;
            }
            if (rv != APR_SUCCESS) {
                break;
            }
            if (nxs_qle_get32(ck->buf.p + NXS_QF_HDR + 8) != ents[i].attempts) {
                nxs_qf_enqueue_set_attempts(ck->buf.p, ck->buf.len, ents[i].attempts);
            }
            nxs_queue_snap_key(key, ents[i].seq);
            if ((rv = store(ck, key, sizeof(key), &ck->buf)) == APR_SUCCESS) {
                ++ck->records;
            }
        }
        if (n) {
            after = ents[n - 1].seq;
        }
    }
    return rv;
}

/* Unexpired keys: the current snapshot's, then those logged in 1..covered
 * (a later store of the same digest wins: it is the newer acceptance). */
static apr_status_t copy_keys(ckpt_t *ck)
{
    nxs_queue_t *q = ck->q;
    apr_time_t now = nxs_queue_now(q), expires;
    unsigned char d[NXS_QUEUE_KEY_LEN];
    nxs_queue_key_t *keys = NULL;
    apr_datum_t key = {NULL, 0}, prev;
    const char *body;
    apr_uint32_t blen;
    apr_size_t n = 0, i;
    apr_status_t rv = APR_SUCCESS;
    char kb[1 + NXS_QUEUE_KEY_LEN];
    int found;

    if (ck->old) {
        rv = apr_dbm_firstkey(ck->old, &key);
        while (rv == APR_SUCCESS && key.dptr) {
            if (key.dsize == sizeof(kb) && key.dptr[0] == 'i' &&
                (rv = nxs_queue_snapshot_fetch(&ck->buf, &found, ck->old, key.dptr,
                                               key.dsize)) == APR_SUCCESS &&
                found && value_frame(&body, &blen, &ck->buf, NXS_QF_IDEM) &&
                nxs_qf_idem_decode(d, &expires, body, blen) == APR_SUCCESS && expires > now) {
                if ((rv = store(ck, key.dptr, key.dsize, &ck->buf)) == APR_SUCCESS) {
                    ++ck->keys;
                }
            }
            if (rv == APR_SUCCESS) {
                prev = key;
                rv = apr_dbm_nextkey(ck->old, &key);
                apr_dbm_freedatum(ck->old, prev);
            }
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    apr_thread_mutex_lock(q->mu);
    if (q->keys.n && (keys = malloc(q->keys.n * sizeof(*keys))) != NULL) {
        for (i = 0; i < q->keys.cap; ++i) {
            const nxs_queue_key_t *s = &q->keys.slot[i];
            if (s->used && s->seg != 0 && s->seg <= ck->covered && s->expires > now) {
                keys[n++] = *s;
            }
        }
    }
    rv = q->keys.n && keys == NULL ? APR_ENOMEM : APR_SUCCESS;
    apr_thread_mutex_unlock(q->mu);
    for (i = 0; i < n && rv == APR_SUCCESS; ++i) {
        ck->buf.len = 0;
        kb[0] = 'i';
        memcpy(kb + 1, keys[i].d, NXS_QUEUE_KEY_LEN);
        if ((rv = nxs_qf_idem_put(&ck->buf, keys[i].d, keys[i].expires, NULL, NULL)) ==
                APR_SUCCESS &&
            (rv = store(ck, kb, sizeof(kb), &ck->buf)) == APR_SUCCESS) {
            ++ck->keys;
        }
    }
    free(keys);
    return rv;
}

static apr_status_t write_meta(ckpt_t *ck)
{
    char body[META_LEN];
    apr_status_t rv;

    nxs_qle_put32(body, NXS_QUEUE_FORMAT);
    nxs_qle_put32(body + 4, ck->covered);
    nxs_qle_put64(body + 8, ck->next_seq);
    nxs_qle_put64(body + 16, (apr_uint64_t)apr_time_now());
    nxs_qle_put64(body + 24, ck->records);
    nxs_qle_put64(body + 32, ck->keys);
    ck->buf.len = 0;
    if ((rv = nxs_qf_put(&ck->buf, NXS_QF_META, body, sizeof(body))) == APR_SUCCESS) {
        rv = store(ck, "m", 1, &ck->buf);
    }
    return rv;
}

/* Writes PATH.dbm.tmp-N and closes it. */
static apr_status_t write_snapshot(ckpt_t *ck)
{
    nxs_queue_t *q = ck->q;
    const char *cur = NULL;
    apr_status_t rv;

    ck->tmp = apr_psprintf(ck->p, "%s.dbm.tmp-%u", q->path, (unsigned)ck->covered);
    remove_dbm_files(ck, ck->tmp);
    apr_thread_mutex_lock(q->mu);
    if (q->snap) {
        cur = apr_pstrdup(ck->p, q->snap_path);
    }
    apr_thread_mutex_unlock(q->mu);
    if (cur && (rv = apr_dbm_open_ex(&ck->old, q->type, cur, APR_DBM_READONLY, APR_FPROT_UREAD,
                                     ck->p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_dbm_open_ex(&ck->out, q->type, ck->tmp, APR_DBM_RWCREATE,
                              APR_FPROT_UREAD | APR_FPROT_UWRITE, ck->p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = copy_records(ck)) == APR_SUCCESS && (rv = copy_keys(ck)) == APR_SUCCESS) {
        rv = write_meta(ck);
    }
    /* Closing writes GDBM's and DB's last pages; the sync follows. */
    apr_dbm_close(ck->out);
    ck->out = NULL;
    return rv;
}

static apr_status_t sync_and_rename(ckpt_t *ck, const char *final)
{
    const char *t1 = NULL, *t2 = NULL, *f1 = NULL, *f2 = NULL;
    nxs_queue_t *q = ck->q;
    apr_status_t rv;

    if ((rv = apr_dbm_get_usednames_ex(ck->p, q->type, ck->tmp, &t1, &t2)) != APR_SUCCESS ||
        (rv = apr_dbm_get_usednames_ex(ck->p, q->type, final, &f1, &f2)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = nxs_queue_sync_path(t1)) != APR_SUCCESS ||
        (t2 && (rv = nxs_queue_sync_path(t2)) != APR_SUCCESS) ||
        (rv = hook(q, NXS_QUEUE_CKPT_SYNCED)) != APR_SUCCESS) {
        return rv;
    }
    /* One file for GDBM and DB (open refuses types with two). */
    if (rename(t1, f1) != 0 || (t2 && f2 && rename(t2, f2) != 0)) {
        return APR_FROM_OS_ERROR(errno);
    }
    ck->tmp = NULL;
    if ((rv = hook(q, NXS_QUEUE_CKPT_RENAMED)) == APR_SUCCESS &&
        (rv = nxs_queue_sync_dir(q->dir)) == APR_SUCCESS) {
        rv = hook(q, NXS_QUEUE_CKPT_DIR_SYNCED);
    }
    return rv;
}

/* The new snapshot is durable: serve from it and drop the covered segments. */
static apr_status_t switch_over(ckpt_t *ck, const char *final)
{
    nxs_queue_t *q = ck->q;
    apr_pool_t *np = NULL, *op;
    apr_dbm_t *ndb = NULL, *odb;
    nxs_queue_seg_t **gone = NULL;
    apr_size_t ngone = 0, i, j;
    struct stat st;
    apr_status_t rv;

    if ((rv = apr_pool_create(&np, q->pool)) != APR_SUCCESS ||
        (rv = apr_dbm_open_ex(&ndb, q->type, final, APR_DBM_READONLY, APR_FPROT_UREAD, np)) !=
            APR_SUCCESS) {
        /* Still consistent: the segments stay until the next checkpoint. */
        if (np) {
            apr_pool_destroy(np);
        }
        return rv;
    }
    if ((gone = malloc((q->nsegs + 1) * sizeof(*gone))) == NULL) {
        apr_dbm_close(ndb);
        apr_pool_destroy(np);
        return APR_ENOMEM;
    }
    apr_thread_mutex_lock(q->mu);
    apr_thread_rwlock_wrlock(q->files);
    odb = q->snap;
    op = q->snap_pool;
    q->snap = ndb;
    q->snap_pool = np;
    q->snap_path = final;
    q->covered = ck->covered;
    q->snap_bytes = stat(final, &st) == 0 ? st.st_size : 0;
    q->snap_keys = ck->keys;
    nxs_queue_index_rebase(&q->idx, ck->covered);
    rv = nxs_queue_keys_prune(&q->keys, ck->covered);
    for (i = j = 0; i < q->nsegs; ++i) {
        if (q->segs[i]->no <= ck->covered) {
            gone[ngone++] = q->segs[i];
        }
        else {
            q->segs[j++] = q->segs[i];
        }
    }
    q->nsegs = j;
    apr_thread_rwlock_unlock(q->files);
    apr_thread_mutex_unlock(q->mu);
    if (odb) {
        apr_dbm_close(odb);
    }
    if (op) {
        apr_pool_destroy(op);
    }
    for (i = 0; i < ngone; ++i) {
        if (!gone[i]->aside) {
            (void)unlink(gone[i]->path);
        }
        nxs_queue_seg_free(gone[i]);
    }
    free(gone);
    if (rv == APR_SUCCESS && ngone && (rv = nxs_queue_sync_dir(q->dir)) == APR_SUCCESS) {
        rv = hook(q, NXS_QUEUE_CKPT_LOGS_DELETED);
    }
    return rv;
}

static apr_status_t checkpoint(ckpt_t *ck)
{
    nxs_queue_t *q = ck->q;
    apr_status_t rv;

    apr_thread_mutex_lock(q->mu);
    if ((rv = q->broken) == APR_SUCCESS) {
        nxs_queue_lead_acquire(q);
        ck->covered = q->segs[q->nsegs - 1]->no;
        rv = nxs_queue_rotate(q);
        ck->next_seq = q->next_seq;
        /* What is logged from now on is what the next checkpoint is for. */
        ck->dirty = q->dirty;
        q->dirty = 0;
        nxs_queue_lead_release(q);
    }
    apr_thread_mutex_unlock(q->mu);
    if (rv != APR_SUCCESS || (rv = hook(q, NXS_QUEUE_CKPT_ROTATED)) != APR_SUCCESS) {
        return rv;
    }
    rv = write_snapshot(ck);
    if (ck->old) {
        apr_dbm_close(ck->old);
        ck->old = NULL;
    }
    if (rv != APR_SUCCESS || (rv = hook(q, NXS_QUEUE_CKPT_WRITTEN)) != APR_SUCCESS ||
        (rv = sync_and_rename(ck, q->snap_final)) != APR_SUCCESS) {
        return rv;
    }
    return switch_over(ck, q->snap_final);
}

apr_status_t nxs_queue_checkpoint(nxs_queue_t *q)
{
    ckpt_t ck;
    apr_time_t start = apr_time_now();
    apr_status_t rv;

    memset(&ck, 0, sizeof(ck));
    ck.q = q;
    apr_thread_mutex_lock(q->ckpt_mu);
    if ((rv = apr_pool_create(&ck.p, q->pool)) == APR_SUCCESS) {
        rv = checkpoint(&ck);
        if (ck.tmp) {
            /* Never renamed: it is no snapshot. */
            remove_dbm_files(&ck, ck.tmp);
        }
        nxs_qbuf_free(&ck.buf);
        apr_pool_destroy(ck.p);
    }
    apr_thread_mutex_lock(q->mu);
    q->last_ckpt = nxs_queue_now(q);
    q->last_ckpt_took = apr_time_now() - start;
    q->last_ckpt_rv = rv;
    q->checkpoints += rv == APR_SUCCESS;
    if (rv != APR_SUCCESS) {
        q->dirty += ck.dirty;
    }
    apr_thread_mutex_unlock(q->mu);
    apr_thread_mutex_unlock(q->ckpt_mu);
    return rv;
}

apr_status_t nxs_queue_maybe_checkpoint(int *did, nxs_queue_t *q)
{
    apr_status_t rv;
    int due;

    if (did) {
        *did = 0;
    }
    if ((rv = nxs_queue_flush(q)) != APR_SUCCESS) {
        return rv;
    }
    apr_thread_mutex_lock(q->mu);
    due = nxs_queue_log_bytes(q) >= q->opts.checkpoint_bytes ||
          (q->opts.checkpoint_interval > 0 && q->dirty > 0 &&
           nxs_queue_now(q) - q->last_ckpt >= q->opts.checkpoint_interval);
    apr_thread_mutex_unlock(q->mu);
    if (due) {
        rv = nxs_queue_checkpoint(q);
        if (did) {
            *did = rv == APR_SUCCESS;
        }
    }
    return rv;
}
