/* Cryptographic primitives: HMAC known answers, constant-time comparison,
 * random tokens, strict base64url, HKDF key derivation and sealed tokens. */
#include "nxs_test.h"

#include "security/nxs_crypto.h"

#include <apr_strings.h>
#include <string.h>

static const char test_secret[] = "nexte-event-secret-for-tests";

static void hmac_matches_rfc4231_vectors(void **state)
{
    unsigned char key1[20], key6[131];
    char hex[NXS_HMAC_HEX_SIZE];
    const char *data6 = "Test Using Larger Than Block-Size Key - Hash Key First";

    memset(key1, 0x0b, sizeof(key1));
    memset(key6, 0xaa, sizeof(key6));
    /* Test case 1 */
    assert_int_equal(nxs_hmac_sha256_hex(hex, key1, sizeof(key1), "Hi There", 8), APR_SUCCESS);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 2: a key shorter than the output */
    assert_int_equal(nxs_hmac_sha256_hex(hex, "Jefe", 4, "what do ya want for nothing?", 28),
                     APR_SUCCESS);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a key longer than the block is hashed first */
    assert_int_equal(nxs_hmac_sha256_hex(hex, key6, sizeof(key6), data6, strlen(data6)),
                     APR_SUCCESS);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void hmac_over_parts_equals_hmac_over_the_concatenation(void **state)
{
    char whole[NXS_HMAC_HEX_SIZE], split[NXS_HMAC_HEX_SIZE];
    nxs_hmac_part_t parts[] = {{"what do ", 8}, {NULL, 0}, {"ya want", 7}, {" for nothing?", 13}};
    unsigned char raw[NXS_HMAC_LEN];

    assert_int_equal(nxs_hmac_sha256_hex(whole, "Jefe", 4, "what do ya want for nothing?", 28),
                     APR_SUCCESS);
    assert_int_equal(nxs_hmac_sha256_hex_parts(split, "Jefe", 4, parts, 4), APR_SUCCESS);
    assert_string_equal(split, whole);
    assert_int_equal(nxs_hmac_sha256(raw, "Jefe", 4, parts, 4), APR_SUCCESS);
    assert_int_equal(raw[0], 0x5b);
    assert_int_equal(raw[31], 0x43);
}

static void hmac_refuses_an_empty_key_or_a_null_part(void **state)
{
    char hex[NXS_HMAC_HEX_SIZE];
    nxs_hmac_part_t bad = {NULL, 3};

    assert_int_equal(nxs_hmac_sha256_hex(hex, "", 0, "x", 1), APR_EINVAL);
    assert_int_equal(nxs_hmac_sha256_hex(hex, NULL, 4, "x", 1), APR_EINVAL);
    assert_int_equal(nxs_hmac_sha256_hex_parts(hex, "Jefe", 4, &bad, 1), APR_EINVAL);
}

static void equal_compares_every_byte(void **state)
{
    assert_true(nxs_crypto_equal("abcdef", "abcdef", 6));
    assert_false(nxs_crypto_equal("abcdef", "abcdeF", 6));
    assert_false(nxs_crypto_equal("Xbcdef", "abcdef", 6));
    assert_true(nxs_crypto_equal("a", "b", 0));
}

static void str_equal_needs_same_length_same_bytes_and_not_empty(void **state)
{
    const char *sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    assert_true(nxs_crypto_str_equal(sig, sig));
    assert_true(nxs_crypto_str_equal("abc", "abc"));
    assert_false(nxs_crypto_str_equal("abc", "abd"));
    assert_false(nxs_crypto_str_equal("abc", "ab"));   /* a prefix */
    assert_false(nxs_crypto_str_equal("abc", "abcd")); /* an extension */
    assert_false(nxs_crypto_str_equal("abc", "ABC"));  /* hex case matters */
    assert_false(nxs_crypto_str_equal("", ""));
    assert_false(nxs_crypto_str_equal(NULL, "abc"));
    assert_false(nxs_crypto_str_equal("abc", NULL));
    assert_false(nxs_crypto_str_equal(NULL, NULL));
}

static void is_lower_hex_wants_the_exact_length(void **state)
{
    assert_true(nxs_crypto_is_lower_hex("0123456789abcdef", 16));
    assert_false(nxs_crypto_is_lower_hex("0123456789abcdeF", 16));
    assert_false(nxs_crypto_is_lower_hex("0123456789abcdef0", 16));
    assert_false(nxs_crypto_is_lower_hex("0123456789abcde", 16));
    assert_false(nxs_crypto_is_lower_hex("0123456789abcdeg", 16));
    assert_false(nxs_crypto_is_lower_hex(NULL, 0));
    assert_true(nxs_crypto_is_lower_hex("", 0));
}

static void random_tokens_are_url_safe_unpadded_and_distinct(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *a = NULL, *b = NULL;

    assert_int_equal(nxs_random_token(&a, 16, p), APR_SUCCESS);
    assert_int_equal(nxs_random_token(&b, 16, p), APR_SUCCESS);
    assert_int_equal(strlen(a), 22); /* 128 bits, no "==" */
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     22);
    assert_string_not_equal(a, b);
    assert_int_equal(nxs_random_token(&a, 32, p), APR_SUCCESS);
    assert_int_equal(strlen(a), 43);
}

