/* Slack Web API calls over libcurl, and the classification of their errors.
 * The log names the method, the HTTP status, Slack's error code and the
 * time taken; never a token, an Authorization header, a request or answer
 * body (oauth.v2.access sends the client secret and answers with tokens),
 * nor a response_url (it is a bearer credential for that message). */
#include "slack/nxs_slack.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <string.h>

#include "nxs_json.h"
#include "nxs_log.h"

#define MAX_RESPONSE (4 * 1024 * 1024)

typedef struct {
    char *data;
    apr_size_t len, cap;
    apr_pool_t *p;
    apr_interval_time_t retry_after;
} collect_t;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    collect_t *c = ud;
    apr_size_t add = size * n;

    if (c->len + add > MAX_RESPONSE) {
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    if (c->len + add + 1 > c->cap) {
        apr_size_t cap = (c->cap ? c->cap * 2 : 4096);
        char *grown;
        while (cap < c->len + add + 1) {
            cap *= 2;
        }
        grown = apr_palloc(c->p, cap);
        if (c->len) {
            memcpy(grown, c->data, c->len);
        }
        c->data = grown;
        c->cap = cap;
    }
    memcpy(c->data + c->len, ptr, add);
    c->len += add;
    c->data[c->len] = '\0';
    return add;
}

/* One hour at most: Slack's rate limits are counted per minute and its
 * Retry-After is seconds to a minute, so a longer value comes from a broken
 * header or proxy.  Obeyed, it would pause the channel for that long, and
 * the scheduler dead-letters at once a message whose retry window ends
 * before the pause does (docs/CONTRACT.md "Delivery"); after an hour we
 * simply ask again, and Slack answers with a new Retry-After if it still
 * limits us.  The cap also keeps apr_time_from_sec far from overflowing. */
#define RETRY_AFTER_MAX_SEC apr_time_sec(NXS_SLACK_RETRY_AFTER_MAX)

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

apr_interval_time_t nxs_slack_retry_after(const char *value, apr_size_t len)
{
    apr_size_t i = 0, end = len;
    apr_int64_t secs = 0;

    while (i < end && is_blank(value[i])) {
        ++i;
    }
    while (end > i && is_blank(value[end - 1])) {
        --end;
    }
    if (i == end) {
        return 0;
    }
    for (; i < end; ++i) {
        if (value[i] < '0' || value[i] > '9') {
            return 0; /* a sign, an HTTP date, other text */
        }
        if (secs <= RETRY_AFTER_MAX_SEC) { /* saturates: no overflow */
            secs = secs * 10 + (value[i] - '0');
        }
    }
    if (secs > RETRY_AFTER_MAX_SEC) {
        secs = RETRY_AFTER_MAX_SEC;
    }
    return apr_time_from_sec(secs > 0 ? secs : 1);
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    collect_t *c = ud;
    size_t len = size * n;

    if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        c->retry_after = nxs_slack_retry_after(buf + 12, len - 12);
    }
    return len;
}

static const char *form_encode(CURL *curl, const apr_table_t *form, apr_pool_t *p)
{
    const apr_array_header_t *arr = apr_table_elts(form);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out = "";
    int i;

    for (i = 0; i < arr->nelts; ++i) {
        char *k = curl_easy_escape(curl, e[i].key, 0);
        char *v = curl_easy_escape(curl, e[i].val, 0);
        out = apr_pstrcat(p, out, i ? "&" : "", k, "=", v, NULL);
        curl_free(k);
        curl_free(v);
    }
    return out;
}

static const char *transport_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return "unreachable";
    default:
        return "transport_error";
    }
}

static void interpret(nxs_slack_result_t *res, collect_t *c, apr_pool_t *p)
{
    json_t *ok;
    const char *why = NULL;

    if (res->http_status == 429) {
        res->error = "ratelimited";
        res->retry_after = c->retry_after ? c->retry_after : apr_time_from_sec(1);
        return;
    }
    if (res->http_status >= 500) {
        res->error = apr_psprintf(p, "http_%ld", res->http_status);
        return;
    }
    if (!c->data || nxs_json_load(&res->body, &why, c->data, c->len, p) != APR_SUCCESS ||
        !json_is_object(res->body)) {
        res->error = res->http_status == 200 ? "bad_response"
                                             : apr_psprintf(p, "http_%ld", res->http_status);
        res->body = NULL;
        return;
    }
    ok = json_object_get(res->body, "ok");
    if (json_is_true(ok)) {
        res->error = NULL;
        return;
    }
    res->error = nxs_json_path_str(res->body, "error");
    if (!res->error) {
        res->error = "unknown_error";
    }
}

/* Milliseconds CURL's last transfer took, from connect to the answer. */
static long took_ms(CURL *curl)
{
    curl_off_t us = 0;

    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &us);
    return (long)(us / 1000);
}

