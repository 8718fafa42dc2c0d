/* Everything the handlers send back: one place that sets the content type,
 * the status and the error body shape {"error": code, "message": text}, and
 * the redirects, cookies and HTML pages of the browser-facing handlers. */
#ifndef NXS_REPLY_H
#define NXS_REPLY_H

#include <httpd.h>
#include <jansson.h>

/* Sends BODY (consumed: its reference is released) with STATUS, compact,
 * reals in their shortest text (nxs_json_dump_readable).  Returns OK so
 * handlers can `return nxs_reply_json(...)`. */
int nxs_reply_json(request_rec *r, int status, json_t *body);

/* Sends {"error": CODE, "message": MESSAGE} with STATUS. */
int nxs_reply_error(request_rec *r, int status, const char *code, const char *message);

/* Sends TEXT as-is with STATUS and CONTENT_TYPE. */
int nxs_reply_text(request_rec *r, int status, const char *content_type, const char *text);

/* Answers 405 with an Allow header unless r->method is one of ALLOWED
 * ("GET", "POST", ...; GET also admits HEAD).  Returns OK when a response
 * was sent, DECLINED when the method is allowed. */
int nxs_reply_unless_method(request_rec *r, const char *allowed);

/* The name cookie NAME has on the wire: "__Host-" NAME when SECURE (the
 * public URL is https), so that the browser keeps it for this host only,
 * Secure and Path=/, and no sibling subdomain can set or shadow it; NAME
 * otherwise (plain http has no such guarantee to ask for). */
const char *nxs_reply_cookie_name(apr_pool_t *p, const char *name, int secure);

/* Sets cookie NAME (its nxs_reply_cookie_name; HttpOnly, SameSite=Lax,
 * Path=/, Secure when SECURE) for MAX_AGE seconds; MAX_AGE 0 deletes it. */
void nxs_reply_set_cookie(request_rec *r, const char *name, const char *value, int max_age,
                          int secure);

/* Answers 302 to LOCATION. */
int nxs_reply_redirect(request_rec *r, const char *location);

/* Answers an HTML page: TITLE and MESSAGE (both escaped here) and, when
 * BACK_URL is set, a link back to the settings. */
int nxs_reply_page(request_rec *r, int status, const char *title, const char *message,
                   const char *back_url);

/* nxs_reply_page with, when RETRY_ACTION and CSRF are set, a "Try again"
 * button that posts CSRF (as csrf_token) to RETRY_ACTION: the OAuth error
 * pages start the install again in one click. */
int nxs_reply_page_retry(request_rec *r, int status, const char *title, const char *message,
                         const char *back_url, const char *retry_action, const char *csrf);

#endif
