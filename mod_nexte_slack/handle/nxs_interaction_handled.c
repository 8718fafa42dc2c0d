/* "Mark as handled" (docs/CONTRACT.md "Interactions").  What is trusted comes from the store: the
 * click only names a delivery (the button's value) and who clicked; the
 * team and channel it came from must be the delivery's.  The first click
 * is recorded (one row update wins a race); every click, the first or a
 * later one by anyone, makes the message show the first handler.
 *
 * Slack wants an answer within 3 s, so the 200 is flushed to Slack as soon
 * as the click is recorded; counting it, the Slack update and the report
 * to Nexte core (with its retries) run after it on this request's
 * thread. */
#include "handle/nxs_handle_interactions.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>

#include "handle/nxs_reply.h"
#include "nxs_callback.h"
#include "nxs_json.h"
#include "nxs_log.h"
#include "nxs_url.h"
#include "render/nxs_render.h"
#include "slack/nxs_slack.h"
#include "store/nxs_store.h"
#include "slack/nxs_token.h"

APLOG_USE_MODULE(nexte_slack);

#define SLACK_TIMEOUT     apr_time_from_sec(5)
#define CALLBACK_ATTEMPTS 3

static nxs_render_settings_t settings_of(const nxs_account_t *a)
{
    nxs_render_settings_t s;

    memset(&s, 0, sizeof(s));
    s.locale = a ? a->locale : NULL;
    s.timezone = a ? a->timezone : NULL;
    s.currency = a ? a->currency : NULL;
    return s;
}

/* The bot token of the delivery's workspace, or NULL (disconnected since,
 * or its token unusable): the update then goes through response_url. */
static const char *token_of(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                            const nxs_delivery_t *d)
{
    nxs_slack_app_t app = {c->api_base, c->client_id, c->client_secret.value, c->token_key};
    const char *token = NULL, *error = NULL;

    if (nxs_token_for_team(&token, &error, db, d->account_id, d->team_id, &app,
                           apr_time_sec(apr_time_now()), r->pool) != APR_SUCCESS) {
        error = error ? error : "unknown";
        /* Gone or unreadable workspaces are not news; a broken token is. */
        if (strcmp(error, "not_connected") != 0 && strcmp(error, "store_unavailable") != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "account %s, team %s: no usable token (%s)", d->account_id, d->team_id,
                          error);
        }
        token = NULL;
    }
    return token;
}

/* Shows the handler on the message: chat.update with the bot token, and
 * when that fails, the click's response_url. */
static void update_message(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                           const nxs_delivery_t *d, json_t *msg, const char *response_url)
{
    const char *token = token_of(r, c, db, d);
    nxs_slack_result_t res;

    memset(&res, 0, sizeof(res));
    res.error = "no_token";
    if (token) {
        nxs_slack_auth_t auth = {token, NULL, NULL};
        json_t *update = json_deep_copy(msg);
        json_object_set_new(update, "channel", json_string(d->channel_id));
        json_object_set_new(update, "ts", json_string(d->message_ts));
        nxs_slack_call(&res, c->api_base, "chat.update", &auth, NULL,
                       nxs_json_dump(nxs_json_own(update, r->pool), JSON_COMPACT, r->pool),
                       SLACK_TIMEOUT, r->pool);
        if (!res.error) {
            return;
        }
    }
    if (!response_url) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "delivery %s: chat.update failed (%s) and the click has no response_url",
                      d->delivery_id, res.error);
        return;
    }
    /* A response_url is a credential for one message, and this server must
     * never be made to post a message elsewhere: only Slack's own hooks
     * (NexteSlackResponseURLBase). */
    if (!nxs_url_is_under(response_url, c->response_url_base)) {
        NXS_LOG(NXS_LOG_WARNING, 0, "NXS00152",
                "delivery %s: chat.update failed (%s) and the click's response_url is not below "
                "%s (NexteSlackResponseURLBase); the message is not updated",
                d->delivery_id, res.error, c->response_url_base);
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "delivery %s: chat.update failed (%s); updating through response_url",
                  d->delivery_id, res.error);
    json_object_set_new(msg, "replace_original", json_true());
    nxs_slack_respond(&res, response_url, nxs_json_dump(msg, JSON_COMPACT, r->pool), SLACK_TIMEOUT,
                      r->pool);
    if (res.error) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "delivery %s: the message could not be updated (response_url: %s)",
                      d->delivery_id, res.error);
    }
}

/* Tells Nexte core, signed and with retries, who handled the event (the
 * caller counted the report as started when there is a callback URL). */
static void report(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                   const nxs_delivery_t *d)
{
    json_t *record = NULL, *body;
    const char *why = NULL;

    if (!c->callback_url) {
        return;
    }
    if (!d->record_json || !*d->record_json ||
        nxs_json_load(&record, &why, d->record_json, strlen(d->record_json), r->pool) !=
            APR_SUCCESS) {
        record = NULL;
    }
    body = nxs_json_own(
        json_pack("{s:s, s:s, s:s, s:s, s:O?, s:{s:s, s:s?, s:s}, s:{s:s, s:s}, s:I}", "type",
                  "slack.message_handled", "account_id", d->account_id, "event_id", d->event_id,
                  "delivery_id", d->delivery_id, "record", record, "handled_by", "slack_user_id",
                  d->handled_by, "slack_user_name", d->handled_name, "team_id", d->team_id,
                  "message", "channel_id", d->channel_id, "ts", d->message_ts, "handled_at",
                  (json_int_t)d->handled_at),
        r->pool);
    if (nxs_callback_post(c->callback_url, c->event_secret.value, c->event_secret.len, body,
                          CALLBACK_ATTEMPTS, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "delivery %s: NexteSlackCallbackURL did not take the handled report after "
                      "%d tries",
                      d->delivery_id, CALLBACK_ATTEMPTS);
        nxs_interaction_count(r, NULL, NULL, 0, "failed");
        return;
    }
    nxs_interaction_count(r, NULL, NULL, 0, "done");
    nxs_store_delivery_reported(db, d->delivery_id, apr_time_sec(apr_time_now()), r->pool);
}

