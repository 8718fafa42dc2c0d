/* The daily recap: the previous day's numbers of one account in one
 * message. */
#include "render/nxs_render_int.h"

#include <apr_strings.h>
#include <string.h>

#include "nxs_json.h"
#include "render/nxs_mrkdwn.h"

/* Currencies listed one by one in a recap; more are counted. */
#define RECAP_MAX_CURRENCIES 10

#define ICON_RECAP "📊"

static const char *money_text(nxs_render_t *r, const char *value, const char *currency)
{
    const char *out = NULL;

    nxs_l10n_amount(&out, r->l10n, value ? value : "0", currency, r->p);
    return nxs_mrkdwn_escape(out, NXS_ESC_LINE, r->p);
}

/* One currency's revenue and how it was made. */
static apr_status_t recap_money(const char **net, const char **breakdown, nxs_render_t *r,
                                const nxs_recap_money_t *m)
{
    const char *sum;

    if (!nxs_l10n_currency_valid(m->currency)) {
        return nxs_render_fail(r, "money.currency: an ISO 4217 code such as \"EUR\"");
    }
    if (nxs_decimal_add(&sum, m->paid, 1, m->renewals, r->p) != APR_SUCCESS ||
        nxs_decimal_add(&sum, sum, -1, m->refunds, r->p) != APR_SUCCESS) {
        return nxs_render_fail(r, "money: paid, renewals and refunds are decimal strings");
    }
    *net = money_text(r, sum, m->currency);
    *breakdown = apr_pstrcat(r->p, *net, " = ",
                             nxs_l10n_format(r->l10n, r->p, NXS_T_RECAP_BREAKDOWN, "paid",
                                             money_text(r, m->paid, m->currency), "renewals",
                                             money_text(r, m->renewals, m->currency), "refunds",
                                             money_text(r, m->refunds, m->currency), NULL),
                             NULL);
    return APR_SUCCESS;
}

static json_t *recap_counters(nxs_render_t *r, const nxs_recap_t *recap)
{
    const struct {
        nxs_text_e label;
        int value;
    } counters[] = {
        {NXS_T_RECAP_PAYMENTS, recap->payments},
        {NXS_T_RECAP_FAILED_PAYMENTS, recap->failed_payments},
        {NXS_T_RECAP_NEW_LEADS, recap->new_leads},
        {NXS_T_RECAP_QUOTES_SENT, recap->quotes_sent},
        {NXS_T_RECAP_QUOTES_ACCEPTED, recap->quotes_accepted},
        {NXS_T_RECAP_APPOINTMENTS_BOOKED, recap->appointments_booked},
    };
    json_t *fields = json_array();

    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        json_array_append_new(
            fields,
            json_pack("{s:s, s:s, s:b}", "type", "mrkdwn", "text",
                      apr_psprintf(r->p, "*%s*\n%s", nxs_l10n_text(r->l10n, counters[i].label),
                                   nxs_l10n_number(r->l10n, counters[i].value, r->p)),
                      "verbatim", 1));
    }
    return json_pack("{s:s, s:o}", "type", "section", "fields", fields);
}

static int recap_counts_valid(const nxs_recap_t *recap)
{
    return recap->payments >= 0 && recap->failed_payments >= 0 && recap->new_leads >= 0 &&
           recap->quotes_sent >= 0 && recap->quotes_accepted >= 0 &&
           recap->appointments_booked >= 0 && recap->money_count >= 0 &&
           (recap->money || recap->money_count == 0);
}

/* Revenue per currency: the section's line, the context's breakdown. */
static apr_status_t recap_revenue(const char **line, const char **breakdown, nxs_render_t *r,
                                  const nxs_recap_t *recap)
{
    apr_array_header_t *nets = apr_array_make(r->p, 4, sizeof(const char *));
    apr_array_header_t *parts = apr_array_make(r->p, 4, sizeof(const char *));
    const char *net = NULL, *how = NULL;
    apr_status_t rv;
    int i;

    for (i = 0; i < recap->money_count && i < RECAP_MAX_CURRENCIES; i++) {
        if ((rv = recap_money(&net, &how, r, &recap->money[i])) != APR_SUCCESS) {
            return rv;
        }
        APR_ARRAY_PUSH(nets, const char *) = net;
        APR_ARRAY_PUSH(parts, const char *) = how;
    }
    if (recap->money_count > i) {
        APR_ARRAY_PUSH(nets, const char *) =
            nxs_l10n_plural(r->l10n, r->p, NXS_P_MORE, recap->money_count - i, NULL);
    }
    *line = nxs_l10n_format(r->l10n, r->p, NXS_T_DETAIL_LINE, "label",
                            nxs_l10n_text(r->l10n, NXS_T_RECAP_REVENUE), "value",
                            nets->nelts ? nxs_render_join(nets, NXS_RENDER_SEPARATOR, r->p)
                                        : nxs_l10n_text(r->l10n, NXS_T_RECAP_NO_REVENUE),
                            NULL);
    *breakdown = nxs_render_join(parts, "\n", r->p);
    return APR_SUCCESS;
}

