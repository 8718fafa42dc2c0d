/* The delivery scheduler, driven by a fake clock: per-channel order, the
 * token bucket, fairness, backoff, the retry window, account holds, replay
 * after a restart, a 100 000-item drain checked against the bucket, and
 * the log lines that tell an operator why a channel does not move. */
#include "nxs_test.h"
#include "test_log_capture.h"

#include "sched/nxs_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC(n) apr_time_from_sec(n)
#define MS(n)  ((apr_time_t)(n)*1000)
/* A realistic epoch, so that nothing relies on times near zero. */
#define T0 SEC(1700000000)

static nxs_sched_t *make(apr_pool_t *p, double rate, unsigned burst)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s = NULL;

    nxs_sched_config_default(&cfg);
    cfg.rate = rate;
    cfg.burst = burst;
    assert_int_equal(nxs_sched_create(&s, &cfg, p), APR_SUCCESS);
    return s;
}

static nxs_sched_t *make_cfg(apr_pool_t *p, const nxs_sched_config_t *cfg)
{
    nxs_sched_t *s = NULL;

    assert_int_equal(nxs_sched_create(&s, cfg, p), APR_SUCCESS);
    return s;
}

static void add(nxs_sched_t *s, apr_uint64_t seq, const char *account, const char *channel,
                apr_time_t accepted_at)
{
    nxs_sched_item_t it = {seq, account, "T1", channel, accepted_at, 0};

    assert_int_equal(nxs_sched_add(s, &it), APR_SUCCESS);
}

/* Hands out the next item at NOW, which must exist, and returns its seq. */
static apr_uint64_t take(nxs_sched_t *s, apr_time_t now)
{
    nxs_sched_item_t it;
    apr_time_t wake = -1;

    assert_int_equal(nxs_sched_next(&it, &wake, s, now), 1);
    assert_int_equal(wake, now);
    return it.seq;
}

/* Asserts that nothing is ready at NOW and returns when something will be. */
static apr_time_t none(nxs_sched_t *s, apr_time_t now)
{
    nxs_sched_item_t it;
    apr_time_t wake = -1;

    assert_int_equal(nxs_sched_next(&it, &wake, s, now), 0);
    return wake;
}

static nxs_sched_fate_e done(nxs_sched_t *s, apr_uint64_t seq, nxs_sched_outcome_e outcome,
                             apr_interval_time_t retry_after, apr_time_t now)
{
    nxs_sched_fate_e fate;
    nxs_sched_item_t it;

    assert_int_equal(nxs_sched_done(&fate, &it, s, seq, outcome, retry_after, now), APR_SUCCESS);
    assert_int_equal(it.seq, seq);
    return fate;
}

static void deliver(nxs_sched_t *s, apr_uint64_t seq, apr_time_t now)
{
    assert_int_equal(done(s, seq, NXS_SCHED_DELIVERED, 0, now), NXS_SCHED_FATE_SENT);
}

/* Collects the seqs a sweep or a drop hands back. */
typedef struct seqs_t {
    apr_uint64_t v[64];
    int n;
} seqs_t;

static void collect(void *baton, const nxs_sched_item_t *item)
{
    seqs_t *got = baton;

    assert_true(got->n < 64);
    got->v[got->n++] = item->seq;
}

static void keeps_fifo_per_channel_with_interleaved_channels(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    const char *chan_of[] = {"A", "B", "A", "C", "B", "A", "A", "C", "B", "A", "B", "C"};
    apr_uint64_t last[3] = {0, 0, 0};
    apr_time_t now = T0;
    int sent = 0;
    apr_uint64_t seq;

    for (seq = 1; seq <= 12; ++seq) {
        add(s, seq, "acct", chan_of[seq - 1], T0);
    }
    while (sent < 12) {
        nxs_sched_item_t it;
        apr_time_t wake;
        if (!nxs_sched_next(&it, &wake, s, now)) {
            assert_true(wake > now);
            now = wake;
            continue;
        }
        assert_string_equal(it.channel, chan_of[it.seq - 1]);
        assert_true(it.seq > last[it.channel[0] - 'A']);
        last[it.channel[0] - 'A'] = it.seq;
        deliver(s, it.seq, now);
        ++sent;
    }
    /* A has 5 items: 3 at once, then one per second. */
    assert_int_equal(now, T0 + SEC(2));
    assert_int_equal(none(s, now), 0);
}

static void hands_out_one_item_per_channel_at_a_time(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);

    add(s, 1, "acct", "A", T0);
    add(s, 2, "acct", "A", T0);
    assert_int_equal(take(s, T0), 1);
    /* A has tokens left but its head is in flight. */
    assert_int_equal(none(s, T0), 0);
    add(s, 3, "acct", "B", T0);
    assert_int_equal(take(s, T0), 3);
    assert_int_equal(none(s, T0), 0);
    deliver(s, 1, T0 + MS(200));
    assert_int_equal(take(s, T0 + MS(200)), 2);
}

static void bucket_allows_a_burst_of_three_then_one_per_second(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    apr_uint64_t seq;

    for (seq = 1; seq <= 8; ++seq) {
        add(s, seq, "acct", "A", T0);
    }
    for (seq = 1; seq <= 3; ++seq) {
        assert_int_equal(take(s, T0), seq);
        deliver(s, seq, T0);
    }
    assert_int_equal(none(s, T0), T0 + SEC(1));
    assert_int_equal(none(s, T0 + SEC(1) - 1), T0 + SEC(1));
    assert_int_equal(take(s, T0 + SEC(1)), 4);
    deliver(s, 4, T0 + SEC(1));
    assert_int_equal(none(s, T0 + SEC(1)), T0 + SEC(2));
    /* Sent half a second late: the half second counts, the next token is
     * due on the same one-second grid (a bucket, not a fixed spacing). */
    assert_int_equal(take(s, T0 + MS(2500)), 5);
    deliver(s, 5, T0 + MS(2500));
    assert_int_equal(none(s, T0 + MS(2500)), T0 + SEC(3));
    /* Resting 10 s refills the bucket to 3, not more. */
    for (seq = 6; seq <= 8; ++seq) {
        assert_int_equal(take(s, T0 + SEC(13)), seq);
        deliver(s, seq, T0 + SEC(13));
    }
    add(s, 9, "acct", "A", T0 + SEC(13));
    assert_int_equal(none(s, T0 + SEC(13)), T0 + SEC(14));
}

