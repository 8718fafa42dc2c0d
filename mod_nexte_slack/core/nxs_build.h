/* What this build is: module version, source revision and the versions of
 * the libraries it runs with (reported by the status endpoint and tools). */
#ifndef NXS_BUILD_H
#define NXS_BUILD_H

#include <jansson.h>

/* The build passes bare tokens (-DNXS_VERSION_TOKEN=0.1.0) because libtool
 * strips the quotes of string-valued -D flags; stringify them here. */
#define NXS_STRINGIFY_(x) #x
#define NXS_STRINGIFY(x)  NXS_STRINGIFY_(x)
#ifdef NXS_VERSION_TOKEN
#define NXS_VERSION NXS_STRINGIFY(NXS_VERSION_TOKEN)
#else
#define NXS_VERSION "0.0.0-dev"
#endif
#ifdef NXS_REV_TOKEN
#define NXS_BUILD_REV NXS_STRINGIFY(NXS_REV_TOKEN)
#else
#define NXS_BUILD_REV "unknown"
#endif

/* A new JSON object {"apr": "1.7.2", "apr_util": ..., "jansson": ...,
 * "curl": ..., "openssl": ..., "icu": ...}; the caller owns the reference. */
json_t *nxs_build_libraries(void);

#endif
