/* Specification of the decoding of Slack interaction requests: the form,
 * its percent-encoding, and the fields of a block_actions payload. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <string.h>

#include "slack/nxs_interaction_payload.h"
#include "nxs_json.h"

/* A block_actions payload shaped like Slack's, form-encoded as Slack does. */
static const char *form(const char *json, apr_pool_t *p)
{
    char *enc = curl_easy_escape(NULL, json, 0);
    const char *out = apr_pstrcat(p, "payload=", enc, NULL);
    curl_free(enc);
    return out;
}

static const char click[] =
    "{\"type\":\"block_actions\",\"team\":{\"id\":\"T0001\",\"domain\":\"acme\"},"
    "\"user\":{\"id\":\"U024BE7LH\",\"username\":\"claire\",\"name\":\"claire\"},"
    "\"api_app_id\":\"A1\",\"container\":{\"type\":\"message\",\"message_ts\":\"1764320000."
    "000100\","
    "\"channel_id\":\"C0PAY\",\"is_ephemeral\":false},\"channel\":{\"id\":\"C0PAY\",\"name\":"
    "\"pay\"},"
    "\"message\":{\"ts\":\"1764320000.000100\",\"text\":\"x\"},"
    "\"response_url\":\"https://hooks.slack.com/actions/T0001/1/abc\","
    "\"actions\":[{\"action_id\":\"nxs_handled\",\"block_id\":\"nxs_actions\",\"value\":\"d_abc\","
    "\"type\":\"button\",\"action_ts\":\"1764320100.123456\"}]}";

static void a_block_actions_click_is_decoded(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *body = form(click, p), *why = "unset";
    nxs_interaction_t ix;

    assert_int_equal(nxs_interaction_parse(&ix, &why, body, strlen(body), p), APR_SUCCESS);
    assert_null(why);
    assert_string_equal(ix.type, "block_actions");
    assert_string_equal(ix.team_id, "T0001");
    assert_string_equal(ix.user_id, "U024BE7LH");
    assert_string_equal(ix.user_name, "claire");
    assert_string_equal(ix.channel_id, "C0PAY");
    assert_string_equal(ix.message_ts, "1764320000.000100");
    assert_string_equal(ix.response_url, "https://hooks.slack.com/actions/T0001/1/abc");
    assert_string_equal(ix.action_id, "nxs_handled");
    assert_string_equal(ix.value, "d_abc");
    assert_string_equal(ix.action_ts, "1764320100.123456");
}

static void plus_is_a_space_and_other_fields_are_ignored(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *body = "token=legacy&payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22"
                       "%3A%7B%22id%22%3A%22U1%22%2C%22name%22%3A%22Claire+Martin%22%7D%7D&x=1";
    const char *why = NULL;
    nxs_interaction_t ix;

    assert_int_equal(nxs_interaction_parse(&ix, &why, body, strlen(body), p), APR_SUCCESS);
    assert_string_equal(ix.user_name, "Claire Martin");
    assert_null(ix.channel_id);
    assert_null(ix.action_id);
    assert_null(ix.response_url);
}

static void the_body_length_is_honoured(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *body = form("{\"type\":\"block_actions\"}", p);
    const char *longer = apr_pstrcat(p, body, "&payload=x", NULL), *why = NULL;
    nxs_interaction_t ix;

    /* Bytes past LEN (here a second payload) are not part of the request. */
    assert_int_equal(nxs_interaction_parse(&ix, &why, longer, strlen(body), p), APR_SUCCESS);
    assert_int_equal(nxs_interaction_parse(&ix, &why, longer, strlen(longer), p), APR_EINVAL);
    assert_string_equal(why, "no_payload");
}

static void what_is_not_an_interaction_is_refused_with_a_reason(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    static const struct {
        const char *body;
        const char *why;
    } cases[] = {
        {"", "no_payload"},
        {"token=x&user=y", "no_payload"},
        {"payloads=%7B%7D", "no_payload"},
        {"payload=%7B%7D&payload=%7B%7D", "no_payload"},
        {"payload=", "malformed_payload"},
        {"payload=not%20json", "malformed_payload"},
        {"payload=%5B1%5D", "malformed_payload"},
        {"payload=%7B%22type%22%3A%22x%00%22%7D", "malformed_payload"},
        {"payload=%7B%22team%22%3A%7B%7D%7D", "missing_type"},
        {"payload=%7B%22type%22%3A%22%22%7D", "missing_type"},
        {"payload=%7B%22type%22%3A7%7D", "missing_type"},
    };
    nxs_interaction_t ix;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *why = NULL;
        assert_int_equal(nxs_interaction_parse(&ix, &why, cases[i].body, strlen(cases[i].body), p),
                         APR_EINVAL);
        if (strcmp(why, cases[i].why) != 0) {
            fail_msg("%s: got %s, want %s", cases[i].body, why, cases[i].why);
        }
    }
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_block_actions_click_is_decoded),
    NXS_TEST(plus_is_a_space_and_other_fields_are_ignored),
    NXS_TEST(the_body_length_is_honoured),
    NXS_TEST(what_is_not_an_interaction_is_refused_with_a_reason),
};

NXS_RUN_TESTS(tests)
