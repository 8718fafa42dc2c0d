/* Shared between the l10n/nxs_l10n*.c files only: the localisation object
 * (locale, zone and the ICU formatters it opened).  Callers see
 * l10n/nxs_l10n.h and l10n/nxs_l10n_catalog.h. */
#ifndef NXS_L10N_INT_H
#define NXS_L10N_INT_H

#include <unicode/udat.h>
#include <unicode/unum.h>
#include <unicode/upluralrules.h>

#include "l10n/nxs_l10n.h"
#include "l10n/nxs_l10n_catalog.h"

enum { NXS_LANG_EN, NXS_LANG_FR, NXS_LANG_COUNT };

/* ICU locale ids, by language index ("en", "fr"). */
extern const char *const nxs_l10n_lang_codes[NXS_LANG_COUNT];

/* Number of date formats (l10n/nxs_l10n.c's skeleton table). */
#define NXS_DF_COUNT 4

struct nxs_l10n_t {
    int lang;
    UChar zone[64];
    UNumberFormat *currency, *decimal, *percent;
    UDateFormat *dates[NXS_DF_COUNT];
    UPluralRules *plural;
};

#endif
