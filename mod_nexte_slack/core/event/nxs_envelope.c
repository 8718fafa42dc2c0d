/* Envelope validation for incoming events. */
#include "event/nxs_envelope.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

#include "event/nxs_event.h"
#include "nxs_json.h"
#include "nxs_decimal.h"
#include "nxs_time.h"
#include "nxs_settings_check.h"
#include "security/nxs_sign.h"

int nxs_envelope_event_id_ok(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0, i;

    if (n < 1 || n > 64) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        if (!apr_isalnum(id[i]) && !strchr("_.:-", id[i])) {
            return 0;
        }
    }
    return 1;
}

static apr_status_t bad(const char **field, const char **why, const char *f, const char *w)
{
    *field = f;
    *why = w;
    return APR_EINVAL;
}

/* An optional {"id": "...", "name": "..."} party; *id gets its id. */
static apr_status_t party(const char **id, const char **field, const char **why, const json_t *root,
                          const char *name, apr_pool_t *p)
{
    const json_t *v = json_object_get(root, name), *pid, *pname;

    *id = NULL;
    if (!v || json_is_null(v)) {
        return APR_SUCCESS;
    }
    if (!json_is_object(v)) {
        return bad(field, why, name, "must be an object {\"id\", \"name\"}");
    }
    pid = json_object_get(v, "id");
    pname = json_object_get(v, "name");
    if (!json_is_string(pid) || json_string_length(pid) < 1 || json_string_length(pid) > 64) {
        return bad(field, why, apr_pstrcat(p, name, ".id", NULL),
                   "must be a string of 1 to 64 characters");
    }
    if (pname && !json_is_string(pname) && !json_is_null(pname)) {
        return bad(field, why, apr_pstrcat(p, name, ".name", NULL), "must be a string");
    }
    *id = json_string_value(pid);
    return APR_SUCCESS;
}

static apr_status_t amount(nxs_envelope_t *env, const char **field, const char **why,
                           const json_t *root)
{
    const json_t *a = json_object_get(root, "amount");
    const char *value, *currency;

    if (!a || json_is_null(a)) {
        return APR_SUCCESS;
    }
    if (!json_is_object(a)) {
        return bad(field, why, "amount", "must be an object {\"value\", \"currency\"}");
    }
    value = json_string_value(json_object_get(a, "value"));
    currency = json_string_value(json_object_get(a, "currency"));
    if (!value || !nxs_decimal_valid(value)) {
        return bad(field, why, "amount.value", "must be a decimal string such as \"1250.00\"");
    }
    if (nxs_check_currency(currency)) {
        return bad(field, why, "amount.currency", "must be an ISO 4217 code such as EUR");
    }
    env->amount = value;
    env->currency = currency;
    return APR_SUCCESS;
}

static apr_status_t record(const char **field, const char **why, const json_t *root)
{
    const json_t *r = json_object_get(root, "record"), *v;
    static const char *const keys[] = {"kind", "id", "number", "url", NULL};
    int i;

    if (!r || json_is_null(r)) {
        return APR_SUCCESS;
    }
    if (!json_is_object(r)) {
        return bad(field, why, "record",
                   "must be an object {\"kind\", \"id\", \"number\", \"url\"}");
    }
    for (i = 0; keys[i]; ++i) {
        v = json_object_get(r, keys[i]);
        if (v && !json_is_string(v) && !json_is_null(v)) {
            static const char *const fields[] = {"record.kind", "record.id", "record.number",
                                                 "record.url"};
            return bad(field, why, fields[i], "must be a string");
        }
    }
    return APR_SUCCESS;
}

apr_status_t nxs_envelope_parse(nxs_envelope_t *env, const char **field, const char **why,
                                const json_t *root, apr_pool_t *p)
{
    const char *occurred;
    apr_status_t rv;

    memset(env, 0, sizeof(*env));
    if (!json_is_object(root)) {
        return bad(field, why, "(root)", "must be a JSON object");
    }
    env->root = root;
    env->id = json_string_value(json_object_get(root, "id"));
    if (!nxs_envelope_event_id_ok(env->id)) {
        return bad(field, why, "id", "is required: 1 to 64 characters of A-Z a-z 0-9 _ . : -");
    }
    env->type = json_string_value(json_object_get(root, "type"));
    if (!env->type || nxs_event_type_parse(env->type) == NXS_EVT_UNKNOWN ||
        !nxs_event_from_core(env->type)) {
        return bad(field, why, "type", "is required and must be a type of the event catalog");
    }
    env->account_id = json_string_value(json_object_get(root, "account_id"));
    if (!nxs_sign_account_ok(env->account_id)) {
        return bad(field, why, "account_id", "is required: 1 to 64 characters of A-Z a-z 0-9 _ -");
    }
    occurred = json_string_value(json_object_get(root, "occurred_at"));
    if (!occurred || nxs_time_parse_rfc3339(&env->occurred_at, occurred) != APR_SUCCESS) {
        return bad(field, why, "occurred_at",
                   "is required: an RFC 3339 time such as 2026-11-28T08:59:12Z");
    }
    if ((rv = party(&env->member_id, field, why, root, "member", p)) ||
        (rv = party(&env->client_id, field, why, root, "client", p)) ||
        (rv = party(&env->project_id, field, why, root, "project", p)) ||
        (rv = amount(env, field, why, root)) || (rv = record(field, why, root))) {
        return rv;
    }
    {
        const char *actor_id = NULL;
        if ((rv = party(&actor_id, field, why, root, "actor", p))) {
            return rv;
        }
    }
    if (json_object_get(root, "data") && !json_is_object(json_object_get(root, "data")) &&
        !json_is_null(json_object_get(root, "data"))) {
        return bad(field, why, "data", "must be an object");
    }
    env->category = nxs_event_category(env->type);
    env->postable =
        env->category && nxs_event_is_postable(env->type, json_object_get(root, "data"));
    return APR_SUCCESS;
}
