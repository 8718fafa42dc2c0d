/* Slack interaction requests (docs/CONTRACT.md "Interactions"): the form-encoded body Slack POSTs
 * when someone clicks a button, decoded into what the handler needs.  The
 * signature is checked before this is called (nxs_sign_slack_verify). */
#ifndef NXS_INTERACTION_PAYLOAD_H
#define NXS_INTERACTION_PAYLOAD_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

typedef struct nxs_interaction_t {
    const char *type; /* "block_actions", "view_submission", ... */
    const char *team_id;
    const char *user_id;
    const char *user_name;    /* user.username, else user.name; may be NULL */
    const char *channel_id;   /* NULL when the click was not on a channel message */
    const char *message_ts;   /* container.message_ts, else message.ts; may be NULL */
    const char *response_url; /* may be NULL */
    const char *action_id;    /* of the first action; NULL without actions */
    const char *value;        /* of the first action; may be NULL (URL buttons) */
    const char *action_ts;
    json_t *payload; /* the whole payload (pool-owned) */
} nxs_interaction_t;

/* Decodes BODY (application/x-www-form-urlencoded, one "payload" field
 * holding JSON).  APR_EINVAL with *why one of: no_payload (no such field,
 * or twice), malformed_payload (bad percent-encoding, a NUL byte, not a
 * JSON object), missing_type.  Other fields are read when present: which
 * ones a type needs is the caller's business. */
apr_status_t nxs_interaction_parse(nxs_interaction_t *ix, const char **why, const char *body,
                                   apr_size_t len, apr_pool_t *p);

#endif
