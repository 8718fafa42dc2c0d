/* The settings page's embedded static files (handle/nxs_assets.h):
 * finding one by name and its versioned URL.  The bytes themselves are in
 * the generated table (tools/nxs-embed). */
#include "handle/nxs_assets.h"

#include <apr_strings.h>
#include <string.h>

const nxs_asset_t *nxs_asset_find(const char *name)
{
    const nxs_asset_t *a;

    if (!name || !*name || *name == '.' || strchr(name, '/')) {
        return NULL;
    }
    for (a = nxs_assets_table; a->name; ++a) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    return NULL;
}

const char *nxs_asset_href(const char *name, apr_pool_t *p)
{
    const nxs_asset_t *a = nxs_asset_find(name);

    if (!a) {
        return NULL;
    }
    return apr_psprintf(p, "assets/%s?v=%.*s", a->name, NXS_ASSET_HREF_HEX, a->version);
}
