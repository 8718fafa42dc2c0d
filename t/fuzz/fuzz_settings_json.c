/* libFuzzer target for what the settings API checks before it stores
 * anything (nxs_settings_check.h, nxs_active_hours.h): a browser session
 * sends these documents, so they are anyone's.  The input is one JSON
 * document, read as PUT api/filters reads its body, and fed to:
 *   - nxs_check_filters: a refusal has a message and a *field that is
 *     "filters" or a known filter (amount_thresholds, client_channels,
 *     project_channels, members, active_hours), possibly followed by
 *     ".KEY" naming a key the document has under it (for active_hours:
 *     days, start or end), and the message begins with that field; an
 *     accepted document's normalized copy equals it, and, written as the
 *     store writes it and read back, is accepted again and equal;
 *   - nxs_active_hours_parse, on its "active_hours" member and on the
 *     document itself: a refusal names active_hours; accepted hours are in
 *     range, and written back as JSON parse to the same hours;
 *   - nxs_check_account_fields, strict and not: a refusal names a field
 *     (one of the four, or with strict the unknown key) and leaves the
 *     account as it was; what it accepts is what was sent, and is accepted
 *     again;
 *   - nxs_check_channel_id and nxs_check_mention, on every string in the
 *     document: what they accept is a Slack channel id ([CG] then 2 to 31
 *     upper-case letters or digits) or none, here, channel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "fuzz_require.h"
#include "nxs_active_hours.h"
#include "nxs_json.h"
#include "nxs_settings_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strings of the document given to the channel and mention checks. */
#define MAX_STRINGS 256
#define MAX_DEPTH   32

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    REQUIRE(apr_pool_create(&root, NULL) == APR_SUCCESS);
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* FIELD, as a refusal of DOC gives it, names the document or a value in it. */
static void check_filters_field(const char *field, const char *msg, const json_t *doc)
{
    static const char *const known[] = {"amount_thresholds", "client_channels", "project_channels",
                                        "members", "active_hours"};
    const char *sub;
    size_t i, n;

    REQUIRE(field && *field);
    if (strcmp(field, "filters") == 0) {
        return;
    }
    REQUIRE(starts_with(msg, field));
    for (i = 0; i < sizeof(known) / sizeof(known[0]); ++i) {
        n = strlen(known[i]);
        if (strncmp(field, known[i], n) == 0 && (field[n] == '\0' || field[n] == '.')) {
            break;
        }
    }
    REQUIRE(i < sizeof(known) / sizeof(known[0]));
    if (field[n] == '\0') {
        return;
    }
    sub = field + n + 1;
    if (strcmp(known[i], "active_hours") == 0) {
        REQUIRE(strcmp(sub, "days") == 0 || strcmp(sub, "start") == 0 || strcmp(sub, "end") == 0);
    } else {
        REQUIRE(json_object_get(json_object_get(doc, known[i]), sub) != NULL);
    }
}

static void fuzz_filters(const json_t *doc, apr_pool_t *p)
{
    json_t *norm = NULL, *again = NULL, *stored = NULL;
    const char *field = NULL, *msg, *text, *why = NULL;

    msg = nxs_check_filters(&norm, &field, doc, p);
    if (msg) {
        REQUIRE(*msg && norm == NULL);
        check_filters_field(field, msg, doc);
        return;
    }
    REQUIRE(norm && json_equal(norm, doc));
    /* As put_filters stores it and get_filters reads it back. */
    text = nxs_json_dump(norm, JSON_COMPACT | JSON_SORT_KEYS, p);
    REQUIRE(text && nxs_json_load(&stored, &why, text, strlen(text), p) == APR_SUCCESS);
    REQUIRE(nxs_check_filters(&again, &field, stored, p) == NULL);
    REQUIRE(again && json_equal(again, norm));
    json_decref(again);
    json_decref(norm);
}

static json_t *hours_json(const nxs_active_hours_t *ah)
{
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    json_t *list = json_array();
    char start[8], end[8];
    int d;

    for (d = 1; d <= 7; ++d) {
        if (ah->days & NXS_ACTIVE_DAY(d)) {
            json_array_append_new(list, json_string(days[d - 1]));
        }
    }
    snprintf(start, sizeof(start), "%02d:%02d", ah->start / 60, ah->start % 60);
    snprintf(end, sizeof(end), "%02d:%02d", ah->end / 60, ah->end % 60);
    return json_pack("{s:o, s:s, s:s}", "days", list, "start", start, "end", end);
}

