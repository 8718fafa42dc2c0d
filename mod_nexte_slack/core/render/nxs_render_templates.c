/* One template per event type: the icon, the title, the detail lines and
 * which record the button opens.  A template also says which fields its
 * type cannot do without (the message names the field). */
#include "render/nxs_render_int.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

#include "nxs_json.h"
#include "render/nxs_mrkdwn.h"

/* Raw values Nexte sends that have words in both languages; any other
 * value is shown as sent. */
typedef struct {
    const char *value;
    nxs_text_e text;
} alias_t;

static const alias_t methods[] = {{"card", NXS_T_METHOD_CARD},
                                  {"bank_transfer", NXS_T_METHOD_BANK_TRANSFER},
                                  {"transfer", NXS_T_METHOD_BANK_TRANSFER},
                                  {"sepa_debit", NXS_T_METHOD_SEPA_DEBIT},
                                  {"cash", NXS_T_METHOD_CASH},
                                  {"check", NXS_T_METHOD_CHECK},
                                  {"cheque", NXS_T_METHOD_CHECK},
                                  {NULL, 0}};

static const alias_t sources[] = {{"website_form", NXS_T_SOURCE_WEBSITE_FORM},
                                  {"booking_request", NXS_T_SOURCE_BOOKING_REQUEST},
                                  {"client_message", NXS_T_SOURCE_CLIENT_MESSAGE},
                                  {NULL, 0}};

static const alias_t periods[] = {
    {"monthly", NXS_T_PERIOD_MONTHLY},     {"month", NXS_T_PERIOD_MONTHLY},
    {"quarterly", NXS_T_PERIOD_QUARTERLY}, {"quarter", NXS_T_PERIOD_QUARTERLY},
    {"yearly", NXS_T_PERIOD_YEARLY},       {"annual", NXS_T_PERIOD_YEARLY},
    {"year", NXS_T_PERIOD_YEARLY},         {NULL, 0}};

static const char *localized(nxs_render_t *r, const char *path, const alias_t *aliases)
{
    const char *raw = nxs_json_path_str(r->ev, path);

    for (; raw && aliases->value; aliases++) {
        if (strcmp(raw, aliases->value) == 0) {
            return nxs_l10n_text(r->l10n, aliases->text);
        }
    }
    return nxs_render_field(r, path, NXS_FIELD_VALUE);
}

static const char *type_name(const nxs_render_t *r)
{
    return nxs_event_type_name(r->type);
}

static apr_status_t missing(nxs_render_t *r, const char *field)
{
    return nxs_render_fail(r, "%s: required for %s", field, type_name(r));
}

/* The record's number as people know it, or its id. */
static const char *record_ref(nxs_render_t *r)
{
    const char *ref = nxs_render_field(r, "record.number", NXS_FIELD_REF);

    return ref ? ref : nxs_render_field(r, "record.id", NXS_FIELD_REF);
}

/* "Title: detail", or the title alone. */
static const char *titled(nxs_render_t *r, nxs_text_e title, const char *detail)
{
    const char *head = nxs_l10n_text(r->l10n, title);

    return detail ? nxs_l10n_format(r->l10n, r->p, NXS_T_TITLE_WITH_DETAIL, "title", head, "detail",
                                    detail, NULL)
                  : head;
}

/* The multi-line text at PATH, escaped and cut, or NULL. */
static const char *quoted(nxs_render_t *r, const char *path)
{
    const char *text = nxs_mrkdwn_field(nxs_json_path_str(r->ev, path), NXS_FIELD_MESSAGE,
                                        NXS_ESC_MULTILINE, r->p);

    return *text ? text : NULL;
}

/* The date-time at PATH, required. */
static apr_status_t date_at(apr_time_t *t, nxs_render_t *r, const char *path)
{
    const char *s = nxs_json_path_str(r->ev, path);

    if (!s) {
        return missing(r, path);
    }
    if (nxs_time_parse_rfc3339(t, s) != APR_SUCCESS) {
        return nxs_render_fail(r, "%s: not an RFC 3339 date-time with offset", path);
    }
    return APR_SUCCESS;
}

