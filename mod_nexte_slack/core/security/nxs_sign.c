/* Verifies and makes the three request signatures the module deals with:
 * Nexte's v1, Slack's v0 and the settings launch link. */
#include "security/nxs_sign.h"

#include "security/nxs_crypto.h"

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <string.h>

#define ACCOUNT_MAX 64

/* Strict so that the signed text and the checked value cannot differ. */
apr_status_t nxs_sign_parse_unix(apr_int64_t *out, const char *text)
{
    apr_int64_t v = 0;
    apr_size_t i;

    if (text == NULL) {
        return APR_EINVAL;
    }
    for (i = 0; text[i] != '\0'; ++i) {
        if (i >= NXS_SIGN_TS_MAX_DIGITS || text[i] < '0' || text[i] > '9') {
            return APR_EINVAL;
        }
        v = v * 10 + (text[i] - '0');
    }
    if (i == 0) {
        return APR_EINVAL;
    }
    *out = v;
    return APR_SUCCESS;
}

/* Lowercase hex HMAC of VERSION ":" TS ":" BODY, the layout Nexte (v1) and
 * Slack (v0) share. */
static apr_status_t sign_versioned(char *out, const char *version, const char *secret,
                                   apr_size_t secret_len, const char *ts, const char *body,
                                   apr_size_t body_len)
{
    nxs_hmac_part_t parts[5];

    parts[0].data = version;
    parts[0].len = strlen(version);
    parts[1].data = ":";
    parts[1].len = 1;
    parts[2].data = ts;
    parts[2].len = strlen(ts);
    parts[3].data = ":";
    parts[3].len = 1;
    parts[4].data = body;
    parts[4].len = body_len;
    return nxs_hmac_sha256_hex_parts(out, secret, secret_len, parts, 5);
}

/* The check shared by Nexte and Slack; VERSION is "v1" or "v0". */
static apr_status_t verify_versioned(const char **why, const char *version, const char *secret,
                                     apr_size_t secret_len, const char *ts, const char *sig,
                                     const char *body, apr_size_t body_len, apr_time_t now)
{
    char expected[NXS_HMAC_HEX_SIZE];
    apr_size_t vlen = strlen(version);
    apr_int64_t t = 0, skew;
    apr_status_t rv = APR_EACCES;

    expected[0] = '\0';
    if (ts == NULL || ts[0] == '\0' || sig == NULL || sig[0] == '\0') {
        *why = NXS_WHY_MISSING_SIGNATURE;
        goto leave;
    }
    if (nxs_sign_parse_unix(&t, ts) != APR_SUCCESS || strncmp(sig, version, vlen) != 0 ||
        sig[vlen] != '=' || !nxs_crypto_is_lower_hex(sig + vlen + 1, NXS_HMAC_HEX_LEN)) {
        *why = NXS_WHY_MALFORMED_SIGNATURE;
        goto leave;
    }
    /* Checked before the HMAC so that replays of old requests cost nothing. */
    skew = (apr_int64_t)apr_time_sec(now) - t;
    if (skew > NXS_SIGN_MAX_SKEW_SEC || skew < -NXS_SIGN_MAX_SKEW_SEC) {
        *why = NXS_WHY_STALE_TIMESTAMP;
        goto leave;
    }
    rv = sign_versioned(expected, version, secret, secret_len, ts, body, body_len);
    if (rv != APR_SUCCESS) {
        *why = NXS_WHY_INTERNAL;
        goto leave;
    }
    if (!nxs_crypto_equal(expected, sig + vlen + 1, NXS_HMAC_HEX_LEN)) {
        *why = NXS_WHY_BAD_SIGNATURE;
        rv = APR_EACCES;
        goto leave;
    }
    *why = NULL;
leave:
    /* The right signature for an attacker's body is a forgery: wipe it. */
    OPENSSL_cleanse(expected, sizeof(expected));
    return rv;
}

apr_status_t nxs_sign_nexte_verify(const char **why, const char *secret, apr_size_t secret_len,
                                   const char *timestamp_header, const char *signature_header,
                                   const char *body, apr_size_t body_len, apr_time_t now,
                                   apr_pool_t *p)
{
    const char *ignored = NULL;

    return verify_versioned(why ? why : &ignored, "v1", secret, secret_len, timestamp_header,
                            signature_header, body, body_len, now);
}

