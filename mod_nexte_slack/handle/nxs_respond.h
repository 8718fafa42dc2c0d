/* JSON responses for every handler: one place that sets the content type,
 * the status and the error body shape {"error": code, "message": text}. */
#ifndef NXS_RESPOND_H
#define NXS_RESPOND_H

#include <httpd.h>
#include <jansson.h>

/* Sends BODY (consumed: its reference is released) with STATUS.  Returns OK
 * so handlers can `return nxs_respond_json(...)`. */
int nxs_respond_json(request_rec *r, int status, json_t *body);

/* Sends {"error": CODE, "message": MESSAGE} with STATUS. */
int nxs_respond_error(request_rec *r, int status, const char *code, const char *message);

/* Sends TEXT as-is with STATUS and CONTENT_TYPE. */
int nxs_respond_text(request_rec *r, int status, const char *content_type, const char *text);

/* Answers 405 with an Allow header unless r->method is one of ALLOWED
 * ("GET", "POST", ...; GET also admits HEAD).  Returns OK when a response
 * was sent, DECLINED when the method is allowed. */
int nxs_respond_unless_method(request_rec *r, const char *allowed);

#endif
