/* GET <settings>/: the settings page.  What is served here is a shell: the
 * account, where the OAuth start is, and the two assets (style sheet and
 * script, embedded in the module: handle/nxs_assets.c); the script renders
 * everything else from the JSON API of the same location, in the account's
 * language.
 *
 * The page's headers do the security work a page of settings needs: a
 * Content-Security-Policy that admits only this location's own script and
 * style (no inline script, no other origin) and form posts only to this
 * server and, for the Add to Slack redirect, Slack's authorize page; no
 * framing; no caching of a page that names the account.  No secret, token
 * or CSRF value is written into the page: the script fetches the CSRF token
 * from api/session. */
#include "handle/nxs_settings_api.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <http_protocol.h>

#include "handle/nxs_assets.h"
#include "handle/nxs_reply.h"
#include "handle/nxs_request.h"
#include "security/nxs_session.h"

/* "scheme://host[:port]" of URL for form-action, or "" when it has none. */
static const char *origin_of(const char *url, apr_pool_t *p)
{
    apr_uri_t u;

    if (!url || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostname) {
        return "";
    }
    return apr_pstrcat(p, " ", u.scheme, "://", u.hostname, u.port_str ? ":" : "",
                       u.port_str ? u.port_str : "", NULL);
}

static void set_page_headers(request_rec *r, const nxs_server_conf_t *c)
{
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool,
                               "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
                               origin_of(c->authorize_url, r->pool), NULL));
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "Referrer-Policy", "same-origin");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
}

int nxs_settings_page(request_rec *r, const nxs_server_conf_t *c)
{
    const char *account = NULL, *csrf = NULL, *why = NULL;

    if (nxs_caller_session(&account, &csrf, &why, r, c) != APR_SUCCESS) {
        return nxs_reply_page(r, HTTP_UNAUTHORIZED, "Open the Slack settings from Nexte",
                              apr_pstrcat(r->pool,
                                          "This page opens from Nexte: Settings > Integrations > "
                                          "Slack. Your session is missing or has expired (",
                                          why ? why : NXS_WHY_MISSING_SESSION, ").", NULL),
                              NULL);
    }
    set_page_headers(r, c);
    return nxs_reply_text(
        r, HTTP_OK, "text/html; charset=utf-8",
        apr_pstrcat(
            r->pool,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Slack - Nexte</title>\n<link rel=\"stylesheet\" href=\"",
            ap_escape_html2(r->pool, nxs_asset_href("settings.css", r->pool), 1),
            "\">\n<script src=\"",
            ap_escape_html2(r->pool, nxs_asset_href("settings.js", r->pool), 1),
            "\" defer></script>\n</head>\n<body data-account=\"",
            ap_escape_html2(r->pool, account, 1), "\" data-oauth-start=\"",
            ap_escape_html2(r->pool, apr_pstrcat(r->pool, c->oauth_path, "/start", NULL), 1),
            "\">\n<main id=\"app\">\n<p>Loading the Slack settings of account ",
            ap_escape_html2(r->pool, account, 1),
            "...</p>\n<noscript><p>This page needs JavaScript.</p></noscript>\n</main>\n"
            "</body>\n</html>\n",
            NULL));
}
