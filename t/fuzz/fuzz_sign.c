/* libFuzzer target for everything that reads attacker-controlled signed
 * input: the Nexte and Slack header checks, launch links, sealed tokens and
 * session cookies.  Besides "no crash", it checks that each verifier answers
 * with a documented code and that what the module makes, it also accepts.
 *
 * Input layout, lines split on '\n' (a missing line is a NULL header):
 *   timestamp \n signature \n account \n exp \n body... */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "fuzz_require.h"
#include "security/nxs_crypto.h"
#include "security/nxs_session.h"
#include "security/nxs_sign.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW apr_time_from_sec(1700000000)

static const char secret[] = "fuzz-event-secret";
#define SECRET_LEN (sizeof(secret) - 1)

static apr_pool_t *root;
static unsigned char token_key[NXS_KEY_LEN];
static unsigned char session_key[NXS_KEY_LEN];
static unsigned char csrf_key[NXS_KEY_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    REQUIRE(apr_pool_create(&root, NULL) == APR_SUCCESS);
    memset(token_key, 0x5a, sizeof(token_key));
    REQUIRE(nxs_derive_key(session_key, secret, SECRET_LEN, NXS_KEY_PURPOSE_SESSION) ==
            APR_SUCCESS);
    REQUIRE(nxs_derive_key(csrf_key, secret, SECRET_LEN, NXS_KEY_PURPOSE_CSRF) == APR_SUCCESS);
    return 0;
}

/* The next line of [*cur, end) as a NUL-terminated copy, or NULL when the
 * input has run out. */
static const char *next_line(const char **cur, const char *end, apr_pool_t *p)
{
    const char *nl, *line;

    if (*cur >= end) {
        return NULL;
    }
    nl = memchr(*cur, '\n', (size_t)(end - *cur));
    nl = nl ? nl : end;
    line = apr_pstrmemdup(p, *cur, (apr_size_t)(nl - *cur));
    *cur = nl < end ? nl + 1 : end;
    return line;
}

static int is_header_code(const char *why)
{
    return why != NULL &&
           (strcmp(why, NXS_WHY_MISSING_SIGNATURE) == 0 ||
            strcmp(why, NXS_WHY_MALFORMED_SIGNATURE) == 0 ||
            strcmp(why, NXS_WHY_STALE_TIMESTAMP) == 0 || strcmp(why, NXS_WHY_BAD_SIGNATURE) == 0);
}

static void fuzz_headers(const char *ts, const char *sig, const char *body, apr_size_t len,
                         apr_pool_t *p)
{
    const char *why = NULL, *mts = NULL, *msig = NULL;
    apr_status_t rv;

    rv = nxs_sign_nexte_verify(&why, secret, SECRET_LEN, ts, sig, body, len, NOW, p);
    REQUIRE(rv == APR_SUCCESS ? why == NULL : (rv == APR_EACCES && is_header_code(why)));
    rv = nxs_sign_slack_verify(&why, secret, SECRET_LEN, ts, sig, body, len, NOW, p);
    REQUIRE(rv == APR_SUCCESS ? why == NULL : (rv == APR_EACCES && is_header_code(why)));

    /* Whatever the body, a signature the module makes is one it accepts. */
    REQUIRE(nxs_sign_nexte_make(&mts, &msig, secret, SECRET_LEN, body, len, NOW, p) == APR_SUCCESS);
    REQUIRE(nxs_sign_nexte_verify(&why, secret, SECRET_LEN, mts, msig, body, len, NOW, p) ==
            APR_SUCCESS);
}

static void fuzz_launch(const char *account, const char *exp, const char *sig, apr_pool_t *p)
{
    const char *why = NULL, *mexp = NULL, *msig = NULL;
    apr_status_t rv;

    rv = nxs_sign_launch_verify(&why, secret, SECRET_LEN, account, exp, sig, NOW, p);
    REQUIRE(rv == APR_SUCCESS || rv == APR_EACCES);
    if (nxs_sign_account_ok(account)) {
        REQUIRE(nxs_sign_launch_make(&mexp, &msig, secret, SECRET_LEN, account,
                                     NOW + apr_time_from_sec(60), p) == APR_SUCCESS);
        REQUIRE(nxs_sign_launch_verify(&why, secret, SECRET_LEN, account, mexp, msig, NOW, p) ==
                APR_SUCCESS);
    }
}

static void fuzz_token(const char *text, const char *aad, apr_pool_t *p)
{
    const char *plain = NULL, *sealed = NULL;
    apr_status_t rv;

    rv = nxs_token_open(&plain, token_key, text, aad, p);
    REQUIRE(rv == APR_SUCCESS || rv == APR_EINVAL);
    if (strlen(text) <= NXS_TOKEN_PLAIN_MAX && (aad == NULL || strlen(aad) <= NXS_TOKEN_AAD_MAX)) {
        REQUIRE(nxs_token_seal(&sealed, token_key, text, aad, p) == APR_SUCCESS);
        REQUIRE(nxs_token_open(&plain, token_key, sealed, aad, p) == APR_SUCCESS);
        REQUIRE(strcmp(plain, text) == 0);
    }
}

static void fuzz_session(const char *cookie, const char *account, apr_pool_t *p)
{
    const char *acc = NULL, *csrf = NULL, *why = NULL, *mcookie = NULL, *mcsrf = NULL;
    apr_status_t rv;

    rv = nxs_session_check(&acc, &csrf, &why, session_key, csrf_key, cookie, NOW, p);
    REQUIRE(rv == APR_SUCCESS || rv == APR_EACCES);
    if (nxs_sign_account_ok(account)) {
        REQUIRE(nxs_session_issue(&mcookie, &mcsrf, session_key, csrf_key, account,
                                  NOW + apr_time_from_sec(60), p) == APR_SUCCESS);
        REQUIRE(nxs_session_check(&acc, &csrf, &why, session_key, csrf_key, mcookie, NOW, p) ==
                APR_SUCCESS);
        REQUIRE(strcmp(acc, account) == 0 && nxs_session_csrf_ok(csrf, mcsrf));
    }
}

static void fuzz_b64url(const uint8_t *data, size_t size, apr_pool_t *p)
{
    unsigned char *back = NULL;
    apr_size_t len = 0;
    const char *text = nxs_b64url_encode(data, size, p);

    REQUIRE(nxs_b64url_decode(&back, &len, text, strlen(text), p) == APR_SUCCESS);
    REQUIRE(len == size && memcmp(back, data, size) == 0);
    (void)nxs_b64url_decode(&back, &len, (const char *)data, size, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    const char *cur = (const char *)data, *end = cur + size;
    const char *ts, *sig, *account, *exp, *whole;

    REQUIRE(apr_pool_create(&p, root) == APR_SUCCESS);
    whole = apr_pstrmemdup(p, (const char *)data, size);
    ts = next_line(&cur, end, p);
    sig = next_line(&cur, end, p);
    account = next_line(&cur, end, p);
    exp = next_line(&cur, end, p);

    fuzz_headers(ts, sig, cur, (apr_size_t)(end - cur), p);
    fuzz_launch(account, exp, sig, p);
    fuzz_token(whole, ts, p);
    fuzz_session(whole, account, p);
    if (sig != NULL) {
        fuzz_session(sig, account, p);
    }
    fuzz_b64url(data, size, p);
    apr_pool_destroy(p);
    return 0;
}