static void bucket_takes_fractional_rates(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 2.5, 1);

    add(s, 1, "acct", "A", T0);
    add(s, 2, "acct", "A", T0);
    assert_int_equal(take(s, T0), 1);
    deliver(s, 1, T0);
    assert_int_equal(none(s, T0), T0 + MS(400));
}

static void hot_channel_does_not_delay_a_cold_one(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    apr_uint64_t seq;

    for (seq = 1; seq <= 100; ++seq) {
        add(s, seq, "acct", "hot", T0);
    }
    add(s, 101, "acct", "cold", T0);
    /* Both ready at T0: the cold one goes second, not after the backlog. */
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(take(s, T0), 101);
    deliver(s, 1, T0);
    deliver(s, 101, T0);
    assert_int_equal(take(s, T0), 2);
    deliver(s, 2, T0);
    assert_int_equal(take(s, T0), 3);
    deliver(s, 3, T0);
    /* The hot channel waits on its bucket; a new cold item goes at once. */
    add(s, 102, "other", "cold2", T0 + MS(300));
    assert_int_equal(take(s, T0 + MS(300)), 102);
    deliver(s, 102, T0 + MS(300));
    assert_int_equal(none(s, T0 + MS(300)), T0 + SEC(1));
}

static nxs_sched_config_t backoff_config(void)
{
    nxs_sched_config_t cfg;

    nxs_sched_config_default(&cfg);
    cfg.rate = 1000; /* the bucket stays out of the way */
    cfg.burst = 1000;
    cfg.backoff_min = SEC(1);
    cfg.backoff_max = SEC(30);
    cfg.seed = 42;
    return cfg;
}

/* Fails the only item N times and records each delay until its retry. */
static void record_backoff(apr_interval_time_t *delays, int n, const nxs_sched_config_t *cfg,
                           apr_pool_t *p)
{
    nxs_sched_t *s = make_cfg(p, cfg);
    apr_time_t now = T0;
    nxs_sched_item_t it;
    nxs_sched_fate_e fate;
    int i;

    add(s, 7, "acct", "A", T0);
    for (i = 0; i < n; ++i) {
        assert_int_equal(take(s, now), 7);
        assert_int_equal(nxs_sched_done(&fate, &it, s, 7, NXS_SCHED_TRANSIENT, 0, now),
                         APR_SUCCESS);
        assert_int_equal(fate, NXS_SCHED_FATE_RETRY);
        assert_int_equal(it.attempts, i + 1);
        delays[i] = none(s, now) - now;
        now += delays[i];
    }
}

static void transient_backoff_doubles_with_equal_jitter_up_to_max(void **state)
{
    nxs_sched_config_t cfg = backoff_config();
    apr_interval_time_t a[10], b[10], c[10];
    apr_interval_time_t d = SEC(1);
    int i, differ = 0;

    record_backoff(a, 10, &cfg, nxs_test_pool(state));
    for (i = 0; i < 10; ++i) {
        assert_true(a[i] >= (d + 1) / 2);
        assert_true(a[i] <= d);
        d = d * 2 > SEC(30) ? SEC(30) : d * 2;
    }
    /* Same seed, same delays; another seed, other delays. */
    record_backoff(b, 10, &cfg, nxs_test_pool(state));
    assert_memory_equal(a, b, sizeof(a));
    cfg.seed = 43;
    record_backoff(c, 10, &cfg, nxs_test_pool(state));
    for (i = 0; i < 10; ++i) {
        differ += a[i] != c[i];
    }
    assert_true(differ > 0);
}

static void restored_attempts_continue_the_backoff(void **state)
{
    nxs_sched_config_t cfg = backoff_config();
    nxs_sched_t *s = make_cfg(nxs_test_pool(state), &cfg);
    nxs_sched_item_t it = {5, "acct", "T1", "A", T0, 3};
    apr_interval_time_t delay;

    assert_int_equal(nxs_sched_add(s, &it), APR_SUCCESS);
    assert_int_equal(take(s, T0), 5);
    assert_int_equal(done(s, 5, NXS_SCHED_TRANSIENT, 0, T0), NXS_SCHED_FATE_RETRY);
    /* Fourth failure: d = 8 s. */
    delay = none(s, T0) - T0;
    assert_true(delay >= SEC(4) && delay <= SEC(8));
}

static void retry_window_gives_a_last_try_at_the_deadline_then_dead(void **state)
{
    nxs_sched_config_t cfg = backoff_config();
    nxs_sched_t *s;
    apr_time_t now = T0, deadline = T0 + SEC(60);
    nxs_sched_fate_e fate = NXS_SCHED_FATE_RETRY;
    int tries = 0;

    cfg.backoff_min = SEC(10);
    cfg.backoff_max = SEC(20);
    cfg.retry_window = SEC(60);
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 1, "acct", "A", T0);
    add(s, 2, "acct", "A", T0 + SEC(30));
    while (fate == NXS_SCHED_FATE_RETRY) {
        assert_true(now <= deadline);
        assert_int_equal(take(s, now), 1);
        fate = done(s, 1, NXS_SCHED_TRANSIENT, 0, now);
        ++tries;
        if (fate == NXS_SCHED_FATE_RETRY) {
            now = none(s, now);
        }
    }
    assert_int_equal(fate, NXS_SCHED_FATE_DEAD);
    assert_int_equal(now, deadline);
    assert_true(tries >= 4);
    /* The item behind it was waiting, not failing: it goes at once. */
    assert_int_equal(take(s, now), 2);
}

