/* URL checks for directives, on top of apr_uri_parse. */
#include "nxs_url.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <string.h>

apr_status_t nxs_url_check_base(const char **out, const char **why, const char *text, apr_pool_t *p)
{
    apr_uri_t u;
    char *copy;
    size_t n;

    if (apr_uri_parse(p, text, &u) != APR_SUCCESS || !u.scheme || !u.hostname || !*u.hostname) {
        *why = "an absolute URL such as https://host/path";
        return APR_EINVAL;
    }
    if (strcasecmp(u.scheme, "https") != 0 && strcasecmp(u.scheme, "http") != 0) {
        *why = "an http:// or https:// URL";
        return APR_EINVAL;
    }
    if (u.user || u.password || u.query || u.fragment || strpbrk(text, " \t\r\n")) {
        *why = "a URL without user info, query, fragment or white space";
        return APR_EINVAL;
    }
    copy = apr_pstrdup(p, text);
    n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/') {
        copy[--n] = '\0';
    }
    *out = copy;
    return APR_SUCCESS;
}

int nxs_url_is_under(const char *url, const char *base)
{
    apr_size_t n = base ? strlen(base) : 0;

    return url && n > 0 && strncmp(url, base, n) == 0 && url[n] == '/';
}

int nxs_url_is_loopback(const char *url, apr_pool_t *p)
{
    apr_uri_t u;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.hostname) {
        return 0;
    }
    return strcasecmp(u.hostname, "localhost") == 0 || strncmp(u.hostname, "127.", 4) == 0 ||
           strcmp(u.hostname, "::1") == 0;
}
