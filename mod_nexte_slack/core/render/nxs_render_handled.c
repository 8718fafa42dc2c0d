/* "Mark as handled" (docs/CONTRACT.md "Interactions"): the posted message, rebuilt from what was
 * sent (never from what a click says it was), with its buttons replaced by
 * who handled it and when. */
#include "render/nxs_render_int.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

#include "nxs_json.h"
#include "security/nxs_crypto.h"

/* Slack user ids: "U" (or "W" on Enterprise Grid) and capitals/digits. */
static int user_id_ok(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0, i;

    if (n < 2 || n > 32 || (id[0] != 'U' && id[0] != 'W')) {
        return 0;
    }
    for (i = 1; i < n; ++i) {
        if (!apr_isupper(id[i]) && !apr_isdigit(id[i])) {
            return 0;
        }
    }
    return 1;
}

static int is_block(const json_t *block, const char *block_id)
{
    const char *id = json_string_value(json_object_get(block, "block_id"));
    return id && strcmp(id, block_id) == 0;
}

apr_status_t nxs_render_handled(json_t **msg, const char **why, const char *posted,
                                const char *user_id, apr_time_t at, const nxs_render_settings_t *s,
                                apr_pool_t *p)
{
    nxs_render_t r;
    json_t *sent = NULL, *blocks, *line;
    const json_t *old_blocks, *block;
    const char *text, *load_why = NULL;
    apr_size_t i;
    int placed = 0;
    apr_status_t rv;

    *msg = NULL;
    if ((rv = nxs_render_begin(&r, s, p)) != APR_SUCCESS) {
        goto leave;
    }
    if (!user_id_ok(user_id)) {
        rv = nxs_render_fail(&r, "user: a Slack user id such as U024BE7LH");
        goto leave;
    }
    if (!posted || nxs_json_load(&sent, &load_why, posted, strlen(posted), p) != APR_SUCCESS ||
        !json_is_array(old_blocks = json_object_get(sent, "blocks")) ||
        !(text = json_string_value(json_object_get(sent, "text")))) {
        rv = nxs_render_fail(&r, "message: not a posted message with blocks and text");
        goto leave;
    }
    line = nxs_render_context(nxs_l10n_format(r.l10n, p, NXS_T_HANDLED_BY, "user",
                                              apr_pstrcat(p, "<@", user_id, ">", NULL), "when",
                                              nxs_render_date(&r, at, 0), NULL),
                              p);
    json_object_set_new(line, "block_id", json_string(NXS_BLOCK_HANDLED));

    /* The line takes the buttons' place; an earlier line is replaced. */
    blocks = json_array();
    json_array_foreach(old_blocks, i, block)
    {
        if (is_block(block, NXS_BLOCK_ACTIONS) || is_block(block, NXS_BLOCK_HANDLED)) {
            if (!placed) {
                json_array_append(blocks, line);
                placed = 1;
            }
            continue;
        }
        json_array_append(blocks, (json_t *)block);
    }
    if (!placed) {
        json_array_append(blocks, line);
    }
    json_decref(line);
    /* chat.update takes no unfurl options: text and blocks only. */
    *msg = nxs_json_own(json_pack("{s:s, s:o}", "text", text, "blocks", blocks), p);
leave:
    *why = r.why;
    return rv;
}

apr_status_t nxs_render_delivery_id_new(const char **id, apr_pool_t *p)
{
    const char *token = NULL;
    apr_status_t rv = nxs_random_token(&token, 16, p);

    *id = rv == APR_SUCCESS ? apr_pstrcat(p, "d_", token, NULL) : NULL;
    return rv;
}

int nxs_render_delivery_id_ok(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0, i;

    if (n < 3 || n > 80 || strncmp(id, "d_", 2) != 0) {
        return 0;
    }
    for (i = 2; i < n; ++i) {
        if (!apr_isalnum(id[i]) && id[i] != '-' && id[i] != '_') {
            return 0;
        }
    }
    return 1;
}
