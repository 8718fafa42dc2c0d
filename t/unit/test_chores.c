/* Specification of the rules of scheduled work that need no database
 * (nxs_chores): when the daily recap is due in an account's zone, which
 * alert change a booking event makes, and the starting-soon message made
 * from a stored alert. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_chores.h"
#include "nxs_held.h"
#include "nxs_json.h"
#include "render/nxs_render.h"

#define SEC(s) apr_time_from_sec(s)

static void assert_recap(apr_time_t now, const char *tz, int due, const char *day, long long next,
                         apr_pool_t *p)
{
    nxs_day_t d = {0, 0, 0};
    apr_time_t n = 0;
    int is_due = -1;

    assert_int_equal(nxs_chores_recap_due(&is_due, &d, &n, now, tz), APR_SUCCESS);
    assert_int_equal(is_due, due);
    if (due) {
        assert_string_equal(nxs_day_format(&d, p), day);
    }
    assert_int_equal(n, SEC(next));
}

static void the_recap_is_due_from_nine_until_the_local_day_ends(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    /* Paris, 2026-03-29 (spring forward): 09:00 CEST is 07:00Z. */
    assert_recap(SEC(1774767600) - 1, "Europe/Paris", 0, NULL, 1774767600, p);
    assert_recap(SEC(1774767600), "Europe/Paris", 1, "2026-03-28", 1774767600 + 86400, p);
    /* Back at 23:59 the same day, after a long outage: still sent. */
    assert_recap(SEC(1774821600 - 60), "Europe/Paris", 1, "2026-03-28", 1774767600 + 86400, p);
    /* After midnight, the 28th's window has closed; the 29th's opens at 09:00. */
    assert_recap(SEC(1774821600), "Europe/Paris", 0, NULL, 1774767600 + 86400, p);
    /* Paris, 2026-10-25 (fall back, 25 h): 09:00 CET is 08:00Z. */
    assert_recap(SEC(1792915200), "Europe/Paris", 1, "2026-10-24", 1792915200 + 86400, p);
    assert_recap(SEC(1792915200) - 1, "Europe/Paris", 0, NULL, 1792915200, p);
    /* New York on its two DST days: 13:00Z and 14:00Z. */
    assert_recap(SEC(1772974800), "America/New_York", 1, "2026-03-07", 1772974800 + 86400, p);
    assert_recap(SEC(1793541600), "America/New_York", 1, "2026-10-31", 1793541600 + 86400, p);
    /* Auckland's 09:00 of the 7th is the 6th at 20:00Z. */
    assert_recap(SEC(1796587200), "Pacific/Auckland", 1, "2026-12-06", 1796587200 + 86400, p);
}

static void the_same_instant_gives_another_recap_day_after_a_zone_change(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    apr_time_t now = SEC(1796587200); /* 2026-12-06T20:00Z */

    /* 21:00 in Paris on the 6th: the 5th's recap is due... */
    assert_recap(now, "Europe/Paris", 1, "2026-12-05", 1796630400 /* 12-07T08:00Z */, p);
    /* ...09:00 on the 7th in Auckland: the 6th's. */
    assert_recap(now, "Pacific/Auckland", 1, "2026-12-06", 1796587200 + 86400, p);
}

