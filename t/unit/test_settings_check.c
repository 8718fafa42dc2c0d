/* Specification of nxs_check_filters: the advanced filters document the
 * settings API accepts (README "JSON API", PUT api/filters), what it
 * refuses and the message that names the field. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_json.h"
#include "nxs_settings_check.h"

/* JSON written with single quotes. */
static json_t *doc(const char *single_quoted, apr_pool_t *p)
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

static void accepted(const char *filters, apr_pool_t *p)
{
    json_t *in = doc(filters, p), *out = NULL;
    const char *field = NULL;
    const char *err = nxs_check_filters(&out, &field, in, p);

    if (err) {
        fail_msg("refused: %s", err);
    }
    assert_true(json_equal(in, out));
    json_decref(out);
}

/* The refusal's message; *field (when FIELD is not NULL) the field it names. */
static const char *refused_at(const char **field, const char *filters, apr_pool_t *p)
{
    json_t *out = NULL;
    const char *at = NULL;
    const char *err = nxs_check_filters(&out, &at, doc(filters, p), p);

    assert_non_null(err);
    assert_null(out);
    assert_non_null(at);
    if (field) {
        *field = at;
    }
    return err;
}

static const char *refused(const char *filters, apr_pool_t *p)
{
    return refused_at(NULL, filters, p);
}

/* The settings page shows a refusal next to the field it names. */
static void each_refusal_names_its_field(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const char *const cases[][2] = {
        {"{'amount_thresholds': {'payments': 'abc'}}", "amount_thresholds.payments"},
        {"{'amount_thresholds': {'contacts': '10'}}", "amount_thresholds.contacts"},
        {"{'amount_thresholds': []}", "amount_thresholds"},
        /* Not a category: no field of that name, so the object itself. */
        {"{'amount_thresholds': {'paymen:s': '500'}}", "amount_thresholds"},
        {"{'amount_thresholds': {'pay ments': '500'}}", "amount_thresholds"},
        {"{'amount_thresholds': {'': '500'}}", "amount_thresholds"},
        {"{'client_channels': {'cli_9': '#acme'}}", "client_channels.cli_9"},
        {"{'project_channels': {'prj 5': 'C0WEB'}}", "project_channels"},
        {"{'members': {'payments': ['mem 3']}}", "members.payments"},
        {"{'members': {'recap': ['mem_3']}}", "members"},
        {"{'active_hours': {'days': ['noel'], 'start': '09:00', 'end': '19:00'}}",
         "active_hours.days"},
        {"{'active_hours': {'days': ['mon'], 'start': '9h', 'end': '19:00'}}",
         "active_hours.start"},
        {"{'active_hours': {'days': []}}", "active_hours"},
        {"{'colors': {}}", "filters"},
        {"[]", "filters"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *field = NULL;
        refused_at(&field, cases[i][0], p);
        if (strcmp(field, cases[i][1]) != 0) {
            fail_msg("%s: field %s, expected %s", cases[i][0], field, cases[i][1]);
        }
    }
}

static void the_readmes_example_is_accepted_as_sent(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    accepted("{'amount_thresholds': {'payments': '500.00'}, 'client_channels': {'cli_9': "
             "'C0ACME'}, 'project_channels': {'prj_5': 'C0WEB'}, 'members': {'payments': "
             "['mem_3']}, 'active_hours': {'days': ['mon','tue','wed','thu','fri'], 'start': "
             "'09:00', 'end': '19:00'}}",
             p);
    accepted("{}", p);
    accepted("{'active_hours': null, 'members': {'contacts': []}}", p);
}

static void active_hours_may_cross_midnight(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    accepted("{'active_hours': {'days': ['fri'], 'start': '22:00', 'end': '06:00'}}", p);
    accepted("{'active_hours': {'days': ['mon'], 'start': '00:00', 'end': '24:00'}}", p);
    assert_string_equal(
        refused("{'active_hours': {'days': ['mon'], 'start': '09:00', 'end': '09:00'}}", p),
        "active_hours.start and end must be HH:MM (the end may be 24:00) and differ; an end "
        "before the start is on the next day, as in 22:00 to 06:00");
    assert_string_equal(
        refused("{'active_hours': {'days': ['mon', 'noel'], 'start': '09:00', 'end': '19:00'}}", p),
        "active_hours.days[1] must be one of mon tue wed thu fri sat sun");
}

static void thresholds_are_plain_decimals_on_categories_with_amounts(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    accepted("{'amount_thresholds': {'payments': '500', 'quotes': '1000.50', 'alerts': '0'}}", p);
    assert_string_equal(refused("{'amount_thresholds': {'contacts': '10'}}", p),
                        "amount_thresholds.contacts: only payments, quotes and alerts carry "
                        "amounts");
    assert_string_equal(refused("{'amount_thresholds': {'paymen:s': '10'}}", p),
                        "amount_thresholds: 'paymen:s' is not a category (only payments, quotes "
                        "and alerts carry amounts)");
    assert_string_equal(refused("{'amount_thresholds': {'payments': '-5'}}", p),
                        "amount_thresholds.payments must be a decimal string such as \"500.00\"");
    /* A threshold nxs_decimal could not compare: */
    assert_string_equal(refused("{'amount_thresholds': {'payments': '500.'}}", p),
                        "amount_thresholds.payments must be a decimal string such as \"500.00\"");
    assert_string_equal(refused("{'amount_thresholds': {'payments': '1234567890123456789'}}", p),
                        "amount_thresholds.payments must be a decimal string such as \"500.00\"");
}

static void routes_and_members_name_ids_and_channels(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(refused("{'client_channels': {'cli_9': '#acme'}}", p),
                        "client_channels.cli_9 must be a Slack channel ID such as C0123ABCD");
    assert_string_equal(refused("{'project_channels': {'prj 5': 'C0WEB'}}", p),
                        "project_channels: 'prj 5' is not a Nexte id");
    assert_string_equal(refused("{'members': {'recap': ['mem_3']}}", p),
                        "members: 'recap' is not a category with members");
    assert_string_equal(refused("{'colors': {}}", p),
                        "unknown filter 'colors' (known: amount_thresholds, client_channels, "
                        "project_channels, members, active_hours)");
    assert_string_equal(refused("[]", p), "filters must be a JSON object");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(the_readmes_example_is_accepted_as_sent),
    NXS_TEST(active_hours_may_cross_midnight),
    NXS_TEST(thresholds_are_plain_decimals_on_categories_with_amounts),
    NXS_TEST(routes_and_members_name_ids_and_channels),
    NXS_TEST(each_refusal_names_its_field),
};

NXS_RUN_TESTS(tests)