apr_status_t nxs_sign_slack_verify(const char **why, const char *signing_secret,
                                   apr_size_t secret_len, const char *timestamp_header,
                                   const char *signature_header, const char *body,
                                   apr_size_t body_len, apr_time_t now, apr_pool_t *p)
{
    const char *ignored = NULL;

    return verify_versioned(why ? why : &ignored, "v0", signing_secret, secret_len,
                            timestamp_header, signature_header, body, body_len, now);
}

apr_status_t nxs_sign_nexte_make(const char **ts_header, const char **sig_header,
                                 const char *secret, apr_size_t secret_len, const char *body,
                                 apr_size_t body_len, apr_time_t now, apr_pool_t *p)
{
    char hex[NXS_HMAC_HEX_SIZE];
    const char *ts = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(now));
    apr_status_t rv;

    rv = sign_versioned(hex, "v1", secret, secret_len, ts, body, body_len);
    if (rv == APR_SUCCESS) {
        *ts_header = ts;
        *sig_header = apr_pstrcat(p, "v1=", hex, NULL);
    }
    return rv;
}

int nxs_sign_account_ok(const char *account)
{
    apr_size_t i;
    char c;

    if (account == NULL) {
        return 0;
    }
    for (i = 0; account[i] != '\0'; ++i) {
        c = account[i];
        if (i >= ACCOUNT_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                  (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return 0;
        }
    }
    return i > 0;
}

static apr_status_t sign_launch(char *out, const char *secret, apr_size_t secret_len,
                                const char *account, const char *exp)
{
    nxs_hmac_part_t parts[4];

    parts[0].data = "launch:";
    parts[0].len = 7;
    parts[1].data = account;
    parts[1].len = strlen(account);
    parts[2].data = ":";
    parts[2].len = 1;
    parts[3].data = exp;
    parts[3].len = strlen(exp);
    return nxs_hmac_sha256_hex_parts(out, secret, secret_len, parts, 4);
}

apr_status_t nxs_sign_launch_verify(const char **why, const char *secret, apr_size_t secret_len,
                                    const char *account, const char *exp, const char *sig,
                                    apr_time_t now, apr_pool_t *p)
{
    char expected[NXS_HMAC_HEX_SIZE];
    const char *ignored = NULL;
    apr_int64_t t = 0;
    apr_status_t rv = APR_EACCES;

    why = why ? why : &ignored;
    expected[0] = '\0';
    if (!nxs_sign_account_ok(account) || exp == NULL ||
        nxs_sign_parse_unix(&t, exp) != APR_SUCCESS ||
        !nxs_crypto_is_lower_hex(sig, NXS_HMAC_HEX_LEN)) {
        *why = NXS_WHY_MALFORMED_LINK;
        goto leave;
    }
    rv = sign_launch(expected, secret, secret_len, account, exp);
    if (rv != APR_SUCCESS) {
        *why = NXS_WHY_INTERNAL;
        goto leave;
    }
    rv = APR_EACCES;
    if (!nxs_crypto_equal(expected, sig, NXS_HMAC_HEX_LEN)) {
        *why = NXS_WHY_BAD_SIGNATURE;
        goto leave;
    }
    if ((apr_int64_t)apr_time_sec(now) >= t) {
        *why = NXS_WHY_EXPIRED_LINK;
        goto leave;
    }
    if (t - (apr_int64_t)apr_time_sec(now) > NXS_SIGN_LAUNCH_MAX_AHEAD_SEC) {
        *why = NXS_WHY_EXP_TOO_FAR;
        goto leave;
    }
    *why = NULL;
    rv = APR_SUCCESS;
leave:
    OPENSSL_cleanse(expected, sizeof(expected));
    return rv;
}

apr_status_t nxs_sign_launch_make(const char **exp, const char **sig, const char *secret,
                                  apr_size_t secret_len, const char *account, apr_time_t expires,
                                  apr_pool_t *p)
{
    char hex[NXS_HMAC_HEX_SIZE];
    const char *e = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(expires));
    apr_status_t rv = APR_EINVAL;

    if (nxs_sign_account_ok(account)) {
        rv = sign_launch(hex, secret, secret_len, account, e);
    }
    if (rv == APR_SUCCESS) {
        *exp = e;
        *sig = apr_pstrdup(p, hex);
    }
    return rv;
}
