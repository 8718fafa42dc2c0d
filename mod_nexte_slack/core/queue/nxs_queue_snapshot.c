/* Reading the apr_dbm snapshot: loading it at recovery, records from its
 * blocks, idempotency keys from its buckets.  Writing one is
 * nxs_queue_checkpoint.c.
 *
 * Keys of a snapshot:
 *   "m"                 META: format, covered segment, next seq, counts,
 *                       key bucket bits, block count
 *   "b" + u32 (BE)      a block: ENQUEUE frames of consecutive live records
 *                       in seq order, about NXS_QUEUE_BLOCK bytes
 *   "k" + u32 (BE)      a KEYS frame: (digest, expires_at) pairs sorted by
 *                       digest, all with that many top bits of digest
 * Every value is made of frames, so their checksums guard them here too. */
#include "queue/nxs_queue_int.h"
#include "nxs_log.h"

#include <apr_strings.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void nxs_queue_dbm_key(char *key, char kind, apr_uint32_t no)
{
    key[0] = kind;
    key[1] = (char)((no >> 24) & 0xff);
    key[2] = (char)((no >> 16) & 0xff);
    key[3] = (char)((no >> 8) & 0xff);
    key[4] = (char)(no & 0xff);
}

apr_uint32_t nxs_queue_bucket_of(const unsigned char *d, apr_uint32_t bits)
{
    apr_uint32_t top =
        ((apr_uint32_t)d[0] << 24) | ((apr_uint32_t)d[1] << 16) | ((apr_uint32_t)d[2] << 8) | d[3];
    return bits == 0 ? 0 : bits >= 32 ? top : top >> (32 - bits);
}

static apr_status_t fetch(nxs_qbuf_t *out, int *found, apr_dbm_t *db, const char *key,
                          apr_size_t klen)
{
    apr_datum_t k, v = {NULL, 0};
    apr_status_t rv;

    k.dptr = (char *)key;
    k.dsize = klen;
    *found = 0;
    out->len = 0;
    rv = apr_dbm_fetch(db, k, &v);
    /* Copied at once: Berkeley DB reuses the value's memory on the next call. */
    if (rv == APR_SUCCESS && v.dptr && (rv = nxs_qbuf_reserve(out, v.dsize)) == APR_SUCCESS) {
        memcpy(out->p, v.dptr, v.dsize);
        out->len = v.dsize;
        *found = 1;
    }
    if (v.dptr) {
        apr_dbm_freedatum(db, v);
    }
    return rv;
}

/* ---- handles ------------------------------------------------------------- */

apr_status_t nxs_queue_dbm_open(nxs_queue_dbm_t *h, const char *type, const char *path,
                                apr_int32_t mode, apr_size_t remap)
{
    apr_pool_t *p = NULL;
    apr_dbm_t *db = NULL;
    apr_fileperms_t perm = APR_FPROT_UREAD | APR_FPROT_UWRITE;
    apr_status_t rv;

    if ((rv = apr_pool_create_unmanaged_ex(&p, NULL, NULL)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_dbm_open_ex(&db, type, path, mode, perm, p)) != APR_SUCCESS) {
        apr_pool_destroy(p);
        return rv;
    }
    nxs_queue_dbm_close(h, 0);
    h->db = db;
    h->pool = p;
    h->type = type;
    h->path = path;
    h->mode = mode;
    h->since = 0;
    h->remap = remap;
    return APR_SUCCESS;
}

void nxs_queue_dbm_close(nxs_queue_dbm_t *h, int all)
{
    if (h->db) {
        apr_dbm_close(h->db);
        h->db = NULL;
    }
    if (h->pool) {
        apr_pool_destroy(h->pool);
        h->pool = NULL;
    }
    if (all) {
        nxs_qbuf_free(&h->buf);
        h->ok = 0;
    }
}

apr_status_t nxs_queue_dbm_refresh(nxs_queue_dbm_t *h)
{
    nxs_queue_dbm_t fresh;
    apr_status_t rv;

    if (h->since < h->remap || h->db == NULL) {
        return APR_SUCCESS;
    }
    if (h->mode != APR_DBM_READONLY) {
        /* A writer is exclusive: close, then open again. */
        nxs_queue_dbm_close(h, 0);
        return nxs_queue_dbm_open(h, h->type, h->path, APR_DBM_READWRITE, h->remap);
    }
    memset(&fresh, 0, sizeof(fresh));
    if ((rv = nxs_queue_dbm_open(&fresh, h->type, h->path, h->mode, h->remap)) == APR_SUCCESS) {
        nxs_queue_dbm_close(h, 0);
        h->db = fresh.db;
        h->pool = fresh.pool;
        h->since = 0;
    }
    return rv;
}