/* The amount, which money events cannot do without. */
static apr_status_t money(nxs_render_t *r, int sign)
{
    apr_status_t rv = nxs_render_amount(&r->amount, r, sign);

    if (rv == APR_SUCCESS && !r->amount) {
        rv = missing(r, "amount");
    }
    return rv;
}

static apr_status_t invoice_paid(nxs_render_t *r)
{
    const char *ref = record_ref(r);

    if (!ref) {
        return missing(r, "record.number");
    }
    r->title = nxs_l10n_format(r->l10n, r->p, NXS_T_TITLE_INVOICE_PAID, "ref", ref, NULL);
    nxs_render_detail(r, NXS_T_LABEL_METHOD, localized(r, "data.method", methods));
    return money(r, NXS_AMOUNT_AS_IS);
}

static apr_status_t payment_failed(nxs_render_t *r)
{
    r->title = titled(r, NXS_T_TITLE_PAYMENT_FAILED, record_ref(r));
    nxs_render_detail(r, NXS_T_LABEL_REASON, nxs_render_field(r, "data.reason", NXS_FIELD_VALUE));
    return money(r, NXS_AMOUNT_AS_IS);
}

static apr_status_t subscription_renewed(nxs_render_t *r)
{
    const char *plan = nxs_render_field(r, "data.plan_name", NXS_FIELD_NAME);

    if (!plan) {
        return missing(r, "data.plan_name");
    }
    r->title = titled(r, NXS_T_TITLE_SUBSCRIPTION_RENEWED, plan);
    nxs_render_detail(r, NXS_T_LABEL_PERIOD, localized(r, "data.period", periods));
    return money(r, NXS_AMOUNT_AS_IS);
}

static apr_status_t refund_issued(nxs_render_t *r)
{
    const char *magnitude = NULL;
    apr_status_t rv;

    /* The title says how much was refunded; the context line shows the
     * same amount as money going out. */
    if ((rv = money(r, NXS_AMOUNT_OUT)) != APR_SUCCESS ||
        (rv = nxs_render_amount(&magnitude, r, NXS_AMOUNT_ABS)) != APR_SUCCESS) {
        return rv;
    }
    r->title = nxs_l10n_format(r->l10n, r->p, NXS_T_TITLE_REFUND_ISSUED, "amount", magnitude, NULL);
    nxs_render_detail(r, NXS_T_LABEL_REASON, nxs_render_field(r, "data.reason", NXS_FIELD_VALUE));
    if (r->kind && strcmp(r->kind, "invoice") == 0) {
        nxs_render_detail(r, NXS_T_LABEL_INVOICE, record_ref(r));
    }
    return APR_SUCCESS;
}

static apr_status_t quote(nxs_render_t *r)
{
    const char *ref = record_ref(r);
    nxs_text_e title = r->type == NXS_EVT_QUOTE_SENT       ? NXS_T_TITLE_QUOTE_SENT
                       : r->type == NXS_EVT_QUOTE_OPENED   ? NXS_T_TITLE_QUOTE_OPENED
                       : r->type == NXS_EVT_QUOTE_ACCEPTED ? NXS_T_TITLE_QUOTE_ACCEPTED
                                                           : NXS_T_TITLE_QUOTE_DECLINED;

    if (!ref) {
        return missing(r, "record.number");
    }
    r->title = nxs_l10n_format(r->l10n, r->p, title, "ref", ref, NULL);
    if (r->type == NXS_EVT_QUOTE_DECLINED) {
        nxs_render_detail(r, NXS_T_LABEL_REASON,
                          nxs_render_field(r, "data.reason", NXS_FIELD_VALUE));
    }
    return nxs_render_amount(&r->amount, r, NXS_AMOUNT_AS_IS);
}

