/* The real nxs_dbd.c (the bridge from mod_dbd's connections to the core's
 * nxs_db_t) against a mod_dbd stub (t/unit/stub/mod_dbd_stub.h) that hands
 * out SQLite connections: mod_dbd absent, no connection, the schema
 * migrated once per process (again after child_init), the statements
 * prepared once per connection, and ap_dbd_open/close outside a request.
 *
 * This test links nxs_dbd.o itself instead of the SQL fake the other glue
 * tests use (see apxs.mk), so it has its own set-up without nxs_fakes.h.
 * The tests run in order: the first one runs before mod_dbd's functions
 * are registered, which lasts for the process. */
#include "glue_test.h"

#include <unistd.h>

#include "mod_dbd_stub.h"
#include "nxs_dbd.h"
#include "store/nxs_store.h"

static int dbd_setup(void **state)
{
    if (nxs_test_setup(state) != 0) {
        return -1;
    }
    nxs_stub_reset(nxs_test_pool(state));
    return 0;
}

static int dbd_teardown(void **state)
{
    nxs_stub_reset(NULL);
    return nxs_test_teardown(state);
}

#define DBD_TEST(fn) cmocka_unit_test_setup_teardown(fn, dbd_setup, dbd_teardown)

/* A fresh SQLite file in a scratch directory removed with P. */
static const char *db_path(apr_pool_t *p)
{
    return apr_pstrcat(p, glue_temp_dir(p), "/store.sqlite", NULL);
}

/* Every statement nxs_db_prepare_all prepares: both lists of nxs_db.h. */
static apr_size_t statement_count(void)
{
    apr_size_t n = 0, i;

    for (i = 0; nxs_db_statements[i].label; ++i) {
        ++n;
    }
    for (i = 0; nxs_db_chores_statements[i].label; ++i) {
        ++n;
    }
    for (i = 0; nxs_db_held_statements[i].label; ++i) {
        ++n;
    }
    return n;
}

static int log_count(const char *needle)
{
    const char *log = nxs_stub_log(), *at = log;
    int n = 0;

    while ((at = strstr(at, needle)) != NULL) {
        ++n;
        at += strlen(needle);
    }
    return n;
}

static request_rec *request(apr_pool_t *p, server_rec *s)
{
    return nxs_stub_request(p, s, "GET", "/");
}

static void without_mod_dbd_there_is_no_store_and_it_says_so(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    void *conn = (void *)1;

    nxs_dbd_child_init(p, s);
    assert_null(nxs_dbd_acquire(request(p, s)));
    assert_string_equal(nxs_stub_log(), "error: mod_dbd is not loaded");
    assert_null(nxs_dbd_open(&conn, s, p));
    assert_null(conn);
    nxs_dbd_close(NULL, s);
}

static void without_a_connection_there_is_no_store_and_it_says_so(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);

    nxs_stub_dbd_register();
    nxs_stub_dbd_connect(p, NULL);
    nxs_dbd_child_init(p, s);
    assert_null(nxs_dbd_acquire(request(p, s)));
    assert_string_equal(nxs_stub_log(),
                        "error: no SQL connection (check DBDriver/DBDParams and the database)");
}

static void first_acquire_migrates_and_prepares_then_the_store_works(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    ap_dbd_t *dbd;
    nxs_db_t *db;
    int first = 0;

    nxs_stub_dbd_register();
    dbd = nxs_stub_dbd_connect(p, db_path(p));
    nxs_dbd_child_init(p, s);
    db = nxs_dbd_acquire(request(p, s));
    assert_non_null(db);
    assert_ptr_equal(db->handle, dbd->handle);
    assert_ptr_equal(db->prepared, dbd->prepared);
    assert_int_equal(apr_hash_count(dbd->prepared), statement_count());
    assert_int_equal(log_count("debug: SQL schema at version "), 1);
    assert_int_equal(nxs_store_once(&first, db, "sig-1", 2000000000, p), APR_SUCCESS);
    assert_true(first);
    assert_int_equal(nxs_store_once(&first, db, "sig-1", 2000000000, p), APR_SUCCESS);
    assert_false(first);
}

