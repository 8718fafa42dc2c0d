/* Who is calling the settings API: a browser with a session cookie (and a
 * CSRF token on every state-changing request), or Nexte core with the
 * server-to-server signature and an account id.  Every settings request is
 * scoped to the account established here and no other. */
#ifndef NXS_CALLER_H
#define NXS_CALLER_H

#include <httpd.h>

#include "cfg/nxs_config.h"

#define NXS_SESSION_COOKIE       "nxs_session"
#define NXS_SESSION_LIFETIME_SEC (12 * 3600)

typedef struct nxs_caller_t {
    const char *account;
    int by_session;   /* 1: browser session; 0: Nexte core signature */
    const char *csrf; /* the session's CSRF token (sessions only) */
} nxs_caller_t;

/* The browser's settings session, when R carries a valid one: APR_SUCCESS
 * with *account and *csrf (the token its writes must carry).  Otherwise
 * APR_EACCES with *why one of the NXS_WHY_*_SESSION codes (missing_session
 * when R has no session cookie).  The cookie's name follows the public URL
 * (nxs_reply_cookie_name).  WHY may be NULL. */
apr_status_t nxs_caller_session(const char **account, const char **csrf, const char **why,
                                request_rec *r, const nxs_server_conf_t *c);

/* Authenticates the request whose body (already read) is BODY.  Returns
 * DECLINED ("go on") with *caller filled; otherwise the request has been
 * answered (401 unauthenticated, 403 bad CSRF token) and the return value
 * is what the handler returns. */
int nxs_caller_authenticate(nxs_caller_t *caller, request_rec *r, const nxs_server_conf_t *c,
                            const char *body, apr_size_t body_len);

/* The string Nexte core signs for a settings API call, so that a signature
 * cannot be replayed onto another route or account:
 *   METHOD " " PATH-WITH-QUERY "\n" ACCOUNT "\n" BODY */
const char *nxs_caller_canonical(request_rec *r, const char *account, const char *body,
                                 apr_size_t body_len, apr_size_t *len);

#endif
