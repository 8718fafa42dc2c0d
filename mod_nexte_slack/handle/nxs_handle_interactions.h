/* Shared by the interactions handler (checks and dispatch) and the "Mark
 * as handled" action it runs. */
#ifndef NXS_HANDLE_INTERACTIONS_H
#define NXS_HANDLE_INTERACTIONS_H

#include <httpd.h>

#include "cfg/nxs_config.h"
#include "store/nxs_db.h"
#include "slack/nxs_interaction_payload.h"

/* Answers a refused interaction (a 4xx that changes nothing) and logs its
 * CODE at info level.  Returns OK. */
int nxs_interaction_refuse(request_rec *r, int status, const char *code, const char *message);

/* "Mark as handled" on a verified click IX: checks it against the stored
 * delivery, records the first handler, answers Slack 200 at once, then
 * replaces the buttons (chat.update, else response_url) and, for the first
 * handler only, reports to NexteSlackCallbackURL.  Returns the handler's
 * status (OK once answered). */
int nxs_interaction_mark_handled(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                                 const nxs_interaction_t *ix);

#endif
