/* The settings page's embedded files (handle/nxs_assets.c) through the
 * module's handler hook and the httpd stub: which names are assets, the
 * URL the page links them by, and GET <settings>/assets/<name> without a
 * session: content type, gzip negotiation (q=0 included), the ETag of each
 * variant and the 304 it allows, a year of caching only for the versioned
 * URL, HEAD, and the refusals (404, 405).  Also that the generated table
 * (tools/nxs-embed) holds what it claims: each version is the SHA-256 of
 * the bytes.
 *
 * The files of mod_nexte_slack/web/ change with the page: the tests read
 * the expected bytes from the table, and name only settings.js and
 * settings.css, which the page always has. */
#include "glue_test.h"

#include <http_protocol.h>
#include <openssl/evp.h>

#include "handle/nxs_assets.h"

#define LOC "/slack/settings"
#define JS  "settings.js"
#define CSS "settings.css"

/* GET (or METHOD) of TARGET below the settings location, with
 * Accept-Encoding AE when not NULL. */
static request_rec *asset_request(apr_pool_t *p, server_rec *s, const char *method,
                                  const char *target, const char *ae)
{
    request_rec *r = glue_request(p, s, NXS_H_SETTINGS, method,
                                  apr_pstrcat(p, LOC "/assets/", target, NULL), NULL, NULL);

    nxs_stub_location(r, LOC);
    if (ae) {
        apr_table_setn(r->headers_in, "Accept-Encoding", ae);
    }
    return r;
}

static const char *header(const request_rec *r, const char *name)
{
    return apr_table_get(r->headers_out, name);
}

/* The ETag of A's raw (GZ 0) or gzip variant. */
static const char *etag_of(apr_pool_t *p, const nxs_asset_t *a, int gz)
{
    return apr_psprintf(p, "\"%.32s%s\"", a->version, gz ? "-gz" : "");
}

/* Asserts that R was answered 200 with A's bytes (its gzip bytes when GZ). */
static void assert_served(const request_rec *r, int rc, const nxs_asset_t *a, int gz)
{
    const unsigned char *want = gz ? a->gz : a->raw;
    apr_size_t len = gz ? a->gz_len : a->raw_len;

    assert_int_equal(rc, OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(r->content_type, a->content_type);
    assert_string_equal(header(r, "Content-Length"),
                        apr_psprintf(r->pool, "%" APR_SIZE_T_FMT, len));
    assert_int_equal(r->bytes_sent, (apr_off_t)len);
    assert_memory_equal(nxs_stub_response(r), want, len);
    assert_string_equal(header(r, "ETag"), etag_of(r->pool, a, gz));
    assert_string_equal(header(r, "Vary"), "Accept-Encoding");
    assert_string_equal(header(r, "X-Content-Type-Options"), "nosniff");
    if (gz) {
        assert_string_equal(header(r, "Content-Encoding"), "gzip");
    } else {
        assert_null(header(r, "Content-Encoding"));
    }
}

/* ---- the table and the names ---- */

static void each_version_is_the_sha256_of_the_bytes(void **state)
{
    const nxs_asset_t *a;
    int n = 0;

    for (a = nxs_assets_table; a->name; ++a, ++n) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0, i;
        char hex[65];

        assert_int_equal(EVP_Digest(a->raw, a->raw_len, md, &len, EVP_sha256(), NULL), 1);
        for (i = 0; i < len; ++i) {
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        }
        assert_string_equal(a->version, hex);
        assert_true(a->gz_len >= 18);
        assert_int_equal(a->gz[0], 0x1f);
        assert_int_equal(a->gz[1], 0x8b);
        assert_ptr_equal(nxs_asset_find(a->name), a);
    }
    assert_true(n >= 2);
}

static void page_files_are_found_with_their_content_type(void **state)
{
    assert_string_equal(nxs_asset_find(JS)->content_type, "text/javascript; charset=utf-8");
    assert_string_equal(nxs_asset_find(CSS)->content_type, "text/css; charset=utf-8");
}