static void rate_limited_pauses_exactly_for_retry_after(void **state)
{
    nxs_sched_config_t cfg = backoff_config();
    nxs_sched_t *s;
    nxs_sched_item_t it;
    nxs_sched_fate_e fate;

    cfg.retry_window = SEC(60);
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 1, "acct", "A", T0);
    add(s, 2, "acct", "B", T0);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(nxs_sched_done(&fate, &it, s, 1, NXS_SCHED_RATE_LIMITED, SEC(7), T0),
                     APR_SUCCESS);
    assert_int_equal(fate, NXS_SCHED_FATE_RETRY);
    assert_int_equal(it.attempts, 0); /* not a failure for the backoff */
    assert_int_equal(take(s, T0), 2); /* another channel is not paused */
    assert_int_equal(none(s, T0), T0 + SEC(7));
    assert_int_equal(take(s, T0 + SEC(7)), 1);
    /* Retry-After without a value: backoff_min. */
    assert_int_equal(done(s, 1, NXS_SCHED_RATE_LIMITED, 0, T0 + SEC(7)), NXS_SCHED_FATE_RETRY);
    assert_int_equal(none(s, T0 + SEC(7)), T0 + SEC(8));
    /* A pause that would end past the window dead-letters now, and the
     * next item still waits for Retry-After. */
    add(s, 3, "acct", "A", T0 + SEC(8));
    assert_int_equal(take(s, T0 + SEC(8)), 1);
    assert_int_equal(done(s, 1, NXS_SCHED_RATE_LIMITED, SEC(53), T0 + SEC(8)), NXS_SCHED_FATE_DEAD);
    assert_int_equal(none(s, T0 + SEC(8)), T0 + SEC(61));
    assert_int_equal(take(s, T0 + SEC(61)), 3);
}

static void channel_error_drops_only_that_item(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    nxs_sched_stats_t st;

    add(s, 1, "acct", "A", T0);
    add(s, 2, "acct", "A", T0);
    add(s, 3, "acct", "B", T0);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(done(s, 1, NXS_SCHED_CHANNEL_ERROR, 0, T0), NXS_SCHED_FATE_DROPPED);
    assert_int_equal(take(s, T0), 3);
    assert_int_equal(take(s, T0), 2); /* not paused */
    nxs_sched_stats(&st, s);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.in_flight, 2);
}

static void account_error_holds_that_account_only(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    nxs_sched_stats_t st;
    apr_size_t queued = 0;
    apr_uint64_t first, second;

    add(s, 1, "X", "x1", T0);
    add(s, 2, "X", "x1", T0);
    add(s, 3, "X", "x2", T0);
    add(s, 4, "Y", "y1", T0);
    add(s, 5, "Y", "y1", T0);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(done(s, 1, NXS_SCHED_ACCOUNT_ERROR, 0, T0), NXS_SCHED_FATE_HELD);
    assert_int_equal(nxs_sched_account_held(&queued, s, "X"), 1);
    assert_int_equal(queued, 3);
    assert_int_equal(nxs_sched_account_held(NULL, s, "Y"), 0);
    /* Y keeps flowing; X's other channel does not. */
    assert_int_equal(take(s, T0), 4);
    deliver(s, 4, T0);
    assert_int_equal(take(s, T0), 5);
    deliver(s, 5, T0);
    assert_int_equal(none(s, T0 + SEC(60)), 0);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.held_accounts, 1);
    /* Released: the held item is x1's head again, and x2 resumes too. */
    nxs_sched_account_release(s, "X");
    first = take(s, T0 + SEC(60));
    second = take(s, T0 + SEC(60));
    assert_true((first == 1 && second == 3) || (first == 3 && second == 1));
    assert_int_equal(none(s, T0 + SEC(60)), 0);
    deliver(s, 1, T0 + SEC(60));
    assert_int_equal(take(s, T0 + SEC(60)), 2);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.held_accounts, 0);
}

static void hold_applies_to_items_queued_later(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);

    assert_int_equal(nxs_sched_account_hold(s, "X"), APR_SUCCESS);
    add(s, 1, "X", "x1", T0);
    assert_int_equal(none(s, T0), 0);
    nxs_sched_account_release(s, "X");
    assert_int_equal(take(s, T0), 1);
}

static void account_cap_keeps_workers_for_other_accounts(void **state)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s;

    nxs_sched_config_default(&cfg);
    cfg.max_inflight_per_account = 2;
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 1, "X", "x1", T0);
    add(s, 2, "X", "x2", T0);
    add(s, 3, "X", "x3", T0);
    add(s, 4, "Y", "y1", T0);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(take(s, T0), 2);
    assert_int_equal(take(s, T0), 4);
    assert_int_equal(none(s, T0), 0);
    deliver(s, 2, T0 + SEC(5));
    assert_int_equal(take(s, T0 + SEC(5)), 3);
}

static void dropping_an_account_returns_all_its_items(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    seqs_t got = {{0}, 0};
    nxs_sched_stats_t st;

    add(s, 1, "X", "x1", T0);
    add(s, 2, "X", "x1", T0);
    add(s, 3, "X", "x2", T0);
    add(s, 4, "Y", "y1", T0);
    add(s, 5, "X", "x1", T0);
    add(s, 6, "X", "x2", T0);
    assert_int_equal(take(s, T0), 1); /* in flight when the account goes */
    assert_int_equal(nxs_sched_account_drop(s, "X", collect, &got), 4);
    assert_int_equal(got.n, 4);
    /* Channel by channel, each in seq order. */
    assert_true((got.v[0] == 2 && got.v[1] == 5 && got.v[2] == 3 && got.v[3] == 6) ||
                (got.v[0] == 3 && got.v[1] == 6 && got.v[2] == 2 && got.v[3] == 5));
    nxs_sched_stats(&st, s);
    assert_int_equal(st.queued, 2); /* 1 in flight, 4 of Y */
    assert_int_equal(take(s, T0), 4);
    assert_int_equal(none(s, T0), 0);
    /* The in-flight one is not retried, whatever happened to it. */
    assert_int_equal(done(s, 1, NXS_SCHED_TRANSIENT, 0, T0), NXS_SCHED_FATE_DROPPED);
    add(s, 7, "X", "x1", T0);
    assert_int_equal(take(s, T0), 7);
    assert_int_equal(nxs_sched_account_drop(s, "X", collect, &got), 0);
    assert_int_equal(done(s, 7, NXS_SCHED_DELIVERED, 0, T0), NXS_SCHED_FATE_SENT);
    assert_int_equal(nxs_sched_account_drop(s, "nobody", collect, &got), 0);
}

