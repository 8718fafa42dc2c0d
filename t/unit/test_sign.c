/* Request signatures: Nexte v1 headers, Slack v0 headers and launch links,
 * with every refusal code and the edges of the 300-second window. */
#include "nxs_test.h"

#include "security/nxs_crypto.h"
#include "security/nxs_sign.h"

#include <string.h>

static const char secret[] = "nexte-event-secret-for-tests";
#define SECRET_LEN (sizeof(secret) - 1)

static const char body[] = "{\"id\":\"evt_1\"}";
#define BODY_LEN (sizeof(body) - 1)

/* printf 'v1:1700000000:{"id":"evt_1"}' | openssl dgst -sha256 -hmac <secret> */
static const char good_sig[] =
    "v1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556";

#define T0 APR_INT64_C(1700000000)

static apr_status_t nexte_at(const char **why, const char *ts, const char *sig, apr_int64_t now,
                             apr_pool_t *p)
{
    return nxs_sign_nexte_verify(why, secret, SECRET_LEN, ts, sig, body, BODY_LEN,
                                 apr_time_from_sec(now), p);
}

static void nexte_accepts_a_known_good_signature(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = "unset";

    assert_int_equal(nexte_at(&why, "1700000000", good_sig, T0, p), APR_SUCCESS);
    assert_null(why);
}

static void nexte_make_produces_the_known_headers_and_verifies(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *ts = NULL, *sig = NULL;

    assert_int_equal(nxs_sign_nexte_make(&ts, &sig, secret, SECRET_LEN, body, BODY_LEN,
                                         apr_time_from_sec(T0) + 999999, p),
                     APR_SUCCESS);
    assert_string_equal(ts, "1700000000");
    assert_string_equal(sig, good_sig);
    assert_int_equal(nexte_at(NULL, ts, sig, T0, p), APR_SUCCESS);
}

