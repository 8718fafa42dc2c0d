/* handle/nxs_reply and handle/nxs_request through the httpd stub: what
 * every handler sends back (status, headers, the error body shape, 405s,
 * redirects, cookies, HTML pages) and reads (the body within its limit,
 * cookies, the path below the <Location>).  Nothing here needs SQL or the
 * daemon. */
#include "glue_test.h"

#include <http_protocol.h>

#include "handle/nxs_reply.h"
#include "handle/nxs_request.h"

static request_rec *req(void **state, const char *method, const char *target)
{
    apr_pool_t *p = nxs_test_pool(state);
    return nxs_stub_request(p, nxs_stub_server(p), method, target);
}

static void text_reply_sets_status_type_length_and_safety_headers(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    assert_int_equal(nxs_reply_text(r, HTTP_ACCEPTED, "text/plain", "hello"), OK);
    assert_int_equal(r->status, HTTP_ACCEPTED);
    assert_string_equal(r->content_type, "text/plain");
    assert_string_equal(apr_table_get(r->headers_out, "Cache-Control"), "no-store");
    assert_string_equal(apr_table_get(r->headers_out, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(apr_table_get(r->headers_out, "Content-Length"), "5");
    assert_string_equal(nxs_stub_response(r), "hello");
}

static void text_reply_to_head_sends_the_length_but_no_body(void **state)
{
    request_rec *r = req(state, "HEAD", "/x");

    assert_int_equal(nxs_reply_text(r, HTTP_OK, "text/plain", "hello"), OK);
    assert_string_equal(apr_table_get(r->headers_out, "Content-Length"), "5");
    assert_string_equal(nxs_stub_response(r), "");
}

static void error_reply_is_error_and_message_only_one_line_of_json(void **state)
{
    request_rec *r = req(state, "GET", "/x");
    json_t *body;

    assert_int_equal(nxs_reply_error(r, HTTP_CONFLICT, "some_code", "a \"quoted\" text"), OK);
    assert_string_equal(nxs_stub_response(r),
                        "{\"error\":\"some_code\",\"message\":\"a \\\"quoted\\\" text\"}\n");
    body = glue_json(r);
    assert_int_equal(json_object_size(body), 2);
    assert_int_equal(r->status, HTTP_CONFLICT);
    assert_string_equal(r->content_type, "application/json");
    assert_string_equal(apr_table_get(r->headers_out, "Cache-Control"), "no-store");
}

static void json_reply_escapes_non_ascii(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    nxs_reply_json(r, HTTP_OK, json_pack("{s:s}", "name", "caf\xc3\xa9"));
    assert_string_equal(nxs_stub_response(r), "{\"name\":\"caf\\u00E9\"}\n");
}

static void allowed_method_goes_on_without_an_answer(void **state)
{
    request_rec *r = req(state, "POST", "/x");

    assert_int_equal(nxs_reply_unless_method(r, "GET, POST"), DECLINED);
    assert_string_equal(nxs_stub_response(r), "");
    assert_null(apr_table_get(r->headers_out, "Allow"));
}

static void head_is_admitted_where_get_is(void **state)
{
    assert_int_equal(nxs_reply_unless_method(req(state, "HEAD", "/x"), "GET"), DECLINED);
}

static void other_method_is_405_with_allow_and_a_message_naming_both(void **state)
{
    request_rec *r = req(state, "DELETE", "/x");

    assert_error_reply(r, nxs_reply_unless_method(r, "GET, POST"), HTTP_METHOD_NOT_ALLOWED,
                       "method_not_allowed");
    assert_string_equal(apr_table_get(r->headers_out, "Allow"), "GET, POST");
    assert_string_equal(glue_json_str(r, "message"), "DELETE is not allowed here; use GET, POST");
}

static void head_is_refused_where_only_post_is_allowed(void **state)
{
    request_rec *r = req(state, "HEAD", "/x");

    assert_int_equal(nxs_reply_unless_method(r, "POST"), OK);
    assert_int_equal(r->status, HTTP_METHOD_NOT_ALLOWED);
}

/* Over https the cookie is __Host-: bound to this host, Secure, Path=/, so a
 * sibling subdomain can neither set nor shadow it. */
static void session_cookie_is_httponly_lax_and_secure_host_only_over_https(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    nxs_reply_set_cookie(r, "nxs_session", "v1", 3600, 1);
    assert_string_equal(apr_table_get(r->err_headers_out, "Set-Cookie"),
                        "__Host-nxs_session=v1;Max-Age=3600;Path=/;HttpOnly;SameSite=Lax;Secure");
    assert_string_equal(nxs_reply_cookie_name(r->pool, "nxs_session", 1), "__Host-nxs_session");
    assert_string_equal(nxs_reply_cookie_name(r->pool, "nxs_session", 0), "nxs_session");
    r = req(state, "GET", "/x");
    nxs_reply_set_cookie(r, "nxs_session", "v1", 3600, 0);
    assert_string_equal(apr_table_get(r->err_headers_out, "Set-Cookie"),
                        "nxs_session=v1;Max-Age=3600;Path=/;HttpOnly;SameSite=Lax");
    assert_null(apr_table_get(r->headers_out, "Set-Cookie"));
}

static void cookie_with_no_lifetime_is_removed(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    nxs_reply_set_cookie(r, "nxs_session", "ignored", 0, 0);
    assert_string_equal(apr_table_get(r->err_headers_out, "Set-Cookie"),
                        "nxs_session=;Max-Age=0;Path=/;HttpOnly;SameSite=Lax");
}

static void redirect_is_302_to_the_location_and_never_cached(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    assert_int_equal(nxs_reply_redirect(r, "/slack/settings/"), HTTP_MOVED_TEMPORARILY);
    assert_string_equal(apr_table_get(r->headers_out, "Location"), "/slack/settings/");
    /* err_headers_out: httpd sends those with its own 302 page too */
    assert_string_equal(apr_table_get(r->err_headers_out, "Cache-Control"), "no-store");
}

static void page_escapes_title_message_and_link_and_forbids_scripts(void **state)
{
    request_rec *r = req(state, "GET", "/x");
    const char *html;

    assert_int_equal(
        nxs_reply_page(r, HTTP_FORBIDDEN, "<b>Title</b>", "a & \"b\"", "/back?a=1&b=\"2\""), OK);
    html = nxs_stub_response(r);
    assert_int_equal(r->status, HTTP_FORBIDDEN);
    assert_string_equal(r->content_type, "text/html; charset=utf-8");
    assert_string_equal(apr_table_get(r->headers_out, "Content-Security-Policy"),
                        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                        "base-uri 'none'");
    assert_non_null(strstr(html, "<title>&lt;b&gt;Title&lt;/b&gt; - Nexte for Slack</title>"));
    assert_non_null(strstr(html, "<h1>&lt;b&gt;Title&lt;/b&gt;</h1>"));
    assert_non_null(strstr(html, "<p>a &amp; &quot;b&quot;</p>"));
    assert_non_null(strstr(html, "<a href=\"/back?a=1&amp;b=&quot;2&quot;\">"));
    assert_null(strstr(html, "<b>"));
}

static void page_without_back_url_has_no_link(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    nxs_reply_page(r, HTTP_OK, "T", "M", NULL);
    assert_null(strstr(nxs_stub_response(r), "<a "));
    assert_null(strstr(nxs_stub_response(r), "<form"));
}

static void page_with_retry_posts_the_csrf_token_escaped(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    nxs_reply_page_retry(r, HTTP_OK, "T", "M", "/s/", "/o/start?\"", "ab\"c");
    assert_non_null(
        strstr(nxs_stub_response(r),
               "<form method=\"post\" action=\"/o/start?&quot;\"><input type=\"hidden\" "
               "name=\"csrf_token\" value=\"ab&quot;c\"><button type=\"submit\">Try "
               "again</button></form>"));
    r = req(state, "GET", "/x");
    nxs_reply_page_retry(r, HTTP_OK, "T", "M", "/s/", "/o/start", NULL);
    assert_null(strstr(nxs_stub_response(r), "<form"));
}

/* ---- reading the body ---- */

static void body_within_the_limit_is_read_whole_and_terminated(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 99;

    nxs_stub_body(r, "0123456789", 10);
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_SUCCESS);
    assert_int_equal(len, 10);
    assert_string_equal(body, "0123456789");
}

static void no_body_reads_as_empty(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 99;

    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_SUCCESS);
    assert_int_equal(len, 0);
    assert_string_equal(body, "");
}