static void the_next_recap_is_the_earliest_nine_oclock_among_accounts(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    apr_array_header_t *accounts = apr_array_make(p, 3, sizeof(nxs_account_t *));
    nxs_account_t paris = {"acc_1", "solo", "Europe/Paris", "en", "EUR", 0};
    nxs_account_t auckland = {"acc_2", "solo", "Pacific/Auckland", "en", "NZD", 0};
    nxs_account_t odd = {"acc_3", "solo", "Nowhere/Town", "en", "EUR", 0};
    apr_time_t now = SEC(1796601600); /* 2026-12-07T00:00Z */

    assert_int_equal(nxs_chores_next_recap(accounts, now), 0);
    APR_ARRAY_PUSH(accounts, nxs_account_t *) = &paris;
    assert_int_equal(nxs_chores_next_recap(accounts, now), SEC(1796630400)); /* 08:00Z */
    /* An unknown zone counts as UTC: 09:00Z comes after Paris's 08:00Z. */
    APR_ARRAY_PUSH(accounts, nxs_account_t *) = &odd;
    assert_string_equal(nxs_chores_zone(&odd), "UTC");
    assert_int_equal(nxs_chores_next_recap(accounts, now), SEC(1796630400));
    /* Auckland's next 09:00 is the 7th at 20:00Z... still later. */
    APR_ARRAY_PUSH(accounts, nxs_account_t *) = &auckland;
    assert_int_equal(nxs_chores_next_recap(accounts, now), SEC(1796630400));
    /* At 08:30Z Paris's has passed: the UTC account's 09:00Z is next, then
     * New Zealand's. */
    assert_int_equal(nxs_chores_next_recap(accounts, SEC(1796632200)), SEC(1796634000));
    assert_int_equal(nxs_chores_next_recap(accounts, SEC(1796635800)), SEC(1796673600));
}

/* The per-zone memo of a round gives what nxs_chores_recap_due gives, once
 * per zone, also past its size. */
static void the_zone_memo_computes_each_zone_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_chores_zone_memo_t *memo = apr_palloc(p, sizeof(*memo));
    nxs_account_t paris = {"acc_1", "solo", "Europe/Paris", "en", "EUR", 0};
    nxs_account_t paris2 = {"acc_2", "solo", "Europe/Paris", "en", "EUR", 0};
    nxs_account_t none = {"acc_3", "solo", NULL, "en", "EUR", 0};
    nxs_account_t odd = {"acc_4", "solo", "Nowhere/Town", "en", "EUR", 0};
    apr_time_t now = SEC(1796634000); /* 2026-12-07T09:00Z, 10:00 in Paris */
    const nxs_chores_zone_due_t *a, *b;
    int i;

    nxs_chores_zone_memo_init(memo, now);
    a = nxs_chores_zone_due(memo, &paris);
    b = nxs_chores_zone_due(memo, &paris2);
    assert_ptr_equal(a, b);
    assert_int_equal(memo->n, 1);
    assert_int_equal(a->rv, APR_SUCCESS);
    assert_int_equal(a->due, 1);
    assert_string_equal(nxs_day_format(&a->day, p), "2026-12-06");
    assert_int_equal(a->next, SEC(1796630400 + 86400));
    /* No zone and an unknown one: UTC, each its own entry. */
    a = nxs_chores_zone_due(memo, &none);
    b = nxs_chores_zone_due(memo, &odd);
    assert_int_equal(memo->n, 3);
    assert_int_equal(a->due, 1);
    assert_int_equal(b->next, SEC(1796634000 + 86400));
    /* Past the memo's size: still right, computed again each time. */
    for (i = 0; i < NXS_CHORES_ZONE_MEMO; ++i) {
        nxs_account_t x = {"acc_x", "solo", apr_psprintf(p, "Bad/Zone%d", i), "en", "EUR", 0};
        nxs_chores_zone_due(memo, &x);
    }
    assert_int_equal(memo->n, NXS_CHORES_ZONE_MEMO);
    paris2.timezone = "Asia/Tokyo"; /* not in the memo: computed into the spare */
    a = nxs_chores_zone_due(memo, &paris2);
    assert_ptr_equal(a, &memo->spare);
    assert_int_equal(a->rv, APR_SUCCESS);
    assert_int_equal(a->due, 1); /* 18:00 in Tokyo */
    assert_string_equal(nxs_day_format(&a->day, p), "2026-12-06");
}

