/* Helpers shared by the test_render*.c specifications: envelopes written
 * inline, rendering that must succeed or fail, and a walk over a rendered
 * message that checks every Slack limit and every "<" token. */
#ifndef TEST_RENDER_HELPERS_H
#define TEST_RENDER_HELPERS_H

#include <apr_strings.h>
#include <string.h>

#include "nxs_json.h"
#include "render/nxs_mrkdwn.h"
#include "render/nxs_render.h"

/* Every type that becomes a message: the catalog's postable types and the
 * module's own starting-soon alert (the recap and summary have their own
 * inputs). */
static const char *const posted_types[] = {"invoice.paid",
                                           "payment.failed",
                                           "subscription.renewed",
                                           "refund.issued",
                                           "quote.sent",
                                           "quote.opened",
                                           "quote.accepted",
                                           "quote.declined",
                                           "lead.received",
                                           "appointment.booked",
                                           "appointment.cancelled",
                                           "appointment.reschedule_requested",
                                           "appointment.starting_soon",
                                           "invoice.overdue",
                                           "project.paused",
                                           "integration.error",
                                           "plan.quota_nearly_reached",
                                           NULL};

/* JSON written with single quotes, for envelopes that read like the spec. */
static inline json_t *parse(const char *single_quoted, apr_pool_t *p)
{
    char *text = apr_pstrdup(p, single_quoted);
    json_t *v = NULL;
    const char *why = NULL;

    for (char *c = text; *c; c++) {
        *c = *c == '\'' ? '"' : *c;
    }
    if (nxs_json_load(&v, &why, text, strlen(text), p) != APR_SUCCESS) {
        fail_msg("bad test JSON: %s", why);
    }
    return v;
}

static inline json_t *render_ok(const json_t *event, const nxs_render_settings_t *s, apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    if (nxs_render_event(&msg, &why, event, s, p) != APR_SUCCESS) {
        fail_msg("render failed: %s", why);
    }
    return msg;
}

static inline const char *render_refused(const json_t *event, const nxs_render_settings_t *s,
                                         apr_pool_t *p)
{
    json_t *msg = NULL;
    const char *why = NULL;

    assert_int_equal(nxs_render_event(&msg, &why, event, s, p), APR_EINVAL);
    assert_null(msg);
    assert_non_null(why);
    return why;
}

static inline json_t *fixture(const char *name, apr_pool_t *p)
{
    json_t *v = NULL;
    const char *why = NULL;
    const char *path = apr_pstrcat(p, "t/fixtures/events/", name, ".json", NULL);

    if (nxs_json_load_file(&v, &why, path, p) != APR_SUCCESS) {
        path = apr_pstrcat(p, "t/render/inputs/", name, ".json", NULL);
        if (nxs_json_load_file(&v, &why, path, p) != APR_SUCCESS) {
            fail_msg("fixture %s: %s", name, why);
        }
    }
    return v;
}

/* The first block of TYPE, or NULL. */
static inline const json_t *block(const json_t *msg, const char *type)
{
    const json_t *b;
    size_t i;

    json_array_foreach(json_object_get(msg, "blocks"), i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "type")), type) == 0) {
            return b;
        }
    }
    return NULL;
}

/* The text of the first block of TYPE (a context's first element). */
static inline const char *block_text(const json_t *msg, const char *type)
{
    const json_t *b = block(msg, type);

    if (b && strcmp(type, "context") == 0) {
        b = json_array_get(json_object_get(b, "elements"), 0);
    }
    return b ? nxs_json_path_str(b, "text.text") ? nxs_json_path_str(b, "text.text")
                                                 : nxs_json_path_str(b, "text")
             : NULL;
}

/* The element of the actions block whose action_id is ID. */
static inline const json_t *button(const json_t *msg, const char *id)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(block(msg, "actions"), "elements"), i, e)
    {
        if (strcmp(nxs_json_path_str(e, "action_id"), id) == 0) {
            return e;
        }
    }
    return NULL;
}

/* UNIT repeated until the string is at least AT_LEAST bytes long. */
static inline char *repeat_to(const char *unit, size_t at_least, apr_pool_t *p)
{
    size_t n = strlen(unit), times = at_least / n + 1;
    char *s = apr_palloc(p, n * times + 1);

    for (size_t i = 0; i < times; i++) {
        memcpy(s + i * n, unit, n);
    }
    s[n * times] = '\0';
    return s;
}

