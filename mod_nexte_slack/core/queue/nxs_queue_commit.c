/* Writing the log: appends with their idempotency key, group commit, the
 * buffered DONE and ATTEMPT records, and segment rotation.
 *
 * Group commit: a producer encodes and checksums its records outside the
 * lock, then, under it, takes seqs, seals its frames and links itself into
 * the pending batch.  Whoever waits while nobody writes becomes the leader:
 * it takes the whole batch, writes it with one pwritev and one fdatasync
 * without the lock, then indexes the records and wakes everyone.  Producers
 * that arrive meanwhile form the next batch, so the batch grows exactly when
 * the disk is slow. */
#include "queue/nxs_queue_int.h"
#include "nxs_log.h"

#include <stdlib.h>
#include <string.h>

/* The batch as one vector: buffered DONE/ATTEMPT records first, then each
 * producer's frames in seq order. */
static apr_status_t batch_iov(struct iovec **iov, int *niov, apr_off_t *total,
                              const nxs_queue_batch_t *b, struct iovec *small, apr_size_t nsmall)
{
    const nxs_queue_contrib_t *c;
    apr_size_t count = 1;

    for (c = b->head; c; c = c->next) {
        ++count;
    }
    *iov = count <= nsmall ? small : malloc(count * sizeof(**iov));
    if (*iov == NULL) {
        return APR_ENOMEM;
    }
    *niov = 0;
    *total = 0;
    if (b->lazy.len) {
        (*iov)[*niov].iov_base = b->lazy.p;
        (*iov)[(*niov)++].iov_len = b->lazy.len;
        *total += (apr_off_t)b->lazy.len;
    }
    for (c = b->head; c; c = c->next) {
        if (c->len) {
            (*iov)[*niov].iov_base = c->buf;
            (*iov)[(*niov)++].iov_len = c->len;
            *total += (apr_off_t)c->len;
        }
    }
    return APR_SUCCESS;
}

/* The batch is durable at BASE in SEG: index its records, mark its keys. */
static void batch_applied(nxs_queue_t *q, const nxs_queue_batch_t *b, nxs_queue_seg_t *seg,
                          apr_off_t base, apr_off_t total)
{
    apr_off_t at = base + (apr_off_t)b->lazy.len;
    nxs_queue_contrib_t *c;
    nxs_queue_key_t *k;
    apr_status_t rv;
    apr_size_t i;

    for (c = b->head; c; c = c->next) {
        for (i = 0; i < c->n; ++i) {
            nxs_queue_ent_t e;
            unsigned att = c->recs[i].attempts;
            e.seq = c->first_seq + i;
            e.seg = seg->no;
            e.off = (apr_uint32_t)(at + c->offs[i]);
            e.len = c->offs[i + 1] - c->offs[i];
            e.attempts = (apr_uint16_t)(att > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : att);
            /* On disk but not indexed (out of memory): the records are safe
             * and come back at the next start, but this queue must stop. */
            if ((rv = nxs_queue_index_push(&q->idx, &e)) != APR_SUCCESS) {
                q->broken = rv;
            }
        }
        if (c->has_key && (k = nxs_queue_keys_find(&q->keys, c->key)) != NULL) {
            k->seg = seg->no;
        }
        at += (apr_off_t)c->len;
        q->committed += c->n;
    }
    q->dirty += total;
    ++q->commits;
}

/* Nothing of the batch is on disk: its keys are free again, and its
 * DONE/ATTEMPT records go first with the next commit. */
static void batch_failed(nxs_queue_t *q, const nxs_queue_batch_t *b)
{
    const nxs_queue_contrib_t *c;

    for (c = b->head; c; c = c->next) {
        if (c->has_key) {
            nxs_queue_keys_del(&q->keys, c->key);
        }
    }
    if (b->lazy.len && nxs_qbuf_reserve(&q->fill.lazy, b->lazy.len) == APR_SUCCESS) {
        memmove(q->fill.lazy.p + b->lazy.len, q->fill.lazy.p, q->fill.lazy.len);
        memcpy(q->fill.lazy.p, b->lazy.p, b->lazy.len);
        q->fill.lazy.len += b->lazy.len;
    }
}