static void random_token_size_is_bounded(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *t = "untouched";

    assert_int_equal(nxs_random_token(&t, 0, p), APR_EINVAL);
    assert_int_equal(nxs_random_token(&t, NXS_RANDOM_TOKEN_MAX + 1, p), APR_EINVAL);
    assert_string_equal(t, "untouched");
}

static void b64url_matches_rfc4648_and_uses_the_url_alphabet(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    const unsigned char high[] = {0xfb, 0xff, 0xbf};
    size_t i;

    for (i = 0; i < sizeof(in) / sizeof(in[0]); ++i) {
        assert_string_equal(nxs_b64url_encode(in[i], strlen(in[i]), p), out[i]);
    }
    assert_string_equal(nxs_b64url_encode(high, sizeof(high), p), "-_-_");
}

static void b64url_decodes_what_it_encodes(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    unsigned char data[64], *back = NULL;
    apr_size_t n, len = 0;
    const char *text;

    for (n = 0; n < sizeof(data); ++n) {
        data[n] = (unsigned char)(n * 37 + 250);
    }
    for (n = 0; n <= sizeof(data); ++n) {
        text = nxs_b64url_encode(data, n, p);
        assert_int_equal(nxs_b64url_decode(&back, &len, text, strlen(text), p), APR_SUCCESS);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
    }
}

static void b64url_decoding_is_strict(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    unsigned char *out = NULL;
    apr_size_t len = 0;
    const char *bad[] = {"Zg==", "Zh", "Zm9", "Z", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9v\n", "Zm9vY"};
    size_t i;

    /* "Zh" and "Zm9" carry non-zero unused bits: a second spelling of "f"/"fo". */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(nxs_b64url_decode(&out, &len, bad[i], strlen(bad[i]), p), APR_EINVAL);
    }
    assert_int_equal(nxs_b64url_decode(&out, &len, "Zm8", 3, p), APR_SUCCESS);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "fo", 2);
}

/* Pinned so that a change in the derivation, which would log every user out
 * and void every OAuth state in flight, cannot happen unnoticed.  Computed with
 * openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt key:<secret>
 *   -kdfopt salt:mod_nexte_slack/hkdf/v1 -kdfopt info:<purpose> HKDF */
static void derived_keys_match_known_answers(void **state)
{
    static const unsigned char session[NXS_KEY_LEN] = {
        0x82, 0x29, 0x25, 0x0A, 0xE4, 0x93, 0x11, 0xD2, 0x61, 0x90, 0xF5,
        0xEB, 0x30, 0x33, 0xDE, 0xEA, 0x89, 0x01, 0xEE, 0xDF, 0x05, 0x0B,
        0x87, 0x5C, 0x31, 0x08, 0x37, 0x97, 0xB3, 0xAE, 0xDA, 0x0E};
    static const unsigned char csrf[NXS_KEY_LEN] = {0x61, 0x21, 0xBF, 0x5C, 0x3D, 0x1B, 0x08, 0xDA,
                                                    0x27, 0xDD, 0x1C, 0x38, 0x64, 0x30, 0x91, 0x67,
                                                    0xE6, 0x4B, 0x61, 0x22, 0x6E, 0xB9, 0x16, 0xEB,
                                                    0xA2, 0x90, 0xBD, 0x79, 0xAB, 0x9B, 0xCC, 0x6C};
    static const unsigned char oauth[NXS_KEY_LEN] = {
        0x4A, 0xBC, 0x1B, 0xEE, 0x34, 0x04, 0x21, 0x0C, 0xCD, 0x6F, 0xB6,
        0x83, 0xAF, 0xB2, 0x01, 0xC4, 0x53, 0x5B, 0x35, 0x20, 0x3B, 0x92,
        0xDA, 0x7F, 0xD7, 0xDA, 0x4C, 0xE8, 0x47, 0x1F, 0xB7, 0xEE};
    unsigned char key[NXS_KEY_LEN];
    apr_size_t len = strlen(test_secret);

    assert_int_equal(nxs_derive_key(key, test_secret, len, NXS_KEY_PURPOSE_SESSION), APR_SUCCESS);
    assert_memory_equal(key, session, NXS_KEY_LEN);
    assert_int_equal(nxs_derive_key(key, test_secret, len, NXS_KEY_PURPOSE_CSRF), APR_SUCCESS);
    assert_memory_equal(key, csrf, NXS_KEY_LEN);
    assert_int_equal(nxs_derive_key(key, test_secret, len, NXS_KEY_PURPOSE_OAUTH_STATE),
                     APR_SUCCESS);
    assert_memory_equal(key, oauth, NXS_KEY_LEN);
}

