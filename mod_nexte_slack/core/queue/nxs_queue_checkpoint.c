/* The checkpoint: writes a new apr_dbm snapshot of every live record and
 * unexpired idempotency key, then deletes the log segments it covers.
 *
 * apr_dbm is never modified in place (bench/primitives: no type survives
 * kill -9 that way).  Steps, each a hook point for tests:
 *   1. ROTATED      appends move to a new segment N+1 (unless segment N+1
 *                   is already the active one, still empty); the snapshot
 *                   will cover segments 1..N;
 *   2. WRITTEN      PATH.dbm.tmp-N written from the index, a slice at a time
 *                   so that appends and DONEs go on, and closed;
 *   3. SYNCED       fdatasync'ed (apr_dbm has no sync: a read-only fd does);
 *   4. RENAMED      renamed over PATH.dbm;
 *   5. DIR_SYNCED   the directory fsync'ed: the new snapshot is durable;
 *   6. LOGS_DELETED the queue reads from it, segments 1..N are deleted.
 * A kill before 4 leaves the old snapshot with every log (the tmp file is
 * deleted at the next open); from 4 on, the new snapshot, whose META names
 * N, so leftover segments 1..N are deleted at the next open, not replayed. */
#include "queue/nxs_queue_int.h"
#include "nxs_log.h"

#include <apr_strings.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ckpt_t {
    nxs_queue_t *q;
    apr_pool_t *p;
    apr_uint32_t covered;
    apr_uint64_t next_seq;
    nxs_queue_dbm_t out; /* the new snapshot */
    nxs_queue_dbm_t rd;  /* our own reader of the current one */
    const char *tmp;
    nxs_qbuf_t buf;       /* a frame */
    nxs_qbuf_t block;     /* the block being filled */
    nxs_queue_blk_t *dir; /* the new snapshot's block directory */
    apr_size_t ndir, capdir;
    apr_uint32_t key_bits, old_bits;
    apr_size_t old_keys;
    apr_size_t records, keys;
    apr_off_t dirty; /* given back if the checkpoint fails */
} ckpt_t;

static apr_status_t hook(nxs_queue_t *q, nxs_queue_ckpt_step_e step)
{
    return q->opts.checkpoint_hook ? q->opts.checkpoint_hook(q->opts.hook_baton, step)
                                   : APR_SUCCESS;
}

