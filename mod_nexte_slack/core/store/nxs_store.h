/* The settings store: accounts, linked Slack workspaces, the channel and
 * mention of each category, advanced filters, one-time OAuth states and
 * used launch links.  Plain functions over an nxs_db_t; every call uses
 * prepared statements (nxs_db_statements).  Times are unix seconds. */
#ifndef NXS_STORE_H
#define NXS_STORE_H

#include <apr_tables.h>
#include <jansson.h>

#include "store/nxs_db.h"

typedef struct nxs_account_t {
    const char *id;
    const char *plan;            /* solo | team | agency */
    const char *timezone;        /* IANA */
    const char *locale;          /* en | fr */
    const char *currency;        /* ISO 4217 */
    apr_int64_t disconnected_at; /* 0 when connected or never connected */
} nxs_account_t;

typedef struct nxs_workspace_t {
    const char *account_id;
    const char *team_id;
    const char *team_name;
    const char *bot_user_id;
    const char *scopes;
    const char *token_sealed;     /* AES-GCM sealed bot token (never plaintext) */
    const char *refresh_sealed;   /* sealed refresh token, or NULL without rotation */
    apr_int64_t token_expires_at; /* 0 without rotation */
    apr_int64_t installed_at;
    int active;
    int needs_reconnect;
} nxs_workspace_t;

typedef struct nxs_category_t {
    const char *category;
    const char *channel_id; /* NULL when unmapped */
    const char *channel_name;
    const char *mention;    /* none | here | channel */
    const char *last_error; /* last channel error from Slack, or NULL */
    apr_int64_t last_error_at;
} nxs_category_t;

/* Reads ID; *out is NULL when the account has no row. */
apr_status_t nxs_store_account_get(nxs_account_t **out, nxs_db_t *db, const char *id,
                                   apr_pool_t *p);
/* Creates the account with defaults if it does not exist yet. */
apr_status_t nxs_store_account_ensure(nxs_db_t *db, const char *id, apr_int64_t now, apr_pool_t *p);
/* Writes plan, timezone, locale and currency of A (the row must exist), as
 * set by Nexte core at NOW (seconds; a signed PUT api/account). */
apr_status_t nxs_store_account_update(nxs_db_t *db, const nxs_account_t *a, apr_int64_t now,
                                      apr_pool_t *p);
/* The same for an account.updated that occurred at CORE_AT_MS (ms since the
 * epoch): written only when no newer change from Nexte core is stored, so
 * an older event delivered late does not undo a newer one (*applied 0). */
apr_status_t nxs_store_account_update_if_newer(int *applied, nxs_db_t *db, const nxs_account_t *a,
                                               apr_int64_t core_at_ms, apr_int64_t now,
                                               apr_pool_t *p);
/* Marks the account disconnected at AT (0 clears the mark). */
apr_status_t nxs_store_account_set_disconnected(nxs_db_t *db, const char *id, apr_int64_t at,
                                                apr_pool_t *p);

/* Stores a (re)installed workspace and makes it the active one of its
 * account; re-installing a team replaces its token.  One transaction. */
apr_status_t nxs_store_workspace_install(nxs_db_t *db, const nxs_workspace_t *w, apr_pool_t *p);
/* Every workspace of ACCOUNT (array of nxs_workspace_t *), oldest first. */
apr_status_t nxs_store_workspaces_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                       apr_pool_t *p);
/* The active workspace of ACCOUNT, or *out NULL. */
apr_status_t nxs_store_workspace_active(nxs_workspace_t **out, nxs_db_t *db, const char *account,
                                        apr_pool_t *p);
/* Makes TEAM the active workspace; *found is 0 when ACCOUNT has no such team. */
apr_status_t nxs_store_workspace_activate(int *found, nxs_db_t *db, const char *account,
                                          const char *team, apr_pool_t *p);
/* Replaces the tokens after a refresh. */
apr_status_t nxs_store_workspace_set_tokens(nxs_db_t *db, const char *account, const char *team,
                                            const char *token_sealed, const char *refresh_sealed,
                                            apr_int64_t expires_at, apr_pool_t *p);
/* Deletes every workspace (and so every token) of ACCOUNT. */
apr_status_t nxs_store_workspaces_delete(nxs_db_t *db, const char *account, apr_pool_t *p);

/* Marks (NEEDED 1) or clears the "reconnect needed" state of a workspace. */
apr_status_t nxs_store_workspace_set_needs_reconnect(nxs_db_t *db, const char *account,
                                                     const char *team, int needed, apr_pool_t *p);

/* Records Slack's ERROR on every category of ACCOUNT mapped to CHANNEL. */
apr_status_t nxs_store_channel_error(nxs_db_t *db, const char *account, const char *channel,
                                     const char *error, apr_int64_t at, apr_pool_t *p);

/* The six categories in a fixed order, with defaults for unset ones. */
apr_status_t nxs_store_categories_list(apr_array_header_t **out, nxs_db_t *db, const char *account,
                                       apr_pool_t *p);
/* Maps CATEGORY to CHANNEL_ID (NULL unmaps) and remembers its name. */
apr_status_t nxs_store_category_set_channel(nxs_db_t *db, const char *account, const char *category,
                                            const char *channel_id, const char *channel_name,
                                            apr_pool_t *p);
apr_status_t nxs_store_category_set_mention(nxs_db_t *db, const char *account, const char *category,
                                            const char *mention, apr_pool_t *p);

/* Advanced filters as a JSON text; *json NULL when none were saved. */
apr_status_t nxs_store_filters_get(const char **json, nxs_db_t *db, const char *account,
                                   apr_pool_t *p);
