/* A round of scheduled work end to end on a real database (nxs_chores_run):
 * an alert and a recap claimed, routed, rendered and handed to the queue
 * once; the reasons they are skipped; a failing queue leaves the work for
 * the lease; the next wake-up.  The queue is a recorder of what it was
 * given.  SQLite, or PostgreSQL with NXS_TEST_PGSQL. */
#include "nxs_test.h"

#include <string.h>

#include "nxs_chores.h"
#include "nxs_chores_run.h"
#include "nxs_clock.h"
#include "nxs_held.h"
#include "nxs_json.h"
#include "nxs_test_db.h"
#include "store/nxs_store_held.h"

/* 2026-12-07T10:00:00Z, 11:00 in Paris. */
#define T0     1796637600LL
#define SEC(s) apr_time_from_sec(s)

typedef struct {
    json_t *idems;      /* every IDEM given */
    json_t *deliveries; /* every delivery given */
    int fail;           /* answer APR_EGENERAL */
} recorder_t;

static apr_status_t record(void *baton, const json_t *idem, const json_t *deliveries)
{
    recorder_t *r = baton;
    size_t i;

    if (r->fail) {
        return APR_EGENERAL;
    }
    json_array_append(r->idems, (json_t *)idem);
    for (i = 0; i < json_array_size(deliveries); ++i) {
        json_array_append(r->deliveries, json_array_get(deliveries, i));
    }
    return APR_SUCCESS;
}

static nxs_chores_env_t env_of(recorder_t *r, const char *node, apr_pool_t *p)
{
    nxs_chores_env_t env = {node,
                            "https://app.nexte.io",
                            NXS_CHORE_LEASE,
                            apr_time_from_sec(30 * 86400),
                            100,
                            0,
                            record,
                            r};

    r->idems = nxs_json_own(json_array(), p);
    r->deliveries = nxs_json_own(json_array(), p);
    r->fail = 0;
    return env;
}

/* acc_1 in Paris, connected, booking -> C_BOOK (@here), recap -> C_DAILY. */
static void connect_paris(nxs_db_t *db, int map_recap, apr_pool_t *p)
{
    nxs_workspace_t w = {"acc_1", "T1", "Team", "U1", "chat:write", "sealed", NULL, 0, 1, 1, 0};
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "en", "EUR", 0};

    assert_int_equal(nxs_store_account_ensure(db, "acc_1", T0, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_update(db, &a, T0, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_install(db, &w, p), APR_SUCCESS);
    assert_int_equal(
        nxs_store_category_set_channel(db, "acc_1", "booking", "C_BOOK", "bookings", p),
        APR_SUCCESS);
    assert_int_equal(nxs_store_category_set_mention(db, "acc_1", "booking", "here", p),
                     APR_SUCCESS);
    if (map_recap) {
        assert_int_equal(
            nxs_store_category_set_channel(db, "acc_1", "recap", "C_DAILY", "nexte-daily", p),
            APR_SUCCESS);
    }
}

/* Accepts an event of acc_1 (Paris) at NOW. */
static void accept_json(nxs_db_t *db, const char *json, apr_int64_t now, apr_pool_t *p)
{
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "en", "EUR", 0};
    nxs_envelope_t env;
    nxs_reminder_outcome_e r;
    nxs_recap_count_e c;
    const char *field = NULL, *why = NULL;
    json_t *root = NULL;

    assert_int_equal(nxs_json_load(&root, &why, json, strlen(json), p), APR_SUCCESS);
    assert_int_equal(nxs_envelope_parse(&env, &field, &why, root, p), APR_SUCCESS);
    assert_int_equal(nxs_chores_event_accepted(&r, &c, db, &env, &a, SEC(now), p), APR_SUCCESS);
}

static void book(nxs_db_t *db, const char *starts_at, apr_pool_t *p)
{
    accept_json(db,
                apr_psprintf(p,
                             "{\"id\":\"evt_b1\",\"type\":\"appointment.booked\","
                             "\"account_id\":\"acc_1\",\"occurred_at\":\"2026-12-07T10:00:00Z\","
                             "\"record\":{\"kind\":\"appointment\",\"id\":\"apt_1\","
                             "\"number\":\"APT-1\"},\"data\":{\"title\":\"Kick-off\","
                             "\"starts_at\":\"%s\",\"attendee\":{\"name\":\"Ada\"}}}",
                             starts_at),
                T0, p);
}