static apr_status_t store(ckpt_t *ck, const char *key, apr_size_t klen, const char *v,
                          apr_size_t vlen)
{
    apr_datum_t k, d;

    apr_status_t rv;

    k.dptr = (char *)key;
    k.dsize = klen;
    d.dptr = (char *)v;
    d.dsize = vlen;
    if ((rv = apr_dbm_store(ck->out.db, k, d)) == APR_SUCCESS) {
        /* A reopen also writes out what GDBM holds in its map. */
        ck->out.since += klen + vlen;
        rv = nxs_queue_dbm_refresh(&ck->out);
    }
    return rv;
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

/* ---- records -------------------------------------------------------------- */

static apr_status_t block_flush(ckpt_t *ck)
{
    char key[5];
    apr_status_t rv;

    if (ck->block.len == 0) {
        return APR_SUCCESS;
    }
    nxs_queue_dbm_key(key, 'b', (apr_uint32_t)(ck->ndir - 1));
    rv = store(ck, key, sizeof(key), ck->block.p, ck->block.len);
    ck->block.len = 0;
    return rv;
}

static apr_status_t block_add(ckpt_t *ck, apr_uint64_t seq, const nxs_qbuf_t *frame)
{
    apr_status_t rv;

    if (ck->block.len && ck->block.len + frame->len > NXS_QUEUE_BLOCK &&
        (rv = block_flush(ck)) != APR_SUCCESS) {
        return rv;
    }
    if (ck->block.len == 0) {
        if (ck->ndir == ck->capdir) {
            apr_size_t cap = ck->capdir ? ck->capdir * 2 : 64;
            nxs_queue_blk_t *nd = realloc(ck->dir, cap * sizeof(*nd));
            if (nd == NULL) {
                return APR_ENOMEM;
            }
            ck->dir = nd;
            ck->capdir = cap;
        }
        ck->dir[ck->ndir].first_seq = seq;
        ck->dir[ck->ndir].no = (apr_uint32_t)ck->ndir;
        ++ck->ndir;
    }
    if ((rv = nxs_qbuf_reserve(&ck->block, frame->len)) == APR_SUCCESS) {
        memcpy(ck->block.p + ck->block.len, frame->p, frame->len);
        ck->block.len += frame->len;
    }
    return rv;
}

/* Copies every live record of the current snapshot and of segments
 * 1..covered, in seq order, into blocks. */
static apr_status_t copy_records(ckpt_t *ck)
{
    enum { SLICE = 256 };
    nxs_queue_t *q = ck->q;
    nxs_queue_ent_t ents[SLICE];
    nxs_queue_seg_t *segs[SLICE];
    apr_uint32_t blks[SLICE];
    apr_uint64_t after = 0;
    apr_size_t n, i;
    apr_status_t rv = APR_SUCCESS;
    int more = 1;

    while (more && rv == APR_SUCCESS) {
        /* A slice at a time, so that appends and DONEs go on meanwhile.  A
         * record finished before it is copied is left out, as its DONE says;
         * one finished after is cancelled by its DONE in a newer segment. */
        apr_thread_mutex_lock(q->mu);
        n = nxs_queue_index_copy(ents, SLICE, &q->idx, after);
        for (i = 0; i < n; ++i) {
            segs[i] = ents[i].seg ? nxs_queue_seg_by_no(q, ents[i].seg) : NULL;
            blks[i] = 0;
            if (ents[i].seg == 0) {
                (void)nxs_queue_block_of(&blks[i], q, ents[i].seq);
            }
        }
        apr_thread_mutex_unlock(q->mu);
        more = n == SLICE;
        for (i = 0; i < n && rv == APR_SUCCESS; ++i) {
            if (ents[i].seg > ck->covered) {
                more = 0;
                break;
            }
            rv = nxs_queue_read_frame(&ck->buf, q, segs[i], &ck->rd, blks[i], &ents[i]);
            (void)nxs_queue_dbm_refresh(&ck->rd);
            if (rv == APR_EGENERAL) {
                /* Damaged since it was acknowledged: it cannot be delivered. */
                apr_thread_mutex_lock(q->mu);
                q->dropped += nxs_queue_index_remove(&q->idx, ents[i].seq);
                apr_thread_mutex_unlock(q->mu);
                NXS_LOG(NXS_LOG_WARNING, 0, "NXS00018",
                        "queue checkpoint: record %" APR_UINT64_T_FMT
                        " is damaged on disk: dropped, it cannot be delivered",
                        ents[i].seq);
                rv = APR_SUCCESS;
                continue;
            }
            if (rv != APR_SUCCESS) {
                break;
            }
            if (nxs_qle_get32(ck->buf.p + NXS_QF_HDR + 8) != ents[i].attempts) {
                nxs_qf_enqueue_set_attempts(ck->buf.p, ck->buf.len, ents[i].attempts);
            }
            if ((rv = block_add(ck, ents[i].seq, &ck->buf)) == APR_SUCCESS) {
                ++ck->records;
            }
        }
        after = n ? ents[n - 1].seq : after;
    }
    return rv == APR_SUCCESS ? block_flush(ck) : rv;
}

/* ---- idempotency keys ---------------------------------------------------
 * A merge of two streams in digest order: the current snapshot's buckets
 * (in bucket order, each sorted) and the keys logged in 1..covered (sorted
 * here).  The output is cut into the new buckets, sized for about
 * NXS_QUEUE_BUCKET keys each.  Expired keys are dropped; for a digest in
 * both, the logged one is the newer acceptance and wins. */

#define PAIR (NXS_QUEUE_KEY_LEN + 8)

typedef struct old_keys_t {
    nxs_qbuf_t v;
    const char *pairs;
    apr_size_t n, i;
    apr_uint32_t next, buckets;
} old_keys_t;

/* The current pair of the old stream, or NULL at its end. */
static apr_status_t old_peek(const char **pair, ckpt_t *ck, old_keys_t *o)
{
    char key[5];
    apr_uint32_t blen;
    apr_status_t rv;
    int found;

    while (o->i == o->n) {
        if (ck->rd.db == NULL || o->next >= o->buckets) {
            *pair = NULL;
            return APR_SUCCESS;
        }
        nxs_queue_dbm_key(key, 'k', o->next++);
        if ((rv = nxs_queue_dbm_fetch(&o->v, &found, &ck->rd, key, sizeof(key)))) {
            return rv;
        }
        (void)nxs_queue_dbm_refresh(&ck->rd);
        o->i = o->n = 0;
        /* A damaged bucket's keys are lost: at worst a duplicate is accepted. */
        if (found && nxs_queue_value_frame(&o->pairs, &blen, o->v.p, o->v.len, NXS_QF_KEYS)) {
            o->n = blen / PAIR;
        }
    }
    *pair = o->pairs + o->i * PAIR;
    return APR_SUCCESS;
}

static int key_cmp(const void *a, const void *b)
{
    return memcmp(((const nxs_queue_key_t *)a)->d, ((const nxs_queue_key_t *)b)->d,
                  NXS_QUEUE_KEY_LEN);
}

static apr_status_t bucket_flush(ckpt_t *ck, apr_uint32_t bucket)
{
    char key[5];
    apr_status_t rv = APR_SUCCESS;

    if (ck->block.len > 0) {
        ck->buf.len = 0;
        nxs_queue_dbm_key(key, 'k', bucket);
        if ((rv = nxs_qf_put(&ck->buf, NXS_QF_KEYS, ck->block.p, ck->block.len)) == APR_SUCCESS) {
            rv = store(ck, key, sizeof(key), ck->buf.p, ck->buf.len);
        }
        ck->block.len = 0;
    }
    return rv;
}

static apr_status_t key_out(apr_uint32_t *bucket, ckpt_t *ck, const unsigned char *d,
                            apr_time_t expires)
{
    apr_uint32_t b = nxs_queue_bucket_of(d, ck->key_bits);
    apr_status_t rv;

    if (b != *bucket && (rv = bucket_flush(ck, *bucket)) != APR_SUCCESS) {
        return rv;
    }
    *bucket = b;
    if ((rv = nxs_qbuf_reserve(&ck->block, PAIR)) == APR_SUCCESS) {
        memcpy(ck->block.p + ck->block.len, d, NXS_QUEUE_KEY_LEN);
        nxs_qle_put64(ck->block.p + ck->block.len + NXS_QUEUE_KEY_LEN, (apr_uint64_t)expires);
        ck->block.len += PAIR;
        ++ck->keys;
    }
    return rv;
}

/* The recent keys this snapshot takes over, sorted. */
static apr_status_t recent_keys(nxs_queue_key_t **out, apr_size_t *n, ckpt_t *ck, apr_time_t now)
{
    nxs_queue_t *q = ck->q;
    nxs_queue_key_t *keys = NULL;
    apr_size_t i, held;

    *n = 0;
    apr_thread_mutex_lock(q->mu);
    held = q->keys.n;
    if (held && (keys = malloc(held * sizeof(*keys))) != NULL) {
        for (i = 0; i < q->keys.cap; ++i) {
            const nxs_queue_key_t *s = &q->keys.slot[i];
            if (s->used && s->seg != 0 && s->seg <= ck->covered && s->expires > now) {
                keys[(*n)++] = *s;
            }
        }
    }
    apr_thread_mutex_unlock(q->mu);
    if (held && keys == NULL) {
        return APR_ENOMEM;
    }
    if (*n > 1) {
        qsort(keys, *n, sizeof(*keys), key_cmp);
    }
    *out = keys;
    return APR_SUCCESS;
}

static apr_status_t copy_keys(ckpt_t *ck)
{
    apr_time_t now = nxs_queue_now(ck->q), exp;
    nxs_queue_key_t *rk = NULL;
    old_keys_t o;
    const char *op = NULL;
    apr_size_t nr = 0, r = 0, est;
    apr_uint32_t bucket = 0;
    apr_status_t rv;
    int c;

    memset(&o, 0, sizeof(o));
    o.buckets = (apr_uint32_t)1 << ck->old_bits;
    if ((rv = recent_keys(&rk, &nr, ck, now)) != APR_SUCCESS) {
        return rv;
    }
    est = ck->old_keys + nr;
    for (ck->key_bits = 0;
         ck->key_bits < NXS_QUEUE_BITS_MAX && ((apr_size_t)NXS_QUEUE_BUCKET << ck->key_bits) < est;
         ++ck->key_bits) {
    }
    ck->block.len = 0;
    while (rv == APR_SUCCESS && (rv = old_peek(&op, ck, &o)) == APR_SUCCESS &&
           (op != NULL || r < nr)) {
        c = op == NULL ? 1 : r == nr ? -1 : memcmp(op, rk[r].d, NXS_QUEUE_KEY_LEN);
        if (c < 0) {
            exp = (apr_time_t)nxs_qle_get64(op + NXS_QUEUE_KEY_LEN);
            if (exp > now) {
                rv = key_out(&bucket, ck, (const unsigned char *)op, exp);
            }
            ++o.i;
            continue;
        }
        if (c == 0) {
            ++o.i;
        }
        rv = key_out(&bucket, ck, rk[r].d, rk[r].expires);
        ++r;
    }
    if (rv == APR_SUCCESS) {
        rv = bucket_flush(ck, bucket);
    }
    nxs_qbuf_free(&o.v);
    free(rk);
    return rv;
}

static apr_status_t write_meta(ckpt_t *ck)
{
    char body[NXS_QUEUE_META_LEN];
    apr_status_t rv;

    nxs_qle_put32(body, NXS_QUEUE_FORMAT);
    nxs_qle_put32(body + 4, ck->covered);
    nxs_qle_put64(body + 8, ck->next_seq);
    nxs_qle_put64(body + 16, (apr_uint64_t)apr_time_now());
    nxs_qle_put64(body + 24, ck->records);
    nxs_qle_put64(body + 32, ck->keys);
    nxs_qle_put32(body + 40, ck->key_bits);
    nxs_qle_put32(body + 44, (apr_uint32_t)ck->ndir);
    ck->buf.len = 0;
    if ((rv = nxs_qf_put(&ck->buf, NXS_QF_META, body, sizeof(body))) == APR_SUCCESS) {
        rv = store(ck, "m", 1, ck->buf.p, ck->buf.len);
    }
    return rv;
}

/* ---- the steps ------------------------------------------------------------ */

/* Writes PATH.dbm.tmp-N and closes it. */
static apr_status_t write_snapshot(ckpt_t *ck)
{
    nxs_queue_t *q = ck->q;
    const char *cur = NULL;
    apr_status_t rv;

    ck->tmp = apr_psprintf(ck->p, "%s.dbm.tmp-%u", q->path, (unsigned)ck->covered);
    remove_dbm_files(ck, ck->tmp);
    apr_thread_mutex_lock(q->mu);
    if (q->snap.db) {
        cur = q->snap_final;
    }
    ck->old_bits = q->key_bits;
    ck->old_keys = q->snap_keys;
    apr_thread_mutex_unlock(q->mu);
    if ((cur &&
         (rv = nxs_queue_dbm_open(&ck->rd, q->type, cur, APR_DBM_READONLY, q->opts.dbm_remap))) ||
        (rv = nxs_queue_dbm_open(&ck->out, q->type, ck->tmp, APR_DBM_RWCREATE,
                                 q->opts.dbm_remap)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = copy_records(ck)) == APR_SUCCESS && (rv = copy_keys(ck)) == APR_SUCCESS) {
        rv = write_meta(ck);
    }
    /* Closing writes GDBM's and DB's last pages; the sync follows. */
    nxs_queue_dbm_close(&ck->out, 1);
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
        (rv = hook(q, NXS_QUEUE_CKPT_SYNCED)) != APR_SUCCESS) {
        return rv;
    }
    /* One file for GDBM and DB (open refuses types with two). */
    if (rename(t1, f1) != 0) {
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
    nxs_queue_dbm_t nh, old;
    nxs_queue_blk_t *odir;
    nxs_queue_seg_t **gone = NULL;
    apr_size_t ngone = 0, i, j;
    struct stat st;
    apr_status_t rv;

    memset(&nh, 0, sizeof(nh));
    if ((rv = nxs_queue_dbm_open(&nh, q->type, final, APR_DBM_READONLY, q->opts.dbm_remap)) !=
            APR_SUCCESS ||
        (gone = malloc((q->nsegs + 1) * sizeof(*gone))) == NULL) {
        /* Still consistent: the segments stay until the next checkpoint. */
        nxs_queue_dbm_close(&nh, 1);
        return rv ? rv : APR_ENOMEM;
    }
    apr_thread_mutex_lock(q->mu);
    apr_thread_rwlock_wrlock(q->files);
    old = q->snap;
    odir = q->blk;
    q->snap = nh;
    q->blk = ck->dir;
    q->nblk = ck->ndir;
    ck->dir = NULL;
    q->key_bits = ck->key_bits;
    q->covered = ck->covered;
    q->snap_bytes = stat(final, &st) == 0 ? st.st_size : 0;
    q->snap_keys = ck->keys;
    nxs_queue_index_rebase(&q->idx, ck->covered);
    rv = nxs_queue_keys_prune(&q->keys, ck->covered);
    for (i = j = 0; i < q->nsegs; ++i) {
        if (q->segs[i]->no <= ck->covered) {
            gone[ngone++] = q->segs[i];
        } else {
            q->segs[j++] = q->segs[i];
        }
    }
    q->nsegs = j;
    apr_thread_rwlock_unlock(q->files);
    apr_thread_mutex_unlock(q->mu);
    free(odir);
    nxs_queue_dbm_close(&old, 1);
    for (i = 0; i < ngone; ++i) {
        (void)unlink(gone[i]->path);
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
        nxs_queue_seg_t *active;
        nxs_queue_lead_acquire(q);
        active = q->segs[q->nsegs - 1];
        if (active->size <= NXS_QUEUE_SEG_HDR) {
            /* Nothing in it yet: it can stay the active one, uncovered (and
             * checkpoints failing in a row do not pile up empty segments). */
            ck->covered = active->no - 1;
        } else {
            ck->covered = active->no;
            rv = nxs_queue_rotate(q);
        }
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
    nxs_queue_dbm_close(&ck->rd, 1);
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
    /* A pool of its own: this thread shares no allocator with the caller's. */
    if ((rv = apr_pool_create_unmanaged_ex(&ck.p, NULL, NULL)) == APR_SUCCESS) {
        rv = checkpoint(&ck);
        if (ck.tmp) {
            /* Never renamed: it is no snapshot. */
            remove_dbm_files(&ck, ck.tmp);
        }
        apr_pool_destroy(ck.p);
    }
    nxs_qbuf_free(&ck.buf);
    nxs_qbuf_free(&ck.block);
    free(ck.dir);
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
    if (rv == APR_SUCCESS) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00015",
                "queue checkpoint written: %s, %" APR_SIZE_T_FMT " records, %" APR_SIZE_T_FMT
                " idempotency keys, log segments up to %u deleted, in %" APR_TIME_T_FMT " ms",
                q->snap_final, ck.records, ck.keys, (unsigned)ck.covered,
                apr_time_as_msec(apr_time_now() - start));
    } else {
        NXS_LOG(NXS_LOG_WARNING, rv, "NXS00016",
                "queue checkpoint of %s failed: the previous snapshot and every log stay in "
                "force",
                q->snap_final);
    }
    return rv;
}

