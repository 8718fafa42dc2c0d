/* Serves the settings page's embedded static files (handle/nxs_assets.h):
 * finding one by name, its versioned URL, and the GET/HEAD answer.  The
 * bytes themselves are in the generated table (tools/nxs-embed). */
#include "handle/nxs_assets.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <string.h>

#include "handle/nxs_reply.h"

#define CACHE_IMMUTABLE  "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "no-cache"

const nxs_asset_t *nxs_asset_find(const char *name)
{
    const nxs_asset_t *a;

    if (!name || !*name || *name == '.' || strchr(name, '/')) {
        return NULL;
    }
    for (a = nxs_assets_table; a->name; ++a) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    return NULL;
}

const char *nxs_asset_href(const char *name, apr_pool_t *p)
{
    const nxs_asset_t *a = nxs_asset_find(name);

    if (!a) {
        return NULL;
    }
    return apr_psprintf(p, "assets/%s?v=%.*s", a->name, NXS_ASSET_HREF_HEX, a->version);
}

/* True when the qvalue V (N bytes) is above 0.  RFC 9110 12.4.2: "0",
 * "0.", "0.000" are zero, "1" and "0.5" are not; anything that is not a
 * qvalue is taken as zero, since the client did not clearly ask. */
static int qvalue_positive(const char *v, apr_size_t n)
{
    apr_size_t i;
    int nonzero = 0;

    if (n == 0 || (v[0] != '0' && v[0] != '1') || (n > 1 && v[1] != '.') || n > 5) {
        return 0;
    }
    for (i = 2; i < n; ++i) {
        if (!apr_isdigit(v[i])) {
            return 0;
        }
        nonzero |= v[i] != '0';
    }
    return v[0] == '1' || nonzero;
}

/* Whether one element of Accept-Encoding ("gzip;q=0.5", N bytes) accepts
 * its coding: its q parameter, 1 when it has none.  Other parameters are
 * ignored. */
static int element_accepts(const char *e, apr_size_t n)
{
    const char *end = e + n, *s = memchr(e, ';', n);

    while (s && s < end) {
        const char *next, *name = s + 1;
        apr_size_t len;

        while (name < end && (*name == ' ' || *name == '\t')) {
            ++name;
        }
        next = memchr(name, ';', (apr_size_t)(end - name));
        len = (apr_size_t)((next ? next : end) - name);
        while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t')) {
            --len;
        }
        if (len >= 2 && apr_tolower(name[0]) == 'q' && name[1] == '=') {
            return qvalue_positive(name + 2, len - 2);
        }
        s = next;
    }
    return 1;
}

/* True when Accept-Encoding value AE admits gzip: "gzip" or "x-gzip" with a
 * q above 0, or, when neither is named, "*" with a q above 0.  No header
 * (NULL) admits only the raw bytes: a client that sends none may not
 * decode gzip. */
static int gzip_admitted(const char *ae)
{
    int gzip = -1, star = -1;

    while (ae && *ae) {
        apr_size_t n = strcspn(ae, ","), tok;
        const char *e = ae;

        while (n > 0 && (*e == ' ' || *e == '\t')) {
            ++e;
            --n;
        }
        tok = strcspn(e, ";, \t");
        if (tok > n) {
            tok = n;
        }
        if ((tok == 4 && strncasecmp(e, "gzip", 4) == 0) ||
            (tok == 6 && strncasecmp(e, "x-gzip", 6) == 0)) {
            gzip = gzip > 0 || element_accepts(e, n);
        } else if (tok == 1 && *e == '*') {
            star = element_accepts(e, n);
        }
        ae = e + n;
        if (*ae == ',') {
            ++ae;
        }
    }
    return gzip >= 0 ? gzip : star > 0;
}

int nxs_asset_serve(request_rec *r, const char *name)
{
    const nxs_asset_t *a = nxs_asset_find(name);
    const char *want;
    int gz, rc;

    if (!a) {
        return nxs_reply_error(r, HTTP_NOT_FOUND, "not_found", "no such settings asset");
    }
    if ((rc = nxs_reply_unless_method(r, "GET")) != DECLINED) {
        return rc;
    }
    gz = gzip_admitted(apr_table_get(r->headers_in, "Accept-Encoding"));
    want = apr_psprintf(r->pool, "v=%.*s", NXS_ASSET_HREF_HEX, a->version);
    ap_set_content_type(r, a->content_type);
    apr_table_setn(
        r->headers_out, "ETag",
        apr_psprintf(r->pool, "\"%.*s%s\"", NXS_ASSET_ETAG_HEX, a->version, gz ? "-gz" : ""));
    apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
    apr_table_setn(r->headers_out, "Cache-Control",
                   r->args && strcmp(r->args, want) == 0 ? CACHE_IMMUTABLE : CACHE_REVALIDATE);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (gz) {
        apr_table_setn(r->headers_out, "Content-Encoding", "gzip");
    }
    /* After the ETag is set: httpd compares If-None-Match with it. */
    if ((rc = ap_meets_conditions(r)) != OK) {
        return rc;
    }
    ap_set_content_length(r, (apr_off_t)(gz ? a->gz_len : a->raw_len));
    if (!r->header_only) {
        /* nxs-embed refuses files over 16 MiB, so the length fits an int. */
        ap_rwrite(gz ? a->gz : a->raw, (int)(gz ? a->gz_len : a->raw_len), r);
    }
    return OK;
}
