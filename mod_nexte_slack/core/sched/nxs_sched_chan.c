/* The scheduler's accounts and channels: interning them once, keeping each
 * channel in the right heaps as its state changes, and freeing them when
 * nothing refers to them any more. */
#include "sched/nxs_sched_int.h"

#include <stdlib.h>
#include <string.h>

/* Channel keys up to this size are looked up without a malloc. */
#define KEY_STACK 256

nxs_sched_acct_t *nxs_sched_acct_find(const nxs_sched_t *s, const char *id)
{
    return id ? apr_hash_get(s->accounts, id, APR_HASH_KEY_STRING) : NULL;
}

apr_status_t nxs_sched_acct_get(nxs_sched_acct_t **out, nxs_sched_t *s, const char *id)
{
    apr_size_t len = strlen(id);
    nxs_sched_acct_t *a = nxs_sched_acct_find(s, id);

    if (a == NULL) {
        a = calloc(1, sizeof(*a) + len + 1);
        if (a == NULL) {
            return APR_ENOMEM;
        }
        memcpy(a->id, id, len + 1);
        a->idlen = len;
        apr_hash_set(s->accounts, a->id, (apr_ssize_t)len, a);
        s->bytes += sizeof(*a) + len + 1;
    }
    *out = a;
    return APR_SUCCESS;
}

void nxs_sched_acct_maybe_free(nxs_sched_t *s, nxs_sched_acct_t *a)
{
    if (a->nchans == 0 && !a->held && a->inflight == 0) {
        apr_hash_set(s->accounts, a->id, (apr_ssize_t)a->idlen, NULL);
        s->bytes -= sizeof(*a) + a->idlen + 1;
        free(a);
    }
}

int nxs_sched_acct_blocked(const nxs_sched_t *s, const nxs_sched_acct_t *a)
{
    return a->held ||
           (s->cfg.max_inflight_per_account && a->inflight >= s->cfg.max_inflight_per_account);
}

void nxs_sched_chan_refresh(nxs_sched_t *s, nxs_sched_chan_t *ch)
{
    nxs_sched_heap_t *ready = &s->heaps[NXS_HEAP_READY];
    apr_uint32_t waiting = ch->count - ch->inflight;

    if (waiting > 0 && !ch->inflight && !nxs_sched_acct_blocked(s, ch->acct)) {
        apr_time_t at = ch->tat - s->tolerance;
        if (ch->paused_until > at) {
            at = ch->paused_until;
        }
        if (ch->hidx[NXS_HEAP_READY] == NXS_SCHED_NOWHERE) {
            nxs_sched_heap_put(ready, ch, at, ++s->stamp);
        } else if (ch->hkey[NXS_HEAP_READY] != at) {
            nxs_sched_heap_put(ready, ch, at, ch->htie[NXS_HEAP_READY]);
        }
    } else {
        nxs_sched_heap_remove(ready, ch);
    }
    if (waiting > 0) {
        const nxs_sched_entry_t *e = nxs_sched_ring_at(ch, ch->inflight);
        nxs_sched_heap_put(&s->heaps[NXS_HEAP_AGE], ch, nxs_sched_entry_accepted(e), e->seq);
    } else {
        nxs_sched_heap_remove(&s->heaps[NXS_HEAP_AGE], ch);
    }
    if (ch->count == 0) {
        apr_time_t full = ch->tat > ch->paused_until ? ch->tat : ch->paused_until;
        nxs_sched_heap_put(&s->heaps[NXS_HEAP_IDLE], ch, full, 0);
    } else {
        nxs_sched_heap_remove(&s->heaps[NXS_HEAP_IDLE], ch);
    }
}

void nxs_sched_acct_refresh(nxs_sched_t *s, nxs_sched_acct_t *a)
{
    nxs_sched_chan_t *ch;

    for (ch = a->chans; ch; ch = ch->next) {
        nxs_sched_chan_refresh(s, ch);
    }
}

void nxs_sched_refresh_after(nxs_sched_t *s, nxs_sched_chan_t *ch, int was_blocked)
{
    if (nxs_sched_acct_blocked(s, ch->acct) != was_blocked) {
        nxs_sched_acct_refresh(s, ch->acct);
    } else {
        nxs_sched_chan_refresh(s, ch);
    }
}

