/* Implements the module's cryptographic primitives on OpenSSL 3 (EVP_MAC,
 * EVP_KDF, EVP ciphers, RAND), keeping every OpenSSL call in this file. */
#include "security/nxs_crypto.h"

#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#define TOKEN_PREFIX     "v1."
#define TOKEN_PREFIX_LEN 3
#define TOKEN_NONCE_LEN  12
#define TOKEN_TAG_LEN    16
#define PURPOSE_MAX      64

/* A fixed salt that names this module and the derivation's version, so keys
 * derived here never coincide with keys another program derives from the same
 * shared EventSecret. */
static const char hkdf_salt[] = "mod_nexte_slack/hkdf/v1";

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

apr_status_t nxs_hmac_sha256(unsigned char *out, const void *key, apr_size_t keylen,
                             const nxs_hmac_part_t *parts, apr_size_t nparts)
{
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    char digest[] = "SHA256";
    size_t outlen = 0;
    apr_size_t i;
    apr_status_t rv = APR_EINVAL;

    if (key == NULL || keylen == 0 || (nparts > 0 && parts == NULL)) {
        goto leave;
    }
    for (i = 0; i < nparts; ++i) {
        if (parts[i].data == NULL && parts[i].len > 0) {
            goto leave;
        }
    }
    rv = APR_EGENERAL;
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    if (ctx == NULL) {
        goto leave;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, key, keylen, params)) {
        goto leave;
    }
    for (i = 0; i < nparts; ++i) {
        if (parts[i].len > 0 && !EVP_MAC_update(ctx, parts[i].data, parts[i].len)) {
            goto leave;
        }
    }
    if (!EVP_MAC_final(ctx, out, &outlen, NXS_HMAC_LEN) || outlen != NXS_HMAC_LEN) {
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rv;
}