apr_status_t nxs_queue_dbm_fetch(nxs_qbuf_t *out, int *found, nxs_queue_dbm_t *h, const char *key,
                                 apr_size_t klen)
{
    apr_status_t rv = h->db ? fetch(out, found, h->db, key, klen) : APR_EGENERAL;

    h->since += out->len;
    return rv;
}

/* The queue's own handle, after a read (snap_mu held).  Not while a
 * checkpoint runs: between its rename and its switch-over, PATH.dbm is
 * already the new snapshot, which this directory does not describe. */
static void snap_refresh(nxs_queue_t *q)
{
    if (q->snap.since >= q->snap.remap && apr_thread_mutex_trylock(q->ckpt_mu) == APR_SUCCESS) {
        (void)nxs_queue_dbm_refresh(&q->snap);
        apr_thread_mutex_unlock(q->ckpt_mu);
    }
}

/* ---- reading --------------------------------------------------------------- */

int nxs_queue_value_frame(const char **body, apr_uint32_t *blen, const char *v, apr_size_t len,
                          int type)
{
    apr_size_t flen;
    int t;

    return nxs_qf_parse(&t, body, blen, &flen, v, len) == NXS_QF_OK && flen == len &&
           (t & NXS_QF_TYPE) == type;
}

int nxs_queue_block_of(apr_uint32_t *no, const nxs_queue_t *q, apr_uint64_t seq)
{
    apr_size_t lo = 0, hi = q->nblk;

    /* The last block whose first seq is <= SEQ. */
    while (lo < hi) {
        apr_size_t mid = lo + (hi - lo) / 2;
        if (q->blk[mid].first_seq <= seq) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return 0;
    }
    *no = q->blk[lo - 1].no;
    return 1;
}

/* Finds SEQ's frame in a block by skipping over lengths (each frame's seq
 * is its last 8 bytes); only the one found is checked, by the caller. */
static int block_find(apr_size_t *at, apr_size_t *flen, const char *b, apr_size_t len,
                      apr_uint64_t seq)
{
    apr_size_t pos = 0, fl;
    apr_uint64_t here;

    while (len - pos >= NXS_QF_HDR + 8) {
        fl = NXS_QF_HDR + (apr_size_t)nxs_qle_get32(b + pos + 4);
        if (fl > len - pos || fl < NXS_QF_HDR + 8) {
            return 0;
        }
        here = nxs_qle_get64(b + pos + fl - 8);
        if (here == seq) {
            *at = pos;
            *flen = fl;
            return 1;
        }
        if (here > seq) {
            return 0;
        }
        pos += fl;
    }
    return 0;
}

