/* Issues and checks the stateless settings session cookie and derives the
 * CSRF token that goes with each session. */
#include "security/nxs_session.h"

#include "security/nxs_crypto.h"
#include "security/nxs_sign.h"

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <string.h>

/* Longest cookie value this module makes, with room to spare: a 64-character
 * account, 12 digits, 16 nonce bytes and two separators, in base64url (128),
 * then "." and 64 hex digits. */
#define COOKIE_MAX 256

/* *out = hex HMAC(CSRF_KEY, NONCE). */
static apr_status_t csrf_for(const char **out, const unsigned char *csrf_key,
                             const unsigned char *nonce, apr_pool_t *p)
{
    char hex[NXS_HMAC_HEX_SIZE];
    apr_status_t rv;

    rv = nxs_hmac_sha256_hex(hex, csrf_key, NXS_KEY_LEN, nonce, NXS_SESSION_NONCE_LEN);
    if (rv == APR_SUCCESS) {
        *out = apr_pstrdup(p, hex);
    }
    return rv;
}

apr_status_t nxs_session_issue(const char **cookie_value, const char **csrf,
                               const unsigned char *key, const unsigned char *csrf_key,
                               const char *account, apr_time_t expires, apr_pool_t *p)
{
    char mac[NXS_HMAC_HEX_SIZE];
    char *payload;
    const char *head, *b64, *token = NULL;
    apr_size_t hlen;
    apr_status_t rv = APR_EINVAL;

    if (key == NULL || csrf_key == NULL || !nxs_sign_account_ok(account) || expires < 0) {
        goto leave;
    }
    head = apr_psprintf(p, "%s|%" APR_INT64_T_FMT "|", account, (apr_int64_t)apr_time_sec(expires));
    hlen = strlen(head);
    payload = apr_palloc(p, hlen + NXS_SESSION_NONCE_LEN);
    memcpy(payload, head, hlen);
    rv = nxs_random_bytes((unsigned char *)payload + hlen, NXS_SESSION_NONCE_LEN);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    b64 = nxs_b64url_encode(payload, hlen + NXS_SESSION_NONCE_LEN, p);
    rv = nxs_hmac_sha256_hex(mac, key, NXS_KEY_LEN, b64, strlen(b64));
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = csrf_for(&token, csrf_key, (unsigned char *)payload + hlen, p);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    *cookie_value = apr_pstrcat(p, b64, ".", mac, NULL);
    *csrf = token;
leave:
    return rv;
}

/* Splits an authentic payload "account|expiry|nonce" (LEN bytes at BUF).
 * The account cannot contain '|', so the first two bars are the separators
 * and everything after the second is the nonce, whatever bytes it holds. */
static apr_status_t parse_payload(const char **account, apr_int64_t *expiry,
                                  const unsigned char **nonce, const unsigned char *buf,
                                  apr_size_t len, apr_pool_t *p)
{
    const unsigned char *bar1, *bar2, *end = buf + len;
    const char *acc, *exp;

    bar1 = memchr(buf, '|', len);
    bar2 = bar1 ? memchr(bar1 + 1, '|', (apr_size_t)(end - bar1 - 1)) : NULL;
    if (bar2 == NULL || end - (bar2 + 1) != NXS_SESSION_NONCE_LEN) {
        return APR_EINVAL;
    }
    acc = apr_pstrmemdup(p, (const char *)buf, (apr_size_t)(bar1 - buf));
    exp = apr_pstrmemdup(p, (const char *)bar1 + 1, (apr_size_t)(bar2 - bar1 - 1));
    if (!nxs_sign_account_ok(acc) || nxs_sign_parse_unix(expiry, exp) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *account = acc;
    *nonce = bar2 + 1;
    return APR_SUCCESS;
}

apr_status_t nxs_session_check(const char **account, const char **csrf_expected, const char **why,
                               const unsigned char *key, const unsigned char *csrf_key,
                               const char *cookie_value, apr_time_t now, apr_pool_t *p)
{
    char mac[NXS_HMAC_HEX_SIZE];
    const char *ignored = NULL, *acc = NULL, *token = NULL;
    const unsigned char *nonce = NULL;
    unsigned char *buf = NULL;
    apr_size_t len, b64len, buflen = 0;
    apr_int64_t expiry = 0;
    apr_status_t rv = APR_EACCES;

    why = why ? why : &ignored;
    mac[0] = '\0';
    *why = NXS_WHY_MISSING_SESSION;
    if (cookie_value == NULL || cookie_value[0] == '\0') {
        goto leave;
    }
    /* Only the base64url part and the hex MAC are looked at before the MAC
     * is checked; the payload is parsed only once it is known to be ours. */
    *why = NXS_WHY_MALFORMED_SESSION;
    len = strlen(cookie_value);
    if (len > COOKIE_MAX || len < NXS_HMAC_HEX_LEN + 2) {
        goto leave;
    }
    b64len = len - NXS_HMAC_HEX_LEN - 1;
    if (cookie_value[b64len] != '.' ||
        !nxs_crypto_is_lower_hex(cookie_value + b64len + 1, NXS_HMAC_HEX_LEN)) {
        goto leave;
    }
    rv = nxs_hmac_sha256_hex(mac, key, key ? NXS_KEY_LEN : 0, cookie_value, b64len);
    if (rv != APR_SUCCESS) {
        *why = NXS_WHY_INTERNAL;
        goto leave;
    }
    rv = APR_EACCES;
    if (!nxs_crypto_equal(mac, cookie_value + b64len + 1, NXS_HMAC_HEX_LEN)) {
        *why = NXS_WHY_BAD_SESSION;
        goto leave;
    }
    if (nxs_b64url_decode(&buf, &buflen, cookie_value, b64len, p) != APR_SUCCESS ||
        parse_payload(&acc, &expiry, &nonce, buf, buflen, p) != APR_SUCCESS) {
        goto leave;
    }
    if ((apr_int64_t)apr_time_sec(now) >= expiry) {
        *why = NXS_WHY_EXPIRED_SESSION;
        goto leave;
    }
    rv = csrf_key ? csrf_for(&token, csrf_key, nonce, p) : APR_EINVAL;
    if (rv != APR_SUCCESS) {
        *why = NXS_WHY_INTERNAL;
        goto leave;
    }
    *account = acc;
    *csrf_expected = token;
    *why = NULL;
leave:
    OPENSSL_cleanse(mac, sizeof(mac));
    return rv;
}

int nxs_session_csrf_ok(const char *expected, const char *given)
{
    return nxs_crypto_str_equal(expected, given);
}