static void hex_encode(char *out, const unsigned char *in, apr_size_t n)
{
    static const char digits[] = "0123456789abcdef";
    apr_size_t i;

    for (i = 0; i < n; ++i) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

apr_status_t nxs_hmac_sha256_hex_parts(char *out, const void *key, apr_size_t keylen,
                                       const nxs_hmac_part_t *parts, apr_size_t nparts)
{
    unsigned char raw[NXS_HMAC_LEN];
    apr_status_t rv;

    rv = nxs_hmac_sha256(raw, key, keylen, parts, nparts);
    if (rv == APR_SUCCESS) {
        hex_encode(out, raw, sizeof(raw));
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    return rv;
}

apr_status_t nxs_hmac_sha256_hex(char *out, const void *key, apr_size_t keylen, const void *data,
                                 apr_size_t len)
{
    nxs_hmac_part_t part;

    part.data = data;
    part.len = len;
    return nxs_hmac_sha256_hex_parts(out, key, keylen, &part, 1);
}

int nxs_crypto_equal(const void *a, const void *b, apr_size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

int nxs_crypto_str_equal(const char *expected, const char *given)
{
    apr_size_t elen, glen;
    const char *ref;
    int same;

    if (expected == NULL || given == NULL) {
        return 0;
    }
    elen = strlen(expected);
    glen = strlen(given);
    /* On a length mismatch GIVEN is compared with itself: the work done is
     * then the same as for a real comparison and depends on GIVEN alone. */
    ref = (elen == glen) ? expected : given;
    same = CRYPTO_memcmp(ref, given, glen) == 0;
    return same & (elen == glen) & (elen > 0);
}

int nxs_crypto_is_lower_hex(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (s == NULL) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[len] == '\0';
}

apr_status_t nxs_random_bytes(unsigned char *out, apr_size_t n)
{
    /* RAND_bytes takes an int; callers ask for a few dozen bytes at most. */
    if (n > (apr_size_t)0x7fffffff) {
        return APR_EINVAL;
    }
    return RAND_bytes(out, (int)n) == 1 ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t nxs_random_token(const char **out, apr_size_t nbytes, apr_pool_t *p)
{
    unsigned char buf[NXS_RANDOM_TOKEN_MAX];
    apr_status_t rv = APR_EINVAL;

    if (nbytes == 0 || nbytes > sizeof(buf)) {
        goto leave;
    }
    rv = nxs_random_bytes(buf, nbytes);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    *out = nxs_b64url_encode(buf, nbytes, p);
leave:
    OPENSSL_cleanse(buf, sizeof(buf));
    return rv;
}

const char *nxs_b64url_encode(const void *data, apr_size_t len, apr_pool_t *p)
{
    const unsigned char *in = data;
    char *out = apr_palloc(p, (len / 3) * 4 + 4 + 1);
    apr_size_t i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        out[o++] = b64url_alphabet[in[i] >> 2];
        out[o++] = b64url_alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
        out[o++] = b64url_alphabet[((in[i + 1] & 0x0f) << 2) | (in[i + 2] >> 6)];
        out[o++] = b64url_alphabet[in[i + 2] & 0x3f];
    }
    if (len - i == 1) {
        out[o++] = b64url_alphabet[in[i] >> 2];
        out[o++] = b64url_alphabet[(in[i] & 0x03) << 4];
    } else if (len - i == 2) {
        out[o++] = b64url_alphabet[in[i] >> 2];
        out[o++] = b64url_alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
        out[o++] = b64url_alphabet[(in[i + 1] & 0x0f) << 2];
    }
    out[o] = '\0';
    return out;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    return c == '_' ? 63 : -1;
}

apr_status_t nxs_b64url_decode(unsigned char **out, apr_size_t *outlen, const char *text,
                               apr_size_t len, apr_pool_t *p)
{
    unsigned char *buf;
    unsigned int acc = 0, bits = 0;
    apr_size_t i, o = 0;
    int v;

    /* One leftover character carries 6 bits, less than a byte: no encoder
     * produces that length. */
    if (text == NULL || len % 4 == 1) {
        return APR_EINVAL;
    }
    buf = apr_palloc(p, (len / 4) * 3 + 3 + 1);
    for (i = 0; i < len; ++i) {
        v = b64url_value(text[i]);
        if (v < 0) {
            return APR_EINVAL;
        }
        acc = ((acc << 6) | (unsigned int)v) & 0xffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Non-zero unused bits would give one value several spellings. */
    if ((acc & ((1u << bits) - 1)) != 0) {
        return APR_EINVAL;
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return APR_SUCCESS;
}

apr_status_t nxs_derive_key(unsigned char *out, const void *secret, apr_size_t len,
                            const char *purpose)
{
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5];
    char digest[] = "SHA256";
    apr_size_t plen = purpose ? strlen(purpose) : 0;
    apr_status_t rv = APR_EINVAL;

    if (secret == NULL || len == 0 || plen == 0 || plen > PURPOSE_MAX) {
        goto leave;
    }
    rv = APR_EGENERAL;
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (ctx == NULL) {
        goto leave;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)hkdf_salt,
                                                  sizeof(hkdf_salt) - 1);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)purpose, plen);
    params[4] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, NXS_KEY_LEN, params) != 1) {
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rv;
}

/* Runs AES-256-GCM over IN (LEN bytes) into OUT with NONCE and AAD.  When
 * encrypting the tag is written to TAG; when decrypting TAG is checked, and a
 * mismatch is APR_EINVAL. */