static void nexte_window_is_300_seconds_either_way(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;

    /* the request is T0; the server's clock is ahead, then behind */
    assert_int_equal(nexte_at(&why, "1700000000", good_sig, T0 + 300, p), APR_SUCCESS);
    assert_int_equal(nexte_at(&why, "1700000000", good_sig, T0 + 301, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_STALE_TIMESTAMP);
    assert_int_equal(nexte_at(&why, "1700000000", good_sig, T0 - 300, p), APR_SUCCESS);
    assert_int_equal(nexte_at(&why, "1700000000", good_sig, T0 - 301, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_STALE_TIMESTAMP);
}

static void nexte_window_counts_whole_seconds(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_int_equal(nxs_sign_nexte_verify(NULL, secret, SECRET_LEN, "1700000000", good_sig, body,
                                           BODY_LEN, apr_time_from_sec(T0 + 300) + 999999, p),
                     APR_SUCCESS);
}

static void nexte_refuses_a_changed_body(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    const char *changed = "{\"id\":\"evt_2\"}";

    assert_int_equal(nxs_sign_nexte_verify(&why, secret, SECRET_LEN, "1700000000", good_sig,
                                           changed, strlen(changed), apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    /* one byte cut off the end */
    assert_int_equal(nxs_sign_nexte_verify(&why, secret, SECRET_LEN, "1700000000", good_sig, body,
                                           BODY_LEN - 1, apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

static void nexte_refuses_a_changed_timestamp(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;

    assert_int_equal(nexte_at(&why, "1700000001", good_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    /* same number, other spelling: the signed text is what counts */
    assert_int_equal(nexte_at(&why, "01700000000", good_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

static void nexte_refuses_another_secret(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;

    assert_int_equal(nxs_sign_nexte_verify(&why, "another-secret", 14, "1700000000", good_sig, body,
                                           BODY_LEN, apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

static void nexte_refuses_malformed_signature_headers(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    const char *bad[] = {
        "036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556",     /* no v1= */
        "v1=036A265CB12FD96EFA3F193CF096E99587758AEA01BDD6CF5437095C90FA8556",  /* upper */
        "v1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa855",   /* 63 */
        "v1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa85560", /* 65 */
        "v0=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556",  /* Slack's */
        "V1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556",
        "v1:036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556",
        "v1= 036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa855",
        "v1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556 ",
        "sha256=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556",
        "v1=",
        "v1",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        assert_int_equal(nexte_at(&why, "1700000000", bad[i], T0, p), APR_EACCES);
        assert_string_equal(why, NXS_WHY_MALFORMED_SIGNATURE);
    }
}

static void nexte_refuses_malformed_timestamps(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    const char *bad[] = {"-1700000000", "+1700000000", " 1700000000", "1700000000 ",
                         "1.7e9",       "17000000x0",  "0x65533f00",  "1700000000000"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        assert_int_equal(nexte_at(&why, bad[i], good_sig, T0, p), APR_EACCES);
        assert_string_equal(why, NXS_WHY_MALFORMED_SIGNATURE);
    }
}

static void nexte_refuses_missing_or_empty_headers(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;

    assert_int_equal(nexte_at(&why, NULL, good_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
    assert_int_equal(nexte_at(&why, "1700000000", NULL, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
    assert_int_equal(nexte_at(&why, "", good_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
    assert_int_equal(nexte_at(&why, "1700000000", "", T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
    assert_int_equal(nexte_at(&why, NULL, NULL, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
}

static void nexte_signs_an_empty_body(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *ts = NULL, *sig = NULL;

    assert_int_equal(
        nxs_sign_nexte_make(&ts, &sig, secret, SECRET_LEN, NULL, 0, apr_time_from_sec(T0), p),
        APR_SUCCESS);
    assert_int_equal(
        nxs_sign_nexte_verify(NULL, secret, SECRET_LEN, ts, sig, "", 0, apr_time_from_sec(T0), p),
        APR_SUCCESS);
}

static void nexte_without_a_secret_is_an_internal_error_not_a_401(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    apr_status_t rv;

    rv = nxs_sign_nexte_verify(&why, "", 0, "1700000000", good_sig, body, BODY_LEN,
                               apr_time_from_sec(T0), p);
    assert_int_not_equal(rv, APR_SUCCESS);
    assert_int_not_equal(rv, APR_EACCES);
    assert_string_equal(why, NXS_WHY_INTERNAL);
}

/* The example of Slack's "Verifying requests from Slack" page; the expected
 * value was recomputed with printf 'v0:1531420618:<body>' | openssl dgst
 * -sha256 -hmac 8f742231b10e8888abcd99yyyzzz85a5. */
static const char slack_secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char slack_body[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
static const char slack_sig[] =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
#define SLACK_TS APR_INT64_C(1531420618)

static apr_status_t slack_at(const char **why, const char *ts, const char *sig, const char *text,
                             apr_int64_t now, apr_pool_t *p)
{
    return nxs_sign_slack_verify(why, slack_secret, sizeof(slack_secret) - 1, ts, sig, text,
                                 strlen(text), apr_time_from_sec(now), p);
}

static void slack_accepts_the_documented_example(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = "unset";

    assert_int_equal(slack_at(&why, "1531420618", slack_sig, slack_body, SLACK_TS, p), APR_SUCCESS);
    assert_null(why);
}

static void slack_window_is_five_minutes_either_way(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;

    assert_int_equal(slack_at(&why, "1531420618", slack_sig, slack_body, SLACK_TS + 300, p),
                     APR_SUCCESS);
    assert_int_equal(slack_at(&why, "1531420618", slack_sig, slack_body, SLACK_TS + 301, p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_STALE_TIMESTAMP);
    assert_int_equal(slack_at(&why, "1531420618", slack_sig, slack_body, SLACK_TS - 300, p),
                     APR_SUCCESS);
    assert_int_equal(slack_at(&why, "1531420618", slack_sig, slack_body, SLACK_TS - 301, p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_STALE_TIMESTAMP);
}

static void slack_refuses_bad_missing_and_malformed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    const char *v1 = "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const char *upper = "v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503";

    assert_int_equal(slack_at(&why, "1531420618", slack_sig, "token=changed", SLACK_TS, p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    assert_int_equal(nxs_sign_slack_verify(&why, secret, SECRET_LEN, "1531420618", slack_sig,
                                           slack_body, strlen(slack_body),
                                           apr_time_from_sec(SLACK_TS), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    assert_int_equal(slack_at(&why, "1531420618", v1, slack_body, SLACK_TS, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MALFORMED_SIGNATURE);
    assert_int_equal(slack_at(&why, "1531420618", upper, slack_body, SLACK_TS, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MALFORMED_SIGNATURE);
    assert_int_equal(slack_at(&why, "1531420618", slack_sig + 3, slack_body, SLACK_TS, p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_MALFORMED_SIGNATURE);
    assert_int_equal(slack_at(&why, NULL, slack_sig, slack_body, SLACK_TS, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
    assert_int_equal(slack_at(&why, "1531420618", "", slack_body, SLACK_TS, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SIGNATURE);
}

static void a_nexte_signature_is_no_slack_signature(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    char v0[sizeof(good_sig)];

    /* Same secret, same text after the prefix: the version is signed too. */
    memcpy(v0, good_sig, sizeof(good_sig));
    v0[1] = '0';
    assert_int_equal(nxs_sign_slack_verify(&why, secret, SECRET_LEN, "1700000000", v0, body,
                                           BODY_LEN, apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

/* printf 'launch:acc_42:1700000600' | openssl dgst -sha256 -hmac <secret> */
static const char launch_sig[] = "514274a75d0e1d8090b0c982a1a03f55f42f7aaf0ab9ed8fcd53ef846bc0f225";

static apr_status_t launch_at(const char **why, const char *account, const char *exp,
                              const char *sig, apr_int64_t now, apr_pool_t *p)
{
    return nxs_sign_launch_verify(why, secret, SECRET_LEN, account, exp, sig,
                                  apr_time_from_sec(now), p);
}

static void launch_make_produces_the_known_signature(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *exp = NULL, *sig = NULL;

    assert_int_equal(nxs_sign_launch_make(&exp, &sig, secret, SECRET_LEN, "acc_42",
                                          apr_time_from_sec(T0 + 600), p),
                     APR_SUCCESS);
    assert_string_equal(exp, "1700000600");
    assert_string_equal(sig, launch_sig);
    assert_int_equal(
        nxs_sign_launch_make(&exp, &sig, secret, SECRET_LEN, "acc/42", apr_time_from_sec(T0), p),
        APR_EINVAL);
}

static void launch_link_is_valid_until_exp(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = "unset";

    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0, p), APR_SUCCESS);
    assert_null(why);
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0 + 599, p), APR_SUCCESS);
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0 + 600, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXPIRED_LINK);
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0 + 86400, p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXPIRED_LINK);
}

static void launch_link_valid_for_more_than_15_minutes_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = "unset", *exp = NULL, *sig = NULL;

    /* launch_sig's exp is T0 + 600: exactly 900 s ahead is the limit */
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0 - 300, p), APR_SUCCESS);
    assert_null(why);
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", launch_sig, T0 - 301, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXP_TOO_FAR);
    assert_int_equal(NXS_SIGN_LAUNCH_MAX_AHEAD_SEC, 900);

    /* a genuine link that lives a day, or as long as 12 digits allow */
    assert_int_equal(nxs_sign_launch_make(&exp, &sig, secret, SECRET_LEN, "acc_42",
                                          apr_time_from_sec(T0 + 86400), p),
                     APR_SUCCESS);
    assert_int_equal(launch_at(&why, "acc_42", exp, sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXP_TOO_FAR);
    assert_int_equal(nxs_sign_launch_make(&exp, &sig, secret, SECRET_LEN, "acc_42",
                                          apr_time_from_sec(APR_INT64_C(999999999999)), p),
                     APR_SUCCESS);
    assert_string_equal(exp, "999999999999");
    assert_int_equal(launch_at(&why, "acc_42", exp, sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXP_TOO_FAR);
    /* only genuine links are told so */
    assert_int_equal(launch_at(&why, "acc_42", "1700086400", launch_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

static void launch_link_for_another_account_or_time_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    char flipped[sizeof(launch_sig)];

    assert_int_equal(launch_at(&why, "acc_43", "1700000600", launch_sig, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    /* stretching an expired link's exp does not revive it */
    assert_int_equal(launch_at(&why, "acc_42", "1700099999", launch_sig, T0 + 700, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    memcpy(flipped, launch_sig, sizeof(flipped));
    flipped[63] = flipped[63] == '0' ? '1' : '0';
    assert_int_equal(launch_at(&why, "acc_42", "1700000600", flipped, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
    assert_int_equal(nxs_sign_launch_verify(&why, "other", 5, "acc_42", "1700000600", launch_sig,
                                            apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SIGNATURE);
}

static void launch_link_with_a_misshapen_field_is_malformed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *why = NULL;
    const char *acc65 = "a1234567890123456789012345678901234567890123456789012345678901234";
    const char *upper = "514274A75D0E1D8090B0C982A1A03F55F42F7AAF0AB9ED8FCD53EF846BC0F225";
    struct {
        const char *account, *exp, *sig;
    } bad[] = {
        {NULL, "1700000600", launch_sig},      {"", "1700000600", launch_sig},
        {"acc/42", "1700000600", launch_sig},  {"acc 42", "1700000600", launch_sig},
        {"acc.42", "1700000600", launch_sig},  {acc65, "1700000600", launch_sig},
        {"acc_42", NULL, launch_sig},          {"acc_42", "", launch_sig},
        {"acc_42", "-1700000600", launch_sig}, {"acc_42", "1700000600s", launch_sig},
        {"acc_42", "1700000600", NULL},        {"acc_42", "1700000600", ""},
        {"acc_42", "1700000600", upper},       {"acc_42", "1700000600", launch_sig + 1},
        {"acc_42", "1700000600", good_sig},
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        assert_int_equal(launch_at(&why, bad[i].account, bad[i].exp, bad[i].sig, T0, p),
                         APR_EACCES);
        assert_string_equal(why, NXS_WHY_MALFORMED_LINK);
    }
}

static void account_ids_are_1_to_64_safe_characters(void **state)
{
    assert_true(nxs_sign_account_ok("acc_42"));
    assert_true(nxs_sign_account_ok("A-z_0"));
    assert_true(
        nxs_sign_account_ok("a123456789012345678901234567890123456789012345678901234567890123"));
    assert_false(
        nxs_sign_account_ok("a1234567890123456789012345678901234567890123456789012345678901234"));
    assert_false(nxs_sign_account_ok(""));
    assert_false(nxs_sign_account_ok(NULL));
    assert_false(nxs_sign_account_ok("acc|42"));
    assert_false(nxs_sign_account_ok("acc\xc3\xa9"));
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(nexte_accepts_a_known_good_signature),
    NXS_TEST(nexte_make_produces_the_known_headers_and_verifies),
    NXS_TEST(nexte_window_is_300_seconds_either_way),
    NXS_TEST(nexte_window_counts_whole_seconds),
    NXS_TEST(nexte_refuses_a_changed_body),
    NXS_TEST(nexte_refuses_a_changed_timestamp),
    NXS_TEST(nexte_refuses_another_secret),
    NXS_TEST(nexte_refuses_malformed_signature_headers),
    NXS_TEST(nexte_refuses_malformed_timestamps),
    NXS_TEST(nexte_refuses_missing_or_empty_headers),
    NXS_TEST(nexte_signs_an_empty_body),
    NXS_TEST(nexte_without_a_secret_is_an_internal_error_not_a_401),
    NXS_TEST(slack_accepts_the_documented_example),
    NXS_TEST(slack_window_is_five_minutes_either_way),
    NXS_TEST(slack_refuses_bad_missing_and_malformed),
    NXS_TEST(a_nexte_signature_is_no_slack_signature),
    NXS_TEST(launch_make_produces_the_known_signature),
    NXS_TEST(launch_link_is_valid_until_exp),
    NXS_TEST(launch_link_valid_for_more_than_15_minutes_is_refused),
    NXS_TEST(launch_link_for_another_account_or_time_is_refused),
    NXS_TEST(launch_link_with_a_misshapen_field_is_malformed),
    NXS_TEST(account_ids_are_1_to_64_safe_characters),
};

NXS_RUN_TESTS(tests)
