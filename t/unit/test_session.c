/* Settings sessions: the signed cookie round trip, expiry, forgery, and the
 * CSRF token that belongs to one session only. */
#include "nxs_test.h"

#include "security/nxs_crypto.h"
#include "security/nxs_session.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

static const char secret[] = "nexte-event-secret-for-tests";

#define T0 APR_INT64_C(1700000000)

typedef struct keys_t {
    unsigned char session[NXS_KEY_LEN];
    unsigned char csrf[NXS_KEY_LEN];
} keys_t;

static void derive(keys_t *k, const char *from)
{
    assert_int_equal(nxs_derive_key(k->session, from, strlen(from), NXS_KEY_PURPOSE_SESSION),
                     APR_SUCCESS);
    assert_int_equal(nxs_derive_key(k->csrf, from, strlen(from), NXS_KEY_PURPOSE_CSRF),
                     APR_SUCCESS);
}

static void issue(const char **cookie, const char **csrf, const keys_t *k, const char *account,
                  apr_int64_t expires, apr_pool_t *p)
{
    assert_int_equal(nxs_session_issue(cookie, csrf, k->session, k->csrf, account,
                                       apr_time_from_sec(expires), p),
                     APR_SUCCESS);
}

static apr_status_t check_at(const char **account, const char **csrf, const char **why,
                             const keys_t *k, const char *cookie, apr_int64_t now, apr_pool_t *p)
{
    return nxs_session_check(account, csrf, why, k->session, k->csrf, cookie,
                             apr_time_from_sec(now), p);
}

