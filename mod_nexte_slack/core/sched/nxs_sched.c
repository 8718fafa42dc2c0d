/* The delivery scheduler's state machine: what can be handed out and when,
 * what each outcome does, holds, drops and the expiry sweep.  The rules are
 * in nxs_sched.h; accounts and channels live in nxs_sched_chan.c, the heaps,
 * rings and backoff in nxs_sched_heap.c. */
#include "sched/nxs_sched_int.h"

#include <stdlib.h>
#include <string.h>

void nxs_sched_config_default(nxs_sched_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->rate = 1.0;
    cfg->burst = 3;
    cfg->backoff_min = apr_time_from_sec(1);
    cfg->backoff_max = apr_time_from_sec(600);
    cfg->retry_window = apr_time_from_sec(24 * 3600);
    cfg->outage_gap = apr_time_from_sec(5);
    cfg->seed = 1;
}

static apr_status_t config_check(const nxs_sched_config_t *c)
{
    if (!(c->rate >= 1e-6 && c->rate <= 1e6) || c->burst < 1 || c->burst > 1000000) {
        return APR_EINVAL;
    }
    if (c->backoff_min <= 0 || c->backoff_max < c->backoff_min ||
        c->backoff_max > NXS_SCHED_TIME_MAX) {
        return APR_EINVAL;
    }
    if (c->outage_gap < 0 || c->outage_gap > NXS_SCHED_TIME_MAX) {
        return APR_EINVAL;
    }
    if (c->retry_window <= 0 || c->retry_window > NXS_SCHED_TIME_MAX) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t sched_cleanup(void *data)
{
    nxs_sched_t *s = data;
    apr_hash_index_t *hi;
    int w;

    for (hi = apr_hash_first(NULL, s->channels); hi; hi = apr_hash_next(hi)) {
        nxs_sched_chan_t *ch = apr_hash_this_val(hi);
        free(ch->ring);
        free(ch);
    }
    for (hi = apr_hash_first(NULL, s->accounts); hi; hi = apr_hash_next(hi)) {
        free(apr_hash_this_val(hi));
    }
    for (w = 0; w < NXS_HEAP_COUNT; ++w) {
        nxs_sched_heap_free(&s->heaps[w]);
    }
    return APR_SUCCESS;
}

apr_status_t nxs_sched_create(nxs_sched_t **out, const nxs_sched_config_t *cfg, apr_pool_t *p)
{
    nxs_sched_t *s;
    int w;

    if (config_check(cfg) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->cfg = *cfg;
    /* Rounded up so that the configured rate is never exceeded (by hand:
     * the core does not link libm). */
    s->interval = (apr_interval_time_t)((double)APR_USEC_PER_SEC / cfg->rate);
    if ((double)s->interval * cfg->rate < (double)APR_USEC_PER_SEC) {
        ++s->interval;
    }
    s->tolerance = (apr_interval_time_t)(cfg->burst - 1) * s->interval;
    s->accounts = apr_hash_make(p);
    s->channels = apr_hash_make(p);
    s->inflight = apr_hash_make(p);
    for (w = 0; w < NXS_HEAP_COUNT; ++w) {
        s->heaps[w].which = w;
    }
    s->rng = cfg->seed;
    apr_pool_cleanup_register(p, s, sched_cleanup, apr_pool_cleanup_null);
    *out = s;
    return APR_SUCCESS;
}

static void item_fill(nxs_sched_item_t *item, const nxs_sched_chan_t *ch,
                      const nxs_sched_entry_t *e)
{
    if (item == NULL) {
        return;
    }
    item->seq = e->seq;
    item->account = ch->acct->id;
    item->team = ch->team;
    item->channel = ch->channel;
    item->accepted_at = nxs_sched_entry_accepted(e);
    item->attempts = nxs_sched_entry_attempts(e);
}

apr_status_t nxs_sched_add(nxs_sched_t *s, const nxs_sched_item_t *item)
{
    nxs_sched_chan_t *ch;
    nxs_sched_entry_t e;
    apr_uint64_t ms;
    apr_status_t rv;

    if (item == NULL || item->account == NULL || item->team == NULL || item->channel == NULL ||
        !*item->account || !*item->channel) {
        return APR_EINVAL;
    }
    rv = nxs_sched_chan_get(&ch, s, item);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    ms = item->accepted_at > 0 ? (apr_uint64_t)item->accepted_at / 1000 : 0;
    e.seq = item->seq;
    e.meta = (ms > NXS_SCHED_MS_MAX ? NXS_SCHED_MS_MAX : ms) << 16;
    nxs_sched_entry_set_attempts(&e, item->attempts);
    rv = nxs_sched_ring_insert(ch, &e, ch->inflight, &s->bytes);
    if (rv == APR_SUCCESS) {
        ++s->queued;
        ++ch->acct->queued;
    }
    nxs_sched_chan_refresh(s, ch);
    return rv;
}

int nxs_sched_next(nxs_sched_item_t *item, apr_time_t *wake_at, nxs_sched_t *s, apr_time_t now)
{
    nxs_sched_chan_t *ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_READY]);
    int was_blocked;

    if (ch == NULL || ch->hkey[NXS_HEAP_READY] > now) {
        *wake_at = ch ? ch->hkey[NXS_HEAP_READY] : 0;
        return 0;
    }
    was_blocked = nxs_sched_acct_blocked(s, ch->acct);
    ch->inflight = 1;
    ch->inflight_seq = nxs_sched_ring_at(ch, 0)->seq;
    apr_hash_set(s->inflight, &ch->inflight_seq, sizeof(ch->inflight_seq), ch);
    /* The token is spent on handing out: Slack sees the request whatever
     * its outcome. */
    ch->tat = (ch->tat > now ? ch->tat : now) + s->interval;
    ++ch->acct->inflight;
    ++s->in_flight;
    nxs_sched_refresh_after(s, ch, was_blocked);
    item_fill(item, ch, nxs_sched_ring_at(ch, 0));
    *wake_at = now;
    return 1;
}

