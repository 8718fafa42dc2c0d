/* Scheduled work in SQL (nxs_store_chores, through the rules of
 * nxs_chores): pre-meeting alerts created, moved, cancelled and claimed
 * once; recap counters per local day, idempotent on the event id, exact
 * per currency; recap and chore claims won once, also by racing
 * processes; status and purge.  SQLite by default, PostgreSQL with
 * NXS_TEST_PGSQL (build/with-postgres), like test_store. */
#include "nxs_test.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nxs_chores.h"
#include "nxs_json.h"
#include "nxs_test_db.h"
#include "store/nxs_store_chores.h"

/* 2026-12-07T10:00:00Z, a Monday: 11:00 in Paris. */
#define T0 1796637600LL

static const nxs_account_t paris = {"acc_1", "agency", "Europe/Paris", "fr", "EUR", 0};

/* A parsed envelope; START and AMOUNT may be NULL. */
static nxs_envelope_t *event(apr_pool_t *p, const char *id, const char *type, const char *occurred,
                             const char *start, const char *amount, const char *currency)
{
    nxs_envelope_t *env = apr_pcalloc(p, sizeof(*env));
    json_t *root =
        nxs_json_own(json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:{s:s}}}",
                               "id", id, "type", type, "account_id", "acc_1", "occurred_at",
                               occurred, "record", "kind", "appointment", "id", "apt_1", "number",
                               "APT-1", "url", "https://app.nexte.io/appointments/apt_1", "data",
                               "title", "Kick-off", "attendee", "name", "Ada"),
                     p);
    const char *field = NULL, *why = NULL;

    if (start) {
        json_object_set_new(json_object_get(root, "data"), "starts_at", json_string(start));
    }
    if (amount) {
        json_object_set_new(
            root, "amount",
            json_pack("{s:s, s:s}", "value", amount, "currency", currency ? currency : "EUR"));
    }
    if (nxs_envelope_parse(env, &field, &why, root, p) != APR_SUCCESS) {
        fail_msg("bad test envelope: %s %s", field, why);
    }
    return env;
}

/* The alert outcome of accepting ENV at NOW (unix seconds). */
static nxs_reminder_outcome_e accept_event(nxs_db_t *db, const nxs_envelope_t *env, apr_int64_t now,
                                           apr_pool_t *p)
{
    nxs_reminder_outcome_e r = -1;
    nxs_recap_count_e c = -1;

    assert_int_equal(nxs_chores_event_accepted(&r, &c, db, env, &paris, apr_time_from_sec(now), p),
                     APR_SUCCESS);
    return r;
}

/* The recap outcome of accepting ENV at NOW for ACCOUNT. */
static nxs_recap_count_e count(nxs_db_t *db, const nxs_envelope_t *env,
                               const nxs_account_t *account, apr_int64_t now, apr_pool_t *p)
{
    nxs_reminder_outcome_e r = -1;
    nxs_recap_count_e c = -1;

    assert_int_equal(nxs_chores_event_accepted(&r, &c, db, env, account, apr_time_from_sec(now), p),
                     APR_SUCCESS);
    return c;
}

static nxs_reminder_t *alert(nxs_db_t *db, apr_pool_t *p)
{
    nxs_reminder_t *m = NULL;

    assert_int_equal(nxs_store_reminder_get(&m, db, "acc_1", "apt_1", p), APR_SUCCESS);
    assert_non_null(m);
    return m;
}

/* Claims what is due at NOW; returns how many were won. */
static int claim_due(nxs_reminder_t **first, int *skipped, nxs_db_t *db, const char *node,
                     apr_int64_t now, apr_pool_t *p)
{
    apr_array_header_t *won = NULL;
    int sk = 0;

    assert_int_equal(nxs_store_reminders_claim_due(&won, &sk, db, node, now, 300, 10, p),
                     APR_SUCCESS);
    if (first) {
        *first = won->nelts ? APR_ARRAY_IDX(won, 0, nxs_reminder_t *) : NULL;
    }
    if (skipped) {
        *skipped = sk;
    }
    return won->nelts;
}

/* A database of version 2 is brought to the current version with its
 * data (3: scheduled work; 4: held events; 5: expiry indexes; 6: Nexte
 * core's change time on the accounts). */
