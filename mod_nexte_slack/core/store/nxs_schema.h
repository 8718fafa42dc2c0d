/* The SQL schema, created and migrated by the module itself.  Versioned
 * (table nxs_schema), idempotent, and safe when several processes or nodes
 * start at once: each migration runs in a transaction under a lock (SQLite:
 * BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock). */
#ifndef NXS_SCHEMA_H
#define NXS_SCHEMA_H

#include "store/nxs_db.h"

/* The version this build needs. */
int nxs_schema_target_version(void);

/* Brings DB to nxs_schema_target_version().  *version gets the version
 * found after the run.  A database newer than this build is refused
 * (APR_EINVAL) rather than used with the wrong assumptions. */
apr_status_t nxs_schema_migrate(int *version, const char **err, nxs_db_t *db, apr_pool_t *p);

#endif
