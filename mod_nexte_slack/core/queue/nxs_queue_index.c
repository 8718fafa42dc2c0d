/* The queue's memory: the seq index (where each live record is on disk, 24
 * bytes a record) and the table of idempotency keys accepted since the last
 * checkpoint.  Both use malloc, since they grow and shrink for the daemon's
 * whole life and a pool never gives memory back.  Callers hold the queue's
 * lock. */
#include "queue/nxs_queue_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- seq index ----------------------------------------------------------
 * Records arrive in increasing seq, so the index is a list of sorted chunks
 * appended at the end.  A finished record is marked dead; a chunk that falls
 * to half live is compacted and shrunk, an empty one freed, so memory follows
 * the live count while lookups stay two binary searches. */

#define CHUNK_CAP 1024

struct nxs_queue_chunk_t {
    apr_uint32_t n, cap, live;
    nxs_queue_ent_t e[];
};

static apr_size_t chunk_bytes(apr_uint32_t cap)
{
    return sizeof(nxs_queue_chunk_t) + (apr_size_t)cap * sizeof(nxs_queue_ent_t);
}

apr_uint64_t nxs_queue_index_last_seq(const nxs_queue_index_t *x)
{
    const nxs_queue_chunk_t *c = x->nc ? x->c[x->nc - 1] : NULL;
    return c ? c->e[c->n - 1].seq : 0;
}

apr_status_t nxs_queue_index_push(nxs_queue_index_t *x, const nxs_queue_ent_t *e)
{
    nxs_queue_chunk_t *c = x->nc ? x->c[x->nc - 1] : NULL, **nc;

    if (x->nc && e->seq <= nxs_queue_index_last_seq(x)) {
        return APR_EINVAL;
    }
    if (c == NULL || c->n == c->cap) {
        if (x->nc == x->capc) {
            apr_size_t cap = x->capc ? x->capc * 2 : 16;
            if ((nc = realloc(x->c, cap * sizeof(*nc))) == NULL) {
                return APR_ENOMEM;
            }
            x->bytes += (cap - x->capc) * sizeof(*nc);
            x->c = nc;
            x->capc = cap;
        }
        if ((c = malloc(chunk_bytes(CHUNK_CAP))) == NULL) {
            return APR_ENOMEM;
        }
        c->n = c->live = 0;
        c->cap = CHUNK_CAP;
        x->c[x->nc++] = c;
        x->bytes += chunk_bytes(CHUNK_CAP);
    }
    c->e[c->n] = *e;
    c->e[c->n].dead = 0;
    ++c->n;
    ++c->live;
    ++x->live;
    return APR_SUCCESS;
}

