/* The settings store on a real database through apr_dbd: schema migration
 * (fresh, repeated, newer-than-us), accounts, workspaces, the category map,
 * filters, one-time OAuth states, launch links and purge.  SQLite by
 * default; with NXS_TEST_PGSQL set to apr_dbd_pgsql parameters (see
 * build/with-postgres), the same tests run on PostgreSQL (nxs_test_db.h). */
#include "nxs_test.h"

#include <apr_dbd.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nxs_test_db.h"
#include "store/nxs_schema.h"
#include "store/nxs_store.h"

static void migration_is_idempotent_and_refuses_newer_schemas(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *err = NULL;
    nxs_db_t *db = open_db(p, &path);
    int version = 0, n = 0;

    assert_int_equal(nxs_schema_migrate(&version, &err, db, p), APR_SUCCESS);
    assert_int_equal(version, nxs_schema_target_version());
    assert_int_equal(
        apr_dbd_query(db->driver, db->handle, &n, "UPDATE nxs_schema SET version = 99"), 0);
    assert_int_equal(nxs_schema_migrate(&version, &err, db, p), APR_EINVAL);
    assert_non_null(strstr(err, "newer than this module"));
    close_db(db, path, p);
}

/* Several httpd processes meet a fresh SQLite file at once (the children
 * and the daemon at start): each must get through the migration and its
 * first write, waiting for the others' locks rather than failing.  SQLite
 * file locking, so SQLite even when the other tests run on PostgreSQL.
 * Before the fix: 63-66 of 80 processes failed. */
