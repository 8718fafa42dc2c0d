/* Notifications to Nexte core at NexteSlackCallbackURL (broken connections,
 * clicks), signed like events: X-Nexte-Timestamp + X-Nexte-Signature. */
#ifndef NXS_CALLBACK_H
#define NXS_CALLBACK_H

#include <apr_pools.h>
#include <jansson.h>

/* POSTs BODY to URL, signed with SECRET; up to ATTEMPTS tries with a short
 * pause between them.  APR_SUCCESS once Nexte core answered 2xx. */
apr_status_t nxs_callback_post(const char *url, const char *secret, apr_size_t secret_len,
                               const json_t *body, int attempts, apr_pool_t *p);

#endif
