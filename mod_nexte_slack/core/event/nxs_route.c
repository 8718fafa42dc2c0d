/* Routing of an event to its category's channel. */
#include "event/nxs_route.h"

#include <string.h>

void nxs_route_event(nxs_route_t *out, const nxs_envelope_t *env, const nxs_workspace_t *active,
                     const apr_array_header_t *categories)
{
    int i;

    memset(out, 0, sizeof(*out));
    if (!env->postable || !env->category) {
        out->reason = "not_posted";
        return;
    }
    if (!active) {
        out->reason = "not_connected";
        return;
    }
    for (i = 0; categories && i < categories->nelts; ++i) {
        const nxs_category_t *c = APR_ARRAY_IDX(categories, i, nxs_category_t *);
        if (strcmp(c->category, env->category) == 0 && c->channel_id) {
            out->team = active->team_id;
            out->channel = c->channel_id;
            if (nxs_render_mention_parse(&out->mention, c->mention) != APR_SUCCESS) {
                out->mention = NXS_MENTION_NONE;
            }
            return;
        }
    }
    out->reason = "category_unmapped";
}