static void fuzz_hours(const json_t *v, apr_pool_t *p)
{
    nxs_active_hours_t ah, back;
    const char *msg;
    json_t *written;

    if (v == NULL) {
        return;
    }
    msg = nxs_active_hours_parse(&ah, v, p);
    if (msg) {
        REQUIRE(starts_with(msg, "active_hours"));
        return;
    }
    REQUIRE(ah.days != 0 && (ah.days & ~0x7Fu) == 0);
    REQUIRE(ah.start >= 0 && ah.start < NXS_ACTIVE_MINUTES_PER_DAY);
    REQUIRE(ah.end >= 0 && ah.end <= NXS_ACTIVE_MINUTES_PER_DAY && ah.end != ah.start);
    written = nxs_json_own(hours_json(&ah), p);
    REQUIRE(nxs_active_hours_parse(&back, written, p) == NULL);
    REQUIRE(back.days == ah.days && back.start == ah.start && back.end == ah.end);
}

static void fuzz_account(const json_t *doc, int strict, apr_pool_t *p)
{
    static const char *const names[] = {"plan", "timezone", "locale", "currency"};
    static const char sentinel[] = "unchanged";
    nxs_account_t a, again;
    const char *field = NULL, *why = NULL;
    const char **slot[] = {&a.plan, &a.timezone, &a.locale, &a.currency};
    json_t *sent;
    size_t i;

    memset(&a, 0, sizeof(a));
    a.plan = a.timezone = a.locale = a.currency = sentinel;
    if (nxs_check_account_fields(&a, &field, &why, doc, strict, p) != APR_SUCCESS) {
        REQUIRE(field && why && *why);
        REQUIRE(a.plan == sentinel && a.timezone == sentinel && a.locale == sentinel &&
                a.currency == sentinel);
        for (i = 0; i < 4 && strcmp(field, names[i]) != 0; ++i) {
        }
        REQUIRE(i < 4 || (strict && json_object_get(doc, field) != NULL));
        return;
    }
    sent = nxs_json_own(json_object(), p);
    for (i = 0; i < 4; ++i) {
        const json_t *v = json_object_get(doc, names[i]);
        if (v) {
            REQUIRE(json_is_string(v) && strcmp(*slot[i], json_string_value(v)) == 0);
            json_object_set_new(sent, names[i], json_string(*slot[i]));
        } else {
            REQUIRE(*slot[i] == sentinel);
        }
    }
    REQUIRE(!strict || json_object_size(sent) == json_object_size(doc));
    again = a;
    REQUIRE(nxs_check_account_fields(&again, &field, &why, sent, 1, p) == APR_SUCCESS);
}

static void fuzz_string(const char *s)
{
    const char *why = nxs_check_channel_id(s);
    size_t n = strlen(s), i;

    if (why) {
        REQUIRE(starts_with(why, "channel_id"));
    } else {
        REQUIRE(n >= 3 && n <= 32 && (s[0] == 'C' || s[0] == 'G'));
        for (i = 1; i < n; ++i) {
            REQUIRE((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'));
        }
    }
    why = nxs_check_mention(s);
    REQUIRE(why ? starts_with(why, "mention")
                : strcmp(s, "none") == 0 || strcmp(s, "here") == 0 || strcmp(s, "channel") == 0);
}

static void each_string(const json_t *v, int depth, int *left)
{
    const char *key;
    json_t *m;
    size_t i;

    if (depth > MAX_DEPTH || *left <= 0) {
        return;
    }
    if (json_is_string(v)) {
        --*left;
        fuzz_string(json_string_value(v));
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m)
        {
            --*left;
            fuzz_string(key);
            each_string(m, depth + 1, left);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            each_string(m, depth + 1, left);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    json_t *doc = NULL;
    const char *why = NULL;
    int left = MAX_STRINGS;

    REQUIRE(apr_pool_create(&p, root) == APR_SUCCESS);
    if (nxs_json_load(&doc, &why, (const char *)data, size, p) == APR_SUCCESS) {
        fuzz_filters(doc, p);
        fuzz_hours(json_object_get(doc, "active_hours"), p);
        fuzz_hours(doc, p);
        if (json_is_object(doc)) {
            fuzz_account(doc, 1, p);
            fuzz_account(doc, 0, p);
        }
        each_string(doc, 0, &left);
    }
    apr_pool_destroy(p);
    return 0;
}