static const char *delivery_str(const recorder_t *r, size_t i, const char *key)
{
    return nxs_json_path_str(json_array_get(r->deliveries, i), key);
}

static void a_due_alert_is_queued_once_to_the_booking_channel(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *payload;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    nxs_reminder_t *m = NULL;

    connect_paris(db, 1, p);
    book(db, "2026-12-07T14:00:00Z", p);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 901), p), APR_SUCCESS);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    /* It wakes for the alert, not a minute later. */
    assert_int_equal(rep.next_wake, SEC(T0 + 4 * 3600 - 900));
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 900), p), APR_SUCCESS);
    assert_int_equal(rep.reminders_sent, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    assert_string_equal(delivery_str(&rec, 0, "channel"), "C_BOOK");
    assert_string_equal(delivery_str(&rec, 0, "team"), "T1");
    assert_string_equal(delivery_str(&rec, 0, "category"), "booking");
    assert_string_equal(delivery_str(&rec, 0, "event_id"), "soon/evt_b1");
    assert_string_equal(nxs_json_path_str(json_array_get(rec.idems, 0), "event_id"), "soon/evt_b1");
    assert_non_null(strstr(delivery_str(&rec, 0, "record"), "\"id\":\"apt_1\""));
    payload = delivery_str(&rec, 0, "payload");
    assert_non_null(strstr(payload, "Kick-off"));
    assert_non_null(strstr(payload, "<!here>"));
    assert_non_null(strstr(payload, "\"channel\":\"C_BOOK\""));
    assert_int_equal(nxs_store_reminder_get(&m, db, "acc_1", "apt_1", p), APR_SUCCESS);
    assert_string_equal(m->state, NXS_REMINDER_SENT);
    /* The next round, or another node's: nothing more. */
    nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 800), p);
    env.node = "node_b";
    nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 700), p);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    close_db(db, path, p);
}

static void an_alert_without_a_booking_channel_is_skipped(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    nxs_reminder_t *m = NULL;

    connect_paris(db, 1, p);
    nxs_store_category_set_channel(db, "acc_1", "booking", NULL, NULL, p);
    book(db, "2026-12-07T14:00:00Z", p);
    nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 900), p);
    assert_int_equal(rep.reminders_skipped, 1);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    nxs_store_reminder_get(&m, db, "acc_1", "apt_1", p);
    assert_string_equal(m->state, NXS_REMINDER_SKIPPED);
    assert_string_equal(m->done_reason, "category_unmapped");
    close_db(db, path, p);
}

static void a_failing_queue_leaves_the_alert_for_the_lease(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t due = T0 + 4 * 3600 - 900;

    connect_paris(db, 1, p);
    book(db, "2026-12-07T14:00:00Z", p);
    rec.fail = 1;
    nxs_chores_run(&rep, db, &env, SEC(due), p);
    assert_int_equal(rep.failures, 1);
    rec.fail = 0;
    nxs_chores_run(&rep, db, &env, SEC(due + 300), p);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    /* After the lease, still before the start: queued. */
    nxs_chores_run(&rep, db, &env, SEC(due + 301), p);
    assert_int_equal(rep.reminders_sent, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    close_db(db, path, p);
}

static const char *const LEAD = "{\"id\":\"%s\",\"type\":\"invoice.paid\",\"account_id\":\"acc_1\","
                                "\"occurred_at\":\"%s\",\"amount\":{\"value\":\"%s\","
                                "\"currency\":\"EUR\"}}";

static void the_recap_goes_at_nine_paris_time_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *st = NULL, *reason = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t nine = 1796630400; /* 2026-12-07T08:00Z, 09:00 in Paris */

    connect_paris(db, 1, p);
    accept_json(db, apr_psprintf(p, LEAD, "e1", "2026-12-06T15:00:00Z", "1250.00"), T0 - 7200, p);
    accept_json(db, apr_psprintf(p, LEAD, "e2", "2026-12-06T22:59:00Z", "0.50"), T0 - 7200, p);
    nxs_chores_run(&rep, db, &env, SEC(nine - 1), p);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    assert_int_equal(rep.next_wake, SEC(nine));
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(nine), p), APR_SUCCESS);
    assert_int_equal(rep.recaps_sent, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    assert_string_equal(delivery_str(&rec, 0, "channel"), "C_DAILY");
    assert_string_equal(delivery_str(&rec, 0, "event_id"), "recap/2026-12-06");
    /* no button, so no delivery id: the daemon records no row for it */
    assert_null(delivery_str(&rec, 0, "delivery_id"));
    assert_non_null(strstr(delivery_str(&rec, 0, "payload"), "€1,250.50"));
    assert_non_null(strstr(delivery_str(&rec, 0, "payload"), "December 6, 2026"));
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-06", p);
    assert_string_equal(st, NXS_RECAP_SENT);
    /* A restart at 09:00, a second node: nothing more. */
    nxs_chores_run(&rep, db, &env, SEC(nine + 1), p);
    env.node = "node_b";
    nxs_chores_run(&rep, db, &env, SEC(nine + 2), p);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    /* Tomorrow's 09:00 is next (the 60 s cap aside). */
    assert_int_equal(rep.next_wake, SEC(nine + 2 + 60));
    close_db(db, path, p);
}

