/* Shared between the nxs_render*.c files only: the state of one rendering
 * and the block builders every message uses. */
#ifndef NXS_RENDER_INT_H
#define NXS_RENDER_INT_H

#include <apr_tables.h>
#include <apr_time.h>

#include "event/nxs_event.h"
#include "l10n/nxs_l10n.h"
#include "l10n/nxs_l10n_catalog.h"
#include "nxs_decimal.h"
#include "nxs_time.h"
#include "render/nxs_render.h"

/* How much of each user string a message keeps, in characters.  The sums
 * stay under the limits of the blocks they go into, so that a block is
 * cut only in the rare case many long values meet. */
#define NXS_FIELD_NAME    100  /* client, project, people, titles */
#define NXS_FIELD_REF     64   /* record numbers and ids */
#define NXS_FIELD_VALUE   300  /* reasons, methods, e-mail addresses, ... */
#define NXS_FIELD_MESSAGE 1500 /* a lead's message, an integration's error */

/* Between the parts of a context line: " · ". */
#define NXS_RENDER_SEPARATOR " \xC2\xB7 "

typedef struct nxs_render_t {
    apr_pool_t *p;
    const nxs_render_settings_t *s;
    nxs_l10n_t *l10n;
    const char *why; /* what is wrong with the input, on APR_EINVAL */
    /* The event being rendered. */
    const json_t *ev;
    nxs_event_type_e type;
    apr_time_t occurred_at;
    /* What the type's template made of it. */
    const char *icon;
    const char *title;           /* escaped, not yet cut */
    apr_array_header_t *details; /* mrkdwn lines */
    const char *quote;           /* escaped multi-line text, or NULL */
    const char *amount;          /* formatted for the context line, or NULL */
    /* What the record button opens: record.url when usable, else the app's
     * page for kind + id, else PATH in the app.  Preset from "record". */
    const char *kind;
    const char *id;
    const char *url;
    const char *path;
} nxs_render_t;

/* Checks the settings and opens the localisation. */
apr_status_t nxs_render_begin(nxs_render_t *r, const nxs_render_settings_t *s, apr_pool_t *p);

/* Reads EVENT's common fields and runs its type's template on R. */
apr_status_t nxs_render_prepare(nxs_render_t *r, const json_t *event);

/* The template of R->type: fills icon, title, details, quote, amount, kind
 * and path (nxs_render_templates.c). */
apr_status_t nxs_render_template(nxs_render_t *r);

/* The icon of TYPE's messages ("💰"), or NULL for a type without one. */
const char *nxs_render_icon(nxs_event_type_e type);

/* Records why the input is refused; returns APR_EINVAL. */
apr_status_t nxs_render_fail(nxs_render_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The string at PATH of the event, escaped for one line and cut to MAX;
 * NULL when absent or blank. */
const char *nxs_render_field(nxs_render_t *r, const char *path, apr_size_t max);

/* Adds "*label:* value" to the details when VALUE is not NULL. */
void nxs_render_detail(nxs_render_t *r, nxs_text_e label, const char *value);

/* How nxs_render_amount signs an amount. */
#define NXS_AMOUNT_AS_IS 0
#define NXS_AMOUNT_OUT   1 /* money going out: always negative */
#define NXS_AMOUNT_ABS   2 /* the magnitude alone */

/* Formats the event's amount {value, currency} (the account's currency
 * when it has none), escaped.  *out is NULL when the event has none. */
apr_status_t nxs_render_amount(const char **out, nxs_render_t *r, int sign);

/* PARTS (const char *) joined by SEP. */
const char *nxs_render_join(const apr_array_header_t *parts, const char *sep, apr_pool_t *p);

/* A Slack date token for T ("<!date^…^{date_short_pretty} at {time}|Nov
 * 28, 2026, 9:59 AM GMT+1>"), or with TIME_ONLY just the time of day. */
const char *nxs_render_date(nxs_render_t *r, apr_time_t t, int time_only);

/* TEXT after the account's mention ("<!here> TEXT"), or TEXT alone. */
const char *nxs_render_mentioned(const nxs_render_t *r, const char *text);

/* True when URL is plainly an absolute http(s) URL Slack takes in a button:
 * at most NXS_LIMIT_URL, no spaces, controls, non-ASCII, "<", ">", '"' or "|". */
int nxs_render_url_usable(const char *url);

/* The URL and label of the button that opens KIND/ID (see RENDERING.md
 * for the path scheme); RECORD_URL wins when usable.  NULL without any. */
const char *nxs_render_record_url(nxs_render_t *r, const char *record_url, const char *kind,
                                  const char *id, const char *path, const char **label);

/* Block builders; texts are escaped already and are cut here. */
json_t *nxs_render_header(nxs_render_t *r, const char *icon, const char *title);
json_t *nxs_render_section(const char *mrkdwn, apr_pool_t *p);
json_t *nxs_render_context(const char *mrkdwn, apr_pool_t *p);
json_t *nxs_render_button(const char *label, const char *url, const char *action_id, apr_pool_t *p);

/* The chat.postMessage body: BLOCKS (stolen) and the TEXT fallback. */
json_t *nxs_render_message(json_t *blocks, const char *text, apr_pool_t *p);

#endif
