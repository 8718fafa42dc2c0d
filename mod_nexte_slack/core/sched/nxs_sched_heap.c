/* The scheduler's data structures: binary min-heaps of channels (each
 * channel knows its position, so it can be moved or removed in O(log n)),
 * the per-channel ring of queued items, and the jittered backoff. */
#include "sched/nxs_sched_int.h"

#include <stdlib.h>
#include <string.h>

/* Smallest ring; rings shrink back towards it (and to nothing) as they
 * drain, so that a burst of traffic does not pin memory. */
#define RING_MIN 4

static int heap_less(const nxs_sched_heap_t *h, const nxs_sched_chan_t *a,
                     const nxs_sched_chan_t *b)
{
    int w = h->which;

    if (a->hkey[w] != b->hkey[w]) {
        return a->hkey[w] < b->hkey[w];
    }
    return a->htie[w] < b->htie[w];
}

static void heap_set(nxs_sched_heap_t *h, apr_uint32_t i, nxs_sched_chan_t *ch)
{
    h->v[i] = ch;
    ch->hidx[h->which] = i;
}

static void heap_up(nxs_sched_heap_t *h, apr_uint32_t i)
{
    nxs_sched_chan_t *ch = h->v[i];

    while (i > 0) {
        apr_uint32_t parent = (i - 1) / 2;
        if (!heap_less(h, ch, h->v[parent])) {
            break;
        }
        heap_set(h, i, h->v[parent]);
        i = parent;
    }
    heap_set(h, i, ch);
}

static void heap_down(nxs_sched_heap_t *h, apr_uint32_t i)
{
    nxs_sched_chan_t *ch = h->v[i];

    for (;;) {
        apr_uint32_t child = 2 * i + 1;
        if (child >= h->n) {
            break;
        }
        if (child + 1 < h->n && heap_less(h, h->v[child + 1], h->v[child])) {
            ++child;
        }
        if (!heap_less(h, h->v[child], ch)) {
            break;
        }
        heap_set(h, i, h->v[child]);
        i = child;
    }
    heap_set(h, i, ch);
}

apr_status_t nxs_sched_heap_reserve(nxs_sched_heap_t *h, apr_size_t n, apr_size_t *bytes)
{
    apr_size_t cap = h->cap ? h->cap : 16;
    nxs_sched_chan_t **v;

    if (n <= h->cap) {
        return APR_SUCCESS;
    }
    while (cap < n) {
        cap *= 2;
    }
    if (cap >= NXS_SCHED_NOWHERE) {
        return APR_ENOMEM;
    }
    v = realloc(h->v, cap * sizeof(*v));
    if (v == NULL) {
        return APR_ENOMEM;
    }
    *bytes += (cap - h->cap) * sizeof(*v);
    h->v = v;
    h->cap = (apr_uint32_t)cap;
    return APR_SUCCESS;
}

void nxs_sched_heap_put(nxs_sched_heap_t *h, nxs_sched_chan_t *ch, apr_time_t key, apr_uint64_t tie)
{
    int w = h->which;
    apr_uint32_t i = ch->hidx[w];

    ch->hkey[w] = key;
    ch->htie[w] = tie;
    if (i == NXS_SCHED_NOWHERE) {
        i = h->n++;
        heap_set(h, i, ch);
        heap_up(h, i);
        return;
    }
    heap_up(h, i);
    heap_down(h, ch->hidx[w]);
}

void nxs_sched_heap_remove(nxs_sched_heap_t *h, nxs_sched_chan_t *ch)
{
    int w = h->which;
    apr_uint32_t i = ch->hidx[w];
    nxs_sched_chan_t *last;

    if (i == NXS_SCHED_NOWHERE) {
        return;
    }
    ch->hidx[w] = NXS_SCHED_NOWHERE;
    last = h->v[--h->n];
    if (i == h->n) {
        return;
    }
    heap_set(h, i, last);
    heap_up(h, i);
    heap_down(h, last->hidx[w]);
}

nxs_sched_chan_t *nxs_sched_heap_top(const nxs_sched_heap_t *h)
{
    return h->n ? h->v[0] : NULL;
}

