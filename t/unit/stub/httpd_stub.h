/* The httpd stub for the glue unit tests: the test-side controls of the
 * few httpd functions that the module's glue (mod_nexte_slack.c, cfg/,
 * handle/, daemon/) calls, implemented in httpd_stub.c so that the real glue
 * objects link into a cmocka test without httpd.  APR and APR-util are the
 * real libraries; only httpd's own symbols are stubbed.
 *
 * What the stub gives a test:
 *   - fake server_rec / request_rec / conn_rec built on a pool, with the
 *     module's per-server config in place as httpd would put it;
 *   - directives run through the module's command table, as httpd's config
 *     reader would call them, and vhost merging as httpd does it;
 *   - the request body a handler reads, and the response it writes (status,
 *     headers, body) and everything logged through ap_log_*;
 *   - the hooks the module registers, so a test can call the real handler
 *     dispatch.
 *
 * Thread safety: none.  The tests are single-threaded; the log capture and
 * the hook table are process-wide and reset by nxs_stub_reset(). */
#ifndef NXS_HTTPD_STUB_H
#define NXS_HTTPD_STUB_H

#include <httpd.h>
#include <http_config.h>

extern module AP_MODULE_DECLARE_DATA nexte_slack_module;

/* Starts a test: forgets captured log lines, the registered hooks and the
 * stub's settings (runtime dir, server root, state and MPM answers).  Log
 * lines of this test are kept on P until the next reset; with P NULL they
 * go to stderr (call it so before P is destroyed). */
void nxs_stub_reset(apr_pool_t *p);

/* ---- servers and configuration ---- */

/* The main server of a new configuration read: is_virtual 0, log level
 * trace8 (so every ap_log_* call is captured), and the module's config made
 * by its create_server on a pool of its own under P (httpd's pconf, shared
 * with the virtual hosts of this server). */
server_rec *nxs_stub_server(apr_pool_t *p);

/* A virtual host appended to MAIN's list (main->next ...), with its own
 * create_server config, as httpd makes one for each <VirtualHost>. */
server_rec *nxs_stub_vhost(apr_pool_t *p, server_rec *main, const char *hostname);

/* Runs directive NAME with ARG1 (and ARG2 for two-argument directives, else
 * NULL) in S's scope, through the module's command table, as httpd's config
 * reader does.  Returns the directive's error message or NULL.  A wrong
 * number of arguments is refused as httpd would refuse it, without calling
 * the module.  An unknown NAME fails the test (cmocka's fail_msg). */
const char *nxs_stub_directive(server_rec *s, apr_pool_t *p, const char *name, const char *arg1,
                               const char *arg2);

/* Merges every virtual host after MAIN with the main server's config, as
 * httpd does after reading the configuration (ap_fixup_virtual_hosts), on
 * MAIN's configuration pool (P is not used: kept for symmetry). */
void nxs_stub_merge_vhosts(apr_pool_t *p, server_rec *main);

/* ap_runtime_dir_relative / ap_server_root_relative resolve relative paths
 * under these (defaults: "/tmp" and "/nonexistent-server-root"). */
void nxs_stub_set_runtime_dir(const char *dir);
void nxs_stub_set_server_root(const char *dir);

/* What ap_state_query(AP_SQ_MAIN_STATE) answers (default
 * AP_SQ_MS_CREATE_PRE_CONFIG: httpd's first, checking pass) and what
 * ap_mpm_query(AP_MPMQ_MPM_STATE) answers (default AP_MPMQ_RUNNING). */
void nxs_stub_set_main_state(int state);
void nxs_stub_set_mpm_state(int state);

/* ---- requests ---- */

/* A request on S: METHOD and TARGET ("/path?query"), r->uri and r->args
 * split from TARGET, empty header tables, request_time now, no body, a
 * connection from 192.0.2.1, and no <Location> (see nxs_stub_location). */
request_rec *nxs_stub_request(apr_pool_t *p, server_rec *s, const char *method, const char *target);

/* The <Location> the handler is configured in (core's per-dir d). */
void nxs_stub_location(request_rec *r, const char *location);

/* The request body.  By default a Content-Length of LEN is declared;
 * nxs_stub_declare_length overrides the declared length (as a lying or
 * truncated client would), nxs_stub_chunked sends it chunked (no length). */
void nxs_stub_body(request_rec *r, const char *body, apr_size_t len);
void nxs_stub_declare_length(request_rec *r, apr_off_t declared);
void nxs_stub_chunked(request_rec *r);
/* Reading the body fails: ap_setup_client_block refuses when AT_SETUP,
 * else ap_get_client_block returns -1 once the body has been read. */
void nxs_stub_body_fails(request_rec *r, int at_setup);

/* ---- what the glue did ---- */

/* The response body written with ap_rwrite/ap_rputs ("" when none). */
const char *nxs_stub_response(const request_rec *r);
/* How often ap_rflush was called on R. */
int nxs_stub_flushes(const request_rec *r);

/* Every ap_log_* line since the last reset, one per line, as
 * "LEVEL: message" (LEVEL as in httpd's error log: "info", "err", ...). */
const char *nxs_stub_log(void);
/* True when a captured log line contains NEEDLE. */
int nxs_stub_log_has(const char *needle);

/* The module's hooks as its register_hooks function registered them.
 * nxs_stub_register_module() runs register_hooks; the getters return NULL
 * before. */
void nxs_stub_register_module(apr_pool_t *p);
typedef int (*nxs_stub_handler_fn)(request_rec *r);
typedef int (*nxs_stub_config_fn)(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s);
nxs_stub_handler_fn nxs_stub_hooked_handler(void);
nxs_stub_config_fn nxs_stub_hooked_check_config(void);
nxs_stub_config_fn nxs_stub_hooked_post_config(void);

#endif