static void chore_slots_and_node_ids(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *a, *b;

    assert_string_equal(nxs_chores_slot(SEC(1796637600 + 1799), apr_time_from_sec(3600), p),
                        "2026-12-07T10:00:00Z");
    assert_string_equal(nxs_chores_slot(SEC(1796637600 + 1799), apr_time_from_sec(86400), p),
                        "2026-12-07T00:00:00Z");
    a = nxs_chores_node_id(p);
    b = nxs_chores_node_id(p);
    assert_non_null(strchr(a, ':'));
    assert_string_not_equal(a, b); /* the time of the call tells them apart */
}

static void the_status_shows_pending_alerts_finished_work_and_next_times(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_chores_status_t st;
    nxs_chore_count_t *c;
    json_t *j;
    const char *text;

    memset(&st, 0, sizeof(st));
    st.reminders_pending = 3;
    st.next_reminder_at = 1796648400; /* 2026-12-07T13:00Z */
    st.reminders_sent = 5;
    st.reminders_skipped = 1;
    st.recaps_sent = 2;
    st.chores = apr_array_make(p, 2, sizeof(nxs_chore_count_t));
    c = apr_array_push(st.chores);
    c->chore = "purge";
    c->state = "done";
    c->runs = 9;
    j = nxs_chores_status_json(&st, SEC(1796601600), SEC(1796673600), p);
    assert_string_equal(
        nxs_json_dump(j, JSON_COMPACT | JSON_SORT_KEYS, p),
        "{\"chores\":{\"purge\":{\"done\":9}},"
        "\"recaps\":{\"next_at\":\"2026-12-07T20:00:00Z\",\"sent\":2,\"skipped\":0},"
        "\"reminders\":{\"next_due_at\":\"2026-12-07T13:00:00Z\",\"pending\":3,"
        "\"sent\":5,\"skipped\":1},\"since\":\"2026-12-07T00:00:00Z\"}");
    st.next_reminder_at = 0;
    j = nxs_chores_status_json(&st, SEC(1796601600), 0, p);
    assert_true(json_is_null(nxs_json_path(j, "reminders.next_due_at")));
    assert_true(json_is_null(nxs_json_path(j, "recaps.next_at")));
    text = nxs_chores_status_prometheus(&st, SEC(1796673600), p);
    assert_non_null(strstr(text, "# TYPE nexte_slack_reminders_pending gauge\n"
                                 "nexte_slack_reminders_pending 3\n"));
    assert_non_null(strstr(text, "nexte_slack_reminders_today{state=\"skipped\"} 1\n"));
    assert_non_null(strstr(text, "nexte_slack_recap_next_timestamp_seconds 1796673600\n"));
    assert_non_null(
        strstr(text, "nexte_slack_chore_runs_today{chore=\"purge\",state=\"done\"} 9\n"));
}

static nxs_envelope_t *booking(apr_pool_t *p, const char *type, const char *start)
{
    nxs_envelope_t *env = apr_pcalloc(p, sizeof(*env));
    json_t *root = nxs_json_own(
        json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:{s:s, s:s}}}", "id", "evt_1",
                  "type", type, "account_id", "acc_1", "occurred_at", "2026-12-07T10:00:00Z",
                  "record", "kind", "appointment", "id", "apt_1", "url",
                  "https://app.nexte.io/appointments/apt_1", "data", "title", "Kick-off",
                  "attendee", "name", "Ada", "email", "ada@example.com"),
        p);
    const char *field = NULL, *why = NULL;

    if (start) {
        json_object_set_new(json_object_get(root, "data"), "starts_at", json_string(start));
    }
    assert_int_equal(nxs_envelope_parse(env, &field, &why, root, p), APR_SUCCESS);
    return env;
}

