/* Where an accepted event goes: the category's channel in the account's
 * active workspace, with the category's mention, or the reason it is not
 * posted.  The Agency plan's filters and active hours are applied on top
 * of this by event/nxs_filter.h. */
#ifndef NXS_ROUTE_H
#define NXS_ROUTE_H

#include <apr_tables.h>

#include "event/nxs_envelope.h"
#include "render/nxs_render.h"
#include "store/nxs_store.h"

typedef struct nxs_route_t {
    const char *reason;  /* NULL when there is a delivery; else not_posted,
                            not_connected or category_unmapped */
    const char *team;    /* workspace to post in */
    const char *channel; /* Slack channel ID */
    nxs_mention_e mention;
} nxs_route_t;

/* ACTIVE is the account's active workspace (NULL when none); CATEGORIES is
 * nxs_store_categories_list's array. */
void nxs_route_event(nxs_route_t *out, const nxs_envelope_t *env, const nxs_workspace_t *active,
                     const apr_array_header_t *categories);

#endif
