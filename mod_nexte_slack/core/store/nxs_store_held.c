/* Held events in SQL (see nxs_store_held.h).  The SQL follows
 * nxs_store.c's rules: written once for SQLite and PostgreSQL, %s binds
 * text, %lld a bigint. */
#include "store/nxs_store_held.h"
#include "store/nxs_store_int.h"

#include <apr_strings.h>

#define HELD_COLS  "account_id, event_id, team_id, channel_id, mention, item_json, held_at"
#define HELD_NCOLS 7

const nxs_db_statement_t nxs_db_held_statements[] = {
    {"nxs_held_put", "INSERT INTO nxs_held (" HELD_COLS ") VALUES (%s, %s, %s, %s, %s, %s, %lld) "
                     "ON CONFLICT (account_id, event_id, channel_id) DO NOTHING"},
    {"nxs_held_accounts",
     "SELECT a.account_id, a.plan, a.timezone, a.locale, a.currency, a.disconnected_at, "
     "COUNT(*), MIN(h.held_at), "
     "(SELECT COUNT(*) FROM nxs_workspaces w WHERE w.account_id = a.account_id AND w.active = 1) "
     "FROM nxs_held h JOIN nxs_accounts a ON a.account_id = h.account_id "
     "GROUP BY a.account_id, a.plan, a.timezone, a.locale, a.currency, a.disconnected_at "
     "ORDER BY a.account_id"},
    {"nxs_held_list", "SELECT " HELD_COLS " FROM nxs_held WHERE account_id = %s "
                      "ORDER BY channel_id, held_at, event_id"},
    {"nxs_held_delete",
     "DELETE FROM nxs_held WHERE account_id = %s AND event_id = %s AND channel_id = %s"},
    {"nxs_held_drop", "DELETE FROM nxs_held WHERE account_id = %s"},
    {NULL, NULL},
};

apr_status_t nxs_store_held_put(int *added, nxs_db_t *db, const nxs_held_t *h, apr_pool_t *p)
{
    *added = 0;
    return EXEC(db, added, "nxs_held_put", p, h->account_id, h->event_id, h->team_id, h->channel_id,
                h->mention, h->item_json, nxs_store_i64(h->held_at, p));
}

apr_status_t nxs_store_held_accounts(apr_array_header_t **out, nxs_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT0(&rows, db, "nxs_held_accounts", NXS_ACCOUNT_NCOLS + 3, p);
    int i;

    *out = apr_array_make(p, 4, sizeof(nxs_held_account_t *));
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        nxs_held_account_t *a = apr_pcalloc(p, sizeof(*a));

        a->account = nxs_store_account_from_row(r, p);
        a->count = (int)nxs_store_to_i64(r[NXS_ACCOUNT_NCOLS]);
        a->oldest = nxs_store_to_i64(r[NXS_ACCOUNT_NCOLS + 1]);
        a->connected = nxs_store_to_i64(r[NXS_ACCOUNT_NCOLS + 2]) > 0;
        APR_ARRAY_PUSH(*out, nxs_held_account_t *) = a;
    }
    return rv;
}

apr_status_t nxs_store_held_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                 apr_pool_t *p)
{
    apr_array_header_t *rows = NULL;
    apr_status_t rv = SELECT(&rows, db, "nxs_held_list", HELD_NCOLS, p, account);
    int i;

    *out = apr_array_make(p, 8, sizeof(nxs_held_t *));
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        nxs_held_t *h = apr_pcalloc(p, sizeof(*h));

        h->account_id = r[0];
        h->event_id = r[1];
        h->team_id = r[2];
        h->channel_id = r[3];
        h->mention = r[4];
        h->item_json = r[5];
        h->held_at = nxs_store_to_i64(r[6]);
        APR_ARRAY_PUSH(*out, nxs_held_t *) = h;
    }
    return rv;
}

apr_status_t nxs_store_held_delete(int *deleted, nxs_db_t *db, const apr_array_header_t *rows,
                                   apr_pool_t *p)
{
    apr_status_t rv;
    int i, n;

    *deleted = 0;
    if ((rv = nxs_db_begin(db, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; rv == APR_SUCCESS && i < rows->nelts; ++i) {
        const nxs_held_t *h = APR_ARRAY_IDX(rows, i, const nxs_held_t *);
        n = 0;
        rv = EXEC(db, &n, "nxs_held_delete", p, h->account_id, h->event_id, h->channel_id);
        *deleted += n;
    }
    if (rv == APR_SUCCESS) {
        return nxs_db_commit(db, p);
    }
    nxs_db_rollback(db, p);
    *deleted = 0;
    return rv;
}

apr_status_t nxs_store_held_drop(int *dropped, nxs_db_t *db, const char *account, apr_pool_t *p)
{
    *dropped = 0;
    return EXEC(db, dropped, "nxs_held_drop", p, account);
}
