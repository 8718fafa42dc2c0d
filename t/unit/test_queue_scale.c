/* Memory stays flat: 100 000 waiting records cost the queue an index of about
 * 24 bytes each (payloads stay on disk), the index shrinks as records finish,
 * and everything comes back after a checkpoint and a reopen.  Thousands of
 * idempotency keys stay exact as they move into the snapshot. */
#include "test_queue_helpers.h"

#define COUNT 100000
#define BATCH 1000
#define LEN   200

typedef struct count_t {
    apr_size_t n;
    apr_uint64_t last;
    apr_pool_t *p;
} count_t;

static apr_status_t count_fn(void *baton, const nxs_queue_record_t *rec)
{
    count_t *c = baton;

    assert_true(rec->seq > c->last);
    c->last = rec->seq;
    if (c->n % 997 == 0) {
        qt_check(rec, LEN, c->p);
    }
    ++c->n;
    return APR_SUCCESS;
}

static void the_index_of_100000_records_stays_small(void **state)
{
    apr_pool_t *p = nxs_test_pool(state), *bp = NULL;
    const char *path = qt_path(p);
    nxs_queue_t *q = qt_open(NULL, NULL, path, NULL, p);
    nxs_queue_record_t *recs = apr_palloc(p, BATCH * sizeof(*recs));
    nxs_queue_stats_t st;
    nxs_queue_report_t rep;
    apr_uint64_t first = 0, firsts[COUNT / BATCH];
    apr_size_t full;
    count_t c;
    int dup, b, i;

    apr_pool_create(&bp, p);
    for (b = 0; b < COUNT / BATCH; ++b) {
        for (i = 0; i < BATCH; ++i) {
            recs[i] = qt_rec(bp, (unsigned long)(b * BATCH + i), LEN);
        }
        assert_int_equal(nxs_queue_append(&first, &dup, q, recs, BATCH, NULL), APR_SUCCESS);
        firsts[b] = first;
        apr_pool_clear(bp);
    }
    nxs_queue_stats(&st, q);
    assert_int_equal(st.live, COUNT);
    full = st.index_bytes;
    print_message("# index: %lu bytes for %d records = %.1f bytes/record (log %.1f MiB)\n",
                  (unsigned long)full, COUNT, (double)full / COUNT,
                  (double)st.log_bytes / (1024.0 * 1024.0));
    assert_true(full < 28 * COUNT);

    /* Finishing every other record halves it; finishing all frees it. */
    for (b = 0; b < COUNT / BATCH; ++b) {
        for (i = 0; i < BATCH; i += 2) {
            assert_int_equal(nxs_queue_done(q, firsts[b] + (apr_uint64_t)i), APR_SUCCESS);
        }
    }
    nxs_queue_stats(&st, q);
    assert_int_equal(st.live, COUNT / 2);
    print_message("# index with half finished: %.1f bytes/live record\n",
                  (double)st.index_bytes / (COUNT / 2));
    assert_true(st.index_bytes < full * 6 / 10);

    assert_int_equal(nxs_queue_checkpoint(q), APR_SUCCESS);
    nxs_queue_stats(&st, q);
    print_message("# checkpoint of %d records: %.2f s\n", COUNT / 2,
                  (double)st.last_checkpoint_took / APR_USEC_PER_SEC);
    assert_int_equal(nxs_queue_close(q), APR_SUCCESS);
    q = qt_open(&rep, NULL, path, NULL, p);
    assert_int_equal(rep.live, COUNT / 2);
    assert_int_equal(rep.snapshot_records, COUNT / 2);
    memset(&c, 0, sizeof(c));
    c.p = p;
    assert_int_equal(nxs_queue_replay(q, count_fn, &c, p), APR_SUCCESS);
    assert_int_equal(c.n, COUNT / 2);

    for (b = 0; b < COUNT / BATCH; ++b) {
        for (i = 1; i < BATCH; i += 2) {
            assert_int_equal(nxs_queue_done(q, firsts[b] + (apr_uint64_t)i), APR_SUCCESS);
        }
    }
    nxs_queue_stats(&st, q);
    assert_int_equal(st.live, 0);
    print_message("# index with none left: %lu bytes\n", (unsigned long)st.index_bytes);
    /* What stays is the snapshot's block directory (16 B per 64 KB block of
     * the last checkpoint) until the next checkpoint replaces it. */
    assert_true(st.index_bytes < 8192);
}

static apr_time_t fake_now;

static apr_time_t fake_clock(void *baton)
{
    return fake_now;
}

