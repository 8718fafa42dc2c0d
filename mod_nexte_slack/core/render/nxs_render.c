/* Rendering: the pieces every message shares (settings, escaping of event
 * fields, amounts, date tokens, record links, blocks) and the assembly of
 * one event's message.  Per-type wording is in nxs_render_templates.c. */
#include "render/nxs_render_int.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nxs_json.h"
#include "render/nxs_mrkdwn.h"

static const nxs_render_settings_t default_settings;

apr_status_t nxs_render_mention_parse(nxs_mention_e *m, const char *name)
{
    static const char *const names[] = {"none", "here", "channel"};

    for (int i = 0; name && i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *m = (nxs_mention_e)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

apr_status_t nxs_render_fail(nxs_render_t *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    r->why = apr_pvsprintf(r->p, fmt, ap);
    va_end(ap);
    return APR_EINVAL;
}

apr_status_t nxs_render_begin(nxs_render_t *r, const nxs_render_settings_t *s, apr_pool_t *p)
{
    const char *why = NULL;

    memset(r, 0, sizeof(*r));
    r->p = p;
    r->s = s = s ? s : &default_settings;
    if (nxs_l10n_create(&r->l10n, &why, s->locale, s->timezone, p) != APR_SUCCESS) {
        return nxs_render_fail(r, "settings: %s", why);
    }
    if (s->currency && !nxs_l10n_currency_valid(s->currency)) {
        return nxs_render_fail(r, "settings: currency must be an ISO 4217 code such as EUR");
    }
    if ((int)s->mention < NXS_MENTION_NONE || s->mention > NXS_MENTION_CHANNEL) {
        return nxs_render_fail(r, "settings: unknown mention %d", (int)s->mention);
    }
    if (s->delivery_id &&
        (!*s->delivery_id || nxs_mrkdwn_length(s->delivery_id) > NXS_LIMIT_BUTTON_VALUE)) {
        return nxs_render_fail(r, "settings: the delivery id must have 1 to %d characters",
                               NXS_LIMIT_BUTTON_VALUE);
    }
    return APR_SUCCESS;
}

apr_status_t nxs_render_prepare(nxs_render_t *r, const json_t *event)
{
    const char *type = nxs_json_path_str(event, "type");
    const char *at = nxs_json_path_str(event, "occurred_at");

    r->ev = event;
    r->details = apr_array_make(r->p, 8, sizeof(const char *));
    r->icon = r->title = r->quote = r->amount = r->path = NULL;
    r->kind = nxs_json_path_str(event, "record.kind");
    r->id = nxs_json_path_str(event, "record.id");
    r->url = nxs_json_path_str(event, "record.url");
    if (!json_is_object(event)) {
        return nxs_render_fail(r, "event: a JSON object");
    }
    if (!type) {
        return nxs_render_fail(r, "type: required");
    }
    r->type = nxs_event_type_parse(type);
    if (r->type == NXS_EVT_UNKNOWN) {
        return nxs_render_fail(r, "type: unknown event type \"%.64s\"", type);
    }
    if (!nxs_event_category(type) || r->type == NXS_EVT_RECAP_DAILY) {
        return nxs_render_fail(r, "type: %s is never posted as an event message", type);
    }
    if (nxs_time_parse_rfc3339(&r->occurred_at, at) != APR_SUCCESS) {
        return nxs_render_fail(r, "occurred_at: %s",
                               at ? "not an RFC 3339 date-time with offset" : "required");
    }
    return nxs_render_template(r);
}

const char *nxs_render_field(nxs_render_t *r, const char *path, apr_size_t max)
{
    const char *v = nxs_mrkdwn_field(nxs_json_path_str(r->ev, path), max, NXS_ESC_LINE, r->p);

    return *v ? v : NULL;
}

void nxs_render_detail(nxs_render_t *r, nxs_text_e label, const char *value)
{
    if (value) {
        APR_ARRAY_PUSH(r->details, const char *) =
            nxs_l10n_format(r->l10n, r->p, NXS_T_DETAIL_LINE, "label",
                            nxs_l10n_text(r->l10n, label), "value", value, NULL);
    }
}

apr_status_t nxs_render_amount(const char **out, nxs_render_t *r, int sign)
{
    const json_t *amount = json_object_get(r->ev, "amount");
    const char *raw = nxs_json_path_str(amount, "value"), *value = raw;
    const char *currency = nxs_json_path_str(amount, "currency");

    *out = NULL;
    if (!amount || json_is_null(amount)) {
        return APR_SUCCESS;
    }
    if (!nxs_decimal_valid(raw)) {
        return nxs_render_fail(r, "amount.value: %s",
                               raw ? "a decimal string such as \"1250.00\""
                                   : "required with amount");
    }
    /* Magnitude first, then the sign the message wants. */
    value += *raw == '-';
    if (sign == NXS_AMOUNT_OUT || (sign == NXS_AMOUNT_AS_IS && *raw == '-')) {
        value = apr_pstrcat(r->p, "-", value, NULL);
    }
    if (nxs_l10n_amount(out, r->l10n, value, currency ? currency : r->s->currency, r->p) !=
        APR_SUCCESS) {
        return nxs_render_fail(r, "amount.currency: an ISO 4217 code such as \"EUR\"");
    }
    *out = nxs_mrkdwn_escape(*out, NXS_ESC_LINE, r->p);
    return APR_SUCCESS;
}

const char *nxs_render_date(nxs_render_t *r, apr_time_t t, int time_only)
{
    const char *fallback =
        time_only ? nxs_l10n_time(r->l10n, t, r->p) : nxs_l10n_datetime(r->l10n, t, r->p);

    return apr_psprintf(r->p, "<!date^%" APR_INT64_T_FMT "^%s|%s>", (apr_int64_t)apr_time_sec(t),
                        time_only ? "{time}" : nxs_l10n_text(r->l10n, NXS_T_DATE_TOKEN),
                        nxs_mrkdwn_escape(fallback, NXS_ESC_LINE, r->p));
}

const char *nxs_render_mentioned(const nxs_render_t *r, const char *text)
{
    static const char *const tokens[] = {"", "<!here>", "<!channel>"};
    const char *token = tokens[r->s->mention];

    return *token && *text ? apr_pstrcat(r->p, token, " ", text, NULL) : *token ? token : text;
}

/* Record kinds the app has pages for: path collection and button label. */
static const struct {
    const char *kind, *collection;
    nxs_text_e label;
} kinds[] = {
    {"invoice", "invoices", NXS_T_BUTTON_INVOICE},
    {"quote", "quotes", NXS_T_BUTTON_QUOTE},
    {"lead", "leads", NXS_T_BUTTON_LEAD},
    {"appointment", "appointments", NXS_T_BUTTON_APPOINTMENT},
    {"subscription", "subscriptions", NXS_T_BUTTON_SUBSCRIPTION},
    {"project", "projects", NXS_T_BUTTON_PROJECT},
    {"client", "clients", NXS_T_BUTTON_CLIENT},
    {"payment", "payments", NXS_T_BUTTON_PAYMENT},
    {"refund", "refunds", NXS_T_BUTTON_REFUND},
    /* Pages without a record, reached through a path the template gives. */
    {"integrations", NULL, NXS_T_BUTTON_INTEGRATIONS},
    {"plan", NULL, NXS_T_BUTTON_PLAN},
};

/* A record URL from an event is used only when it is plainly an absolute
 * http(s) URL that Slack accepts: no spaces, controls or non-ASCII. */
int nxs_render_url_usable(const char *url)
{
    if (!url || (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) ||
        strlen(url) > NXS_LIMIT_URL) {
        return 0;
    }
    for (const unsigned char *c = (const unsigned char *)url; *c; c++) {
        if (*c <= ' ' || *c >= 0x7F || *c == '<' || *c == '>' || *c == '"' || *c == '|') {
            return 0;
        }
    }
    return 1;
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static const char *url_encode(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (apr_isalnum(*c) || strchr("-._~", *c)) {
            *o++ = (char)*c;
        } else {
            o += sprintf(o, "%%%02X", *c);
        }
    }
    *o = '\0';
    return out;
}

const char *nxs_render_record_url(nxs_render_t *r, const char *record_url, const char *kind,
                                  const char *id, const char *path, const char **label)
{
    const char *base = r->s->app_url, *url = NULL, *collection = NULL;
    apr_size_t n;

    *label = nxs_l10n_text(r->l10n, NXS_T_BUTTON_OPEN);
    for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i].kind, kind) == 0) {
            *label = nxs_l10n_text(r->l10n, kinds[i].label);
            collection = kinds[i].collection;
        }
    }
    if (nxs_render_url_usable(record_url)) {
        return record_url;
    }
    if (!base || !nxs_render_url_usable(base)) {
        return NULL;
    }
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--;
    }
    base = apr_pstrndup(r->p, base, n);
    if (path) {
        url = apr_pstrcat(r->p, base, path, NULL);
    } else if (collection && id) {
        url = apr_pstrcat(r->p, base, "/", collection, "/", url_encode(id, r->p), NULL);
    }
    if (!url || strlen(url) > NXS_LIMIT_URL) {
        /* Nothing better than the app itself. */
        *label = nxs_l10n_text(r->l10n, NXS_T_BUTTON_OPEN);
        url = base;
    }
    return url;
}