apr_status_t nxs_store_filters_put(nxs_db_t *db, const char *account, const char *json,
                                   apr_int64_t now, apr_pool_t *p);
/* The filters as a pool-owned JSON value (*filters NULL when none were
 * saved): what the events handler and the chores round apply.  APR_EINVAL
 * with *why when the stored text is not JSON (a row written by hand). */
apr_status_t nxs_store_filters_json(json_t **filters, const char **why, nxs_db_t *db,
                                    const char *account, apr_pool_t *p);

/* A one-time OAuth state to store (hashes, never the values). */
typedef struct nxs_oauth_start_t {
    const char *state_hash;
    const char *account;
    const char *browser_hash;
    const char *session_hash; /* the settings session that starts it */
    apr_int64_t now;
    apr_int64_t expires_at;
    int limit;          /* at most this many starts of one session ... */
    apr_int64_t window; /* ... in this many seconds (at most the states' lifetime) */
} nxs_oauth_start_t;

/* Stores the state of ST unless its session already started ST->limit
 * states in the last ST->window seconds: then *started is 0, nothing is
 * stored, and *retry_at is when the oldest of them leaves the window.
 * Counted in SQL, so the limit holds across processes and nodes (on
 * PostgreSQL, starts of one session at the same instant may pass it by
 * their number).  A taken state counts until it expires: ST->window must
 * not exceed the lifetime (expires_at - now), after which the hourly purge
 * deletes it. */
apr_status_t nxs_store_oauth_state_start(int *started, apr_int64_t *retry_at, nxs_db_t *db,
                                         const nxs_oauth_start_t *st, apr_pool_t *p);
/* Takes the state, exactly once: *account and *browser_hash are NULL when
 * it is unknown, already taken or expired at NOW. */
apr_status_t nxs_store_oauth_state_take(const char **account, const char **browser_hash,
                                        nxs_db_t *db, const char *state_hash, apr_int64_t now,
                                        apr_pool_t *p);

/* Records a one-time signature (a settings launch link, a Slack interaction
 * request) until EXPIRES_AT; *first is 0 when it was used before. */
apr_status_t nxs_store_once(int *first, nxs_db_t *db, const char *sig, apr_int64_t expires_at,
                            apr_pool_t *p);

/* A message Slack accepted, as "Mark as handled" needs it. */
typedef struct nxs_delivery_t {
    const char *delivery_id; /* the button's value: "d_" + random */
    const char *account_id;
    const char *team_id;
    const char *channel_id;
    const char *message_ts; /* Slack's id of the message in its channel */
    const char *event_id;
    const char *record_json;  /* {"kind","id","number"} of the event, or "" */
    const char *message_json; /* the chat.postMessage body as posted */
    apr_int64_t posted_at;
    const char *handled_by;   /* Slack user id of the first handler, or NULL */
    const char *handled_name; /* their name as Slack sent it, or NULL */
    apr_int64_t handled_at;   /* 0 while nobody has handled it */
    apr_int64_t reported_at;  /* 0 until Nexte core took the callback */
} nxs_delivery_t;

/* Deliveries are kept this long after posting (seconds); a click on an
 * older message is answered as unknown. */
#define NXS_DELIVERY_KEEP (90 * 24 * 3600)

/* Records a posted message (a second row for the same id is ignored). */
apr_status_t nxs_store_delivery_put(nxs_db_t *db, const nxs_delivery_t *d, apr_pool_t *p);
/* Reads DELIVERY_ID; *out is NULL when there is no such row. */
apr_status_t nxs_store_delivery_get(nxs_delivery_t **out, nxs_db_t *db, const char *delivery_id,
                                    apr_pool_t *p);
/* Records USER (and NAME, may be NULL) as the handler at AT unless someone
 * was first: *first is 1 only for the one call that set it. */
apr_status_t nxs_store_delivery_handle(int *first, nxs_db_t *db, const char *delivery_id,
                                       const char *user, const char *name, apr_int64_t at,
                                       apr_pool_t *p);
/* Notes that Nexte core took the "handled" callback at AT. */
apr_status_t nxs_store_delivery_reported(nxs_db_t *db, const char *delivery_id, apr_int64_t at,
                                         apr_pool_t *p);

/* Deletes the Slack settings (categories, mentions, filters) of accounts
 * disconnected before NOW - GRACE and clears their disconnected mark; the
 * account's own fields (plan, time zone, locale, currency) stay.  Also
 * deletes expired OAuth states, one-time signatures, and deliveries posted
 * more than NXS_DELIVERY_KEEP ago.  *purged counts the accounts. */
apr_status_t nxs_store_purge(int *purged, nxs_db_t *db, apr_int64_t now, apr_int64_t grace,
                             apr_pool_t *p);

/* 1 when the Slack settings of A are past the reconnect grace at NOW: the
 * next nxs_store_purge deletes them (the same cutoff), and until then
 * readers show them as deleted.  Reads never purge: a purge takes SQLite's
 * write lock. */
int nxs_store_settings_gone(const nxs_account_t *a, apr_int64_t now, apr_int64_t grace);

/* nxs_store_purge for ACCOUNT alone, for the writes that reach an account
 * (a reconnect, a change of its settings), so that settings past the
 * grace are never restored nor mixed with new ones: deletes its categories
 * and filters and clears its disconnected mark when it was disconnected
 * before NOW - GRACE.  *purged is 1 then, else 0.  One transaction. */
apr_status_t nxs_store_account_purge(int *purged, nxs_db_t *db, const char *account,
                                     apr_int64_t now, apr_int64_t grace, apr_pool_t *p);

/* The categories, in display order. */
extern const char *const nxs_store_category_names[];
#define NXS_CATEGORY_COUNT 6
int nxs_store_is_category(const char *name);

#endif
