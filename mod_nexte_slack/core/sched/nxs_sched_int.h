/* Shared between the nxs_sched*.c files only: the scheduler's state, its
 * accounts, channels, per-channel rings and channel heaps.  Callers see
 * nxs_sched_t as opaque (nxs_sched.h). */
#ifndef NXS_SCHED_INT_H
#define NXS_SCHED_INT_H

#include <apr_hash.h>

#include "sched/nxs_sched.h"

/* One queued item in 16 bytes, so that a million waiting items fit in
 * 16 MiB of rings.  META packs accepted_at in milliseconds (48 bits: until
 * the year 10889) above the attempt count (16 bits). */
typedef struct nxs_sched_entry_t {
    apr_uint64_t seq;
    apr_uint64_t meta;
} nxs_sched_entry_t;

/* Longest backoff, window or Retry-After taken into account: with it, no
 * sum of times can overflow. */
#define NXS_SCHED_TIME_MAX apr_time_from_sec(366LL * 24 * 3600)

#define NXS_SCHED_ATTEMPTS_MAX 0xFFFFu
#define NXS_SCHED_MS_MAX       ((APR_UINT64_C(1) << 48) - 1)

/* The three heaps a channel can sit in, each keyed by (key, tie):
 * READY  channels that can hand out their head: time it may go, then the
 *        order they became ready (round robin among equals);
 * AGE    channels with waiting items: accepted_at of the first waiting one,
 *        then its seq (oldest-item stat and the expiry sweep);
 * IDLE   empty channels: when their bucket is full again, so forgetting
 *        them cannot let a burst exceed the rate. */
enum { NXS_HEAP_READY = 0, NXS_HEAP_AGE, NXS_HEAP_IDLE, NXS_HEAP_COUNT };

#define NXS_SCHED_NOWHERE ((apr_uint32_t)-1)

typedef struct nxs_sched_chan_t nxs_sched_chan_t;

typedef struct nxs_sched_acct_t {
    nxs_sched_chan_t *chans; /* its channels, a doubly-linked list */
    apr_size_t nchans;
    apr_size_t queued;
    unsigned inflight;
    int held;
    apr_size_t idlen;
    char id[]; /* hash key */
} nxs_sched_acct_t;

struct nxs_sched_chan_t {
    nxs_sched_acct_t *acct;
    nxs_sched_chan_t *prev, *next; /* in acct->chans */
    nxs_sched_entry_t *ring;       /* cap is 0 or a power of two */
    apr_uint32_t cap, head, count;
    apr_uint32_t hidx[NXS_HEAP_COUNT]; /* position in each heap, or NOWHERE */
    apr_time_t hkey[NXS_HEAP_COUNT];
    apr_uint64_t htie[NXS_HEAP_COUNT];
    apr_time_t tat;            /* token bucket as GCRA: theoretical arrival time */
    apr_time_t paused_until;   /* backoff or Retry-After */
    apr_uint64_t inflight_seq; /* key of the in-flight hash while in flight */
    unsigned inflight : 1;     /* the head is handed out */
    unsigned orphan : 1;       /* ... and its account was dropped meanwhile */
    unsigned backoff : 1;      /* paused_until is a transient backoff (not a Retry-After) */
    const char *team;          /* into key */
    const char *channel;       /* into key */
    apr_size_t keylen;
    char key[]; /* "account\0team\0channel" */
};

typedef struct nxs_sched_heap_t {
    nxs_sched_chan_t **v;
    apr_uint32_t n, cap;
    int which;
} nxs_sched_heap_t;

/* Heaps never fail to insert: their capacity is reserved when a channel is
 * created (nxs_sched_heap_reserve), as each channel is at most once in each. */
apr_status_t nxs_sched_heap_reserve(nxs_sched_heap_t *h, apr_size_t n, apr_size_t *bytes);
void nxs_sched_heap_put(nxs_sched_heap_t *h, nxs_sched_chan_t *ch, apr_time_t key,
                        apr_uint64_t tie);
void nxs_sched_heap_remove(nxs_sched_heap_t *h, nxs_sched_chan_t *ch);
nxs_sched_chan_t *nxs_sched_heap_top(const nxs_sched_heap_t *h);
void nxs_sched_heap_free(nxs_sched_heap_t *h);