/* Writes the pending batch as its leader; mu held on entry and exit,
 * released for the write and the fdatasync. */
static void lead(nxs_queue_t *q)
{
    nxs_queue_batch_t b = q->fill;
    nxs_queue_contrib_t *c;
    nxs_queue_seg_t *seg = q->segs[q->nsegs - 1];
    struct iovec small[16], *iov = NULL;
    apr_off_t base = seg->size, total = 0;
    apr_status_t rv = q->broken, was_broken = q->broken;
    int niov = 0, cut_failed = 0;

    q->fill.head = q->fill.tail = NULL;
    q->fill.lazy = q->spare_lazy;
    memset(&q->spare_lazy, 0, sizeof(q->spare_lazy));
    q->leading = 1;
    if (rv == APR_SUCCESS) {
        rv = batch_iov(&iov, &niov, &total, &b, small, 16);
    }
    if (rv == APR_SUCCESS && total > 0 && seg->size + total > (apr_off_t)NXS_QUEUE_SEG_MAX) {
        rv = nxs_queue_rotate(q);
        seg = q->segs[q->nsegs - 1];
        base = seg->size;
    }
    if (rv == APR_SUCCESS && total > 0) {
        apr_thread_mutex_unlock(q->mu);
        rv = nxs_queue_seg_write(&cut_failed, seg, iov, niov, base);
        apr_thread_mutex_lock(q->mu);
    }
    if (rv == APR_SUCCESS && total > 0) {
        batch_applied(q, &b, seg, base, total);
    } else if (rv != APR_SUCCESS) {
        batch_failed(q, &b);
        /* A failed write that could not be cut off would be replayed. */
        q->broken = cut_failed ? rv : q->broken;
        /* Once broken, every append fails the same way: said once. */
        if (!was_broken) {
            NXS_LOG(NXS_LOG_ERR, rv, "NXS00019",
                    "queue: writing %" APR_OFF_T_FMT
                    " bytes to %s failed: those appends are refused%s",
                    total, seg->path,
                    cut_failed ? "; the write could not be undone, so every append fails until the "
                                 "queue is reopened"
                               : "");
        }
    }
    for (c = b.head; c; c = c->next) {
        c->rv = rv;
        c->done = 1;
    }
    if (iov != small) {
        free(iov);
    }
    b.lazy.len = 0;
    nxs_qbuf_shrink(&b.lazy, 1 << 20);
    q->spare_lazy = b.lazy;
    if (rv == APR_SUCCESS && seg->size >= q->opts.segment_bytes) {
        /* A failed rotation only means the segment grows on. */
        (void)nxs_queue_rotate(q);
    }
    nxs_queue_lead_release(q);
}

apr_status_t nxs_queue_commit_wait(nxs_queue_t *q, nxs_queue_contrib_t *c)
{
    /* Not done and nobody writing means C is still in the pending batch. */
    while (!c->done) {
        if (!q->leading) {
            lead(q);
        } else {
            apr_thread_cond_wait(q->cv, q->mu);
        }
    }
    return c->rv;
}

void nxs_queue_lead_acquire(nxs_queue_t *q)
{
    while (q->leading) {
        apr_thread_cond_wait(q->cv, q->mu);
    }
    q->leading = 1;
}

void nxs_queue_lead_release(nxs_queue_t *q)
{
    q->leading = 0;
    apr_thread_cond_broadcast(q->cv);
}

apr_status_t nxs_queue_rotate(nxs_queue_t *q)
{
    apr_uint32_t no = q->segs[q->nsegs - 1]->no + 1;
    apr_uint64_t next = q->next_seq;
    nxs_queue_seg_t *seg = NULL;
    apr_status_t rv;

    apr_thread_mutex_unlock(q->mu);
    rv = nxs_queue_seg_create(&seg, q->path, q->dir, no, next);
    apr_thread_mutex_lock(q->mu);
    if (rv == APR_SUCCESS && (rv = nxs_queue_seg_add(q, seg)) != APR_SUCCESS) {
        nxs_queue_seg_free(seg);
    }
    return rv;
}

