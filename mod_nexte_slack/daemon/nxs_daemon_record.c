/* The recorder: writes the rows of posted messages ("Mark as handled"
 * needs them, see nxs_store_delivery_put) in batches, one transaction per
 * batch.  Workers only append to a list and go back to delivering, so a
 * post never waits for SQL, and at 1 000 messages/s SQLite commits (and
 * syncs) about 20 times a second rather than 1 000.
 *
 * Thread safety: rec_lock guards the pending list and its pool; the
 * recorder thread alone writes, with a list it took whole from under the
 * lock. */
#include "daemon/nxs_daemon_int.h"

#include <apr_strings.h>
#include <http_log.h>
#include <string.h>

#include "nxs_dbd.h"

APLOG_USE_MODULE(nexte_slack);

/* A batch goes when this many rows wait, or this long after the first. */
#define BATCH_ROWS 256
#define BATCH_WAIT apr_time_from_msec(50)
/* With the store down, rows beyond this many are dropped (and counted in
 * the log): the buttons of those messages will not work, nothing else. */
#define PENDING_MAX 100000

struct nxs_daemon_recorder_t {
    apr_allocator_t *allocator; /* the daemon's shared one (see create_state) */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *wake;
    apr_pool_t *pool;         /* owns the pending rows; replaced at each take */
    apr_array_header_t *rows; /* nxs_delivery_t */
    apr_size_t dropped;
    int stopping;
    apr_thread_t *thread;
};

static void fresh_list(nxs_daemon_recorder_t *rec)
{
    apr_pool_create_unmanaged_ex(&rec->pool, NULL, rec->allocator);
    rec->rows = apr_array_make(rec->pool, BATCH_ROWS, sizeof(nxs_delivery_t));
}

void nxs_daemon_record_posted(nxs_daemon_t *d, const nxs_delivery_t *row)
{
    nxs_daemon_recorder_t *rec = d->recorder;
    nxs_delivery_t *copy;

    apr_thread_mutex_lock(rec->lock);
    if ((apr_size_t)rec->rows->nelts >= PENDING_MAX) {
        ++rec->dropped;
    } else {
        copy = apr_array_push(rec->rows);
        *copy = *row;
        copy->delivery_id = apr_pstrdup(rec->pool, row->delivery_id);
        copy->account_id = apr_pstrdup(rec->pool, row->account_id);
        copy->team_id = apr_pstrdup(rec->pool, row->team_id);
        copy->channel_id = apr_pstrdup(rec->pool, row->channel_id);
        copy->message_ts = apr_pstrdup(rec->pool, row->message_ts);
        copy->event_id = apr_pstrdup(rec->pool, row->event_id);
        copy->record_json = apr_pstrdup(rec->pool, row->record_json ? row->record_json : "");
        copy->message_json = apr_pstrdup(rec->pool, row->message_json);
        if (rec->rows->nelts == 1 || rec->rows->nelts >= BATCH_ROWS) {
            apr_thread_cond_signal(rec->wake);
        }
    }
    apr_thread_mutex_unlock(rec->lock);
}

/* One transaction for ROWS; on failure, row by row so that one bad row
 * does not lose the others. */
static void write_batch(nxs_daemon_t *d, apr_array_header_t *rows, apr_pool_t *p)
{
    void *conn = NULL;
    nxs_db_t *db = nxs_dbd_open(&conn, d->s, p);
    int i, failed = 0;

    if (!db) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                     "%d posted messages not recorded (store unavailable): their \"Mark as "
                     "handled\" buttons will not work",
                     rows->nelts);
        return;
    }
    if (nxs_db_begin(db, p) == APR_SUCCESS) {
        for (i = 0; i < rows->nelts && !failed; ++i) {
            failed = nxs_store_delivery_put(db, &APR_ARRAY_IDX(rows, i, nxs_delivery_t), p) !=
                     APR_SUCCESS;
        }
        if (!failed && nxs_db_commit(db, p) == APR_SUCCESS) {
            nxs_dbd_close(conn, d->s);
            return;
        }
        nxs_db_rollback(db, p);
    }
    for (i = 0, failed = 0; i < rows->nelts; ++i) {
        failed +=
            nxs_store_delivery_put(db, &APR_ARRAY_IDX(rows, i, nxs_delivery_t), p) != APR_SUCCESS;
    }
    if (failed) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                     "%d of %d posted messages not recorded: their \"Mark as handled\" buttons "
                     "will not work",
                     failed, rows->nelts);
    }
    nxs_dbd_close(conn, d->s);
}

static void *APR_THREAD_FUNC recorder_main(apr_thread_t *t, void *dv)
{
    nxs_daemon_t *d = dv;
    nxs_daemon_recorder_t *rec = d->recorder;

    apr_thread_mutex_lock(rec->lock);
    for (;;) {
        apr_pool_t *batch_pool;
        apr_array_header_t *rows;
        apr_size_t dropped;

        while (rec->rows->nelts == 0 && !rec->stopping) {
            apr_thread_cond_wait(rec->wake, rec->lock);
        }
        if (rec->rows->nelts == 0) {
            break; /* stopping, nothing left */
        }
        if (rec->rows->nelts < BATCH_ROWS && !rec->stopping) {
            /* Let a batch gather: rows come a few ms apart under load. */
            apr_thread_cond_timedwait(rec->wake, rec->lock, BATCH_WAIT);
        }
        batch_pool = rec->pool;
        rows = rec->rows;
        dropped = rec->dropped;
        rec->dropped = 0;
        fresh_list(rec);
        apr_thread_mutex_unlock(rec->lock);

        if (dropped) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, d->s,
                         "%" APR_SIZE_T_FMT " posted messages not recorded (too many waiting "
                         "for the store): their \"Mark as handled\" buttons will not work",
                         dropped);
        }
        write_batch(d, rows, batch_pool);
        apr_pool_destroy(batch_pool);
        apr_thread_mutex_lock(rec->lock);
    }
    apr_thread_mutex_unlock(rec->lock);
    return NULL;
}

apr_status_t nxs_daemon_recorder_start(nxs_daemon_t *d)
{
    nxs_daemon_recorder_t *rec = apr_pcalloc(d->pool, sizeof(*rec));
    apr_status_t rv;

    if ((rv = apr_thread_mutex_create(&rec->lock, APR_THREAD_MUTEX_DEFAULT, d->pool)) ||
        (rv = apr_thread_cond_create(&rec->wake, d->pool))) {
        return rv;
    }
    rec->allocator = d->allocator;
    fresh_list(rec);
    d->recorder = rec;
    return apr_thread_create(&rec->thread, NULL, recorder_main, d, d->pool);
}

void nxs_daemon_recorder_stop(nxs_daemon_t *d)
{
    nxs_daemon_recorder_t *rec = d->recorder;
    apr_status_t trv;

    if (!rec) {
        return;
    }
    apr_thread_mutex_lock(rec->lock);
    rec->stopping = 1;
    apr_thread_cond_signal(rec->wake);
    apr_thread_mutex_unlock(rec->lock);
    apr_thread_join(&trv, rec->thread); /* writes what is left first */
    apr_pool_destroy(rec->pool);
    d->recorder = NULL;
}
