/* The delivery scheduler's state machine: what can be handed out and when,
 * what each outcome does, holds, drops and the expiry sweep.  The rules are
 * in nxs_sched.h; accounts and channels live in nxs_sched_chan.c, the heaps,
 * rings and backoff in nxs_sched_heap.c. */
#include "sched/nxs_sched_int.h"
#include "nxs_log.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* ---- why a channel does not move, for the log ------------------------------ */

typedef struct why_t {
    char text[160];
} why_t;

/* "2026-12-07T21:05:03.250Z, in 1.250 s" */
static const char *until_text(why_t *w, apr_time_t t, apr_time_t now)
{
    char at[NXS_LOG_TIME_SIZE];
    apr_interval_time_t in = t > now ? t - now : 0;

    apr_snprintf(w->text, sizeof(w->text), "%s, in %" APR_TIME_T_FMT ".%03d s", nxs_log_time(at, t),
                 apr_time_sec(in), (int)(apr_time_usec(in) / 1000));
    return w->text;
}

/* What keeps CH from handing out its head at NOW; "ready" if nothing does. */
static const char *chan_why(why_t *w, const nxs_sched_t *s, const nxs_sched_chan_t *ch,
                            apr_time_t now)
{
    apr_time_t bucket = ch->tat - s->tolerance;
    why_t u;

    if (ch->count == 0) {
        return "nothing waiting";
    }
    if (ch->acct->held) {
        return "its account is held (reconnect needed)";
    }
    if (ch->inflight) {
        apr_snprintf(w->text, sizeof(w->text),
                     "waiting for message %" APR_UINT64_T_FMT " in flight", ch->inflight_seq);
        return w->text;
    }
    if (s->cfg.max_inflight_per_account && ch->acct->inflight >= s->cfg.max_inflight_per_account) {
        apr_snprintf(w->text, sizeof(w->text), "its account has %u messages in flight, its cap",
                     ch->acct->inflight);
        return w->text;
    }
    if (ch->paused_until > now && ch->paused_until >= bucket) {
        apr_snprintf(w->text, sizeof(w->text), "%s until %s",
                     ch->backoff ? "backing off" : "paused by Retry-After",
                     until_text(&u, ch->paused_until, now));
        return w->text;
    }
    if (bucket > now) {
        apr_snprintf(w->text, sizeof(w->text), "rate-limited until %s",
                     until_text(&u, bucket, now));
        return w->text;
    }
    return "ready";
}

static apr_uint32_t chan_waiting(const nxs_sched_chan_t *ch)
{
    return ch->count - ch->inflight;
}

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
    if (rv == APR_SUCCESS && nxs_log_is_level(NXS_LOG_TRACE2)) {
        why_t w;
        nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE2, 0, "NXS00020",
                       "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                       " queued, %u waiting; channel: %s",
                       ch->channel, ch->acct->id, ch->team, item->seq, chan_waiting(ch),
                       chan_why(&w, s, ch, s->last_now));
    }
    return rv;
}

int nxs_sched_next(nxs_sched_item_t *item, apr_time_t *wake_at, nxs_sched_t *s, apr_time_t now)
{
    nxs_sched_chan_t *ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_READY]);
    int was_blocked;

    s->last_now = now;
    if (ch == NULL || ch->hkey[NXS_HEAP_READY] > now) {
        *wake_at = ch ? ch->hkey[NXS_HEAP_READY] : 0;
        /* Said only while something waits: an idle daemon stays quiet. */
        if (s->queued > s->in_flight && nxs_log_is_level(NXS_LOG_TRACE2)) {
            why_t w;
            if (ch) {
                nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE2, 0, "NXS00021",
                               "nothing to hand out: %" APR_SIZE_T_FMT " waiting, %" APR_SIZE_T_FMT
                               " in flight, %" APR_SIZE_T_FMT
                               " accounts held; the first ready is channel %s (account %s, team "
                               "%s): %s",
                               s->queued - s->in_flight, s->in_flight, s->held, ch->channel,
                               ch->acct->id, ch->team, chan_why(&w, s, ch, now));
            } else {
                nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE2, 0, "NXS00022",
                               "nothing to hand out: %" APR_SIZE_T_FMT " waiting, %" APR_SIZE_T_FMT
                               " in flight, %" APR_SIZE_T_FMT
                               " accounts held; every channel with messages waits for one in "
                               "flight or a held account",
                               s->queued - s->in_flight, s->in_flight, s->held);
            }
        }
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
    NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00023",
            "channel %s (account %s, team %s): handing out message %" APR_UINT64_T_FMT
            " (try %u), %u waiting behind it",
            ch->channel, ch->acct->id, ch->team, ch->inflight_seq,
            nxs_sched_entry_attempts(nxs_sched_ring_at(ch, 0)) + 1, chan_waiting(ch));
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
    apr_size_t n = 0;

    for (hi = apr_hash_first(NULL, s->channels); hi; hi = apr_hash_next(hi)) {
        nxs_sched_chan_t *ch = apr_hash_this_val(hi);
        if (ch->backoff && ch->paused_until > now) {
            ch->paused_until = now;
            ch->backoff = 0;
            nxs_sched_chan_refresh(s, ch);
            ++n;
        }
    }
    if (n > 0) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00032",
                "Slack answers again after an outage: %" APR_SIZE_T_FMT
                " channels backing off are ready now",
                n);
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

