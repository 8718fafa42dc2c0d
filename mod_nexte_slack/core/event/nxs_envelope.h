/* The event envelope Nexte core posts (docs/CONTRACT.md "Events"): parsed and checked field
 * by field, so that a 422 can say exactly which field breaks the contract.
 * Unknown extra fields are ignored, so Nexte can add fields freely. */
#ifndef NXS_ENVELOPE_H
#define NXS_ENVELOPE_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

typedef struct nxs_envelope_t {
    const char *id;   /* idempotency key within the account */
    const char *type; /* from the catalog */
    const char *account_id;
    apr_time_t occurred_at;
    const char *category;   /* NULL for types that are never posted */
    int postable;           /* 0 for account.updated, appointment.rescheduled,
                               invoice.overdue with days_overdue <= 7 */
    const char *amount;     /* decimal string, or NULL */
    const char *currency;   /* ISO 4217 of the amount, or NULL */
    const char *member_id;  /* member.id, or NULL */
    const char *client_id;  /* client.id, or NULL */
    const char *project_id; /* project.id, or NULL */
    const json_t *root;     /* the whole document (owned by the caller's pool) */
} nxs_envelope_t;

/* Checks ROOT (a parsed JSON document).  On APR_EINVAL, *field names the
 * offending field ("id", "amount.value", "data.days_overdue"...) and *why
 * says what is expected. */
apr_status_t nxs_envelope_parse(nxs_envelope_t *env, const char **field, const char **why,
                                const json_t *root, apr_pool_t *p);

/* True for ids of 1-64 characters of [A-Za-z0-9_.:-]. */
int nxs_envelope_event_id_ok(const char *id);

#endif