static int key_append(nxs_queue_t *q, apr_pool_t *p, int i, apr_time_t expires)
{
    nxs_queue_idem_t k = {"acc_7", apr_psprintf(p, "evt_%d", i), expires};
    apr_uint64_t seq;
    int dup = -1;

    assert_int_equal(nxs_queue_append(&seq, &dup, q, NULL, 0, &k), APR_SUCCESS);
    return dup;
}

/* Keys move from memory into the snapshot's buckets and are merged into
 * more buckets as they grow; every one stays exact. */
static void thousands_of_keys_stay_exact_across_checkpoints(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = qt_path(p);
    nxs_queue_opts_t o;
    nxs_queue_stats_t st;
    nxs_queue_t *q;
    int i;

    nxs_queue_opts_default(&o);
    o.clock = fake_clock;
    fake_now = QT_T0;
    q = qt_open(NULL, NULL, path, &o, p);
    for (i = 0; i < 1200; ++i) {
        /* Odd ones expire early. */
        assert_int_equal(key_append(q, p, i, QT_T0 + (i % 2 ? 100 : 10000)), 0);
    }
    assert_int_equal(nxs_queue_checkpoint(q), APR_SUCCESS);
    nxs_queue_stats(&st, q);
    assert_int_equal(st.snapshot_keys, 1200);
    assert_int_equal(st.recent_keys, 0);
    for (i = 1200; i < 2400; ++i) {
        assert_int_equal(key_append(q, p, i, QT_T0 + 10000), 0);
    }
    for (i = 0; i < 2400; i += 7) {
        assert_int_equal(key_append(q, p, i, QT_T0 + 10000), 1);
    }
    fake_now = QT_T0 + 100;
    assert_int_equal(nxs_queue_checkpoint(q), APR_SUCCESS);
    nxs_queue_stats(&st, q);
    assert_int_equal(st.snapshot_keys, 1800);
    assert_int_equal(nxs_queue_close(q), APR_SUCCESS);

    q = qt_open(NULL, NULL, path, &o, p);
    for (i = 0; i < 2400; ++i) {
        assert_int_equal(key_append(q, p, i, QT_T0 + 10000), i < 1200 && i % 2 ? 0 : 1);
    }
}

/* GDBM maps the whole snapshot and keeps what it touched in RSS until the
 * handle is closed, so handles are reopened every dbm_remap bytes: here
 * every 4 KB, for the reader, the checkpoint's reader and its writer. */
static void snapshot_handles_reopened_every_4_kb_lose_nothing(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = qt_path(p);
    nxs_queue_opts_t o;
    nxs_queue_record_t r;
    nxs_queue_t *q;
    apr_uint64_t s[3000];
    qt_live_t *before, *after;
    int i;

    nxs_queue_opts_default(&o);
    o.dbm_remap = 4096;
    q = qt_open(NULL, NULL, path, &o, p);
    for (i = 0; i < 3000; ++i) {
        s[i] = qt_append(q, p, (unsigned long)i, 300);
        if (i % 2 == 0) {
            assert_int_equal(key_append(q, p, i, apr_time_now() + apr_time_from_sec(600)), 0);
        }
    }
    for (i = 0; i < 3000; i += 3) {
        assert_int_equal(nxs_queue_done(q, s[i]), APR_SUCCESS);
    }
    assert_int_equal(nxs_queue_checkpoint(q), APR_SUCCESS);
    assert_int_equal(nxs_queue_checkpoint(q), APR_SUCCESS);
    for (i = 0; i < 3000; ++i) {
        assert_int_equal(nxs_queue_load(&r, q, s[i], p), i % 3 ? APR_SUCCESS : APR_NOTFOUND);
    }
    before = qt_live(q, 300, p);
    assert_int_equal(before->n, 2000);
    assert_int_equal(nxs_queue_close(q), APR_SUCCESS);

    q = qt_open(NULL, NULL, path, &o, p);
    after = qt_live(q, 300, p);
    assert_int_equal(after->n, 2000);
    for (i = 0; i < 2000; ++i) {
        assert_int_equal(after->seq[i], before->seq[i]);
    }
    for (i = 0; i < 3000; i += 2) {
        assert_int_equal(key_append(q, p, i, apr_time_now() + apr_time_from_sec(600)), 1);
    }
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_index_of_100000_records_stays_small),
    NXS_TEST(thousands_of_keys_stay_exact_across_checkpoints),
    NXS_TEST(snapshot_handles_reopened_every_4_kb_lose_nothing),
};

NXS_RUN_TESTS(tests)