static void a_quiet_day_and_an_unmapped_channel_are_skipped_with_their_reason(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *st = NULL, *reason = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t nine = 1796630400;

    connect_paris(db, 0, p);
    nxs_chores_run(&rep, db, &env, SEC(nine), p);
    assert_int_equal(rep.recaps_skipped, 1);
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-06", p);
    assert_string_equal(reason, NXS_RECAP_REASON_NO_ACTIVITY);
    /* The next day had activity, but no recap channel. */
    accept_json(db, apr_psprintf(p, LEAD, "e1", "2026-12-07T12:00:00Z", "10.00"), T0, p);
    nxs_chores_run(&rep, db, &env, SEC(nine + 86400), p);
    assert_int_equal(rep.recaps_skipped, 1);
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-07", p);
    assert_string_equal(st, NXS_RECAP_SKIPPED);
    assert_string_equal(reason, NXS_RECAP_REASON_NO_CHANNEL);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    close_db(db, path, p);
}

static void a_server_back_late_sends_the_recap_until_midnight_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *st = NULL, *reason = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t midnight = 1796684400; /* 2026-12-08T00:00 in Paris */

    connect_paris(db, 1, p);
    accept_json(db, apr_psprintf(p, LEAD, "e1", "2026-12-06T15:00:00Z", "5.00"), T0 - 7200, p);
    accept_json(db, apr_psprintf(p, LEAD, "e2", "2026-12-07T15:00:00Z", "7.00"), T0 + 18000, p);
    /* Down from 08:00 on the 7th to 23:59:59: the 6th's recap still goes. */
    nxs_chores_run(&rep, db, &env, SEC(midnight - 1), p);
    assert_int_equal(rep.recaps_sent, 1);
    assert_string_equal(delivery_str(&rec, 0, "event_id"), "recap/2026-12-06");
    /* Down again until the 9th at 10:00: the 7th's window has closed; the
     * 8th's recap is due (a quiet day: skipped). */
    nxs_chores_run(&rep, db, &env, SEC(midnight + 86400 + 10 * 3600), p);
    assert_int_equal(rep.recaps_sent, 0);
    assert_int_equal(rep.recaps_skipped, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-08", p);
    assert_string_equal(reason, NXS_RECAP_REASON_NO_ACTIVITY);
    nxs_store_recap_state(&st, &reason, db, "acc_1", "2026-12-07", p);
    assert_null(st);
    close_db(db, path, p);
}

