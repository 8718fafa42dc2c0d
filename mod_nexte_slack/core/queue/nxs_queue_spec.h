/* The NexteSlackQueue setting: which apr_dbm type persists the delivery
 * queue, and where.  Only the choice is validated here; the queue itself
 * lives elsewhere. */
#ifndef NXS_QUEUE_SPEC_H
#define NXS_QUEUE_SPEC_H

#include <apr_errno.h>
#include <apr_pools.h>

#define NXS_QUEUE_DEFAULT_TYPE "GDBM"
#define NXS_QUEUE_DEFAULT_FILE "nexte_slack_queue"

/* Checks that TYPE names an apr_dbm type that this apr-util provides and that
 * can hold queue records.  SDBM is refused: its 1008-byte limit per key+value
 * pair is smaller than a rendered Block Kit message.  Returns the canonical
 * upper-case name in *canon, or APR_EINVAL / APR_ENOTIMPL with *why set. */
apr_status_t nxs_queue_type_check(const char **canon, const char **why, const char *type,
                                  apr_pool_t *p);

#endif