static void unknown_names_and_paths_are_not_assets(void **state)
{
    assert_null(nxs_asset_find("nope.js"));
    assert_null(nxs_asset_find("../" JS));
    assert_null(nxs_asset_find("../x"));
    assert_null(nxs_asset_find("a/b"));
    assert_null(nxs_asset_find("/" JS));
    assert_null(nxs_asset_find("." JS));
    assert_null(nxs_asset_find(".."));
    assert_null(nxs_asset_find(""));
    assert_null(nxs_asset_find(NULL));
    assert_null(nxs_asset_find("SETTINGS.JS"));
}

static void href_is_relative_and_versioned(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const nxs_asset_t *a = nxs_asset_find(JS);

    assert_string_equal(nxs_asset_href(JS, p),
                        apr_psprintf(p, "assets/" JS "?v=%.16s", a->version));
    assert_null(nxs_asset_href("nope.js", p));
    assert_null(nxs_asset_href("../x", p));
    assert_null(nxs_asset_href("a/b", p));
}

/* ---- serving ---- */

static void asset_is_served_without_a_session(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    request_rec *r = asset_request(p, s, "GET", JS, NULL);

    assert_served(r, glue_run(r), nxs_asset_find(JS), 0);
    r = asset_request(p, s, "GET", CSS, NULL);
    assert_served(r, glue_run(r), nxs_asset_find(CSS), 0);
    assert_int_equal(nxs_fake_dbd_acquired(), 0);
}

static void gzip_is_sent_only_when_accept_encoding_admits_it(void **state)
{
    static const struct {
        const char *ae;
        int gz;
    } cases[] = {
        {"gzip", 1},
        {"gzip, deflate, br", 1},
        {"br;q=1.0, gzip;q=0.8, *;q=0.1", 1},
        {"deflate , GZIP", 1},
        {"x-gzip", 1},
        {"gzip;q=1", 1},
        {"gzip;q=0.001", 1},
        {"gzip; q=0.5", 1},
        {"*", 1},
        {"gzip;q=0", 0},
        {"gzip;q=0.0", 0},
        {"gzip;q=0.000", 0},
        {"gzip ; Q=0", 0},
        {"deflate, gzip;q=0, br", 0},
        {"gzip;q=0, *", 0},
        {"*;q=0", 0},
        {"gzip;q=abc", 0},
        {"br, deflate", 0},
        {"identity", 0},
        {"gzipped", 0},
        {"", 0},
    };
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const nxs_asset_t *a = nxs_asset_find(JS);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        request_rec *r = asset_request(p, s, "GET", JS, cases[i].ae);
        int rc = glue_run(r);

        if ((header(r, "Content-Encoding") != NULL) != cases[i].gz) {
            fail_msg("Accept-Encoding \"%s\": gzip was%s sent", cases[i].ae,
                     cases[i].gz ? " not" : "");
        }
        assert_served(r, rc, a, cases[i].gz);
    }
}

static void matching_if_none_match_is_304_per_variant(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const nxs_asset_t *a = nxs_asset_find(CSS);
    request_rec *r = asset_request(p, s, "GET", CSS, NULL);

    apr_table_setn(r->headers_in, "If-None-Match", etag_of(p, a, 0));
    assert_int_equal(glue_run(r), HTTP_NOT_MODIFIED);
    assert_string_equal(nxs_stub_response(r), "");
    assert_string_equal(header(r, "ETag"), etag_of(p, a, 0));
    assert_string_equal(header(r, "Cache-Control"), "no-cache");

    r = asset_request(p, s, "GET", CSS, "gzip");
    apr_table_setn(r->headers_in, "If-None-Match", etag_of(p, a, 1));
    assert_int_equal(glue_run(r), HTTP_NOT_MODIFIED);
    assert_string_equal(header(r, "ETag"), etag_of(p, a, 1));

    /* The raw bytes' tag does not stand for the gzip bytes, nor the reverse. */
    r = asset_request(p, s, "GET", CSS, "gzip");
    apr_table_setn(r->headers_in, "If-None-Match", etag_of(p, a, 0));
    assert_served(r, glue_run(r), a, 1);
    r = asset_request(p, s, "GET", CSS, NULL);
    apr_table_setn(r->headers_in, "If-None-Match", etag_of(p, a, 1));
    assert_served(r, glue_run(r), a, 0);
    r = asset_request(p, s, "GET", CSS, NULL);
    apr_table_setn(r->headers_in, "If-None-Match", "\"0000000000000000\"");
    assert_served(r, glue_run(r), a, 0);
}