/* Removes the item at index I (0: the head, 1: the first waiting behind an
 * in-flight head) and describes it in *ITEM. */
static void chan_take(nxs_sched_item_t *item, nxs_sched_t *s, nxs_sched_chan_t *ch, apr_uint32_t i)
{
    item_fill(item, ch, nxs_sched_ring_at(ch, i));
    nxs_sched_ring_remove(ch, i, &s->bytes);
    --s->queued;
    --ch->acct->queued;
}

static void acct_set_held(nxs_sched_t *s, nxs_sched_acct_t *a, int held)
{
    if (a->held != held) {
        a->held = held;
        if (held) {
            ++s->held;
        } else {
            --s->held;
        }
        nxs_sched_acct_refresh(s, a);
    }
}

static nxs_sched_fate_e outcome_apply(nxs_sched_t *s, nxs_sched_chan_t *ch,
                                      nxs_sched_outcome_e outcome, apr_interval_time_t retry_after,
                                      apr_time_t now)
{
    nxs_sched_entry_t *head = nxs_sched_ring_at(ch, 0);
    apr_time_t deadline = nxs_sched_entry_accepted(head) + s->cfg.retry_window;
    unsigned attempts;
    apr_time_t at;

    if (ch->orphan) {
        ch->orphan = 0;
        return outcome == NXS_SCHED_DELIVERED ? NXS_SCHED_FATE_SENT : NXS_SCHED_FATE_DROPPED;
    }
    switch (outcome) {
    case NXS_SCHED_TRANSIENT:
        attempts = nxs_sched_entry_attempts(head) + 1;
        nxs_sched_entry_set_attempts(head, attempts);
        if (now >= deadline) {
            return NXS_SCHED_FATE_DEAD;
        }
        /* Clamped to the deadline: the last try is at the deadline itself. */
        at = now + nxs_sched_backoff(&s->cfg, attempts, &s->rng);
        ch->paused_until = at < deadline ? at : deadline;
        ch->backoff = 1;
        s->failed_since_success = 1;
        return NXS_SCHED_FATE_RETRY;
    case NXS_SCHED_RATE_LIMITED:
        /* The whole channel waits, even when this item cannot: Slack said
         * not before then, and the deadline is not moved for it. */
        if (retry_after <= 0) {
            retry_after = s->cfg.backoff_min;
        }
        ch->paused_until =
            now + (retry_after < NXS_SCHED_TIME_MAX ? retry_after : NXS_SCHED_TIME_MAX);
        ch->backoff = 0;
        return ch->paused_until > deadline ? NXS_SCHED_FATE_DEAD : NXS_SCHED_FATE_RETRY;
    case NXS_SCHED_ACCOUNT_ERROR:
        acct_set_held(s, ch->acct, 1);
        return NXS_SCHED_FATE_HELD;
    case NXS_SCHED_CHANNEL_ERROR:
        return NXS_SCHED_FATE_DROPPED;
    default:
        return NXS_SCHED_FATE_SENT;
    }
}

/* Slack answers again after an outage (see "Recovery" in nxs_sched.h):
 * every channel in a transient backoff is ready now.  O(channels), once per
 * outage. */
static void recover(nxs_sched_t *s, apr_time_t now)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, s->channels); hi; hi = apr_hash_next(hi)) {
        nxs_sched_chan_t *ch = apr_hash_this_val(hi);
        if (ch->backoff && ch->paused_until > now) {
            ch->paused_until = now;
            ch->backoff = 0;
            nxs_sched_chan_refresh(s, ch);
        }
    }
}

/* Keeps the success history that "Recovery" looks at. */
static void note_outcome(nxs_sched_t *s, nxs_sched_outcome_e outcome, apr_time_t now)
{
    if (outcome != NXS_SCHED_DELIVERED) {
        return;
    }
    if (s->cfg.outage_gap > 0 && s->failed_since_success &&
        now - s->last_success >= s->cfg.outage_gap) {
        recover(s, now);
    }
    s->last_success = now;
    s->failed_since_success = 0;
}

