/* Validation of the absolute http(s) URLs that directives take. */
#ifndef NXS_URL_H
#define NXS_URL_H

#include <apr_errno.h>
#include <apr_pools.h>

/* Checks that TEXT is an absolute http:// or https:// URL with a host and no
 * fragment, user info or query, and returns it in *out without a trailing
 * slash (so callers can append "/path").  *why explains a refusal. */
apr_status_t nxs_url_check_base(const char **out, const char **why, const char *text,
                                apr_pool_t *p);

/* True when URL is below BASE (a value nxs_url_check_base gave): it starts
 * with BASE followed by '/', so "https://hooks.slack.com.evil.test/" or
 * "https://hooks.slack.com@evil.test/" are not below "https://hooks.slack.com". */
int nxs_url_is_under(const char *url, const char *base);

/* True when the URL's host is loopback: an address of 127.0.0.0/8, ::1, or
 * the name localhost.  Such URLs may use plain http (tests, a local mock);
 * others should use https. */
int nxs_url_is_loopback(const char *url, apr_pool_t *p);

#endif