static apr_status_t gcm_run(unsigned char *out, unsigned char *tag, int encrypt,
                            const unsigned char *key, const unsigned char *nonce,
                            const unsigned char *in, apr_size_t len, const char *aad)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, aadlen = (int)strlen(aad);
    apr_status_t rv = APR_EGENERAL;

    if (ctx == NULL || !EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, encrypt, NULL)) {
        goto leave;
    }
    if (aadlen > 0 && !EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, aadlen)) {
        goto leave;
    }
    if (len > 0 && !EVP_CipherUpdate(ctx, out, &n, in, (int)len)) {
        goto leave;
    }
    if (!encrypt && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TOKEN_TAG_LEN, tag)) {
        goto leave;
    }
    if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1) {
        /* For decryption this is the authentication failure. */
        rv = encrypt ? APR_EGENERAL : APR_EINVAL;
        goto leave;
    }
    if (encrypt && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TOKEN_TAG_LEN, tag)) {
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

apr_status_t nxs_token_seal(const char **out, const unsigned char *key, const char *plaintext,
                            const char *aad, apr_pool_t *p)
{
    unsigned char *blob = NULL;
    apr_size_t ptlen = plaintext ? strlen(plaintext) : 0;
    apr_status_t rv = APR_EINVAL;

    aad = aad ? aad : "";
    if (key == NULL || plaintext == NULL || ptlen > NXS_TOKEN_PLAIN_MAX ||
        strlen(aad) > NXS_TOKEN_AAD_MAX) {
        goto leave;
    }
    blob = apr_palloc(p, TOKEN_NONCE_LEN + ptlen + TOKEN_TAG_LEN);
    rv = nxs_random_bytes(blob, TOKEN_NONCE_LEN);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = gcm_run(blob + TOKEN_NONCE_LEN, blob + TOKEN_NONCE_LEN + ptlen, 1, key, blob,
                 (const unsigned char *)plaintext, ptlen, aad);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    *out = apr_pstrcat(p, TOKEN_PREFIX,
                       nxs_b64url_encode(blob, TOKEN_NONCE_LEN + ptlen + TOKEN_TAG_LEN, p), NULL);
leave:
    return rv;
}

typedef struct cleanse_t {
    void *buf;
    apr_size_t len;
} cleanse_t;

static apr_status_t cleanse_cleanup(void *data)
{
    cleanse_t *c = data;

    OPENSSL_cleanse(c->buf, c->len);
    return APR_SUCCESS;
}

apr_status_t nxs_token_open(const char **plaintext, const unsigned char *key, const char *sealed,
                            const char *aad, apr_pool_t *p)
{
    unsigned char *blob = NULL;
    apr_size_t bloblen = 0, ctlen, textlen;
    cleanse_t *wipe;
    apr_status_t rv = APR_EINVAL;

    aad = aad ? aad : "";
    if (key == NULL || sealed == NULL || strncmp(sealed, TOKEN_PREFIX, TOKEN_PREFIX_LEN) != 0 ||
        strlen(aad) > NXS_TOKEN_AAD_MAX) {
        goto leave;
    }
    /* Bound the work before decoding: nothing longer was ever sealed. */
    textlen = strlen(sealed + TOKEN_PREFIX_LEN);
    if (textlen > ((TOKEN_NONCE_LEN + NXS_TOKEN_PLAIN_MAX + TOKEN_TAG_LEN + 2) / 3) * 4) {
        goto leave;
    }
    rv = nxs_b64url_decode(&blob, &bloblen, sealed + TOKEN_PREFIX_LEN, textlen, p);
    if (rv != APR_SUCCESS || bloblen < TOKEN_NONCE_LEN + TOKEN_TAG_LEN) {
        rv = APR_EINVAL;
        goto leave;
    }
    ctlen = bloblen - TOKEN_NONCE_LEN - TOKEN_TAG_LEN;
    wipe = apr_palloc(p, sizeof(*wipe));
    wipe->len = ctlen + 1;
    wipe->buf = apr_pcalloc(p, wipe->len);
    /* GCM releases plaintext before the tag is checked; the cleanup wipes it
     * whatever the outcome, and at once below when the tag is wrong. */
    apr_pool_cleanup_register(p, wipe, cleanse_cleanup, apr_pool_cleanup_null);
    rv = gcm_run(wipe->buf, blob + TOKEN_NONCE_LEN + ctlen, 0, key, blob, blob + TOKEN_NONCE_LEN,
                 ctlen, aad);
    if (rv != APR_SUCCESS) {
        OPENSSL_cleanse(wipe->buf, wipe->len);
        goto leave;
    }
    *plaintext = wipe->buf;
leave:
    return rv;
}
