/* Scheduled work's cost on the ingest path: how many accepted events per
 * second nxs_chores_event_accepted (one commit per event) and
 * nxs_chores_events_accepted (one commit per batch) apply on a SQLite file,
 * for a type counted in the recap (invoice.paid) and one that also moves a
 * pre-meeting alert (appointment.booked).  Prints Markdown table rows.
 *   chores_bench DIR EVENTS BATCH...   e.g. chores_bench build/out/bench 4000 1 64 */
#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nxs_chores.h"
#include "nxs_json.h"
#include "store/nxs_schema.h"

static const nxs_account_t account = {"acc_1", "solo", "Europe/Paris", "en", "EUR", 0};

/* A fresh, migrated SQLite database at PATH. */
static int open_fresh(nxs_db_t *db, const char *path, apr_pool_t *p)
{
    const char *err = NULL;
    int version = 0;

    unlink(path);
    unlink(apr_pstrcat(p, path, "-wal", NULL));
    unlink(apr_pstrcat(p, path, "-shm", NULL));
    memset(db, 0, sizeof(*db));
    if (apr_dbd_get_driver(p, "sqlite3", &db->driver) != APR_SUCCESS ||
        apr_dbd_open(db->driver, p, path, &db->handle) != APR_SUCCESS ||
        nxs_schema_migrate(&version, &err, db, p) != APR_SUCCESS ||
        nxs_db_prepare_all(db, p) != APR_SUCCESS) {
        fprintf(stderr, "cannot open %s: %s\n", path, err ? err : "apr_dbd");
        return 0;
    }
    return 1;
}

static nxs_envelope_t *envelope(const char *type, int i, apr_pool_t *p)
{
    const char *js = apr_psprintf(
        p,
        "{\"id\":\"e%d\",\"type\":\"%s\",\"account_id\":\"acc_1\","
        "\"occurred_at\":\"2026-12-06T15:00:00Z\",\"amount\":{\"value\":\"10.00\","
        "\"currency\":\"EUR\"},\"record\":{\"kind\":\"appointment\",\"id\":\"apt_%d\"},"
        "\"data\":{\"starts_at\":\"2026-12-08T10:00:00Z\"}}",
        i, type, i);
    nxs_envelope_t *env = apr_pcalloc(p, sizeof(*env));
    const char *why = NULL, *field = NULL;
    json_t *root = NULL;

    if (nxs_json_load(&root, &why, js, strlen(js), p) != APR_SUCCESS ||
        nxs_envelope_parse(env, &field, &why, root, p) != APR_SUCCESS) {
        fprintf(stderr, "bad envelope: %s\n", why);
        exit(1);
    }
    return env;
}

/* Events per second for N events of TYPE applied BATCH at a time. */
static double run(const char *dir, const char *type, int n, int batch, apr_pool_t *p)
{
    nxs_chores_accepted_t *acc = apr_pcalloc(p, sizeof(*acc) * (apr_size_t)batch);
    apr_pool_t *q = NULL;
    apr_time_t t0;
    nxs_db_t db;
    int i, k = 0;

    if (!open_fresh(&db, apr_pstrcat(p, dir, "/chores_bench.sqlite", NULL), p)) {
        exit(1);
    }
    apr_pool_create(&q, p);
    t0 = apr_time_now();
    for (i = 0; i < n; ++i) {
        acc[k].env = envelope(type, i, q);
        acc[k].account = &account;
        if (++k < batch && i < n - 1) {
            continue;
        }
        if ((batch == 1
                 ? nxs_chores_event_accepted(&acc[0].reminder, &acc[0].recap, &db, acc[0].env,
                                             &account, apr_time_now(), q)
                 : nxs_chores_events_accepted(acc, k, &db, apr_time_now(), q)) != APR_SUCCESS) {
            fprintf(stderr, "applying events failed\n");
            exit(1);
        }
        k = 0;
        apr_pool_clear(q);
    }
    apr_dbd_close(db.driver, db.handle);
    return n / ((double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
}

int main(int argc, char **argv)
{
    static const char *const types[] = {"invoice.paid", "appointment.booked", NULL};
    apr_pool_t *p = NULL;
    int n, i, t;

    if (argc < 4) {
        fprintf(stderr, "usage: %s DIR EVENTS BATCH...\n", argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    n = atoi(argv[2]);
    for (i = 3; i < argc; ++i) {
        for (t = 0; types[t]; ++t) {
            printf("| %s | %s per commit | %d | %.0f events/s |\n", types[t], argv[i], n,
                   run(argv[1], types[t], n, atoi(argv[i]), p));
        }
    }
    apr_terminate();
    return 0;
}
