/* A short-lived cache of workspaces' public channel lists (id and name
 * only), for the settings page's channel picker (GET api/channels), and the
 * paging of a list: sorted by name, read a page at a time after a cursor,
 * optionally filtered by a part of the name.
 *
 * Where it lives: in the memory of each httpd child process, one cache per
 * child (handle/nxs_settings_api.c creates it in child_init).  Slack is the
 * source of the list and it is cheap to ask again, so each child fetching
 * its own copy at most once per TTL and workspace is acceptable.  In SQL,
 * every fill would write up to a megabyte on a GET (SQLite's write lock,
 * which reads must not take); in shared memory it would need an allocator
 * of its own.  A cursor names the last channel of its page (name and id),
 * not a position, so paging stays right when the next page is served by
 * another child or from a newer list.
 *
 * Bounds: at most MAX channels are kept per list (the rest of the workspace
 * is not fetched; the list says it is truncated), and at most MAX_LISTS
 * lists per cache; the least recently used list is dropped first, and a
 * list past its TTL is dropped at the next lookup.  A miss fetches into a
 * list of its own, outside the cache, until it is complete: threads that
 * miss at once each hold one (at most MAX channels each).
 *
 * Thread safety: every function may be called from any thread.  The
 * cache's mutex guards the table, the LRU order and the reference counts;
 * it is never held during a fetch (two threads missing one workspace at
 * once both fetch, and the later list replaces the earlier).  A list handed
 * out is immutable and stays valid until the pool it was handed out with is
 * cleaned up, even when the cache drops or replaces it meanwhile. */
#ifndef NXS_CHANNEL_CACHE_H
#define NXS_CHANNEL_CACHE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct nxs_channel_t {
    const char *id;
    const char *name;
} nxs_channel_t;

typedef struct nxs_channel_list_t nxs_channel_list_t;
typedef struct nxs_channel_cache_t nxs_channel_cache_t;

/* Adds a channel to LIST while a fetch fills it (ID and NAME are copied).
 * APR_ENOSPC, and nothing added, once it holds its maximum: the list is
 * then marked truncated and the fetch should stop. */
apr_status_t nxs_channel_list_add(nxs_channel_list_t *list, const char *id, const char *name);

/* Fills LIST (nxs_channel_list_add) with every channel of a workspace.
 * On failure returns non-APR_SUCCESS with *error a short code. */
typedef apr_status_t (*nxs_channel_fetch_fn)(nxs_channel_list_t *list, const char **error,
                                             void *baton);

/* A cache of at most MAX_LISTS lists, living as long as P (its mutex is
 * P's too). */
apr_status_t nxs_channel_cache_create(nxs_channel_cache_t **cache, int max_lists, apr_pool_t *p);

/* The list of KEY: the cached one when it was fetched less than TTL before
 * NOW with the same MAX (*hit 1), else a new one that FETCH(BATON) fills
 * with at most MAX channels, then sorted and cached (*hit 0).  A failed
 * fetch caches nothing: *error is its code.  *list stays valid until P is
 * cleaned up.  CACHE NULL: no cache, every call fetches. */
apr_status_t nxs_channel_cache_get(const nxs_channel_list_t **list, int *hit, const char **error,
                                   nxs_channel_cache_t *cache, const char *key, apr_time_t now,
                                   apr_interval_time_t ttl, int max, nxs_channel_fetch_fn fetch,
                                   void *baton, apr_pool_t *p);

/* How many lists CACHE holds now. */
int nxs_channel_cache_lists(nxs_channel_cache_t *cache);

/* How many channels LIST holds, and whether the workspace had more. */
int nxs_channel_list_count(const nxs_channel_list_t *list);
int nxs_channel_list_truncated(const nxs_channel_list_t *list);

/* A page of LIST: the channels after CURSOR (NULL or "": from the start)
 * whose name contains Q (NULL or "": all; ASCII letters in any case), at
 * most LIMIT, in name order, as an array of const nxs_channel_t * in P.
 * *next_cursor is the cursor of the following page, or NULL when no
 * further channel matches.  APR_EINVAL when CURSOR is not one this
 * function made. */
apr_status_t nxs_channel_list_page(apr_array_header_t **page, const char **next_cursor,
                                   const nxs_channel_list_t *list, const char *cursor,
                                   const char *q, int limit, apr_pool_t *p);

#endif
