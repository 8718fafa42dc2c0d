/* Specification of nxs_chores_batch, the per-process group commit of the
 * scheduled work of accepted events: threads that record at the same time
 * each get nxs_chores_event_accepted's own outcome, every event counts
 * once, a duplicate stays a duplicate, and without a batcher an event is
 * applied alone.  SQLite by default, PostgreSQL with NXS_TEST_PGSQL. */
#include "nxs_test.h"

#include <apr_thread_proc.h>

#include "nxs_chores_batch.h"
#include "nxs_json.h"
#include "nxs_test_db.h"
#include "store/nxs_store_chores.h"

#define THREADS           8
#define EVENTS_PER_THREAD 40

/* 2026-12-07T10:00:00Z: 11:00 in Paris. */
#define NOW apr_time_from_sec(1796637600LL)

static const nxs_account_t paris = {"acc_1", "agency", "Europe/Paris", "fr", "EUR", 0};

/* An invoice.paid of 10.01 EUR on 2026-12-06 (Paris), or NULL if it does not parse. */
static nxs_envelope_t *paid(const char *id, apr_pool_t *p)
{
    nxs_envelope_t *env = apr_pcalloc(p, sizeof(*env));
    json_t *root = nxs_json_own(json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "id", id, "type",
                                          "invoice.paid", "account_id", "acc_1", "occurred_at",
                                          "2026-12-06T15:00:00Z", "amount", "value", "10.01",
                                          "currency", "EUR"),
                                p);
    const char *field = NULL, *why = NULL;

    return nxs_envelope_parse(env, &field, &why, root, p) == APR_SUCCESS ? env : NULL;
}

typedef struct {
    nxs_chores_batch_t *batch;
    const char *path;
    int index;
    apr_pool_t *pool;
    int counted, duplicates, failed; /* this thread's outcomes */
} worker_t;

static void *APR_THREAD_FUNC record_events(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    nxs_db_t *db = nxs_test_db_connect(w->path, w->pool);

    for (int round = 0; round < 2; ++round) { /* the second round repeats every id */
        for (int i = 0; db && i < EVENTS_PER_THREAD; ++i) {
            nxs_envelope_t *env = paid(apr_psprintf(w->pool, "evt_%d_%d", w->index, i), w->pool);
            nxs_reminder_outcome_e reminder = NXS_REMINDER_UNCHANGED;
            nxs_recap_count_e recap = NXS_RECAP_NOT_COUNTED;

            if (!env || nxs_chores_batch_record(w->batch, &reminder, &recap, db, env, &paris, NOW,
                                                w->pool) != APR_SUCCESS) {
                w->failed++;
            } else if (recap == NXS_RECAP_COUNTED && round == 0) {
                w->counted++;
            } else if (recap == NXS_RECAP_DUPLICATE && round == 1) {
                w->duplicates++;
            } else {
                w->failed++;
            }
        }
    }
    if (!db) {
        w->failed = -1;
    } else {
        apr_dbd_close(db->driver, db->handle);
    }
    /* Returning ends the thread: apr_thread_exit()'s pthread_exit would leave
     * this frame poisoned for AddressSanitizer's thread teardown. */
    return NULL;
}

static void threads_recording_at_once_each_count_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_chores_batch_t *batch = NULL;
    apr_thread_t *threads[THREADS];
    worker_t workers[THREADS];
    nxs_recap_t *r = NULL;
    apr_status_t trv = APR_SUCCESS;
    int events = 0;

    assert_int_equal(nxs_chores_batch_create(&batch, p), APR_SUCCESS);
    for (int i = 0; i < THREADS; ++i) {
        workers[i] = (worker_t){batch, path, i, NULL, 0, 0, 0};
        assert_int_equal(apr_pool_create(&workers[i].pool, p), APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; ++i) {
        assert_int_equal(apr_thread_create(&threads[i], NULL, record_events, &workers[i], p),
                         APR_SUCCESS);
    }
    for (int i = 0; i < THREADS; ++i) {
        apr_thread_join(&trv, threads[i]);
        assert_int_equal(workers[i].failed, 0);
        assert_int_equal(workers[i].counted, EVENTS_PER_THREAD);
        assert_int_equal(workers[i].duplicates, EVENTS_PER_THREAD);
    }
    assert_int_equal(nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p),
                     APR_SUCCESS);
    assert_int_equal(events, THREADS * EVENTS_PER_THREAD);
    assert_int_equal(r->payments, THREADS * EVENTS_PER_THREAD);
    assert_int_equal(r->money_count, 1);
    assert_string_equal(r->money[0].paid, "3203.20"); /* 320 x 10.01, exact */
    close_db(db, path, p);
}

static void without_a_batcher_an_event_is_applied_alone(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_envelope_t *env = paid("evt_alone", p);
    nxs_reminder_outcome_e reminder = NXS_REMINDER_APPLIED;
    nxs_recap_count_e recap = NXS_RECAP_NOT_COUNTED;

    assert_non_null(env);
    assert_int_equal(nxs_chores_batch_record(NULL, &reminder, &recap, db, env, &paris, NOW, p),
                     APR_SUCCESS);
    assert_int_equal(reminder, NXS_REMINDER_UNCHANGED); /* an invoice sets no alert */
    assert_int_equal(recap, NXS_RECAP_COUNTED);
    assert_int_equal(nxs_chores_batch_record(NULL, &reminder, &recap, db, env, &paris, NOW, p),
                     APR_SUCCESS);
    assert_int_equal(recap, NXS_RECAP_DUPLICATE);
    close_db(db, path, p);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(threads_recording_at_once_each_count_once),
    NXS_TEST(without_a_batcher_an_event_is_applied_alone),
};

NXS_RUN_TESTS(tests)