static void derive_key_refuses_an_empty_secret_or_purpose(void **state)
{
    unsigned char key[NXS_KEY_LEN];
    char long_purpose[66];

    memset(long_purpose, 'x', 65);
    long_purpose[65] = '\0';
    assert_int_equal(nxs_derive_key(key, "", 0, "session"), APR_EINVAL);
    assert_int_equal(nxs_derive_key(key, test_secret, strlen(test_secret), ""), APR_EINVAL);
    assert_int_equal(nxs_derive_key(key, test_secret, strlen(test_secret), NULL), APR_EINVAL);
    assert_int_equal(nxs_derive_key(key, test_secret, strlen(test_secret), long_purpose),
                     APR_EINVAL);
}

static const unsigned char token_key[NXS_KEY_LEN] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                                     11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                                     22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static void sealed_token_opens_with_the_same_key_and_aad(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sealed = NULL, *plain = NULL;

    assert_int_equal(nxs_token_seal(&sealed, token_key, "xoxb-123-456-abcdef", "acc_42/T0123", p),
                     APR_SUCCESS);
    assert_true(strncmp(sealed, "v1.", 3) == 0);
    assert_null(strstr(sealed, "xoxb"));
    /* 12 nonce + 19 plaintext + 16 tag = 47 bytes = 63 base64url characters */
    assert_int_equal(strlen(sealed), 3 + 63);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "acc_42/T0123", p), APR_SUCCESS);
    assert_string_equal(plain, "xoxb-123-456-abcdef");
}

/* A value sealed by another implementation (Python's cryptography AESGCM,
 * nonce 000102…0b, key 00 01 … 1f) pins the format: nonce | ciphertext | tag. */
static void opens_a_token_sealed_elsewhere(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *plain = NULL;
    const char *sealed = "v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik";

    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "acc_42/T0123", p), APR_SUCCESS);
    assert_string_equal(plain, "xoxb-123-456-abcdef");
}

static void two_seals_of_one_plaintext_differ(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *a = NULL, *b = NULL;

    assert_int_equal(nxs_token_seal(&a, token_key, "xoxb-same", "acc_42/T0123", p), APR_SUCCESS);
    assert_int_equal(nxs_token_seal(&b, token_key, "xoxb-same", "acc_42/T0123", p), APR_SUCCESS);
    assert_string_not_equal(a, b);
}

static void empty_plaintext_and_null_aad_round_trip(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sealed = NULL, *plain = NULL;

    assert_int_equal(nxs_token_seal(&sealed, token_key, "", NULL, p), APR_SUCCESS);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "", p), APR_SUCCESS);
    assert_string_equal(plain, "");
}

static void changing_any_byte_of_nonce_ciphertext_or_tag_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sealed = NULL, *forged, *plain = "untouched";
    unsigned char *blob = NULL;
    apr_size_t len = 0, i;

    assert_int_equal(nxs_token_seal(&sealed, token_key, "xoxb-secret", "acc_42/T0123", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_b64url_decode(&blob, &len, sealed + 3, strlen(sealed + 3), p),
                     APR_SUCCESS);
    assert_int_equal(len, 12 + 11 + 16);
    /* bytes 0-11 are the nonce, 12-22 the ciphertext, 23-38 the tag */
    for (i = 0; i < len; ++i) {
        blob[i] ^= 0x01;
        forged = apr_pstrcat(p, "v1.", nxs_b64url_encode(blob, len, p), NULL);
        assert_int_equal(nxs_token_open(&plain, token_key, forged, "acc_42/T0123", p), APR_EINVAL);
        blob[i] ^= 0x01;
    }
    assert_string_equal(plain, "untouched");
}

