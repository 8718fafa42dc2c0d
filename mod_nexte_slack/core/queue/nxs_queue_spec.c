/* Validation of NexteSlackQueue's DBM type against what apr-util offers. */
#include "queue/nxs_queue_spec.h"

#include <apr_dbm.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

apr_status_t nxs_queue_type_check(const char **canon, const char **why, const char *type,
                                  apr_pool_t *p)
{
    const char *used1 = NULL, *used2 = NULL;
    char *upper = apr_pstrdup(p, type);
    char *c;
    apr_status_t rv;

    for (c = upper; *c; ++c) {
        *c = (char)apr_toupper(*c);
    }
    if (strcmp(upper, "SDBM") == 0) {
        *why = "GDBM or DB (SDBM limits each record to 1008 bytes, smaller than a message)";
        return APR_EINVAL;
    }
    if (strcmp(upper, "GDBM") != 0 && strcmp(upper, "DB") != 0) {
        *why = "GDBM or DB";
        return APR_EINVAL;
    }
    /* apr_dbm answers APR_ENOTIMPL for a type this apr-util was built without
     * (the driver DSO, e.g. apr_dbm_gdbm-1.so, is loaded on demand). */
    rv = apr_dbm_get_usednames_ex(p, upper, "/nonexistent/probe", &used1, &used2);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "a DBM type this apr-util provides (%s: %pm)", upper, &rv);
        return rv;
    }
    *canon = upper;
    return APR_SUCCESS;
}