apr_status_t nxs_queue_maybe_checkpoint(int *did, nxs_queue_t *q)
{
    apr_off_t logs;
    apr_status_t rv;
    int due;

    if (did) {
        *did = 0;
    }
    if ((rv = nxs_queue_flush(q)) != APR_SUCCESS) {
        return rv;
    }
    apr_thread_mutex_lock(q->mu);
    /* By size: past checkpoint_bytes, and past half the snapshot, so that a
     * large backlog is not rewritten for every few MiB of log (the bytes
     * written stay within about 3x the bytes logged). */
    logs = nxs_queue_log_bytes(q);
    due = (logs >= q->opts.checkpoint_bytes && logs >= q->snap_bytes / 2) ||
          (q->opts.checkpoint_interval > 0 && q->dirty > 0 &&
           nxs_queue_now(q) - q->last_ckpt >= q->opts.checkpoint_interval);
    /* After a failure (a full disk, say) try again at most every 10 s. */
    if (q->last_ckpt_rv != APR_SUCCESS && nxs_queue_now(q) - q->last_ckpt < apr_time_from_sec(10)) {
        due = 0;
    }
    apr_thread_mutex_unlock(q->mu);
    if (due) {
        rv = nxs_queue_checkpoint(q);
        if (did) {
            *did = rv == APR_SUCCESS;
        }
    }
    return rv;
}
