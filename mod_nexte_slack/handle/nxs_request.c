/* What the handlers read from a request: the body (with a size limit),
 * cookies and the path below the handler's <Location>. */
#include "nxs_request.h"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_cookies.h>
#include <util_script.h>
#include <string.h>

#include "nxs_reply.h"

apr_status_t nxs_request_read_body(const char **body, apr_size_t *len, request_rec *r,
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

int nxs_request_body_or_refuse(const char **body, apr_size_t *len, request_rec *r, apr_size_t limit,
                               const char *too_large)
{
    apr_status_t rv = nxs_request_read_body(body, len, r, limit);

    if (rv == APR_ENOSPC) {
        return nxs_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large);
    }
    if (rv != APR_SUCCESS) {
        return nxs_reply_error(r, HTTP_BAD_REQUEST, "bad_body", "the body could not be read");
    }
    return DECLINED;
}

const char *nxs_request_form_field(request_rec *r, const char *name, apr_size_t limit)
{
    apr_array_header_t *pairs = NULL;
    int i;

    if (ap_parse_form_data(r, NULL, &pairs, 8, limit) != OK || !pairs) {
        return NULL;
    }
    for (i = 0; i < pairs->nelts; ++i) {
        ap_form_pair_t *f = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_off_t len = 0;
        apr_size_t size;
        char *value;

        if (strcmp(f->name, name) != 0 || apr_brigade_length(f->value, 1, &len) != APR_SUCCESS ||
            len < 0 || (apr_size_t)len > limit) {
            continue;
        }
        size = (apr_size_t)len;
        value = apr_palloc(r->pool, size + 1);
        if (apr_brigade_flatten(f->value, value, &size) != APR_SUCCESS) {
            return NULL;
        }
        value[size] = '\0';
        return value;
    }
    return NULL;
}

const char *nxs_request_cookie(request_rec *r, const char *name)
{
    const char *value = NULL;

    if (ap_cookie_read(r, name, &value, 0) != APR_SUCCESS || !value || !*value) {
        return NULL;
    }
    return value;
}

const char *nxs_request_subpath(request_rec *r)
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