static void declared_length_over_the_limit_is_refused_before_reading(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "01234567890", 11);
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_ENOSPC);
    assert_int_equal(r->read_length, 0);
    assert_string_equal(body, "");
}

static void chunked_body_over_the_limit_is_refused_once_it_passes_it(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "01234567890", 11);
    nxs_stub_chunked(r);
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_ENOSPC);
    /* one byte past the limit was read, no more */
    assert_int_equal(r->read_length, 11);
}

static void chunked_body_of_exactly_the_limit_is_read(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "0123456789", 10);
    nxs_stub_chunked(r);
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_SUCCESS);
    assert_int_equal(len, 10);
    assert_string_equal(body, "0123456789");
}

static void body_that_cannot_be_read_is_einval(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "abc", 3);
    nxs_stub_body_fails(r, 1);
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_EINVAL);

    r = req(state, "POST", "/x");
    nxs_stub_body(r, "abc", 3);
    nxs_stub_declare_length(r, 5); /* the client stops short */
    assert_int_equal(nxs_request_read_body(&body, &len, r, 10), APR_EINVAL);
}

static void body_or_refuse_answers_413_with_the_callers_message(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "0123456789", 10);
    assert_error_reply(r, nxs_request_body_or_refuse(&body, &len, r, 9, "at most nine"),
                       HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large");
    assert_string_equal(glue_json_str(r, "message"), "at most nine");
}