static void a_session_names_its_account_and_its_csrf_token(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = "unset";
    const char *dot;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    /* base64url "." 64 hex: nothing a cookie would need to escape */
    dot = strchr(cookie, '.');
    assert_non_null(dot);
    assert_int_equal(strspn(cookie, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_"),
                     (size_t)(dot - cookie));
    assert_true(nxs_crypto_is_lower_hex(dot + 1, NXS_HMAC_HEX_LEN));
    assert_true(nxs_crypto_is_lower_hex(csrf, NXS_HMAC_HEX_LEN));

    assert_int_equal(check_at(&account, &expected, &why, &k, cookie, T0, p), APR_SUCCESS);
    assert_null(why);
    assert_string_equal(account, "acc_42");
    assert_string_equal(expected, csrf);
    assert_true(nxs_session_csrf_ok(expected, csrf));
}

static void every_session_is_unique(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *c1 = NULL, *c2 = NULL, *t1 = NULL, *t2 = NULL;

    derive(&k, secret);
    issue(&c1, &t1, &k, "acc_42", T0 + 3600, p);
    issue(&c2, &t2, &k, "acc_42", T0 + 3600, p);
    assert_string_not_equal(c1, c2);
    assert_string_not_equal(t1, t2);
}

static void a_session_ends_at_its_expiry(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    assert_int_equal(check_at(&account, &expected, &why, &k, cookie, T0 + 3599, p), APR_SUCCESS);
    account = NULL;
    assert_int_equal(check_at(&account, &expected, &why, &k, cookie, T0 + 3600, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_EXPIRED_SESSION);
    assert_null(account);
}

/* Rewrites the account inside the signed part and keeps the old MAC. */
static const char *with_account_changed(const char *cookie, apr_pool_t *p)
{
    const char *dot = strchr(cookie, '.');
    unsigned char *payload = NULL;
    apr_size_t len = 0;

    assert_int_equal(nxs_b64url_decode(&payload, &len, cookie, (apr_size_t)(dot - cookie), p),
                     APR_SUCCESS);
    assert_memory_equal(payload, "acc_42|", 7);
    payload[5] = '3';
    return apr_pstrcat(p, nxs_b64url_encode(payload, len, p), dot, NULL);
}

static void a_session_with_a_changed_account_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;
    const char *forged;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    forged = with_account_changed(cookie, p);
    assert_int_equal(check_at(&account, &expected, &why, &k, forged, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SESSION);
    assert_null(account);
    assert_null(expected);
}

static void a_session_with_another_sessions_mac_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *a = NULL, *b = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;
    const char *spliced;

    derive(&k, secret);
    issue(&a, &csrf, &k, "acc_42", T0 + 3600, p);
    issue(&b, &csrf, &k, "acc_43", T0 + 3600, p);
    spliced =
        apr_pstrcat(p, apr_pstrndup(p, b, (apr_size_t)(strchr(b, '.') - b)), strchr(a, '.'), NULL);
    assert_int_equal(check_at(&account, &expected, &why, &k, spliced, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SESSION);
}

static void a_session_made_with_another_secret_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k, other;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;

    derive(&k, secret);
    derive(&other, "another-event-secret");
    issue(&cookie, &csrf, &other, "acc_42", T0 + 3600, p);
    assert_int_equal(check_at(&account, &expected, &why, &k, cookie, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SESSION);
}

static void the_csrf_key_cannot_stand_in_for_the_session_key(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    assert_int_equal(nxs_session_check(&account, &expected, &why, k.csrf, k.csrf, cookie,
                                       apr_time_from_sec(T0), p),
                     APR_EACCES);
    assert_string_equal(why, NXS_WHY_BAD_SESSION);
}

static void missing_and_malformed_cookies_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL, *account = NULL, *expected = NULL, *why = NULL;
    const char *hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *bad[5];
    size_t i;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    bad[0] = "garbage";
    bad[1] = apr_pstrcat(p, ".", hex64, NULL);  /* nothing signed */
    bad[2] = apr_pstrcat(p, cookie, "0", NULL); /* 65 hex */
    bad[3] = apr_pstrdup(p, cookie);            /* uppercase MAC */
    ((char *)bad[3])[strlen(cookie) - 1] = 'A';
    bad[4] = apr_pstrcat(p, cookie, cookie, cookie, NULL); /* longer than any session */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        assert_int_equal(check_at(&account, &expected, &why, &k, bad[i], T0, p), APR_EACCES);
        assert_string_equal(why, NXS_WHY_MALFORMED_SESSION);
    }
    assert_int_equal(check_at(&account, &expected, &why, &k, NULL, T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SESSION);
    assert_int_equal(check_at(&account, &expected, &why, &k, "", T0, p), APR_EACCES);
    assert_string_equal(why, NXS_WHY_MISSING_SESSION);
    assert_null(account);
}

/* Signs PAYLOAD (LEN bytes) the way the module does, to show that even an
 * authentic value is refused when its content is not a session. */
static const char *signed_payload(const keys_t *k, const char *payload, apr_size_t len,
                                  apr_pool_t *p)
{
    const char *b64 = nxs_b64url_encode(payload, len, p);
    char mac[NXS_HMAC_HEX_SIZE];

    assert_int_equal(nxs_hmac_sha256_hex(mac, k->session, NXS_KEY_LEN, b64, strlen(b64)),
                     APR_SUCCESS);
    return apr_pstrcat(p, b64, ".", mac, NULL);
}

static void an_authentic_value_that_is_no_session_is_malformed(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *account = NULL, *expected = NULL, *why = NULL;
    const char *payloads[] = {
        "acc_42|1700003600|0123456789abcdef", /* the shape issue() makes: accepted */
        "acc_42|1700003600|0123456789abcde",  /* 15-byte nonce */
        "acc_42|17OO003600|0123456789abcdef", /* letters in the expiry */
        "acc/42|1700003600|0123456789abcdef", /* not an account id */
        "|1700003600|0123456789abcdef",       /* no account */
        "acc_42-1700003600-0123456789abcdef", /* no separators */
    };
    size_t i;

    derive(&k, secret);
    assert_int_equal(check_at(&account, &expected, &why, &k,
                              signed_payload(&k, payloads[0], strlen(payloads[0]), p), T0, p),
                     APR_SUCCESS);
    assert_string_equal(account, "acc_42");
    for (i = 1; i < sizeof(payloads) / sizeof(payloads[0]); ++i) {
        why = NULL;
        assert_int_equal(check_at(&account, &expected, &why, &k,
                                  signed_payload(&k, payloads[i], strlen(payloads[i]), p), T0, p),
                         APR_EACCES);
        assert_string_equal(why, NXS_WHY_MALFORMED_SESSION);
    }
}

static void a_nonce_may_hold_any_byte(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *account = NULL, *expected = NULL, *why = NULL;
    /* 16 nonce bytes full of separators and NULs */
    const char payload[] = "acc_42|1700003600|"
                           "||\0\0\xff"
                           "|||||||||||";

    derive(&k, secret);
    assert_int_equal(check_at(&account, &expected, &why, &k,
                              signed_payload(&k, payload, sizeof(payload) - 1, p), T0, p),
                     APR_SUCCESS);
    assert_string_equal(account, "acc_42");
}

static void the_csrf_token_of_one_session_is_refused_by_another(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *a = NULL, *b = NULL, *csrf_a = NULL, *csrf_b = NULL;
    const char *account = NULL, *expected_b = NULL, *why = NULL;

    derive(&k, secret);
    issue(&a, &csrf_a, &k, "acc_42", T0 + 3600, p);
    issue(&b, &csrf_b, &k, "acc_42", T0 + 3600, p);
    assert_int_equal(check_at(&account, &expected_b, &why, &k, b, T0, p), APR_SUCCESS);
    assert_true(nxs_session_csrf_ok(expected_b, csrf_b));
    assert_false(nxs_session_csrf_ok(expected_b, csrf_a));
}

static void csrf_comparison_is_exact_and_null_safe(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = NULL, *csrf = NULL;
    char *upper;
    size_t i;

    derive(&k, secret);
    issue(&cookie, &csrf, &k, "acc_42", T0 + 3600, p);
    upper = apr_pstrdup(p, csrf);
    for (i = 0; upper[i] != '\0'; ++i) {
        upper[i] = (char)apr_toupper(upper[i]);
    }
    assert_false(nxs_session_csrf_ok(csrf, NULL));
    assert_false(nxs_session_csrf_ok(NULL, csrf));
    assert_false(nxs_session_csrf_ok(NULL, NULL));
    assert_false(nxs_session_csrf_ok("", ""));
    assert_false(nxs_session_csrf_ok(csrf, ""));
    assert_false(nxs_session_csrf_ok(csrf, apr_pstrndup(p, csrf, 63)));
    assert_false(nxs_session_csrf_ok(csrf, apr_pstrcat(p, csrf, "0", NULL)));
    assert_false(nxs_session_csrf_ok(csrf, upper));
}

static void issue_refuses_a_bad_account(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    keys_t k;
    const char *cookie = "untouched", *csrf = "untouched";

    derive(&k, secret);
    assert_int_equal(
        nxs_session_issue(&cookie, &csrf, k.session, k.csrf, "acc|42", apr_time_from_sec(T0), p),
        APR_EINVAL);
    assert_int_equal(
        nxs_session_issue(&cookie, &csrf, k.session, k.csrf, NULL, apr_time_from_sec(T0), p),
        APR_EINVAL);
    assert_string_equal(cookie, "untouched");
    assert_string_equal(csrf, "untouched");
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_session_names_its_account_and_its_csrf_token),
    NXS_TEST(every_session_is_unique),
    NXS_TEST(a_session_ends_at_its_expiry),
    NXS_TEST(a_session_with_a_changed_account_is_refused),
    NXS_TEST(a_session_with_another_sessions_mac_is_refused),
    NXS_TEST(a_session_made_with_another_secret_is_refused),
    NXS_TEST(the_csrf_key_cannot_stand_in_for_the_session_key),
    NXS_TEST(missing_and_malformed_cookies_are_refused),
    NXS_TEST(an_authentic_value_that_is_no_session_is_malformed),
    NXS_TEST(a_nonce_may_hold_any_byte),
    NXS_TEST(the_csrf_token_of_one_session_is_refused_by_another),
    NXS_TEST(csrf_comparison_is_exact_and_null_safe),
    NXS_TEST(issue_refuses_a_bad_account),
};

NXS_RUN_TESTS(tests)
