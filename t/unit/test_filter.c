/* Specification of nxs_filter_event: the Agency plan's filters on a routed
 * event, in their order (event/nxs_filter.h, docs/FILTERS.md): what is
 * posted where, what is held until when, what is dropped and why. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <string.h>

#include "event/nxs_filter.h"
#include "nxs_json.h"

#define SEC(s) apr_time_from_sec(s)

/* Monday 2026-11-30 in Paris (UTC+1): 10:00 and 20:00 local time, and
 * Tuesday's 09:00. */
#define MONDAY_10H      SEC(1796029200)
#define MONDAY_20H      SEC(1796065200)
#define TUESDAY_09H_SEC 1796112000

static const nxs_route_t payments_route = {NULL, "T0TEAM", "C0PAYMENTS", NXS_MENTION_HERE};
static const nxs_account_t agency = {"acc_42", "agency", "Europe/Paris", "en", "EUR", 0};

/* An invoice.paid of 1250.00 EUR for client cli_9, project prj_5, owned by mem_3. */
static nxs_envelope_t paid(void)
{
    nxs_envelope_t env;

    memset(&env, 0, sizeof(env));
    env.id = "evt_1";
    env.type = "invoice.paid";
    env.account_id = "acc_42";
    env.occurred_at = MONDAY_10H;
    env.category = "payments";
    env.postable = 1;
    env.amount = "1250.00";
    env.currency = "EUR";
    env.member_id = "mem_3";
    env.client_id = "cli_9";
    env.project_id = "prj_5";
    return env;
}

/* JSON written with single quotes. */
static json_t *filters(const char *single_quoted, apr_pool_t *p)
{
    char *text = apr_pstrdup(p, single_quoted);
    json_t *v = NULL;
    const char *why = NULL;

    for (char *c = text; *c; c++) {
        *c = *c == '\'' ? '"' : *c;
    }
    if (nxs_json_load(&v, &why, text, strlen(text), p) != APR_SUCCESS) {
        fail_msg("bad test JSON: %s", why);
    }
    return v;
}

static nxs_filter_t decide_for(const nxs_envelope_t *env, const nxs_route_t *route,
                               const nxs_account_t *account, const char *doc, apr_time_t now,
                               apr_pool_t *p)
{
    nxs_filter_t out;
    const char *why = NULL;

    if (nxs_filter_event(&out, &why, env, route, account, doc ? filters(doc, p) : NULL, now, p) !=
        APR_SUCCESS) {
        fail_msg("filters refused: %s", why);
    }
    return out;
}

static nxs_filter_t decide(const nxs_envelope_t *env, const char *doc, apr_pool_t *p)
{
    return decide_for(env, &payments_route, &agency, doc, MONDAY_10H, p);
}

static void assert_posted(const nxs_filter_t *f, const char *channel, nxs_filter_via_e via)
{
    assert_int_equal(f->action, NXS_FILTER_POST);
    assert_null(f->reason);
    assert_string_equal(f->team, "T0TEAM");
    assert_string_equal(f->channel, channel);
    assert_int_equal(f->via, via);
    assert_int_equal(f->mention, NXS_MENTION_HERE); /* the category's, wherever it goes */
}

static void assert_dropped(const nxs_filter_t *f, const char *reason)
{
    assert_int_equal(f->action, NXS_FILTER_DROP);
    assert_string_equal(f->reason, reason);
}

static const char *const everything =
    "{'amount_thresholds': {'payments': '5000'}, 'members': {'payments': ['mem_9']}, "
    "'client_channels': {'cli_9': 'C0ACME'}, 'active_hours': {'days': ['sat'], 'start': "
    "'09:00', 'end': '10:00'}}";

