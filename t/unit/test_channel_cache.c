/* core/slack/nxs_channel_cache.c: a workspace's channel list is fetched
 * once per TTL (the clock is the NOW each call passes), at most MAX
 * channels of it are kept, at most MAX_LISTS lists are cached with the
 * least recently used dropped first, a list stays readable while a request
 * holds it, and its pages come in name order after a cursor, filtered by a
 * part of the name.  Memory is checked by the ASan and valgrind runs. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <string.h>

#include "slack/nxs_channel_cache.h"

#define SEC(s) apr_time_from_sec(s)

/* A fake Slack: N channels named name-<i> (in reverse, so that sorting is
 * seen), or a failure; counts its calls. */
typedef struct fake_t {
    int n;
    const char *fail; /* the error code to fail with, or NULL */
    int calls;
} fake_t;

static apr_status_t fake_fetch(nxs_channel_list_t *list, const char **error, void *baton)
{
    fake_t *f = baton;
    char id[32], name[32];
    int i;

    ++f->calls;
    if (f->fail) {
        *error = f->fail;
        return APR_EGENERAL;
    }
    for (i = f->n; i >= 1; --i) {
        snprintf(id, sizeof(id), "C%05d", i);
        snprintf(name, sizeof(name), "name-%05d", i);
        if (nxs_channel_list_add(list, id, name) == APR_ENOSPC) {
            break;
        }
    }
    return APR_SUCCESS;
}

/* The list of KEY at NOW (TTL 60 s, MAX channels), held by P. */
static const nxs_channel_list_t *get(nxs_channel_cache_t *cache, fake_t *f, const char *key,
                                     apr_int64_t now, int max, int *hit, apr_pool_t *p)
{
    const nxs_channel_list_t *list = NULL;
    const char *error = NULL;
    int ignored = 0;

    assert_int_equal(nxs_channel_cache_get(&list, hit ? hit : &ignored, &error, cache, key,
                                           SEC(now), SEC(60), max, fake_fetch, f, p),
                     APR_SUCCESS);
    assert_non_null(list);
    return list;
}

static void a_list_is_fetched_once_per_ttl(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    fake_t f = {5, NULL, 0};
    int hit = -1;

    assert_int_equal(nxs_channel_cache_create(&cache, 4, p), APR_SUCCESS);
    assert_int_equal(nxs_channel_list_count(get(cache, &f, "T1", 1000, 100, &hit, p)), 5);
    assert_int_equal(hit, 0);
    get(cache, &f, "T1", 1059, 100, &hit, p); /* 59 s later: the same list */
    assert_int_equal(hit, 1);
    assert_int_equal(f.calls, 1);
    get(cache, &f, "T1", 1060, 100, &hit, p); /* 60 s: fetched again */
    assert_int_equal(hit, 0);
    assert_int_equal(f.calls, 2);
    get(cache, &f, "T1", 1061, 100, &hit, p);
    assert_int_equal(hit, 1);
    /* a clock gone back makes the list stale too */
    get(cache, &f, "T1", 900, 100, &hit, p);
    assert_int_equal(hit, 0);
    assert_int_equal(f.calls, 3);
    assert_int_equal(nxs_channel_cache_lists(cache), 1);
}

static void a_shorter_ttl_or_another_cap_fetches_again(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    const nxs_channel_list_t *list = NULL;
    const char *error = NULL;
    fake_t f = {5, NULL, 0};
    int hit = -1;

    assert_int_equal(nxs_channel_cache_create(&cache, 4, p), APR_SUCCESS);
    get(cache, &f, "T1", 1000, 100, NULL, p);
    /* a server with a 2 s TTL does not take a 30 s old list */
    assert_int_equal(nxs_channel_cache_get(&list, &hit, &error, cache, "T1", SEC(1030), SEC(2), 100,
                                           fake_fetch, &f, p),
                     APR_SUCCESS);
    assert_int_equal(hit, 0);
    get(cache, &f, "T1", 1031, 3, &hit, p); /* another cap */
    assert_int_equal(hit, 0);
    assert_int_equal(f.calls, 3);
    assert_int_equal(nxs_channel_cache_lists(cache), 1); /* replaced, not added */
}

