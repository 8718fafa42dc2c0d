/* Localisation through ICU: every number, amount, date and time shown in a
 * message is formatted by ICU's CLDR data for the account's locale and
 * time zone, never by hand-written tables.  The English and French message
 * strings live here too; only they are ours. */
#include "l10n/nxs_l10n.h"

#include <apr_strings.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/uio.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/unum.h>
#include <unicode/upluralrules.h>
#include <unicode/ustring.h>

#define NBSP      "\u00A0" /* French puts a no-break space before ":" */
#define MAX_ARGS  8
#define MAX_PARTS (2 * MAX_ARGS + 2)
#define UBUF      256

enum { LANG_EN, LANG_FR, LANG_COUNT };
static const char *const lang_codes[LANG_COUNT] = {"en", "fr"};

/* Date formats, by skeleton (ICU picks the locale's pattern for it). */
enum { DF_DATETIME, DF_TIME, DF_DAY, DF_DAY_LONG, DF_COUNT };
static const char *const df_skeletons[DF_COUNT] = {"yMMMdjmmz", "jmm", "yMMMd", "yMMMMEEEEd"};

struct nxs_l10n_t {
    int lang;
    UChar zone[64];
    UNumberFormat *currency, *decimal, *percent;
    UDateFormat *dates[DF_COUNT];
    UPluralRules *plural;
};

static apr_status_t l10n_close(void *data)
{
    nxs_l10n_t *l = data;

    if (l->currency) {
        unum_close(l->currency);
    }
    if (l->decimal) {
        unum_close(l->decimal);
    }
    if (l->percent) {
        unum_close(l->percent);
    }
    for (int i = 0; i < DF_COUNT; i++) {
        if (l->dates[i]) {
            udat_close(l->dates[i]);
        }
    }
    if (l->plural) {
        uplrules_close(l->plural);
    }
    return APR_SUCCESS;
}