/* An answer to the click IX that is not a refusal (the store or the
 * rendering failed): counted as a click all the same. */
static int fail(request_rec *r, const nxs_interaction_t *ix, int status, const char *code,
                const char *message)
{
    nxs_interaction_count(r, ix, NULL, 0, NULL);
    return nxs_reply_error(r, status, code, message);
}

/* 400 naming the first field of the click that is missing. */
static int missing_field(request_rec *r, const nxs_interaction_t *ix)
{
    const char *field = !nxs_render_delivery_id_ok(ix->value) ? "actions[0].value"
                        : !ix->team_id                        ? "team.id"
                        : !ix->user_id                        ? "user.id"
                        : !ix->channel_id                     ? "channel.id"
                                                              : NULL;
    if (!field) {
        return DECLINED;
    }
    return nxs_interaction_refuse(r, ix, HTTP_BAD_REQUEST, "invalid_field",
                                  apr_pstrcat(r->pool, field, " is missing or malformed", NULL));
}

/* The message with the handler shown, rendered in the account's language. */
static apr_status_t render(json_t **msg, const char **why, const nxs_delivery_t *d,
                           const char *user, apr_int64_t at, const nxs_account_t *a, apr_pool_t *p)
{
    nxs_render_settings_t s = settings_of(a);
    return nxs_render_handled(msg, why, d->message_json, user, apr_time_from_sec(at), &s, p);
}

int nxs_interaction_mark_handled(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                                 const nxs_interaction_t *ix)
{
    apr_int64_t now = apr_time_sec(r->request_time);
    nxs_delivery_t *d = NULL;
    nxs_account_t *a = NULL;
    json_t *msg = NULL;
    const char *why = NULL;
    int rc, first = 0;

    if ((rc = missing_field(r, ix)) != DECLINED) {
        return rc;
    }
    if (nxs_store_delivery_get(&d, db, ix->value, r->pool) != APR_SUCCESS ||
        (d && nxs_store_account_get(&a, db, d->account_id, r->pool) != APR_SUCCESS)) {
        return fail(r, ix, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                    "the settings store failed");
    }
    if (!d) {
        return nxs_interaction_refuse(
            r, ix, HTTP_NOT_FOUND, "unknown_delivery",
            "no message with this id was posted (or it is older than 90 days)");
    }
    if (strcmp(d->team_id, ix->team_id) != 0 || strcmp(d->channel_id, ix->channel_id) != 0 ||
        (ix->message_ts && strcmp(d->message_ts, ix->message_ts) != 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "click on delivery %s from team %s, channel %s: it was posted to team "
                      "%s, channel %s",
                      d->delivery_id, ix->team_id, ix->channel_id, d->team_id, d->channel_id);
        return nxs_interaction_refuse(r, ix, HTTP_FORBIDDEN, "delivery_mismatch",
                                      "this message was not posted where the click came from");
    }
    /* Rendered once before anything is recorded: a user id that is not
     * Slack's is refused here, not after the row is written. */
    if (render(&msg, &why, d, ix->user_id, now, a, r->pool) != APR_SUCCESS) {
        return nxs_interaction_refuse(r, ix, HTTP_BAD_REQUEST, "invalid_field",
                                      apr_pstrcat(r->pool, "cannot show the handler: ", why, NULL));
    }
    if (nxs_store_delivery_handle(&first, db, d->delivery_id, ix->user_id, ix->user_name, now,
                                  r->pool) != APR_SUCCESS) {
        return fail(r, ix, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                    "the settings store failed");
    }
    if (first) {
        d->handled_by = ix->user_id;
        d->handled_name = ix->user_name;
        d->handled_at = now;
    } else {
        /* Someone was first: show them, as the store has them. */
        if (nxs_store_delivery_get(&d, db, ix->value, r->pool) != APR_SUCCESS || !d ||
            !d->handled_by) {
            return fail(r, ix, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                        "the settings store failed");
        }
        if (render(&msg, &why, d, d->handled_by, d->handled_at, a, r->pool) != APR_SUCCESS) {
            return fail(r, ix, HTTP_INTERNAL_SERVER_ERROR, "internal_error", why);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "delivery %s marked handled by %s%s",
                  d->delivery_id, d->handled_by, first ? "" : " (earlier click)");

    /* Slack has its answer now; the rest must not hold it, counting
     * included. */
    nxs_reply_text(r, HTTP_OK, "text/plain", "");
    ap_rflush(r);
    nxs_interaction_count(r, ix, NULL, first, first && c->callback_url ? "started" : NULL);
    update_message(r, c, db, d, msg, ix->response_url);
    if (first) {
        report(r, c, db, d);
    }
    return OK;
}
