/* Request plumbing shared by the browser- and API-facing handlers: bodies
 * with a size limit, cookies, redirects and human-readable pages. */
#ifndef NXS_HTTP_H
#define NXS_HTTP_H

#include <httpd.h>

/* Reads the whole request body (at most LIMIT bytes) into a NUL-terminated
 * pool string.  APR_ENOSPC when larger (answer 413), APR_EINVAL when the
 * body could not be read (answer 400). */
apr_status_t nxs_http_read_body(const char **body, apr_size_t *len, request_rec *r,
                                apr_size_t limit);

/* Reads the body as nxs_http_read_body does and answers the failures the
 * way every handler does: 413 too_large with TOO_LARGE as the message, 400
 * bad_body.  Returns DECLINED when *body is there to use, else OK (the
 * response is sent), like nxs_respond_unless_method. */
int nxs_http_body_or_refuse(const char **body, apr_size_t *len, request_rec *r, apr_size_t limit,
                            const char *too_large);

/* The value of cookie NAME, or NULL. */
const char *nxs_http_cookie(request_rec *r, const char *name);

/* Sets cookie NAME (HttpOnly, SameSite=Lax, Path=/, Secure when SECURE)
 * for MAX_AGE seconds; MAX_AGE 0 deletes it. */
void nxs_http_set_cookie(request_rec *r, const char *name, const char *value, int max_age,
                         int secure);

/* Answers 302 to LOCATION. */
int nxs_http_redirect(request_rec *r, const char *location);

/* Answers an HTML page: TITLE and MESSAGE (both escaped here) and, when
 * BACK_URL is set, a link back to the settings. */
int nxs_http_page(request_rec *r, int status, const char *title, const char *message,
                  const char *back_url);

/* The request path below the handler's <Location>: "/launch" for
 * "/slack/settings/launch" (r->uri minus the location prefix). */
const char *nxs_http_subpath(request_rec *r);

#endif
