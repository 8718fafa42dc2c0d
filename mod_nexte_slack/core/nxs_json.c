/* Pool-owned jansson values and the few lookups every JSON reader needs. */
#include "nxs_json.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <math.h>
#include <string.h>

#define NXS_JSON_FILE_MAX (1024 * 1024)

static apr_status_t json_release(void *v)
{
    json_decref(v);
    return APR_SUCCESS;
}

json_t *nxs_json_own(json_t *v, apr_pool_t *p)
{
    if (v) {
        apr_pool_cleanup_register(p, v, json_release, apr_pool_cleanup_null);
    }
    return v;
}

apr_status_t nxs_json_load(json_t **pv, const char **why, const char *text, apr_size_t len,
                           apr_pool_t *p)
{
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);

    *pv = NULL;
    if (!v) {
        *why = apr_psprintf(p, "line %d column %d: %s", err.line, err.column, err.text);
        return APR_EINVAL;
    }
    *pv = nxs_json_own(v, p);
    return APR_SUCCESS;
}

apr_status_t nxs_json_load_file(json_t **pv, const char **why, const char *path, apr_pool_t *p)
{
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    apr_size_t len;
    char *buf;
    apr_status_t rv;

    *pv = NULL;
    *why = NULL;
    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p)) != APR_SUCCESS ||
        (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) != APR_SUCCESS) {
        goto leave;
    }
    if (fi.size > NXS_JSON_FILE_MAX) {
        *why = "file larger than 1 MiB";
        rv = APR_EINVAL;
        goto leave;
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(p, len + 1);
    if ((rv = apr_file_read_full(f, buf, len, &len)) != APR_SUCCESS && rv != APR_EOF) {
        goto leave;
    }
    rv = nxs_json_load(pv, why, buf, len, p);
leave:
    if (f) {
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS && !*why) {
        char msg[128];
        *why = apr_pstrdup(p, apr_strerror(rv, msg, sizeof(msg)));
    }
    return rv;
}

const char *nxs_json_dump(const json_t *v, size_t flags, apr_pool_t *p)
{
    char *s = json_dumps(v, flags);
    const char *copy;

    if (!s) {
        return NULL;
    }
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

/* V written with PRECISION significant digits, as jansson writes a real,
 * when that reads back as V; else NULL. */
static const char *real_at(double v, int precision, apr_pool_t *p)
{
    json_t *real = json_real(v), *back = NULL;
    char *s = json_dumps(real, JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision));
    const char *out = NULL;

    if (s && (back = json_loads(s, JSON_DECODE_ANY, NULL)) && json_real_value(back) == v) {
        out = apr_pstrdup(p, s);
    }
    json_decref(back);
    free(s);
    json_decref(real);
    return out;
}

const char *nxs_json_real_text(double v, apr_pool_t *p)
{
    const char *s;

    if (isnan(v)) {
        return "NaN";
    }
    if (isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    /* 17 digits always read back. */
    if (!(s = real_at(v, 15, p)) && !(s = real_at(v, 16, p))) {
        s = real_at(v, 17, p);
    }
    return s;
}

const char *nxs_json_real_plain(double v, apr_pool_t *p)
{
    const char *s = nxs_json_real_text(v, p);
    size_t n = s ? strlen(s) : 0;

    return n > 2 && strcmp(s + n - 2, ".0") == 0 ? apr_pstrndup(p, s, n - 2) : s;
}

/* Appends V's text to OUT (an array of strings on the pool it allocates
 * from): containers are walked here so that each real gets its shortest
 * text; any other value is written by jansson. */
static apr_status_t dump_readable(apr_array_header_t *out, const json_t *v, size_t flags)
{
    apr_pool_t *p = out->pool;
    const char *key, *text;
    const char *sep = "";
    json_t *item;
    size_t i;

    if (json_is_object(v)) {
        APR_ARRAY_PUSH(out, const char *) = "{";
        json_object_foreach((json_t *)v, key, item)
        {
            json_t *k = json_string(key);
            text = k ? nxs_json_dump(k, flags | JSON_ENCODE_ANY, p) : NULL;
            json_decref(k);
            if (!text) {
                return APR_EINVAL;
            }
            APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(p, sep, text, ":", NULL);
            sep = ",";
            if (dump_readable(out, item, flags) != APR_SUCCESS) {
                return APR_EINVAL;
            }
        }
        APR_ARRAY_PUSH(out, const char *) = "}";
        return APR_SUCCESS;
    }
    if (json_is_array(v)) {
        APR_ARRAY_PUSH(out, const char *) = "[";
        for (i = 0; i < json_array_size(v); ++i) {
            APR_ARRAY_PUSH(out, const char *) = sep;
            sep = ",";
            if (dump_readable(out, json_array_get(v, i), flags) != APR_SUCCESS) {
                return APR_EINVAL;
            }
        }
        APR_ARRAY_PUSH(out, const char *) = "]";
        return APR_SUCCESS;
    }
    text = json_is_real(v) ? nxs_json_real_text(json_real_value(v), p)
                           : nxs_json_dump(v, flags | JSON_ENCODE_ANY, p);
    if (!text) {
        return APR_EINVAL;
    }
    APR_ARRAY_PUSH(out, const char *) = text;
    return APR_SUCCESS;
}

const char *nxs_json_dump_readable(const json_t *v, size_t flags, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));

    if (!v || dump_readable(out, v, flags & JSON_ENSURE_ASCII) != APR_SUCCESS) {
        return NULL;
    }
    return apr_array_pstrcat(p, out, '\0');
}

const json_t *nxs_json_path(const json_t *root, const char *path)
{
    const json_t *cur = root;
    const char *dot;

    while (cur && json_is_object(cur)) {
        dot = strchr(path, '.');
        if (!dot) {
            return json_object_get(cur, path);
        }
        cur = json_object_getn(cur, path, (size_t)(dot - path));
        path = dot + 1;
    }
    return NULL;
}

const char *nxs_json_path_str(const json_t *root, const char *path)
{
    const json_t *v = nxs_json_path(root, path);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    return s && *s ? s : NULL;
}