static void processes_racing_on_a_fresh_sqlite_file_all_succeed(void **state)
{
    enum { ROUNDS = 10, PROCS = 8 };
    apr_pool_t *p = nxs_test_pool(state);
    int round, failures = 0;

    for (round = 0; round < ROUNDS; ++round) {
        const char *path = apr_psprintf(p, "/tmp/nxs-race-%ld-%d.sqlite", (long)getpid(), round);
        int go[2], i, status;
        pid_t pids[PROCS];

        assert_int_equal(pipe(go), 0);
        for (i = 0; i < PROCS; ++i) {
            if ((pids[i] = fork()) == 0) {
                apr_pool_t *cp = NULL;
                nxs_db_t db;
                const char *err = NULL;
                char c;
                int version = 0, ok;

                close(go[1]);
                apr_pool_create(&cp, NULL);
                memset(&db, 0, sizeof(db));
                ok = apr_dbd_get_driver(cp, "sqlite3", &db.driver) == APR_SUCCESS &&
                     apr_dbd_open(db.driver, cp, path, &db.handle) == APR_SUCCESS;
                (void)!read(go[0], &c, 1); /* all start together */
                ok = ok && nxs_schema_migrate(&version, &err, &db, cp) == APR_SUCCESS &&
                     nxs_db_prepare_all(&db, cp) == APR_SUCCESS &&
                     nxs_store_account_ensure(&db, apr_psprintf(cp, "acc_%d", i), 1, cp) ==
                         APR_SUCCESS;
                _exit(ok ? 0 : 1);
            }
            assert_true(pids[i] > 0);
        }
        close(go[0]);
        close(go[1]); /* EOF releases every child at once */
        for (i = 0; i < PROCS; ++i) {
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        unlink(path);
        unlink(apr_pstrcat(p, path, "-wal", NULL));
        unlink(apr_pstrcat(p, path, "-shm", NULL));
    }
    if (failures) {
        fail_msg("%d of %d processes failed on a fresh database", failures, ROUNDS * PROCS);
    }
}

static void account_defaults_then_update(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;

    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_null(a);
    assert_int_equal(nxs_store_account_ensure(db, "acc_1", 1000, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_ensure(db, "acc_1", 2000, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(a->plan, "solo");
    assert_string_equal(a->timezone, "UTC");
    assert_string_equal(a->locale, "en");
    assert_string_equal(a->currency, "EUR");
    a->plan = "agency";
    a->timezone = "Europe/Paris";
    a->locale = "fr";
    a->currency = "JPY";
    assert_int_equal(nxs_store_account_update(db, a, 3000, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(a->plan, "agency");
    assert_string_equal(a->timezone, "Europe/Paris");
    assert_string_equal(a->currency, "JPY");
    close_db(db, path, p);
}

/* account.updated events may arrive out of order (Nexte core retries): an
 * older one never undoes a newer change, whether that came from an event or
 * from a signed PUT api/account. */
static void an_older_account_update_does_not_undo_a_newer_one(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;
    int applied = -1;

    assert_int_equal(nxs_store_account_ensure(db, "acc_1", 1000, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    a->plan = "agency";
    assert_int_equal(nxs_store_account_update_if_newer(&applied, db, a, 5000000, 1001, p),
                     APR_SUCCESS);
    assert_int_equal(applied, 1);
    a->plan = "solo";
    assert_int_equal(nxs_store_account_update_if_newer(&applied, db, a, 4999999, 1002, p),
                     APR_SUCCESS);
    assert_int_equal(applied, 0);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(a->plan, "agency");
    /* the same instant again (a retry of the same change) applies */
    a->plan = "team";
    assert_int_equal(nxs_store_account_update_if_newer(&applied, db, a, 5000000, 1003, p),
                     APR_SUCCESS);
    assert_int_equal(applied, 1);
    /* a signed PUT at 6000 s is newer than an event of 5999.999 s */
    a->plan = "agency";
    assert_int_equal(nxs_store_account_update(db, a, 6000, p), APR_SUCCESS);
    a->plan = "solo";
    assert_int_equal(nxs_store_account_update_if_newer(&applied, db, a, 5999999, 6001, p),
                     APR_SUCCESS);
    assert_int_equal(applied, 0);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(a->plan, "agency");
    close_db(db, path, p);
}

static nxs_workspace_t ws(const char *team, const char *token, apr_int64_t at)
{
    nxs_workspace_t w = {"acc_1", team, "Team", "U0BOT", "chat:write", token, NULL, 0, at, 0, 0};
    return w;
}

static void reinstall_replaces_token_and_last_install_is_active(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_workspace_t a = ws("T1", "sealed-1", 10), b = ws("T2", "sealed-2", 20),
                    a2 = ws("T1", "sealed-3", 30), *active = NULL;
    apr_array_header_t *all = NULL;
    int found = 0;

    assert_int_equal(nxs_store_workspace_install(db, &a, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_install(db, &b, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_active(&active, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(active->team_id, "T2");
    assert_int_equal(nxs_store_workspace_install(db, &a2, p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspaces_list(&all, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(all->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(all, 0, nxs_workspace_t *)->token_sealed, "sealed-3");
    assert_int_equal(nxs_store_workspace_active(&active, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(active->team_id, "T1");

    assert_int_equal(nxs_store_workspace_activate(&found, db, "acc_1", "T9", p), APR_SUCCESS);
    assert_false(found);
    assert_int_equal(nxs_store_workspace_active(&active, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(active->team_id, "T1");
    assert_int_equal(nxs_store_workspace_activate(&found, db, "acc_1", "T2", p), APR_SUCCESS);
    assert_true(found);
    assert_int_equal(nxs_store_workspace_active(&active, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(active->team_id, "T2");

    assert_int_equal(nxs_store_workspace_set_tokens(db, "acc_1", "T2", "new", "refresh", 99, p),
                     APR_SUCCESS);
    assert_int_equal(nxs_store_workspace_active(&active, db, "acc_1", p), APR_SUCCESS);
    assert_string_equal(active->refresh_sealed, "refresh");
    assert_int_equal(active->token_expires_at, 99);

    assert_int_equal(nxs_store_workspaces_delete(db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(nxs_store_workspaces_list(&all, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(all->nelts, 0);
    close_db(db, path, p);
}

static void categories_list_all_six_with_mentions(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    apr_array_header_t *cats = NULL;
    nxs_category_t *c;

    assert_int_equal(nxs_store_category_set_channel(db, "acc_1", "payments", "C1", "pay", p), 0);
    assert_int_equal(nxs_store_category_set_mention(db, "acc_1", "payments", "here", p), 0);
    assert_int_equal(nxs_store_category_set_mention(db, "acc_1", "alerts", "channel", p), 0);
    assert_int_equal(nxs_store_category_set_channel(db, "acc_1", "payments", "C2", "pay2", p), 0);
    assert_int_equal(nxs_store_categories_list(&cats, db, "acc_1", p), APR_SUCCESS);
    assert_int_equal(cats->nelts, 6);
    c = APR_ARRAY_IDX(cats, 0, nxs_category_t *);
    assert_string_equal(c->category, "payments");
    assert_string_equal(c->channel_id, "C2");
    assert_string_equal(c->mention, "here");
    c = APR_ARRAY_IDX(cats, 4, nxs_category_t *);
    assert_string_equal(c->category, "alerts");
    assert_null(c->channel_id);
    assert_string_equal(c->mention, "channel");
    assert_string_equal(APR_ARRAY_IDX(cats, 5, nxs_category_t *)->category, "recap");
    assert_int_equal(nxs_store_category_set_channel(db, "acc_1", "payments", NULL, "x", p), 0);
    assert_int_equal(nxs_store_categories_list(&cats, db, "acc_1", p), APR_SUCCESS);
    assert_null(APR_ARRAY_IDX(cats, 0, nxs_category_t *)->channel_id);
    assert_null(APR_ARRAY_IDX(cats, 0, nxs_category_t *)->channel_name);
    close_db(db, path, p);
}

/* Stores the state HASH of ACCOUNT started by SESSION at NOW, valid 600 s,
 * with the limit of the OAuth start (10 in 600 s); returns 1 when stored,
 * else 0 with *retry_at set. */
static int start_state(nxs_db_t *db, const char *hash, const char *account, const char *browser,
                       const char *session, apr_int64_t now, apr_int64_t *retry_at, apr_pool_t *p)
{
    nxs_oauth_start_t st = {hash, account, browser, session, now, now + 600, 10, 600};
    apr_int64_t ignored = 0;
    int started = -1;

    assert_int_equal(
        nxs_store_oauth_state_start(&started, retry_at ? retry_at : &ignored, db, &st, p),
        APR_SUCCESS);
    return started;
}

static void oauth_state_is_taken_once_and_expires(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *account = NULL, *browser = NULL;
    nxs_db_t *db = open_db(p, &path);

    assert_true(start_state(db, "h1", "acc_1", "b1", "s1", 0, NULL, p));
    assert_true(start_state(db, "h2", "acc_1", "b2", "s1", 0, NULL, p));
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h1", 500, p), 0);
    assert_string_equal(account, "acc_1");
    assert_string_equal(browser, "b1");
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h1", 500, p), 0);
    assert_null(account);
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h2", 600, p), 0);
    assert_null(account); /* expired at 600 */
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "nope", 1, p), 0);
    assert_null(account);
    close_db(db, path, p);
}

/* <oauth>/start's limit: at most 10 states per session in 600 s, taken
 * ones included, counted per session; *retry_at says when the oldest
 * leaves the window. */
static void oauth_starts_are_limited_per_session_and_window(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *account = NULL, *browser = NULL;
    nxs_db_t *db = open_db(p, &path);
    apr_int64_t retry_at = 0;
    int i;

    for (i = 0; i < 10; ++i) {
        assert_true(
            start_state(db, apr_psprintf(p, "h%d", i), "acc_1", "b", "s1", 1000 + i * 10, NULL, p));
    }
    /* a taken state still counts */
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h0", 1100, p), 0);
    assert_string_equal(account, "acc_1");
    assert_false(start_state(db, "h10", "acc_1", "b", "s1", 1100, &retry_at, p));
    assert_int_equal(retry_at, 1600); /* h0, started at 1000, leaves the window then */
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h10", 1100, p), 0);
    assert_null(account); /* refused: nothing stored */
    /* another session of the same account is not limited by this one */
    assert_true(start_state(db, "x0", "acc_1", "b", "s2", 1100, NULL, p));
    /* at 1600 h0 is out of the window: one more, and then h1's turn */
    assert_false(start_state(db, "h10", "acc_1", "b", "s1", 1599, &retry_at, p));
    assert_true(start_state(db, "h10", "acc_1", "b", "s1", 1600, NULL, p));
    assert_false(start_state(db, "h11", "acc_1", "b", "s1", 1600, &retry_at, p));
    assert_int_equal(retry_at, 1610);
    close_db(db, path, p);
}

static void launch_link_is_used_once(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    int first = 0;

    assert_int_equal(nxs_store_once(&first, db, "sig", 100, p), APR_SUCCESS);
    assert_true(first);
    assert_int_equal(nxs_store_once(&first, db, "sig", 100, p), APR_SUCCESS);
    assert_false(first);
    close_db(db, path, p);
}

static void purge_removes_slack_settings_after_the_grace_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *json = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;
    apr_array_header_t *cats = NULL;
    int purged = -1;

    assert_int_equal(nxs_store_account_ensure(db, "acc_1", 1, p), 0);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), 0);
    a->plan = "agency";
    a->locale = "fr";
    assert_int_equal(nxs_store_account_update(db, a, 1, p), 0);
    assert_int_equal(nxs_store_category_set_channel(db, "acc_1", "quotes", "C1", "q", p), 0);
    assert_int_equal(nxs_store_filters_put(db, "acc_1", "{\"x\":1}", 1, p), 0);
    assert_int_equal(nxs_store_account_set_disconnected(db, "acc_1", 1000, p), 0);
    assert_int_equal(nxs_store_purge(&purged, db, 1030, 30, p), APR_SUCCESS);
    assert_int_equal(purged, 0); /* exactly at the grace: kept */
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_1", p), 0);
    assert_string_equal(json, "{\"x\":1}");
    assert_int_equal(nxs_store_purge(&purged, db, 1031, 30, p), APR_SUCCESS);
    assert_int_equal(purged, 1);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), 0);
    assert_non_null(a); /* the account's own fields stay */
    assert_string_equal(a->plan, "agency");
    assert_string_equal(a->locale, "fr");
    assert_int_equal(a->disconnected_at, 0);
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_1", p), 0);
    assert_null(json);
    assert_int_equal(nxs_store_categories_list(&cats, db, "acc_1", p), 0);
    assert_null(APR_ARRAY_IDX(cats, 1, nxs_category_t *)->channel_id);
    close_db(db, path, p);
}

/* What a reconnect or a settings change runs first: the purge of its own
 * account, with the hourly purge's cutoff, and no other account's. */
static void account_purge_takes_one_account_past_its_grace(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *json = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;
    apr_array_header_t *cats = NULL;
    int purged = -1;

    assert_int_equal(nxs_store_account_ensure(db, "acc_1", 1, p), 0);
    assert_int_equal(nxs_store_account_ensure(db, "acc_2", 1, p), 0);
    assert_int_equal(nxs_store_category_set_channel(db, "acc_1", "quotes", "C1", "q", p), 0);
    assert_int_equal(nxs_store_category_set_channel(db, "acc_2", "quotes", "C2", "q", p), 0);
    assert_int_equal(nxs_store_filters_put(db, "acc_1", "{\"x\":1}", 1, p), 0);
    assert_int_equal(nxs_store_filters_put(db, "acc_2", "{\"x\":2}", 1, p), 0);
    assert_int_equal(nxs_store_account_set_disconnected(db, "acc_1", 1000, p), 0);
    assert_int_equal(nxs_store_account_set_disconnected(db, "acc_2", 1000, p), 0);

    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), 0);
    assert_false(nxs_store_settings_gone(a, 1030, 30)); /* exactly at the grace: kept */
    assert_true(nxs_store_settings_gone(a, 1031, 30));
    assert_int_equal(nxs_store_account_purge(&purged, db, "acc_1", 1030, 30, p), APR_SUCCESS);
    assert_int_equal(purged, 0);
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_1", p), 0);
    assert_string_equal(json, "{\"x\":1}");

    assert_int_equal(nxs_store_account_purge(&purged, db, "acc_1", 1031, 30, p), APR_SUCCESS);
    assert_int_equal(purged, 1);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_1", p), 0);
    assert_int_equal(a->disconnected_at, 0);
    assert_false(nxs_store_settings_gone(a, 5000, 30));
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_1", p), 0);
    assert_null(json);
    assert_int_equal(nxs_store_categories_list(&cats, db, "acc_1", p), 0);
    assert_null(APR_ARRAY_IDX(cats, 1, nxs_category_t *)->channel_id);

    /* acc_2, as far past its grace, waits for its own write or the hour */
    assert_int_equal(nxs_store_filters_get(&json, db, "acc_2", p), 0);
    assert_string_equal(json, "{\"x\":2}");
    assert_int_equal(nxs_store_categories_list(&cats, db, "acc_2", p), 0);
    assert_string_equal(APR_ARRAY_IDX(cats, 1, nxs_category_t *)->channel_id, "C2");
    assert_int_equal(nxs_store_account_get(&a, db, "acc_2", p), 0);
    assert_int_equal(a->disconnected_at, 1000);

    /* a connected account is never purged */
    assert_int_equal(nxs_store_account_purge(&purged, db, "acc_1", 9999, 30, p), APR_SUCCESS);
    assert_int_equal(purged, 0);
    close_db(db, path, p);
}

static nxs_delivery_t delivery(const char *id, apr_int64_t posted_at)
{
    nxs_delivery_t d;

    memset(&d, 0, sizeof(d));
    d.delivery_id = id;
    d.account_id = "acc_1";
    d.team_id = "T1";
    d.channel_id = "C1";
    d.message_ts = "1764320000.000100";
    d.event_id = "evt_1";
    d.record_json = "{\"kind\":\"invoice\",\"id\":\"inv_1\"}";
    d.message_json = "{\"text\":\"hi\"}";
    d.posted_at = posted_at;
    return d;
}

static void delivery_is_stored_once_and_handled_by_the_first_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_delivery_t d = delivery("d_1", 1000), again = delivery("d_1", 2000), *got = NULL;
    int first = -1;

    assert_int_equal(nxs_store_delivery_get(&got, db, "d_1", p), APR_SUCCESS);
    assert_null(got);
    assert_int_equal(nxs_store_delivery_put(db, &d, p), APR_SUCCESS);
    again.message_ts = "1764329999.000200";
    assert_int_equal(nxs_store_delivery_put(db, &again, p), APR_SUCCESS); /* ignored */
    assert_int_equal(nxs_store_delivery_get(&got, db, "d_1", p), APR_SUCCESS);
    assert_non_null(got);
    assert_string_equal(got->message_ts, "1764320000.000100");
    assert_string_equal(got->record_json, d.record_json);
    assert_string_equal(got->message_json, d.message_json);
    assert_int_equal(got->posted_at, 1000);
    assert_null(got->handled_by);
    assert_int_equal(got->handled_at, 0);

    assert_int_equal(nxs_store_delivery_handle(&first, db, "d_1", "U1", "ana", 1100, p), 0);
    assert_true(first);
    assert_int_equal(nxs_store_delivery_handle(&first, db, "d_1", "U2", NULL, 1200, p), 0);
    assert_false(first);
    assert_int_equal(nxs_store_delivery_handle(&first, db, "d_404", "U2", NULL, 1200, p), 0);
    assert_false(first);
    assert_int_equal(nxs_store_delivery_reported(db, "d_1", 1300, p), APR_SUCCESS);
    assert_int_equal(nxs_store_delivery_get(&got, db, "d_1", p), APR_SUCCESS);
    assert_string_equal(got->handled_by, "U1");
    assert_string_equal(got->handled_name, "ana");
    assert_int_equal(got->handled_at, 1100);
    assert_int_equal(got->reported_at, 1300);
    close_db(db, path, p);
}

static void deliveries_are_purged_after_the_keep_period(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_delivery_t old = delivery("d_old", 1000), recent = delivery("d_new", 5000), *got = NULL;
    int purged = 0;

    assert_int_equal(nxs_store_delivery_put(db, &old, p), APR_SUCCESS);
    assert_int_equal(nxs_store_delivery_put(db, &recent, p), APR_SUCCESS);
    assert_int_equal(nxs_store_purge(&purged, db, 1001 + NXS_DELIVERY_KEEP, 30, p), APR_SUCCESS);
    assert_int_equal(nxs_store_delivery_get(&got, db, "d_old", p), APR_SUCCESS);
    assert_null(got);
    assert_int_equal(nxs_store_delivery_get(&got, db, "d_new", p), APR_SUCCESS);
    assert_non_null(got);
    close_db(db, path, p);
}

/* The rows of SQL, each column's text joined by "|", one row a line. */
static const char *query_text(nxs_db_t *db, const char *sql, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *out = "";
    int i;

    assert_int_equal(apr_dbd_select(db->driver, p, db->handle, &res, sql, 0), 0);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        for (i = 0; i < apr_dbd_num_cols(db->driver, res); ++i) {
            const char *v = apr_dbd_get_entry(db->driver, row, i);
            out = apr_pstrcat(p, out, i ? "|" : "", v ? v : "", NULL);
        }
        out = apr_pstrcat(p, out, "\n", NULL);
    }
    return out;
}

/* The purge deletes expired one-time rows through an index on expires_at
 * (migration 5): SQLite's plan for the purge's DELETE names the index; on
 * PostgreSQL, whose planner reads a small table whole anyway, the index
 * exists on that column. */
static void one_time_rows_are_purged_through_an_index_on_their_expiry(void **state)
{
    static const char *const tables[] = {"nxs_oauth_states", "nxs_launch_used", NULL};
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    int i;

    for (i = 0; tables[i]; ++i) {
        const char *text;
        if (path) {
            text = query_text(db,
                              apr_pstrcat(p, "EXPLAIN QUERY PLAN DELETE FROM ", tables[i],
                                          " WHERE expires_at < 1000", NULL),
                              p);
            if (!strstr(text,
                        apr_pstrcat(p, "USING COVERING INDEX ", tables[i], "_expires", NULL)) &&
                !strstr(text, apr_pstrcat(p, "USING INDEX ", tables[i], "_expires", NULL))) {
                fail_msg("the purge of %s reads every row: %s", tables[i], text);
            }
        } else {
            text = query_text(db,
                              apr_pstrcat(p, "SELECT indexdef FROM pg_indexes WHERE tablename = '",
                                          tables[i], "'", NULL),
                              p);
            if (!strstr(text, "(expires_at)")) {
                fail_msg("%s has no index on expires_at: %s", tables[i], text);
            }
        }
    }
    close_db(db, path, p);
}

/* A version 4 database (before migration 5) keeps its one-time rows, and
 * their purge still takes only the expired ones; a state started before
 * the upgrade (no session) still works once. */
static void a_version_4_database_gets_the_expiry_indexes_with_its_rows(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL, *err = NULL, *account = NULL, *browser = NULL;
    nxs_db_t *db = open_db(p, &path);
    int n = 0, version = 0, purged = 0, first = 0;

    assert_int_equal(nxs_store_once(&first, db, "sig_old", 100, p), APR_SUCCESS);
    assert_int_equal(nxs_store_once(&first, db, "sig_new", 900, p), APR_SUCCESS);
    /* A fresh connection, as after an upgrade of the module. */
    apr_dbd_close(db->driver, db->handle);
    db->prepared = NULL;
    assert_int_equal(
        apr_dbd_open(db->driver, p, path ? path : getenv("NXS_TEST_PGSQL"), &db->handle),
        APR_SUCCESS);
    nxs_test_db_unmigrate_6(db);
    nxs_test_db_unmigrate_5(db);
    assert_int_equal(apr_dbd_query(db->driver, db->handle, &n,
                                   "INSERT INTO nxs_oauth_states VALUES ('h_old', 'acc_1', 'b1', "
                                   "100), ('h_new', 'acc_1', 'b2', 900)"),
                     0);
    assert_int_equal(apr_dbd_query(db->driver, db->handle, &n, "UPDATE nxs_schema SET version = 4"),
                     0);
    assert_int_equal(nxs_schema_migrate(&version, &err, db, p), APR_SUCCESS);
    assert_int_equal(version, nxs_schema_target_version());
    assert_int_equal(nxs_db_prepare_all(db, p), APR_SUCCESS);
    assert_int_equal(nxs_store_purge(&purged, db, 500, 30, p), APR_SUCCESS);
    assert_string_equal(query_text(db, "SELECT state_hash FROM nxs_oauth_states", p), "h_new\n");
    assert_string_equal(query_text(db, "SELECT sig FROM nxs_launch_used", p), "sig_new\n");
    assert_int_equal(nxs_store_oauth_state_take(&account, &browser, db, "h_new", 500, p),
                     APR_SUCCESS);
    assert_string_equal(account, "acc_1");
    close_db(db, path, p);
}

static void hostile_strings_are_data_not_sql(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const char *path = NULL;
    nxs_db_t *db = open_db(p, &path);
    nxs_account_t *a = NULL;
    const char *evil = "x'); DROP TABLE nxs_accounts; --";

    assert_int_equal(nxs_store_account_ensure(db, evil, 1, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, evil, p), APR_SUCCESS);
    assert_non_null(a);
    assert_string_equal(a->id, evil);
    assert_int_equal(nxs_store_account_ensure(db, "acc_2", 1, p), APR_SUCCESS);
    assert_int_equal(nxs_store_account_get(&a, db, "acc_2", p), APR_SUCCESS);
    assert_non_null(a);
    close_db(db, path, p);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(migration_is_idempotent_and_refuses_newer_schemas),
    NXS_TEST(processes_racing_on_a_fresh_sqlite_file_all_succeed),
    NXS_TEST(account_defaults_then_update),
    NXS_TEST(an_older_account_update_does_not_undo_a_newer_one),
    NXS_TEST(reinstall_replaces_token_and_last_install_is_active),
    NXS_TEST(categories_list_all_six_with_mentions),
    NXS_TEST(oauth_state_is_taken_once_and_expires),
    NXS_TEST(oauth_starts_are_limited_per_session_and_window),
    NXS_TEST(launch_link_is_used_once),
    NXS_TEST(purge_removes_slack_settings_after_the_grace_only),
    NXS_TEST(account_purge_takes_one_account_past_its_grace),
    NXS_TEST(delivery_is_stored_once_and_handled_by_the_first_only),
    NXS_TEST(deliveries_are_purged_after_the_keep_period),
    NXS_TEST(hostile_strings_are_data_not_sql),
    NXS_TEST(one_time_rows_are_purged_through_an_index_on_their_expiry),
    NXS_TEST(a_version_4_database_gets_the_expiry_indexes_with_its_rows),
};

NXS_RUN_TESTS(tests)
