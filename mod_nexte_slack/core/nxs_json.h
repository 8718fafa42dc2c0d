/* Pool-owned jansson values: a value handed to nxs_json_own() lives exactly
 * as long as a pool, so callers never count references by hand. */
#ifndef NXS_JSON_H
#define NXS_JSON_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

/* Ties the reference the caller holds on V to pool P (released by a cleanup
 * when P is cleared or destroyed) and returns V.  NULL is passed through. */
json_t *nxs_json_own(json_t *v, apr_pool_t *p);

/* Parses LEN bytes of TEXT into a pool-owned value.  On failure *why says
 * where and why, in jansson's words ("line 3 column 7: ..."). */
apr_status_t nxs_json_load(json_t **pv, const char **why, const char *text, apr_size_t len,
                           apr_pool_t *p);

/* Reads and parses the file at PATH (at most 1 MiB) into a pool-owned value. */
apr_status_t nxs_json_load_file(json_t **pv, const char **why, const char *path, apr_pool_t *p);

/* Serialises V (jansson dump FLAGS) into a pool string; NULL if V cannot be. */
const char *nxs_json_dump(const json_t *v, size_t flags, apr_pool_t *p);

/* Looks up a dotted key path ("record.id", "data.contact.name") through
 * nested objects; NULL when a step is missing or not an object. */
const json_t *nxs_json_path(const json_t *root, const char *path);

/* The string at PATH, or NULL when absent, not a string, or empty. */
const char *nxs_json_path_str(const json_t *root, const char *path);

#endif