static void a_token_moved_to_another_row_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sealed = NULL, *plain = NULL;

    assert_int_equal(nxs_token_seal(&sealed, token_key, "xoxb-secret", "acc_42/T0123", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "acc_43/T0123", p), APR_EINVAL);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "acc_42/T0124", p), APR_EINVAL);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "", p), APR_EINVAL);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, NULL, p), APR_EINVAL);
}

static void a_token_opened_with_another_key_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    unsigned char other[NXS_KEY_LEN];
    const char *sealed = NULL, *plain = NULL;

    memcpy(other, token_key, sizeof(other));
    other[31] ^= 0x80;
    assert_int_equal(nxs_token_seal(&sealed, token_key, "xoxb-secret", "acc_42/T0123", p),
                     APR_SUCCESS);
    assert_int_equal(nxs_token_open(&plain, other, sealed, "acc_42/T0123", p), APR_EINVAL);
}

static void malformed_sealed_values_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *sealed = NULL, *plain = NULL;
    const char *bad[] = {
        "",
        "v1.",
        "v1",
        "v2.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik",
        "V1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik",
        "v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik=",
        "v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa/ypCqeiL/Sik",
        "v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Si",
        "v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_SikA",
        "v1.AAECAwQFBgcICQoLAAECAwQFBgcICQoLAAEC", /* 27 bytes: shorter than nonce + tag */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(nxs_token_open(&plain, token_key, bad[i], "acc_42/T0123", p), APR_EINVAL);
    }
    assert_int_equal(nxs_token_open(&plain, token_key, NULL, "acc_42/T0123", p), APR_EINVAL);
    assert_null(plain);
    assert_int_equal(nxs_token_seal(&sealed, NULL, "x", "a", p), APR_EINVAL);
    assert_int_equal(nxs_token_seal(&sealed, token_key, NULL, "a", p), APR_EINVAL);
}

static void oversized_plaintext_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    char *big = apr_palloc(p, NXS_TOKEN_PLAIN_MAX + 2);
    const char *sealed = NULL, *plain = NULL;

    memset(big, 'x', NXS_TOKEN_PLAIN_MAX + 1);
    big[NXS_TOKEN_PLAIN_MAX + 1] = '\0';
    assert_int_equal(nxs_token_seal(&sealed, token_key, big, "a", p), APR_EINVAL);
    big[NXS_TOKEN_PLAIN_MAX] = '\0';
    assert_int_equal(nxs_token_seal(&sealed, token_key, big, "a", p), APR_SUCCESS);
    assert_int_equal(nxs_token_open(&plain, token_key, sealed, "a", p), APR_SUCCESS);
    assert_int_equal(strlen(plain), NXS_TOKEN_PLAIN_MAX);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(hmac_matches_rfc4231_vectors),
    NXS_TEST(hmac_over_parts_equals_hmac_over_the_concatenation),
    NXS_TEST(hmac_refuses_an_empty_key_or_a_null_part),
    NXS_TEST(equal_compares_every_byte),
    NXS_TEST(str_equal_needs_same_length_same_bytes_and_not_empty),
    NXS_TEST(is_lower_hex_wants_the_exact_length),
    NXS_TEST(random_tokens_are_url_safe_unpadded_and_distinct),
    NXS_TEST(random_token_size_is_bounded),
    NXS_TEST(b64url_matches_rfc4648_and_uses_the_url_alphabet),
    NXS_TEST(b64url_decodes_what_it_encodes),
    NXS_TEST(b64url_decoding_is_strict),
    NXS_TEST(derived_keys_match_known_answers),
    NXS_TEST(derive_key_refuses_an_empty_secret_or_purpose),
    NXS_TEST(sealed_token_opens_with_the_same_key_and_aad),
    NXS_TEST(opens_a_token_sealed_elsewhere),
    NXS_TEST(two_seals_of_one_plaintext_differ),
    NXS_TEST(empty_plaintext_and_null_aad_round_trip),
    NXS_TEST(changing_any_byte_of_nonce_ciphertext_or_tag_is_refused),
    NXS_TEST(a_token_moved_to_another_row_is_refused),
    NXS_TEST(a_token_opened_with_another_key_is_refused),
    NXS_TEST(malformed_sealed_values_are_refused),
    NXS_TEST(oversized_plaintext_is_refused),
};

NXS_RUN_TESTS(tests)
