/* Shared by the interactions handler (checks and dispatch) and the "Mark
 * as handled" action it runs. */
#ifndef NXS_HANDLE_INTERACTIONS_H
#define NXS_HANDLE_INTERACTIONS_H

#include <httpd.h>

#include "cfg/nxs_config.h"
#include "store/nxs_db.h"
#include "slack/nxs_interaction_payload.h"

/* Counts what became of an interaction in the interaction counters
 * (counters.interactions of the status): a click when IX is one (a
 * block_actions payload with an action; IX NULL before the payload is
 * read), REFUSED the error code of a 4xx answer or NULL, HANDLED 1 when the
 * click marked its message handled first, CALLBACK "started", "done" or
 * "failed" for that message's report to Nexte core, or NULL.
 *
 * The counters live in the delivery daemon (core/nxs_metrics.h), so that
 * every httpd child adds to the same ones: this sends it one frame
 * {"op":"interaction", ...} on its socket, from the request's thread,
 * without waiting for a daemon that is not listening (the count is then
 * lost, never the interaction).  Thread safety: any request thread; the
 * daemon's counters have their own mutex. */
void nxs_interaction_count(request_rec *r, const nxs_interaction_t *ix, const char *refused,
                           int handled, const char *callback);

/* Answers a refused interaction (a 4xx that changes nothing), logs its
 * CODE at info level and counts it (with the click when IX is one).
 * Returns OK. */
int nxs_interaction_refuse(request_rec *r, const nxs_interaction_t *ix, int status,
                           const char *code, const char *message);

/* "Mark as handled" on a verified click IX: checks it against the stored
 * delivery, records the first handler, answers Slack 200 at once, then
 * replaces the buttons (chat.update, else response_url) and, for the first
 * handler only, reports to NexteSlackCallbackURL.  Returns the handler's
 * status (OK once answered). */
int nxs_interaction_mark_handled(request_rec *r, const nxs_server_conf_t *c, nxs_db_t *db,
                                 const nxs_interaction_t *ix);

#endif