static void dropping_a_held_account_ends_its_hold(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    seqs_t got = {{0}, 0};
    nxs_sched_stats_t st;

    add(s, 1, "X", "x1", T0);
    add(s, 2, "X", "x1", T0);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(done(s, 1, NXS_SCHED_ACCOUNT_ERROR, 0, T0), NXS_SCHED_FATE_HELD);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.held_accounts, 1);
    /* A disconnect drops the held messages; nothing waits for a reconnect. */
    assert_int_equal(nxs_sched_account_drop(s, "X", collect, &got), 2);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.held_accounts, 0);
    assert_int_equal(nxs_sched_account_held(NULL, s, "X"), 0);
}

static void buckets_start_empty_when_a_burst_may_have_been_spent(void **state)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s;

    /* A restarted daemon: the previous one may have used the buckets. */
    nxs_sched_config_default(&cfg);
    cfg.rate = 1.0;
    cfg.burst = 2;
    cfg.spent_at = T0;
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 1, "X", "x1", T0);
    add(s, 2, "X", "x1", T0);
    add(s, 3, "X", "x1", T0);
    assert_int_equal(none(s, T0), T0 + apr_time_from_sec(1));
    assert_int_equal(take(s, T0 + apr_time_from_sec(1)), 1);
    deliver(s, 1, T0 + apr_time_from_sec(1));
    assert_int_equal(none(s, T0 + apr_time_from_sec(1)), T0 + apr_time_from_sec(2));
    /* A channel first seen long after the start has its full burst: two
     * sends at the same instant. */
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 4, "Y", "y1", T0 + apr_time_from_sec(60));
    add(s, 5, "Y", "y1", T0 + apr_time_from_sec(60));
    assert_int_equal(take(s, T0 + apr_time_from_sec(60)), 4);
    deliver(s, 4, T0 + apr_time_from_sec(60));
    assert_int_equal(take(s, T0 + apr_time_from_sec(60)), 5);
}

static void expiry_sweeps_waiting_items_past_the_window(void **state)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s;
    seqs_t got = {{0}, 0};

    nxs_sched_config_default(&cfg);
    cfg.retry_window = SEC(60);
    s = make_cfg(nxs_test_pool(state), &cfg);
    add(s, 1, "X", "A", T0);
    add(s, 2, "X", "A", T0);
    add(s, 3, "X", "A", T0 + SEC(10));
    add(s, 4, "Y", "B", T0 + SEC(5));
    assert_int_equal(nxs_sched_account_hold(s, "Y"), APR_SUCCESS);
    assert_int_equal(take(s, T0), 1);
    /* The oldest waiting item is 2 (1 is in flight). */
    assert_int_equal(nxs_sched_next_expiry(s), T0 + SEC(60) + 1);
    assert_int_equal(nxs_sched_expire(s, T0 + SEC(60), collect, &got), 0);
    assert_int_equal(nxs_sched_expire(s, T0 + SEC(60) + 1, collect, &got), 1);
    assert_int_equal(got.v[0], 2);
    /* Held items expire too. */
    assert_int_equal(nxs_sched_expire(s, T0 + SEC(71), collect, &got), 2);
    assert_int_equal(got.v[1], 4);
    assert_int_equal(got.v[2], 3);
    assert_int_equal(nxs_sched_next_expiry(s), 0);
    /* The in-flight one meets its fate when reported. */
    assert_int_equal(done(s, 1, NXS_SCHED_TRANSIENT, 0, T0 + SEC(71)), NXS_SCHED_FATE_DEAD);
}

/* Adds ITEMS[0..N) in the order ORDER gives, drains everything and writes
 * each channel's seqs in the order handed out. */
static void replay_and_drain(apr_uint64_t *out, const char **chans, const int *order, int n,
                             apr_pool_t *p)
{
    nxs_sched_t *s = make(p, 1.0, 3);
    apr_time_t now = T0;
    int i, k = 0;

    for (i = 0; i < n; ++i) {
        apr_uint64_t seq = (apr_uint64_t)order[i] + 1;
        add(s, seq, "acct", chans[order[i]], T0 + MS(order[i]));
    }
    while (k < n) {
        nxs_sched_item_t it;
        apr_time_t wake;
        if (nxs_sched_next(&it, &wake, s, now)) {
            out[k++] = it.seq;
            deliver(s, it.seq, now);
        } else {
            now = wake;
        }
    }
}

static void replay_after_restart_rebuilds_the_same_order(void **state)
{
    enum { N = 200 };
    const char *names[] = {"C1", "C2", "C3", "C4", "C5", "C6", "C7"};
    const char *chans[N];
    int in_order[N], shuffled[N];
    apr_uint64_t a[N], b[N];
    apr_uint64_t rnd = 12345;
    int i;

    for (i = 0; i < N; ++i) {
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        chans[i] = names[(rnd >> 33) % 7];
        in_order[i] = shuffled[i] = i;
    }
    for (i = N - 1; i > 0; --i) {
        int j, t;
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        j = (int)((rnd >> 33) % (apr_uint64_t)(i + 1));
        t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
    }
    replay_and_drain(a, chans, in_order, N, nxs_test_pool(state));
    replay_and_drain(b, chans, shuffled, N, nxs_test_pool(state));
    /* Per channel: the same sequence both times, and it is seq order. */
    for (i = 0; i < 7; ++i) {
        apr_uint64_t last = 0;
        int ka = 0, kb = 0;
        for (;;) {
            while (ka < N && strcmp(chans[a[ka] - 1], names[i]) != 0) {
                ++ka;
            }
            while (kb < N && strcmp(chans[b[kb] - 1], names[i]) != 0) {
                ++kb;
            }
            if (ka == N || kb == N) {
                break;
            }
            assert_int_equal(a[ka], b[kb]);
            assert_true(a[ka] > last);
            last = a[ka++];
            ++kb;
        }
        assert_int_equal(ka, N);
        assert_int_equal(kb, N);
    }
}