static void only_the_versioned_url_is_cached_for_a_year(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const nxs_asset_t *a = nxs_asset_find(JS);
    const char *v = apr_psprintf(p, "v=%.16s", a->version);
    const char *other[] = {
        "v=0000000000000000",
        apr_psprintf(p, "v=%s", a->version),
        apr_psprintf(p, "v=%.15s", a->version),
        apr_psprintf(p, "%s&x=1", v),
        "",
    };
    request_rec *r = asset_request(p, s, "GET", apr_pstrcat(p, JS "?", v, NULL), "gzip");
    size_t i;

    assert_served(r, glue_run(r), a, 1);
    assert_string_equal(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
    /* the URL the page uses is that one */
    assert_string_equal(nxs_asset_href(JS, p), apr_pstrcat(p, "assets/" JS "?", v, NULL));

    for (i = 0; i < sizeof(other) / sizeof(other[0]); ++i) {
        r = asset_request(p, s, "GET", apr_pstrcat(p, JS "?", other[i], NULL), NULL);
        assert_served(r, glue_run(r), a, 0);
        if (strcmp(header(r, "Cache-Control"), "no-cache") != 0) {
            fail_msg("query \"%s\": Cache-Control %s", other[i], header(r, "Cache-Control"));
        }
    }
    r = asset_request(p, s, "GET", JS, NULL);
    assert_int_equal(glue_run(r), OK);
    assert_string_equal(header(r, "Cache-Control"), "no-cache");
}

static void head_has_the_headers_and_no_body(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    const nxs_asset_t *a = nxs_asset_find(JS);
    request_rec *r = asset_request(p, s, "HEAD", JS, "gzip");

    assert_int_equal(glue_run(r), OK);
    assert_int_equal(r->status, HTTP_OK);
    assert_string_equal(r->content_type, a->content_type);
    assert_string_equal(header(r, "Content-Length"),
                        apr_psprintf(p, "%" APR_SIZE_T_FMT, a->gz_len));
    assert_string_equal(header(r, "Content-Encoding"), "gzip");
    assert_string_equal(header(r, "ETag"), etag_of(p, a, 1));
    assert_string_equal(nxs_stub_response(r), "");
}

static void other_methods_are_405_with_allow(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    static const char *const methods[] = {"POST", "PUT", "DELETE"};
    size_t i;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); ++i) {
        request_rec *r = asset_request(p, s, methods[i], JS, NULL);
        assert_error_reply(r, glue_run(r), HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_string_equal(header(r, "Allow"), "GET");
        assert_null(header(r, "ETag"));
    }
}

static void unknown_or_path_like_names_are_404(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = glue_configured_server(p);
    static const char *const names[] = {"nope.js", "../" JS, "a/b", "." JS, "", "x/../" JS};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        request_rec *r = asset_request(p, s, "GET", names[i], "gzip");
        int rc = glue_run(r);

        if (r->status != HTTP_NOT_FOUND) {
            fail_msg("asset \"%s\": status %d", names[i], r->status);
        }
        assert_error_reply(r, rc, HTTP_NOT_FOUND, "not_found");
        assert_null(header(r, "ETag"));
    }
    /* unknown before the method: a POST to no asset is a 404 too */
    {
        request_rec *r = asset_request(p, s, "POST", "nope.js", NULL);
        assert_error_reply(r, glue_run(r), HTTP_NOT_FOUND, "not_found");
    }
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(each_version_is_the_sha256_of_the_bytes),
    GLUE_TEST(page_files_are_found_with_their_content_type),
    GLUE_TEST(unknown_names_and_paths_are_not_assets),
    GLUE_TEST(href_is_relative_and_versioned),
    GLUE_TEST(asset_is_served_without_a_session),
    GLUE_TEST(gzip_is_sent_only_when_accept_encoding_admits_it),
    GLUE_TEST(matching_if_none_match_is_304_per_variant),
    GLUE_TEST(only_the_versioned_url_is_cached_for_a_year),
    GLUE_TEST(head_has_the_headers_and_no_body),
    GLUE_TEST(other_methods_are_405_with_allow),
    GLUE_TEST(unknown_or_path_like_names_are_404),
};

NXS_RUN_TESTS(tests)
