/* Bodies, cookies, redirects and pages for the handlers. */
#include "nxs_http.h"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_cookies.h>
#include <string.h>

#include "nxs_respond.h"

apr_status_t nxs_http_read_body(const char **body, apr_size_t *len, request_rec *r,
                                apr_size_t limit)
{
    char *buf;
    apr_size_t got = 0;
    long n;

    *body = "";
    *len = 0;
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        return APR_EINVAL;
    }
    if (r->remaining > (apr_off_t)limit) {
        return APR_ENOSPC;
    }
    if (!ap_should_client_block(r)) {
        return APR_SUCCESS;
    }
    buf = apr_palloc(r->pool, limit + 1);
    /* Read one byte past the limit so that a chunked body that is too large
     * is detected without trusting any header. */
    while ((n = ap_get_client_block(r, buf + got, limit + 1 - got)) > 0) {
        got += (apr_size_t)n;
        if (got > limit) {
            return APR_ENOSPC;
        }
    }
    if (n < 0) {
        return APR_EINVAL;
    }
    buf[got] = '\0';
    *body = buf;
    *len = got;
    return APR_SUCCESS;
}

int nxs_http_body_or_refuse(const char **body, apr_size_t *len, request_rec *r, apr_size_t limit,
                            const char *too_large)
{
    apr_status_t rv = nxs_http_read_body(body, len, r, limit);

    if (rv == APR_ENOSPC) {
        return nxs_respond_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large);
    }
    if (rv != APR_SUCCESS) {
        return nxs_respond_error(r, HTTP_BAD_REQUEST, "bad_body", "the body could not be read");
    }
    return DECLINED;
}

const char *nxs_http_cookie(request_rec *r, const char *name)
{
    const char *value = NULL;

    if (ap_cookie_read(r, name, &value, 0) != APR_SUCCESS || !value || !*value) {
        return NULL;
    }
    return value;
}

void nxs_http_set_cookie(request_rec *r, const char *name, const char *value, int max_age,
                         int secure)
{
    const char *attrs =
        secure ? "Path=/;HttpOnly;SameSite=Lax;Secure" : "Path=/;HttpOnly;SameSite=Lax";

    if (max_age > 0) {
        ap_cookie_write(r, name, value, attrs, max_age, r->err_headers_out, NULL);
    } else {
        ap_cookie_remove(r, name, attrs, r->err_headers_out, NULL);
    }
}

int nxs_http_redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

int nxs_http_page(request_rec *r, int status, const char *title, const char *message,
                  const char *back_url)
{
    const char *t = ap_escape_html2(r->pool, title, 1);
    const char *html = apr_pstrcat(
        r->pool,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>",
        t,
        " - Nexte for Slack</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#1d1c1d}h1{font-size:1.4rem}a{color:#1264a3}</style>"
        "</head><body><h1>",
        t, "</h1><p>", ap_escape_html2(r->pool, message, 1), "</p>",
        back_url ? apr_pstrcat(r->pool, "<p><a href=\"", ap_escape_html2(r->pool, back_url, 1),
                               "\">Back to the Slack settings</a></p>", NULL)
                 : "",
        "</body></html>\n", NULL);

    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'");
    return nxs_respond_text(r, status, "text/html; charset=utf-8", html);
}

const char *nxs_http_subpath(request_rec *r)
{
    /* With SetHandler in a <Location /x>, r->uri starts with the location;
     * the per-dir config path tells where the location ends. */
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *loc = d && d->d ? d->d : "";
    apr_size_t n = strlen(loc);

    while (n > 0 && loc[n - 1] == '/') {
        --n;
    }
    if (strncmp(r->uri, loc, n) == 0) {
        return r->uri[n] ? r->uri + n : "/";
    }
    return r->uri;
}