static apr_status_t lead_received(nxs_render_t *r)
{
    const char *name = nxs_render_field(r, "data.contact.name", NXS_FIELD_NAME);
    const char *company = nxs_render_field(r, "data.contact.company", NXS_FIELD_NAME);
    const char *email = nxs_render_field(r, "data.contact.email", NXS_FIELD_VALUE);
    const char *phone = nxs_render_field(r, "data.contact.phone", NXS_FIELD_VALUE);

    if (!nxs_json_path_str(r->ev, "data.source")) {
        return missing(r, "data.source");
    }
    if (!name && !company && !email && !phone) {
        return nxs_render_fail(r, "data.contact: a name, company, email or phone is required "
                                  "for lead.received");
    }
    r->title = titled(r, NXS_T_TITLE_LEAD_RECEIVED,
                      name      ? name
                      : company ? company
                      : email   ? email
                                : phone);
    nxs_render_detail(r, NXS_T_LABEL_SOURCE, localized(r, "data.source", sources));
    nxs_render_detail(r, NXS_T_LABEL_COMPANY, name ? company : NULL);
    nxs_render_detail(r, NXS_T_LABEL_EMAIL, email);
    nxs_render_detail(r, NXS_T_LABEL_PHONE, phone);
    r->quote = quoted(r, "data.message");
    return APR_SUCCESS;
}

/* "Jane Doe (jane@example.com)", either part alone, or NULL. */
static const char *attendee(nxs_render_t *r)
{
    const char *name = nxs_render_field(r, "data.attendee.name", NXS_FIELD_NAME);
    const char *email = nxs_render_field(r, "data.attendee.email", NXS_FIELD_VALUE);

    if (name && email) {
        return apr_psprintf(r->p, "%s (%s)", name, email);
    }
    return name ? name : email;
}

static const char *appointment_title(nxs_render_t *r, nxs_text_e title)
{
    return titled(r, title, nxs_render_field(r, "data.title", NXS_FIELD_NAME));
}

static apr_status_t appointment_booked(nxs_render_t *r)
{
    apr_time_t starts, ends;
    const char *when;
    apr_status_t rv;

    if ((rv = date_at(&starts, r, "data.starts_at")) != APR_SUCCESS) {
        return rv;
    }
    when = nxs_render_date(r, starts, 0);
    if (nxs_json_path_str(r->ev, "data.ends_at")) {
        if ((rv = date_at(&ends, r, "data.ends_at")) != APR_SUCCESS) {
            return rv;
        }
        when = apr_pstrcat(r->p, when, " \xE2\x80\x93 ", nxs_render_date(r, ends, 1), NULL);
    }
    r->title = appointment_title(r, NXS_T_TITLE_APPOINTMENT_BOOKED);
    nxs_render_detail(r, NXS_T_LABEL_WHEN, when);
    nxs_render_detail(r, NXS_T_LABEL_ATTENDEE, attendee(r));
    return APR_SUCCESS;
}

static apr_status_t appointment_cancelled(nxs_render_t *r)
{
    apr_time_t starts;
    apr_status_t rv;

    if ((rv = date_at(&starts, r, "data.starts_at")) != APR_SUCCESS) {
        return rv;
    }
    r->title = appointment_title(r, NXS_T_TITLE_APPOINTMENT_CANCELLED);
    nxs_render_detail(r, NXS_T_LABEL_WHEN, nxs_render_date(r, starts, 0));
    nxs_render_detail(r, NXS_T_LABEL_REASON, nxs_render_field(r, "data.reason", NXS_FIELD_VALUE));
    return APR_SUCCESS;
}

