/* JSON and text responses shared by the handlers. */
#include "nxs_respond.h"

#include <apr_strings.h>
#include <http_protocol.h>
#include <string.h>

int nxs_respond_text(request_rec *r, int status, const char *content_type, const char *text)
{
    r->status = status;
    ap_set_content_type(r, content_type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, (apr_off_t)strlen(text));
    if (!r->header_only) {
        ap_rputs(text, r);
    }
    return OK;
}

int nxs_respond_json(request_rec *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    int rc;

    json_decref(body);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rc = nxs_respond_text(r, status, "application/json", apr_pstrcat(r->pool, text, "\n", NULL));
    free(text);
    return rc;
}

int nxs_respond_error(request_rec *r, int status, const char *code, const char *message)
{
    return nxs_respond_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

int nxs_respond_unless_method(request_rec *r, const char *allowed)
{
    char *list = apr_pstrdup(r->pool, allowed), *last = NULL, *m;

    for (m = apr_strtok(list, ", ", &last); m; m = apr_strtok(NULL, ", ", &last)) {
        if (strcmp(r->method, m) == 0 || (r->header_only && strcmp(m, "GET") == 0)) {
            return DECLINED;
        }
    }
    apr_table_setn(r->headers_out, "Allow", allowed);
    return nxs_respond_error(
        r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
        apr_psprintf(r->pool, "%s is not allowed here; use %s", r->method, allowed));
}