/* True when S is well-formed UTF-8 (lead bytes and continuations). */
static inline int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        int n = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3 : 4;
        if (*u >= 0xF5 || (*u >= 0x80 && *u < 0xC2)) {
            return 0;
        }
        for (int i = 1; i < n; i++) {
            if ((u[i] & 0xC0) != 0x80) {
                return 0;
            }
        }
        u += n;
    }
    return 1;
}

/* Every "<" in TEXT opens a token the module writes: a date, or the
 * account's mention when MENTION allows one. */
static inline void assert_only_module_tokens(const char *text, nxs_mention_e mention)
{
    for (const char *c = strchr(text, '<'); c; c = strchr(c + 1, '<')) {
        if (strncmp(c, "<!date^", 7) == 0 ||
            (mention == NXS_MENTION_HERE && strncmp(c, "<!here>", 7) == 0) ||
            (mention == NXS_MENTION_CHANNEL && strncmp(c, "<!channel>", 10) == 0)) {
            continue;
        }
        fail_msg("a token the module did not write: %.40s", c);
    }
}

static inline void assert_text_within(const json_t *text_object, apr_size_t max,
                                      nxs_mention_e mention)
{
    const char *t = nxs_json_path_str(text_object, "text");

    assert_non_null(t);
    assert_true(utf8_valid(t));
    if (nxs_mrkdwn_length(t) > max) {
        fail_msg("%zu characters where Slack takes %zu: %.60s...", nxs_mrkdwn_length(t), max, t);
    }
    assert_only_module_tokens(t, mention);
}

static inline void assert_button_within(const json_t *b, nxs_mention_e mention)
{
    const char *url = nxs_json_path_str(b, "url"), *value = nxs_json_path_str(b, "value");

    assert_text_within(json_object_get(b, "text"), NXS_LIMIT_BUTTON_TEXT, mention);
    assert_true(!url || strlen(url) <= NXS_LIMIT_URL);
    assert_true(!value || nxs_mrkdwn_length(value) <= NXS_LIMIT_BUTTON_VALUE);
}

/* Slack's limits on every part of MSG, and no token but the module's. */
static inline void assert_within_slack_limits(const json_t *msg, nxs_mention_e mention)
{
    const json_t *blocks = json_object_get(msg, "blocks"), *b, *e;
    size_t i, j;

    assert_true(json_array_size(blocks) >= 1 && json_array_size(blocks) <= NXS_LIMIT_BLOCKS);
    assert_true(json_is_false(json_object_get(msg, "unfurl_links")));
    assert_true(json_is_false(json_object_get(msg, "unfurl_media")));
    assert_text_within(msg, NXS_LIMIT_MESSAGE_TEXT, mention);
    json_array_foreach(blocks, i, b)
    {
        const char *type = nxs_json_path_str(b, "type");

        if (strcmp(type, "header") == 0) {
            assert_text_within(json_object_get(b, "text"), NXS_LIMIT_HEADER_TEXT, mention);
        } else if (strcmp(type, "section") == 0) {
            if (json_object_get(b, "text")) {
                assert_text_within(json_object_get(b, "text"), NXS_LIMIT_SECTION_TEXT, mention);
            }
            json_array_foreach(json_object_get(b, "fields"), j, e)
            {
                assert_text_within(e, 2000, mention);
            }
            if (json_object_get(b, "accessory")) {
                assert_button_within(json_object_get(b, "accessory"), mention);
            }
        } else if (strcmp(type, "context") == 0) {
            assert_true(json_array_size(json_object_get(b, "elements")) <= 10);
            json_array_foreach(json_object_get(b, "elements"), j, e)
            {
                assert_text_within(e, NXS_LIMIT_SECTION_TEXT, mention);
            }
        } else if (strcmp(type, "actions") == 0) {
            json_array_foreach(json_object_get(b, "elements"), j, e)
            {
                assert_button_within(e, mention);
            }
        } else {
            fail_msg("unexpected block type %s", type);
        }
    }
}

#endif
