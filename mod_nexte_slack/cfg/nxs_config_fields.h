/* The one list of configuration fields, and the two config structs built
 * from it: the per-server config (one per server and virtual host, merged)
 * and the module-wide config (one per configuration read, shared).
 *
 * Why a list: create, merge and the "is anything set here" test are
 * generated from it (cfg/nxs_config_merge.c), so a field added to the list
 * is declared, created unset and merged, and a field cannot be declared
 * without being merged.  Only derived fields, computed by
 * nxs_config_finish(), are declared by hand, below the list.
 *
 * Which struct a setting belongs to:
 *  - module-wide (nxs_mod_conf_t): there is one delivery daemon and one
 *    queue for the whole server, so what only they use for every account is
 *    set once, in the main server (NexteSlackQueue, NexteSlackWorkers), and
 *    every server config points at the same struct: nothing is copied from
 *    the base server by hand.
 *  - per server (nxs_server_conf_t): everything a request handler reads for
 *    its own virtual host.  A virtual host inherits what it does not set.
 *    The delivery daemon reads the main server's values of the per-server
 *    settings it needs (Slack API base, app credentials, token key, event
 *    secret, callback URL, retry window and backoff); they stay per server
 *    because the handlers of each virtual host use their own.
 *
 * This header needs no httpd header, so unit tests can compile the
 * generated create and merge without httpd.
 *
 * Thread safety: both structs are written while httpd reads its
 * configuration (one thread) and nxs_config_finish() runs; read-only
 * afterwards, shared by every thread and by the forked delivery daemon. */
#ifndef NXS_CONFIG_FIELDS_H
#define NXS_CONFIG_FIELDS_H

#include <apr_pools.h>
#include <apr_time.h>

#include "security/nxs_secret.h"

#define NXS_UNSET_INT  (-1)
#define NXS_UNSET_TIME ((apr_interval_time_t)-1)

/* X(kind, name, unset), one line per per-server field.  Kinds:
 *   PTR     const char *name              set when != unset (NULL)
 *   INT     int name                      set when != unset
 *   TIME    apr_interval_time_t name      set when != unset
 *   SECRET  nxs_secret_t name             set when name.value != unset (NULL)
 *   KEY     unsigned char name[32], const char *name##_path, int name##_set:
 *           the token key with the file it came from; set when name##_set
 *           != unset (0); merged as one unit. */
#define NXS_SERVER_FIELDS(X)                                                                       \
    X(PTR, client_id, NULL)                                                                        \
    X(SECRET, client_secret, NULL)                                                                 \
    X(SECRET, signing_secret, NULL)                                                                \
    X(SECRET, event_secret, NULL)                                                                  \
    X(KEY, token_key, 0)                                                                           \
    X(PTR, public_url, NULL)                                                                       \
    X(PTR, app_url, NULL)                                                                          \
    X(PTR, api_base, NULL)                                                                         \
    X(PTR, authorize_url, NULL)                                                                    \
    X(TIME, retry_window, NXS_UNSET_TIME)                                                          \
    X(TIME, backoff_min, NXS_UNSET_TIME)                                                           \
    X(TIME, backoff_max, NXS_UNSET_TIME)                                                           \
    X(TIME, reconnect_grace, NXS_UNSET_TIME)                                                       \
    X(PTR, callback_url, NULL)                                                                     \
    X(PTR, settings_path, NULL)                                                                    \
    X(PTR, oauth_path, NULL)                                                                       \
    X(PTR, response_url_base, NULL)                                                                \
    X(TIME, channel_cache_ttl, NXS_UNSET_TIME)                                                     \
    X(INT, channel_cache_max, NXS_UNSET_INT)

/* The same for the module-wide fields (never merged: there is one). */
#define NXS_MOD_FIELDS(X)                                                                          \
    X(PTR, queue_type, NULL)                                                                       \
    X(PTR, queue_path, NULL)                                                                       \
    X(INT, workers, NXS_UNSET_INT)

/* Declaration of one field, by kind. */
#define NXS_FIELD_DECL(kind, name, unset) NXS_FIELD_DECL_##kind(name)
#define NXS_FIELD_DECL_PTR(name)          const char *name;
#define NXS_FIELD_DECL_INT(name)          int name;
#define NXS_FIELD_DECL_TIME(name)         apr_interval_time_t name;
#define NXS_FIELD_DECL_SECRET(name)       nxs_secret_t name;
#define NXS_FIELD_DECL_KEY(name)                                                                   \
    unsigned char name[NXS_TOKEN_KEY_LEN];                                                         \
    const char *name##_path;                                                                       \
    int name##_set;

/* Settings of the single delivery daemon and its queue: see above. */
typedef struct nxs_mod_conf_t {
    NXS_MOD_FIELDS(NXS_FIELD_DECL)
    /* Derived by nxs_config_finish(), the first time it runs: */
    const char *socket_path; /* the daemon's Unix socket: queue path + ".sock" */
    int configured;          /* NexteSlackQueue or NexteSlackWorkers was given */
    int finished;            /* defaults filled; later calls leave it alone */
} nxs_mod_conf_t;

typedef struct nxs_server_conf_t {
    NXS_SERVER_FIELDS(NXS_FIELD_DECL)
    /* The module-wide config: the same pointer in every server config of
     * one configuration read. */
    nxs_mod_conf_t *mod;
    /* Derived by nxs_config_finish(), never set by a directive nor merged:
     * keys derived from the event secret (HKDF), one per purpose, so that a
     * session cookie can never be replayed as a CSRF token or an OAuth
     * state. */
    unsigned char session_key[32];
    unsigned char csrf_key[32];
    unsigned char state_key[32];
    /* Derived by nxs_config_finish(): some NexteSlack* directive applies to
     * this server (its own, inherited, or a module-wide one), so that the
     * required-directive checks only apply where the module is used. */
    int configured;
} nxs_server_conf_t;

/* The create_server and merge_server hooks (cfg/nxs_config_merge.c).
 * Create gives every listed field its unset value and points the config at
 * the module-wide config of P (created on first use, kept as P's userdata,
 * so each configuration read gets a fresh one).  Merge takes each listed
 * field from ADDV when set there, else from BASEV, and keeps BASEV's
 * module-wide config; derived fields are left to nxs_config_finish(). */
struct server_rec;
void *nxs_config_create_server(apr_pool_t *p, struct server_rec *s);
void *nxs_config_merge_server(apr_pool_t *p, void *basev, void *addv);

/* True when C has any listed field set: a directive applied to it. */
int nxs_config_any_set(const nxs_server_conf_t *c);

/* True when a module-wide directive was given. */
int nxs_config_mod_any_set(const nxs_mod_conf_t *mc);

#endif