static void the_purge_runs_once_an_hour_on_one_node(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *json = NULL, *account = NULL, *browser = NULL;
    nxs_oauth_start_t st_old = {"st_old", "acc_1", "b", "s", T0 - 601, T0 - 1, 10, 600};
    nxs_oauth_start_t st_new = {"st_new", "acc_1", "b", "s", T0, T0 + 600, 10, 600};
    apr_int64_t retry_at = 0;
    int first = 0;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;

    connect_paris(db, 1, p);
    assert_int_equal(nxs_store_filters_put(db, "acc_1", "{}", T0, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_set_disconnected(db, "acc_1", T0 - 30 * 86400 - 1, p),
                     APR_SUCCESS);
    /* one-time rows: an expired and a live one of each kind */
    assert_int_equal(nxs_store_oauth_state_start(&first, &retry_at, db, &st_old, p), 0);
    assert_int_equal(nxs_store_oauth_state_start(&first, &retry_at, db, &st_new, p), 0);
    assert_int_equal(nxs_store_once(&first, db, "sig_old", T0 - 1, p), 0);
    assert_int_equal(nxs_store_once(&first, db, "sig_new", T0 + 600, p), 0);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(T0), p), APR_SUCCESS);
    assert_int_equal(rep.purged, 1); /* the account past its grace */
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_1", p), APR_SUCCESS);
    assert_null(json);
    /* the live ones are still there (used once already), the old ones are
     * gone (a first use again) */
    assert_int_equal(nxs_store_once(&first, db, "sig_new", T0 + 600, p), 0);
    assert_false(first);
    assert_int_equal(nxs_store_once(&first, db, "sig_old", T0 + 600, p), 0);
    assert_true(first);
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "st_new", T0, p), 0);
    assert_string_equal(account, "acc_1");
    /* The same hour, another node: not run again. */
    env.node = "node_b";
    nxs_chores_run(&rep, db, &env, SEC(T0 + 1800), p);
    assert_int_equal(rep.purged, -1);
    /* The next hour: run again (nothing left). */
    nxs_chores_run(&rep, db, &env, SEC(T0 + 3600), p);
    assert_int_equal(rep.purged, 0);
    close_db(db, path, p);
}

/* Holds an event of acc_1 for CHANNEL, as the intake does for an event
 * accepted outside the active hours. */
static void hold(nxs_db_t *db, const char *id, const char *type, const char *channel,
                 const char *mention, apr_int64_t at, apr_pool_t *p)
{
    nxs_summary_item_t item = {type, apr_time_from_sec(at),       "100.00", "EUR", "An event", NULL,
                               NULL, nxs_summary_importance(type)};
    nxs_held_t h = {"acc_1", id, "T1", channel, mention, nxs_held_item_json(&item, p), at};
    int added = 0;

    assert_int_equal(nxs_store_held_put(&added, db, &h, p), APR_SUCCESS);
    assert_int_equal(added, 1);
}

#define OFFICE_HOURS                                                                               \
    "{\"active_hours\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"], "                    \
    "\"start\": \"09:00\", \"end\": \"19:00\"}}"

static void held_events_become_one_summary_per_channel_when_the_hours_open(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_array_header_t *left = NULL;
    /* Monday 2026-12-07 20:00 Paris (19:00Z): outside; Tuesday 09:00 Paris is 08:00Z */
    apr_int64_t evening = T0 + 9 * 3600, opening = T0 + 22 * 3600;
    json_t *msg;

    connect_paris(db, 1, p);
    assert_int_equal(nxs_store_filters_put(db, "acc_1", OFFICE_HOURS, T0, p), APR_SUCCESS);
    hold(db, "e1", "invoice.paid", "C_PAY", "none", evening, p);
    hold(db, "e2", "payment.failed", "C_PAY", "channel", evening + 60, p);
    hold(db, "e3", "lead.received", "C_LEAD", "none", evening + 120, p);
    /* the evening: kept, and the round wakes at the opening */
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(evening + 180), p), APR_SUCCESS);
    assert_int_equal(json_array_size(rec.deliveries), 0);
    assert_int_equal(rep.next_wake <= SEC(opening) ? 1 : 0, 1);
    /* 09:00: one summary per channel, the strongest mention, then nothing held */
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(opening), p), APR_SUCCESS);
    assert_int_equal(rep.summaries_sent, 2);
    assert_int_equal(json_array_size(rec.deliveries), 2);
    assert_string_equal(delivery_str(&rec, 0, "channel"), "C_LEAD");
    assert_string_equal(delivery_str(&rec, 1, "channel"), "C_PAY");
    assert_string_equal(delivery_str(&rec, 1, "team"), "T1");
    assert_string_equal(nxs_json_path_str(json_array_get(rec.idems, 1), "event_id"),
                        apr_psprintf(p, "summary/C_PAY/%" APR_INT64_T_FMT "/2", evening + 60));
    msg = json_loads(delivery_str(&rec, 1, "payload"), 0, NULL);
    assert_non_null(msg);
    assert_non_null(strstr(nxs_json_path_str(msg, "text"), "<!channel>") ? "" : NULL);
    json_decref(msg);
    assert_int_equal(nxs_store_held_list(&left, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(left->nelts, 0);
    /* a later round posts nothing more */
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(opening + 61), p), APR_SUCCESS);
    assert_int_equal(json_array_size(rec.deliveries), 2);
    close_db(db, path, p);
}