void nxs_sched_heap_free(nxs_sched_heap_t *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

nxs_sched_entry_t *nxs_sched_ring_at(const nxs_sched_chan_t *ch, apr_uint32_t i)
{
    return &ch->ring[(ch->head + i) & (ch->cap - 1)];
}

/* Moves the items into a ring of CAP entries, head at index 0. */
static apr_status_t ring_resize(nxs_sched_chan_t *ch, apr_uint32_t cap, apr_size_t *bytes)
{
    nxs_sched_entry_t *r;
    apr_uint32_t i;

    if (cap == 0) {
        free(ch->ring);
        r = NULL;
    } else if (ch->head + ch->count <= ch->cap && cap >= ch->count) {
        /* Not wrapped: realloc can often grow in place. */
        if (ch->head > 0) {
            memmove(ch->ring, ch->ring + ch->head, ch->count * sizeof(*r));
            ch->head = 0;
        }
        r = realloc(ch->ring, cap * sizeof(*r));
        if (r == NULL) {
            return APR_ENOMEM;
        }
    } else {
        r = malloc(cap * sizeof(*r));
        if (r == NULL) {
            return APR_ENOMEM;
        }
        for (i = 0; i < ch->count; ++i) {
            r[i] = *nxs_sched_ring_at(ch, i);
        }
        free(ch->ring);
    }
    *bytes = *bytes - ch->cap * sizeof(*r) + cap * sizeof(*r);
    ch->ring = r;
    ch->cap = cap;
    ch->head = 0;
    return APR_SUCCESS;
}

apr_status_t nxs_sched_ring_insert(nxs_sched_chan_t *ch, const nxs_sched_entry_t *e,
                                   apr_uint32_t first, apr_size_t *bytes)
{
    apr_uint32_t pos = ch->count;
    apr_uint32_t i;
    apr_status_t rv;

    /* From the tail: live traffic and an ordered replay stop at once. */
    while (pos > 0 && nxs_sched_ring_at(ch, pos - 1)->seq > e->seq) {
        --pos;
    }
    if (pos > 0 && nxs_sched_ring_at(ch, pos - 1)->seq == e->seq) {
        return APR_EEXIST;
    }
    if (pos < first) {
        pos = first;
    }
    if (ch->count == ch->cap) {
        if (ch->cap >= (NXS_SCHED_NOWHERE >> 1) + 1) {
            return APR_ENOMEM;
        }
        rv = ring_resize(ch, ch->cap ? ch->cap * 2 : RING_MIN, bytes);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    for (i = ch->count; i > pos; --i) {
        *nxs_sched_ring_at(ch, i) = *nxs_sched_ring_at(ch, i - 1);
    }
    *nxs_sched_ring_at(ch, pos) = *e;
    ++ch->count;
    return APR_SUCCESS;
}

void nxs_sched_ring_remove(nxs_sched_chan_t *ch, apr_uint32_t i, apr_size_t *bytes)
{
    for (; i > 0; --i) {
        *nxs_sched_ring_at(ch, i) = *nxs_sched_ring_at(ch, i - 1);
    }
    ch->head = (ch->head + 1) & (ch->cap - 1);
    --ch->count;
    /* Halving at a quarter full keeps add/remove amortised O(1); a failed
     * shrink only keeps the larger ring. */
    if (ch->count == 0) {
        ring_resize(ch, 0, bytes);
    } else if (ch->cap > RING_MIN && ch->count <= ch->cap / 4) {
        ring_resize(ch, ch->cap / 2, bytes);
    }
}

/* splitmix64: tiny, seedable, and good enough to spread retries. */
static apr_uint64_t rng_next(apr_uint64_t *state)
{
    apr_uint64_t z = (*state += APR_UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * APR_UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * APR_UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

apr_interval_time_t nxs_sched_backoff(const nxs_sched_config_t *cfg, unsigned attempts,
                                      apr_uint64_t *rng)
{
    apr_interval_time_t d = cfg->backoff_min;
    apr_interval_time_t half;
    unsigned n;

    /* Doubling stops at the cap, so it cannot overflow. */
    for (n = 1; n < attempts && d < cfg->backoff_max; ++n) {
        d = d > cfg->backoff_max / 2 ? cfg->backoff_max : d * 2;
    }
    if (d > cfg->backoff_max) {
        d = cfg->backoff_max;
    }
    half = d / 2;
    return (d - half) + (apr_interval_time_t)(rng_next(rng) % ((apr_uint64_t)half + 1));
}
