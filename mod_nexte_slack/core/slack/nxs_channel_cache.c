/* The channel list cache and its paging (see nxs_channel_cache.h). */
#include "slack/nxs_channel_cache.h"

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <stdlib.h>
#include <string.h>

#include "security/nxs_crypto.h"

struct nxs_channel_list_t {
    apr_pool_t *pool;     /* the list's own (unmanaged): destroyed with its last holder */
    nxs_channel_t *items; /* malloc'ed, grown by doubling; freed with POOL */
    int count, cap, max;
    int truncated;
    apr_time_t fetched_at;
    apr_time_t expires_at;
    /* Under the cache's mutex: */
    const char *key;
    int refs; /* the cache while it holds the list, plus one per request */
    nxs_channel_list_t *prev, *next;
};

struct nxs_channel_cache_t {
    apr_thread_mutex_t *mutex;
    nxs_channel_list_t *head, *tail; /* most recently used first */
    int lists, max_lists;
};

/* A handed-out list and the cache to give it back to (NULL: uncached). */
typedef struct hold_t {
    nxs_channel_cache_t *cache;
    nxs_channel_list_t *list;
} hold_t;

static apr_status_t free_items(void *v)
{
    nxs_channel_list_t *list = v;

    free(list->items);
    list->items = NULL;
    return APR_SUCCESS;
}

static apr_status_t list_create(nxs_channel_list_t **out, const char *key, int max)
{
    apr_pool_t *pool = NULL;
    nxs_channel_list_t *list;
    apr_status_t rv;

    if ((rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL)) != APR_SUCCESS) {
        return rv;
    }
    list = apr_pcalloc(pool, sizeof(*list));
    list->pool = pool;
    list->max = max;
    list->key = apr_pstrdup(pool, key);
    apr_pool_cleanup_register(pool, list, free_items, apr_pool_cleanup_null);
    *out = list;
    return APR_SUCCESS;
}

apr_status_t nxs_channel_list_add(nxs_channel_list_t *list, const char *id, const char *name)
{
    if (list->count >= list->max) {
        list->truncated = 1;
        return APR_ENOSPC;
    }
    if (list->count == list->cap) {
        int cap = list->cap ? list->cap * 2 : 256;
        nxs_channel_t *grown;

        if (cap > list->max) {
            cap = list->max;
        }
        if (!(grown = realloc(list->items, (size_t)cap * sizeof(*grown)))) {
            return APR_ENOMEM;
        }
        list->items = grown;
        list->cap = cap;
    }
    list->items[list->count].id = apr_pstrdup(list->pool, id);
    list->items[list->count].name = apr_pstrdup(list->pool, name);
    ++list->count;
    return APR_SUCCESS;
}

static int compare_key(const char *name, const char *id, const nxs_channel_t *c)
{
    int d = strcmp(name, c->name);
    return d ? d : strcmp(id, c->id);
}

static int compare_channels(const void *a, const void *b)
{
    const nxs_channel_t *x = a;
    return compare_key(x->name, x->id, b);
}

/* ---- the cache, under its mutex ---- */

static void unlink_list(nxs_channel_cache_t *cache, nxs_channel_list_t *list)
{
    if (list->prev) {
        list->prev->next = list->next;
    } else {
        cache->head = list->next;
    }
    if (list->next) {
        list->next->prev = list->prev;
    } else {
        cache->tail = list->prev;
    }
    list->prev = list->next = NULL;
    --cache->lists;
}

static void push_front(nxs_channel_cache_t *cache, nxs_channel_list_t *list)
{
    list->prev = NULL;
    list->next = cache->head;
    if (cache->head) {
        cache->head->prev = list;
    } else {
        cache->tail = list;
    }
    cache->head = list;
    ++cache->lists;
}

/* Takes LIST out of the cache; returns it when nobody holds it any more
 * (for the caller to destroy once the mutex is released), else NULL. */
static nxs_channel_list_t *drop(nxs_channel_cache_t *cache, nxs_channel_list_t *list)
{
    unlink_list(cache, list);
    return --list->refs == 0 ? list : NULL;
}

/* Drops the lists past their TTL at NOW (fetched by a clock now behind
 * counts as past); returns those nobody holds, chained by ->next. */
