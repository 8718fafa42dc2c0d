/* The delivery scheduler: decides which queued delivery goes to Slack next
 * and when.  It keeps a compact in-memory index of the durable queue (the
 * queue itself is on disk, elsewhere): per-channel FIFOs, a token bucket per
 * channel, retry backoff, account holds, and the retry window.
 *
 * Not thread-safe, on purpose: the daemon's dispatcher thread and the
 * workers that report outcomes serialize every call with one mutex.  Nothing
 * here reads the clock: every time is passed in by the caller (apr_time_t,
 * microseconds), so the behaviour is deterministic and tests need no waiting.
 *
 * Logging (core/nxs_log.h), for an operator asking why a channel does not
 * move: each change of a channel's state is logged naming its account, team
 * and channel ids and the reason with its end time (backing off until T
 * after error E, paused by Retry-After until T, account held, dead-lettered,
 * dropped) at debug; hand-outs and deliveries at trace1; a channel waiting
 * for its rate limit, a queued item and a dispatch with nothing ready at
 * trace2.  Per-item lines cost nothing while their level is off.  A queued
 * item's line judges its channel at the latest time a call brought.
 *
 * The rules (docs/CONTRACT.md "Delivery"):
 * - Order: a channel hands out only its head, one item in flight at a time,
 *   so per-channel order holds across retries (a failing head blocks its
 *   channel until it is delivered, dead-lettered or dropped).
 * - Rate: a token bucket per channel, RATE messages/s sustained with BURST
 *   at once; exact (integer microseconds), never exceeded.
 * - Fairness: a channel's ready time is when its bucket and any pause let
 *   its head go; ready channels are served earliest-ready-first, ties in the
 *   order they became ready (round robin).  A channel waiting on its bucket
 *   or in backoff, a held account, an item in flight never delay another
 *   channel, and an optional cap keeps one account from taking every worker.
 * - Retry window: an item lives until DEADLINE = accepted_at + retry_window.
 *   A transient failure at now < DEADLINE retries at
 *   min(now + backoff, DEADLINE), so an item gets a last try at its deadline;
 *   a transient failure at now >= DEADLINE dead-letters it.  A 429 pauses
 *   the channel for Retry-After; if that ends after DEADLINE, the item is
 *   dead-lettered at once (the pause still holds for the next item).  An
 *   item still waiting after DEADLINE (behind a failing head, in a held
 *   account) is dead-lettered by nxs_sched_expire.  Hence an outage or a
 *   hold that ends before an item's deadline does not lose it: a failing
 *   head is tried at least every backoff_max and once more at its deadline,
 *   and the items behind it then drain at the channel's rate; only what that
 *   rate cannot reach before its own deadline is dead-lettered.
 * - Backoff: the N-th transient failure of an item waits "equal jitter" of
 *   d = min(backoff_min * 2^(N-1), backoff_max): ceil(d/2) fixed plus a
 *   uniform [0, floor(d/2)] from a seeded PRNG, so within [d/2, d].
 * - Recovery: a delivery that succeeds after no delivery succeeded for
 *   outage_gap, with transient failures in that time, means Slack is back
 *   from an outage: every channel waiting out a transient backoff is ready
 *   at once (its attempts count is kept, so if it fails again it backs off
 *   further).  Without this, after an outage each channel would wait out
 *   its own backoff (up to backoff_max) although Slack answers again.  A
 *   channel failing on its own among succeeding ones is not woken: the gap
 *   does not open.  Retry-After pauses are never shortened.
 */
#ifndef NXS_SCHED_H
#define NXS_SCHED_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

typedef struct nxs_sched_t nxs_sched_t;