static apr_status_t block_read(nxs_qbuf_t *out, nxs_queue_dbm_t *h, apr_uint32_t blk,
                               apr_uint64_t seq)
{
    char key[5];
    apr_size_t at, flen;
    apr_status_t rv;
    int found;

    if (h->db == NULL) {
        return APR_EGENERAL;
    }
    if (!h->ok || h->no != blk) {
        h->ok = 0;
        nxs_queue_dbm_key(key, 'b', blk);
        if ((rv = nxs_queue_dbm_fetch(&h->buf, &found, h, key, sizeof(key))) != APR_SUCCESS) {
            return rv;
        }
        h->ok = found;
        h->no = blk;
    }
    if (!h->ok || !block_find(&at, &flen, h->buf.p, h->buf.len, seq) ||
        (rv = nxs_qbuf_reserve(out, flen)) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    memcpy(out->p, h->buf.p + at, flen);
    out->len = flen;
    return APR_SUCCESS;
}

apr_status_t nxs_queue_read_frame(nxs_qbuf_t *out, nxs_queue_t *q, nxs_queue_seg_t *seg,
                                  nxs_queue_dbm_t *h, apr_uint32_t blk, const nxs_queue_ent_t *e)
{
    const char *body;
    apr_uint32_t blen;
    nxs_queue_record_t r;
    apr_status_t rv;

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
    } else if (h) {
        rv = block_read(out, h, blk, e->seq);
    } else {
        apr_thread_mutex_lock(q->snap_mu);
        rv = block_read(out, &q->snap, blk, e->seq);
        snap_refresh(q);
        apr_thread_mutex_unlock(q->snap_mu);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!nxs_queue_value_frame(&body, &blen, out->p, out->len, NXS_QF_ENQUEUE) ||
        nxs_qf_enqueue_decode(&r, body, blen, NULL) != APR_SUCCESS || r.seq != e->seq) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* Looks D up in a bucket's (digest, expires) pairs, sorted by digest. */
static int bucket_find(apr_time_t *expires, const char *body, apr_uint32_t blen,
                       const unsigned char *d)
{
    apr_size_t lo = 0, hi = blen / (NXS_QUEUE_KEY_LEN + 8);

    while (lo < hi) {
        apr_size_t mid = lo + (hi - lo) / 2;
        const char *e = body + mid * (NXS_QUEUE_KEY_LEN + 8);
        int c = memcmp(e, d, NXS_QUEUE_KEY_LEN);
        if (c == 0) {
            *expires = (apr_time_t)nxs_qle_get64(e + NXS_QUEUE_KEY_LEN);
            return 1;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return 0;
}

apr_status_t nxs_queue_snapshot_has_key(int *taken, nxs_queue_t *q, const unsigned char *d,
                                        apr_time_t now)
{
    char key[5];
    nxs_qbuf_t v = {0};
    const char *body;
    apr_uint32_t blen;
    apr_time_t expires;
    apr_status_t rv;
    int found = 0;

    *taken = 0;
    if (q->snap.db == NULL) {
        return APR_SUCCESS;
    }
    nxs_queue_dbm_key(key, 'k', nxs_queue_bucket_of(d, q->key_bits));
    apr_thread_mutex_lock(q->snap_mu);
    rv = nxs_queue_dbm_fetch(&v, &found, &q->snap, key, sizeof(key));
    snap_refresh(q);
    apr_thread_mutex_unlock(q->snap_mu);
    /* A damaged bucket cannot prove a duplicate: the event is accepted. */
    if (rv == APR_SUCCESS && found &&
        nxs_queue_value_frame(&body, &blen, v.p, v.len, NXS_QF_KEYS) &&
        bucket_find(&expires, body, blen, d)) {
        *taken = expires > now;
    }
    nxs_qbuf_free(&v);
    return rv;
}

char *nxs_queue_set_aside(nxs_queue_t *q, const char *from, int keep, nxs_queue_report_t *report)
{
    long now = (long)apr_time_sec(apr_time_now());
    char *to = apr_psprintf(q->pool, "%s.corrupt-%ld", from, now);
    struct stat st;
    int i;

    if (keep && stat(from, &st) == 0 && st.st_nlink > 1) {
        /* Linked aside by an earlier start whose checkpoint did not finish. */
        return NULL;
    }
    for (i = 1; stat(to, &st) == 0; ++i) {
        to = apr_psprintf(q->pool, "%s.corrupt-%ld-%d", from, now, i);
    }
    if ((keep ? link(from, to) : rename(from, to)) != 0) {
        int err = errno; /* the caller reports it */
        NXS_LOG(NXS_LOG_ERR, APR_FROM_OS_ERROR(err), "NXS00009",
                "queue: cannot %s damaged file %s aside as %s", keep ? "link" : "move", from, to);
        errno = err;
        return NULL;
    }
    NXS_LOG(NXS_LOG_WARNING, 0, "NXS00010", "queue: damaged file %s %s aside as %s", from,
            keep ? "linked" : "moved", to);
    (void)nxs_queue_sync_dir(q->dir);
    if (report) {
        APR_ARRAY_PUSH(report->moved_aside, const char *) = to;
    }
    return to;
}

void nxs_queue_snapshot_close(nxs_queue_t *q)
{
    nxs_queue_dbm_close(&q->snap, 1);
    free(q->blk);
    q->blk = NULL;
    q->nblk = 0;
}

/* ---- recovery ------------------------------------------------------------ */

typedef struct snap_load_t {
    nxs_queue_ent_t *ents;
    apr_size_t n, cap;
    nxs_queue_blk_t *blk;
    apr_size_t nblk, capblk;
    apr_size_t keys, bad;
    int have_meta;
    apr_uint32_t covered, key_bits;
    apr_uint64_t next_seq;
} snap_load_t;

static apr_status_t grow(void **arr, apr_size_t *cap, apr_size_t n, apr_size_t size)
{
    void *na;

    if (n < *cap) {
        return APR_SUCCESS;
    }
    if ((na = realloc(*arr, (*cap ? *cap * 2 : 1024) * size)) == NULL) {
        return APR_ENOMEM;
    }
    *arr = na;
    *cap = *cap ? *cap * 2 : 1024;
    return APR_SUCCESS;
}

/* Where the record after a damaged one at POS starts, if its length field
 * still leads to a good record (or to the block's end); else 0. */
static apr_size_t skip_damaged(const nxs_qbuf_t *v, apr_size_t pos)
{
    apr_size_t fl, nl;
    apr_uint32_t bl;
    const char *b;
    int t;

    if (v->len - pos < NXS_QF_HDR) {
        return 0;
    }
    fl = NXS_QF_HDR + (apr_size_t)nxs_qle_get32(v->p + pos + 4);
    if (fl > v->len - pos) {
        return 0;
    }
    if (pos + fl == v->len ||
        nxs_qf_parse(&t, &b, &bl, &nl, v->p + pos + fl, v->len - pos - fl) == NXS_QF_OK) {
        return pos + fl;
    }
    return 0;
}

/* Every frame of a block is checked; a damaged one is skipped when its
 * length can be trusted, else the rest of the block is lost. */
static apr_status_t load_block(snap_load_t *sl, apr_uint32_t no, const nxs_qbuf_t *v)
{
    apr_size_t pos = 0, flen, next;
    const char *body;
    apr_uint32_t blen;
    nxs_queue_record_t r;
    apr_status_t rv;
    int t, first = 1;

    while (pos < v->len) {
        if (nxs_qf_parse(&t, &body, &blen, &flen, v->p + pos, v->len - pos) != NXS_QF_OK ||
            (t & NXS_QF_TYPE) != NXS_QF_ENQUEUE ||
            nxs_qf_enqueue_decode(&r, body, blen, NULL) != APR_SUCCESS) {
            ++sl->bad;
            if ((next = skip_damaged(v, pos)) == 0) {
                break;
            }
            pos = next;
            continue;
        }
        if ((rv = grow((void **)&sl->ents, &sl->cap, sl->n, sizeof(*sl->ents)))) {
            return rv;
        }
        memset(&sl->ents[sl->n], 0, sizeof(*sl->ents));
        sl->ents[sl->n].seq = r.seq;
        sl->ents[sl->n++].attempts =
            (apr_uint16_t)(r.attempts > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : r.attempts);
        if (first) {
            if ((rv = grow((void **)&sl->blk, &sl->capblk, sl->nblk, sizeof(*sl->blk)))) {
                return rv;
            }
            sl->blk[sl->nblk].first_seq = r.seq;
            sl->blk[sl->nblk++].no = no;
            first = 0;
        }
        pos += flen;
    }
    return APR_SUCCESS;
}

static apr_status_t load_value(snap_load_t *sl, const apr_datum_t *key, const nxs_qbuf_t *v,
                               apr_time_t now)
{
    const unsigned char *k = (const unsigned char *)key->dptr;
    const char *body;
    apr_uint32_t blen, i;

    if (key->dsize == 5 && k[0] == 'b') {
        return load_block(sl, nxs_queue_bucket_of(k + 1, 32), v);
    }
    if (key->dsize == 5 && key->dptr[0] == 'k' &&
        nxs_queue_value_frame(&body, &blen, v->p, v->len, NXS_QF_KEYS)) {
        for (i = 0; i + NXS_QUEUE_KEY_LEN + 8 <= blen; i += NXS_QUEUE_KEY_LEN + 8) {
            sl->keys += (apr_time_t)nxs_qle_get64(body + i + NXS_QUEUE_KEY_LEN) > now;
        }
    } else if (key->dsize == 1 && key->dptr[0] == 'm' &&
               nxs_queue_value_frame(&body, &blen, v->p, v->len, NXS_QF_META) &&
               blen >= NXS_QUEUE_META_LEN && nxs_qle_get32(body) == NXS_QUEUE_FORMAT) {
        sl->have_meta = 1;
        sl->covered = nxs_qle_get32(body + 4);
        sl->next_seq = nxs_qle_get64(body + 8);
        sl->next_seq = sl->next_seq > NXS_QUEUE_SEQ_MAX + 1 ? 0 : sl->next_seq;
        sl->key_bits = nxs_qle_get32(body + 40);
        sl->key_bits = sl->key_bits > NXS_QUEUE_BITS_MAX ? NXS_QUEUE_BITS_MAX : sl->key_bits;
    } else {
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
        rv = fetch(&v, &found, db, key.dptr, key.dsize);
        if (rv == APR_SUCCESS) {
            if (found) {
                rv = load_value(sl, &key, &v, now);
            } else {
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

static int ent_cmp(const void *a, const void *b)
{
    const nxs_queue_ent_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int blk_cmp(const void *a, const void *b)
{
    const nxs_queue_blk_t *x = a, *y = b;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* The snapshot is not usable as a whole: it is moved aside (renamed) and the
 * logs are replayed alone.  What is lost is what lived only here: the
 * records and the idempotency keys older than its checkpoint. */
static apr_status_t unreadable(nxs_queue_snapinfo_t *info, nxs_queue_t *q,
                               nxs_queue_report_t *report)
{
    info->unreadable = 1;
    report->snapshot_unreadable = 1;
    return nxs_queue_set_aside(q, q->snap_final, 0, report) ? APR_SUCCESS
                                                            : APR_FROM_OS_ERROR(errno);
}

apr_status_t nxs_queue_snapshot_load(nxs_queue_snapinfo_t *info, nxs_queue_t *q,
                                     nxs_queue_report_t *report)
{
    const char *path = q->snap_final;
    snap_load_t sl;
    struct stat st;
    apr_size_t i;
    apr_status_t rv = APR_SUCCESS;

    memset(info, 0, sizeof(*info));
    memset(&sl, 0, sizeof(sl));
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) {
            NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00011", "queue recovery: no snapshot %s yet", path);
            return APR_SUCCESS;
        }
        return APR_FROM_OS_ERROR(errno);
    }
    info->found = 1;
    if (nxs_queue_dbm_open(&q->snap, q->type, path, APR_DBM_READONLY, q->opts.dbm_remap) !=
            APR_SUCCESS ||
        (rv = load_all(&sl, q->snap.db, nxs_queue_now(q))) != APR_SUCCESS || !sl.have_meta) {
        nxs_queue_dbm_close(&q->snap, 1);
        free(sl.ents);
        free(sl.blk);
        if (rv != APR_ENOMEM) {
            NXS_LOG(NXS_LOG_WARNING, rv, "NXS00012",
                    "queue recovery: snapshot %s cannot be read: moving it aside and replaying "
                    "the logs alone",
                    path);
        }
        return rv == APR_ENOMEM ? rv : unreadable(info, q, report);
    }
    if (sl.n > 1) {
        qsort(sl.ents, sl.n, sizeof(*sl.ents), ent_cmp);
    }
    if (sl.nblk > 1) {
        qsort(sl.blk, sl.nblk, sizeof(*sl.blk), blk_cmp);
    }
    for (i = 0; i < sl.n && rv == APR_SUCCESS; ++i) {
        if (i == 0 || sl.ents[i].seq != sl.ents[i - 1].seq) {
            rv = nxs_queue_index_push(&q->idx, &sl.ents[i]);
        }
    }
    free(sl.ents);
    /* The walk touched every page: start the handle afresh. */
    q->snap.since = q->snap.remap;
    (void)nxs_queue_dbm_refresh(&q->snap);
    q->blk = sl.blk;
    q->nblk = sl.nblk;
    q->key_bits = sl.key_bits;
    q->covered = sl.covered;
    q->snap_bytes = st.st_size;
    q->snap_keys = sl.keys;
    info->covered = sl.covered;
    info->next_seq = sl.next_seq;
    report->snapshot_records = q->idx.live;
    report->snapshot_keys = sl.keys;
    report->snapshot_bad = sl.bad;
    NXS_LOG(NXS_LOG_INFO, 0, "NXS00013",
            "queue recovery: snapshot %s loaded: %" APR_SIZE_T_FMT " records, %" APR_SIZE_T_FMT
            " idempotency keys, covering log segments up to %u",
            path, report->snapshot_records, sl.keys, (unsigned)sl.covered);
    if (sl.bad > 0) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00014",
                "queue recovery: snapshot %s: %" APR_SIZE_T_FMT
                " damaged values dropped, the rest kept",
                path, sl.bad);
        /* What is readable is used, and recovery writes a clean snapshot
         * over this one; a hard link keeps the damaged file for inspection. */
        (void)nxs_queue_set_aside(q, path, 1, report);
        info->damaged = 1;
    }
    return rv;
}