static void a_list_keeps_at_most_max_channels_and_says_it_is_cut(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    const nxs_channel_list_t *list;
    fake_t many = {5, NULL, 0}, exact = {3, NULL, 0};

    assert_int_equal(nxs_channel_cache_create(&cache, 4, p), APR_SUCCESS);
    list = get(cache, &many, "T1", 1000, 3, NULL, p);
    assert_int_equal(nxs_channel_list_count(list), 3);
    assert_true(nxs_channel_list_truncated(list));
    list = get(cache, &exact, "T2", 1000, 3, NULL, p);
    assert_int_equal(nxs_channel_list_count(list), 3);
    assert_false(nxs_channel_list_truncated(list));
}

static void the_least_recently_used_list_is_dropped_first(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    fake_t f = {2, NULL, 0};
    int hit = -1;

    assert_int_equal(nxs_channel_cache_create(&cache, 2, p), APR_SUCCESS);
    get(cache, &f, "A", 1000, 10, NULL, p);
    get(cache, &f, "B", 1001, 10, NULL, p);
    get(cache, &f, "A", 1002, 10, &hit, p); /* A is now the most recent */
    assert_int_equal(hit, 1);
    get(cache, &f, "C", 1003, 10, NULL, p); /* drops B */
    assert_int_equal(nxs_channel_cache_lists(cache), 2);
    get(cache, &f, "A", 1004, 10, &hit, p);
    assert_int_equal(hit, 1);
    get(cache, &f, "C", 1004, 10, &hit, p);
    assert_int_equal(hit, 1);
    assert_int_equal(f.calls, 3);
    get(cache, &f, "B", 1005, 10, &hit, p);
    assert_int_equal(hit, 0);
    assert_int_equal(nxs_channel_cache_lists(cache), 2);
}

static void lists_past_their_ttl_are_dropped_at_the_next_lookup(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    fake_t f = {2, NULL, 0};

    assert_int_equal(nxs_channel_cache_create(&cache, 8, p), APR_SUCCESS);
    get(cache, &f, "A", 1000, 10, NULL, p);
    get(cache, &f, "B", 1030, 10, NULL, p);
    get(cache, &f, "C", 1061, 10, NULL, p); /* A expired at 1060 */
    assert_int_equal(nxs_channel_cache_lists(cache), 2);
}

static void a_failed_fetch_is_not_cached(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    const nxs_channel_list_t *list = NULL;
    const char *error = NULL;
    fake_t f = {2, "ratelimited", 0};
    int hit = -1;

    assert_int_equal(nxs_channel_cache_create(&cache, 8, p), APR_SUCCESS);
    assert_int_not_equal(nxs_channel_cache_get(&list, &hit, &error, cache, "A", SEC(1000), SEC(60),
                                               10, fake_fetch, &f, p),
                         APR_SUCCESS);
    assert_string_equal(error, "ratelimited");
    assert_null(list);
    assert_int_equal(nxs_channel_cache_lists(cache), 0);
    f.fail = NULL;
    get(cache, &f, "A", 1001, 10, &hit, p);
    assert_int_equal(hit, 0);
    assert_int_equal(f.calls, 2);
}

/* A request reads its list to the end even when the cache drops or
 * replaces it meanwhile; the list is freed with its last holder. */
static void a_held_list_outlives_its_eviction(void **state)
{
    apr_pool_t *p = nxs_test_pool(state), *req = NULL;
    nxs_channel_cache_t *cache = NULL;
    const nxs_channel_list_t *held;
    apr_array_header_t *page = NULL;
    const char *next = NULL;
    fake_t f = {3, NULL, 0};

    assert_int_equal(nxs_channel_cache_create(&cache, 1, p), APR_SUCCESS);
    assert_int_equal(apr_pool_create(&req, p), APR_SUCCESS);
    held = get(cache, &f, "A", 1000, 10, NULL, req);
    get(cache, &f, "B", 1001, 10, NULL, p); /* drops A from the cache */
    get(cache, &f, "B", 1100, 10, NULL, p); /* replaces B */
    assert_int_equal(nxs_channel_cache_lists(cache), 1);
    assert_int_equal(nxs_channel_list_page(&page, &next, held, NULL, NULL, 10, req), APR_SUCCESS);
    assert_int_equal(page->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(page, 2, const nxs_channel_t *)->name, "name-00003");
    apr_pool_destroy(req);
}