static void contrib_link(nxs_queue_t *q, nxs_queue_contrib_t *c)
{
    if (q->fill.tail) {
        q->fill.tail->next = c;
    } else {
        q->fill.head = c;
    }
    q->fill.tail = c;
}

/* Is the key taken?  Waits out a commit of the same key in progress, so that
 * "duplicate" is only ever answered for a key that is on disk.  mu held. */
static apr_status_t key_taken(int *taken, nxs_queue_t *q, const unsigned char *d)
{
    nxs_queue_key_t *k;
    apr_time_t now;

    for (;;) {
        k = nxs_queue_keys_find(&q->keys, d);
        if (k == NULL || k->seg != 0) {
            break;
        }
        if (!q->leading) {
            lead(q);
        } else {
            apr_thread_cond_wait(q->cv, q->mu);
        }
    }
    now = nxs_queue_now(q);
    if (k) {
        *taken = k->expires > now;
        return APR_SUCCESS;
    }
    return nxs_queue_snapshot_has_key(taken, q, d, now);
}

/* Encodes the records (and key) into C outside the lock; *crcs receives the
 * partial checksum of each ENQUEUE frame, finished once seqs are known. */
static apr_status_t contrib_encode(nxs_queue_contrib_t *c, apr_uint32_t **crcs, nxs_queue_t *q,
                                   const nxs_queue_record_t *recs, apr_size_t n,
                                   const nxs_queue_idem_t *idem)
{
    nxs_qbuf_t kb = {0};
    apr_size_t i, sz, total = 0;
    apr_status_t rv = APR_SUCCESS;

    c->n = n;
    c->recs = recs;
    if ((c->offs = malloc((n + 1) * sizeof(*c->offs))) == NULL ||
        (*crcs = malloc((n + 1) * sizeof(**crcs))) == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < n; ++i) {
        sz = nxs_qf_enqueue_size(&recs[i]);
        if (sz == 0 || sz > q->opts.record_max || total + sz > NXS_QUEUE_SEG_MAX / 2) {
            return APR_EINVAL;
        }
        c->offs[i] = (apr_uint32_t)total;
        total += sz;
    }
    c->offs[n] = (apr_uint32_t)total;
    if (idem) {
        c->has_key = 1;
        if ((rv = nxs_queue_key_digest(c->key, idem->account, idem->event_id)) ||
            (rv = nxs_qf_idem_put(&kb, c->key, idem->expires_at, idem->account, idem->event_id))) {
            goto leave;
        }
    }
    c->len = total + kb.len;
    if ((c->buf = malloc(c->len ? c->len : 1)) == NULL) {
        rv = APR_ENOMEM;
        goto leave;
    }
    for (i = 0; i < n; ++i) {
        unsigned att = recs[i].attempts;
        (*crcs)[i] = nxs_qf_enqueue_put(c->buf + c->offs[i], &recs[i],
                                        att > NXS_QUEUE_ATT_MAX ? NXS_QUEUE_ATT_MAX : att,
                                        !idem && i + 1 == n);
    }
    if (kb.len) {
        memcpy(c->buf + total, kb.p, kb.len);
    }
leave:
    nxs_qbuf_free(&kb);
    return rv;
}

static int idem_ok(const nxs_queue_idem_t *idem)
{
    return idem == NULL || (idem->account && idem->event_id && *idem->account && *idem->event_id &&
                            strlen(idem->account) <= NXS_QUEUE_STR_MAX &&
                            strlen(idem->event_id) <= NXS_QUEUE_STR_MAX);
}