/* The chunk that would hold SEQ: the last whose first seq is <= SEQ. */
static apr_size_t chunk_for(const nxs_queue_index_t *x, apr_uint64_t seq)
{
    apr_size_t lo = 0, hi = x->nc;

    while (hi - lo > 1) {
        apr_size_t mid = lo + (hi - lo) / 2;
        if (x->c[mid]->e[0].seq <= seq) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The first position in C whose seq is >= SEQ (C->n when none). */
static apr_uint32_t pos_from(const nxs_queue_chunk_t *c, apr_uint64_t seq)
{
    apr_uint32_t lo = 0, hi = c->n;

    while (lo < hi) {
        apr_uint32_t mid = lo + (hi - lo) / 2;
        if (c->e[mid].seq < seq) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static nxs_queue_ent_t *locate(apr_size_t *ci, nxs_queue_index_t *x, apr_uint64_t seq)
{
    nxs_queue_chunk_t *c;
    apr_uint32_t i;

    if (x->nc == 0) {
        return NULL;
    }
    *ci = chunk_for(x, seq);
    c = x->c[*ci];
    i = pos_from(c, seq);
    return i < c->n && c->e[i].seq == seq && !c->e[i].dead ? &c->e[i] : NULL;
}

nxs_queue_ent_t *nxs_queue_index_find(nxs_queue_index_t *x, apr_uint64_t seq)
{
    apr_size_t ci;
    return locate(&ci, x, seq);
}

static void chunk_drop(nxs_queue_index_t *x, apr_size_t ci)
{
    x->bytes -= chunk_bytes(x->c[ci]->cap);
    free(x->c[ci]);
    memmove(x->c + ci, x->c + ci + 1, (x->nc - ci - 1) * sizeof(*x->c));
    --x->nc;
}

static void chunk_compact(nxs_queue_index_t *x, apr_size_t ci)
{
    nxs_queue_chunk_t *c = x->c[ci], *nc;
    apr_uint32_t i, j = 0, cap = c->cap;

    for (i = 0; i < c->n; ++i) {
        if (!c->e[i].dead) {
            c->e[j++] = c->e[i];
        }
    }
    c->n = j;
    /* Shrinking realloc may fail harmlessly: the chunk stays as it was. */
    if ((nc = realloc(c, chunk_bytes(j))) != NULL) {
        x->bytes -= chunk_bytes(cap) - chunk_bytes(j);
        nc->cap = j;
        x->c[ci] = nc;
    }
}

int nxs_queue_index_remove(nxs_queue_index_t *x, apr_uint64_t seq)
{
    apr_size_t ci;
    nxs_queue_ent_t *e = locate(&ci, x, seq);
    nxs_queue_chunk_t *c;

    if (e == NULL) {
        return 0;
    }
    c = x->c[ci];
    e->dead = 1;
    --c->live;
    --x->live;
    if (c->live == 0) {
        chunk_drop(x, ci);
    } else if (ci + 1 < x->nc && c->live * 2 <= c->n && c->n >= 8) {
        /* Not the last chunk, which new records still fill. */
        chunk_compact(x, ci);
    }
    return 1;
}

apr_size_t nxs_queue_index_copy(nxs_queue_ent_t *out, apr_size_t max, nxs_queue_index_t *x,
                                apr_uint64_t after)
{
    apr_size_t n = 0, ci;
    apr_uint32_t i;

    if (x->nc == 0) {
        return 0;
    }
    ci = chunk_for(x, after);
    i = pos_from(x->c[ci], after);
    for (; ci < x->nc && n < max; ++ci, i = 0) {
        const nxs_queue_chunk_t *c = x->c[ci];
        for (; i < c->n && n < max; ++i) {
            if (!c->e[i].dead && c->e[i].seq > after) {
                out[n++] = c->e[i];
            }
        }
    }
    return n;
}

void nxs_queue_index_rebase(nxs_queue_index_t *x, apr_uint32_t covered)
{
    apr_size_t ci;
    apr_uint32_t i;

    /* Segments are filled in seq order, so the covered records are a prefix. */
    for (ci = 0; ci < x->nc; ++ci) {
        nxs_queue_chunk_t *c = x->c[ci];
        for (i = 0; i < c->n; ++i) {
            if (c->e[i].seg > covered) {
                return;
            }
            c->e[i].seg = 0;
            c->e[i].off = 0;
            c->e[i].len = 0;
        }
    }
}

void nxs_queue_index_free(nxs_queue_index_t *x)
{
    apr_size_t ci;

    for (ci = 0; ci < x->nc; ++ci) {
        free(x->c[ci]);
    }
    free(x->c);
    memset(x, 0, sizeof(*x));
}

/* ---- idempotency keys: linear probing, backward-shift deletion ---------- */

static apr_size_t key_home(const nxs_queue_keys_t *k, const unsigned char *d)
{
    apr_uint64_t h;

    /* The digest is a hash already. */
    memcpy(&h, d, sizeof(h));
    return (apr_size_t)(h & (k->cap - 1));
}

static nxs_queue_key_t *key_slot(nxs_queue_keys_t *k, const unsigned char *d)
{
    apr_size_t i;

    if (k->cap == 0) {
        return NULL;
    }
    for (i = key_home(k, d);; i = (i + 1) & (k->cap - 1)) {
        if (!k->slot[i].used || memcmp(k->slot[i].d, d, NXS_QUEUE_KEY_LEN) == 0) {
            return &k->slot[i];
        }
    }
}

nxs_queue_key_t *nxs_queue_keys_find(nxs_queue_keys_t *k, const unsigned char *d)
{
    nxs_queue_key_t *s = key_slot(k, d);
    return s && s->used ? s : NULL;
}

static apr_status_t keys_grow(nxs_queue_keys_t *k, apr_size_t cap)
{
    nxs_queue_keys_t nk = {NULL, cap, 0};
    apr_size_t i;

    if ((nk.slot = calloc(cap, sizeof(*nk.slot))) == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < k->cap; ++i) {
        if (k->slot[i].used) {
            *key_slot(&nk, k->slot[i].d) = k->slot[i];
            ++nk.n;
        }
    }
    free(k->slot);
    *k = nk;
    return APR_SUCCESS;
}

apr_status_t nxs_queue_keys_put(nxs_queue_keys_t *k, const unsigned char *d, apr_time_t expires,
                                apr_uint32_t seg)
{
    nxs_queue_key_t *s;
    apr_status_t rv;

    if ((k->n + 1) * 10 > k->cap * 7) {
        if ((rv = keys_grow(k, k->cap ? k->cap * 2 : 64)) != APR_SUCCESS) {
            return rv;
        }
    }
    s = key_slot(k, d);
    if (!s->used) {
        memcpy(s->d, d, NXS_QUEUE_KEY_LEN);
        s->used = 1;
        ++k->n;
    }
    s->expires = expires;
    s->seg = seg;
    return APR_SUCCESS;
}

void nxs_queue_keys_del(nxs_queue_keys_t *k, const unsigned char *d)
{
    nxs_queue_key_t *s = nxs_queue_keys_find(k, d);
    apr_size_t i, j, h, mask = k->cap - 1;

    if (s == NULL) {
        return;
    }
    i = (apr_size_t)(s - k->slot);
    k->slot[i].used = 0;
    --k->n;
    /* Pull back every later entry of the run that its home allows. */
    for (j = (i + 1) & mask; k->slot[j].used; j = (j + 1) & mask) {
        h = key_home(k, k->slot[j].d);
        if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
            k->slot[i] = k->slot[j];
            k->slot[j].used = 0;
            i = j;
        }
    }
}

apr_status_t nxs_queue_keys_prune(nxs_queue_keys_t *k, apr_uint32_t covered)
{
    nxs_queue_keys_t nk = {NULL, 0, 0};
    apr_size_t i, keep = 0, cap = 64;
    apr_status_t rv = APR_SUCCESS;

    for (i = 0; i < k->cap; ++i) {
        keep += k->slot[i].used && (k->slot[i].seg == 0 || k->slot[i].seg > covered);
    }
    while (cap * 7 < (keep + 1) * 10) {
        cap *= 2;
    }
    if ((nk.slot = calloc(cap, sizeof(*nk.slot))) == NULL) {
        return APR_ENOMEM;
    }
    nk.cap = cap;
    for (i = 0; i < k->cap; ++i) {
        const nxs_queue_key_t *s = &k->slot[i];
        if (s->used && (s->seg == 0 || s->seg > covered)) {
            *key_slot(&nk, s->d) = *s;
            ++nk.n;
        }
    }
    free(k->slot);
    *k = nk;
    return rv;
}

void nxs_queue_keys_free(nxs_queue_keys_t *k)
{
    free(k->slot);
    memset(k, 0, sizeof(*k));
}