static apr_status_t reschedule_requested(nxs_render_t *r)
{
    apr_time_t starts, proposed;
    apr_status_t rv;

    if ((rv = date_at(&starts, r, "data.starts_at")) != APR_SUCCESS ||
        (rv = date_at(&proposed, r, "data.proposed_starts_at")) != APR_SUCCESS) {
        return rv;
    }
    r->title = appointment_title(r, NXS_T_TITLE_RESCHEDULE_REQUESTED);
    nxs_render_detail(r, NXS_T_LABEL_CURRENT_TIME, nxs_render_date(r, starts, 0));
    nxs_render_detail(r, NXS_T_LABEL_PROPOSED_TIME, nxs_render_date(r, proposed, 0));
    return APR_SUCCESS;
}

static apr_status_t starting_soon(nxs_render_t *r)
{
    apr_time_t starts;
    apr_status_t rv;

    if ((rv = date_at(&starts, r, "data.starts_at")) != APR_SUCCESS) {
        return rv;
    }
    r->title = appointment_title(r, NXS_T_TITLE_STARTING_SOON);
    nxs_render_detail(r, NXS_T_LABEL_STARTS, nxs_render_date(r, starts, 0));
    nxs_render_detail(r, NXS_T_LABEL_ATTENDEE, attendee(r));
    return APR_SUCCESS;
}

static apr_status_t invoice_overdue(nxs_render_t *r)
{
    const json_t *days = nxs_json_path(r->ev, "data.days_overdue");
    const char *ref = record_ref(r), *due = nxs_json_path_str(r->ev, "data.due_date");
    int y, m, d;

    if (!ref) {
        return missing(r, "record.number");
    }
    if (!json_is_integer(days) || json_integer_value(days) < 0) {
        return days ? nxs_render_fail(r, "data.days_overdue: a whole number of days")
                    : missing(r, "data.days_overdue");
    }
    if (due && nxs_time_parse_date(&y, &m, &d, due) != APR_SUCCESS) {
        return nxs_render_fail(r, "data.due_date: a date such as \"2026-11-20\"");
    }
    r->title = nxs_l10n_plural(r->l10n, r->p, NXS_P_TITLE_INVOICE_OVERDUE,
                               (long long)json_integer_value(days), "ref", ref, NULL);
    nxs_render_detail(r, NXS_T_LABEL_DUE_DATE,
                      due ? nxs_l10n_day(r->l10n, y, m, d, 0, r->p) : NULL);
    return nxs_render_amount(&r->amount, r, NXS_AMOUNT_AS_IS);
}

static apr_status_t project_paused(nxs_render_t *r)
{
    const char *name = nxs_render_field(r, "project.name", NXS_FIELD_NAME);

    name = name ? name : nxs_render_field(r, "project.id", NXS_FIELD_REF);
    if (!name) {
        return missing(r, "project.name");
    }
    if (!r->id) {
        r->kind = "project";
        r->id = nxs_json_path_str(r->ev, "project.id");
    }
    r->title = titled(r, NXS_T_TITLE_PROJECT_PAUSED, name);
    nxs_render_detail(r, NXS_T_LABEL_REASON, nxs_render_field(r, "data.reason", NXS_FIELD_VALUE));
    return APR_SUCCESS;
}

static apr_status_t integration_error(nxs_render_t *r)
{
    const char *integration = nxs_render_field(r, "data.integration", NXS_FIELD_NAME);

    if (!integration) {
        return missing(r, "data.integration");
    }
    r->title = titled(r, NXS_T_TITLE_INTEGRATION_ERROR, integration);
    r->quote = quoted(r, "data.message");
    r->path = r->id ? NULL : "/settings/integrations";
    return APR_SUCCESS;
}

/* A count from the event: a JSON number, at least zero. */
static const char *quantity(double *v, nxs_render_t *r, const json_t *n)
{
    const char *out = NULL;
    char digits[64];

    *v = json_number_value(n);
    if (!json_is_number(n) || *v < 0 || *v > 1e15) {
        return NULL;
    }
    if (json_is_integer(n)) {
        return nxs_l10n_number(r->l10n, json_integer_value(n), r->p);
    }
    snprintf(digits, sizeof(digits), "%.3f", *v);
    return nxs_l10n_amount(&out, r->l10n, digits, NULL, r->p) == APR_SUCCESS ? out : NULL;
}