apr_status_t nxs_queue_append(apr_uint64_t *first_seq, int *duplicate, nxs_queue_t *q,
                              const nxs_queue_record_t *recs, apr_size_t n,
                              const nxs_queue_idem_t *idem)
{
    nxs_queue_contrib_t c;
    apr_uint32_t *crcs = NULL;
    apr_size_t i;
    apr_status_t rv;
    int taken = 0;

    *first_seq = 0;
    *duplicate = 0;
    memset(&c, 0, sizeof(c));
    if ((n == 0 && idem == NULL) || (n > 0 && recs == NULL) || !idem_ok(idem)) {
        return APR_EINVAL;
    }
    if ((rv = contrib_encode(&c, &crcs, q, recs, n, idem)) != APR_SUCCESS) {
        goto leave;
    }
    apr_thread_mutex_lock(q->mu);
    if ((rv = q->broken) != APR_SUCCESS) {
        goto unlock;
    }
    if (q->next_seq + n > NXS_QUEUE_SEQ_MAX + 1) {
        /* Recovery would refuse these seqs: acknowledging them would lose them. */
        rv = APR_EGENERAL;
        goto unlock;
    }
    if (c.has_key) {
        if ((rv = key_taken(&taken, q, c.key)) != APR_SUCCESS || taken) {
            *duplicate = taken;
            goto unlock;
        }
        /* Pending (seg 0) until committed: a second producer of this key waits. */
        if ((rv = nxs_queue_keys_put(&q->keys, c.key, idem->expires_at, 0)) != APR_SUCCESS) {
            goto unlock;
        }
    }
    c.first_seq = q->next_seq;
    q->next_seq += n;
    for (i = 0; i < n; ++i) {
        nxs_qf_enqueue_seal(c.buf + c.offs[i], c.offs[i + 1] - c.offs[i], c.first_seq + i, crcs[i]);
    }
    contrib_link(q, &c);
    if ((rv = nxs_queue_commit_wait(q, &c)) == APR_SUCCESS) {
        *first_seq = c.first_seq;
    }
unlock:
    apr_thread_mutex_unlock(q->mu);
leave:
    free(c.buf);
    free(c.offs);
    free(crcs);
    return rv;
}

/* Makes everything buffered durable (mu held). */
static apr_status_t flush_locked(nxs_queue_t *q)
{
    nxs_queue_contrib_t c;

    if (q->fill.head == NULL && q->fill.lazy.len == 0) {
        return q->broken;
    }
    memset(&c, 0, sizeof(c));
    contrib_link(q, &c);
    return nxs_queue_commit_wait(q, &c);
}

apr_status_t nxs_queue_flush(nxs_queue_t *q)
{
    apr_status_t rv;

    apr_thread_mutex_lock(q->mu);
    rv = flush_locked(q);
    apr_thread_mutex_unlock(q->mu);
    return rv;
}

/* Buffers a DONE or ATTEMPT record; past lazy_max the caller commits. */
static apr_status_t lazy_put(nxs_queue_t *q, int type, const char *body, apr_size_t len)
{
    apr_status_t rv = nxs_qf_put(&q->fill.lazy, type, body, len);

    if (rv == APR_SUCCESS && q->fill.lazy.len >= q->opts.lazy_max) {
        rv = flush_locked(q);
    }
    return rv;
}

apr_status_t nxs_queue_done(nxs_queue_t *q, apr_uint64_t seq)
{
    char body[8];
    apr_status_t rv = APR_NOTFOUND;

    nxs_qle_put64(body, seq);
    apr_thread_mutex_lock(q->mu);
    if (nxs_queue_index_remove(&q->idx, seq)) {
        rv = lazy_put(q, NXS_QF_DONE, body, sizeof(body));
    }
    apr_thread_mutex_unlock(q->mu);
    return rv;
}

apr_status_t nxs_queue_set_attempts(nxs_queue_t *q, apr_uint64_t seq, unsigned attempts)
{
    char body[12];
    nxs_queue_ent_t *e;
    apr_status_t rv = APR_NOTFOUND;

    if (attempts > NXS_QUEUE_ATT_MAX) {
        attempts = NXS_QUEUE_ATT_MAX;
    }
    nxs_qle_put64(body, seq);
    nxs_qle_put32(body + 8, attempts);
    apr_thread_mutex_lock(q->mu);
    if ((e = nxs_queue_index_find(&q->idx, seq)) != NULL) {
        e->attempts = (apr_uint16_t)attempts;
        rv = lazy_put(q, NXS_QF_ATTEMPT, body, sizeof(body));
    }
    apr_thread_mutex_unlock(q->mu);
    return rv;
}

void nxs_queue_batch_free(nxs_queue_t *q)
{
    nxs_qbuf_free(&q->fill.lazy);
    nxs_qbuf_free(&q->spare_lazy);
}