static void below_agency_the_filters_are_kept_but_not_applied(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_account_t team = agency;
    nxs_filter_t f;

    team.plan = "team";
    f = decide_for(&env, &payments_route, &team, everything, MONDAY_20H, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    team.plan = "solo";
    f = decide_for(&env, &payments_route, &team, everything, MONDAY_20H, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    team.plan = NULL;
    f = decide_for(&env, &payments_route, &team, everything, MONDAY_20H, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void without_filters_the_category_route_stands(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_filter_t f;

    f = decide(&env, NULL, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    f = decide(&env, "{}", p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    f = decide(&env, "{'active_hours': null, 'members': {'payments': []}}", p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void what_the_category_map_does_not_post_no_filter_posts(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_route_t unmapped = {"category_unmapped", NULL, NULL, NXS_MENTION_NONE};
    nxs_route_t offline = {"not_connected", NULL, NULL, NXS_MENTION_NONE};
    nxs_filter_t f;

    /* cli_9 has a channel of its own, but payments are not mapped. */
    f = decide_for(&env, &unmapped, &agency, "{'client_channels': {'cli_9': 'C0ACME'}}", MONDAY_10H,
                   p);
    assert_dropped(&f, "category_unmapped");
    f = decide_for(&env, &offline, &agency, NULL, MONDAY_10H, p);
    assert_dropped(&f, "not_connected");
}

static void a_threshold_posts_only_amounts_above_it(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'amount_thresholds': {'payments': '500.00'}}";
    nxs_filter_t f;

    env.amount = "499.99";
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
    env.amount = "500";
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD); /* "above", not "at least" */
    env.amount = "500.01";
    f = decide(&env, doc, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    env.amount = "90"; /* compared as numbers, not as text */
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
    /* Another category's threshold does not apply. */
    env.amount = "10.00";
    f = decide(&env, "{'amount_thresholds': {'quotes': '500'}}", p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void a_refund_is_measured_by_its_size_whatever_its_sign(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'amount_thresholds': {'payments': '500'}}";
    nxs_filter_t f;

    env.type = "refund.issued";
    env.amount = "-600.00";
    f = decide(&env, doc, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    env.amount = "-120.00";
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
}

static void an_amount_in_another_currency_is_never_filtered(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'amount_thresholds': {'payments': '500'}}";
    nxs_account_t no_currency = agency;
    nxs_filter_t f;

    /* £450 (about €520) is below 500 only as a number. */
    env.amount = "450";
    env.currency = "GBP";
    f = decide(&env, doc, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    /* An amount without its currency is in the account's. */
    env.currency = NULL;
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
    /* An account without a currency has nothing to compare with. */
    no_currency.currency = NULL;
    env.currency = "EUR";
    f = decide_for(&env, &payments_route, &no_currency, doc, MONDAY_10H, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void an_event_without_an_amount_passes_a_threshold(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_route_t alerts = {NULL, "T0TEAM", "C0ALERTS", NXS_MENTION_HERE};
    nxs_filter_t f;

    env.type = "integration.error";
    env.category = "alerts";
    env.amount = env.currency = NULL;
    f = decide_for(&env, &alerts, &agency, "{'amount_thresholds': {'alerts': '1000'}}", MONDAY_10H,
                   p);
    assert_posted(&f, "C0ALERTS", NXS_FILTER_VIA_CATEGORY);
}

static void a_member_filter_posts_only_the_chosen_members(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'members': {'payments': ['mem_3', 'mem_7'], 'quotes': ['mem_9']}}";
    nxs_filter_t f;

    f = decide(&env, doc, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    env.member_id = "mem_8";
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_MEMBER_FILTERED);
    /* No member: not one of the chosen. */
    env.member_id = NULL;
    f = decide(&env, doc, p);
    assert_dropped(&f, NXS_FILTER_MEMBER_FILTERED);
    /* An empty list chooses nobody: no filter. */
    f = decide(&env, "{'members': {'payments': []}}", p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    /* Another category's list does not apply. */
    env.member_id = "mem_8";
    f = decide(&env, "{'members': {'quotes': ['mem_9']}}", p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void the_threshold_is_applied_before_the_member_filter(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_filter_t f;

    env.amount = "10.00";
    env.member_id = "mem_8";
    f = decide(&env,
               "{'amount_thresholds': {'payments': '500'}, 'members': {'payments': ['mem_3']}}", p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
}

static void a_client_or_project_channel_replaces_the_category_channel(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_filter_t f;

    f = decide(&env, "{'client_channels': {'cli_9': 'C0ACME'}}", p);
    assert_posted(&f, "C0ACME", NXS_FILTER_VIA_CLIENT);
    f = decide(&env, "{'project_channels': {'prj_5': 'C0WEB'}}", p);
    assert_posted(&f, "C0WEB", NXS_FILTER_VIA_PROJECT);
    /* Both match: the project, the finer choice, wins. */
    f = decide(&env,
               "{'client_channels': {'cli_9': 'C0ACME'}, 'project_channels': {'prj_5': 'C0WEB'}}",
               p);
    assert_posted(&f, "C0WEB", NXS_FILTER_VIA_PROJECT);
    /* Another project's channel leaves the client's. */
    f = decide(&env,
               "{'client_channels': {'cli_9': 'C0ACME'}, 'project_channels': {'prj_6': 'C0WEB'}}",
               p);
    assert_posted(&f, "C0ACME", NXS_FILTER_VIA_CLIENT);
    /* Events without client or project go to the category. */
    env.client_id = env.project_id = NULL;
    f = decide(&env,
               "{'client_channels': {'cli_9': 'C0ACME'}, 'project_channels': {'prj_5': 'C0WEB'}}",
               p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
}

static void thresholds_and_members_apply_in_a_dedicated_channel_too(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_filter_t f;

    env.amount = "100.00";
    f = decide(&env,
               "{'client_channels': {'cli_9': 'C0ACME'}, 'amount_thresholds': {'payments': '500'}}",
               p);
    assert_dropped(&f, NXS_FILTER_BELOW_THRESHOLD);
    f = decide(&env, "{'project_channels': {'prj_5': 'C0WEB'}, 'members': {'payments': ['mem_1']}}",
               p);
    assert_dropped(&f, NXS_FILTER_MEMBER_FILTERED);
}

static void outside_active_hours_an_event_is_held_for_its_channel(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'client_channels': {'cli_9': 'C0ACME'}, 'active_hours': {'days': "
                      "['mon','tue','wed','thu','fri'], 'start': '09:00', 'end': '19:00'}}";
    nxs_filter_t f;

    f = decide_for(&env, &payments_route, &agency, doc, MONDAY_10H, p);
    assert_posted(&f, "C0ACME", NXS_FILTER_VIA_CLIENT);
    /* Monday 20:00 in Paris: held for the client's channel until Tuesday 09:00. */
    env.occurred_at = MONDAY_10H; /* what counts is when it would be posted */
    f = decide_for(&env, &payments_route, &agency, doc, MONDAY_20H, p);
    assert_int_equal(f.action, NXS_FILTER_HOLD);
    assert_string_equal(f.reason, NXS_FILTER_OUTSIDE_HOURS);
    assert_string_equal(f.channel, "C0ACME");
    assert_int_equal(f.via, NXS_FILTER_VIA_CLIENT);
    assert_int_equal(f.mention, NXS_MENTION_HERE);
    assert_int_equal(apr_time_sec(f.release_at), TUESDAY_09H_SEC);
    /* Dropped is dropped, at night too. */
    env.member_id = NULL;
    f = decide_for(&env, &payments_route, &agency,
                   "{'members': {'payments': ['mem_3']}, 'active_hours': {'days': ['mon'], "
                   "'start': '09:00', 'end': '19:00'}}",
                   MONDAY_20H, p);
    assert_dropped(&f, NXS_FILTER_MEMBER_FILTERED);
}

static void active_hours_are_read_in_the_accounts_zone(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    const char *doc = "{'active_hours': {'days': ['mon','tue','wed','thu','fri'], 'start': "
                      "'09:00', 'end': '19:00'}}";
    nxs_account_t account = agency;
    nxs_filter_t f;

    /* Monday 10:00 in Paris is 04:00 in New York: held until 09:00 EST (14:00Z). */
    account.timezone = "America/New_York";
    f = decide_for(&env, &payments_route, &account, doc, MONDAY_10H, p);
    assert_int_equal(f.action, NXS_FILTER_HOLD);
    assert_int_equal(apr_time_sec(f.release_at), 1796047200);
    /* A zone ICU does not know, or none: UTC, where 09:00Z has passed. */
    account.timezone = "Mars/Olympus_Mons";
    f = decide_for(&env, &payments_route, &account, doc, MONDAY_10H, p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    account.timezone = NULL;
    f = decide_for(&env, &payments_route, &account, doc, MONDAY_10H - SEC(3600), p);
    assert_int_equal(f.action, NXS_FILTER_HOLD);
    assert_int_equal(apr_time_sec(f.release_at), 1796029200); /* 09:00Z */
}

static void a_night_window_and_the_pre_meeting_alert(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    nxs_route_t booking = {NULL, "T0TEAM", "C0BOOKING", NXS_MENTION_HERE};
    const char *night = "{'active_hours': {'days': ['mon'], 'start': '22:00', 'end': '06:00'}}";
    nxs_filter_t f;

    /* Monday 22:00 to Tuesday 06:00: Tuesday 03:00 (02:00Z) is inside. */
    f = decide_for(&env, &payments_route, &agency, night, SEC(TUESDAY_09H_SEC - 6 * 3600), p);
    assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    f = decide_for(&env, &payments_route, &agency, night, MONDAY_10H, p);
    assert_int_equal(f.action, NXS_FILTER_HOLD);
    assert_int_equal(apr_time_sec(f.release_at), 1796029200 + 12 * 3600); /* Monday 22:00 */
    /* The alert 15 minutes before a meeting goes now or never. */
    env.type = "appointment.starting_soon";
    env.category = "booking";
    env.amount = env.currency = NULL;
    f = decide_for(&env, &booking, &agency, night, MONDAY_10H, p);
    assert_posted(&f, "C0BOOKING", NXS_FILTER_VIA_CATEGORY);
}

static void a_broken_setting_is_reported_and_never_loses_the_event(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env = paid();
    static const struct {
        const char *doc, *why;
    } broken[] = {
        {"{'amount_thresholds': {'payments': 'abc'}}", "amount_thresholds"},
        {"{'amount_thresholds': {'payments': '-5'}}", "amount_thresholds"},
        {"{'amount_thresholds': ['500']}", "amount_thresholds"},
        {"{'members': {'payments': 'mem_3'}}", "members"},
        {"{'members': {'payments': [3]}}", "members"},
        {"{'client_channels': {'cli_9': '#acme'}}", "client_channels"},
        {"{'project_channels': {'prj_5': 5}}", "project_channels"},
        {"{'active_hours': {'days': ['mon'], 'start': '09:00', 'end': '09:00'}}", "active_hours"},
        {"[]", "filters"},
    };
    nxs_filter_t f;
    const char *why;

    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        assert_int_equal(nxs_filter_event(&f, &why, &env, &payments_route, &agency,
                                          filters(broken[i].doc, p), MONDAY_20H, p),
                         APR_EINVAL);
        assert_string_equal(why, broken[i].why);
        assert_posted(&f, "C0PAYMENTS", NXS_FILTER_VIA_CATEGORY);
    }
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(below_agency_the_filters_are_kept_but_not_applied),
    NXS_TEST(without_filters_the_category_route_stands),
    NXS_TEST(what_the_category_map_does_not_post_no_filter_posts),
    NXS_TEST(a_threshold_posts_only_amounts_above_it),
    NXS_TEST(a_refund_is_measured_by_its_size_whatever_its_sign),
    NXS_TEST(an_amount_in_another_currency_is_never_filtered),
    NXS_TEST(an_event_without_an_amount_passes_a_threshold),
    NXS_TEST(a_member_filter_posts_only_the_chosen_members),
    NXS_TEST(the_threshold_is_applied_before_the_member_filter),
    NXS_TEST(a_client_or_project_channel_replaces_the_category_channel),
    NXS_TEST(thresholds_and_members_apply_in_a_dedicated_channel_too),
    NXS_TEST(outside_active_hours_an_event_is_held_for_its_channel),
    NXS_TEST(active_hours_are_read_in_the_accounts_zone),
    NXS_TEST(a_night_window_and_the_pre_meeting_alert),
    NXS_TEST(a_broken_setting_is_reported_and_never_loses_the_event),
};

NXS_RUN_TESTS(tests)
