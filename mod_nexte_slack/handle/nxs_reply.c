/* Everything the handlers send back: JSON and text bodies, the error shape,
 * 405s, redirects, cookies and human-readable HTML pages. */
#include "nxs_reply.h"

#include <apr_strings.h>
#include <http_protocol.h>
#include <util_cookies.h>
#include <string.h>

#include "nxs_json.h"

int nxs_reply_text(request_rec *r, int status, const char *content_type, const char *text)
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

int nxs_reply_json(request_rec *r, int status, json_t *body)
{
    /* Reals as people read them (0.005, not 0.0050000000000000001). */
    const char *text = nxs_json_dump_readable(body, JSON_ENSURE_ASCII, r->pool);

    json_decref(body);
    if (!text) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return nxs_reply_text(r, status, "application/json", apr_pstrcat(r->pool, text, "\n", NULL));
}

int nxs_reply_error(request_rec *r, int status, const char *code, const char *message)
{
    return nxs_reply_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

int nxs_reply_unless_method(request_rec *r, const char *allowed)
{
    char *list = apr_pstrdup(r->pool, allowed), *last = NULL, *m;

    for (m = apr_strtok(list, ", ", &last); m; m = apr_strtok(NULL, ", ", &last)) {
        if (strcmp(r->method, m) == 0 || (r->header_only && strcmp(m, "GET") == 0)) {
            return DECLINED;
        }
    }
    apr_table_setn(r->headers_out, "Allow", allowed);
    return nxs_reply_error(
        r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
        apr_psprintf(r->pool, "%s is not allowed here; use %s", r->method, allowed));
}

const char *nxs_reply_cookie_name(apr_pool_t *p, const char *name, int secure)
{
    return secure ? apr_pstrcat(p, "__Host-", name, NULL) : name;
}

void nxs_reply_set_cookie(request_rec *r, const char *name, const char *value, int max_age,
                          int secure)
{
    const char *attrs =
        secure ? "Path=/;HttpOnly;SameSite=Lax;Secure" : "Path=/;HttpOnly;SameSite=Lax";

    if (max_age > 0) {
        ap_cookie_write(r, nxs_reply_cookie_name(r->pool, name, secure), value, attrs, max_age,
                        r->err_headers_out, NULL);
    } else {
        ap_cookie_remove(r, nxs_reply_cookie_name(r->pool, name, secure), attrs, r->err_headers_out,
                         NULL);
    }
}

int nxs_reply_redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

int nxs_reply_page(request_rec *r, int status, const char *title, const char *message,
                   const char *back_url)
{
    return nxs_reply_page_retry(r, status, title, message, back_url, NULL, NULL);
}

int nxs_reply_page_retry(request_rec *r, int status, const char *title, const char *message,
                         const char *back_url, const char *retry_action, const char *csrf)
{
    const char *t = ap_escape_html2(r->pool, title, 1);
    const char *retry =
        retry_action && csrf
            ? apr_pstrcat(r->pool, "<form method=\"post\" action=\"",
                          ap_escape_html2(r->pool, retry_action, 1),
                          "\"><input type=\"hidden\" name=\"csrf_token\" value=\"",
                          ap_escape_html2(r->pool, csrf, 1),
                          "\"><button type=\"submit\">Try again</button></form>", NULL)
            : "";
    const char *html = apr_pstrcat(
        r->pool,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>",
        t,
        " - Nexte for Slack</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#1d1c1d}h1{font-size:1.4rem}a{color:#1264a3}"
        "button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:6px;"
        "border:1px solid #1264a3;background:#1264a3;color:#fff;cursor:pointer}</style>"
        "</head><body><h1>",
        t, "</h1><p>", ap_escape_html2(r->pool, message, 1), "</p>", retry,
        back_url ? apr_pstrcat(r->pool, "<p><a href=\"", ap_escape_html2(r->pool, back_url, 1),
                               "\">Back to the Slack settings</a></p>", NULL)
                 : "",
        "</body></html>\n", NULL);

    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                   "base-uri 'none'");
    return nxs_reply_text(r, status, "text/html; charset=utf-8", html);
}