static void without_a_cache_every_call_fetches(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    fake_t f = {2, NULL, 0};
    int hit = -1;

    get(NULL, &f, "A", 1000, 10, &hit, p);
    get(NULL, &f, "A", 1000, 10, &hit, p);
    assert_int_equal(hit, 0);
    assert_int_equal(f.calls, 2);
}

/* ---- pages ---- */

/* The names of PAGE, joined by ",". */
static const char *names(const apr_array_header_t *page, apr_pool_t *p)
{
    const char *out = "";
    int i;

    for (i = 0; i < page->nelts; ++i) {
        out = apr_pstrcat(p, out, i ? "," : "", APR_ARRAY_IDX(page, i, const nxs_channel_t *)->name,
                          NULL);
    }
    return out;
}

static void pages_follow_the_name_order_through_their_cursors(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    fake_t f = {7, NULL, 0};
    const nxs_channel_list_t *list = get(NULL, &f, "A", 1000, 100, NULL, p);
    apr_array_header_t *page = NULL;
    const char *next = NULL, *all = "";
    int pages = 0;

    do {
        assert_int_equal(nxs_channel_list_page(&page, &next, list, next, NULL, 3, p), APR_SUCCESS);
        all = apr_pstrcat(p, all, pages ? "|" : "", names(page, p), NULL);
        ++pages;
    } while (next);
    assert_string_equal(all, "name-00001,name-00002,name-00003|name-00004,name-00005,name-00006|"
                             "name-00007");
    assert_int_equal(pages, 3);
    /* an exact last page has no cursor after it */
    assert_int_equal(nxs_channel_list_page(&page, &next, list, NULL, NULL, 7, p), APR_SUCCESS);
    assert_int_equal(page->nelts, 7);
    assert_null(next);
}

/* A cursor names a channel, not a position: from a newer list (here one
 * without that channel) the next page starts after where it was. */
static void a_cursor_goes_on_in_another_list(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    fake_t seven = {7, NULL, 0}, five = {5, NULL, 0};
    const nxs_channel_list_t *list = get(NULL, &seven, "A", 1000, 100, NULL, p);
    apr_array_header_t *page = NULL;
    const char *next = NULL;

    assert_int_equal(nxs_channel_list_page(&page, &next, list, NULL, NULL, 6, p), APR_SUCCESS);
    assert_non_null(next);
    list = get(NULL, &five, "A", 1000, 100, NULL, p); /* name-00006 is gone */
    assert_int_equal(nxs_channel_list_page(&page, &next, list, next, NULL, 6, p), APR_SUCCESS);
    assert_int_equal(page->nelts, 0);
    assert_null(next);
}

static void q_keeps_names_that_contain_it_in_any_case(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    fake_t f = {25, NULL, 0};
    const nxs_channel_list_t *list = get(NULL, &f, "A", 1000, 100, NULL, p);
    apr_array_header_t *page = NULL;
    const char *next = NULL;

    assert_int_equal(nxs_channel_list_page(&page, &next, list, NULL, "NAME-0001", 4, p),
                     APR_SUCCESS);
    assert_string_equal(names(page, p), "name-00010,name-00011,name-00012,name-00013");
    assert_int_equal(nxs_channel_list_page(&page, &next, list, next, "NAME-0001", 4, p),
                     APR_SUCCESS);
    assert_string_equal(names(page, p), "name-00014,name-00015,name-00016,name-00017");
    assert_int_equal(nxs_channel_list_page(&page, &next, list, next, "NAME-0001", 4, p),
                     APR_SUCCESS);
    assert_string_equal(names(page, p), "name-00018,name-00019");
    assert_null(next);
    assert_int_equal(nxs_channel_list_page(&page, &next, list, NULL, "nothing", 4, p), APR_SUCCESS);
    assert_int_equal(page->nelts, 0);
    assert_null(next);
}

