/* The generated create and merge of the per-server config: a virtual host
 * keeps every field it sets, inherits every field it does not, and every
 * server config of one configuration read shares one module-wide config.
 *
 * cfg/nxs_config_merge.c needs no httpd header, so it is compiled into this
 * test directly (the unit tests link only the httpd-free core).  The fields
 * are walked with the same list the code is generated from; that a field
 * cannot live outside the list is checked by the size tripwire below and by
 * build/check-drift. */
#include "nxs_test.h"

#include <apr_strings.h>
#include <string.h>

#include "cfg/nxs_config_merge.c"

/* Tripwire: nxs_server_conf_t is the list plus these hand-declared derived
 * fields.  A member added by hand changes its size: put it in the list of
 * cfg/nxs_config_fields.h (or, if nxs_config_finish() computes it, here and
 * in build/check-drift's list of derived fields). */
typedef struct {
    NXS_SERVER_FIELDS(NXS_FIELD_DECL)
    nxs_mod_conf_t *mod;
    unsigned char session_key[32];
    unsigned char csrf_key[32];
    unsigned char state_key[32];
    int configured;
} list_plus_derived_t;
_Static_assert(sizeof(list_plus_derived_t) == sizeof(nxs_server_conf_t),
               "nxs_server_conf_t has a member outside NXS_SERVER_FIELDS");

/* Gives every listed field of C a value unique to the field and to SEED. */
#define SET(kind, name, unset)                                                                     \
    ++n;                                                                                           \
    SET_##kind(c, name, n)
