/* nexte-slack-interactions: the Request URL of the Slack app's
 * Interactivity (docs/CONTRACT.md "Interactions").  Nothing of a request is looked at before its
 * signature is verified over the raw body: method (405) and size (413)
 * first, then X-Slack-Signature (401), then replay (409), media type
 * (415), the payload (400), and the action.  Every refusal is a 4xx with a
 * JSON {"error", "message"} and changes nothing but the interaction
 * counters, which count clicks and refusals by code. */
#include "nxs_handlers.h"

#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>

#include "handle/nxs_daemon_client.h"
#include "handle/nxs_request.h"
#include "handle/nxs_handle_interactions.h"
#include "handle/nxs_reply.h"
#include "nxs_dbd.h"
#include "render/nxs_render.h"
#include "security/nxs_sign.h"
#include "store/nxs_store.h"

APLOG_USE_MODULE(nexte_slack);

/* Slack's payloads carry the clicked message; ours are a few KB. */
#define NXS_INTERACTION_BODY_MAX (128 * 1024)
/* A signature is remembered a little longer than the 5-minute window in
 * which it could be accepted at all. */
#define NXS_REPLAY_KEEP 360

void nxs_interaction_count(request_rec *r, const nxs_interaction_t *ix, const char *refused,
                           int handled, const char *callback)
{
    json_t *frame = json_pack("{s:s}", "op", "interaction");

    if (ix && ix->type && strcmp(ix->type, "block_actions") == 0 && ix->action_id) {
        json_object_set_new(frame, "click", json_true());
    }
    if (refused) {
        json_object_set_new(frame, "refused", json_string(refused));
    }
    if (handled) {
        json_object_set_new(frame, "handled", json_true());
    }
    if (callback) {
        json_object_set_new(frame, "callback", json_string(callback));
    }
    nxs_daemon_request(r, nxs_config_get(r->server), frame, 0);
}

int nxs_interaction_refuse(request_rec *r, const nxs_interaction_t *ix, int status,
                           const char *code, const char *message)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "Slack interaction refused: %s", code);
    nxs_interaction_count(r, ix, code, 0, NULL);
    return nxs_reply_error(r, status, code, message);
}

/* 409 when this exact signed request was accepted before. */
static int refuse_replay(request_rec *r, nxs_db_t *db)
{
    const char *sig = apr_table_get(r->headers_in, "X-Slack-Signature");
    int first = 0;

    if (nxs_store_once(&first, db, apr_pstrcat(r->pool, "slack:", sig, NULL),
                       apr_time_sec(r->request_time) + NXS_REPLAY_KEEP, r->pool) != APR_SUCCESS) {
        return nxs_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                               "the settings store failed");
    }
    if (!first) {
        return nxs_interaction_refuse(r, NULL, HTTP_CONFLICT, "replayed_request",
                                      "this signed request was already received");
    }
    return DECLINED;
}

static int dispatch(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                    const nxs_interaction_t *ix)
{
    if (strcmp(ix->type, "block_actions") != 0) {
        return nxs_interaction_refuse(
            r, ix, HTTP_BAD_REQUEST, "unknown_payload_type",
            apr_psprintf(r->pool, "payload type %s is not handled here", ix->type));
    }
    if (!ix->action_id) {
        return nxs_interaction_refuse(r, ix, HTTP_BAD_REQUEST, "missing_action",
                                      "the payload has no action");
    }
    /* URL buttons open the link in the browser; Slack still tells the app,
     * and wants only a 200. */
    if (strncmp(ix->action_id, NXS_ACTION_OPEN_RECORD, strlen(NXS_ACTION_OPEN_RECORD)) == 0) {
        nxs_interaction_count(r, ix, NULL, 0, NULL);
        return nxs_reply_text(r, HTTP_OK, "text/plain", "");
    }
    if (strcmp(ix->action_id, NXS_ACTION_HANDLED) == 0) {
        return nxs_interaction_mark_handled(r, c, db, ix);
    }
    return nxs_interaction_refuse(r, ix, HTTP_BAD_REQUEST, "unknown_action",
                                  apr_psprintf(r->pool, "action %s is not one of this app's",
                                               ap_escape_logitem(r->pool, ix->action_id)));
}

int nxs_handle_interactions(request_rec *r)
{
    const nxs_server_conf_t *c = nxs_config_get(r->server);
    const char *body = NULL, *why = NULL, *ct;
    apr_size_t len = 0;
    nxs_interaction_t ix;
    nxs_db_t *db;
    apr_status_t rv;
    int rc;

    if ((rc = nxs_reply_unless_method(r, "POST")) != DECLINED) {
        nxs_interaction_count(r, NULL, "method_not_allowed", 0, NULL);
        return rc;
    }
    if ((rc = nxs_request_body_or_refuse(&body, &len, r, NXS_INTERACTION_BODY_MAX,
                                         "an interaction body is at most 128 KiB")) != DECLINED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "Slack interaction refused: status %d",
                      r->status);
        nxs_interaction_count(r, NULL,
                              r->status == HTTP_REQUEST_ENTITY_TOO_LARGE ? "too_large" : "bad_body",
                              0, NULL);
        return rc;
    }
    rv = nxs_sign_slack_verify(&why, c->signing_secret.value, c->signing_secret.len,
                               apr_table_get(r->headers_in, "X-Slack-Request-Timestamp"),
                               apr_table_get(r->headers_in, "X-Slack-Signature"), body, len,
                               r->request_time, r->pool);
    if (rv != APR_SUCCESS) {
        if (rv != APR_EACCES) {
            return nxs_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                   "the signature could not be checked");
        }
        return nxs_interaction_refuse(
            r, NULL, HTTP_UNAUTHORIZED, why,
            "X-Slack-Request-Timestamp / X-Slack-Signature are missing, stale or "
            "wrong");
    }
    if (!(db = nxs_dbd_acquire(r))) {
        return nxs_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                               "the settings store cannot be reached");
    }
    if ((rc = refuse_replay(r, db)) != DECLINED) {
        return rc;
    }
    ct = apr_table_get(r->headers_in, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        return nxs_interaction_refuse(r, NULL, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                      "unsupported_media_type",
                                      "Slack sends application/x-www-form-urlencoded");
    }
    if (nxs_interaction_parse(&ix, &why, body, len, r->pool) != APR_SUCCESS) {
        return nxs_interaction_refuse(r, NULL, HTTP_BAD_REQUEST, why,
                                      "the body is not a Slack interaction payload");
    }
    return dispatch(r, c, db, &ix);
}