/* One line per call: transport failures at debug (something is wrong
 * between us and Slack), every answer at trace1, the request's size and
 * whether a connection was opened at trace2 (keep-alive at work). */
static void log_call(CURL *curl, const char *method, CURLcode cc, const nxs_slack_result_t *res,
                     apr_size_t sent)
{
    long connects = 0;

    if (cc != CURLE_OK) {
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00037", "Slack %s: no answer, %s (curl: %s) after %ld ms",
                method, res->error, curl_easy_strerror(cc), took_ms(curl));
        return;
    }
    if (!nxs_log_is_level(NXS_LOG_TRACE1)) {
        return;
    }
    if (res->retry_after) {
        nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE1, 0, "NXS00038",
                       "Slack %s: HTTP %ld, %s, Retry-After %" APR_TIME_T_FMT " s, in %ld ms",
                       method, res->http_status, res->error ? res->error : "ok",
                       apr_time_sec(res->retry_after), took_ms(curl));
    } else {
        nxs_log_perror(NXS_LOG_MARK, NXS_LOG_TRACE1, 0, "NXS00039",
                       "Slack %s: HTTP %ld, %s, in %ld ms", method, res->http_status,
                       res->error ? res->error : "ok", took_ms(curl));
    }
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
    NXS_LOG(NXS_LOG_TRACE2, 0, "NXS00040",
            "Slack %s: sent %" APR_SIZE_T_FMT " bytes on %s connection", method, sent,
            connects ? "a new" : "a reused");
}

/* The options every POST here shares: http(s) only, no signals (threads),
 * a 3 s connect and a total timeout, the answer collected into C. */
static void set_post(CURL *curl, const char *url, struct curl_slist *headers, const char *body,
                     apr_interval_time_t timeout, collect_t *c)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)apr_time_as_msec(timeout));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
}

apr_status_t nxs_slack_call_on(void *handle, nxs_slack_result_t *res, const char *api_base,
                               const char *method, const nxs_slack_auth_t *auth,
                               const apr_table_t *form, const char *json_body,
                               apr_interval_time_t timeout, apr_pool_t *p)
{
    CURL *curl = handle;
    struct curl_slist *headers = NULL;
    collect_t c = {NULL, 0, 0, p, 0};
    const char *body;
    CURLcode cc;

    memset(res, 0, sizeof(*res));
    /* Reset clears the options of the previous call but keeps the handle's
     * connection cache: the next call to Slack reuses the connection. */
    curl_easy_reset(curl);
    body = form ? form_encode(curl, form, p) : (json_body ? json_body : "{}");
    headers = curl_slist_append(headers, form ? "Content-Type: application/x-www-form-urlencoded"
                                              : "Content-Type: application/json; charset=utf-8");
    if (auth && auth->bearer) {
        headers = curl_slist_append(headers,
                                    apr_pstrcat(p, "Authorization: Bearer ", auth->bearer, NULL));
    }
    set_post(curl, apr_pstrcat(p, api_base, "/", method, NULL), headers, body, timeout, &c);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
    if (auth && auth->basic_user) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, auth->basic_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, auth->basic_pass);
    }
    cc = curl_easy_perform(curl);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->http_status);
        interpret(res, &c, p);
    } else {
        res->error = transport_error(cc);
    }
    log_call(curl, method, cc, res, strlen(body));
    curl_slist_free_all(headers);
    return APR_SUCCESS;
}

apr_status_t nxs_slack_call(nxs_slack_result_t *res, const char *api_base, const char *method,
                            const nxs_slack_auth_t *auth, const apr_table_t *form,
                            const char *json_body, apr_interval_time_t timeout, apr_pool_t *p)
{
    CURL *curl = curl_easy_init();
    apr_status_t rv;

    if (!curl) {
        memset(res, 0, sizeof(*res));
        res->error = "transport_error";
        return APR_SUCCESS;
    }
    rv = nxs_slack_call_on(curl, res, api_base, method, auth, form, json_body, timeout, p);
    curl_easy_cleanup(curl);
    return rv;
}

apr_status_t nxs_slack_respond(nxs_slack_result_t *res, const char *url, const char *json_body,
                               apr_interval_time_t timeout, apr_pool_t *p)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    collect_t c = {NULL, 0, 0, p, 0};
    CURLcode cc;

    memset(res, 0, sizeof(*res));
    if (!curl) {
        res->error = "transport_error";
        return APR_SUCCESS;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    set_post(curl, url, headers, json_body, timeout, &c);
    cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        res->error = cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT
                         ? "bad_url"
                         : transport_error(cc);
        NXS_LOG(NXS_LOG_DEBUG, 0, "NXS00041",
                "Slack response_url: no answer, %s (curl: %s) after %ld ms", res->error,
                curl_easy_strerror(cc), took_ms(curl));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->http_status);
        if (res->http_status != 200) {
            res->error = c.data && c.len && c.len < 64 && !strpbrk(c.data, " \r\n<")
                             ? c.data
                             : apr_psprintf(p, "http_%ld", res->http_status);
        }
        NXS_LOG(NXS_LOG_TRACE1, 0, "NXS00042", "Slack response_url: HTTP %ld, %s, in %ld ms",
                res->http_status, res->error ? res->error : "ok", took_ms(curl));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return APR_SUCCESS;
}

