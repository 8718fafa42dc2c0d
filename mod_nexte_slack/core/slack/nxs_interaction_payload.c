/* Decoding of Slack interaction requests.  Percent-decoding is libcurl's;
 * the form's "+" for a space is turned back first, as HTML forms define. */
#include "slack/nxs_interaction_payload.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <stdint.h>
#include <string.h>

#include "nxs_json.h"

/* Decodes one form value (LEN bytes at S) into a pool string; NULL when it
 * is malformed or holds a NUL byte. */
static const char *form_decode(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *plus = apr_pstrmemdup(p, s, len), *c, *raw;
    const char *out;
    int n = 0;

    for (c = plus; *c; ++c) {
        if (*c == '+') {
            *c = ' ';
        }
    }
    if (len > (apr_size_t)INT32_MAX || !(raw = curl_easy_unescape(NULL, plus, (int)len, &n))) {
        return NULL;
    }
    out = memchr(raw, '\0', (size_t)n) ? NULL : apr_pstrmemdup(p, raw, (apr_size_t)n);
    curl_free(raw);
    return out;
}

/* The "payload" field of the form, decoded, into *out; or why not. */
static const char *payload_field(const char **out, const char *body, apr_size_t len, apr_pool_t *p)
{
    const char *end = body + len, *field = body, *value = NULL;
    apr_size_t value_len = 0;

    while (field < end) {
        const char *amp = memchr(field, '&', (size_t)(end - field));
        const char *stop = amp ? amp : end;
        if (stop - field >= 8 && memcmp(field, "payload=", 8) == 0) {
            if (value) {
                return "no_payload"; /* twice: ambiguous, refused */
            }
            value = field + 8;
            value_len = (apr_size_t)(stop - value);
        }
        field = stop + 1;
    }
    if (!value) {
        return "no_payload";
    }
    return (*out = form_decode(value, value_len, p)) ? NULL : "malformed_payload";
}

static const char *str(const json_t *root, const char *path)
{
    return nxs_json_path_str(root, path);
}

apr_status_t nxs_interaction_parse(nxs_interaction_t *ix, const char **why, const char *body,
                                   apr_size_t len, apr_pool_t *p)
{
    const char *text, *load_why = NULL;
    const json_t *action;
    json_t *payload = NULL;

    memset(ix, 0, sizeof(*ix));
    *why = body ? payload_field(&text, body, len, p) : "no_payload";
    if (*why) {
        return APR_EINVAL;
    }
    if (nxs_json_load(&payload, &load_why, text, strlen(text), p) != APR_SUCCESS ||
        !json_is_object(payload)) {
        *why = "malformed_payload";
        return APR_EINVAL;
    }
    ix->payload = payload;
    if (!(ix->type = str(payload, "type"))) {
        *why = "missing_type";
        return APR_EINVAL;
    }
    ix->team_id = str(payload, "team.id");
    ix->user_id = str(payload, "user.id");
    ix->user_name = str(payload, "user.username");
    if (!ix->user_name) {
        ix->user_name = str(payload, "user.name");
    }
    ix->channel_id = str(payload, "channel.id");
    if (!ix->channel_id) {
        ix->channel_id = str(payload, "container.channel_id");
    }
    ix->message_ts = str(payload, "container.message_ts");
    if (!ix->message_ts) {
        ix->message_ts = str(payload, "message.ts");
    }
    ix->response_url = str(payload, "response_url");
    action = json_array_get(json_object_get(payload, "actions"), 0);
    if (json_is_object(action)) {
        ix->action_id = str(action, "action_id");
        ix->value = str(action, "value");
        ix->action_ts = str(action, "action_ts");
    }
    return APR_SUCCESS;
}