static void booking_events_become_alert_changes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_reminder_change_t c;

    assert_int_equal(nxs_chores_reminder_change(
                         &c, booking(p, "appointment.booked", "2026-12-07T14:00:00+01:00"), p),
                     APR_SUCCESS);
    assert_int_equal(c.kind, NXS_CHANGE_BOOKED);
    assert_string_equal(c.record_id, "apt_1");
    assert_int_equal(c.starts_at, 1796648400); /* 13:00Z */
    assert_int_equal(c.due_at, 1796648400 - 900);
    assert_int_equal(c.occurred_at, 1796637600);
    assert_non_null(strstr(c.envelope_json, "Kick-off"));
    assert_int_equal(nxs_chores_reminder_change(&c, booking(p, "appointment.cancelled", NULL), p),
                     APR_SUCCESS);
    assert_int_equal(c.kind, NXS_CHANGE_CANCELLED);
    /* A booking without a start has no alert; other types have none. */
    assert_int_equal(nxs_chores_reminder_change(&c, booking(p, "appointment.booked", NULL), p),
                     APR_EINVAL);
    assert_int_equal(
        nxs_chores_reminder_change(
            &c, booking(p, "appointment.reschedule_requested", "2026-12-07T14:00:00Z"), p),
        APR_ENOENT);
}

static void scheduled_work_is_known_by_type_and_travels_with_zone_and_currency(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t *env = booking(p, "appointment.booked", "2026-12-07T14:00:00+01:00");
    nxs_account_t a = {"acc_1", "agency", "Europe/Paris", "fr", "EUR", 0};
    nxs_envelope_t back;
    nxs_account_t got;
    nxs_held_t *hold = NULL;
    const char *payload, *why = NULL;

    /* booking changes and every type the recap counts; nothing else */
    assert_true(nxs_chores_event_has_work(env));
    assert_true(nxs_chores_event_has_work(booking(p, "appointment.cancelled", NULL)));
    assert_true(nxs_chores_event_has_work(booking(p, "appointment.rescheduled", NULL)));
    env->type = "invoice.paid";
    assert_true(nxs_chores_event_has_work(env));
    env->type = "lead.received";
    assert_true(nxs_chores_event_has_work(env));
    env->type = "quote.opened";
    assert_false(nxs_chores_event_has_work(env));
    env->type = "appointment.reschedule_requested";
    assert_false(nxs_chores_event_has_work(env));

    /* the payload gives back the same envelope and the account's zone and currency */
    env = booking(p, "appointment.booked", "2026-12-07T14:00:00+01:00");
    payload = nxs_chores_work_payload(env, &a, NULL, p);
    assert_non_null(payload);
    assert_int_equal(nxs_chores_work_parse(&back, &got, &hold, &why, payload, strlen(payload), p),
                     APR_SUCCESS);
    assert_true(json_equal((json_t *)back.root, (json_t *)env->root));
    assert_string_equal(back.id, "evt_1");
    assert_string_equal(back.type, "appointment.booked");
    assert_int_equal(back.occurred_at, env->occurred_at);
    assert_string_equal(got.id, "acc_1");
    assert_string_equal(got.timezone, "Europe/Paris");
    assert_string_equal(got.currency, "EUR");
    /* no account: no zone, no currency (the recap then counts in UTC) */
    payload = nxs_chores_work_payload(env, NULL, NULL, p);
    assert_int_equal(nxs_chores_work_parse(&back, &got, &hold, &why, payload, strlen(payload), p),
                     APR_SUCCESS);
    assert_null(got.timezone);
    assert_null(got.currency);
    assert_null(hold);

    /* held outside the active hours: the hold travels too, held_at kept */
    {
        nxs_summary_item_t item = {
            "appointment.booked",  env->occurred_at, NULL, NULL, "Kick-off", NULL, NULL,
            NXS_IMPORTANCE_ROUTINE};
        json_t *h =
            nxs_held_hold_json("T1", "C_BOOK", "here", &item, apr_time_from_sec(1796640000), p);
        payload = nxs_chores_work_payload(env, &a, h, p);
        assert_int_equal(
            nxs_chores_work_parse(&back, &got, &hold, &why, payload, strlen(payload), p),
            APR_SUCCESS);
        assert_non_null(hold);
        assert_string_equal(hold->account_id, "acc_1");
        assert_string_equal(hold->event_id, "evt_1");
        assert_string_equal(hold->team_id, "T1");
        assert_string_equal(hold->channel_id, "C_BOOK");
        assert_string_equal(hold->mention, "here");
        assert_int_equal(hold->held_at, 1796640000);
        assert_non_null(strstr(hold->item_json, "Kick-off"));
        /* a hold without its channel is refused */
        json_object_del(h, "channel");
        payload = nxs_chores_work_payload(env, &a, h, p);
        assert_int_equal(
            nxs_chores_work_parse(&back, &got, &hold, &why, payload, strlen(payload), p),
            APR_EINVAL);
    }

    /* what is not such a payload is refused with a reason */
    assert_int_equal(nxs_chores_work_parse(&back, &got, &hold, &why, "[1]", 3, p), APR_EINVAL);
    assert_non_null(why);
    payload = "{\"event\":{\"id\":\"x\"}}";
    assert_int_equal(nxs_chores_work_parse(&back, &got, &hold, &why, payload, strlen(payload), p),
                     APR_EINVAL);
    assert_non_null(strstr(why, "event."));
    assert_int_equal(nxs_chores_work_parse(&back, &got, &hold, &why, "{\"ev", 4, p), APR_EINVAL);
}

