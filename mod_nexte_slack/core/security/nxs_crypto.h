/* The module's cryptographic primitives over OpenSSL 3: HMAC-SHA256,
 * constant-time comparison, random tokens, base64url, HKDF key derivation and
 * the AES-256-GCM sealing of Slack tokens at rest.  Every other file that
 * needs cryptography goes through here, so there is one place to review. */
#ifndef NXS_CRYPTO_H
#define NXS_CRYPTO_H

#include <apr_errno.h>
#include <apr_pools.h>

#define NXS_HMAC_LEN      32 /* raw HMAC-SHA256 output */
#define NXS_HMAC_HEX_LEN  64 /* the same, as lowercase hex */
#define NXS_HMAC_HEX_SIZE 65 /* hex plus the terminating NUL */
#define NXS_KEY_LEN       32 /* derived keys and the token key: 256 bits */

/* Purposes given to nxs_derive_key(): each yields an independent key from
 * the one EventSecret.  Changing a string invalidates what its key made
 * (sessions, CSRF tokens, OAuth states), so they are part of the contract. */
#define NXS_KEY_PURPOSE_SESSION     "session"
#define NXS_KEY_PURPOSE_CSRF        "csrf"
#define NXS_KEY_PURPOSE_OAUTH_STATE "oauth-state"

#define NXS_RANDOM_TOKEN_MAX 64   /* bytes of randomness one token may carry */
#define NXS_TOKEN_PLAIN_MAX  8192 /* longest plaintext nxs_token_seal() takes */
#define NXS_TOKEN_AAD_MAX    1024 /* longest associated data */

/* One piece of an HMAC input, so that callers sign "v1:" + ts + ":" + body
 * without building the concatenation. */
typedef struct nxs_hmac_part_t {
    const void *data; /* may be NULL when len is 0 */
    apr_size_t len;
} nxs_hmac_part_t;

/* HMAC-SHA256 of the concatenated PARTS under KEY into OUT (NXS_HMAC_LEN
 * bytes).  An empty or NULL key is refused with APR_EINVAL: it is always a
 * configuration mistake, never a choice.  APR_EGENERAL if OpenSSL fails. */
apr_status_t nxs_hmac_sha256(unsigned char *out, const void *key, apr_size_t keylen,
                             const nxs_hmac_part_t *parts, apr_size_t nparts);

/* The same as lowercase hex into OUT (NXS_HMAC_HEX_SIZE bytes, NUL-terminated). */
apr_status_t nxs_hmac_sha256_hex_parts(char *out, const void *key, apr_size_t keylen,
                                       const nxs_hmac_part_t *parts, apr_size_t nparts);

/* Lowercase hex HMAC-SHA256 of one buffer. */
apr_status_t nxs_hmac_sha256_hex(char *out, const void *key, apr_size_t keylen, const void *data,
                                 apr_size_t len);

/* 1 when the LEN bytes at A and B are equal, in time that depends on LEN only. */
int nxs_crypto_equal(const void *a, const void *b, apr_size_t len);

/* 1 when the strings EXPECTED and GIVEN are equal and not empty; 0 otherwise,
 * including when either is NULL.  The time taken depends on the lengths only,
 * never on EXPECTED's content, so a client probing with guesses learns nothing
 * about the secret value.  Exact bytes: hex must match in case too. */
int nxs_crypto_str_equal(const char *expected, const char *given);

/* 1 when S has exactly LEN characters, all of [0-9a-f].  Not constant time:
 * it is meant for the attacker-supplied side, to refuse bad shapes early. */
int nxs_crypto_is_lower_hex(const char *s, apr_size_t len);

/* Fills OUT with N bytes from OpenSSL's CSPRNG; APR_EGENERAL if it fails. */
apr_status_t nxs_random_bytes(unsigned char *out, apr_size_t n);

/* *out = NBYTES (1..NXS_RANDOM_TOKEN_MAX) random bytes as unpadded base64url,
 * ready for a cookie, a URL or a form field without escaping. */
apr_status_t nxs_random_token(const char **out, apr_size_t nbytes, apr_pool_t *p);

/* LEN bytes at DATA as base64url (RFC 4648 section 5) without padding. */
const char *nxs_b64url_encode(const void *data, apr_size_t len, apr_pool_t *p);

/* Decodes LEN characters of unpadded base64url at TEXT into *out (*outlen
 * bytes, plus a NUL after them for convenience).  Strict, so that one value
 * has one encoding: padding, other alphabets, whitespace, an impossible length
 * or non-zero unused trailing bits are APR_EINVAL. */
apr_status_t nxs_b64url_decode(unsigned char **out, apr_size_t *outlen, const char *text,
                               apr_size_t len, apr_pool_t *p);

/* Derives a NXS_KEY_LEN-byte key for PURPOSE (1-64 characters, one of the
 * NXS_KEY_PURPOSE_*) from SECRET with HKDF-SHA256 (RFC 5869), a fixed salt
 * naming this module and PURPOSE as info.  Keys for different purposes are
 * independent, so a value made for one use is never accepted by another. */
apr_status_t nxs_derive_key(unsigned char *out, const void *secret, apr_size_t len,
                            const char *purpose);

/* Encrypts PLAINTEXT (at most NXS_TOKEN_PLAIN_MAX bytes) with AES-256-GCM
 * under KEY (NXS_KEY_LEN bytes), binding it to AAD (the row it is stored in,
 * e.g. "acc_42/T0123"; NULL means "").  *out is "v1." followed by base64url of
 * a random 12-byte nonce, the ciphertext and the 16-byte tag.  Random nonces
 * are safe far beyond the number of tokens one key will ever seal. */
apr_status_t nxs_token_seal(const char **out, const unsigned char *key, const char *plaintext,
                            const char *aad, apr_pool_t *p);

/* Reverses nxs_token_seal().  APR_EINVAL when SEALED is malformed or does not
 * authenticate (wrong key, changed byte, other AAD); *plaintext is then left
 * alone.  The plaintext lives in P and is zeroed when P is cleared. */
apr_status_t nxs_token_open(const char **plaintext, const unsigned char *key, const char *sealed,
                            const char *aad, apr_pool_t *p);

#endif
