/* The settings page's embedded files (handle/nxs_assets.c): which names
 * are assets and the URL the page links them by.  Also that the generated
 * table (tools/nxs-embed) holds what it claims: each version is the SHA-256
 * of the bytes.
 *
 * The files of mod_nexte_slack/web/ change with the page: the tests read
 * the expected bytes from the table, and name only settings.js and
 * settings.css, which the page always has. */
#include "glue_test.h"

#include <openssl/evp.h>

#include "handle/nxs_assets.h"

#define JS  "settings.js"
#define CSS "settings.css"

/* ---- the table and the names ---- */

static void each_version_is_the_sha256_of_the_bytes(void **state)
{
    const nxs_asset_t *a;
    int n = 0;

    for (a = nxs_assets_table; a->name; ++a, ++n) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0, i;
        char hex[65];

        assert_int_equal(EVP_Digest(a->raw, a->raw_len, md, &len, EVP_sha256(), NULL), 1);
        for (i = 0; i < len; ++i) {
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        }
        assert_string_equal(a->version, hex);
        assert_true(a->gz_len >= 18);
        assert_int_equal(a->gz[0], 0x1f);
        assert_int_equal(a->gz[1], 0x8b);
        assert_ptr_equal(nxs_asset_find(a->name), a);
    }
    assert_true(n >= 2);
}

static void page_files_are_found_with_their_content_type(void **state)
{
    assert_string_equal(nxs_asset_find(JS)->content_type, "text/javascript; charset=utf-8");
    assert_string_equal(nxs_asset_find(CSS)->content_type, "text/css; charset=utf-8");
}

static void unknown_names_and_paths_are_not_assets(void **state)
{
    assert_null(nxs_asset_find("nope.js"));
    assert_null(nxs_asset_find("../" JS));
    assert_null(nxs_asset_find("../x"));
    assert_null(nxs_asset_find("a/b"));
    assert_null(nxs_asset_find("/" JS));
    assert_null(nxs_asset_find("." JS));
    assert_null(nxs_asset_find(".."));
    assert_null(nxs_asset_find(""));
    assert_null(nxs_asset_find(NULL));
    assert_null(nxs_asset_find("SETTINGS.JS"));
}

static void href_is_relative_and_versioned(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    const nxs_asset_t *a = nxs_asset_find(JS);

    assert_string_equal(nxs_asset_href(JS, p),
                        apr_psprintf(p, "assets/" JS "?v=%.16s", a->version));
    assert_null(nxs_asset_href("nope.js", p));
    assert_null(nxs_asset_href("../x", p));
    assert_null(nxs_asset_href("a/b", p));
}

static const struct CMUnitTest tests[] = {
    GLUE_TEST(each_version_is_the_sha256_of_the_bytes),
    GLUE_TEST(page_files_are_found_with_their_content_type),
    GLUE_TEST(unknown_names_and_paths_are_not_assets),
    GLUE_TEST(href_is_relative_and_versioned),
};

NXS_RUN_TESTS(tests)
