/* Loading of secrets named by directives: inline values, "file:/path"
 * values, and the 32-byte token encryption key file. */
#ifndef NXS_SECRET_H
#define NXS_SECRET_H

#include <apr_errno.h>
#include <apr_pools.h>

#define NXS_TOKEN_KEY_LEN   32
#define NXS_SECRET_FILE_MAX 4096

typedef struct nxs_secret_t {
    const char *value; /* the secret bytes, NUL-terminated, never logged */
    apr_size_t len;
    const char *path;   /* file it came from, or NULL when inline */
    int world_readable; /* the file grants read to "other": the caller warns */
} nxs_secret_t;

/* Loads ARG: "file:/abs/path" reads the file (one trailing newline removed),
 * anything else is the secret itself.  The secret must be at least MIN_LEN
 * bytes.  On failure *why says what is expected, in words for the operator. */
apr_status_t nxs_secret_load(nxs_secret_t *out, const char **why, const char *arg,
                             apr_size_t min_len, apr_pool_t *p);

/* Reads PATH, which must hold exactly NXS_TOKEN_KEY_LEN raw bytes, into KEY. */
apr_status_t nxs_keyfile_load(unsigned char *key, int *world_readable, const char **why,
                              const char *path, apr_pool_t *p);

#endif