static void add_refuses_bad_items_and_done_unknown_seqs(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    nxs_sched_item_t no_account = {1, NULL, "T1", "A", T0, 0};
    nxs_sched_item_t empty_channel = {1, "acct", "T1", "", T0, 0};
    nxs_sched_item_t dup = {1, "acct", "T1", "A", T0, 0};
    nxs_sched_config_t cfg;
    nxs_sched_fate_e fate;
    nxs_sched_t *bad = NULL;

    assert_int_equal(nxs_sched_add(s, &no_account), APR_EINVAL);
    assert_int_equal(nxs_sched_add(s, &empty_channel), APR_EINVAL);
    assert_int_equal(nxs_sched_account_hold(s, NULL), APR_EINVAL);
    assert_int_equal(nxs_sched_account_hold(s, ""), APR_EINVAL);
    nxs_sched_account_release(s, NULL);
    assert_int_equal(nxs_sched_account_held(NULL, s, NULL), 0);
    assert_int_equal(nxs_sched_add(s, &dup), APR_SUCCESS);
    assert_int_equal(nxs_sched_add(s, &dup), APR_EEXIST);
    assert_int_equal(nxs_sched_done(&fate, NULL, s, 1, NXS_SCHED_DELIVERED, 0, T0), APR_NOTFOUND);
    assert_int_equal(take(s, T0), 1);
    assert_int_equal(nxs_sched_done(&fate, NULL, s, 1, (nxs_sched_outcome_e)99, 0, T0), APR_EINVAL);
    assert_int_equal(nxs_sched_done(&fate, NULL, s, 1, NXS_SCHED_DELIVERED, 0, T0), APR_SUCCESS);
    assert_int_equal(nxs_sched_done(&fate, NULL, s, 1, NXS_SCHED_DELIVERED, 0, T0), APR_NOTFOUND);

    nxs_sched_config_default(&cfg);
    cfg.rate = 0;
    assert_int_equal(nxs_sched_create(&bad, &cfg, nxs_test_pool(state)), APR_EINVAL);
    nxs_sched_config_default(&cfg);
    cfg.burst = 0;
    assert_int_equal(nxs_sched_create(&bad, &cfg, nxs_test_pool(state)), APR_EINVAL);
    nxs_sched_config_default(&cfg);
    cfg.backoff_max = cfg.backoff_min - 1;
    assert_int_equal(nxs_sched_create(&bad, &cfg, nxs_test_pool(state)), APR_EINVAL);
    nxs_sched_config_default(&cfg);
    cfg.retry_window = 0;
    assert_int_equal(nxs_sched_create(&bad, &cfg, nxs_test_pool(state)), APR_EINVAL);
    assert_null(bad);
}

static void stats_count_items_channels_and_the_oldest(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    nxs_sched_stats_t st;

    nxs_sched_stats(&st, s);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.oldest_accepted_at, 0);
    add(s, 1, "X", "A", T0 + MS(1500) + 999); /* kept to the millisecond */
    add(s, 2, "X", "B", T0 + SEC(3));
    add(s, 3, "Y", "C", T0 + SEC(2));
    add(s, 4, "X", "A", T0 + SEC(4));
    nxs_sched_stats(&st, s);
    assert_int_equal(st.queued, 4);
    assert_int_equal(st.in_flight, 0);
    assert_int_equal(st.channels, 3);
    assert_int_equal(st.accounts, 2);
    assert_int_equal(st.held_accounts, 0);
    assert_int_equal(st.oldest_accepted_at, T0 + MS(1500));
    assert_true(st.bytes > 0);
    assert_int_equal(take(s, T0 + SEC(5)), 1);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.in_flight, 1);
    assert_int_equal(st.oldest_accepted_at, T0 + SEC(2));
    deliver(s, 1, T0 + SEC(5));
    nxs_sched_stats(&st, s);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.in_flight, 0);
}

static void idle_channels_are_forgotten_once_their_bucket_is_full(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 3);
    seqs_t got = {{0}, 0};
    nxs_sched_stats_t st;
    apr_uint64_t seq;

    for (seq = 1; seq <= 3; ++seq) {
        add(s, seq, "X", "A", T0);
        assert_int_equal(take(s, T0), seq);
        deliver(s, seq, T0);
    }
    /* A is empty, but forgetting it now would let a fourth message through
     * at T0. */
    assert_int_equal(nxs_sched_expire(s, T0, collect, &got), 0);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.channels, 1);
    add(s, 4, "X", "A", T0);
    assert_int_equal(none(s, T0), T0 + SEC(1));
    assert_int_equal(take(s, T0 + SEC(1)), 4);
    deliver(s, 4, T0 + SEC(1));
    /* Full again at T0 + 4 s (three tokens after the last was due). */
    nxs_sched_expire(s, T0 + SEC(4) - 1, collect, &got);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.channels, 1);
    assert_int_equal(nxs_sched_expire(s, T0 + SEC(4), collect, &got), 0);
    nxs_sched_stats(&st, s);
    assert_int_equal(st.channels, 0);
    assert_int_equal(st.accounts, 0);
    assert_int_equal(got.n, 0);
}