static apr_status_t chan_create(nxs_sched_chan_t **out, nxs_sched_t *s, nxs_sched_acct_t *a,
                                const char *key, apr_size_t keylen, apr_size_t team_off,
                                apr_size_t chan_off)
{
    nxs_sched_chan_t *ch;
    apr_size_t size = sizeof(*ch) + keylen + 1;
    apr_status_t rv = APR_SUCCESS;
    int w;

    for (w = 0; w < NXS_HEAP_COUNT && rv == APR_SUCCESS; ++w) {
        rv = nxs_sched_heap_reserve(&s->heaps[w], s->nchans + 1, &s->bytes);
    }
    if (rv != APR_SUCCESS || (ch = calloc(1, size)) == NULL) {
        return APR_ENOMEM;
    }
    memcpy(ch->key, key, keylen + 1);
    ch->keylen = keylen;
    ch->team = ch->key + team_off;
    ch->channel = ch->key + chan_off;
    ch->acct = a;
    for (w = 0; w < NXS_HEAP_COUNT; ++w) {
        ch->hidx[w] = NXS_SCHED_NOWHERE;
    }
    /* A new channel's bucket is full: as if it last sent long ago; or, when
     * the caller says a burst may have been spent at cfg.spent_at, empty at
     * that time (GCRA: the next send is allowed at tat - tolerance). */
    ch->tat = s->cfg.spent_at ? s->cfg.spent_at + s->interval + s->tolerance : APR_INT64_MIN / 2;
    ch->paused_until = APR_INT64_MIN / 2;
    ch->next = a->chans;
    if (a->chans) {
        a->chans->prev = ch;
    }
    a->chans = ch;
    ++a->nchans;
    ++s->nchans;
    s->bytes += size;
    apr_hash_set(s->channels, ch->key, (apr_ssize_t)keylen, ch);
    *out = ch;
    return APR_SUCCESS;
}

apr_status_t nxs_sched_chan_get(nxs_sched_chan_t **out, nxs_sched_t *s,
                                const nxs_sched_item_t *item)
{
    apr_size_t la = strlen(item->account), lt = strlen(item->team), lc = strlen(item->channel);
    apr_size_t keylen = la + 1 + lt + 1 + lc;
    char stack[KEY_STACK];
    char *key = keylen < sizeof(stack) ? stack : malloc(keylen + 1);
    nxs_sched_acct_t *a;
    apr_status_t rv = APR_SUCCESS;

    if (key == NULL) {
        return APR_ENOMEM;
    }
    memcpy(key, item->account, la + 1);
    memcpy(key + la + 1, item->team, lt + 1);
    memcpy(key + la + 1 + lt + 1, item->channel, lc + 1);
    *out = apr_hash_get(s->channels, key, (apr_ssize_t)keylen);
    if (*out == NULL) {
        rv = nxs_sched_acct_get(&a, s, item->account);
        if (rv == APR_SUCCESS) {
            rv = chan_create(out, s, a, key, keylen, la + 1, la + 1 + lt + 1);
            if (rv != APR_SUCCESS) {
                nxs_sched_acct_maybe_free(s, a);
            }
        }
    }
    if (key != stack) {
        free(key);
    }
    return rv;
}

void nxs_sched_chan_free(nxs_sched_t *s, nxs_sched_chan_t *ch)
{
    nxs_sched_acct_t *a = ch->acct;
    int w;

    for (w = 0; w < NXS_HEAP_COUNT; ++w) {
        nxs_sched_heap_remove(&s->heaps[w], ch);
    }
    apr_hash_set(s->channels, ch->key, (apr_ssize_t)ch->keylen, NULL);
    if (ch->prev) {
        ch->prev->next = ch->next;
    } else {
        a->chans = ch->next;
    }
    if (ch->next) {
        ch->next->prev = ch->prev;
    }
    --a->nchans;
    --s->nchans;
    s->bytes -= sizeof(*ch) + ch->keylen + 1;
    free(ch->ring);
    free(ch);
    nxs_sched_acct_maybe_free(s, a);
}
