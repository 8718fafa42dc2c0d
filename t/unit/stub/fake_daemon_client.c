/* Fake of mod_nexte_slack/handle/nxs_daemon_client.c for the glue unit
 * tests (see nxs_fakes.h): no socket; each request is recorded and answered
 * with the reply the test set, or with NULL as an unreachable daemon is. */
#include "nxs_fakes.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "handle/nxs_daemon_client.h"
#include "nxs_json.h"

static const char *reply_text;
static char last_request[4096];
static char all_requests[16384];
static int requests;

void nxs_fake_daemon_reset(void)
{
    reply_text = NULL;
    last_request[0] = '\0';
    all_requests[0] = '\0';
    requests = 0;
}

void nxs_fake_daemon_reply(const char *reply_json)
{
    reply_text = reply_json;
}

int nxs_fake_daemon_requests(void)
{
    return requests;
}

const char *nxs_fake_daemon_last_request(void)
{
    return last_request;
}

const char *nxs_fake_daemon_all_requests(void)
{
    return all_requests;
}

json_t *nxs_daemon_request(request_rec *r, const nxs_server_conf_t *c, json_t *request,
                           apr_interval_time_t wait)
{
    char *dump = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *reply = NULL;
    const char *why = NULL;

    ++requests;
    apr_cpystrn(last_request, dump ? dump : "", sizeof(last_request));
    if (strlen(all_requests) + strlen(last_request) + 2 < sizeof(all_requests)) {
        strcat(all_requests, *all_requests ? "\n" : "");
        strcat(all_requests, last_request);
    }
    free(dump);
    /* Like the real client, the request is consumed. */
    json_decref(request);
    if (!reply_text ||
        nxs_json_load(&reply, &why, reply_text, strlen(reply_text), r->pool) != APR_SUCCESS) {
        return NULL;
    }
    return reply;
}