static int in_list(const char *error, const char *const *list)
{
    for (; error && *list; ++list) {
        if (strcmp(error, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

int nxs_slack_error_is_transient(const char *error)
{
    static const char *const codes[] = {
        "unreachable",    "timeout",     "transport_error",     "bad_response",    "ratelimited",
        "internal_error", "fatal_error", "service_unavailable", "request_timeout", NULL};
    return in_list(error, codes) || (error && strncmp(error, "http_5", 6) == 0);
}

int nxs_slack_error_is_account(const char *error)
{
    static const char *const codes[] = {"invalid_auth",
                                        "token_revoked",
                                        "token_expired",
                                        "account_inactive",
                                        "missing_scope",
                                        "not_authed",
                                        NULL};
    return in_list(error, codes);
}

int nxs_slack_error_is_channel(const char *error)
{
    static const char *const codes[] = {"channel_not_found", "is_archived",    "not_in_channel",
                                        "msg_too_long",      "invalid_blocks", NULL};
    return in_list(error, codes);
}

/* A workspace with more than 200 pages of channels is not one an agency
 * picks from by hand; the bound keeps a broken cursor finite. */
#define CHANNEL_PAGES_MAX 200

/* One page of conversations.list (up to 1000 channels, Slack's maximum)
 * handed to EACH; *cursor is the next page's, "" after the last.  *stop is
 * set when EACH asked to stop. */
static apr_status_t channels_page(const char **cursor, int *stop, const char **error, CURL *curl,
                                  const char *api_base, const nxs_slack_auth_t *auth,
                                  const char *types, apr_interval_time_t timeout,
                                  nxs_slack_channel_fn each, void *baton, apr_pool_t *p)
{
    apr_table_t *form = apr_table_make(p, 4);
    nxs_slack_result_t res;
    const char *next;
    json_t *list, *ch;
    size_t i;

    apr_table_setn(form, "types", types);
    apr_table_setn(form, "exclude_archived", "true");
    apr_table_setn(form, "limit", "1000");
    if (**cursor) {
        apr_table_setn(form, "cursor", *cursor);
    }
    nxs_slack_call_on(curl, &res, api_base, "conversations.list", auth, form, NULL, timeout, p);
    if (res.error) {
        *error = res.error;
        return APR_EGENERAL;
    }
    list = json_object_get(res.body, "channels");
    json_array_foreach(list, i, ch)
    {
        const char *id = json_string_value(json_object_get(ch, "id"));
        const char *name = json_string_value(json_object_get(ch, "name"));

        if (json_is_true(json_object_get(ch, "is_archived")) || !id || !name) {
            continue;
        }
        if (each(baton, id, name)) {
            *stop = 1;
            return APR_SUCCESS;
        }
    }
    next = nxs_json_path_str(res.body, "response_metadata.next_cursor");
    *cursor = next ? next : "";
    return APR_SUCCESS;
}

apr_status_t nxs_slack_channels_each(int *pages, const char **error, const char *api_base,
                                     const char *token, const char *types,
                                     apr_interval_time_t timeout, nxs_slack_channel_fn each,
                                     void *baton, apr_pool_t *p)
{
    nxs_slack_auth_t auth = {token, NULL, NULL};
    CURL *curl = curl_easy_init();
    const char *cursor = "";
    apr_status_t rv = APR_SUCCESS;
    int stop = 0;

    *pages = 0;
    *error = NULL;
    if (!curl) {
        *error = "transport_error";
        return APR_EGENERAL;
    }
    /* One handle for every page: the connection to Slack is kept. */
    while (rv == APR_SUCCESS && !stop && (*pages == 0 || *cursor)) {
        apr_pool_t *page = NULL; /* the page's JSON goes with it */

        if (*pages == CHANNEL_PAGES_MAX) {
            *error = "too_many_pages";
            rv = APR_EGENERAL;
            break;
        }
        ++*pages;
        apr_pool_create(&page, p);
        rv = channels_page(&cursor, &stop, error, curl, api_base, &auth, types, timeout, each,
                           baton, page);
        cursor = apr_pstrdup(p, cursor);
        *error = *error ? apr_pstrdup(p, *error) : NULL;
        apr_pool_destroy(page);
    }
    curl_easy_cleanup(curl);
    return rv;
}
