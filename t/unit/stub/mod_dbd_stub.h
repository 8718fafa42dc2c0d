/* A stub of mod_dbd for the test of the real nxs_dbd.c: the three optional
 * functions nxs_dbd.c looks up (ap_dbd_acquire, ap_dbd_open, ap_dbd_close),
 * registered as mod_dbd registers them, handing out SQLite connections
 * opened on a file the test names.  Only test_glue_dbd links the real
 * nxs_dbd.c; the other glue tests link fake_dbd.c (nxs_fakes.h) instead.
 *
 * Thread safety: none; process-wide state. */
#ifndef NXS_MOD_DBD_STUB_H
#define NXS_MOD_DBD_STUB_H

#include <apr_dbd.h>
#include <httpd.h>
#include <mod_dbd.h>

/* Registers the optional functions, as mod_dbd does when it is loaded.
 * Until then nxs_dbd.c finds no mod_dbd.  Registration lasts for the
 * process (as APR's optional-function table does). */
void nxs_stub_dbd_register(void);

/* The connection the stub hands out from now on: a new one on the SQLite
 * file PATH (created if absent) in its own pool under P, or none when PATH
 * is NULL (as when the database cannot be reached).  Returns it. */
ap_dbd_t *nxs_stub_dbd_connect(apr_pool_t *p, const char *path);

/* How often ap_dbd_close was called since the last nxs_stub_dbd_connect. */
int nxs_stub_dbd_closed(void);

#endif