static void a_cursor_not_made_here_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    fake_t f = {3, NULL, 0};
    const nxs_channel_list_t *list = get(NULL, &f, "A", 1000, 100, NULL, p);
    static const char *const bad[] = {"x", "!!!!", "bmFtZQ", "bmFtZQ==", "Cm5hbWU", "bmFtZQo"};
    apr_array_header_t *page = NULL;
    const char *next = NULL;
    size_t i;

    /* not base64url; no newline; padded; nothing before or after it */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        if (nxs_channel_list_page(&page, &next, list, bad[i], NULL, 10, p) != APR_EINVAL) {
            fail_msg("cursor %s was taken", bad[i]);
        }
    }
}

/* ---- threads ---- */

typedef struct worker_t {
    nxs_channel_cache_t *cache;
    fake_t fake; /* per thread: its call count */
    int seed;
} worker_t;

static void *APR_THREAD_FUNC hammer(apr_thread_t *t, void *v)
{
    worker_t *w = v;
    apr_pool_t *p = NULL;
    int i;

    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    for (i = 0; i < 2000; ++i) {
        apr_pool_t *req = NULL;
        const nxs_channel_list_t *list = NULL;
        apr_array_header_t *page = NULL;
        const char *error = NULL, *next = NULL;
        char key[8];
        int hit = 0;

        apr_pool_create(&req, p);
        snprintf(key, sizeof(key), "T%d", (w->seed * 7 + i) % 5);
        if (nxs_channel_cache_get(&list, &hit, &error, w->cache, key, SEC(1000 + i / 50), SEC(2),
                                  20, fake_fetch, &w->fake, req) == APR_SUCCESS) {
            nxs_channel_list_page(&page, &next, list, NULL, "name", 5, req);
        }
        apr_pool_destroy(req);
    }
    apr_pool_destroy(p);
    /* Returning ends the thread (apr_thread_exit's pthread_exit would leave
     * this frame poisoned for AddressSanitizer's thread teardown). */
    return NULL;
}

/* Eight threads on a cache of three lists for five workspaces: lookups,
 * fills, replacements and evictions race (ASan and valgrind watch). */
static void threads_share_one_cache(void **state)
{
    enum { THREADS = 8 };
    apr_pool_t *p = nxs_test_pool(state);
    nxs_channel_cache_t *cache = NULL;
    apr_thread_t *threads[THREADS];
    worker_t w[THREADS];
    apr_status_t rv;
    int i, calls = 0;

    assert_int_equal(nxs_channel_cache_create(&cache, 3, p), APR_SUCCESS);
    for (i = 0; i < THREADS; ++i) {
        w[i].cache = cache;
        w[i].fake.n = 30;
        w[i].fake.fail = NULL;
        w[i].fake.calls = 0;
        w[i].seed = i;
        assert_int_equal(apr_thread_create(&threads[i], NULL, hammer, &w[i], p), APR_SUCCESS);
    }
    for (i = 0; i < THREADS; ++i) {
        apr_thread_join(&rv, threads[i]);
        calls += w[i].fake.calls;
    }
    assert_true(calls > 0 && calls < THREADS * 2000);
    assert_true(nxs_channel_cache_lists(cache) <= 3);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_list_is_fetched_once_per_ttl),
    NXS_TEST(a_shorter_ttl_or_another_cap_fetches_again),
    NXS_TEST(a_list_keeps_at_most_max_channels_and_says_it_is_cut),
    NXS_TEST(the_least_recently_used_list_is_dropped_first),
    NXS_TEST(lists_past_their_ttl_are_dropped_at_the_next_lookup),
    NXS_TEST(a_failed_fetch_is_not_cached),
    NXS_TEST(a_held_list_outlives_its_eviction),
    NXS_TEST(without_a_cache_every_call_fetches),
    NXS_TEST(pages_follow_the_name_order_through_their_cursors),
    NXS_TEST(a_cursor_goes_on_in_another_list),
    NXS_TEST(q_keeps_names_that_contain_it_in_any_case),
    NXS_TEST(a_cursor_not_made_here_is_refused),
    NXS_TEST(threads_share_one_cache),
};

NXS_RUN_TESTS(tests)