static void a_version_2_database_is_upgraded_in_place(void **state)
{
    static const char *const added[] = {"nxs_reminders",
                                        "nxs_reminder_events",
                                        "nxs_recap_events",
                                        "nxs_recaps",
                                        "nxs_chore_runs",
                                        "nxs_held",
                                        NULL};
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *err = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;
    int i, n = 0, version = 0, won = 0;

    assert_int_equal(nxs_store_account_ensure(db, "acc_1", T0, p), APR_SUCCESS);
    /* A fresh connection, as after a restart with the new module: SQLite
     * cannot drop a table that statements prepared on it still use. */
    apr_dbd_close(db->driver, db->handle);
    db->prepared = NULL;
    assert_int_equal(
        apr_dbd_open(db->driver, p, path ? path : getenv("NXS_TEST_PGSQL"), &db->handle),
        APR_SUCCESS);
    for (i = 0; added[i]; ++i) {
        assert_int_equal(apr_dbd_query(db->driver, db->handle, &n,
                                       apr_pstrcat(p, "DROP TABLE ", added[i], NULL)),
                         0);
    }
    nxs_test_db_unmigrate_5(db); /* ...and migration 5's changes to tables of version 1 */
    nxs_test_db_unmigrate_6(db);
    assert_int_equal(apr_dbd_query(db->driver, db->handle, &n, "UPDATE nxs_schema SET version = 2"),
                     0);
    assert_int_equal(nxs_schema_migrate(&version, &err, db, p), APR_SUCCESS);
    assert_int_equal(version, nxs_schema_target_version());
    assert_int_equal(nxs_db_prepare_all(db, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_non_null(a);
    assert_int_equal(nxs_store_recap_claim(&won, db, "acc_1", "2026-12-06", "node_a", T0, 300, p),
                     APR_SUCCESS);
    assert_int_equal(won, 1);
    close_db(db, path, p);
}

static void booking_schedules_an_alert_15_minutes_before_once_per_event_id(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_envelope_t *booked = event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                                   "2026-12-07T14:00:00Z", NULL, NULL);
    nxs_reminder_t *m;
    apr_int64_t next = 0;

    assert_int_equal(accept_event(db, booked, T0, p), NXS_REMINDER_APPLIED);
    m = alert(db, p);
    assert_string_equal(m->state, NXS_REMINDER_PENDING);
    assert_int_equal(m->starts_at, T0 + 4 * 3600);
    assert_int_equal(m->due_at, T0 + 4 * 3600 - 900);
    assert_string_equal(m->event_id, "evt_b1");
    assert_non_null(strstr(m->envelope_json, "Kick-off"));
    /* The same event again (a retry): nothing changes, nothing counts twice. */
    assert_int_equal(accept_event(db, booked, T0 + 5, p), NXS_REMINDER_DUPLICATE);
    assert_int_equal(alert(db, p)->rev, m->rev);
    assert_int_equal(nxs_store_reminder_next_due(&next, db, p), APR_SUCCESS);
    assert_int_equal(next, T0 + 4 * 3600 - 900);
    /* Not due a second early. */
    assert_int_equal(claim_due(NULL, NULL, db, "node_a", T0 + 4 * 3600 - 901, p), 0);
    close_db(db, path, p);
}

static void due_alert_is_claimed_by_one_node_and_finished_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *won = NULL;
    apr_int64_t due = T0 + 4 * 3600 - 900, next = -1;
    int done = -1;

    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    assert_int_equal(claim_due(&won, NULL, db, "node_a", due, p), 1);
    assert_string_equal(won->state, NXS_REMINDER_SENDING);
    assert_string_equal(won->claimed_by, "node_a");
    /* Another node (or a restarted daemon) a moment later: nothing to take. */
    assert_int_equal(claim_due(NULL, NULL, db, "node_b", due + 1, p), 0);
    assert_int_equal(nxs_store_reminder_finish(&done, db, won, NXS_REMINDER_SENT, NULL, due + 1, p),
                     APR_SUCCESS);
    assert_int_equal(done, 1);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_SENT);
    /* Finishing the same claim twice does nothing. */
    assert_int_equal(nxs_store_reminder_finish(&done, db, won, NXS_REMINDER_SENT, NULL, due + 2, p),
                     APR_SUCCESS);
    assert_int_equal(done, 0);
    assert_int_equal(claim_due(NULL, NULL, db, "node_b", due + 600, p), 0);
    assert_int_equal(nxs_store_reminder_next_due(&next, db, p), APR_SUCCESS);
    assert_int_equal(next, 0);
    close_db(db, path, p);
}

static void late_booking_is_due_at_once_and_no_alert_goes_after_the_start(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *won = NULL;
    int skipped = -1;

    /* Booked at 10:00 for 10:10: due at 09:55, so due at once. */
    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T10:10:00Z", NULL, NULL),
                 T0, p);
    assert_int_equal(claim_due(&won, &skipped, db, "node_a", T0, p), 1);
    assert_int_equal(skipped, 0);
    nxs_store_reminder_finish(&skipped, db, won, NXS_REMINDER_SENT, NULL, T0, p);
    /* A server down from 09:50 to 10:10 finds the alert of a meeting that
     * has started: skipped, never sent. */
    assert_int_equal(nxs_store_reminder_apply(&(nxs_reminder_outcome_e){0}, db,
                                              &(nxs_reminder_change_t){NXS_CHANGE_BOOKED, "acc_1",
                                                                       "apt_2", "evt_b2", T0 - 7200,
                                                                       T0 + 600, T0 - 300, "{}"},
                                              T0 - 7200, p),
                     APR_SUCCESS);
    assert_int_equal(claim_due(NULL, &skipped, db, "node_a", T0 + 600, p), 0);
    assert_int_equal(skipped, 1);
    assert_int_equal(nxs_store_reminder_get(&won, db, "acc_1", "apt_2", p), APR_SUCCESS);
    assert_string_equal(won->state, NXS_REMINDER_SKIPPED);
    assert_string_equal(won->done_reason, "started");
    close_db(db, path, p);
}