static void later_acquires_neither_migrate_nor_prepare_again(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    const char *path = db_path(p);
    ap_dbd_t *dbd;
    void *stmt;
    nxs_db_t *db;

    nxs_stub_dbd_register();
    dbd = nxs_stub_dbd_connect(p, path);
    nxs_dbd_child_init(p, s);
    assert_non_null(nxs_dbd_acquire(request(p, s)));
    stmt = apr_hash_get(dbd->prepared, nxs_db_statements[0].label, APR_HASH_KEY_STRING);
    assert_non_null(stmt);
    assert_non_null(nxs_dbd_acquire(request(p, s)));
    /* the same prepared statement: not prepared a second time */
    assert_ptr_equal(apr_hash_get(dbd->prepared, nxs_db_statements[0].label, APR_HASH_KEY_STRING),
                     stmt);
    /* another connection of the same process: prepared, not migrated */
    dbd = nxs_stub_dbd_connect(p, path);
    db = nxs_dbd_acquire(request(p, s));
    assert_non_null(db);
    assert_int_equal(apr_hash_count(dbd->prepared), statement_count());
    assert_int_equal(log_count("debug: SQL schema at version "), 1);
    /* a new child checks the schema again (a no-op on a current one) */
    nxs_dbd_child_init(p, s);
    assert_non_null(nxs_dbd_acquire(request(p, s)));
    assert_int_equal(log_count("debug: SQL schema at version "), 2);
}

static void database_newer_than_the_module_is_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    ap_dbd_t *dbd;
    int n = 0;

    nxs_stub_dbd_register();
    dbd = nxs_stub_dbd_connect(p, db_path(p));
    nxs_dbd_child_init(p, s);
    assert_non_null(nxs_dbd_acquire(request(p, s)));
    assert_int_equal(
        apr_dbd_query(dbd->driver, dbd->handle, &n, "UPDATE nxs_schema SET version = version + 1"),
        0);
    nxs_dbd_child_init(p, s);
    assert_null(nxs_dbd_acquire(request(p, s)));
    assert_true(nxs_stub_log_has("error: SQL schema migration failed: "));
    assert_true(nxs_stub_log_has("newer than this module"));
}

static void open_outside_a_request_gives_the_connection_back_on_close(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    server_rec *s = nxs_stub_server(p);
    ap_dbd_t *dbd;
    void *conn = NULL;
    nxs_db_t *db;

    nxs_stub_dbd_register();
    dbd = nxs_stub_dbd_connect(p, db_path(p));
    nxs_dbd_child_init(p, s);
    db = nxs_dbd_open(&conn, s, p);
    assert_non_null(db);
    assert_ptr_equal(conn, dbd);
    assert_int_equal(apr_hash_count(dbd->prepared), statement_count());
    nxs_dbd_close(conn, s);
    assert_int_equal(nxs_stub_dbd_closed(), 1);
    nxs_dbd_close(NULL, s);
    assert_int_equal(nxs_stub_dbd_closed(), 1);

    nxs_stub_dbd_connect(p, NULL);
    assert_null(nxs_dbd_open(&conn, s, p));
    assert_null(conn);
    assert_true(nxs_stub_log_has("error: no SQL connection"));
}

static const struct CMUnitTest tests[] = {
    DBD_TEST(without_mod_dbd_there_is_no_store_and_it_says_so),
    DBD_TEST(without_a_connection_there_is_no_store_and_it_says_so),
    DBD_TEST(first_acquire_migrates_and_prepares_then_the_store_works),
    DBD_TEST(later_acquires_neither_migrate_nor_prepare_again),
    DBD_TEST(database_newer_than_the_module_is_refused),
    DBD_TEST(open_outside_a_request_gives_the_connection_back_on_close),
};

NXS_RUN_TESTS(tests)