/* Says what an outcome did to CH and to its message SEQ, whose try number
 * ATTEMPTS just ended, at NOW; called after the channel was refreshed. */
static void log_outcome(const nxs_sched_t *s, const nxs_sched_chan_t *ch, nxs_sched_fate_e fate,
                        nxs_sched_outcome_e outcome, const char *why, apr_uint64_t seq,
                        unsigned attempts, apr_time_t accepted_at, int orphan, apr_time_t now)
{
    why_t w, u;

    static const char *const outcomes[] = {"delivery", "a transient error", "a rate limit",
                                           "a channel error", "an account error"};

    why = why ? why : outcomes[outcome];
    if (orphan) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00024",
                "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                " came back (%s) after its account was disconnected: %s",
                ch->channel, ch->acct->id, ch->team, seq, why,
                fate == NXS_SCHED_FATE_SENT ? "it was posted" : "dropped");
        return;
    }
    switch (fate) {
    case NXS_SCHED_FATE_SENT:
        NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00025",
                "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                " delivered (try %u), %u waiting",
                ch->channel, ch->acct->id, ch->team, seq, attempts, chan_waiting(ch));
        if (chan_waiting(ch) && nxs_log_is_level(NXS_LOG_TRACE2)) {
            const char *next = chan_why(&w, s, ch, now);
            if (strncmp(next, "rate-limited", 12) == 0) {
                nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE2, 0, "NXS00026",
                               "channel %s (account %s, team %s): %u waiting, %s", ch->channel,
                               ch->acct->id, ch->team, chan_waiting(ch), next);
            }
        }
        break;
    case NXS_SCHED_FATE_RETRY:
        if (nxs_log_is_level(NXS_LOG_DEBUG)) {
            if (outcome == NXS_SCHED_RATE_LIMITED) {
                nxs_log_perror(NXS_LOG_MARK, NXS_LOG_DEBUG, 0, "NXS00027",
                               "channel %s (account %s, team %s): paused by Retry-After until %s "
                               "after %s on message %" APR_UINT64_T_FMT ", %u waiting",
                               ch->channel, ch->acct->id, ch->team,
                               until_text(&u, ch->paused_until, now), why, seq, chan_waiting(ch));
            } else {
                nxs_log_perror(NXS_LOG_MARK, NXS_LOG_DEBUG, 0, "NXS00028",
                               "channel %s (account %s, team %s): backing off until %s after %s "
                               "(try %u of message %" APR_UINT64_T_FMT "), %u waiting",
                               ch->channel, ch->acct->id, ch->team,
                               until_text(&u, ch->paused_until, now), why, attempts, seq,
                               chan_waiting(ch));
            }
        }
        break;
    case NXS_SCHED_FATE_HELD:
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00029",
                "account %s held (reconnect needed) after %s on channel %s (team %s): its "
                "%" APR_SIZE_T_FMT " messages wait",
                ch->acct->id, why, ch->channel, ch->team, ch->acct->queued);
        break;
    case NXS_SCHED_FATE_DEAD:
        if (nxs_log_is_level(NXS_LOG_DEBUG)) {
            char at[NXS_LOG_TIME_SIZE];
            nxs_log_perror(NXS_LOG_MARK, NXS_LOG_DEBUG, 0, "NXS00030",
                           "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                           " dead-lettered after %s (try %u): %s %s",
                           ch->channel, ch->acct->id, ch->team, seq, why, attempts,
                           outcome == NXS_SCHED_RATE_LIMITED
                               ? "Retry-After ends after its retry window, at"
                               : "its retry window ended at",
                           nxs_log_time(at, accepted_at + s->cfg.retry_window));
        }
        break;
    case NXS_SCHED_FATE_DROPPED:
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00031",
                "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                " dropped after %s (a channel error: retrying would not help)",
                ch->channel, ch->acct->id, ch->team, seq, why);
        break;
    }
}