struct nxs_sched_t {
    nxs_sched_config_t cfg;
    apr_interval_time_t interval;  /* bucket: one token every INTERVAL */
    apr_interval_time_t tolerance; /* bucket: (burst - 1) * INTERVAL */
    apr_hash_t *accounts;          /* id -> nxs_sched_acct_t */
    apr_hash_t *channels;          /* key -> nxs_sched_chan_t */
    apr_hash_t *inflight;          /* seq -> nxs_sched_chan_t */
    nxs_sched_heap_t heaps[NXS_HEAP_COUNT];
    apr_uint64_t stamp;       /* order in which channels became ready */
    apr_time_t last_success;  /* of any delivery; 0 before the first */
    int failed_since_success; /* a transient failure came after last_success */
    apr_time_t last_now;      /* the latest NOW of next, done or expire (for the log) */
    apr_uint64_t rng;
    apr_size_t queued, in_flight, nchans, held;
    apr_size_t bytes; /* what stats report as memory owned */
};

static inline apr_time_t nxs_sched_entry_accepted(const nxs_sched_entry_t *e)
{
    return (apr_time_t)(e->meta >> 16) * 1000;
}

static inline unsigned nxs_sched_entry_attempts(const nxs_sched_entry_t *e)
{
    return (unsigned)(e->meta & NXS_SCHED_ATTEMPTS_MAX);
}

static inline void nxs_sched_entry_set_attempts(nxs_sched_entry_t *e, unsigned attempts)
{
    if (attempts > NXS_SCHED_ATTEMPTS_MAX) {
        attempts = NXS_SCHED_ATTEMPTS_MAX;
    }
    e->meta = (e->meta & ~(apr_uint64_t)NXS_SCHED_ATTEMPTS_MAX) | attempts;
}

/* The I-th item of CH, 0 being the head. */
nxs_sched_entry_t *nxs_sched_ring_at(const nxs_sched_chan_t *ch, apr_uint32_t i);
/* Inserts E in seq order but not before index FIRST.  APR_EEXIST, APR_ENOMEM. */
apr_status_t nxs_sched_ring_insert(nxs_sched_chan_t *ch, const nxs_sched_entry_t *e,
                                   apr_uint32_t first, apr_size_t *bytes);
/* Removes the item at index I (0 or 1) and gives memory back as CH empties. */
void nxs_sched_ring_remove(nxs_sched_chan_t *ch, apr_uint32_t i, apr_size_t *bytes);

/* Equal-jitter backoff of the ATTEMPTS-th failure (see nxs_sched.h). */
apr_interval_time_t nxs_sched_backoff(const nxs_sched_config_t *cfg, unsigned attempts,
                                      apr_uint64_t *rng);

/* Accounts and channels (nxs_sched_chan.c).  An account or channel is
 * created on first use and freed once nothing refers to it. */
nxs_sched_acct_t *nxs_sched_acct_find(const nxs_sched_t *s, const char *id);
apr_status_t nxs_sched_acct_get(nxs_sched_acct_t **out, nxs_sched_t *s, const char *id);
/* Frees A when it has no channel, no hold and nothing in flight. */
void nxs_sched_acct_maybe_free(nxs_sched_t *s, nxs_sched_acct_t *a);
/* Whether A's channels are kept from handing out (held, or at its cap). */
int nxs_sched_acct_blocked(const nxs_sched_t *s, const nxs_sched_acct_t *a);
/* The channel of ITEM, created (with its account) on first use. */
apr_status_t nxs_sched_chan_get(nxs_sched_chan_t **out, nxs_sched_t *s,
                                const nxs_sched_item_t *item);
void nxs_sched_chan_free(nxs_sched_t *s, nxs_sched_chan_t *ch);
/* Puts CH in or out of each heap, with up-to-date keys, after any change. */
void nxs_sched_chan_refresh(nxs_sched_t *s, nxs_sched_chan_t *ch);
void nxs_sched_acct_refresh(nxs_sched_t *s, nxs_sched_acct_t *a);
/* Refreshes CH, or every channel of its account if the account's blocked
 * state is no longer WAS_BLOCKED. */
void nxs_sched_refresh_after(nxs_sched_t *s, nxs_sched_chan_t *ch, int was_blocked);

#endif
