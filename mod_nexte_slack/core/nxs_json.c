/* Pool-owned jansson values and the few lookups every JSON reader needs. */
#include "nxs_json.h"

#include <apr_file_io.h>
#include <apr_strings.h>
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
