/* libFuzzer target for the decoding of Slack interaction requests (what
 * the interactions handler reads once a signature checked out, so a
 * compromised or buggy sender, not just anyone): the form, its
 * percent-encoding, the JSON payload.  Besides "no crash", it checks that a
 * refusal names one of the documented codes and that what is accepted has
 * a type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "fuzz_require.h"
#include "slack/nxs_interaction_payload.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = NULL;
    nxs_interaction_t ix;
    const char *why = NULL;
    /* Not NUL-terminated on purpose: the parser must honour the length. */
    char *body = malloc(size ? size : 1);

    apr_pool_create(&p, root);
    if (size) {
        memcpy(body, data, size);
    }
    if (nxs_interaction_parse(&ix, &why, body, size, p) == APR_SUCCESS) {
        REQUIRE(why == NULL && ix.type && *ix.type && ix.payload);
    } else {
        REQUIRE(why && (strcmp(why, "no_payload") == 0 || strcmp(why, "malformed_payload") == 0 ||
                        strcmp(why, "missing_type") == 0));
    }
    free(body);
    apr_pool_destroy(p);
    return 0;
}