static nxs_channel_list_t *drop_expired(nxs_channel_cache_t *cache, apr_time_t now)
{
    nxs_channel_list_t *list = cache->head, *next, *dead = NULL, *gone;

    for (; list; list = next) {
        next = list->next;
        if ((now >= list->expires_at || now < list->fetched_at) && (gone = drop(cache, list))) {
            gone->next = dead;
            dead = gone;
        }
    }
    return dead;
}

static void destroy_chain(nxs_channel_list_t *dead)
{
    while (dead) {
        nxs_channel_list_t *next = dead->next;
        apr_pool_destroy(dead->pool);
        dead = next;
    }
}

static apr_status_t release(void *v)
{
    hold_t *h = v;
    nxs_channel_list_t *gone = NULL;

    if (!h->cache) {
        apr_pool_destroy(h->list->pool);
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(h->cache->mutex);
    if (--h->list->refs == 0) {
        gone = h->list;
    }
    apr_thread_mutex_unlock(h->cache->mutex);
    if (gone) {
        apr_pool_destroy(gone->pool);
    }
    return APR_SUCCESS;
}

static void hand_out(const nxs_channel_list_t **out, nxs_channel_cache_t *cache,
                     nxs_channel_list_t *list, apr_pool_t *p)
{
    hold_t *h = apr_palloc(p, sizeof(*h));

    h->cache = cache;
    h->list = list;
    apr_pool_cleanup_register(p, h, release, apr_pool_cleanup_null);
    *out = list;
}

/* With the cache's pool: the lists it holds go (a list still held by a
 * request is freed by that request's cleanup). */
static apr_status_t drop_all(void *v)
{
    nxs_channel_cache_t *cache = v;
    nxs_channel_list_t *dead = NULL, *gone;

    apr_thread_mutex_lock(cache->mutex);
    while (cache->head) {
        if ((gone = drop(cache, cache->head))) {
            gone->next = dead;
            dead = gone;
        }
    }
    apr_thread_mutex_unlock(cache->mutex);
    destroy_chain(dead);
    return APR_SUCCESS;
}

apr_status_t nxs_channel_cache_create(nxs_channel_cache_t **cache, int max_lists, apr_pool_t *p)
{
    nxs_channel_cache_t *c = apr_pcalloc(p, sizeof(*c));
    apr_status_t rv = apr_thread_mutex_create(&c->mutex, APR_THREAD_MUTEX_DEFAULT, p);

    *cache = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c->max_lists = max_lists > 0 ? max_lists : 1;
    /* Registered after the mutex's own cleanup, so it runs before it. */
    apr_pool_cleanup_register(p, c, drop_all, apr_pool_cleanup_null);
    *cache = c;
    return APR_SUCCESS;
}

int nxs_channel_cache_lists(nxs_channel_cache_t *cache)
{
    int n;

    apr_thread_mutex_lock(cache->mutex);
    n = cache->lists;
    apr_thread_mutex_unlock(cache->mutex);
    return n;
}

/* The fresh list of KEY, now held for the caller, or NULL. */
static nxs_channel_list_t *lookup(nxs_channel_cache_t *cache, const char *key, apr_time_t now,
                                  apr_interval_time_t ttl, int max)
{
    nxs_channel_list_t *list, *dead;

    apr_thread_mutex_lock(cache->mutex);
    dead = drop_expired(cache, now);
    for (list = cache->head; list; list = list->next) {
        if (strcmp(list->key, key) == 0) {
            break;
        }
    }
    if (list && (list->max != max || now - list->fetched_at >= ttl)) {
        list = NULL; /* another server's settings: fetched again, then replaced */
    }
    if (list) {
        unlink_list(cache, list);
        push_front(cache, list);
        ++list->refs;
    }
    apr_thread_mutex_unlock(cache->mutex);
    destroy_chain(dead);
    return list;
}

/* Caches LIST (held once for the caller), replacing KEY's older list and
 * dropping the least recently used beyond the bound. */
static void store(nxs_channel_cache_t *cache, nxs_channel_list_t *list)
{
    nxs_channel_list_t *old, *dead = NULL, *gone;

    apr_thread_mutex_lock(cache->mutex);
    for (old = cache->head; old; old = old->next) {
        if (strcmp(old->key, list->key) == 0) {
            if ((gone = drop(cache, old))) {
                gone->next = dead;
                dead = gone;
            }
            break;
        }
    }
    list->refs = 2;
    push_front(cache, list);
    while (cache->lists > cache->max_lists && (old = cache->tail) != list) {
        if ((gone = drop(cache, old))) {
            gone->next = dead;
            dead = gone;
        }
    }
    apr_thread_mutex_unlock(cache->mutex);
    destroy_chain(dead);
}

apr_status_t nxs_channel_cache_get(const nxs_channel_list_t **out, int *hit, const char **error,
                                   nxs_channel_cache_t *cache, const char *key, apr_time_t now,
                                   apr_interval_time_t ttl, int max, nxs_channel_fetch_fn fetch,
                                   void *baton, apr_pool_t *p)
{
    nxs_channel_list_t *list;
    apr_status_t rv;

    *out = NULL;
    *hit = 0;
    *error = NULL;
    if (cache && (list = lookup(cache, key, now, ttl, max))) {
        *hit = 1;
        hand_out(out, cache, list, p);
        return APR_SUCCESS;
    }
    if ((rv = list_create(&list, key, max)) != APR_SUCCESS) {
        *error = "out_of_memory";
        return rv;
    }
    if ((rv = fetch(list, error, baton)) != APR_SUCCESS) {
        apr_pool_destroy(list->pool);
        return rv;
    }
    if (list->count > 1) {
        qsort(list->items, (size_t)list->count, sizeof(*list->items), compare_channels);
    }
    list->fetched_at = now;
    list->expires_at = now + ttl;
    if (cache) {
        store(cache, list);
    }
    hand_out(out, cache, list, p);
    return APR_SUCCESS;
}

int nxs_channel_list_count(const nxs_channel_list_t *list)
{
    return list->count;
}

int nxs_channel_list_truncated(const nxs_channel_list_t *list)
{
    return list->truncated;
}

/* ---- paging ---- */

/* A cursor is the base64url of the last channel's name, a newline and its
 * id: Slack's names and ids have no newline. */
static const char *cursor_of(const nxs_channel_t *c, apr_pool_t *p)
{
    const char *key = apr_pstrcat(p, c->name, "\n", c->id, NULL);
    return nxs_b64url_encode(key, strlen(key), p);
}

/* The name and id of CURSOR, or APR_EINVAL (the decoder is strict: one
 * value, one text). */
static apr_status_t cursor_parse(const char **name, const char **id, const char *cursor,
                                 apr_pool_t *p)
{
    unsigned char *raw = NULL;
    apr_size_t len = 0;
    const char *nl;

    if (nxs_b64url_decode(&raw, &len, cursor, strlen(cursor), p) != APR_SUCCESS ||
        strlen((const char *)raw) != len || !(nl = strrchr((const char *)raw, '\n')) ||
        nl == (const char *)raw || !nl[1]) {
        return APR_EINVAL;
    }
    *name = apr_pstrmemdup(p, (const char *)raw, (apr_size_t)(nl - (const char *)raw));
    *id = nl + 1;
    return APR_SUCCESS;
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* 1 when HAY contains NEEDLE, ASCII letters in any case. */
static int contains(const char *hay, const char *needle)
{
    const char *h, *n;

    for (; *hay; ++hay) {
        for (h = hay, n = needle; *n && *h && lower((unsigned char)*h) == lower((unsigned char)*n);
             ++h, ++n) {
        }
        if (!*n) {
            return 1;
        }
    }
    return !*needle;
}

apr_status_t nxs_channel_list_page(apr_array_header_t **page, const char **next_cursor,
                                   const nxs_channel_list_t *list, const char *cursor,
                                   const char *q, int limit, apr_pool_t *p)
{
    int lo = 0, hi = list->count, i;

    *page = NULL;
    *next_cursor = NULL;
    if (limit < 1) {
        limit = 1;
    }
    if (cursor && *cursor) {
        const char *name = NULL, *id = NULL;
        if (cursor_parse(&name, &id, cursor, p) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        /* the first channel after (name, id), which need not be listed any
         * more */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (compare_key(name, id, &list->items[mid]) < 0) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    *page = apr_array_make(p, limit < 64 ? limit : 64, sizeof(const nxs_channel_t *));
    for (i = lo; i < list->count; ++i) {
        const nxs_channel_t *c = &list->items[i];
        if (q && *q && !contains(c->name, q)) {
            continue;
        }
        if ((*page)->nelts == limit) {
            *next_cursor =
                cursor_of(APR_ARRAY_IDX(*page, (*page)->nelts - 1, const nxs_channel_t *), p);
            break;
        }
        APR_ARRAY_PUSH(*page, const nxs_channel_t *) = c;
    }
    return APR_SUCCESS;
}