static json_t *text_object(const char *type, const char *text, apr_size_t max, apr_pool_t *p)
{
    const char *cut = nxs_mrkdwn_truncate(text, max, p);

    return strcmp(type, "mrkdwn") == 0
               ? json_pack("{s:s, s:s, s:b}", "type", type, "text", cut, "verbatim", 1)
               : json_pack("{s:s, s:s, s:b}", "type", type, "text", cut, "emoji", 1);
}

json_t *nxs_render_header(nxs_render_t *r, const char *icon, const char *title)
{
    const char *text = apr_pstrcat(r->p, icon, " ", title, NULL);

    return json_pack("{s:s, s:o}", "type", "header", "text",
                     text_object("plain_text", text, NXS_LIMIT_HEADER_TEXT, r->p));
}

json_t *nxs_render_section(const char *mrkdwn, apr_pool_t *p)
{
    return json_pack("{s:s, s:o}", "type", "section", "text",
                     text_object("mrkdwn", mrkdwn, NXS_LIMIT_SECTION_TEXT, p));
}

json_t *nxs_render_context(const char *mrkdwn, apr_pool_t *p)
{
    return json_pack("{s:s, s:[o]}", "type", "context", "elements",
                     text_object("mrkdwn", mrkdwn, NXS_LIMIT_SECTION_TEXT, p));
}

