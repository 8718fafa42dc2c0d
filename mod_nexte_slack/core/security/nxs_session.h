/* The settings session: a stateless, signed cookie that names one account
 * until it expires, and the CSRF token bound to that session (docs/CONTRACT.md "Settings").
 * Keys come from nxs_derive_key(EventSecret, "session") and (…, "csrf"). */
#ifndef NXS_SESSION_H
#define NXS_SESSION_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

#define NXS_SESSION_NONCE_LEN 16 /* random bytes that make each session unique */

/* The *why codes of nxs_session_check(). */
#define NXS_WHY_MISSING_SESSION   "missing_session"   /* no cookie value */
#define NXS_WHY_MALFORMED_SESSION "malformed_session" /* not a value this module makes */
#define NXS_WHY_BAD_SESSION       "bad_signature"     /* changed, or made with another key */
#define NXS_WHY_EXPIRED_SESSION   "expired_session"   /* authentic, but now >= expiry */

/* Starts a session for ACCOUNT (an account id, see nxs_sign_account_ok) that
 * ends at EXPIRES (whole seconds).  *cookie_value is base64url(account "|"
 * expiry "|" 16 random bytes) "." hex HMAC(KEY, that base64url text): safe in
 * a cookie as is.  *csrf is hex HMAC(CSRF_KEY, the random bytes), so it belongs
 * to this session alone and no other session can produce it. */
apr_status_t nxs_session_issue(const char **cookie_value, const char **csrf,
                               const unsigned char *key, const unsigned char *csrf_key,
                               const char *account, apr_time_t expires, apr_pool_t *p);

/* Checks COOKIE_VALUE: shape, then the HMAC (constant time), then expiry.  On
 * APR_SUCCESS *account is the session's account and *csrf_expected the token
 * that state-changing requests of this session must carry.  Otherwise
 * APR_EACCES with *why one of the NXS_WHY_*_SESSION codes (WHY may be NULL),
 * or another status when the check itself failed (*why internal_error). */
apr_status_t nxs_session_check(const char **account, const char **csrf_expected, const char **why,
                               const unsigned char *key, const unsigned char *csrf_key,
                               const char *cookie_value, apr_time_t now, apr_pool_t *p);

/* 1 when GIVEN (from the request) equals EXPECTED (from nxs_session_check),
 * in constant time; 0 when they differ or either is NULL or empty. */
int nxs_session_csrf_ok(const char *expected, const char *given);

#endif