static void reschedule_moves_a_pending_alert_and_rearms_a_sent_one(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *won = NULL, *m;
    int done = -1;

    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    assert_int_equal(accept_event(db,
                                  event(p, "evt_r1", "appointment.rescheduled",
                                        "2026-12-07T10:05:00Z", "2026-12-07T16:00:00Z", NULL, NULL),
                                  T0 + 300, p),
                     NXS_REMINDER_APPLIED);
    m = alert(db, p);
    assert_string_equal(m->state, NXS_REMINDER_PENDING);
    assert_int_equal(m->due_at, T0 + 6 * 3600 - 900);
    /* The booking's envelope stays (title, attendee). */
    assert_non_null(strstr(m->envelope_json, "Kick-off"));
    assert_int_equal(claim_due(NULL, NULL, db, "node_a", T0 + 4 * 3600 - 900, p), 0);
    assert_int_equal(claim_due(&won, NULL, db, "node_a", T0 + 6 * 3600 - 900, p), 1);
    nxs_store_reminder_finish(&done, db, won, NXS_REMINDER_SENT, NULL, T0 + 6 * 3600 - 899, p);
    assert_int_equal(done, 1);
    /* Moved to where it already is, or booked again at the same start:
     * the alert that went is not sent again. */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_r2", "appointment.rescheduled",
                                        "2026-12-07T15:50:00Z", "2026-12-07T16:00:00Z", NULL, NULL),
                                  T0 + 6 * 3600 - 600, p),
                     NXS_REMINDER_UNCHANGED);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_SENT);
    /* Moved after its alert went: a new alert for the new time. */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_r3", "appointment.rescheduled",
                                        "2026-12-07T15:55:00Z", "2026-12-08T09:00:00Z", NULL, NULL),
                                  T0 + 6 * 3600 - 300, p),
                     NXS_REMINDER_APPLIED);
    m = alert(db, p);
    assert_string_equal(m->state, NXS_REMINDER_PENDING);
    assert_int_equal(m->starts_at, T0 + 23 * 3600);
    assert_null(m->done_at ? "done" : NULL);
    close_db(db, path, p);
}

static void a_claim_overtaken_by_a_reschedule_cannot_mark_it_sent(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *won = NULL;
    int done = -1;

    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    assert_int_equal(claim_due(&won, NULL, db, "node_a", T0 + 4 * 3600 - 900, p), 1);
    accept_event(db,
                 event(p, "evt_r1", "appointment.rescheduled", "2026-12-07T13:46:00Z",
                       "2026-12-07T17:00:00Z", NULL, NULL),
                 T0 + 4 * 3600 - 840, p);
    assert_int_equal(
        nxs_store_reminder_finish(&done, db, won, NXS_REMINDER_SENT, NULL, T0 + 4 * 3600 - 830, p),
        APR_SUCCESS);
    assert_int_equal(done, 0);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_PENDING);
    close_db(db, path, p);
}

static void cancel_stops_the_alert_and_older_events_cannot_bring_it_back(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);

    /* The cancellation arrives first (events can arrive out of order)... */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_c1", "appointment.cancelled",
                                        "2026-12-07T10:30:00Z", "2026-12-07T14:00:00Z", NULL, NULL),
                                  T0 + 1800, p),
                     NXS_REMINDER_APPLIED);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_CANCELLED);
    /* ...then the older booking: it stays cancelled. */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                                        "2026-12-07T14:00:00Z", NULL, NULL),
                                  T0 + 1900, p),
                     NXS_REMINDER_STALE);
    /* A reschedule of a cancelled appointment does not revive it. */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_r1", "appointment.rescheduled",
                                        "2026-12-07T11:00:00Z", "2026-12-07T15:00:00Z", NULL, NULL),
                                  T0 + 3600, p),
                     NXS_REMINDER_UNCHANGED);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_CANCELLED);
    assert_int_equal(claim_due(NULL, NULL, db, "node_a", T0 + 4 * 3600, p), 0);
    /* A new booking of the same appointment, later: a new alert. */
    assert_int_equal(accept_event(db,
                                  event(p, "evt_b2", "appointment.booked", "2026-12-07T12:00:00Z",
                                        "2026-12-07T18:00:00Z", NULL, NULL),
                                  T0 + 7200, p),
                     NXS_REMINDER_APPLIED);
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_PENDING);
    assert_int_equal(alert(db, p)->due_at, T0 + 8 * 3600 - 900);
    close_db(db, path, p);
}