json_t *nxs_render_button(const char *label, const char *url, const char *action_id, apr_pool_t *p)
{
    json_t *b = json_pack("{s:s, s:s, s:o}", "type", "button", "action_id", action_id, "text",
                          text_object("plain_text", label, NXS_LIMIT_BUTTON_TEXT, p));

    if (url) {
        json_object_set_new(b, "url", json_string(url));
    }
    return b;
}

json_t *nxs_render_message(json_t *blocks, const char *text, apr_pool_t *p)
{
    return nxs_json_own(json_pack("{s:s, s:o, s:b, s:b}", "text",
                                  nxs_mrkdwn_truncate(text, NXS_LIMIT_MESSAGE_TEXT, p), "blocks",
                                  blocks, "unfurl_links", 0, "unfurl_media", 0),
                        p);
}

const char *nxs_render_join(const apr_array_header_t *parts, const char *sep, apr_pool_t *p)
{
    const char *out = "";

    for (int i = 0; i < parts->nelts; i++) {
        out = apr_pstrcat(p, out, i ? sep : "", APR_ARRAY_IDX(parts, i, const char *), NULL);
    }
    return out;
}

/* Mention, then the template's detail lines, then its quote. */
static const char *event_section(nxs_render_t *r)
{
    const char *text = apr_array_pstrcat(r->p, r->details, '\n');

    if (r->quote) {
        text = apr_pstrcat(r->p, text, *text ? "\n" : "", nxs_mrkdwn_quote(r->quote, r->p), NULL);
    }
    text = nxs_render_mentioned(r, text);
    return *text ? text : NULL;
}

