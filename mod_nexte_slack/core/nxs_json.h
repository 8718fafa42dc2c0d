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

/* The same, compact, but with every real in its shortest text
 * (nxs_json_real_text) where jansson writes 17 digits (0.005 as
 * 0.0050000000000000001): for what people read, such as the status.  Of
 * FLAGS only what concerns strings counts (JSON_ENSURE_ASCII); keys keep
 * the object's order.  NULL if V cannot be serialised. */
const char *nxs_json_dump_readable(const json_t *v, size_t flags, apr_pool_t *p);

/* V with the fewest significant digits that read back as V: 15 when they
 * do (every decimal of up to 15 digits does: 0.005, 0.1, 1e-9, 123.456),
 * else 16, else 17, written as jansson writes a real: a whole number keeps
 * ".0" (86400.0) so that it reads back as a real.  Locale-independent
 * (jansson's own conversions).  Not finite: "NaN", "+Inf" or "-Inf" (a JSON
 * real never is; a Prometheus sample may be).  NULL only when memory runs
 * out. */
const char *nxs_json_real_text(double v, apr_pool_t *p);

/* nxs_json_real_text without the ".0" of a whole number (86400): a sample
 * value or "le" bound of the Prometheus text format. */
const char *nxs_json_real_plain(double v, apr_pool_t *p);

/* Looks up a dotted key path ("record.id", "data.contact.name") through
 * nested objects; NULL when a step is missing or not an object. */
const json_t *nxs_json_path(const json_t *root, const char *path);

/* The string at PATH, or NULL when absent, not a string, or empty. */
const char *nxs_json_path_str(const json_t *root, const char *path);

#endif