apr_status_t nxs_sched_done(nxs_sched_fate_e *fate, nxs_sched_item_t *item, nxs_sched_t *s,
                            apr_uint64_t seq, nxs_sched_outcome_e outcome,
                            apr_interval_time_t retry_after, apr_time_t now)
{
    return nxs_sched_done_why(fate, item, s, seq, outcome, NULL, retry_after, now);
}

apr_status_t nxs_sched_done_why(nxs_sched_fate_e *fate, nxs_sched_item_t *item, nxs_sched_t *s,
                                apr_uint64_t seq, nxs_sched_outcome_e outcome, const char *why,
                                apr_interval_time_t retry_after, apr_time_t now)
{
    nxs_sched_chan_t *ch;
    nxs_sched_entry_t head;
    int was_blocked, orphan;

    s->last_now = now;
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
    orphan = ch->orphan;
    *fate = outcome_apply(s, ch, outcome, retry_after, now);
    head = *nxs_sched_ring_at(ch, 0);
    if (*fate == NXS_SCHED_FATE_RETRY || *fate == NXS_SCHED_FATE_HELD) {
        item_fill(item, ch, nxs_sched_ring_at(ch, 0));
    } else {
        chan_take(item, s, ch, 0);
    }
    nxs_sched_refresh_after(s, ch, was_blocked);
    note_outcome(s, outcome, now);
    /* The channel stays allocated until the next nxs_sched_expire. */
    if (nxs_log_is_level(NXS_LOG_DEBUG)) {
        /* The try that just ended; a transient failure has counted it. */
        unsigned tried =
            nxs_sched_entry_attempts(&head) + (outcome == NXS_SCHED_TRANSIENT && !orphan ? 0 : 1);
        log_outcome(s, ch, *fate, outcome, why, head.seq, tried, nxs_sched_entry_accepted(&head),
                    orphan, now);
    }
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
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00033",
                "account %s held (reconnect needed): its %" APR_SIZE_T_FMT " messages wait",
                account, a->queued);
        acct_set_held(s, a, 1);
    }
    return rv;
}

void nxs_sched_account_release(nxs_sched_t *s, const char *account)
{
    nxs_sched_acct_t *a = nxs_sched_acct_find(s, account);

    if (a != NULL) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00034",
                "account %s released%s: its %" APR_SIZE_T_FMT " messages resume", account,
                a->held ? "" : " (was not held)", a->queued);
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
    NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00035",
            "account %s disconnected: %" APR_SIZE_T_FMT " waiting messages removed", account, n);
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

    s->last_now = now;
    while ((ch = nxs_sched_heap_top(&s->heaps[NXS_HEAP_AGE])) != NULL &&
           ch->hkey[NXS_HEAP_AGE] + s->cfg.retry_window < now) {
        if (nxs_log_is_level(NXS_LOG_DEBUG)) {
            why_t w;
            char at[NXS_LOG_TIME_SIZE];
            nxs_log_perror(NXS_LOG_MARK, NXS_LOG_DEBUG, 0, "NXS00036",
                           "channel %s (account %s, team %s): message %" APR_UINT64_T_FMT
                           " dead-lettered: its retry window ended at %s while it waited; "
                           "channel: %s",
                           ch->channel, ch->acct->id, ch->team,
                           nxs_sched_ring_at(ch, ch->inflight)->seq,
                           nxs_log_time(at, ch->hkey[NXS_HEAP_AGE] + s->cfg.retry_window),
                           chan_why(&w, s, ch, now));
        }
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