/* Who · when · amount · client / project · owner. */
static const char *event_context(nxs_render_t *r)
{
    apr_array_header_t *parts = apr_array_make(r->p, 5, sizeof(const char *));
    const char *actor = nxs_render_field(r, "actor.name", NXS_FIELD_NAME);
    const char *client = nxs_render_field(r, "client.name", NXS_FIELD_NAME);
    const char *project = nxs_render_field(r, "project.name", NXS_FIELD_NAME);
    const char *member = nxs_render_field(r, "member.name", NXS_FIELD_NAME);

    if (actor) {
        APR_ARRAY_PUSH(parts, const char *) =
            nxs_l10n_format(r->l10n, r->p, NXS_T_CONTEXT_BY, "name", actor, NULL);
    }
    APR_ARRAY_PUSH(parts, const char *) = nxs_render_date(r, r->occurred_at, 0);
    if (r->amount) {
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(r->p, "*", r->amount, "*", NULL);
    }
    if (client || project) {
        APR_ARRAY_PUSH(parts, const char *) = client && project
                                                  ? apr_pstrcat(r->p, client, " / ", project, NULL)
                                                  : (client ? client : project);
    }
    if (member) {
        APR_ARRAY_PUSH(parts, const char *) =
            nxs_l10n_format(r->l10n, r->p, NXS_T_CONTEXT_OWNER, "name", member, NULL);
    }
    return nxs_render_join(parts, NXS_RENDER_SEPARATOR, r->p);
}

static json_t *event_actions(nxs_render_t *r)
{
    json_t *elements = json_array();
    const char *label;
    const char *url = nxs_render_record_url(r, r->url, r->kind, r->id, r->path, &label);
    json_t *handled;

    if (url) {
        json_array_append_new(elements,
                              nxs_render_button(label, url, NXS_ACTION_OPEN_RECORD, r->p));
    }
    if (r->s->delivery_id) {
        handled = nxs_render_button(nxs_l10n_text(r->l10n, NXS_T_BUTTON_HANDLED), NULL,
                                    NXS_ACTION_HANDLED, r->p);
        json_object_set_new(handled, "value", json_string(r->s->delivery_id));
        json_object_set_new(handled, "style", json_string("primary"));
        json_array_append_new(elements, handled);
    }
    if (json_array_size(elements) == 0) {
        json_decref(elements);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o}", "type", "actions", "block_id", NXS_BLOCK_ACTIONS,
                     "elements", elements);
}

/* The notification text: mention, icon and title, amount, client. */
static const char *event_text(nxs_render_t *r)
{
    const char *client = nxs_render_field(r, "client.name", NXS_FIELD_NAME);

    return nxs_render_mentioned(
        r, apr_pstrcat(r->p, r->icon, " ", r->title, r->amount ? " \xE2\x80\x94 " : "",
                       r->amount ? r->amount : "", client ? NXS_RENDER_SEPARATOR : "",
                       client ? client : "", NULL));
}

apr_status_t nxs_render_event(json_t **msg, const char **why, const json_t *event,
                              const nxs_render_settings_t *s, apr_pool_t *p)
{
    nxs_render_t r;
    json_t *blocks, *actions;
    const char *section;
    apr_status_t rv;

    *msg = NULL;
    if ((rv = nxs_render_begin(&r, s, p)) != APR_SUCCESS ||
        (rv = nxs_render_prepare(&r, event)) != APR_SUCCESS) {
        goto leave;
    }
    blocks = json_array();
    json_array_append_new(blocks, nxs_render_header(&r, r.icon, r.title));
    if ((section = event_section(&r)) != NULL) {
        json_array_append_new(blocks, nxs_render_section(section, p));
    }
    json_array_append_new(blocks, nxs_render_context(event_context(&r), p));
    if ((actions = event_actions(&r)) != NULL) {
        json_array_append_new(blocks, actions);
    }
    *msg = nxs_render_message(blocks, event_text(&r), p);
leave:
    *why = r.why;
    return rv;
}
