/* URL checks for directives, on top of apr_uri_parse. */
#include "nxs_url.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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
    struct in6_addr a6;
    struct in_addr a4;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.hostname) {
        return 0;
    }
    /* Addresses as written, never names that start like one
     * (127.example.com); apr_uri_parse drops an IPv6 literal's brackets. */
    if (inet_pton(AF_INET, u.hostname, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, u.hostname, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return strcasecmp(u.hostname, "localhost") == 0;
}