static void an_abandoned_claim_is_taken_over_after_the_lease(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *a = NULL, *b = NULL;
    apr_int64_t due = T0 + 4 * 3600 - 900;
    int done = -1;

    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    assert_int_equal(claim_due(&a, NULL, db, "node_a", due, p), 1);
    /* node_a dies (kill -9) before queueing the alert. */
    assert_int_equal(claim_due(NULL, NULL, db, "node_b", due + 300, p), 0);
    assert_int_equal(claim_due(&b, NULL, db, "node_b", due + 301, p), 1);
    assert_string_equal(b->claimed_by, "node_b");
    nxs_store_reminder_finish(&done, db, a, NXS_REMINDER_SENT, NULL, due + 302, p);
    assert_int_equal(done, 0);
    nxs_store_reminder_finish(&done, db, b, NXS_REMINDER_SENT, NULL, due + 302, p);
    assert_int_equal(done, 1);
    close_db(db, path, p);
}

/* Several processes (daemons, nodes) claim the same due alerts at once:
 * every alert is won exactly once. */
static void racing_processes_claim_each_due_alert_exactly_once(void **state)
{
    enum { PROCS = 6, ALERTS = 30 };
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    int i, go[2], out[2], status, total = 0, n;
    pid_t pids[PROCS];

    for (i = 0; i < ALERTS; ++i) {
        nxs_reminder_change_t c = {NXS_CHANGE_BOOKED,
                                   "acc_1",
                                   apr_psprintf(p, "apt_%d", i),
                                   apr_psprintf(p, "evt_%d", i),
                                   T0,
                                   T0 + 3600,
                                   T0 + 2700,
                                   "{}"};
        nxs_reminder_outcome_e o;
        assert_int_equal(nxs_store_reminder_apply(&o, db, &c, T0, p), APR_SUCCESS);
    }
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(out), 0);
    for (i = 0; i < PROCS; ++i) {
        if ((pids[i] = fork()) == 0) {
            apr_pool_t *cp = NULL;
            nxs_db_t *cdb;
            apr_array_header_t *won = NULL;
            int sk = 0, mine = 0, tries;
            char c;

            close(go[1]);
            apr_pool_create(&cp, NULL);
            cdb = nxs_test_db_connect(path, cp);
            (void)!read(go[0], &c, 1);
            for (tries = 0; cdb && tries < 20; ++tries) {
                /* A busy SQLite file may stop a run: what it won counts. */
                nxs_store_reminders_claim_due(&won, &sk, cdb, apr_psprintf(cp, "node_%d", i),
                                              T0 + 2700, 300, 4, cp);
                mine += won->nelts;
            }
            (void)!write(out[1], &mine, sizeof(mine));
            _exit(cdb ? 0 : 1);
        }
        assert_true(pids[i] > 0);
    }
    close(go[0]);
    close(go[1]);
    close(out[1]);
    for (i = 0; i < PROCS; ++i) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    while (read(out[0], &n, sizeof(n)) == (ssize_t)sizeof(n)) {
        total += n;
    }
    close(out[0]);
    assert_int_equal(total, ALERTS);
    close_db(db, path, p);
}

static void recap_counts_each_event_once_for_its_local_day_with_exact_money(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    const char *at = "2026-12-06T15:00:00Z";
    nxs_recap_t *r = NULL;
    int events = -1;

    assert_int_equal(
        count(db, event(p, "e1", "invoice.paid", at, NULL, "1250.00", "EUR"), &paris, T0, p),
        NXS_RECAP_COUNTED);
    assert_int_equal(
        count(db, event(p, "e2", "invoice.paid", at, NULL, "0.10", "EUR"), &paris, T0, p),
        NXS_RECAP_COUNTED);
    count(db, event(p, "e3", "subscription.renewed", at, NULL, "290.00", "EUR"), &paris, T0, p);
    count(db, event(p, "e4", "refund.issued", at, NULL, "-120.00", "EUR"), &paris, T0, p);
    count(db, event(p, "e5", "invoice.paid", at, NULL, "1200.00", "GBP"), &paris, T0, p);
    count(db, event(p, "e6", "payment.failed", at, NULL, NULL, NULL), &paris, T0, p);
    count(db, event(p, "e7", "lead.received", at, NULL, NULL, NULL), &paris, T0, p);
    count(db, event(p, "e8", "quote.sent", at, NULL, "500.00", "EUR"), &paris, T0, p);
    count(db, event(p, "e9", "quote.accepted", at, NULL, NULL, NULL), &paris, T0, p);
    count(db, event(p, "e10", "appointment.booked", at, "2026-12-08T10:00:00Z", NULL, NULL), &paris,
          T0, p);
    assert_int_equal(
        count(db, event(p, "e11", "quote.opened", at, NULL, NULL, NULL), &paris, T0, p),
        NXS_RECAP_NOT_COUNTED);
    /* A retried event never counts twice. */
    assert_int_equal(
        count(db, event(p, "e1", "invoice.paid", at, NULL, "1250.00", "EUR"), &paris, T0 + 60, p),
        NXS_RECAP_DUPLICATE);
    assert_int_equal(nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p),
                     APR_SUCCESS);
    assert_int_equal(events, 10);
    assert_string_equal(r->day, "2026-12-06");
    assert_int_equal(r->payments, 4); /* 3 invoices paid + 1 renewal */
    assert_int_equal(r->failed_payments, 1);
    assert_int_equal(r->new_leads, 1);
    assert_int_equal(r->quotes_sent, 1);
    assert_int_equal(r->quotes_accepted, 1);
    assert_int_equal(r->appointments_booked, 1);
    assert_int_equal(r->money_count, 2);
    assert_string_equal(r->money[0].currency, "EUR");
    assert_string_equal(r->money[0].paid, "1250.10");
    assert_string_equal(r->money[0].renewals, "290.00");
    assert_string_equal(r->money[0].refunds, "120.00");
    assert_string_equal(r->money[1].currency, "GBP");
    assert_string_equal(r->money[1].paid, "1200.00");
    assert_null(r->money[1].refunds);
    /* The other days saw nothing. */
    assert_int_equal(nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-07", p),
                     APR_SUCCESS);
    assert_int_equal(events, 0);
    assert_int_equal(r->money_count, 0);
    close_db(db, path, p);
}