typedef struct nxs_sched_config_t {
    double rate;                       /* sustained messages per second per channel (> 0) */
    unsigned burst;                    /* messages a rested channel may send at once (>= 1) */
    apr_interval_time_t backoff_min;   /* first transient retry delay, before jitter */
    apr_interval_time_t backoff_max;   /* cap of the doubling delay (>= backoff_min) */
    apr_interval_time_t retry_window;  /* from acceptance to dead-letter */
    unsigned max_inflight_per_account; /* 0: unlimited; else a slow workspace cannot
                                          occupy more than this many workers */
    apr_uint64_t seed;                 /* of the jitter PRNG; fixed in tests */
    apr_interval_time_t outage_gap;    /* see "Recovery"; 0: never wake backoffs early */
    apr_time_t spent_at;               /* 0: a channel seen for the first time starts with a
                                          full bucket; else as if a full burst had been spent
                                          at this time (a restarted daemon: the one before it
                                          may have used the bucket just before it died) */
} nxs_sched_config_t;

/* One queued delivery.  The strings point into the scheduler: they stay valid
 * while the item is queued or in flight, and after it left until the next
 * nxs_sched_expire call; copy them to keep them longer. */
typedef struct nxs_sched_item_t {
    apr_uint64_t seq; /* global acceptance order; unique */
    const char *account;
    const char *team;
    const char *channel;
    apr_time_t accepted_at; /* kept to the millisecond */
    unsigned attempts;      /* failed tries so far (saturates at 65535) */
} nxs_sched_item_t;

/* What a worker saw when it tried to send an item. */
typedef enum {
    NXS_SCHED_DELIVERED = 0,
    NXS_SCHED_TRANSIENT,     /* network, timeout, 5xx, internal_error, ... */
    NXS_SCHED_RATE_LIMITED,  /* 429 / ratelimited, with Retry-After */
    NXS_SCHED_CHANNEL_ERROR, /* channel_not_found, is_archived, ... */
    NXS_SCHED_ACCOUNT_ERROR  /* invalid_auth, token_revoked, ... */
} nxs_sched_outcome_e;

/* What became of the item, i.e. what the caller does with its disk record. */
typedef enum {
    NXS_SCHED_FATE_SENT = 0, /* delete it */
    NXS_SCHED_FATE_RETRY,    /* keep it (store the new attempts); it stays at its channel head */
    NXS_SCHED_FATE_HELD,     /* keep it; its account is now held (reconnect needed) */
    NXS_SCHED_FATE_DEAD,     /* retry window exhausted: dead-letter and count it */
    NXS_SCHED_FATE_DROPPED   /* channel error, or its account was dropped: delete, count */
} nxs_sched_fate_e;

typedef struct nxs_sched_stats_t {
    apr_size_t queued;             /* items held, in flight included */
    apr_size_t in_flight;          /* handed out, outcome not reported yet */
    apr_size_t channels;           /* channels known (queued items or a live bucket) */
    apr_size_t accounts;           /* accounts known (with channels, or held) */
    apr_size_t held_accounts;      /* accounts held by an account error or the caller */
    apr_time_t oldest_accepted_at; /* oldest waiting (not in flight) item; 0 if none */
    apr_size_t bytes;              /* memory owned, malloc overhead and hashes excluded */
} nxs_sched_stats_t;

/* Called for each item that leaves the scheduler in a sweep.  It must not
 * call back into the scheduler. */
typedef void nxs_sched_item_fn(void *baton, const nxs_sched_item_t *item);

/* The defaults of docs/CONTRACT.md "Delivery" and the directives: 1 message/s with a burst of 3,
 * backoff 1s..10m, a 24h retry window, no per-account cap, an outage gap of 5 s, seed 1. */
void nxs_sched_config_default(nxs_sched_config_t *cfg);

/* Creates an empty scheduler.  Memory that grows and shrinks with the queue
 * comes from malloc (a pool never gives memory back) and is freed when P is
 * cleared.  APR_EINVAL when CFG is out of range. */
apr_status_t nxs_sched_create(nxs_sched_t **out, const nxs_sched_config_t *cfg, apr_pool_t *p);

