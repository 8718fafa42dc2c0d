/* The morning summary of active hours: held items counted per type with
 * their amounts summed per currency, then listed most important first,
 * within Slack's limits (see render/nxs_render_summary.h). */
#include "render/nxs_render_summary.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "nxs_json.h"
#include "render/nxs_mrkdwn.h"
#include "render/nxs_render_int.h"

#define ICON_SUMMARY "🌅"
#define ICON_OTHER   "\xE2\x80\xA2" /* "•" for a type without an icon */

/* Slack takes at most 10 fields in a section. */
#define FIELDS_PER_SECTION 10

/* Every type a summary counts, in the order its counts are shown: the
 * most important first (this table is the importance of each type). */
static const struct {
    nxs_event_type_e type;
    nxs_text_e label;
    nxs_importance_e importance;
} kinds[] = {
    {NXS_EVT_PAYMENT_FAILED, NXS_T_EVENTS_PAYMENT_FAILED, NXS_IMPORTANCE_URGENT},
    {NXS_EVT_INVOICE_OVERDUE, NXS_T_EVENTS_INVOICE_OVERDUE, NXS_IMPORTANCE_URGENT},
    {NXS_EVT_INTEGRATION_ERROR, NXS_T_EVENTS_INTEGRATION_ERROR, NXS_IMPORTANCE_URGENT},
    {NXS_EVT_PROJECT_PAUSED, NXS_T_EVENTS_PROJECT_PAUSED, NXS_IMPORTANCE_URGENT},
    {NXS_EVT_PLAN_QUOTA_NEARLY_REACHED, NXS_T_EVENTS_QUOTA_NEARLY_REACHED, NXS_IMPORTANCE_URGENT},
    {NXS_EVT_INVOICE_PAID, NXS_T_EVENTS_INVOICE_PAID, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_REFUND_ISSUED, NXS_T_EVENTS_REFUND_ISSUED, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_QUOTE_ACCEPTED, NXS_T_EVENTS_QUOTE_ACCEPTED, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_QUOTE_DECLINED, NXS_T_EVENTS_QUOTE_DECLINED, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_LEAD_RECEIVED, NXS_T_EVENTS_LEAD_RECEIVED, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_APPOINTMENT_CANCELLED, NXS_T_EVENTS_APPOINTMENT_CANCELLED, NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_APPOINTMENT_RESCHEDULE_REQUESTED, NXS_T_EVENTS_RESCHEDULE_REQUESTED,
     NXS_IMPORTANCE_NOTABLE},
    {NXS_EVT_SUBSCRIPTION_RENEWED, NXS_T_EVENTS_SUBSCRIPTION_RENEWED, NXS_IMPORTANCE_ROUTINE},
    {NXS_EVT_QUOTE_SENT, NXS_T_EVENTS_QUOTE_SENT, NXS_IMPORTANCE_ROUTINE},
    {NXS_EVT_QUOTE_OPENED, NXS_T_EVENTS_QUOTE_OPENED, NXS_IMPORTANCE_ROUTINE},
    {NXS_EVT_APPOINTMENT_BOOKED, NXS_T_EVENTS_APPOINTMENT_BOOKED, NXS_IMPORTANCE_ROUTINE},
    {NXS_EVT_APPOINTMENT_STARTING_SOON, NXS_T_EVENTS_STARTING_SOON, NXS_IMPORTANCE_ROUTINE},
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))
#define KIND_OTHER KIND_COUNT /* the tally of types not in the table */

/* The index of TYPE in kinds[], or KIND_OTHER. */
static size_t kind_of(const char *type)
{
    nxs_event_type_e t = nxs_event_type_parse(type);

    for (size_t k = 0; k < KIND_COUNT; k++) {
        if (kinds[k].type == t) {
            return k;
        }
    }
    return KIND_OTHER;
}