#define SET_PTR(c, name, v)  (c)->name = apr_psprintf(p, "%s-%d", #name, v);
#define SET_INT(c, name, v)  (c)->name = (v);
#define SET_TIME(c, name, v) (c)->name = (apr_interval_time_t)(v);
#define SET_SECRET(c, name, v)                                                                     \
    (c)->name.value = apr_psprintf(p, "%s-%d", #name, v);                                          \
    (c)->name.len = strlen((c)->name.value);
#define SET_KEY(c, name, v)                                                                        \
    memset((c)->name, (v)&0xff, sizeof((c)->name));                                                \
    (c)->name##_path = apr_psprintf(p, "%s-%d", #name, v);                                         \
    (c)->name##_set = 1;

static void set_every_field(nxs_server_conf_t *c, int seed, apr_pool_t *p)
{
    int n = seed;

    NXS_SERVER_FIELDS(SET)
}

/* Asserts that field NAME of GOT is the one of WANT. */
#define SAME(kind, name, unset) SAME_##kind(got, want, name)
#define SAME_PTR(a, b, name)    assert_string_equal((a)->name, (b)->name);
#define SAME_INT(a, b, name)    assert_int_equal((a)->name, (b)->name);
#define SAME_TIME(a, b, name)   assert_int_equal((a)->name, (b)->name);
#define SAME_SECRET(a, b, name)                                                                    \
    assert_string_equal((a)->name.value, (b)->name.value);                                         \
    assert_int_equal((a)->name.len, (b)->name.len);
#define SAME_KEY(a, b, name)                                                                       \
    assert_memory_equal((a)->name, (b)->name, sizeof((a)->name));                                  \
    assert_string_equal((a)->name##_path, (b)->name##_path);                                       \
    assert_int_equal((a)->name##_set, (b)->name##_set);

static void assert_same_fields(const nxs_server_conf_t *got, const nxs_server_conf_t *want)
{
    NXS_SERVER_FIELDS(SAME)
}

/* Asserts that field NAME of C holds its unset value. */
#define UNSET(kind, name, unset) UNSET_##kind(c, name, unset)
#define UNSET_PTR(c, name, u)    assert_null((c)->name);
#define UNSET_INT(c, name, u)    assert_int_equal((c)->name, (u));
#define UNSET_TIME(c, name, u)   assert_int_equal((c)->name, (u));
#define UNSET_SECRET(c, name, u) assert_null((c)->name.value);
#define UNSET_KEY(c, name, u)    assert_int_equal((c)->name##_set, (u));

static void assert_all_unset(const nxs_server_conf_t *c)
{
    NXS_SERVER_FIELDS(UNSET)
}

static void a_new_config_has_every_field_unset(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_server_conf_t *c = nxs_config_create_server(p, NULL);

    assert_all_unset(c);
    assert_false(nxs_config_any_set(c));
    assert_int_equal(c->mod->workers, NXS_UNSET_INT);
    assert_null(c->mod->queue_type);
    assert_false(nxs_config_mod_any_set(c->mod));
}

static void a_vhost_keeps_every_field_it_sets(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_server_conf_t *base = nxs_config_create_server(p, NULL);
    nxs_server_conf_t *add = nxs_config_create_server(p, NULL);
    nxs_server_conf_t *m;

    set_every_field(base, 1000, p);
    set_every_field(add, 2000, p);
    m = nxs_config_merge_server(p, base, add);
    assert_same_fields(m, add);
}

static void a_vhost_inherits_every_field_it_does_not_set(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_server_conf_t *base = nxs_config_create_server(p, NULL);
    nxs_server_conf_t *add = nxs_config_create_server(p, NULL);
    nxs_server_conf_t *m;

    set_every_field(base, 1000, p);
    m = nxs_config_merge_server(p, base, add);
    assert_same_fields(m, base);
    assert_true(nxs_config_any_set(m));
}

static void nothing_set_anywhere_stays_unset(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_server_conf_t *m = nxs_config_merge_server(p, nxs_config_create_server(p, NULL),
                                                   nxs_config_create_server(p, NULL));

    assert_all_unset(m);
    assert_false(nxs_config_any_set(m));
}

/* Sets field NAME alone on a fresh config and expects it to count as set,
 * so `configured` notices every directive. */
#define ALONE(kind, name, unset)                                                                   \
    {                                                                                              \
        nxs_server_conf_t *all = nxs_config_create_server(p, NULL);                                \
        nxs_server_conf_t *c = nxs_config_create_server(p, NULL);                                  \
        set_every_field(all, 3000, p);                                                             \
        ALONE_##kind(c, all, name);                                                                \
        assert_true(nxs_config_any_set(c));                                                        \
    }
#define ALONE_PTR(c, all, name)    (c)->name = (all)->name;
#define ALONE_INT(c, all, name)    (c)->name = (all)->name;
#define ALONE_TIME(c, all, name)   (c)->name = (all)->name;
#define ALONE_SECRET(c, all, name) (c)->name = (all)->name;
#define ALONE_KEY(c, all, name)    (c)->name##_set = (all)->name##_set;

static void any_one_field_makes_the_server_configured(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    NXS_SERVER_FIELDS(ALONE)
}

static void every_server_of_one_config_read_shares_the_module_wide_config(void **state)
{
    apr_pool_t *pconf = nxs_test_pool(state), *next = NULL;
    nxs_server_conf_t *main_server = nxs_config_create_server(pconf, NULL);
    nxs_server_conf_t *vhost = nxs_config_create_server(pconf, NULL);
    nxs_server_conf_t *merged, *fresh;

    main_server->mod->workers = 4;
    merged = nxs_config_merge_server(pconf, main_server, vhost);
    assert_ptr_equal(vhost->mod, main_server->mod);
    assert_ptr_equal(merged->mod, main_server->mod);
    assert_int_equal(merged->mod->workers, 4);
    assert_true(nxs_config_mod_any_set(merged->mod));

    /* A restart reads the configuration into a cleared pconf: a fresh one. */
    apr_pool_create(&next, NULL);
    fresh = nxs_config_create_server(next, NULL);
    assert_ptr_not_equal(fresh->mod, main_server->mod);
    assert_int_equal(fresh->mod->workers, NXS_UNSET_INT);
    apr_pool_destroy(next);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(a_new_config_has_every_field_unset),
    NXS_TEST(a_vhost_keeps_every_field_it_sets),
    NXS_TEST(a_vhost_inherits_every_field_it_does_not_set),
    NXS_TEST(nothing_set_anywhere_stays_unset),
    NXS_TEST(any_one_field_makes_the_server_configured),
    NXS_TEST(every_server_of_one_config_read_shares_the_module_wide_config),
};

NXS_RUN_TESTS(tests)