/* An outage shorter than the window loses nothing that was accepted during
 * it: defaults (1/s, burst 3, 1s..10m backoff, 24h window), 3 channels,
 * one item per channel every 10 minutes for the whole outage. */
static void outage_shorter_than_the_window_loses_nothing(void **state)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s;
    const apr_time_t end = T0 + SEC(24 * 3600 - 60);
    const char *chans[] = {"A", "B", "C"};
    apr_uint64_t last[3] = {0, 0, 0};
    seqs_t dead = {{0}, 0};
    apr_uint64_t seq = 0, delivered = 0;
    apr_time_t now = T0, next_add = T0;
    int tries = 0;

    nxs_sched_config_default(&cfg);
    s = make_cfg(nxs_test_pool(state), &cfg);
    for (;;) {
        nxs_sched_item_t it;
        apr_time_t wake, exp;
        while (next_add <= now && next_add < end) {
            int c;
            for (c = 0; c < 3; ++c) {
                add(s, ++seq, "acct", chans[c], next_add);
            }
            next_add += SEC(600);
        }
        nxs_sched_expire(s, now, collect, &dead);
        if (nxs_sched_next(&it, &wake, s, now)) {
            ++tries;
            if (now < end) {
                assert_int_equal(done(s, it.seq, NXS_SCHED_TRANSIENT, 0, now),
                                 NXS_SCHED_FATE_RETRY);
                continue;
            }
            assert_true(it.seq > last[it.channel[0] - 'A']);
            last[it.channel[0] - 'A'] = it.seq;
            deliver(s, it.seq, now);
            ++delivered;
            continue;
        }
        exp = nxs_sched_next_expiry(s);
        if (next_add < end && (wake == 0 || next_add < wake)) {
            wake = next_add;
        }
        if (exp && (wake == 0 || exp < wake)) {
            wake = exp;
        }
        if (wake == 0) {
            break;
        }
        now = wake;
    }
    assert_int_equal(dead.n, 0);
    assert_int_equal(delivered, seq);
    assert_int_equal(seq, 3 * 144);
    /* The heads were retried about every 5-10 minutes, not hammered. */
    assert_true(tries < 3 * 400 + (int)seq);
}

/* 100 000 items over 1 000 channels (50 accounts), all queued at once,
 * drained with a simulated clock: every item goes at the first instant its
 * channel's bucket allows, in order, and an independent token bucket never
 * goes below zero. */
static void drains_100k_items_exactly_at_the_rate_limit(void **state)
{
    enum { ITEMS = 100000, CHANS = 1000 };
    const apr_interval_time_t interval = SEC(1);
    const apr_time_t burst = 3;
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, (unsigned)burst);
    char(*names)[16] = malloc(sizeof(*names) * CHANS);
    char(*accts)[16] = malloc(sizeof(*accts) * CHANS);
    int *chan_of = malloc(sizeof(int) * ITEMS);
    int *count = calloc(CHANS, sizeof(int));
    int *sent = calloc(CHANS, sizeof(int));
    apr_uint64_t *last = calloc(CHANS, sizeof(apr_uint64_t));
    apr_time_t *credit = malloc(sizeof(apr_time_t) * CHANS);
    apr_time_t *seen = malloc(sizeof(apr_time_t) * CHANS);
    apr_time_t now = T0, end = T0;
    apr_uint64_t rnd = 99;
    int i, total = 0, most = 0;

    for (i = 0; i < CHANS; ++i) {
        snprintf(names[i], sizeof(names[i]), "C%04d", i);
        snprintf(accts[i], sizeof(accts[i]), "A%02d", i % 50);
        credit[i] = burst * interval;
        seen[i] = T0;
    }
    for (i = 0; i < ITEMS; ++i) {
        nxs_sched_item_t it = {0, NULL, "T1", NULL, T0, 0};
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        chan_of[i] = (int)((rnd >> 33) % CHANS);
        it.seq = (apr_uint64_t)i + 1;
        it.account = accts[chan_of[i]];
        it.channel = names[chan_of[i]];
        assert_int_equal(nxs_sched_add(s, &it), APR_SUCCESS);
        ++count[chan_of[i]];
    }
    while (total < ITEMS) {
        nxs_sched_item_t it;
        apr_time_t wake;
        int c;
        if (!nxs_sched_next(&it, &wake, s, now)) {
            assert_true(wake > now);
            now = wake;
            continue;
        }
        c = chan_of[it.seq - 1];
        assert_string_equal(it.channel, names[c]);
        assert_true(it.seq > last[c]);
        last[c] = it.seq;
        /* Independent bucket: credit refills 1 us per us up to the burst,
         * each message costs one interval. */
        credit[c] += now - seen[c];
        if (credit[c] > burst * interval) {
            credit[c] = burst * interval;
        }
        seen[c] = now;
        assert_true(credit[c] >= interval);
        credit[c] -= interval;
        /* And the first instant allowed: the burst at T0, then 1/s. */
        assert_int_equal(now, T0 + (sent[c] < burst ? 0 : (sent[c] - burst + 1) * interval));
        ++sent[c];
        deliver(s, it.seq, now);
        ++total;
        end = now;
    }
    for (i = 0; i < CHANS; ++i) {
        assert_int_equal(sent[i], count[i]);
        most = count[i] > most ? count[i] : most;
    }
    assert_int_equal(end, T0 + (most - burst) * interval);
    assert_int_equal(none(s, now), 0);
    free(names);
    free(accts);
    free(chan_of);
    free(count);
    free(sent);
    free(last);
    free(credit);
    free(seen);
}

/* Every channel fails during an outage and backs off; the first delivery
 * after it (a channel whose backoff ended first) wakes the others at once
 * instead of each waiting out its own backoff. */