static void a_downgrade_releases_and_a_disconnect_drops_what_is_held(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    nxs_account_t team = {"acc_1", "team", "Europe/Paris", "en", "EUR", 0};
    apr_array_header_t *left = NULL;
    apr_int64_t evening = T0 + 9 * 3600;

    connect_paris(db, 1, p);
    assert_int_equal(nxs_store_filters_put(db, "acc_1", OFFICE_HOURS, T0, p), APR_SUCCESS);
    hold(db, "e1", "invoice.paid", "C_PAY", "none", evening, p);
    /* a queue that refuses leaves the rows and the claim for the lease */
    assert_int_equal(nxs_store_account_update(db, &team, evening, p), APR_SUCCESS);
    rec.fail = 1;
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(evening + 60), p), APR_SUCCESS);
    assert_int_equal(rep.failures, 1);
    assert_int_equal(nxs_store_held_list(&left, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(left->nelts, 1);
    /* the downgrade released it at once, the hours notwithstanding */
    rec.fail = 0;
    assert_int_equal(
        nxs_chores_run(&rep, db, &env, SEC(evening + 60) + NXS_CHORE_LEASE + SEC(61), p),
        APR_SUCCESS);
    assert_int_equal(rep.summaries_sent, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    /* disconnected: what it holds is dropped, nothing posted */
    hold(db, "e2", "invoice.paid", "C_PAY", "none", evening + 3600, p);
    assert_int_equal(nxs_store_workspaces_delete(db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(evening + 3700), p), APR_SUCCESS);
    assert_int_equal(rep.held_dropped, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    assert_int_equal(nxs_store_held_list(&left, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(left->nelts, 0);
    close_db(db, path, p);
}

static void the_alert_follows_the_bookings_filters_but_not_the_hours(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;

    connect_paris(db, 1, p);
    /* a client channel for cli_1, and hours closed at 14:45 Paris (the
     * alert of a 15:00 Paris meeting, 14:00Z): the alert goes all the
     * same, to the client's channel with the booking's mention */
    assert_int_equal(
        nxs_store_filters_put(db, "acc_1",
                              "{\"client_channels\": {\"cli_1\": \"C0CLIENT1\"}, \"active_hours\": "
                              "{\"days\": [\"sat\"], \"start\": \"09:00\", \"end\": \"10:00\"}}",
                              T0, p),
        APR_SUCCESS);
    accept_json(db,
                "{\"id\":\"evt_c1\",\"type\":\"appointment.booked\",\"account_id\":\"acc_1\","
                "\"occurred_at\":\"2026-12-07T10:00:00Z\",\"client\":{\"id\":\"cli_1\","
                "\"name\":\"Acme\"},\"record\":{\"kind\":\"appointment\",\"id\":\"apt_c\"},"
                "\"data\":{\"title\":\"Kick-off\",\"starts_at\":\"2026-12-07T14:00:00Z\","
                "\"attendee\":{\"name\":\"Ada\"}}}",
                T0, p);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(T0 + 4 * 3600 - 900), p), APR_SUCCESS);
    assert_int_equal(rep.reminders_sent, 1);
    assert_string_equal(delivery_str(&rec, 0, "channel"), "C0CLIENT1");
    assert_non_null(strstr(delivery_str(&rec, 0, "payload"), "<!here>"));
    /* a member filter on bookings that its member is not in: skipped */
    assert_int_equal(
        nxs_store_filters_put(db, "acc_1", "{\"members\": {\"booking\": [\"mem_9\"]}}", T0, p),
        APR_SUCCESS);
    accept_json(db,
                "{\"id\":\"evt_c2\",\"type\":\"appointment.booked\",\"account_id\":\"acc_1\","
                "\"occurred_at\":\"2026-12-07T10:00:00Z\",\"member\":{\"id\":\"mem_1\","
                "\"name\":\"Bo\"},\"record\":{\"kind\":\"appointment\",\"id\":\"apt_d\"},"
                "\"data\":{\"title\":\"Demo\",\"starts_at\":\"2026-12-07T15:00:00Z\","
                "\"attendee\":{\"name\":\"Cy\"}}}",
                T0, p);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(T0 + 5 * 3600 - 900), p), APR_SUCCESS);
    assert_int_equal(rep.reminders_sent, 0);
    assert_int_equal(rep.reminders_skipped, 1);
    assert_int_equal(json_array_size(rec.deliveries), 1);
    close_db(db, path, p);
}

/* A clock 20 s after 09:00 Paris on 2026-12-07: the time a long round of
 * recaps has reached. */
static apr_time_t twenty_seconds_in(void)
{
    return SEC(1796630400 + 20);
}

static void an_alert_due_during_the_recaps_is_not_held_back_by_them(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t nine = 1796630400; /* 2026-12-07T08:00Z, 09:00 in Paris */

    connect_paris(db, 1, p);
    accept_json(db, apr_psprintf(p, LEAD, "e1", "2026-12-06T15:00:00Z", "10.00"), T0 - 7200, p);
    /* a meeting at 08:15:10Z: its alert falls due 10 s into the 09:00 round */
    book(db, "2026-12-07T08:15:10Z", p);
    env.alerts_every = 1;
    nxs_clock_set(twenty_seconds_in);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(nine), p), APR_SUCCESS);
    nxs_clock_set(NULL);
    /* the recap, and the alert found by the look between two recaps, in the
     * same round: the alert is queued before the recap that followed the
     * look */
    assert_int_equal(rep.recaps_sent, 1);
    assert_int_equal(rep.reminders_sent, 1);
    assert_int_equal(json_array_size(rec.deliveries), 2);
    assert_string_equal(delivery_str(&rec, 0, "channel"), "C_BOOK");
    assert_string_equal(delivery_str(&rec, 1, "channel"), "C_DAILY");
    close_db(db, path, p);
}