static void body_or_refuse_answers_400_when_the_body_breaks(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "abc", 3);
    nxs_stub_body_fails(r, 0);
    nxs_stub_chunked(r);
    assert_error_reply(r, nxs_request_body_or_refuse(&body, &len, r, 9, "x"), HTTP_BAD_REQUEST,
                       "bad_body");
}

static void body_or_refuse_goes_on_with_the_body(void **state)
{
    request_rec *r = req(state, "POST", "/x");
    const char *body = NULL;
    apr_size_t len = 0;

    nxs_stub_body(r, "abc", 3);
    assert_int_equal(nxs_request_body_or_refuse(&body, &len, r, 9, "x"), DECLINED);
    assert_string_equal(body, "abc");
    assert_string_equal(nxs_stub_response(r), "");
}

/* ---- cookies and paths ---- */

static void cookie_is_found_among_others(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    apr_table_setn(r->headers_in, "Cookie", "a=1; nxs_session=abc.def; b=2");
    assert_string_equal(nxs_request_cookie(r, "nxs_session"), "abc.def");
    assert_null(nxs_request_cookie(r, "nxs"));
}

static void empty_or_twice_sent_cookie_counts_as_absent(void **state)
{
    request_rec *r = req(state, "GET", "/x");

    apr_table_setn(r->headers_in, "Cookie", "nxs_session=");
    assert_null(nxs_request_cookie(r, "nxs_session"));
    r = req(state, "GET", "/x");
    apr_table_setn(r->headers_in, "Cookie", "nxs_session=a; nxs_session=b");
    assert_null(nxs_request_cookie(r, "nxs_session"));
}

static void subpath_is_the_uri_below_the_location(void **state)
{
    request_rec *r = req(state, "GET", "/slack/settings/launch?x=1");

    nxs_stub_location(r, "/slack/settings");
    assert_string_equal(nxs_request_subpath(r), "/launch");
    nxs_stub_location(r, "/slack/settings/");
    assert_string_equal(nxs_request_subpath(r), "/launch");
}

static void subpath_of_the_location_itself_is_slash(void **state)
{
    request_rec *r = req(state, "GET", "/slack/settings");

    nxs_stub_location(r, "/slack/settings");
    assert_string_equal(nxs_request_subpath(r), "/");
}

static void subpath_outside_the_location_or_without_one_is_the_uri(void **state)
{
    request_rec *r = req(state, "GET", "/other/launch");

    assert_string_equal(nxs_request_subpath(r), "/other/launch");
    nxs_stub_location(r, "/slack/settings");
    assert_string_equal(nxs_request_subpath(r), "/other/launch");
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(text_reply_sets_status_type_length_and_safety_headers),
    GLUE_TEST(text_reply_to_head_sends_the_length_but_no_body),
    GLUE_TEST(error_reply_is_error_and_message_only_one_line_of_json),
    GLUE_TEST(json_reply_escapes_non_ascii),
    GLUE_TEST(allowed_method_goes_on_without_an_answer),
    GLUE_TEST(head_is_admitted_where_get_is),
    GLUE_TEST(other_method_is_405_with_allow_and_a_message_naming_both),
    GLUE_TEST(head_is_refused_where_only_post_is_allowed),
    GLUE_TEST(session_cookie_is_httponly_lax_and_secure_host_only_over_https),
    GLUE_TEST(cookie_with_no_lifetime_is_removed),
    GLUE_TEST(redirect_is_302_to_the_location_and_never_cached),
    GLUE_TEST(page_escapes_title_message_and_link_and_forbids_scripts),
    GLUE_TEST(page_without_back_url_has_no_link),
    GLUE_TEST(page_with_retry_posts_the_csrf_token_escaped),
    GLUE_TEST(body_within_the_limit_is_read_whole_and_terminated),
    GLUE_TEST(no_body_reads_as_empty),
    GLUE_TEST(declared_length_over_the_limit_is_refused_before_reading),
    GLUE_TEST(chunked_body_over_the_limit_is_refused_once_it_passes_it),
    GLUE_TEST(chunked_body_of_exactly_the_limit_is_read),
    GLUE_TEST(body_that_cannot_be_read_is_einval),
    GLUE_TEST(body_or_refuse_answers_413_with_the_callers_message),
    GLUE_TEST(body_or_refuse_answers_400_when_the_body_breaks),
    GLUE_TEST(body_or_refuse_goes_on_with_the_body),
    GLUE_TEST(cookie_is_found_among_others),
    GLUE_TEST(empty_or_twice_sent_cookie_counts_as_absent),
    GLUE_TEST(subpath_is_the_uri_below_the_location),
    GLUE_TEST(subpath_of_the_location_itself_is_slash),
    GLUE_TEST(subpath_outside_the_location_or_without_one_is_the_uri),
};

NXS_RUN_TESTS(tests)
