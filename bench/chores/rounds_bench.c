/* Scheduled work at scale, on the core alone (docs/SCHEDULED.md; BENCHMARKS.md "Scheduled
 * work"): what the daemon's chores thread does when ACCOUNTS accounts have their recap at the
 * same 09:00, and what PENDING pending alerts cost a round and the status.
 *
 *   rounds_bench DIR ACCOUNTS PENDING
 *
 * DIR gets a fresh SQLite database (the module's schema, as the daemon would have it) and a
 * fresh durable queue (core/queue, GDBM snapshot): the recap round hands every message to the
 * real queue, one append (and fdatasync) at a time, as the chores thread does through
 * nxs_daemon_enqueue.  Delivery to Slack is not part of this program.  Seeding runs with
 * PRAGMA synchronous=OFF (the bench's own set-up); the measured rounds run with SQLite's
 * defaults, as in the module.  Prints "key value" lines. */
#include <apr_dbd.h>
#include <apr_strings.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "event/nxs_envelope.h"
#include "nxs_chores.h"
#include "nxs_chores_run.h"
#include "nxs_json.h"
#include "queue/nxs_queue.h"
#include "store/nxs_schema.h"

/* Day D: 2026-12-08 in Paris; its recap is due 2026-12-09 09:00 Paris = 08:00Z. */
#define D_NOON   1796727600LL /* 2026-12-08T11:00:00Z */
#define RECAP_AT 1796803200LL /* 2026-12-09T08:00:00Z */
#define SEC(s)   apr_time_from_sec(s)

typedef struct queue_baton_t {
    nxs_queue_t *q;
    apr_size_t queued;
} queue_baton_t;

/* What nxs_daemon_enqueue does, without the dispatcher. */
static apr_status_t enqueue(void *baton, const json_t *idem, const json_t *deliveries)
{
    queue_baton_t *b = baton;
    apr_size_t n = json_array_size(deliveries), i;
    nxs_queue_record_t recs[4];
    nxs_queue_idem_t key = {nxs_json_path_str(idem, "account"), nxs_json_path_str(idem, "event_id"),
                            apr_time_now() + SEC(600)};
    apr_uint64_t first = 0;
    int dup = 0;

    if (n > 4) {
        return APR_EINVAL;
    }
    memset(recs, 0, sizeof(recs));
    for (i = 0; i < n; ++i) {
        const json_t *e = json_array_get(deliveries, i);
        recs[i].accepted_at = apr_time_now();
        recs[i].account = nxs_json_path_str(e, "account");
        recs[i].team = nxs_json_path_str(e, "team");
        recs[i].channel = nxs_json_path_str(e, "channel");
        recs[i].event_id = nxs_json_path_str(e, "event_id");
        recs[i].category = nxs_json_path_str(e, "category");
        recs[i].delivery_id = nxs_json_path_str(e, "delivery_id");
        recs[i].record = nxs_json_path_str(e, "record");
        recs[i].payload = nxs_json_path_str(e, "payload");
        recs[i].payload_len = strlen(recs[i].payload);
    }
    b->queued += n;
    return nxs_queue_append(&first, &dup, b->q, recs, n, &key);
}

static void die(const char *what)
{
    fprintf(stderr, "rounds_bench: %s\n", what);
    exit(1);
}

static void exec_sql(nxs_db_t *db, const char *sql)
{
    int n = 0;
    if (apr_dbd_query(db->driver, db->handle, &n, sql) != 0) {
        die(apr_dbd_error(db->driver, db->handle, 0));
    }
}

static void accept_event(nxs_db_t *db, const nxs_account_t *a, const char *json, apr_int64_t now,
                         apr_pool_t *p)
{
    nxs_envelope_t env;
    nxs_reminder_outcome_e r;
    nxs_recap_count_e c;
    const char *field = NULL, *why = NULL;
    json_t *root = NULL;

    if (nxs_json_load(&root, &why, json, strlen(json), p) ||
        nxs_envelope_parse(&env, &field, &why, root, p) ||
        nxs_chores_event_accepted(&r, &c, db, &env, a, SEC(now), p)) {
        die(apr_pstrcat(p, "event refused: ", json, NULL));
    }
}