/* Queues ITEM (copied; the strings are interned).  A channel is identified by
 * account + team + channel.  Items are placed in seq order within their
 * channel, O(1) when they arrive in increasing seq (live traffic, a replay in
 * seq order), so a restart that re-adds the disk queue rebuilds the same
 * order; an item older than a channel's in-flight head goes right after it.
 * APR_EINVAL (missing account or channel), APR_EEXIST (seq already queued in
 * that channel), APR_ENOMEM. */
apr_status_t nxs_sched_add(nxs_sched_t *s, const nxs_sched_item_t *item);

/* Hands out the next item at NOW: returns 1 with *item filled (it is now in
 * flight) and *wake_at = NOW, so call again; or returns 0 with *wake_at the
 * earliest time an item could become ready, or 0 when none can until the
 * caller adds, releases or reports an outcome.  Run nxs_sched_expire first:
 * this call does not look at the retry window.  O(log channels). */
int nxs_sched_next(nxs_sched_item_t *item, apr_time_t *wake_at, nxs_sched_t *s, apr_time_t now);

/* Reports OUTCOME for the in-flight item SEQ at NOW; RETRY_AFTER is used by
 * NXS_SCHED_RATE_LIMITED only (<= 0: backoff_min).  *fate says what became
 * of it and *item (may be NULL) its state afterwards.  An item whose account
 * was dropped while it was in flight comes back as SENT when delivered, else
 * DROPPED.  APR_NOTFOUND when SEQ is not in flight, APR_EINVAL for an
 * unknown outcome; nothing changes then. */
apr_status_t nxs_sched_done(nxs_sched_fate_e *fate, nxs_sched_item_t *item, nxs_sched_t *s,
                            apr_uint64_t seq, nxs_sched_outcome_e outcome,
                            apr_interval_time_t retry_after, apr_time_t now);

/* The same, with WHY (may be NULL) the error behind OUTCOME ("ratelimited",
 * "http_503", ...), which only the log shows: "backing off until T after
 * http_503 (try 3 ...)". */
apr_status_t nxs_sched_done_why(nxs_sched_fate_e *fate, nxs_sched_item_t *item, nxs_sched_t *s,
                                apr_uint64_t seq, nxs_sched_outcome_e outcome, const char *why,
                                apr_interval_time_t retry_after, apr_time_t now);

/* Holds ACCOUNT: none of its channels hands out items until it is released.
 * Holding an account with nothing queued yet holds its future items.
 * APR_EINVAL without an account, APR_ENOMEM. */
apr_status_t nxs_sched_account_hold(nxs_sched_t *s, const char *account);

/* Lifts the hold; its channels resume where they stopped, in order. */
void nxs_sched_account_release(nxs_sched_t *s, const char *account);

/* Removes every waiting item of ACCOUNT (its disconnection), calling FN for
 * each, channel by channel in seq order; items in flight come back DROPPED
 * (or SENT) from nxs_sched_done.  A hold stays as it was.  Returns the count. */
apr_size_t nxs_sched_account_drop(nxs_sched_t *s, const char *account, nxs_sched_item_fn *fn,
                                  void *baton);

/* 1 when ACCOUNT is held; *queued (may be NULL) counts its items. */
int nxs_sched_account_held(apr_size_t *queued, const nxs_sched_t *s, const char *account);

/* Dead-letters every waiting item whose deadline is before NOW, calling FN
 * for each, and forgets channels idle long enough that their bucket is full
 * again.  Returns the count.  O(1) when there is nothing to do. */
apr_size_t nxs_sched_expire(nxs_sched_t *s, apr_time_t now, nxs_sched_item_fn *fn, void *baton);

/* The earliest NOW at which nxs_sched_expire would dead-letter an item, or 0
 * when nothing waits.  The dispatcher sleeps until the earlier of this and
 * the wake_at of nxs_sched_next. */
apr_time_t nxs_sched_next_expiry(const nxs_sched_t *s);

void nxs_sched_stats(nxs_sched_stats_t *st, const nxs_sched_t *s);

#endif
