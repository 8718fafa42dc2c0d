/* Signed JSON POSTs to Nexte core. */
#include "nxs_callback.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <string.h>

#include "nxs_json.h"
#include "security/nxs_sign.h"

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    return size * n;
}

static long post_once(const char *url, const char *ts, const char *sig, const char *body,
                      apr_pool_t *p)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *h = NULL;
    long status = 0;

    if (!curl) {
        return 0;
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, apr_pstrcat(p, "X-Nexte-Timestamp: ", ts, NULL));
    h = curl_slist_append(h, apr_pstrcat(p, "X-Nexte-Signature: ", sig, NULL));
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    return status;
}

apr_status_t nxs_callback_post(const char *url, const char *secret, apr_size_t secret_len,
                               const json_t *body, int attempts, apr_pool_t *p)
{
    const char *text = nxs_json_dump(body, JSON_COMPACT, p);
    int i;

    if (!text) {
        return APR_EINVAL;
    }
    for (i = 0; i < attempts; ++i) {
        const char *ts = NULL, *sig = NULL;
        long status;
        /* Signed afresh for each try: the timestamp must stay in the window. */
        if (nxs_sign_nexte_make(&ts, &sig, secret, secret_len, text, strlen(text), apr_time_now(),
                                p) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        status = post_once(url, ts, sig, text, p);
        if (status >= 200 && status < 300) {
            return APR_SUCCESS;
        }
        if (i + 1 < attempts) {
            apr_sleep(apr_time_from_msec(250 << i));
        }
    }
    return APR_EGENERAL;
}
