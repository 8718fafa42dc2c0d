/* Input checks for the settings API.  Time zones and currencies are checked
 * against ICU's data, not a list of our own. */
#include "nxs_settings_check.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>
#include <unicode/ucurr.h>

#include "l10n/nxs_l10n.h"
#include "nxs_active_hours.h"
#include "nxs_decimal.h"
#include "store/nxs_store.h"

static int one_of(const char *v, const char *const *allowed)
{
    for (; v && *allowed; ++allowed) {
        if (strcmp(v, *allowed) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *nxs_check_plan(const char *plan)
{
    static const char *const plans[] = {"solo", "team", "agency", NULL};
    return one_of(plan, plans) ? NULL : "plan must be solo, team or agency";
}

const char *nxs_check_locale(const char *locale)
{
    static const char *const locales[] = {"en", "fr", NULL};
    return one_of(locale, locales) ? NULL : "locale must be en or fr";
}

const char *nxs_check_timezone(const char *tz)
{
    return tz && nxs_l10n_timezone_known(tz) ? NULL
                                             : "timezone must be an IANA time zone such as "
                                               "Europe/Paris";
}

const char *nxs_check_currency(const char *currency)
{
    UChar code[4];
    UErrorCode err = U_ZERO_ERROR;
    int i;

    if (!currency || strlen(currency) != 3) {
        return "currency must be an ISO 4217 code such as EUR";
    }
    for (i = 0; i < 3; ++i) {
        if (!apr_isupper(currency[i])) {
            return "currency must be an ISO 4217 code such as EUR";
        }
        code[i] = (UChar)currency[i];
    }
    code[3] = 0;
    /* Known to ICU as a currency in use at some time, up to now. */
    if (!ucurr_isAvailable(code, -1.0e300, 1.0e300, &err) || U_FAILURE(err)) {
        return "currency must be an ISO 4217 code such as EUR";
    }
    return NULL;
}

const char *nxs_check_mention(const char *mention)
{
    static const char *const mentions[] = {"none", "here", "channel", NULL};
    return one_of(mention, mentions) ? NULL : "mention must be none, here or channel";
}

const char *nxs_check_channel_id(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0, i;

    /* Slack ids: C (public), G (private) then upper-case letters and digits;
     * names like "#general" are refused because channels are stored by id. */
    if (n < 3 || n > 32 || (id[0] != 'C' && id[0] != 'G')) {
        return "channel_id must be a Slack channel ID such as C0123ABCD";
    }
    for (i = 1; i < n; ++i) {
        if (!apr_isupper(id[i]) && !apr_isdigit(id[i])) {
            return "channel_id must be a Slack channel ID such as C0123ABCD";
        }
    }
    return NULL;
}

apr_status_t nxs_check_account_fields(nxs_account_t *a, const char **field, const char **why,
                                      const json_t *fields, int strict, apr_pool_t *p)
{
    static const char *const names[] = {"plan", "timezone", "locale", "currency", NULL};
    const char *(*const checks[])(const char *) = {nxs_check_plan, nxs_check_timezone,
                                                   nxs_check_locale, nxs_check_currency};
    const char *values[4] = {NULL, NULL, NULL, NULL};
    const char **slots[] = {&a->plan, &a->timezone, &a->locale, &a->currency};
    const char *key;
    json_t *val;
    int i;

    json_object_foreach((json_t *)fields, key, val)
    {
        for (i = 0; names[i] && strcmp(names[i], key) != 0; ++i) {
        }
        if (!names[i]) {
            if (strict) {
                *field = key;
                *why = "unknown field (known: plan, timezone, locale, currency)";
                return APR_EINVAL;
            }
            continue;
        }
        *field = names[i];
        if (!json_is_string(val)) {
            *why = "must be a string";
            return APR_EINVAL;
        }
        if ((*why = checks[i](json_string_value(val)))) {
            return APR_EINVAL;
        }
        values[i] = json_string_value(val);
    }
    for (i = 0; names[i]; ++i) {
        if (values[i]) {
            *slots[i] = apr_pstrdup(p, values[i]);
        }
    }
    return APR_SUCCESS;
}

/* A threshold: digits, optionally "." and digits (at most 18 digits), as
 * nxs_decimal compares it; no sign. */
static int is_decimal(const char *s)
{
    const char *c = s;
    int digits = 0;

    for (; c && *c; ++c) {
        digits += apr_isdigit(*c) != 0;
    }
    return s && *s != '-' && nxs_decimal_valid(s) && digits <= 18;
}

static int is_id(const char *s)
{
    apr_size_t n = s ? strlen(s) : 0, i;

    if (n < 1 || n > 64) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        if (!apr_isalnum(s[i]) && s[i] != '_' && s[i] != '-') {
            return 0;
        }
    }
    return 1;
}

static const char *check_thresholds(const json_t *v, apr_pool_t *p)
{
    static const char *const amount_categories[] = {"payments", "quotes", "alerts", NULL};
    const char *key;
    json_t *val;

    if (!json_is_object(v)) {
        return "amount_thresholds must be an object of category: \"decimal amount\"";
    }
    json_object_foreach((json_t *)v, key, val)
    {
        /* A key is put in the message's leading path (which becomes the
         * 422's field) only when it is a category: any other text would
         * make a path naming nothing in the document. */
        if (!nxs_store_is_category(key)) {
            return apr_psprintf(p,
                                "amount_thresholds: '%s' is not a category (only payments, "
                                "quotes and alerts carry amounts)",
                                key);
        }
        if (!one_of(key, amount_categories)) {
            return apr_psprintf(p,
                                "amount_thresholds.%s: only payments, quotes and alerts "
                                "carry amounts",
                                key);
        }
        if (!json_is_string(val) || !is_decimal(json_string_value(val))) {
            return apr_psprintf(p,
                                "amount_thresholds.%s must be a decimal string such as "
                                "\"500.00\"",
                                key);
        }
    }
    return NULL;
}

static const char *check_routes(const json_t *v, const char *name, apr_pool_t *p)
{
    const char *key;
    json_t *val;

    if (!json_is_object(v)) {
        return apr_psprintf(p, "%s must be an object of id: channel_id", name);
    }
    json_object_foreach((json_t *)v, key, val)
    {
        if (!is_id(key)) {
            return apr_psprintf(p, "%s: '%s' is not a Nexte id", name, key);
        }
        if (!json_is_string(val) || nxs_check_channel_id(json_string_value(val))) {
            return apr_psprintf(p, "%s.%s must be a Slack channel ID such as C0123ABCD", name, key);
        }
    }
    return NULL;
}

static const char *check_members(const json_t *v, apr_pool_t *p)
{
    const char *key;
    json_t *list, *m;
    size_t i;

    if (!json_is_object(v)) {
        return "members must be an object of category: [member ids]";
    }
    json_object_foreach((json_t *)v, key, list)
    {
        if (!nxs_store_is_category(key) || strcmp(key, "recap") == 0) {
            return apr_psprintf(p, "members: '%s' is not a category with members", key);
        }
        if (!json_is_array(list) || json_array_size(list) > 200) {
            return apr_psprintf(p, "members.%s must be a list of at most 200 member ids", key);
        }
        json_array_foreach(list, i, m)
        {
            if (!json_is_string(m) || !is_id(json_string_value(m))) {
                return apr_psprintf(p, "members.%s[%lu] is not a Nexte member id", key,
                                    (unsigned long)i);
            }
        }
    }
    return NULL;
}

static const char *check_active_hours(const json_t *v, apr_pool_t *p)
{
    nxs_active_hours_t ah;

    return json_is_null(v) ? NULL : nxs_active_hours_parse(&ah, v, p);
}

/* The field a filters message is about: its leading path ("members.payments"
 * of "members.payments[3] is not ..."), when that path starts with a known
 * filter; else "filters". */
static const char *field_of(const char *message, apr_pool_t *p)
{
    static const char *const known[] = {"amount_thresholds", "client_channels", "project_channels",
                                        "members",           "active_hours",    NULL};
    apr_size_t n = strcspn(message, " :["), top = strcspn(message, " :[.");
    int i;

    for (i = 0; known[i]; ++i) {
        if (strlen(known[i]) == top && strncmp(message, known[i], top) == 0) {
            return apr_pstrmemdup(p, message, n);
        }
    }
    return "filters";
}

const char *nxs_check_filters(json_t **normalized, const char **field, const json_t *filters,
                              apr_pool_t *p)
{
    const char *key, *err = NULL;
    json_t *val;

    *normalized = NULL;
    *field = "filters";
    if (!json_is_object(filters)) {
        return "filters must be a JSON object";
    }
    json_object_foreach((json_t *)filters, key, val)
    {
        if (strcmp(key, "amount_thresholds") == 0) {
            err = check_thresholds(val, p);
        } else if (strcmp(key, "client_channels") == 0 || strcmp(key, "project_channels") == 0) {
            err = check_routes(val, key, p);
        } else if (strcmp(key, "members") == 0) {
            err = check_members(val, p);
        } else if (strcmp(key, "active_hours") == 0) {
            err = check_active_hours(val, p);
        } else {
            err = apr_psprintf(p,
                               "unknown filter '%s' (known: amount_thresholds, "
                               "client_channels, project_channels, members, active_hours)",
                               key);
        }
        if (err) {
            *field = field_of(err, p);
            return err;
        }
    }
    *normalized = json_deep_copy(filters);
    return NULL;
}