static int lang_of(const char *locale)
{
    for (int i = 0; i < LANG_COUNT; i++) {
        if (strcmp(locale, lang_codes[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int nxs_l10n_locale_known(const char *locale)
{
    return locale && lang_of(locale) >= 0;
}

int nxs_l10n_currency_valid(const char *code)
{
    return code && strlen(code) == 3 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

int nxs_l10n_timezone_known(const char *tz)
{
    UChar in[64], canon[64];
    UBool is_system = 0;
    UErrorCode err = U_ZERO_ERROR;

    if (!tz || strlen(tz) >= sizeof(in) / sizeof(in[0]) || !strchr(tz, '/')) {
        return strcmp(tz ? tz : "", "UTC") == 0;
    }
    u_uastrcpy(in, tz);
    ucal_getCanonicalTimeZoneID(in, -1, canon, 64, &is_system, &err);
    return U_SUCCESS(err) && is_system;
}

apr_status_t nxs_l10n_create(nxs_l10n_t **pl, const char **why, const char *locale, const char *tz,
                             apr_pool_t *p)
{
    nxs_l10n_t *l;

    *pl = NULL;
    locale = locale ? locale : "en";
    tz = tz ? tz : "UTC";
    if (!nxs_l10n_locale_known(locale)) {
        *why = apr_psprintf(p, "unknown locale \"%s\" (expected en or fr)", locale);
        return APR_EINVAL;
    }
    if (!nxs_l10n_timezone_known(tz)) {
        *why = apr_psprintf(p,
                            "unknown time zone \"%s\" (expected an IANA name such as "
                            "Europe/Paris)",
                            tz);
        return APR_EINVAL;
    }
    l = apr_pcalloc(p, sizeof(*l));
    l->lang = lang_of(locale);
    u_uastrcpy(l->zone, tz);
    apr_pool_cleanup_register(p, l, l10n_close, apr_pool_cleanup_null);
    *pl = l;
    return APR_SUCCESS;
}

/* ICU speaks UTF-16; messages are UTF-8. */
static const char *from_uchars(const UChar *u, int32_t n, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = 0;
    char *out;

    u_strToUTF8(NULL, 0, &len, u, n, &err);
    err = U_ZERO_ERROR;
    out = apr_palloc(p, (apr_size_t)len + 1);
    u_strToUTF8(out, len + 1, NULL, u, n, &err);
    return U_SUCCESS(err) ? out : "";
}

/* The message strings, English then French.  Arguments are named. */
static const char *const texts[NXS_T_COUNT][LANG_COUNT] = {
    [NXS_T_TITLE_INVOICE_PAID] = {"Invoice {ref} paid", "Facture {ref} payée"},
    [NXS_T_TITLE_PAYMENT_FAILED] = {"Payment failed", "Échec de paiement"},
    [NXS_T_TITLE_SUBSCRIPTION_RENEWED] = {"Subscription renewed", "Abonnement renouvelé"},
    [NXS_T_TITLE_REFUND_ISSUED] = {"Refund of {amount} issued",
                                   "Remboursement de {amount} effectué"},
    [NXS_T_TITLE_QUOTE_SENT] = {"Quote {ref} sent", "Devis {ref} envoyé"},
    [NXS_T_TITLE_QUOTE_OPENED] = {"Quote {ref} opened by the client",
                                  "Devis {ref} consulté par le client"},
    [NXS_T_TITLE_QUOTE_ACCEPTED] = {"Quote {ref} accepted", "Devis {ref} accepté"},
    [NXS_T_TITLE_QUOTE_DECLINED] = {"Quote {ref} declined", "Devis {ref} refusé"},
    [NXS_T_TITLE_LEAD_RECEIVED] = {"New lead", "Nouveau prospect"},
    [NXS_T_TITLE_APPOINTMENT_BOOKED] = {"Appointment booked", "Rendez-vous réservé"},
    [NXS_T_TITLE_APPOINTMENT_CANCELLED] = {"Appointment cancelled", "Rendez-vous annulé"},
    [NXS_T_TITLE_RESCHEDULE_REQUESTED] = {"Reschedule requested", "Demande de report"},
    [NXS_T_TITLE_STARTING_SOON] = {"Appointment starting soon", "Rendez-vous imminent"},
    [NXS_T_TITLE_PROJECT_PAUSED] = {"Project paused", "Projet en pause"},
    [NXS_T_TITLE_INTEGRATION_ERROR] = {"Integration error", "Erreur d’intégration"},
    [NXS_T_TITLE_QUOTA_NEARLY_REACHED] = {"Quota nearly reached", "Quota presque atteint"},
    [NXS_T_TITLE_RECAP] = {"Daily recap", "Récap quotidien"},
    [NXS_T_TITLE_WITH_DETAIL] = {"{title}: {detail}", "{title}" NBSP ": {detail}"},
    [NXS_T_DETAIL_LINE] = {"*{label}:* {value}", "*{label}" NBSP ":* {value}"},
    [NXS_T_LABEL_METHOD] = {"Method", "Moyen de paiement"},
    [NXS_T_LABEL_REASON] = {"Reason", "Motif"},
    [NXS_T_LABEL_PERIOD] = {"Period", "Période"},
    [NXS_T_LABEL_SOURCE] = {"Source", "Source"},
    [NXS_T_LABEL_COMPANY] = {"Company", "Entreprise"},
    [NXS_T_LABEL_EMAIL] = {"Email", "E-mail"},
    [NXS_T_LABEL_PHONE] = {"Phone", "Téléphone"},
    [NXS_T_LABEL_WHEN] = {"When", "Quand"},
    [NXS_T_LABEL_ATTENDEE] = {"Attendee", "Participant"},
    [NXS_T_LABEL_CURRENT_TIME] = {"Current time", "Horaire actuel"},
    [NXS_T_LABEL_PROPOSED_TIME] = {"Proposed time", "Horaire proposé"},
    [NXS_T_LABEL_STARTS] = {"Starts", "Début"},
    [NXS_T_LABEL_DUE_DATE] = {"Due date", "Échéance"},
    [NXS_T_LABEL_USAGE] = {"Usage", "Utilisation"},
    [NXS_T_LABEL_INVOICE] = {"Invoice", "Facture"},
    [NXS_T_USAGE] = {"{used} of {limit} ({percent})", "{used} sur {limit} ({percent})"},
    [NXS_T_CONTEXT_BY] = {"By {name}", "Par {name}"},
    [NXS_T_CONTEXT_OWNER] = {"Owner: {name}", "Responsable" NBSP ": {name}"},
    [NXS_T_DATE_TOKEN] = {"{date_short_pretty} at {time}", "{date_short_pretty} à {time}"},
    [NXS_T_SOURCE_WEBSITE_FORM] = {"Website form", "Formulaire du site"},
    [NXS_T_SOURCE_BOOKING_REQUEST] = {"Booking request", "Demande de rendez-vous"},
    [NXS_T_SOURCE_CLIENT_MESSAGE] = {"Client message", "Message d’un client"},
    [NXS_T_METHOD_CARD] = {"Card", "Carte bancaire"},
    [NXS_T_METHOD_BANK_TRANSFER] = {"Bank transfer", "Virement"},
    [NXS_T_METHOD_SEPA_DEBIT] = {"SEPA direct debit", "Prélèvement SEPA"},
    [NXS_T_METHOD_CASH] = {"Cash", "Espèces"},
    [NXS_T_METHOD_CHECK] = {"Check", "Chèque"},
    [NXS_T_PERIOD_MONTHLY] = {"Monthly", "Mensuelle"},
    [NXS_T_PERIOD_QUARTERLY] = {"Quarterly", "Trimestrielle"},
    [NXS_T_PERIOD_YEARLY] = {"Yearly", "Annuelle"},
    [NXS_T_BUTTON_INVOICE] = {"View invoice", "Voir la facture"},
    [NXS_T_BUTTON_QUOTE] = {"View quote", "Voir le devis"},
    [NXS_T_BUTTON_LEAD] = {"View lead", "Voir le prospect"},
    [NXS_T_BUTTON_APPOINTMENT] = {"View appointment", "Voir le rendez-vous"},
    [NXS_T_BUTTON_SUBSCRIPTION] = {"View subscription", "Voir l’abonnement"},
    [NXS_T_BUTTON_PROJECT] = {"View project", "Voir le projet"},
    [NXS_T_BUTTON_CLIENT] = {"View client", "Voir le client"},
    [NXS_T_BUTTON_PAYMENT] = {"View payment", "Voir le paiement"},
    [NXS_T_BUTTON_REFUND] = {"View refund", "Voir le remboursement"},
    [NXS_T_BUTTON_INTEGRATIONS] = {"View integrations", "Voir les intégrations"},
    [NXS_T_BUTTON_PLAN] = {"View plan", "Voir la formule"},
    [NXS_T_BUTTON_OPEN] = {"Open in Nexte", "Ouvrir dans Nexte"},
    [NXS_T_BUTTON_DASHBOARD] = {"Open dashboard", "Ouvrir le tableau de bord"},
    [NXS_T_BUTTON_VIEW] = {"View", "Voir"},
    [NXS_T_BUTTON_HANDLED] = {"Mark as handled", "Marquer comme traité"},
    [NXS_T_HANDLED_BY] = {"\xE2\x9C\x85 Handled by {user} \xC2\xB7 {when}",
                          "\xE2\x9C\x85 Traité par {user} \xC2\xB7 {when}"},
    [NXS_T_RECAP_REVENUE] = {"Revenue", "Chiffre d’affaires"},
    [NXS_T_RECAP_BREAKDOWN] = {"paid {paid} + renewals {renewals} − refunds {refunds}",
                               "payé {paid} + renouvellements {renewals} − remboursements "
                               "{refunds}"},
    [NXS_T_RECAP_NO_REVENUE] = {"No revenue", "Aucun encaissement"},
    [NXS_T_RECAP_PAYMENTS] = {"Payments", "Paiements"},
    [NXS_T_RECAP_FAILED_PAYMENTS] = {"Failed payments", "Paiements échoués"},
    [NXS_T_RECAP_NEW_LEADS] = {"New leads", "Nouveaux prospects"},
    [NXS_T_RECAP_QUOTES_SENT] = {"Quotes sent", "Devis envoyés"},
    [NXS_T_RECAP_QUOTES_ACCEPTED] = {"Quotes accepted", "Devis acceptés"},
    [NXS_T_RECAP_APPOINTMENTS_BOOKED] = {"Appointments booked", "Rendez-vous réservés"},
    [NXS_T_SUMMARY_INTRO] = {"Held outside your active hours, oldest first.",
                             "Reçus en dehors de vos heures d’activité, du plus ancien au plus "
                             "récent."},
};

/* Plural strings: the "one" form, then every other form, per language. */
static const char *const plurals[NXS_P_COUNT][LANG_COUNT][2] = {
    [NXS_P_TITLE_INVOICE_OVERDUE] = {{"Invoice {ref} overdue by {n} day",
                                      "Invoice {ref} overdue by {n} days"},
                                     {"Facture {ref} en retard de {n} jour",
                                      "Facture {ref} en retard de {n} jours"}},
    [NXS_P_SUMMARY_TITLE] = {{"{n} event while you were away", "{n} events while you were away"},
                             {"{n} événement pendant votre absence",
                              "{n} événements pendant votre absence"}},
    [NXS_P_MORE] = {{"…and {n} more", "…and {n} more"}, {"…et {n} autre", "…et {n} autres"}},
};

const char *nxs_l10n_text(const nxs_l10n_t *l, nxs_text_e id)
{
    return texts[id][l->lang];
}

/* Replaces each "{name}" of TMPL whose name is in NAMES by its value;
 * other braces (Slack's own "{time}") are left alone. */
static const char *substitute(const char *tmpl, const char **names, const char **values, int n,
                              apr_pool_t *p)
{
    struct iovec parts[MAX_PARTS];
    int count = 0, i;
    const char *c = tmpl, *start = tmpl, *end;

    while ((c = strchr(c, '{')) && (end = strchr(c, '}')) && count + 3 <= MAX_PARTS) {
        for (i = 0; i < n; i++) {
            if (strlen(names[i]) == (size_t)(end - c - 1) &&
                !strncmp(c + 1, names[i], end - c - 1)) {
                break;
            }
        }
        if (i < n) {
            parts[count].iov_base = (void *)start, parts[count++].iov_len = (size_t)(c - start);
            parts[count].iov_base = (void *)values[i], parts[count++].iov_len = strlen(values[i]);
            start = end + 1;
        }
        c = end + 1;
    }
    parts[count].iov_base = (void *)start, parts[count++].iov_len = strlen(start);
    return apr_pstrcatv(p, parts, count, NULL);
}

static int collect_args(va_list ap, const char **names, const char **values)
{
    int n = 0;
    const char *name;

    while (n < MAX_ARGS && (name = va_arg(ap, const char *)) != NULL) {
        names[n] = name;
        values[n] = va_arg(ap, const char *);
        values[n] = values[n] ? values[n] : "";
        n++;
    }
    return n;
}

const char *nxs_l10n_format(const nxs_l10n_t *l, apr_pool_t *p, nxs_text_e id, ...)
{
    const char *names[MAX_ARGS], *values[MAX_ARGS];
    va_list ap;
    int n;

    va_start(ap, id);
    n = collect_args(ap, names, values);
    va_end(ap);
    return substitute(texts[id][l->lang], names, values, n, p);
}

const char *nxs_l10n_plural(nxs_l10n_t *l, apr_pool_t *p, nxs_plural_e id, long long n, ...)
{
    static const UChar one[] = {'o', 'n', 'e', 0};
    const char *names[MAX_ARGS + 1], *values[MAX_ARGS + 1];
    UErrorCode err = U_ZERO_ERROR;
    UChar keyword[16];
    va_list ap;
    int count, other = 1;

    if (!l->plural) {
        l->plural = uplrules_open(lang_codes[l->lang], &err);
    }
    if (l->plural && U_SUCCESS(err) &&
        uplrules_select(l->plural, (double)n, keyword, 16, &err) > 0) {
        other = u_strcmp(keyword, one) != 0;
    }
    va_start(ap, n);
    count = collect_args(ap, names, values);
    va_end(ap);
    names[count] = "n";
    values[count++] = nxs_l10n_number(l, n, p);
    return substitute(plurals[id][l->lang][other], names, values, count, p);
}

/* Opens the number format of STYLE for the locale once, on first use. */
static UNumberFormat *number_format(nxs_l10n_t *l, UNumberFormat **slot, UNumberFormatStyle style)
{
    UErrorCode err = U_ZERO_ERROR;

    if (!*slot) {
        *slot = unum_open(style, NULL, 0, lang_codes[l->lang], NULL, &err);
        if (U_FAILURE(err)) {
            *slot = NULL;
        }
    }
    return *slot;
}

apr_status_t nxs_l10n_amount(const char **out, nxs_l10n_t *l, const char *value,
                             const char *currency, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UChar code[4], buf[UBUF];
    UNumberFormat *f;
    int32_t n;

    *out = NULL;
    if (!nxs_l10n_decimal_valid(value)) {
        return APR_EINVAL;
    }
    if (currency) {
        if (!nxs_l10n_currency_valid(currency)) {
            return APR_EINVAL;
        }
        if (!(f = number_format(l, &l->currency, UNUM_CURRENCY))) {
            return APR_EGENERAL;
        }
        /* Setting the currency also sets its digits: 2 for EUR, 0 for JPY. */
        u_uastrcpy(code, currency);
        unum_setTextAttribute(f, UNUM_CURRENCY_CODE, code, 3, &err);
    } else if (!(f = number_format(l, &l->decimal, UNUM_DECIMAL))) {
        return APR_EGENERAL;
    }
    n = unum_formatDecimal(f, value, -1, buf, UBUF, NULL, &err);
    if (U_FAILURE(err)) {
        return APR_EGENERAL;
    }
    *out = from_uchars(buf, n, p);
    return APR_SUCCESS;
}

const char *nxs_l10n_number(nxs_l10n_t *l, long long n, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UNumberFormat *f = number_format(l, &l->decimal, UNUM_DECIMAL);
    UChar buf[UBUF];
    int32_t len;

    if (!f) {
        return apr_psprintf(p, "%lld", n);
    }
    len = unum_formatInt64(f, n, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, len, p) : apr_psprintf(p, "%lld", n);
}

const char *nxs_l10n_percent(nxs_l10n_t *l, double ratio, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UNumberFormat *f = number_format(l, &l->percent, UNUM_PERCENT);
    UChar buf[UBUF];
    int32_t len;

    if (!f) {
        return apr_psprintf(p, "%.0f%%", ratio * 100.0);
    }
    len = unum_formatDouble(f, ratio, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, len, p) : apr_psprintf(p, "%.0f%%", ratio * 100.0);
}

/* The locale's best pattern for each skeleton.  CLDR data does not change
 * while the process runs, and ICU's pattern generator is by far the most
 * expensive part of a message, so the patterns are computed once. */
static UChar patterns[LANG_COUNT][DF_COUNT][64];
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void patterns_init(void)
{
    UErrorCode err;
    UDateTimePatternGenerator *gen;
    UChar skeleton[32];

    for (int lang = 0; lang < LANG_COUNT; lang++) {
        err = U_ZERO_ERROR;
        gen = udatpg_open(lang_codes[lang], &err);
        for (int which = 0; which < DF_COUNT && U_SUCCESS(err); which++) {
            u_uastrcpy(skeleton, df_skeletons[which]);
            udatpg_getBestPattern(gen, skeleton, -1, patterns[lang][which], 64, &err);
        }
        udatpg_close(gen);
    }
}

/* Opens date format WHICH once, in the account's zone, or in UTC for
 * calendar days (a day has no zone; its noon in UTC shows it unchanged). */
static UDateFormat *date_format(nxs_l10n_t *l, int which)
{
    static const UChar utc[] = {'U', 'T', 'C', 0};
    UErrorCode err = U_ZERO_ERROR;
    int day = which == DF_DAY || which == DF_DAY_LONG;

    pthread_once(&patterns_once, patterns_init);
    if (!l->dates[which] && patterns[l->lang][which][0]) {
        l->dates[which] = udat_open(UDAT_PATTERN, UDAT_PATTERN, lang_codes[l->lang],
                                    day ? utc : l->zone, -1, patterns[l->lang][which], -1, &err);
        if (U_FAILURE(err) && l->dates[which]) {
            udat_close(l->dates[which]);
            l->dates[which] = NULL;
        }
    }
    return l->dates[which];
}

static const char *format_date(nxs_l10n_t *l, int which, UDate when, apr_pool_t *p)
{
    UErrorCode err = U_ZERO_ERROR;
    UDateFormat *f = date_format(l, which);
    UChar buf[UBUF];
    int32_t n;

    if (!f) {
        return "";
    }
    n = udat_format(f, when, buf, UBUF, NULL, &err);
    return U_SUCCESS(err) ? from_uchars(buf, n, p) : "";
}

const char *nxs_l10n_datetime(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p)
{
    return format_date(l, DF_DATETIME, (UDate)(t / 1000), p);
}

const char *nxs_l10n_time(nxs_l10n_t *l, apr_time_t t, apr_pool_t *p)
{
    return format_date(l, DF_TIME, (UDate)(t / 1000), p);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual
 * era-of-400-years computation, valid for every year of RFC 3339). */
static long long days_from_civil(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

const char *nxs_l10n_day(nxs_l10n_t *l, int year, int month, int day, int long_form, apr_pool_t *p)
{
    UDate noon = ((UDate)days_from_civil(year, month, day) * 86400.0 + 43200.0) * 1000.0;

    return format_date(l, long_form ? DF_DAY_LONG : DF_DAY, noon, p);
}

/* Reads exactly N digits at S into *v. */
static int digits(int *v, const char *s, int n)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

apr_status_t nxs_l10n_parse_date(int *year, int *month, int *day, const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(year, s, 4) ||
        !digits(month, s + 5, 2) || !digits(day, s + 8, 2) || *month < 1 || *month > 12 ||
        *day < 1 || *day > days_in_month(*year, *month)) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Parses "HH:MM:SS[.frac]" then the offset; *end is what follows. */
static int parse_time(long long *secs, long long *usec, const char *s, const char **end)
{
    int h, m, sec, scale = 100000;

    if (!digits(&h, s, 2) || s[2] != ':' || !digits(&m, s + 3, 2) || s[5] != ':' ||
        !digits(&sec, s + 6, 2) || h > 23 || m > 59 || sec > 60) {
        return 0;
    }
    s += 8;
    *usec = 0;
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9') {
            return 0;
        }
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10) {
            *usec += (*s - '0') * scale;
        }
    }
    *secs = h * 3600LL + m * 60LL + (sec == 60 ? 59 : sec);
    *end = s;
    return 1;
}

static int parse_offset(long long *offset, const char *s)
{
    int h, m;

    if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
        *offset = 0;
        return 1;
    }
    if ((s[0] != '+' && s[0] != '-') || !digits(&h, s + 1, 2) || s[3] != ':' ||
        !digits(&m, s + 4, 2) || s[6] != '\0' || h > 23 || m > 59) {
        return 0;
    }
    *offset = (s[0] == '-' ? -1 : 1) * (h * 3600LL + m * 60LL);
    return 1;
}

apr_status_t nxs_l10n_parse_rfc3339(apr_time_t *t, const char *s)
{
    int y, mo, d;
    long long secs, usec, offset;
    char date[11];
    const char *rest;

    if (!s || strlen(s) < 20 || (s[10] != 'T' && s[10] != 't')) {
        return APR_EINVAL;
    }
    memcpy(date, s, 10);
    date[10] = '\0';
    if (nxs_l10n_parse_date(&y, &mo, &d, date) != APR_SUCCESS ||
        !parse_time(&secs, &usec, s + 11, &rest) || !parse_offset(&offset, rest)) {
        return APR_EINVAL;
    }
    secs += days_from_civil(y, mo, d) * 86400LL - offset;
    *t = apr_time_from_sec(secs) + usec;
    return APR_SUCCESS;
}

#define DEC_MAX_DIGITS 30

int nxs_l10n_decimal_valid(const char *s)
{
    size_t whole, frac = 0;

    if (!s) {
        return 0;
    }
    s += *s == '-';
    whole = strspn(s, "0123456789");
    if (s[whole] == '.' && (frac = strspn(s + whole + 1, "0123456789")) == 0) {
        return 0;
    }
    return whole > 0 && s[whole + (frac ? frac + 1 : 0)] == '\0' && whole + frac <= DEC_MAX_DIGITS;
}

/* A decimal as sign + digits (without the point) + digits after the point,
 * right-aligned in a fixed buffer so that two of them line up. */
typedef struct {
    int neg;
    char d[2 * DEC_MAX_DIGITS + 4]; /* '0'..'9', most significant first */
} decimal_t;

#define DEC_WIDTH ((int)sizeof(((decimal_t *)0)->d))
#define DEC_SCALE (DEC_MAX_DIGITS + 1) /* digits kept after the point */

static void decimal_read(decimal_t *x, const char *s)
{
    const char *dot, *c;
    int i;

    memset(x->d, '0', DEC_WIDTH);
    x->neg = s && *s == '-';
    if (!s) {
        return;
    }
    s += x->neg;
    dot = strchr(s, '.');
    /* Digits before the point end at DEC_WIDTH - DEC_SCALE; after it, start there. */
    for (c = dot ? dot - 1 : s + strlen(s) - 1, i = DEC_WIDTH - DEC_SCALE - 1; c >= s; c--, i--) {
        x->d[i] = *c;
    }
    for (c = dot ? dot + 1 : "", i = DEC_WIDTH - DEC_SCALE; *c; c++, i++) {
        x->d[i] = *c;
    }
}

/* |a| >= |b| ? a - b : ... ; both magnitudes, result into r. */
static void magnitude_add(char *r, const char *a, const char *b, int subtract)
{
    int carry = 0, v;

    for (int i = DEC_WIDTH - 1; i >= 0; i--) {
        v = subtract ? (a[i] - '0') - (b[i] - '0') - carry : (a[i] - '0') + (b[i] - '0') + carry;
        carry = subtract ? v < 0 : v > 9;
        r[i] = (char)('0' + (subtract ? (v + 10) % 10 : v % 10));
    }
}

apr_status_t nxs_l10n_decimal_add(const char **out, const char *a, int sign, const char *b,
                                  apr_pool_t *p)
{
    decimal_t x, y, r;
    const char *fa = a ? strchr(a, '.') : NULL, *fb = b ? strchr(b, '.') : NULL;
    int scale, first, last, cmp, zero;

    *out = NULL;
    if ((a && !nxs_l10n_decimal_valid(a)) || (b && !nxs_l10n_decimal_valid(b)) ||
        (sign != 1 && sign != -1)) {
        return APR_EINVAL;
    }
    decimal_read(&x, a);
    decimal_read(&y, b);
    y.neg = b && (y.neg ^ (sign < 0));
    cmp = memcmp(x.d, y.d, DEC_WIDTH);
    if (x.neg == y.neg) {
        magnitude_add(r.d, x.d, y.d, 0);
        r.neg = x.neg;
    } else {
        magnitude_add(r.d, cmp >= 0 ? x.d : y.d, cmp >= 0 ? y.d : x.d, 1);
        r.neg = cmp >= 0 ? x.neg : y.neg;
    }
    /* Keep the larger number of decimals of the operands: 3400.00 + 290 = 3690.00. */
    scale = (int)(fa ? strlen(fa + 1) : 0);
    scale = fb && (int)strlen(fb + 1) > scale ? (int)strlen(fb + 1) : scale;
    last = DEC_WIDTH - DEC_SCALE + scale;
    first = 0;
    while (first < DEC_WIDTH - DEC_SCALE - 1 && r.d[first] == '0') {
        first++;
    }
    /* No "-0.00": a zero result has no sign. */
    zero = 1;
    for (int i = first; i < last; i++) {
        zero = zero && r.d[i] == '0';
    }
    r.neg = r.neg && !zero;
    *out = apr_psprintf(p, "%s%.*s%s%.*s", r.neg ? "-" : "", DEC_WIDTH - DEC_SCALE - first,
                        r.d + first, scale ? "." : "", scale, r.d + DEC_WIDTH - DEC_SCALE);
    return APR_SUCCESS;
}