apr_status_t nxs_sched_done(nxs_sched_fate_e *fate, nxs_sched_item_t *item, nxs_sched_t *s,
                            apr_uint64_t seq, nxs_sched_outcome_e outcome,
                            apr_interval_time_t retry_after, apr_time_t now)
{
    nxs_sched_chan_t *ch;
    int was_blocked;

    if ((int)outcome < (int)NXS_SCHED_DELIVERED || (int)outcome > (int)NXS_SCHED_ACCOUNT_ERROR) {
        return APR_EINVAL;
    }
    ch = apr_hash_get(s->inflight, &seq, sizeof(seq));
    if (ch == NULL) {
        return APR_NOTFOUND;
    }
    apr_hash_set(s->inflight, &ch->inflight_seq, sizeof(ch->inflight_seq), NULL);
    was_blocked = nxs_sched_acct_blocked(s, ch->acct);
    ch->inflight = 0;
    --ch->acct->inflight;
    --s->in_flight;
    *fate = outcome_apply(s, ch, outcome, retry_after, now);
    if (*fate == NXS_SCHED_FATE_RETRY || *fate == NXS_SCHED_FATE_HELD) {
        item_fill(item, ch, nxs_sched_ring_at(ch, 0));
    } else {
        chan_take(item, s, ch, 0);
    }
    nxs_sched_refresh_after(s, ch, was_blocked);
    note_outcome(s, outcome, now);
    return APR_SUCCESS;
}

apr_status_t nxs_sched_account_hold(nxs_sched_t *s, const char *account)
{
    nxs_sched_acct_t *a;
    apr_status_t rv;

    if (account == NULL || !*account) {
        return APR_EINVAL;
    }
    rv = nxs_sched_acct_get(&a, s, account);
    if (rv == APR_SUCCESS) {
        acct_set_held(s, a, 1);
    }
    return rv;
}

void nxs_sched_account_release(nxs_sched_t *s, const char *account)
{
    nxs_sched_acct_t *a = nxs_sched_acct_find(s, account);

    if (a != NULL) {
        acct_set_held(s, a, 0);
        nxs_sched_acct_maybe_free(s, a);
    }
}

apr_size_t nxs_sched_account_drop(nxs_sched_t *s, const char *account, nxs_sched_item_fn *fn,
                                  void *baton)
{
    nxs_sched_acct_t *a = nxs_sched_acct_find(s, account);
    nxs_sched_chan_t *ch;
    nxs_sched_item_t item;
    apr_size_t n = 0;

    for (ch = a ? a->chans : NULL; ch; ch = ch->next) {
        while (ch->count > ch->inflight) {
            chan_take(&item, s, ch, ch->inflight);
            fn(baton, &item);
            ++n;
        }
        ch->orphan = ch->inflight;
        nxs_sched_chan_refresh(s, ch);
    }
    /* A disconnected account no longer waits for a reconnect. */
    if (a) {
        acct_set_held(s, a, 0);
    }
    return n;
}

int nxs_sched_account_held(apr_size_t *queued, const nxs_sched_t *s, const char *account)
{
    const nxs_sched_acct_t *a = nxs_sched_acct_find(s, account);

    if (queued) {
        *queued = a ? a->queued : 0;
    }
    return a ? a->held : 0;
}

apr_size_t nxs_sched_expire(nxs_sched_t *s, apr_time_t now, nxs_sched_item_fn *fn, void *baton)
{
    nxs_sched_chan_t *ch;
    nxs_sched_item_t item;
    apr_size_t n = 0;

    while ((ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_AGE])) != NULL &&
           ch->hkey[NXS_HEAP_AGE] + s->cfg.retry_window < now) {
        chan_take(&item, s, ch, ch->inflight);
        nxs_sched_chan_refresh(s, ch);
        fn(baton, &item);
        ++n;
    }
    /* Forgetting a channel whose bucket is full and pause over changes
     * nothing: a new one starts in the same state. */
    while ((ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_IDLE])) != NULL &&
           ch->hkey[NXS_HEAP_IDLE] <= now) {
        nxs_sched_chan_free(s, ch);
    }
    return n;
}

apr_time_t nxs_sched_next_expiry(const nxs_sched_t *s)
{
    const nxs_sched_chan_t *ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_AGE]);

    return ch ? ch->hkey[NXS_HEAP_AGE] + s->cfg.retry_window + 1 : 0;
}

void nxs_sched_stats(nxs_sched_stats_t *st, const nxs_sched_t *s)
{
    const nxs_sched_chan_t *oldest = nxs_sched_heap_top(&s->heaps[NXS_HEAP_AGE]);

    st->queued = s->queued;
    st->in_flight = s->in_flight;
    st->channels = s->nchans;
    st->accounts = apr_hash_count(s->accounts);
    st->held_accounts = s->held;
    st->oldest_accepted_at = oldest ? oldest->hkey[NXS_HEAP_AGE] : 0;
    st->bytes = s->bytes;
}
