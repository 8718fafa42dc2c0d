/* Envelope validation: every catalog fixture passes; each broken field is
 * named precisely; unknown extra fields are ignored. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <dirent.h>
#include <string.h>

#include "event/nxs_envelope.h"
#include "nxs_json.h"

#define VALID                                                                                      \
    "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"account_id\":\"acc_42\","                       \
    "\"occurred_at\":\"2026-11-28T08:59:12Z\",\"member\":{\"id\":\"mem_3\",\"name\":\"Hugo\"},"    \
    "\"client\":{\"id\":\"cli_9\",\"name\":\"Acme\"},\"amount\":{\"value\":\"1250.00\","           \
    "\"currency\":\"EUR\"},\"data\":{\"method\":\"card\"},\"future_field\":[1,2,3]}"

static apr_status_t parse_text(nxs_envelope_t *env, const char **field, const char **why,
                               const char *text, apr_pool_t *p)
{
    json_t *root = NULL;
    const char *jwhy = NULL;

    assert_int_equal(nxs_json_load(&root, &jwhy, text, strlen(text), p), APR_SUCCESS);
    return nxs_envelope_parse(env, field, why, root, p);
}

/* VALID with FROM replaced by TO. */
static const char *variant(apr_pool_t *p, const char *from, const char *to)
{
    const char *at = strstr(VALID, from);
    assert_non_null(at);
    return apr_pstrcat(p, apr_pstrndup(p, VALID, (apr_size_t)(at - VALID)), to, at + strlen(from),
                       NULL);
}

static void a_valid_envelope_is_parsed_and_extra_fields_ignored(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env;
    const char *field = NULL, *why = NULL;

    assert_int_equal(parse_text(&env, &field, &why, VALID, p), APR_SUCCESS);
    assert_string_equal(env.id, "evt_1");
    assert_string_equal(env.category, "payments");
    assert_true(env.postable);
    assert_string_equal(env.amount, "1250.00");
    assert_string_equal(env.currency, "EUR");
    assert_string_equal(env.member_id, "mem_3");
    assert_string_equal(env.client_id, "cli_9");
    assert_null(env.project_id);
    assert_int_equal(apr_time_sec(env.occurred_at), 1795856352);
}

static void every_catalog_fixture_is_valid(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    DIR *d = opendir("t/fixtures/events");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d))) {
        json_t *root = NULL;
        const char *why = NULL, *field = NULL;
        nxs_envelope_t env;
        if (!strstr(e->d_name, ".json")) {
            continue;
        }
        assert_int_equal(nxs_json_load_file(
                             &root, &why, apr_pstrcat(p, "t/fixtures/events/", e->d_name, NULL), p),
                         APR_SUCCESS);
        if (nxs_envelope_parse(&env, &field, &why, root, p) != APR_SUCCESS) {
            fail_msg("%s: %s %s", e->d_name, field, why);
        }
        ++n;
    }
    closedir(d);
    assert_true(n >= 18);
}

static void each_broken_field_is_named(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    struct {
        const char *from, *to, *field;
    } cases[] = {
        {"\"id\":\"evt_1\"", "\"id\":\"\"", "id"},
        {"\"id\":\"evt_1\"", "\"id\":\"evt 1\"", "id"},
        {"\"id\":\"evt_1\"", "\"id\":42", "id"},
        {"\"type\":\"invoice.paid\"", "\"type\":\"invoice.eaten\"", "type"},
        {"\"type\":\"invoice.paid\"", "\"type\":\"appointment.starting_soon\"", "type"},
        {"\"account_id\":\"acc_42\"", "\"account_id\":\"acc/42\"", "account_id"},
        {"\"occurred_at\":\"2026-11-28T08:59:12Z\"", "\"occurred_at\":\"yesterday\"",
         "occurred_at"},
        {"\"occurred_at\":\"2026-11-28T08:59:12Z\"", "\"occurred_at\":\"2026-11-28 08:59\"",
         "occurred_at"},
        {"\"member\":{\"id\":\"mem_3\",\"name\":\"Hugo\"}", "\"member\":\"mem_3\"", "member"},
        {"\"client\":{\"id\":\"cli_9\",", "\"client\":{\"id\":9,", "client.id"},
        {"\"value\":\"1250.00\"", "\"value\":1250", "amount.value"},
        {"\"value\":\"1250.00\"", "\"value\":\"1,250.00\"", "amount.value"},
        {"\"currency\":\"EUR\"", "\"currency\":\"EURO\"", "amount.currency"},
        {"\"data\":{\"method\":\"card\"}", "\"data\":[1]", "data"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        nxs_envelope_t env;
        const char *field = NULL, *why = NULL;
        assert_int_equal(parse_text(&env, &field, &why, variant(p, cases[i].from, cases[i].to), p),
                         APR_EINVAL);
        assert_string_equal(field, cases[i].field);
        assert_non_null(why);
    }
}

static void missing_required_fields_are_named(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env;
    const char *field = NULL, *why = NULL;

    assert_int_equal(parse_text(&env, &field, &why, "{}", p), APR_EINVAL);
    assert_string_equal(field, "id");
    assert_int_equal(parse_text(&env, &field, &why, "{\"id\":\"e\"}", p), APR_EINVAL);
    assert_string_equal(field, "type");
    assert_int_equal(parse_text(&env, &field, &why, "[1]", p), APR_EINVAL);
    assert_string_equal(field, "(root)");
}

static void non_posted_types_have_no_category(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_envelope_t env;
    const char *field = NULL, *why = NULL;

    assert_int_equal(
        parse_text(&env, &field, &why,
                   variant(p, "\"type\":\"invoice.paid\"", "\"type\":\"account.updated\""), p),
        APR_SUCCESS);
    assert_null(env.category);
    assert_false(env.postable);
    assert_int_equal(
        parse_text(&env, &field, &why,
                   variant(p, "\"type\":\"invoice.paid\"", "\"type\":\"invoice.overdue\""), p),
        APR_SUCCESS);
    assert_string_equal(env.category, "alerts");
    assert_false(env.postable); /* no days_overdue > 7 */
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_valid_envelope_is_parsed_and_extra_fields_ignored),
    NXS_TEST(every_catalog_fixture_is_valid),
    NXS_TEST(each_broken_field_is_named),
    NXS_TEST(missing_required_fields_are_named),
    NXS_TEST(non_posted_types_have_no_category),
};

NXS_RUN_TESTS(tests)
