/* Reads secrets from directive arguments or files, with the checks an
 * operator needs to hear about at config time rather than at first use. */
#include "security/nxs_secret.h"

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <string.h>

/* Reads at most MAX bytes of PATH; *len is the size read.  Files bigger than
 * MAX are refused (a secret file that large is a wrong path). */
static apr_status_t read_small_file(char **buf, apr_size_t *len, int *world_readable,
                                    const char **why, const char *path, apr_size_t max,
                                    apr_pool_t *p)
{
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_PROT, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "a readable file (%s: %pm)", path, &rv);
        return rv;
    }
    if (fi.filetype != APR_REG) {
        *why = apr_psprintf(p, "a regular file (%s is not one)", path);
        return APR_EINVAL;
    }
    if ((apr_size_t)fi.size > max) {
        *why = apr_psprintf(
            p, "a file of at most %" APR_SIZE_T_FMT " bytes (%s has %" APR_OFF_T_FMT ")", max, path,
            fi.size);
        return APR_EINVAL;
    }
    *world_readable = (fi.protection & APR_FPROT_WREAD) != 0;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "a readable file (%s: %pm)", path, &rv);
        return rv;
    }
    *buf = apr_palloc(p, max + 1);
    *len = 0;
    rv = apr_file_read_full(f, *buf, max, len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        *why = apr_psprintf(p, "a readable file (%s: %pm)", path, &rv);
        return rv;
    }
    (*buf)[*len] = '\0';
    return APR_SUCCESS;
}

apr_status_t nxs_secret_load(nxs_secret_t *out, const char **why, const char *arg,
                             apr_size_t min_len, apr_pool_t *p)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(arg, "file:", 5) == 0) {
        char *buf = NULL;
        apr_size_t len = 0;
        apr_status_t rv;

        out->path = arg + 5;
        if (out->path[0] != '/') {
            *why = "file: followed by an absolute path";
            return APR_EINVAL;
        }
        rv = read_small_file(&buf, &len, &out->world_readable, why, out->path, NXS_SECRET_FILE_MAX,
                             p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        /* Editors add a final newline; it is never part of a secret. */
        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
        }
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
        if (memchr(buf, '\0', len)) {
            *why = apr_psprintf(p, "a text secret (%s contains a NUL byte)", out->path);
            return APR_EINVAL;
        }
        out->value = buf;
        out->len = len;
    } else {
        out->value = arg;
        out->len = strlen(arg);
    }
    if (out->len < min_len) {
        *why = apr_psprintf(
            p, "a secret of at least %" APR_SIZE_T_FMT " bytes (got %" APR_SIZE_T_FMT ")", min_len,
            out->len);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t nxs_keyfile_load(unsigned char *key, int *world_readable, const char **why,
                              const char *path, apr_pool_t *p)
{
    char *buf = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    /* Read one byte more than needed so a longer file is detected. */
    rv = read_small_file(&buf, &len, world_readable, why, path, NXS_TOKEN_KEY_LEN + 1, p);
    if (rv != APR_SUCCESS) {
        if (rv == APR_EINVAL && buf == NULL) {
            *why = apr_psprintf(p,
                                "a file of exactly %d random bytes, e.g. from "
                                "'head -c 32 /dev/urandom' (%s is larger)",
                                NXS_TOKEN_KEY_LEN, path);
        }
        return rv;
    }
    if (len != NXS_TOKEN_KEY_LEN) {
        *why = apr_psprintf(p,
                            "a file of exactly %d random bytes, e.g. from "
                            "'head -c 32 /dev/urandom' (%s has %" APR_SIZE_T_FMT ")",
                            NXS_TOKEN_KEY_LEN, path, len);
        return APR_EINVAL;
    }
    memcpy(key, buf, NXS_TOKEN_KEY_LEN);
    memset(buf, 0, len);
    return APR_SUCCESS;
}
