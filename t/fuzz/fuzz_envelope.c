/* libFuzzer target for what nexte-slack-events does with a body once its
 * signature checked out: the JSON parse, the envelope checks and, for an
 * envelope that passes, the rendering of its message (in English and in
 * French).  A signed body is still untrusted data: a bug in Nexte core, or
 * a leaked event secret, must not crash httpd or make a message ping a
 * channel.  Besides "no crash", it checks:
 *   - a refused envelope names its field and the reason (the 422 needs both);
 *   - a rendered message has a plain-text fallback and blocks within Slack's
 *     limits, and, with mentions off, no broadcast token anywhere in it (only
 *     the module adds mentions; user strings are escaped). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "event/nxs_envelope.h"
#include "fuzz_require.h"
#include "nxs_json.h"
#include "render/nxs_render.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

static void check_message(json_t *msg, apr_pool_t *p)
{
    const char *text = json_string_value(json_object_get(msg, "text"));
    const json_t *blocks = json_object_get(msg, "blocks");
    const char *all = nxs_json_dump(msg, JSON_COMPACT, p);

    REQUIRE(text && *text && strlen(text) <= NXS_LIMIT_MESSAGE_TEXT);
    REQUIRE(json_is_array(blocks) && json_array_size(blocks) >= 1 &&
            json_array_size(blocks) <= NXS_LIMIT_BLOCKS);
    REQUIRE(all != NULL);
    REQUIRE(!strstr(all, "<!channel") && !strstr(all, "<!here") && !strstr(all, "<!everyone"));
}

static void render_in(const json_t *event, const char *locale, apr_pool_t *p)
{
    nxs_render_settings_t rs;
    json_t *msg = NULL;
    const char *why = NULL;

    memset(&rs, 0, sizeof(rs));
    rs.locale = locale;
    rs.currency = "EUR";
    rs.timezone = "Europe/Paris";
    rs.mention = NXS_MENTION_NONE;
    rs.app_url = "https://app.nexte.example";
    rs.delivery_id = "d_fuzz";
    if (nxs_render_event(&msg, &why, event, &rs, p) == APR_SUCCESS) {
        check_message(msg, p);
    } else {
        REQUIRE(why && *why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    json_t *doc = NULL;
    nxs_envelope_t env;
    const char *field = NULL, *why = NULL;

    apr_pool_create(&p, root);
    if (nxs_json_load(&doc, &why, (const char *)data, size, p) == APR_SUCCESS) {
        if (nxs_envelope_parse(&env, &field, &why, doc, p) == APR_SUCCESS) {
            render_in(doc, "en", p);
            render_in(doc, "fr", p);
        } else {
            REQUIRE(field && *field && why && *why);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