static void the_first_success_after_an_outage_wakes_every_backoff(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_sched_t *s = make(p, 1.0, 2);
    static const char *const chans[] = {"C1", "C2", "C3", "C4"};
    apr_time_t now = T0, wake;
    apr_uint64_t seq;
    int i, round;

    for (i = 0; i < 4; ++i) {
        add(s, (apr_uint64_t)i + 1, "acc", chans[i], T0);
    }
    /* Eight rounds of failure: backoffs grow towards minutes. */
    for (round = 0; round < 8; ++round) {
        for (;;) {
            nxs_sched_item_t it;
            if (!nxs_sched_next(&it, &wake, s, now)) {
                break;
            }
            assert_int_equal(done(s, it.seq, NXS_SCHED_TRANSIENT, 0, now), NXS_SCHED_FATE_RETRY);
        }
        now = wake;
    }
    /* Slack is back: the earliest channel succeeds... */
    seq = take(s, now);
    deliver(s, seq, now);
    /* ...and the three others are ready right away, not at their backoff. */
    for (i = 0; i < 3; ++i) {
        deliver(s, take(s, now), now);
    }
    assert_int_equal(none(s, now), 0);
}

/* One channel failing among channels that succeed is not woken: its
 * backoff stands (no storm of retries against a broken channel).  CGOOD
 * delivers every second for a minute while CBAD fails whenever it is
 * handed out: with its backoff doubling from 1 s, CBAD is tried at most 7
 * times (about 60 if every success woke it). */
static void a_lone_failing_channel_keeps_its_backoff(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_sched_t *s = make(p, 1.0, 2);
    apr_time_t now = T0;
    apr_uint64_t seq = 100;
    int tries = 0;

    add(s, 1, "acc", "CBAD", T0);
    for (; now < T0 + SEC(60); now += MS(100)) {
        nxs_sched_item_t it;
        apr_time_t wake;
        if ((now - T0) % SEC(1) == 0) {
            add(s, ++seq, "acc", "CGOOD", now);
        }
        while (nxs_sched_next(&it, &wake, s, now)) {
            if (it.seq == 1) {
                ++tries;
                assert_int_equal(done(s, 1, NXS_SCHED_TRANSIENT, 0, now), NXS_SCHED_FATE_RETRY);
            } else {
                deliver(s, it.seq, now);
            }
        }
    }
    print_message("# CBAD tried %d times in 60 s among successes\n", tries);
    assert_true(tries >= 5 && tries <= 7);
}

/* A Retry-After pause is Slack's word: recovery never shortens it. */
static void recovery_leaves_retry_after_pauses_alone(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_sched_t *s = make(p, 1.0, 2);
    apr_time_t now = T0;

    add(s, 1, "acc", "C429", T0);
    add(s, 2, "acc", "CDOWN", T0);
    assert_int_equal(take(s, now), 1);
    assert_int_equal(take(s, now), 2);
    assert_int_equal(done(s, 1, NXS_SCHED_RATE_LIMITED, SEC(60), now), NXS_SCHED_FATE_RETRY);
    assert_int_equal(done(s, 2, NXS_SCHED_TRANSIENT, 0, now), NXS_SCHED_FATE_RETRY);
    now += SEC(10); /* past CDOWN's first backoff (0.5..1 s) and the outage gap */
    assert_int_equal(take(s, now), 2);
    deliver(s, 2, now);
    assert_int_equal(none(s, now), T0 + SEC(60));
}

/* ---- the log: why a channel does not move --------------------------------- */

static nxs_sched_fate_e done_why(nxs_sched_t *s, apr_uint64_t seq, nxs_sched_outcome_e outcome,
                                 const char *why, apr_interval_time_t retry_after, apr_time_t now)
{
    nxs_sched_fate_e fate;

    assert_int_equal(nxs_sched_done_why(&fate, NULL, s, seq, outcome, why, retry_after, now),
                     APR_SUCCESS);
    return fate;
}

/* T0 is 2023-11-14T22:13:20Z. */
static void the_log_says_why_a_channel_waits_and_until_when(void **state)
{
    nxs_sched_t *s = make(nxs_test_pool(state), 1.0, 2);
    const lc_line_t *l;

    lc_start(NXS_LOG_TRACE2);
    add(s, 1, "acc1", "C1", T0);
    add(s, 2, "acc1", "C1", T0);
    assert_non_null(lc_find("NXS00020", "channel C1 (account acc1, team T1): message 2 queued, "
                                        "2 waiting"));
    assert_int_equal(take(s, T0), 1);
    assert_non_null(lc_find("NXS00023", "channel C1 (account acc1, team T1): handing out "
                                        "message 1 (try 1), 1 waiting behind it"));

    /* A transient error: backoff with its end and the error. */
    assert_int_equal(done_why(s, 1, NXS_SCHED_TRANSIENT, "http_503", 0, T0), NXS_SCHED_FATE_RETRY);
    l = lc_find("NXS00028", "channel C1 (account acc1, team T1): backing off until "
                            "2023-11-14T22:13:2");
    assert_non_null(l);
    assert_int_equal(l->level, NXS_LOG_DEBUG);
    assert_non_null(strstr(l->msg, "after http_503 (try 1 of message 1), 2 waiting"));
    none(s, T0);
    assert_non_null(lc_find("NXS00021", "the first ready is channel C1 (account acc1, team T1): "
                                        "backing off until 2023-11-14T22:13:2"));

    /* A 429: paused by Retry-After, to the millisecond. */
    assert_int_equal(take(s, T0 + SEC(2)), 1);
    assert_int_equal(done_why(s, 1, NXS_SCHED_RATE_LIMITED, "ratelimited", SEC(30), T0 + SEC(2)),
                     NXS_SCHED_FATE_RETRY);
    assert_non_null(lc_find("NXS00027", "channel C1 (account acc1, team T1): paused by "
                                        "Retry-After until 2023-11-14T22:13:52.000Z, in "
                                        "30.000 s after ratelimited on message 1, 2 waiting"));

    /* Delivered: the bucket refilled during the pause, the next may go. */
    assert_int_equal(take(s, T0 + SEC(32)), 1);
    deliver(s, 1, T0 + SEC(32));
    assert_non_null(lc_find("NXS00025", "message 1 delivered (try 2), 1 waiting"));
    assert_null(lc_find("NXS00026", NULL));

    /* An account error holds the account. */
    assert_int_equal(take(s, T0 + SEC(33)), 2);
    assert_int_equal(done_why(s, 2, NXS_SCHED_ACCOUNT_ERROR, "token_revoked", 0, T0 + SEC(33)),
                     NXS_SCHED_FATE_HELD);
    assert_non_null(lc_find("NXS00029", "account acc1 held (reconnect needed) after "
                                        "token_revoked on channel C1 (team T1): its 1 messages"));
    none(s, T0 + SEC(33));
    assert_non_null(lc_find("NXS00022", "1 waiting, 0 in flight, 1 accounts held"));
    nxs_sched_account_release(s, "acc1");
    assert_non_null(lc_find("NXS00034", "account acc1 released: its 1 messages resume"));

    /* A channel error drops the message. */
    assert_int_equal(take(s, T0 + SEC(34)), 2);
    assert_int_equal(done_why(s, 2, NXS_SCHED_CHANNEL_ERROR, "is_archived", 0, T0 + SEC(34)),
                     NXS_SCHED_FATE_DROPPED);
    assert_non_null(lc_find("NXS00031", "channel C1 (account acc1, team T1): message 2 dropped "
                                        "after is_archived"));

    /* Past its burst, a channel waits for its bucket. */
    add(s, 3, "acc2", "C2", T0 + SEC(40));
    add(s, 4, "acc2", "C2", T0 + SEC(40));
    add(s, 5, "acc2", "C2", T0 + SEC(40));
    assert_int_equal(take(s, T0 + SEC(40)), 3);
    deliver(s, 3, T0 + SEC(40));
    assert_int_equal(take(s, T0 + SEC(40)), 4);
    deliver(s, 4, T0 + SEC(40));
    assert_non_null(lc_find("NXS00026", "channel C2 (account acc2, team T1): 1 waiting, "
                                        "rate-limited until 2023-11-14T22:14:01.000Z, in 1.000 s"));
    assert_int_equal(take(s, T0 + SEC(41)), 5);
    deliver(s, 5, T0 + SEC(41));
    lc_stop();
}

