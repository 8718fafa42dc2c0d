/* Library versions as seen at run time (not compile time): the versions an
 * operator must quote in a bug report are the ones actually loaded. */
#include "nxs_build.h"

#include <apr_version.h>
#include <apu_version.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <unicode/uversion.h>

json_t *nxs_build_libraries(void)
{
    UVersionInfo icu;
    char icu_text[U_MAX_VERSION_STRING_LENGTH];
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

    u_getVersion(icu);
    u_versionToString(icu, icu_text);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "apr", apr_version_string(), "apr_util",
                     apu_version_string(), "jansson", jansson_version_str(), "curl", curl->version,
                     "openssl", OpenSSL_version(OPENSSL_VERSION), "icu", icu_text);
}
