/* Request signatures (docs/CONTRACT.md "Events", "Interactions",
 * "Settings"): Nexte's server-to-server HMAC, Slack's v0 request signing
 * and the settings launch link.
 * Verifiers say why they refuse with a machine code that callers turn into
 * the `error` field of a 401 (or a clear page for a launch link). */
#ifndef NXS_SIGN_H
#define NXS_SIGN_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* Largest accepted distance, either way, between a request's timestamp and
 * now: it bounds how long a captured request can be replayed. */
#define NXS_SIGN_MAX_SKEW_SEC 300

/* How far ahead of now a launch link's exp may be: 15 minutes.  Nexte core
 * makes a link when the user asks for the settings, who opens it at once; a
 * link that lives longer is a bearer credential left in browser history,
 * logs and Referer headers for that long.  15 minutes cover a slow click and
 * the clock skew allowed elsewhere (NXS_SIGN_MAX_SKEW_SEC). */
#define NXS_SIGN_LAUNCH_MAX_AHEAD_SEC 900

/* Longest unix-seconds value accepted in a header or link: 12 digits. */
#define NXS_SIGN_TS_MAX_DIGITS 12

/* The *why codes. */
#define NXS_WHY_MISSING_SIGNATURE   "missing_signature"   /* a header absent or empty */
#define NXS_WHY_MALFORMED_SIGNATURE "malformed_signature" /* not digits / not vN=<64 hex> */
#define NXS_WHY_STALE_TIMESTAMP     "stale_timestamp"     /* more than 300 s from now */
#define NXS_WHY_BAD_SIGNATURE       "bad_signature"       /* well-formed, but wrong */
#define NXS_WHY_MALFORMED_LINK      "malformed_link"      /* launch link with a bad field */
#define NXS_WHY_EXPIRED_LINK        "expired_link"        /* authentic launch link, too late */
#define NXS_WHY_EXP_TOO_FAR         "exp_too_far"         /* authentic, but valid for too long */
#define NXS_WHY_INTERNAL            "internal_error"      /* could not check (see below) */

/* Checks a Nexte core request: TIMESTAMP_HEADER is X-Nexte-Timestamp (unix
 * seconds, 1-12 digits), SIGNATURE_HEADER is X-Nexte-Signature, "v1=" and the
 * lowercase hex HMAC-SHA256 under SECRET of "v1:" + timestamp + ":" + BODY.
 * Returns APR_SUCCESS, or APR_EACCES with *why one of missing_signature,
 * malformed_signature, stale_timestamp, bad_signature (checked in that order).
 * Any other status (no secret configured, OpenSSL failure) means the request
 * could not be checked: *why is internal_error and the caller answers 500.
 * WHY may be NULL.  The signature is compared in constant time. */
apr_status_t nxs_sign_nexte_verify(const char **why, const char *secret, apr_size_t secret_len,
                                   const char *timestamp_header, const char *signature_header,
                                   const char *body, apr_size_t body_len, apr_time_t now,
                                   apr_pool_t *p);

/* Signs BODY for an outgoing request to Nexte core, at time NOW: *ts_header
 * and *sig_header are the values of X-Nexte-Timestamp and X-Nexte-Signature. */
apr_status_t nxs_sign_nexte_make(const char **ts_header, const char **sig_header,
                                 const char *secret, apr_size_t secret_len, const char *body,
                                 apr_size_t body_len, apr_time_t now, apr_pool_t *p);

/* Checks a Slack request the same way: X-Slack-Request-Timestamp and
 * X-Slack-Signature, "v0=" + hex HMAC-SHA256(SIGNING_SECRET, "v0:" + ts + ":"
 * + body), the same window and the same why codes. */
apr_status_t nxs_sign_slack_verify(const char **why, const char *signing_secret,
                                   apr_size_t secret_len, const char *timestamp_header,
                                   const char *signature_header, const char *body,
                                   apr_size_t body_len, apr_time_t now, apr_pool_t *p);

/* Parses TEXT as unix seconds: 1 to NXS_SIGN_TS_MAX_DIGITS digits and
 * nothing else (no sign, no spaces).  APR_EINVAL otherwise, *out untouched. */
apr_status_t nxs_sign_parse_unix(apr_int64_t *out, const char *text);

/* 1 when ACCOUNT is a valid Nexte account id: 1-64 characters [A-Za-z0-9_-]. */
int nxs_sign_account_ok(const char *account);

/* Checks a settings launch link's query fields: ACCOUNT (an account id), EXP
 * (unix seconds after which the link is dead) and SIG (lowercase hex
 * HMAC-SHA256(SECRET, "launch:" + account + ":" + exp)).  APR_EACCES with *why
 * malformed_link (any field absent or misshapen), bad_signature,
 * expired_link (authentic but now >= exp) or exp_too_far (authentic but exp
 * more than NXS_SIGN_LAUNCH_MAX_AHEAD_SEC after now).  Only genuine links are
 * told they expired or live too long, so the page can send the user back to
 * Nexte for a fresh one. */
apr_status_t nxs_sign_launch_verify(const char **why, const char *secret, apr_size_t secret_len,
                                    const char *account, const char *exp, const char *sig,
                                    apr_time_t now, apr_pool_t *p);

/* Makes the EXP and SIG query values of a launch link for ACCOUNT that is
 * valid until EXPIRES (whole seconds). */
apr_status_t nxs_sign_launch_make(const char **exp, const char **sig, const char *secret,
                                  apr_size_t secret_len, const char *account, apr_time_t expires,
                                  apr_pool_t *p);

#endif