static apr_status_t quota_nearly_reached(nxs_render_t *r)
{
    const char *quota = nxs_render_field(r, "data.quota", NXS_FIELD_NAME);
    double used, limit;
    const char *used_text = quantity(&used, r, nxs_json_path(r->ev, "data.used"));
    const char *limit_text = quantity(&limit, r, nxs_json_path(r->ev, "data.limit"));

    if (!quota) {
        return missing(r, "data.quota");
    }
    if (!used_text || !limit_text || limit <= 0) {
        return nxs_render_fail(r, "data.%s: a number%s", used_text ? "limit" : "used",
                               used_text ? " above zero" : ", zero or more");
    }
    r->title = titled(r, NXS_T_TITLE_QUOTA_NEARLY_REACHED, quota);
    nxs_render_detail(r, NXS_T_LABEL_USAGE,
                      nxs_l10n_format(r->l10n, r->p, NXS_T_USAGE, "used", used_text, "limit",
                                      limit_text, "percent",
                                      nxs_l10n_percent(r->l10n, used / limit, r->p), NULL));
    r->path = r->id ? NULL : "/settings/plan";
    return APR_SUCCESS;
}

static const struct {
    nxs_event_type_e type;
    const char *icon;
    const char *kind; /* what the button opens when "record" does not say */
    apr_status_t (*fill)(nxs_render_t *r);
} templates[] = {
    {NXS_EVT_INVOICE_PAID, "💰", "invoice", invoice_paid},
    {NXS_EVT_PAYMENT_FAILED, "❌", "invoice", payment_failed},
    {NXS_EVT_SUBSCRIPTION_RENEWED, "🔁", "subscription", subscription_renewed},
    {NXS_EVT_REFUND_ISSUED, "↩️", "refund", refund_issued},
    {NXS_EVT_QUOTE_SENT, "📝", "quote", quote},
    {NXS_EVT_QUOTE_OPENED, "👀", "quote", quote},
    {NXS_EVT_QUOTE_ACCEPTED, "✅", "quote", quote},
    {NXS_EVT_QUOTE_DECLINED, "👎", "quote", quote},
    {NXS_EVT_LEAD_RECEIVED, "👥", "lead", lead_received},
    {NXS_EVT_APPOINTMENT_BOOKED, "📅", "appointment", appointment_booked},
    {NXS_EVT_APPOINTMENT_CANCELLED, "🚫", "appointment", appointment_cancelled},
    {NXS_EVT_APPOINTMENT_RESCHEDULE_REQUESTED, "🔄", "appointment", reschedule_requested},
    {NXS_EVT_APPOINTMENT_STARTING_SOON, "⏰", "appointment", starting_soon},
    {NXS_EVT_INVOICE_OVERDUE, "⏳", "invoice", invoice_overdue},
    {NXS_EVT_PROJECT_PAUSED, "⏸️", "project", project_paused},
    {NXS_EVT_INTEGRATION_ERROR, "🔌", "integrations", integration_error},
    {NXS_EVT_PLAN_QUOTA_NEARLY_REACHED, "📈", "plan", quota_nearly_reached},
};

const char *nxs_render_icon(nxs_event_type_e type)
{
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        if (templates[i].type == type) {
            return templates[i].icon;
        }
    }
    return NULL;
}

apr_status_t nxs_render_template(nxs_render_t *r)
{
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        if (templates[i].type == r->type) {
            r->icon = templates[i].icon;
            r->kind = r->kind ? r->kind : templates[i].kind;
            return templates[i].fill(r);
        }
    }
    return nxs_render_fail(r, "type: %s has no message template", type_name(r));
}
