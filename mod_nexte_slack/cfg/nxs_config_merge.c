/* Create and merge of the per-server config, and the module-wide config's
 * one-per-configuration-read creation, all generated from the field lists
 * in cfg/nxs_config_fields.h.  No httpd header: unit tests compile this
 * file directly. */
#include "cfg/nxs_config_fields.h"

#include <string.h>

/* Pool userdata key of the module-wide config.  httpd creates every server
 * config from pconf, which is cleared before each configuration read, so
 * the module-wide config lives exactly as long as one configuration. */
#define NXS_MOD_CONF_KEY "nexte_slack:mod_conf"

/* Field "is set", by kind. */
#define NXS_ISSET(kind, name, unset)     || NXS_ISSET_##kind(c, name, unset)
#define NXS_ISSET_PTR(c, name, unset)    ((c)->name != (unset))
#define NXS_ISSET_INT(c, name, unset)    ((c)->name != (unset))
#define NXS_ISSET_TIME(c, name, unset)   ((c)->name != (unset))
#define NXS_ISSET_SECRET(c, name, unset) ((c)->name.value != (unset))
#define NXS_ISSET_KEY(c, name, unset)    ((c)->name##_set != (unset))

/* Field set to its unset value (apr_pcalloc zeroed the rest). */
#define NXS_CREATE(kind, name, unset)     NXS_CREATE_##kind(c, name, unset)
#define NXS_CREATE_PTR(c, name, unset)    (c)->name = (unset);
#define NXS_CREATE_INT(c, name, unset)    (c)->name = (unset);
#define NXS_CREATE_TIME(c, name, unset)   (c)->name = (unset);
#define NXS_CREATE_SECRET(c, name, unset) (c)->name.value = (unset);
#define NXS_CREATE_KEY(c, name, unset)    (c)->name##_set = (unset);

/* Add wins where set; the key's bytes, path and flag travel together. */
#define NXS_MERGE(kind, name, unset) NXS_MERGE_##kind(name, unset)
#define NXS_MERGE_PTR(name, unset)                                                                 \
    m->name = NXS_ISSET_PTR(add, name, unset) ? add->name : base->name;
#define NXS_MERGE_INT(name, unset)                                                                 \
    m->name = NXS_ISSET_INT(add, name, unset) ? add->name : base->name;
#define NXS_MERGE_TIME(name, unset)                                                                \
    m->name = NXS_ISSET_TIME(add, name, unset) ? add->name : base->name;
#define NXS_MERGE_SECRET(name, unset)                                                              \
    m->name = NXS_ISSET_SECRET(add, name, unset) ? add->name : base->name;
#define NXS_MERGE_KEY(name, unset)                                                                 \
    {                                                                                              \
        const nxs_server_conf_t *from = NXS_ISSET_KEY(add, name, unset) ? add : base;              \
        memcpy(m->name, from->name, sizeof(m->name));                                              \
        m->name##_path = from->name##_path;                                                        \
        m->name##_set = from->name##_set;                                                          \
    }

static nxs_mod_conf_t *mod_conf(apr_pool_t *p)
{
    void *found = NULL;
    nxs_mod_conf_t *c;

    apr_pool_userdata_get(&found, NXS_MOD_CONF_KEY, p);
    if (found) {
        return found;
    }
    c = apr_pcalloc(p, sizeof(*c));
    NXS_MOD_FIELDS(NXS_CREATE)
    apr_pool_userdata_setn(c, NXS_MOD_CONF_KEY, NULL, p);
    return c;
}

void *nxs_config_create_server(apr_pool_t *p, struct server_rec *s)
{
    nxs_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    NXS_SERVER_FIELDS(NXS_CREATE)
    c->mod = mod_conf(p);
    return c;
}

void *nxs_config_merge_server(apr_pool_t *p, void *basev, void *addv)
{
    const nxs_server_conf_t *base = basev, *add = addv;
    nxs_server_conf_t *m = apr_pcalloc(p, sizeof(*m));

    NXS_SERVER_FIELDS(NXS_MERGE)
    /* The same struct in httpd (both come from pconf); should the two ever
     * differ, module-wide settings are the main server's, i.e. the base's. */
    m->mod = base->mod ? base->mod : add->mod;
    return m;
}

int nxs_config_any_set(const nxs_server_conf_t *c)
{
    return 0 NXS_SERVER_FIELDS(NXS_ISSET);
}

int nxs_config_mod_any_set(const nxs_mod_conf_t *c)
{
    return 0 NXS_MOD_FIELDS(NXS_ISSET);
}