static void the_log_names_dead_letters_and_their_reason(void **state)
{
    nxs_sched_config_t cfg;
    nxs_sched_t *s;
    seqs_t got = {{0}, 0};

    nxs_sched_config_default(&cfg);
    cfg.retry_window = SEC(60);
    s = make_cfg(nxs_test_pool(state), &cfg);
    lc_start(NXS_LOG_DEBUG);
    add(s, 1, "acc1", "C1", T0);
    add(s, 2, "acc1", "C1", T0);
    assert_int_equal(take(s, T0), 1);
    /* Waiting behind the in-flight head past the window. */
    assert_int_equal(nxs_sched_expire(s, T0 + SEC(61), collect, &got), 1);
    assert_non_null(lc_find("NXS00036", "channel C1 (account acc1, team T1): message 2 "
                                        "dead-lettered: its retry window ended at "
                                        "2023-11-14T22:14:20.000Z while it waited; channel: "
                                        "waiting for message 1 in flight"));
    assert_int_equal(done_why(s, 1, NXS_SCHED_TRANSIENT, "timeout", 0, T0 + SEC(61)),
                     NXS_SCHED_FATE_DEAD);
    assert_non_null(lc_find("NXS00030", "message 1 dead-lettered after timeout (try 1): its "
                                        "retry window ended at 2023-11-14T22:14:20.000Z"));
    /* Trace lines stay off at debug, and nothing is formatted for them. */
    assert_int_equal(lc_count("NXS00020") + lc_count("NXS00023"), 0);
    lc_stop();
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(keeps_fifo_per_channel_with_interleaved_channels),
    NXS_TEST(hands_out_one_item_per_channel_at_a_time),
    NXS_TEST(bucket_allows_a_burst_of_three_then_one_per_second),
    NXS_TEST(bucket_takes_fractional_rates),
    NXS_TEST(hot_channel_does_not_delay_a_cold_one),
    NXS_TEST(transient_backoff_doubles_with_equal_jitter_up_to_max),
    NXS_TEST(restored_attempts_continue_the_backoff),
    NXS_TEST(retry_window_gives_a_last_try_at_the_deadline_then_dead),
    NXS_TEST(rate_limited_pauses_exactly_for_retry_after),
    NXS_TEST(channel_error_drops_only_that_item),
    NXS_TEST(account_error_holds_that_account_only),
    NXS_TEST(hold_applies_to_items_queued_later),
    NXS_TEST(account_cap_keeps_workers_for_other_accounts),
    NXS_TEST(dropping_an_account_returns_all_its_items),
    NXS_TEST(dropping_a_held_account_ends_its_hold),
    NXS_TEST(buckets_start_empty_when_a_burst_may_have_been_spent),
    NXS_TEST(expiry_sweeps_waiting_items_past_the_window),
    NXS_TEST(replay_after_restart_rebuilds_the_same_order),
    NXS_TEST(add_refuses_bad_items_and_done_unknown_seqs),
    NXS_TEST(stats_count_items_channels_and_the_oldest),
    NXS_TEST(idle_channels_are_forgotten_once_their_bucket_is_full),
    NXS_TEST(outage_shorter_than_the_window_loses_nothing),
    NXS_TEST(drains_100k_items_exactly_at_the_rate_limit),
    NXS_TEST(the_first_success_after_an_outage_wakes_every_backoff),
    NXS_TEST(a_lone_failing_channel_keeps_its_backoff),
    NXS_TEST(recovery_leaves_retry_after_pauses_alone),
    NXS_TEST(the_log_says_why_a_channel_waits_and_until_when),
    NXS_TEST(the_log_names_dead_letters_and_their_reason),
};

NXS_RUN_TESTS(tests)
