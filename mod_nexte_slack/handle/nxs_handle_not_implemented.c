/* The one placeholder the foundation allows: handlers whose feature has not
 * landed yet answer a JSON 501 so that a deployment fails loudly, not
 * silently.  Each is replaced by its real handler when its issue lands. */
#include "nxs_handlers.h"

#include <apr_strings.h>

#include "nxs_respond.h"

int nxs_handle_not_implemented(request_rec *r)
{
    return nxs_respond_error(r, HTTP_NOT_IMPLEMENTED, "not_implemented",
                             apr_psprintf(r->pool, "%s is not implemented in this version",
                                          r->handler));
}
