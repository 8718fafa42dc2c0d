/* Shared between the store files only (nxs_store.c, nxs_store_chores.c):
 * how they pass parameters to prepared statements and read numbers back.
 * Every parameter is text (apr_dbd binds "%s"/"%lld" placeholders from
 * strings), so integers travel as decimal strings both ways.  Callers
 * outside core/store/ see nxs_store.h and nxs_store_chores.h. */
#ifndef NXS_STORE_INT_H
#define NXS_STORE_INT_H

#include <apr_strings.h>

#include "store/nxs_db.h"
#include "store/nxs_store.h"

/* V as a decimal string in P, for a bigint parameter. */
static inline const char *nxs_store_i64(apr_int64_t v, apr_pool_t *p)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* A bigint column read back as text; NULL (SQL NULL) counts as 0. */
static inline apr_int64_t nxs_store_to_i64(const char *s)
{
    return s ? (apr_int64_t)apr_atoi64(s) : 0;
}

/* The columns of an account row, in the order nxs_store_account_from_row
 * reads them. */
#define NXS_ACCOUNT_COLS  "account_id, plan, timezone, locale, currency, disconnected_at"
#define NXS_ACCOUNT_NCOLS 6

/* An account from a row of NXS_ACCOUNT_COLS (strings stay the row's). */
nxs_account_t *nxs_store_account_from_row(const char **r, apr_pool_t *p);

/* The columns of a workspace row, in the order
 * nxs_store_workspace_from_row reads them. */
#define NXS_WORKSPACE_COLS                                                                         \
    "account_id, team_id, team_name, bot_user_id, scopes, token_sealed, refresh_sealed, "          \
    "token_expires_at, installed_at, active, needs_reconnect"
#define NXS_WORKSPACE_NCOLS 11

/* A workspace from a row of NXS_WORKSPACE_COLS (strings stay the row's). */
nxs_workspace_t *nxs_store_workspace_from_row(const char **r, apr_pool_t *p);

/* The parameters of one statement as a compound literal, and their count,
 * so a call lists them once: EXEC(db, &n, "label", p, a, b, c). */
#define ARGS(...)  ((const char *const[]){__VA_ARGS__})
#define NARGS(...) ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define EXEC(db, nrows, label, p, ...)                                                             \
    nxs_db_exec(nrows, NULL, db, label, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), p)
#define SELECT(rows, db, label, ncols, p, ...)                                                     \
    nxs_db_select(rows, NULL, db, label, ncols, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), p)
/* A statement without parameters. */
#define SELECT0(rows, db, label, ncols, p) nxs_db_select(rows, NULL, db, label, ncols, 0, NULL, p)

#endif
