/* Link-level fakes of the two glue files that reach outside the process:
 * nxs_dbd.c (SQL through mod_dbd) and handle/nxs_daemon_client.c (the
 * delivery daemon's socket).  A glue unit test links fake_dbd.c and
 * fake_daemon_client.c instead of them, so a handler runs up to the point
 * where it needs SQL or the daemon and then takes the answer the test set:
 * by default, no SQL connection (the handler's 503 path) and no daemon.
 * test_glue_dbd and test_glue_daemon_client link the real file instead of
 * one of them (apxs.mk) to test it.
 *
 * Thread safety: none; process-wide state, reset by nxs_fakes_reset(). */
#ifndef NXS_FAKES_H
#define NXS_FAKES_H

#include <httpd.h>
#include <jansson.h>

#include "store/nxs_db.h"

/* Back to the defaults: nxs_dbd_acquire returns NULL, the daemon is down,
 * nothing recorded. */
void nxs_fakes_reset(void);

/* What nxs_dbd_acquire returns from now on (NULL: the store is down). */
void nxs_fake_dbd_set(nxs_db_t *db);
/* Opens a fresh SQLite database in a file removed with P, migrated and
 * with the module's statements prepared, and makes it what nxs_dbd_acquire
 * returns.  The test fails when that is not possible. */
nxs_db_t *nxs_fake_dbd_sqlite(apr_pool_t *p);
/* How often nxs_dbd_acquire was called since the reset. */
int nxs_fake_dbd_acquired(void);

/* The daemon's next replies: REPLY_JSON is parsed for each request (NULL:
 * the daemon does not answer, as when its socket is absent). */
void nxs_fake_daemon_reply(const char *reply_json);
/* How many requests reached the fake daemon, and the last one as compact
 * JSON with sorted keys ("" when none). */
int nxs_fake_daemon_requests(void);
const char *nxs_fake_daemon_last_request(void);
/* Every request since the reset, in that form, one per line (up to 16 KB). */
const char *nxs_fake_daemon_all_requests(void);
/* The two halves of nxs_fakes_reset, each in its fake's file: a test that
 * links the real nxs_daemon_client.c uses only the first. */
void nxs_fake_dbd_reset(void);
void nxs_fake_daemon_reset(void);

#endif
