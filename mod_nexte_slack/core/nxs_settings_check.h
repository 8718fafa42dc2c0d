/* Validation of what the settings API accepts: account fields, categories,
 * mentions, Slack channel ids and the advanced filters document.  Each
 * check returns NULL when the value is fine, else a message that names the
 * field and says what is expected (the API answers 422 with it). */
#ifndef NXS_SETTINGS_CHECK_H
#define NXS_SETTINGS_CHECK_H

#include <apr_pools.h>
#include <jansson.h>

#include "store/nxs_store.h"

const char *nxs_check_plan(const char *plan);
const char *nxs_check_locale(const char *locale);
const char *nxs_check_timezone(const char *tz);
const char *nxs_check_currency(const char *currency);
const char *nxs_check_mention(const char *mention);
const char *nxs_check_channel_id(const char *channel_id);

/* Checks the account fields present in FIELDS (plan, timezone, locale,
 * currency: the ones account.updated carries and the settings API sets) and
 * copies them into A, which changes only when all are valid.  With STRICT,
 * any other key is refused; without, other keys are ignored.  On APR_EINVAL
 * *field is the offending key and *why its check's message ("plan must be
 * solo, team or agency", "must be a string", or the unknown-field text). */
apr_status_t nxs_check_account_fields(nxs_account_t *a, const char **field, const char **why,
                                      const json_t *fields, int strict, apr_pool_t *p);

/* Checks the filters document (the shape is in the README's PUT
 * api/filters; active_hours as nxs_active_hours_parse reads it, a window
 * may cross midnight, null means none); *normalized gets a copy (the
 * caller owns the reference).  Unknown keys are refused, so the copy
 * holds only known ones.  A message begins with the path of the value it is
 * about; *field gets that path without an array index ("amount_thresholds.
 * payments", "members.payments", "active_hours.start", "client_channels"),
 * or "filters" when the message is about the document as a whole, so that
 * a form can show it next to the field. */
const char *nxs_check_filters(json_t **normalized, const char **field, const json_t *filters,
                              apr_pool_t *p);

#endif