static void without_a_second_look_the_alert_waits_for_the_next_round(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    recorder_t rec;
    nxs_chores_env_t env = env_of(&rec, "node_a", p);
    nxs_chores_report_t rep;
    apr_int64_t nine = 1796630400;

    connect_paris(db, 1, p);
    accept_json(db, apr_psprintf(p, LEAD, "e1", "2026-12-06T15:00:00Z", "10.00"), T0 - 7200, p);
    book(db, "2026-12-07T08:15:10Z", p);
    nxs_clock_set(twenty_seconds_in);
    assert_int_equal(nxs_chores_run(&rep, db, &env, SEC(nine), p), APR_SUCCESS);
    nxs_clock_set(NULL);
    assert_int_equal(rep.recaps_sent, 1);
    assert_int_equal(rep.reminders_sent, 0);
    close_db(db, path, p);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_due_alert_is_queued_once_to_the_booking_channel),
    NXS_TEST(an_alert_without_a_booking_channel_is_skipped),
    NXS_TEST(a_failing_queue_leaves_the_alert_for_the_lease),
    NXS_TEST(the_recap_goes_at_nine_paris_time_once),
    NXS_TEST(a_quiet_day_and_an_unmapped_channel_are_skipped_with_their_reason),
    NXS_TEST(a_server_back_late_sends_the_recap_until_midnight_only),
    NXS_TEST(the_purge_runs_once_an_hour_on_one_node),
    NXS_TEST(held_events_become_one_summary_per_channel_when_the_hours_open),
    NXS_TEST(a_downgrade_releases_and_a_disconnect_drops_what_is_held),
    NXS_TEST(the_alert_follows_the_bookings_filters_but_not_the_hours),
    NXS_TEST(an_alert_due_during_the_recaps_is_not_held_back_by_them),
    NXS_TEST(without_a_second_look_the_alert_waits_for_the_next_round),
};

NXS_RUN_TESTS(tests)
