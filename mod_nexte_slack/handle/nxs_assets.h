/* The settings page's static files (mod_nexte_slack/web/), embedded in the
 * module at build time and served from <settings>/assets/<name>: the
 * lookup, the URL the page links them by, and the GET/HEAD answer with gzip
 * negotiation, ETag revalidation and, for versioned URLs, a year of caching.
 *
 * The table is generated: tools/nxs-embed turns every file of web/ into one
 * entry of build/out/gen/nxs_assets_data.c (apxs.mk), never committed.
 *
 * Thread safety: the table is const data made at compile time and nothing
 * here writes shared state; every function may be called from any thread. */
#ifndef NXS_ASSETS_H
#define NXS_ASSETS_H

#include <httpd.h>

/* How many hex digits of the version go into the page's URLs (?v=) and
 * into the ETag: 64 bits tell builds apart, 128 bits tell bodies apart. */
#define NXS_ASSET_HREF_HEX 16
#define NXS_ASSET_ETAG_HEX 32

typedef struct nxs_asset_t {
    const char *name;         /* the file name in web/: "settings.js" */
    const char *content_type; /* by extension, with a charset for text */
    const unsigned char *raw; /* the file's bytes */
    apr_size_t raw_len;
    const unsigned char *gz; /* the same gzipped (gzip -9n at build time) */
    apr_size_t gz_len;
    const char *version; /* 64 lowercase hex: SHA-256 of raw */
} nxs_asset_t;

/* The generated table, ended by an entry whose name is NULL.  Read it
 * through nxs_asset_find. */
extern const nxs_asset_t nxs_assets_table[];

/* The asset called NAME, or NULL when there is none.  A NAME with a '/'
 * or a leading '.' never matches (no path is ever looked up). */
const nxs_asset_t *nxs_asset_find(const char *name);

/* The URL the settings page (served at <settings>/) links asset NAME by,
 * relative to it: "assets/<name>?v=<first NXS_ASSET_HREF_HEX of its
 * version>", on P.  NULL when there is no such asset. */
const char *nxs_asset_href(const char *name, apr_pool_t *p);

/* Answers R with asset NAME, without a session:
 *   - 404 not_found (JSON) when there is no such asset, then 405 with
 *     Allow: GET unless the method is GET or HEAD;
 *   - the gzip bytes with Content-Encoding: gzip when Accept-Encoding
 *     admits gzip (gzip;q=0 does not), else the raw bytes; each variant
 *     has its own strong ETag, and Vary: Accept-Encoding;
 *   - Cache-Control "public, max-age=31536000, immutable" when the query
 *     is exactly the v= of nxs_asset_href (the URL changes with the
 *     bytes), else "no-cache" (revalidate by ETag);
 *   - httpd's ap_meets_conditions decides 304 (If-None-Match) and 412.
 * Returns what the handler returns: OK once answered, or the status of a
 * conditional answer (304, 412) for httpd to send. */
int nxs_asset_serve(request_rec *r, const char *name);

#endif