static void a_batch_of_events_applies_in_one_transaction_once_per_id(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    const char *at = "2026-12-06T15:00:00Z";
    nxs_chores_accepted_t batch[3] = {
        {event(p, "e1", "invoice.paid", at, NULL, "10.00", "EUR"), &paris, NULL, -1, -1},
        {event(p, "b1", "appointment.booked", at, "2026-12-08T10:00:00Z", NULL, NULL), &paris, NULL,
         -1, -1},
        {event(p, "e1", "invoice.paid", at, NULL, "10.00", "EUR"), &paris, NULL, -1, -1},
    };
    nxs_recap_t *r = NULL;
    int events = 0;

    assert_int_equal(nxs_chores_events_accepted(batch, 3, db, apr_time_from_sec(T0), p),
                     APR_SUCCESS);
    assert_int_equal(batch[0].recap, NXS_RECAP_COUNTED);
    assert_int_equal(batch[0].reminder, NXS_REMINDER_UNCHANGED);
    assert_int_equal(batch[1].reminder, NXS_REMINDER_APPLIED);
    assert_int_equal(batch[1].recap, NXS_RECAP_COUNTED);
    assert_int_equal(batch[2].recap, NXS_RECAP_DUPLICATE); /* the same id twice in one batch */
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p);
    assert_int_equal(r->payments, 1);
    assert_int_equal(r->appointments_booked, 1);
    assert_string_equal(r->money[0].paid, "10.00");
    assert_string_equal(alert(db, p)->state, NXS_REMINDER_PENDING);
    /* The whole batch again (a retry): nothing moves. */
    assert_int_equal(nxs_chores_events_accepted(batch, 3, db, apr_time_from_sec(T0 + 5), p),
                     APR_SUCCESS);
    assert_int_equal(batch[0].recap, NXS_RECAP_DUPLICATE);
    assert_int_equal(batch[1].reminder, NXS_REMINDER_DUPLICATE);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p);
    assert_int_equal(events, 2);
    close_db(db, path, p);
}

static void the_counters_are_what_the_recap_renderer_takes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *why = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_render_settings_t s = {"en", "EUR", "Europe/Paris", NXS_MENTION_NONE, NULL, NULL};
    nxs_recap_t *r = NULL;
    json_t *msg = NULL;
    int events = 0;

    count(db, event(p, "e1", "invoice.paid", "2026-12-06T15:00:00Z", NULL, "3400.00", "EUR"),
          &paris, T0, p);
    count(db, event(p, "e2", "refund.issued", "2026-12-06T16:00:00Z", NULL, "120.00", "EUR"),
          &paris, T0, p);
    assert_int_equal(nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_render_recap(&msg, &why, r, &s, p), APR_SUCCESS);
    assert_non_null(strstr(json_string_value(json_object_get(msg, "text")), "€3,280.00"));
    assert_non_null(strstr(json_string_value(json_object_get(msg, "text")), "December 6, 2026"));
    close_db(db, path, p);
}

