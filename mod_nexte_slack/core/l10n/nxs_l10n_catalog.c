/* The module's own words: the English and French message strings, with
 * named arguments ("Invoice {ref} paid"), and the plural forms chosen by
 * ICU's plural rules for the locale.  Everything else a message shows is
 * formatted by ICU (l10n/nxs_l10n.c). */
#include "l10n/nxs_l10n_int.h"

#include <apr_strings.h>
#include <stdarg.h>
#include <string.h>
#include <sys/uio.h>
#include <unicode/ustring.h>

#define NBSP      "\u00A0" /* French puts a no-break space before ":" */
#define MAX_ARGS  8
#define MAX_PARTS (2 * MAX_ARGS + 2)

/* The message strings, English then French.  Arguments are named. */
static const char *const texts[NXS_T_COUNT][NXS_LANG_COUNT] = {
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
    [NXS_T_SUMMARY_INTRO] = {"Held outside your active hours, the most important first.",
                             "Reçus en dehors de vos heures d’activité, les plus importants "
                             "d’abord."},
    [NXS_T_EVENTS_INVOICE_PAID] = {"Invoices paid", "Factures payées"},
    [NXS_T_EVENTS_PAYMENT_FAILED] = {"Failed payments", "Paiements échoués"},
    [NXS_T_EVENTS_SUBSCRIPTION_RENEWED] = {"Subscriptions renewed", "Abonnements renouvelés"},
    [NXS_T_EVENTS_REFUND_ISSUED] = {"Refunds issued", "Remboursements effectués"},
    [NXS_T_EVENTS_QUOTE_SENT] = {"Quotes sent", "Devis envoyés"},
    [NXS_T_EVENTS_QUOTE_OPENED] = {"Quotes opened", "Devis consultés"},
    [NXS_T_EVENTS_QUOTE_ACCEPTED] = {"Quotes accepted", "Devis acceptés"},
    [NXS_T_EVENTS_QUOTE_DECLINED] = {"Quotes declined", "Devis refusés"},
    [NXS_T_EVENTS_LEAD_RECEIVED] = {"New leads", "Nouveaux prospects"},
    [NXS_T_EVENTS_APPOINTMENT_BOOKED] = {"Appointments booked", "Rendez-vous réservés"},
    [NXS_T_EVENTS_APPOINTMENT_CANCELLED] = {"Appointments cancelled", "Rendez-vous annulés"},
    [NXS_T_EVENTS_RESCHEDULE_REQUESTED] = {"Reschedule requests", "Demandes de report"},
    [NXS_T_EVENTS_STARTING_SOON] = {"Appointments starting soon", "Rendez-vous imminents"},
    [NXS_T_EVENTS_INVOICE_OVERDUE] = {"Overdue invoices", "Factures en retard"},
    [NXS_T_EVENTS_PROJECT_PAUSED] = {"Projects paused", "Projets en pause"},
    [NXS_T_EVENTS_INTEGRATION_ERROR] = {"Integration errors", "Erreurs d’intégration"},
    [NXS_T_EVENTS_QUOTA_NEARLY_REACHED] = {"Quota warnings", "Alertes de quota"},
    [NXS_T_EVENTS_OTHER] = {"Other events", "Autres événements"},
};

/* Plural strings: the "one" form, then every other form, per language. */
static const char *const plurals[NXS_P_COUNT][NXS_LANG_COUNT][2] = {
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
        l->plural = uplrules_open(nxs_l10n_lang_codes[l->lang], &err);
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