apr_status_t nxs_render_recap(json_t **msg, const char **why, const nxs_recap_t *recap,
                              const nxs_render_settings_t *s, apr_pool_t *p)
{
    nxs_render_t r;
    const char *title, *line, *breakdown, *label, *url;
    json_t *blocks;
    int y, m, d;
    apr_status_t rv;

    *msg = NULL;
    if ((rv = nxs_render_begin(&r, s, p)) != APR_SUCCESS) {
        goto leave;
    }
    if (!recap || nxs_time_parse_date(&y, &m, &d, recap->day) != APR_SUCCESS) {
        rv = nxs_render_fail(&r, "day: a date such as \"2026-11-27\"");
        goto leave;
    }
    if (!recap_counts_valid(recap)) {
        rv = nxs_render_fail(&r, "counts: zero or more");
        goto leave;
    }
    if ((rv = recap_revenue(&line, &breakdown, &r, recap)) != APR_SUCCESS) {
        goto leave;
    }
    title = nxs_l10n_format(r.l10n, p, NXS_T_TITLE_WITH_DETAIL, "title",
                            nxs_l10n_text(r.l10n, NXS_T_TITLE_RECAP), "detail",
                            nxs_l10n_day(r.l10n, y, m, d, 1, p), NULL);
    blocks = json_array();
    json_array_append_new(blocks, nxs_render_header(&r, ICON_RECAP, title));
    json_array_append_new(blocks, nxs_render_section(nxs_render_mentioned(&r, line), p));
    if (*breakdown) {
        json_array_append_new(blocks, nxs_render_context(breakdown, p));
    }
    json_array_append_new(blocks, recap_counters(&r, recap));
    if ((url = nxs_render_record_url(&r, NULL, NULL, NULL, "/dashboard", &label)) != NULL) {
        json_array_append_new(
            blocks, json_pack("{s:s, s:s, s:[o]}", "type", "actions", "block_id", NXS_BLOCK_ACTIONS,
                              "elements",
                              nxs_render_button(nxs_l10n_text(r.l10n, NXS_T_BUTTON_DASHBOARD), url,
                                                NXS_ACTION_OPEN_RECORD, p)));
    }
    *msg = nxs_render_message(blocks,
                              nxs_render_mentioned(&r, apr_pstrcat(p, ICON_RECAP " ", title,
                                                                   " \xE2\x80\x94 ", line, NULL)),
                              p);
leave:
    *why = r.why;
    return rv;
}

static apr_status_t read_count(int *out, const char **why, const json_t *json, const char *key)
{
    const json_t *v = json_object_get(json, key);

    *out = 0;
    if (!v) {
        return APR_SUCCESS;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000) {
        *why = key;
        return APR_EINVAL;
    }
    *out = (int)json_integer_value(v);
    return APR_SUCCESS;
}

apr_status_t nxs_render_recap_read(nxs_recap_t **precap, const char **why, const json_t *json,
                                   apr_pool_t *p)
{
    nxs_recap_t *recap = apr_pcalloc(p, sizeof(*recap));
    const json_t *money = json_object_get(json, "money");
    nxs_recap_money_t *m;
    const char *field = "money";
    size_t i;

    *precap = NULL;
    *why = NULL;
    if (!json_is_object(json) || !(recap->day = nxs_json_path_str(json, "day"))) {
        *why = "day: required";
        return APR_EINVAL;
    }
    if (money && !json_is_array(money)) {
        goto bad;
    }
    recap->money_count = (int)json_array_size(money);
    recap->money = m = apr_pcalloc(p, sizeof(*m) * (json_array_size(money) + 1));
    for (i = 0; i < json_array_size(money); i++) {
        m[i].currency = nxs_json_path_str(json_array_get(money, i), "currency");
        m[i].paid = nxs_json_path_str(json_array_get(money, i), "paid");
        m[i].renewals = nxs_json_path_str(json_array_get(money, i), "renewals");
        m[i].refunds = nxs_json_path_str(json_array_get(money, i), "refunds");
    }
    if (read_count(&recap->payments, &field, json, "payments") ||
        read_count(&recap->failed_payments, &field, json, "failed_payments") ||
        read_count(&recap->new_leads, &field, json, "new_leads") ||
        read_count(&recap->quotes_sent, &field, json, "quotes_sent") ||
        read_count(&recap->quotes_accepted, &field, json, "quotes_accepted") ||
        read_count(&recap->appointments_booked, &field, json, "appointments_booked")) {
        goto bad;
    }
    *precap = recap;
    return APR_SUCCESS;
bad:
    *why = apr_psprintf(p, "%s: %s", field,
                        strcmp(field, "money") == 0 ? "an array of {currency, paid, renewals, "
                                                      "refunds}"
                                                    : "a whole number, zero or more");
    return APR_EINVAL;
}
