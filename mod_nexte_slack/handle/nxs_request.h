/* What the handlers read from a request: the body with a size limit, cookies
 * and the path below the handler's <Location>.  What they send back is
 * handle/nxs_reply.h. */
#ifndef NXS_REQUEST_H
#define NXS_REQUEST_H

#include <httpd.h>

/* Reads the whole request body (at most LIMIT bytes) into a NUL-terminated
 * pool string.  APR_ENOSPC when larger (answer 413), APR_EINVAL when the
 * body could not be read (answer 400). */
apr_status_t nxs_request_read_body(const char **body, apr_size_t *len, request_rec *r,
                                   apr_size_t limit);

/* Reads the body as nxs_request_read_body does and answers the failures the
 * way every handler does: 413 too_large with TOO_LARGE as the message, 400
 * bad_body.  Returns DECLINED when *body is there to use, else OK (the
 * response is sent), like nxs_reply_unless_method. */
int nxs_request_body_or_refuse(const char **body, apr_size_t *len, request_rec *r, apr_size_t limit,
                               const char *too_large);

/* The value of field NAME of an application/x-www-form-urlencoded body of at
 * most LIMIT bytes (read with httpd's ap_parse_form_data), or NULL when the
 * body is not such a form, is larger, or has no such field. */
const char *nxs_request_form_field(request_rec *r, const char *name, apr_size_t limit);

/* The value of cookie NAME, or NULL. */
const char *nxs_request_cookie(request_rec *r, const char *name);

/* The request path below the handler's <Location>: "/launch" for
 * "/slack/settings/launch" (r->uri minus the location prefix). */
const char *nxs_request_subpath(request_rec *r);

#endif