static void the_alert_renders_as_starting_soon_at_its_current_start(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_render_settings_t s = {"en", "EUR", "Europe/Paris", NXS_MENTION_HERE, NULL, NULL};
    nxs_reminder_change_t c;
    nxs_reminder_t r;
    json_t *ev = NULL, *msg = NULL;
    const char *why = NULL, *text;

    nxs_chores_reminder_change(&c, booking(p, "appointment.booked", "2026-12-07T14:00:00Z"), p);
    memset(&r, 0, sizeof(r));
    r.record_id = "apt_1";
    r.event_id = "evt_r9";
    r.envelope_json = c.envelope_json;
    r.starts_at = 1796662800; /* rescheduled to 17:00Z = 18:00 in Paris */
    assert_int_equal(nxs_chores_reminder_envelope(&ev, &r, SEC(1796661900), p), APR_SUCCESS);
    assert_string_equal(nxs_json_path_str(ev, "type"), "appointment.starting_soon");
    assert_string_equal(nxs_json_path_str(ev, "id"), "soon/evt_r9");
    assert_string_equal(nxs_json_path_str(ev, "data.starts_at"), "2026-12-07T17:00:00Z");
    assert_string_equal(nxs_json_path_str(ev, "occurred_at"), "2026-12-07T16:45:00Z");
    assert_int_equal(nxs_render_event(&msg, &why, ev, &s, p), APR_SUCCESS);
    text = json_string_value(json_object_get(msg, "text"));
    assert_non_null(strstr(text, "Kick-off"));
    assert_non_null(strstr(text, "<!here>"));
    assert_non_null(strstr(nxs_json_dump(msg, 0, p), "6:00"));
    /* An id that would pass 64 characters is cut. */
    r.event_id = "e234567890123456789012345678901234567890123456789012345678901234";
    assert_int_equal(nxs_chores_reminder_envelope(&ev, &r, SEC(1796661900), p), APR_SUCCESS);
    assert_int_equal(strlen(nxs_json_path_str(ev, "id")), 64);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_recap_is_due_from_nine_until_the_local_day_ends),
    NXS_TEST(the_same_instant_gives_another_recap_day_after_a_zone_change),
    NXS_TEST(the_next_recap_is_the_earliest_nine_oclock_among_accounts),
    NXS_TEST(the_zone_memo_computes_each_zone_once),
    NXS_TEST(chore_slots_and_node_ids),
    NXS_TEST(the_status_shows_pending_alerts_finished_work_and_next_times),
    NXS_TEST(booking_events_become_alert_changes),
    NXS_TEST(the_alert_renders_as_starting_soon_at_its_current_start),
    NXS_TEST(scheduled_work_is_known_by_type_and_travels_with_zone_and_currency),
};

NXS_RUN_TESTS(tests)