nxs_importance_e nxs_summary_importance(const char *type)
{
    size_t k = kind_of(type);

    return k == KIND_OTHER ? NXS_IMPORTANCE_ROUTINE : kinds[k].importance;
}

/* The reverse of nxs_mrkdwn_escape's entities, for a title kept as plain
 * text: the only "&" in escaped text start "&amp;", "&lt;" or "&gt;". */
static const char *unescape(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    while (*s) {
        if (strncmp(s, "&amp;", 5) == 0) {
            *o++ = '&', s += 5;
        } else if (strncmp(s, "&lt;", 4) == 0) {
            *o++ = '<', s += 4;
        } else if (strncmp(s, "&gt;", 4) == 0) {
            *o++ = '>', s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static const char *copy(const char *s, apr_pool_t *p)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

apr_status_t nxs_render_summary_item(nxs_summary_item_t *item, const char **why,
                                     const json_t *event, const nxs_render_settings_t *s,
                                     apr_pool_t *p)
{
    nxs_render_t r;
    const char *label;
    apr_status_t rv;

    memset(item, 0, sizeof(*item));
    if ((rv = nxs_render_begin(&r, s, p)) != APR_SUCCESS ||
        (rv = nxs_render_prepare(&r, event)) != APR_SUCCESS) {
        *why = r.why;
        return rv;
    }
    item->type = copy(nxs_json_path_str(event, "type"), p);
    item->occurred_at = r.occurred_at;
    item->amount = copy(nxs_json_path_str(event, "amount.value"), p);
    item->currency = copy(nxs_json_path_str(event, "amount.currency"), p);
    item->title = unescape(r.title, p);
    item->client = copy(nxs_json_path_str(event, "client.name"), p);
    item->url = copy(nxs_render_record_url(&r, r.url, r.kind, r.id, r.path, &label), p);
    item->importance = nxs_summary_importance(item->type);
    *why = NULL;
    return APR_SUCCESS;
}

/* The amount of ITEM as its message shows it (a refund is money going
 * out: negative, whatever sign it was sent with), or NULL when it has no
 * usable amount. */
static const char *shown_amount(const nxs_summary_item_t *item, apr_pool_t *p)
{
    const char *v = item->amount;

    if (!nxs_decimal_valid(v) || (item->currency && !nxs_l10n_currency_valid(item->currency))) {
        return NULL;
    }
    if (nxs_event_type_parse(item->type) == NXS_EVT_REFUND_ISSUED) {
        return apr_pstrcat(p, "-", v + (*v == '-'), NULL);
    }
    return v;
}

/* The currency of ITEM's amount: its own, else the account's, else "". */
static const char *currency_of(const nxs_summary_item_t *item, const nxs_render_settings_t *s)
{
    return item->currency ? item->currency : s->currency ? s->currency : "";
}

/* One currency's sum within a type. */
typedef struct {
    const char *currency; /* "" when neither the item nor the account has one */
    const char *sum;
} money_t;

typedef struct {
    int count;
    apr_array_header_t *money; /* money_t */
} tally_t;

static void tally_add(tally_t *t, const char *currency, const char *value, apr_pool_t *p)
{
    money_t *m = NULL;
    const char *sum;

    for (int i = 0; i < t->money->nelts && !m; i++) {
        if (strcmp(APR_ARRAY_IDX(t->money, i, money_t).currency, currency) == 0) {
            m = &APR_ARRAY_IDX(t->money, i, money_t);
        }
    }
    if (!m) {
        m = apr_array_push(t->money);
        m->currency = currency;
        m->sum = "0";
    }
    /* A sum past nxs_decimal's 30 digits stays at the last one it could make. */
    if (nxs_decimal_add(&sum, m->sum, 1, value, p) == APR_SUCCESS && nxs_decimal_valid(sum)) {
        m->sum = sum;
    }
}

static int money_cmp(const void *a, const void *b)
{
    return strcmp(((const money_t *)a)->currency, ((const money_t *)b)->currency);
}

static const char *money_text(nxs_render_t *r, const char *value, const char *currency)
{
    const char *out = NULL;

    if (nxs_l10n_amount(&out, r->l10n, value, *currency ? currency : NULL, r->p) != APR_SUCCESS) {
        return NULL;
    }
    return nxs_mrkdwn_escape(out, NXS_ESC_LINE, r->p);
}

/* "3 · €1,540.00 · £200.00": the count, then the sums in currency order. */
static const char *tally_text(nxs_render_t *r, tally_t *t)
{
    apr_array_header_t *parts = apr_array_make(r->p, 4, sizeof(const char *));
    const char *text;
    int i;

    APR_ARRAY_PUSH(parts, const char *) = nxs_l10n_number(r->l10n, t->count, r->p);
    qsort(t->money->elts, (size_t)t->money->nelts, sizeof(money_t), money_cmp);
    for (i = 0; i < t->money->nelts && i < NXS_SUMMARY_MAX_CURRENCIES; i++) {
        const money_t *m = &APR_ARRAY_IDX(t->money, i, money_t);
        if ((text = money_text(r, m->sum, m->currency)) != NULL) {
            APR_ARRAY_PUSH(parts, const char *) = text;
        }
    }
    if (t->money->nelts > i) {
        APR_ARRAY_PUSH(parts, const char *) =
            nxs_l10n_plural(r->l10n, r->p, NXS_P_MORE, t->money->nelts - i, NULL);
    }
    return nxs_render_join(parts, NXS_RENDER_SEPARATOR, r->p);
}

static const char *kind_label(nxs_render_t *r, size_t k)
{
    return nxs_l10n_text(r->l10n, k == KIND_OTHER ? NXS_T_EVENTS_OTHER : kinds[k].label);
}

/* The count sections (10 fields each) and, in *TEXT, the counts for the
 * fallback. */
static void counts(json_t *blocks, const char **text, nxs_render_t *r, tally_t *tallies)
{
    apr_array_header_t *plain = apr_array_make(r->p, 8, sizeof(const char *));
    json_t *fields = NULL;

    for (size_t k = 0; k <= KIND_OTHER; k++) {
        if (tallies[k].count == 0) {
            continue;
        }
        if (!fields || json_array_size(fields) == FIELDS_PER_SECTION) {
            fields = json_array();
            json_array_append_new(blocks,
                                  json_pack("{s:s, s:o}", "type", "section", "fields", fields));
        }
        json_array_append_new(fields, json_pack("{s:s, s:s, s:b}", "type", "mrkdwn", "text",
                                                apr_psprintf(r->p, "*%s*\n%s", kind_label(r, k),
                                                             tally_text(r, &tallies[k])),
                                                "verbatim", 1));
        APR_ARRAY_PUSH(plain, const char *) =
            nxs_l10n_format(r->l10n, r->p, NXS_T_DETAIL_LINE, "label", kind_label(r, k), "value",
                            nxs_l10n_number(r->l10n, tallies[k].count, r->p), NULL);
    }
    *text = nxs_render_join(plain, NXS_RENDER_SEPARATOR, r->p);
}

/* The items by importance, then age, then the order they came in. */
typedef struct {
    const nxs_summary_item_t *item;
    int index;
} ranked_t;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked_t *a = pa, *b = pb;

    if (a->item->importance != b->item->importance) {
        return a->item->importance > b->item->importance ? -1 : 1;
    }
    if (a->item->occurred_at != b->item->occurred_at) {
        return a->item->occurred_at < b->item->occurred_at ? -1 : 1;
    }
    return a->index - b->index;
}

/* One listed item, or NULL when it has no title. */
static json_t *item_block(nxs_render_t *r, const nxs_summary_item_t *item, int n)
{
    const char *title = nxs_mrkdwn_field(item->title, NXS_LIMIT_HEADER_TEXT, NXS_ESC_LINE, r->p);
    const char *client = nxs_mrkdwn_field(item->client, NXS_FIELD_NAME, NXS_ESC_LINE, r->p);
    const char *icon = nxs_render_icon(nxs_event_type_parse(item->type));
    const char *value = shown_amount(item, r->p), *amount = NULL, *line;
    json_t *block;

    if (!*title) {
        return NULL;
    }
    if (value) {
        amount = money_text(r, value, currency_of(item, r->s));
    }
    line = apr_pstrcat(r->p, icon ? icon : ICON_OTHER, " *", title, "*\n",
                       nxs_render_date(r, item->occurred_at, 0), amount ? NXS_RENDER_SEPARATOR : "",
                       amount ? amount : "", *client ? NXS_RENDER_SEPARATOR : "", client, NULL);
    block = nxs_render_section(line, r->p);
    if (nxs_render_url_usable(item->url)) {
        json_object_set_new(block, "accessory",
                            nxs_render_button(nxs_l10n_text(r->l10n, NXS_T_BUTTON_VIEW), item->url,
                                              apr_psprintf(r->p, NXS_ACTION_OPEN_RECORD "_%d", n),
                                              r->p));
    }
    return block;
}

apr_status_t nxs_render_summary(json_t **msg, const char **why, const nxs_summary_item_t *items,
                                int count, const nxs_render_settings_t *s, apr_pool_t *p)
{
    nxs_render_t r;
    tally_t tallies[KIND_COUNT + 1];
    ranked_t *ranked;
    const char *title, *value, *counted;
    json_t *blocks, *block;
    int i, shown = 0;
    apr_status_t rv;

    *msg = NULL;
    if ((rv = nxs_render_begin(&r, s, p)) != APR_SUCCESS) {
        goto leave;
    }
    if (!items || count < 1) {
        rv = nxs_render_fail(&r, "items: at least one held event");
        goto leave;
    }
    for (size_t k = 0; k <= KIND_OTHER; k++) {
        tallies[k].count = 0;
        tallies[k].money = apr_array_make(p, 2, sizeof(money_t));
    }
    ranked = apr_palloc(p, sizeof(*ranked) * (size_t)count);
    for (i = 0; i < count; i++) {
        tally_t *t = &tallies[kind_of(items[i].type)];
        t->count++;
        if ((value = shown_amount(&items[i], p)) != NULL) {
            tally_add(t, currency_of(&items[i], r.s), value, p);
        }
        ranked[i].item = &items[i];
        ranked[i].index = i;
    }
    qsort(ranked, (size_t)count, sizeof(*ranked), ranked_cmp);

    title = nxs_l10n_plural(r.l10n, p, NXS_P_SUMMARY_TITLE, (long long)count, NULL);
    blocks = json_array();
    json_array_append_new(blocks, nxs_render_header(&r, ICON_SUMMARY, title));
    json_array_append_new(
        blocks, nxs_render_section(
                    nxs_render_mentioned(&r, nxs_l10n_text(r.l10n, NXS_T_SUMMARY_INTRO)), p));
    counts(blocks, &counted, &r, tallies);
    for (i = 0; i < count && shown < NXS_SUMMARY_MAX_ITEMS; i++) {
        if ((block = item_block(&r, ranked[i].item, shown + 1)) != NULL) {
            json_array_append_new(blocks, block);
            shown++;
        }
    }
    if (count > shown) {
        json_array_append_new(
            blocks,
            nxs_render_context(
                nxs_l10n_plural(r.l10n, p, NXS_P_MORE, (long long)(count - shown), NULL), p));
    }
    *msg =
        nxs_render_message(blocks,
                           nxs_render_mentioned(&r, apr_pstrcat(p, ICON_SUMMARY " ", title,
                                                                " \xE2\x80\x94 ", counted, NULL)),
                           p);
leave:
    *why = r.why;
    return rv;
}