static double secs_since(apr_time_t t0)
{
    return (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
}

static long rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    apr_pool_t *p = NULL, *it = NULL;
    nxs_db_t db;
    nxs_queue_t *q = NULL;
    nxs_queue_opts_t qo;
    nxs_queue_report_t qr;
    queue_baton_t qb;
    nxs_chores_env_t env;
    nxs_chores_report_t rep;
    nxs_chores_status_t st;
    const char *dir, *err = NULL;
    int accounts, pending, version = 0, i, rounds = 0;
    apr_time_t t0;
    double seed_s;

    if (argc != 4) {
        die("usage: rounds_bench DIR ACCOUNTS PENDING");
    }
    dir = argv[1];
    accounts = atoi(argv[2]);
    pending = atoi(argv[3]);
    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_pool_create(&it, p);
    apr_dbd_init(p);
    memset(&db, 0, sizeof(db));
    if (apr_dbd_get_driver(p, "sqlite3", &db.driver) ||
        apr_dbd_open(db.driver, p, apr_pstrcat(p, dir, "/chores.sqlite", NULL), &db.handle) ||
        nxs_schema_migrate(&version, &err, &db, p) || nxs_db_prepare_all(&db, p)) {
        die(err ? err : "cannot open the database");
    }
    nxs_queue_opts_default(&qo);
    memset(&qr, 0, sizeof(qr));
    if (nxs_queue_open(&q, &qr, "GDBM", apr_pstrcat(p, dir, "/queue", NULL), &qo, p)) {
        die("cannot open the queue");
    }

    /* Seeding: ACCOUNTS connected accounts in Paris, recap mapped, one paid invoice on D
     * each; PENDING alerts spread over the 30 days after D+1, across those accounts. */
    t0 = apr_time_now();
    exec_sql(&db, "PRAGMA synchronous=OFF");
    for (i = 0; i < accounts; ++i) {
        const char *id = apr_psprintf(it, "acc_%06d", i);
        nxs_account_t a = {id, "agency", "Europe/Paris", "en", "EUR", 0};
        nxs_workspace_t w = {id, "T1",           "Team", "U1", "chat:write", "sealed", NULL,
                             0,  D_NOON - 86400, 1,      0};
        if (nxs_store_account_ensure(&db, id, D_NOON - 86400, it) ||
            nxs_store_account_update(&db, &a, D_NOON - 86400, it) ||
            nxs_store_workspace_install(&db, &w, it) ||
            nxs_store_category_set_channel(&db, id, "recap", apr_psprintf(it, "C%06d", i),
                                           "nexte-daily", it)) {
            die("seeding an account failed");
        }
        accept_event(
            &db, &a,
            apr_psprintf(it,
                         "{\"id\":\"evt_p%d\",\"type\":\"invoice.paid\",\"account_id\":\"%s\","
                         "\"occurred_at\":\"2026-12-08T10:%02d:00Z\","
                         "\"amount\":{\"value\":\"%d.50\",\"currency\":\"EUR\"},"
                         "\"record\":{\"kind\":\"invoice\",\"id\":\"inv_%d\"}}",
                         i, id, i % 60, 100 + i % 900, i),
            D_NOON, it);
        apr_pool_clear(it);
    }
    for (i = 0; i < pending; ++i) {
        const char *id = apr_psprintf(it, "acc_%06d", accounts ? i % accounts : 0);
        nxs_account_t a = {id, "agency", "Europe/Paris", "en", "EUR", 0};
        apr_int64_t start = RECAP_AT + 86400 + (apr_int64_t)(i % (30 * 96)) * 900;
        apr_time_exp_t x;
        char buf[32];
        apr_size_t len = 0;

        apr_time_exp_gmt(&x, SEC(start));
        apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &x);
        accept_event(&db, &a,
                     apr_psprintf(it,
                                  "{\"id\":\"evt_b%d\",\"type\":\"appointment.booked\","
                                  "\"account_id\":\"%s\",\"occurred_at\":\"2026-12-08T09:00:00Z\","
                                  "\"record\":{\"kind\":\"appointment\",\"id\":\"apt_%d\"},"
                                  "\"data\":{\"title\":\"Call %d\",\"starts_at\":\"%s\","
                                  "\"attendee\":{\"name\":\"Ada\"}}}",
                                  i, id, i, i, buf),
                     D_NOON, it);
        apr_pool_clear(it);
    }
    exec_sql(&db, "PRAGMA synchronous=FULL");
    seed_s = secs_since(t0);
    printf("seed_seconds %.1f\n", seed_s);
    printf("max_rss_after_seed_kib %ld\n", rss_kib());
    printf("accounts %d\npending_alerts %d\n", accounts, pending);

    memset(&qb, 0, sizeof(qb));
    qb.q = q;
    memset(&env, 0, sizeof(env));
    env.node = "bench:1:1";
    env.app_url = "https://app.nexte.io";
    env.lease = NXS_CHORE_LEASE;
    env.grace = apr_time_from_sec(7 * 86400);
    env.batch = 100;
    env.alerts_every = 100; /* as the daemon */
    env.enqueue = enqueue;
    env.baton = &qb;

    /* An idle round the evening before (nothing due): what every look costs with PENDING
     * alerts waiting and ACCOUNTS accounts, then the status's read. */
    t0 = apr_time_now();
    if (nxs_chores_run(&rep, &db, &env, SEC(RECAP_AT - 3600), it)) {
        die("idle round failed");
    }
    printf("idle_round_ms %.1f\n", secs_since(t0) * 1000);
    apr_pool_clear(it);
    t0 = apr_time_now();
    if (nxs_store_chores_status(&st, &db, RECAP_AT - 8 * 3600, it)) {
        die("status failed");
    }
    printf("status_read_ms %.1f\n", secs_since(t0) * 1000);
    printf("max_rss_after_idle_kib %ld\n", rss_kib());
    printf("status_pending %d\n", st.reminders_pending);
    apr_pool_clear(it);

    /* 09:00 Paris: rounds until every recap is queued. */
    t0 = apr_time_now();
    do {
        if (nxs_chores_run(&rep, &db, &env, SEC(RECAP_AT) + (apr_time_now() - t0), it)) {
            die("recap round failed");
        }
        ++rounds;
        apr_pool_clear(it);
    } while (qb.queued < (apr_size_t)accounts && rounds < 100);
    printf("recap_rounds %d\n", rounds);
    printf("recaps_queued %zu\n", (size_t)qb.queued);
    printf("recap_all_queued_seconds %.2f\n", secs_since(t0));
    printf("recap_per_account_ms %.2f\n", secs_since(t0) * 1000 / (accounts ? accounts : 1));

    /* The next idle round, after the recaps. */
    t0 = apr_time_now();
    nxs_chores_run(&rep, &db, &env, SEC(RECAP_AT + 120), it);
    printf("idle_round_after_ms %.1f\n", secs_since(t0) * 1000);
    printf("max_rss_kib %ld\n", rss_kib());
    nxs_queue_close(q);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
