/* Events held outside an Agency account's active hours, in SQL
 * (docs/FILTERS.md "Held events"): a row per event and channel, written
 * by the daemon's intake when the event's scheduled work is applied, read
 * and deleted by the round that posts the channel's summary.
 *
 * Plain functions over an nxs_db_t, prepared statements only
 * (nxs_db_held_statements); safe from any thread, each with its own
 * connection.  Times are unix seconds. */
#ifndef NXS_STORE_HELD_H
#define NXS_STORE_HELD_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "store/nxs_db.h"
#include "store/nxs_store.h"

typedef struct nxs_held_t {
    const char *account_id;
    const char *event_id;
    const char *team_id;
    const char *channel_id;
    const char *mention;   /* "none" | "here" | "channel": the event's category's */
    const char *item_json; /* the summary item (nxs_render_summary_item), as JSON */
    apr_int64_t held_at;
} nxs_held_t;

/* Holds H.  Idempotent: the same (account, event, channel) again changes
 * nothing (*added 0). */
apr_status_t nxs_store_held_put(int *added, nxs_db_t *db, const nxs_held_t *h, apr_pool_t *p);

/* One account with held events: the account row and what it holds. */
typedef struct nxs_held_account_t {
    nxs_account_t *account;
    int count;
    apr_int64_t oldest; /* held_at of its oldest row */
    int connected;      /* it has an active workspace */
} nxs_held_account_t;

/* The accounts holding events (nxs_held_account_t *), by account id. */
apr_status_t nxs_store_held_accounts(apr_array_header_t **out, nxs_db_t *db, apr_pool_t *p);

/* The held rows of ACCOUNT (nxs_held_t *), by channel, then oldest first. */
apr_status_t nxs_store_held_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                 apr_pool_t *p);

/* Deletes the N rows ROWS (nxs_held_t *) in one transaction: their
 * summary is queued.  *deleted counts the rows that were still there. */
apr_status_t nxs_store_held_delete(int *deleted, nxs_db_t *db, const apr_array_header_t *rows,
                                   apr_pool_t *p);

/* Deletes every held row of ACCOUNT (a disconnect drops what it held). */
apr_status_t nxs_store_held_drop(int *dropped, nxs_db_t *db, const char *account, apr_pool_t *p);

#endif