static void events_count_for_the_local_day_of_their_occurrence_on_dst_days(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_recap_t *r = NULL;
    int events = 0;

    /* 2026-03-29 in Paris (23 h) runs from 03-28T23:00Z to 03-29T22:00Z. */
    count(db, event(p, "s1", "lead.received", "2026-03-28T22:59:59Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "s2", "lead.received", "2026-03-28T23:00:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "s3", "lead.received", "2026-03-29T21:59:59Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "s4", "lead.received", "2026-03-29T22:00:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-03-29", p);
    assert_int_equal(r->new_leads, 2);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-03-28", p);
    assert_int_equal(r->new_leads, 1);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-03-30", p);
    assert_int_equal(r->new_leads, 1);
    /* 2026-10-25 (25 h): its last hour, 22:00-23:00Z, is still the 25th. */
    count(db, event(p, "f1", "lead.received", "2026-10-24T22:00:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "f2", "lead.received", "2026-10-25T22:30:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "f3", "lead.received", "2026-10-25T23:00:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-10-25", p);
    assert_int_equal(r->new_leads, 2);
    close_db(db, path, p);
}

static void a_time_zone_change_applies_to_events_accepted_after_it(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t ny = paris;
    nxs_recap_t *r = NULL;
    int events = 0;

    ny.timezone = "America/New_York";
    /* 2026-12-06T23:30Z: the 7th in Paris, the 6th in New York. */
    count(db, event(p, "z1", "lead.received", "2026-12-06T23:30:00Z", NULL, NULL, NULL), &paris, T0,
          p);
    count(db, event(p, "z2", "lead.received", "2026-12-06T23:30:00Z", NULL, NULL, NULL), &ny, T0,
          p);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-07", p);
    assert_int_equal(events, 1);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p);
    assert_int_equal(events, 1);
    close_db(db, path, p);
}

static void an_account_with_an_unknown_zone_counts_in_utc(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t odd = paris;
    nxs_recap_t *r = NULL;
    int events = 0;

    odd.timezone = "Mars/Olympus_Mons";
    assert_int_equal(
        count(db, event(p, "u1", "lead.received", "2026-12-06T23:30:00Z", NULL, NULL, NULL), &odd,
              T0, p),
        NXS_RECAP_COUNTED);
    nxs_store_recap_metrics(&r, &events, db, "acc_1", "2026-12-06", p);
    assert_int_equal(events, 1);
    close_db(db, path, p);
}

static void the_recap_of_a_day_is_claimed_once_and_late_events_say_so(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *st = NULL, *reason = NULL;
    nxs_db_t *db = open_db(p, &path);
    int won = -1, done = -1;

    /* After an outage, an event of the 6th arrives on the 7th at 08:00
     * Paris, before the recap went: it counts for the 6th. */
    assert_int_equal(
        count(db, event(p, "l1", "lead.received", "2026-12-06T18:00:00Z", NULL, NULL, NULL), &paris,
              T0 - 3 * 3600, p),
        NXS_RECAP_COUNTED);
    assert_int_equal(nxs_store_recap_claim(&won, db, "acc_1", "2026-12-06", "node_a", T0, 300, p),
                     APR_SUCCESS);
    assert_int_equal(won, 1);
    /* A restart at 09:00 or a second node: the claim is taken. */
    assert_int_equal(
        nxs_store_recap_claim(&won, db, "acc_1", "2026-12-06", "node_b", T0 + 1, 300, p),
        APR_SUCCESS);
    assert_int_equal(won, 0);
    assert_int_equal(
        count(db, event(p, "l2", "lead.received", "2026-12-06T19:00:00Z", NULL, NULL, NULL), &paris,
              T0 + 2, p),
        NXS_RECAP_LATE);
    assert_int_equal(nxs_store_recap_finish(&done, db, "acc_1", "2026-12-06", "node_b",
                                            NXS_RECAP_SENT, NULL, T0 + 3, p),
                     APR_SUCCESS);
    assert_int_equal(done, 0);
    assert_int_equal(nxs_store_recap_finish(&done, db, "acc_1", "2026-12-06", "node_a",
                                            NXS_RECAP_SENT, NULL, T0 + 3, p),
                     APR_SUCCESS);
    assert_int_equal(done, 1);
    assert_int_equal(nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-06", p),
                     APR_SUCCESS);
    assert_string_equal(st, NXS_RECAP_SENT);
    /* A finished recap is never taken over, however old. */
    nxs_store_recap_claim(&won, db, "acc_1", "2026-12-06", "node_b", T0 + 86400, 300, p);
    assert_int_equal(won, 0);
    /* An abandoned one is, after the lease. */
    nxs_store_recap_claim(&won, db, "acc_1", "2026-12-07", "node_a", T0, 300, p);
    assert_int_equal(won, 1);
    nxs_store_recap_claim(&won, db, "acc_1", "2026-12-07", "node_b", T0 + 300, 300, p);
    assert_int_equal(won, 0);
    nxs_store_recap_claim(&won, db, "acc_1", "2026-12-07", "node_b", T0 + 301, 300, p);
    assert_int_equal(won, 1);
    nxs_store_recap_finish(&done, db, "acc_1", "2026-12-07", "node_b", NXS_RECAP_SKIPPED,
                           NXS_RECAP_REASON_NO_ACTIVITY, T0 + 302, p);
    assert_int_equal(done, 1);
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-07", p);
    assert_string_equal(st, NXS_RECAP_SKIPPED);
    assert_string_equal(reason, NXS_RECAP_REASON_NO_ACTIVITY);
    close_db(db, path, p);
}

static void racing_processes_win_a_recap_claim_exactly_once(void **state)
{
    enum { PROCS = 8 };
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    int i, go[2], status, winners = 0;
    pid_t pids[PROCS];

    assert_int_equal(pipe(go), 0);
    for (i = 0; i < PROCS; ++i) {
        if ((pids[i] = fork()) == 0) {
            apr_pool_t *cp = NULL;
            nxs_db_t *cdb;
            int won = 0, tries;
            char c;

            close(go[1]);
            apr_pool_create(&cp, NULL);
            cdb = nxs_test_db_connect(path, cp);
            (void)!read(go[0], &c, 1);
            for (tries = 0; cdb && tries < 20; ++tries) {
                if (nxs_store_recap_claim(&won, cdb, "acc_1", "2026-12-06",
                                          apr_psprintf(cp, "node_%d", i), T0, 300,
                                          cp) == APR_SUCCESS) {
                    break;
                }
            }
            _exit(!cdb || tries == 20 ? 2 : won);
        }
        assert_true(pids[i] > 0);
    }
    close(go[0]);
    close(go[1]);
    for (i = 0; i < PROCS; ++i) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
        winners += WEXITSTATUS(status);
    }
    assert_int_equal(winners, 1);
    close_db(db, path, p);
}

static void recap_accounts_are_those_with_an_active_workspace(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_workspace_t w = {"acc_2", "T1", "Team", "U1", "chat:write", "sealed", NULL, 0, 1, 1, 0};
    apr_array_header_t *accounts = NULL;

    nxs_store_account_ensure(db, "acc_1", T0, p);
    nxs_store_account_ensure(db, "acc_2", T0, p);
    assert_int_equal(nxs_store_workspace_install(db, &w, p), APR_SUCCESS);
    assert_int_equal(nxs_store_recap_accounts(&accounts, db, p), APR_SUCCESS);
    assert_int_equal(accounts->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(accounts, 0, nxs_account_t *)->id, "acc_2");
    assert_string_equal(APR_ARRAY_IDX(accounts, 0, nxs_account_t *)->timezone, "UTC");
    close_db(db, path, p);
}

static void tokens_expiring_are_those_with_rotation_due_first(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_workspace_t late = {"acc_1",   "T1", "One", "U1", "chat:write", "s1", "r1",
                            T0 + 9000, 1,    1,     0};
    nxs_workspace_t soon = {"acc_2",   "T2", "Two", "U2", "chat:write", "s2", "r2",
                            T0 + 3600, 1,    1,     0};
    nxs_workspace_t plain = {"acc_3", "T3", "Three", "U3", "chat:write", "s3", NULL, 0, 1, 1, 0};
    apr_array_header_t *due = NULL;

    assert_int_equal(nxs_store_workspace_install(db, &late, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_install(db, &soon, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_install(db, &plain, p), APR_SUCCESS);
    /* Refresh when 2 h or less remain. */
    assert_int_equal(nxs_store_tokens_expiring(&due, db, T0 + 7200, p), APR_SUCCESS);
    assert_int_equal(due->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(due, 0, nxs_workspace_t *)->team_id, "T2");
    assert_int_equal(nxs_store_tokens_expiring(&due, db, T0 + 9000, p), APR_SUCCESS);
    assert_int_equal(due->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(due, 0, nxs_workspace_t *)->team_id, "T2");
    assert_string_equal(APR_ARRAY_IDX(due, 1, nxs_workspace_t *)->refresh_sealed, "r1");
    close_db(db, path, p);
}

static void chores_are_claimed_once_per_slot_and_reported_in_the_status(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_chores_status_t st;
    nxs_reminder_t *won = NULL;
    int w = -1, done = -1;

    assert_int_equal(nxs_store_chore_claim(&w, db, "purge", "2026-12-07T10", "node_a", T0, 300, p),
                     APR_SUCCESS);
    assert_int_equal(w, 1);
    nxs_store_chore_claim(&w, db, "purge", "2026-12-07T10", "node_b", T0 + 1, 300, p);
    assert_int_equal(w, 0);
    nxs_store_chore_claim(&w, db, "purge", "2026-12-07T11", "node_b", T0 + 3600, 300, p);
    assert_int_equal(w, 1);
    nxs_store_chore_finish(&done, db, "purge", "2026-12-07T10", "node_a", "done", NULL, T0 + 2, p);
    assert_int_equal(done, 1);
    /* a finished run is final, even after the lease */
    nxs_store_chore_claim(&w, db, "purge", "2026-12-07T10", "node_b", T0 + 1000, 300, p);
    assert_int_equal(w, 0);
    /* a failed run (a token refresh Slack refused) is claimed again, by
     * anyone, once the lease has passed since its claim: not before */
    nxs_store_chore_claim(&w, db, "token_refresh", "acc_1/T1/99", "node_a", T0, 300, p);
    assert_int_equal(w, 1);
    nxs_store_chore_finish(&done, db, "token_refresh", "acc_1/T1/99", "node_a", "failed",
                           "internal_error", T0 + 1, p);
    assert_int_equal(done, 1);
    nxs_store_chore_claim(&w, db, "token_refresh", "acc_1/T1/99", "node_a", T0 + 299, 300, p);
    assert_int_equal(w, 0);
    nxs_store_chore_claim(&w, db, "token_refresh", "acc_1/T1/99", "node_b", T0 + 301, 300, p);
    assert_int_equal(w, 1);
    nxs_store_chore_finish(&done, db, "token_refresh", "acc_1/T1/99", "node_b", "done", NULL,
                           T0 + 302, p);
    assert_int_equal(done, 1);
    nxs_store_chore_claim(&w, db, "token_refresh", "acc_1/T1/99", "node_a", T0 + 900, 300, p);
    assert_int_equal(w, 0);
    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    nxs_store_recap_claim(&w, db, "acc_1", "2026-12-06", "node_a", T0, 300, p);
    nxs_store_recap_finish(&done, db, "acc_1", "2026-12-06", "node_a", NXS_RECAP_SENT, NULL, T0, p);
    assert_int_equal(nxs_store_chores_status(&st, db, T0 - 3600, p), APR_SUCCESS);
    assert_int_equal(st.reminders_pending, 1);
    assert_int_equal(st.next_reminder_at, T0 + 4 * 3600 - 900);
    assert_int_equal(st.recaps_sent, 1);
    assert_int_equal(st.recaps_skipped, 0);
    assert_int_equal(st.chores->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(st.chores, 0, nxs_chore_count_t).state, "claimed");
    assert_string_equal(APR_ARRAY_IDX(st.chores, 1, nxs_chore_count_t).state, "done");
    assert_string_equal(APR_ARRAY_IDX(st.chores, 2, nxs_chore_count_t).chore, "token_refresh");
    assert_string_equal(APR_ARRAY_IDX(st.chores, 2, nxs_chore_count_t).state, "done");
    claim_due(&won, NULL, db, "node_a", T0 + 4 * 3600 - 900, p);
    nxs_store_reminder_finish(&done, db, won, NXS_REMINDER_SENT, NULL, T0 + 4 * 3600 - 899, p);
    nxs_store_chores_status(&st, db, T0 - 3600, p);
    assert_int_equal(st.reminders_pending, 0);
    assert_int_equal(st.reminders_sent, 1);
    assert_int_equal(st.next_reminder_at, 0);
    close_db(db, path, p);
}

static void scheduled_work_rows_are_purged_after_the_keep_period(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_reminder_t *m = NULL;
    int deleted = -1, w = 0;

    accept_event(db,
                 event(p, "evt_b1", "appointment.booked", "2026-12-07T10:00:00Z",
                       "2026-12-07T14:00:00Z", NULL, NULL),
                 T0, p);
    nxs_store_recap_claim(&w, db, "acc_1", "2026-12-06", "node_a", T0, 300, p);
    nxs_store_chore_claim(&w, db, "purge", "x", "node_a", T0, 300, p);
    assert_int_equal(nxs_store_chores_purge(&deleted, db, T0 + NXS_CHORES_KEEP, p), APR_SUCCESS);
    assert_int_equal(deleted, 0);
    /* booked event id + its recap row + the alert + 2 claims. */
    assert_int_equal(nxs_store_chores_purge(&deleted, db, T0 + 4 * 3600 + NXS_CHORES_KEEP + 1, p),
                     APR_SUCCESS);
    assert_int_equal(deleted, 5);
    assert_int_equal(nxs_store_reminder_get(&m, db, "acc_1", "apt_1", p), APR_SUCCESS);
    assert_null(m);
    close_db(db, path, p);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_version_2_database_is_upgraded_in_place),
    NXS_TEST(booking_schedules_an_alert_15_minutes_before_once_per_event_id),
    NXS_TEST(due_alert_is_claimed_by_one_node_and_finished_once),
    NXS_TEST(late_booking_is_due_at_once_and_no_alert_goes_after_the_start),
    NXS_TEST(reschedule_moves_a_pending_alert_and_rearms_a_sent_one),
    NXS_TEST(a_claim_overtaken_by_a_reschedule_cannot_mark_it_sent),
    NXS_TEST(cancel_stops_the_alert_and_older_events_cannot_bring_it_back),
    NXS_TEST(an_abandoned_claim_is_taken_over_after_the_lease),
    NXS_TEST(racing_processes_claim_each_due_alert_exactly_once),
    NXS_TEST(recap_counts_each_event_once_for_its_local_day_with_exact_money),
    NXS_TEST(a_batch_of_events_applies_in_one_transaction_once_per_id),
    NXS_TEST(the_counters_are_what_the_recap_renderer_takes),
    NXS_TEST(events_count_for_the_local_day_of_their_occurrence_on_dst_days),
    NXS_TEST(a_time_zone_change_applies_to_events_accepted_after_it),
    NXS_TEST(an_account_with_an_unknown_zone_counts_in_utc),
    NXS_TEST(the_recap_of_a_day_is_claimed_once_and_late_events_say_so),
    NXS_TEST(racing_processes_win_a_recap_claim_exactly_once),
    NXS_TEST(recap_accounts_are_those_with_an_active_workspace),
    NXS_TEST(tokens_expiring_are_those_with_rotation_due_first),
    NXS_TEST(chores_are_claimed_once_per_slot_and_reported_in_the_status),
    NXS_TEST(scheduled_work_rows_are_purged_after_the_keep_period),
};

NXS_RUN_TESTS(tests)
