/* A small Slack Web API client over libcurl: one call = one HTTP request,
 * with connect and total timeouts, and one place that maps transport and
 * Slack failures to an error code.  The delivery engine reuses handles
 * through its own pool; the calls here serve interactive requests (OAuth,
 * settings), which are rare. */
#ifndef NXS_SLACK_H
#define NXS_SLACK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>

typedef struct nxs_slack_result_t {
    long http_status;                /* 0 when no HTTP answer arrived */
    json_t *body;                    /* parsed answer (pool-owned), or NULL */
    const char *error;               /* NULL on ok:true; else Slack's "error" or a transport code:
                                        "unreachable", "timeout", "http_<status>", "bad_response" */
    apr_interval_time_t retry_after; /* from Retry-After on 429, else 0 */
} nxs_slack_result_t;

typedef struct nxs_slack_auth_t {
    const char *bearer;     /* bot token, or NULL */
    const char *basic_user; /* HTTP Basic client auth (oauth.v2.access), or NULL */
    const char *basic_pass;
} nxs_slack_auth_t;

/* POSTs FORM (application/x-www-form-urlencoded pairs, from nxs_slack_form)
 * or, when FORM is NULL, JSON_BODY to API_BASE/METHOD.  Always returns
 * APR_SUCCESS once RES is filled; RES->error tells the outcome. */
apr_status_t nxs_slack_call(nxs_slack_result_t *res, const char *api_base, const char *method,
                            const nxs_slack_auth_t *auth, const apr_table_t *form,
                            const char *json_body, apr_interval_time_t timeout, apr_pool_t *p);

/* The same on HANDLE, a CURL easy handle the caller keeps (one per thread)
 * so that its connection to Slack is reused across calls. */
apr_status_t nxs_slack_call_on(void *handle, nxs_slack_result_t *res, const char *api_base,
                               const char *method, const nxs_slack_auth_t *auth,
                               const apr_table_t *form, const char *json_body,
                               apr_interval_time_t timeout, apr_pool_t *p);

/* POSTs JSON_BODY to a response_url Slack gave with an interaction.  Slack
 * answers those with text: RES->error is NULL on 200, else the text it
 * sent ("used_url", "expired_url", ...), "http_<status>" or a transport
 * code.  Only http and https URLs are followed. */
apr_status_t nxs_slack_respond(nxs_slack_result_t *res, const char *url, const char *json_body,
                               apr_interval_time_t timeout, apr_pool_t *p);

/* The wait a Retry-After header value asks for.  VALUE is LEN bytes, not
 * NUL-terminated (as libcurl hands header lines over).  Returns a time of at
 * least 1 s; 0 when the value is not delta-seconds (RFC 9110 section 10.2.3),
 * e.g. a negative number or an HTTP date, and the caller uses its default. */
apr_interval_time_t nxs_slack_retry_after(const char *value, apr_size_t len);

/* The longest wait a Retry-After can impose (larger values are cut to it);
 * nxs_slack.c says why. */
#define NXS_SLACK_RETRY_AFTER_MAX apr_time_from_sec(3600)

/* True for errors worth retrying later (network, timeouts, 5xx, 429 and the
 * Slack codes that mean "try again"). */
int nxs_slack_error_is_transient(const char *error);
/* True for errors that mean the token or the install is no longer usable. */
int nxs_slack_error_is_account(const char *error);
/* True for errors tied to one channel (not found, archived, not a member...). */
int nxs_slack_error_is_channel(const char *error);

/* Called for each channel of a listing with its ID and NAME (valid during
 * the call only); a non-zero return stops the listing. */
typedef int (*nxs_slack_channel_fn)(void *baton, const char *id, const char *name);

/* conversations.list of TYPES, archived channels left out: every page, of up
 * to 1000 channels each, on one connection, each channel handed to EACH in
 * Slack's order until EACH asks to stop.  *pages counts the calls made.  On
 * a Slack or transport error, or past 200 pages (too_many_pages), *error
 * is its code and the result is APR_EGENERAL.  Memory: one page's answer
 * at a time. */
apr_status_t nxs_slack_channels_each(int *pages, const char **error, const char *api_base,
                                     const char *token, const char *types,
                                     apr_interval_time_t timeout, nxs_slack_channel_fn each,
                                     void *baton, apr_pool_t *p);

#endif
