/* Specification of l10n/: amounts, numbers and dates as ICU 72 formats
 * them for English and French, and the message strings.
 *
 * Byte escapes name the spaces ICU uses: "\xE2\x80\xAF" is U+202F NARROW
 * NO-BREAK SPACE (French digit groups, and before "AM"/"PM" in English
 * since CLDR 42), "\xC2\xA0" is U+00A0 NO-BREAK SPACE (French, before a
 * currency symbol or "%"). */
#include "nxs_test.h"

#include "l10n/nxs_l10n.h"
#include "l10n/nxs_l10n_catalog.h"

#define NNBSP "\xE2\x80\xAF"
#define NBSP  "\xC2\xA0"
#define EURO  "\xE2\x82\xAC"
#define YEN   "\xC2\xA5"

static nxs_l10n_t *l10n(const char *locale, const char *tz, apr_pool_t *p)
{
    nxs_l10n_t *l = NULL;
    const char *why = NULL;

    assert_int_equal(nxs_l10n_create(&l, &why, locale, tz, p), APR_SUCCESS);
    return l;
}

static const char *amount(const char *locale, const char *value, const char *currency,
                          apr_pool_t *p)
{
    const char *out = NULL;

    assert_int_equal(nxs_l10n_amount(&out, l10n(locale, NULL, p), value, currency, p), APR_SUCCESS);
    return out;
}

static void euros_in_english_and_french(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(amount("en", "1250.00", "EUR", p), EURO "1,250.00");
    assert_string_equal(amount("fr", "1250.00", "EUR", p), "1" NNBSP "250,00" NBSP EURO);
}

static void yen_have_no_decimals(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(amount("en", "1250", "JPY", p), YEN "1,250");
    assert_string_equal(amount("fr", "1250", "JPY", p), "1" NNBSP "250" NBSP "JPY");
}

static void negative_refunds_keep_their_sign(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(amount("en", "-40.00", "EUR", p), "-" EURO "40.00");
    assert_string_equal(amount("fr", "-40.00", "EUR", p), "-40,00" NBSP EURO);
    assert_string_equal(amount("en", "-1500", "JPY", p), "-" YEN "1,500");
}

static void other_currencies_use_their_own_digits_and_symbols(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(amount("en", "1234567.891", "USD", p), "$1,234,567.89");
    assert_string_equal(amount("fr", "12.5", "USD", p), "12,50" NBSP "$US");
    assert_string_equal(amount("en", "1.5", "BHD", p), "BHD" NBSP "1.500");
    assert_string_equal(amount("en", "99.9", "GBP", p), "\xC2\xA3"
                                                        "99.90");
}

static void amounts_never_go_through_binary_floating_point(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    /* 20 significant digits: a double would print ...678.99 as ...680.00. */
    assert_string_equal(amount("en", "123456789012345678.99", "EUR", p),
                        EURO "123,456,789,012,345,678.99");
}

static void an_amount_without_currency_is_a_plain_number(void **state)
{
    assert_string_equal(amount("fr", "1250.5", NULL, nxs_test_pool(state)), "1" NNBSP "250,5");
}

static void malformed_amounts_and_currencies_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_l10n_t *l = l10n("en", NULL, p);
    const char *out;
    const char *bad_values[] = {"", "1e3", "12,5", " 1", "1.", ".5", "+1", "--1", "0x10", NULL};

    for (int i = 0; bad_values[i]; i++) {
        assert_int_equal(nxs_l10n_amount(&out, l, bad_values[i], "EUR", p), APR_EINVAL);
        assert_null(out);
    }
    assert_int_equal(nxs_l10n_amount(&out, l, "1", "eur", p), APR_EINVAL);
    assert_int_equal(nxs_l10n_amount(&out, l, "1", "EURO", p), APR_EINVAL);
}

static void counts_and_percentages_follow_the_locale(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_l10n_number(l10n("en", NULL, p), 12500, p), "12,500");
    assert_string_equal(nxs_l10n_number(l10n("fr", NULL, p), 12500, p), "12" NNBSP "500");
    assert_string_equal(nxs_l10n_percent(l10n("en", NULL, p), 0.92, p), "92%");
    assert_string_equal(nxs_l10n_percent(l10n("fr", NULL, p), 0.92, p), "92" NBSP "%");
}

static void date_and_time_in_the_account_time_zone(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    apr_time_t t = apr_time_from_sec(1795856352); /* 2026-11-28T08:59:12Z */

    assert_string_equal(nxs_l10n_datetime(l10n("en", "Europe/Paris", p), t, p),
                        "Nov 28, 2026, 9:59" NNBSP "AM GMT+1");
    assert_string_equal(nxs_l10n_datetime(l10n("fr", "Europe/Paris", p), t, p),
                        "28 nov. 2026, 09:59 UTC+1");
    assert_string_equal(nxs_l10n_datetime(l10n("en", "America/New_York", p), t, p),
                        "Nov 28, 2026, 3:59" NNBSP "AM EST");
    assert_string_equal(nxs_l10n_time(l10n("en", "Asia/Tokyo", p), t, p), "5:59" NNBSP "PM");
    assert_string_equal(nxs_l10n_time(l10n("fr", "Asia/Tokyo", p), t, p), "17:59");
}

static void a_calendar_day_does_not_move_with_the_zone(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);

    assert_string_equal(nxs_l10n_day(l10n("en", "Pacific/Kiritimati", p), 2026, 11, 27, 1, p),
                        "Friday, November 27, 2026");
    assert_string_equal(nxs_l10n_day(l10n("fr", "Pacific/Pago_Pago", p), 2026, 11, 27, 1, p),
                        "vendredi 27 novembre 2026");
    assert_string_equal(nxs_l10n_day(l10n("fr", NULL, p), 2026, 11, 27, 0, p), "27 nov. 2026");
}

static void plurals_follow_each_language_rules(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_l10n_t *en = l10n("en", NULL, p), *fr = l10n("fr", NULL, p);

    assert_string_equal(nxs_l10n_plural(en, p, NXS_P_MORE, 1, NULL), "…and 1 more");
    assert_string_equal(nxs_l10n_plural(fr, p, NXS_P_MORE, 0, NULL), "…et 0 autre");
    assert_string_equal(nxs_l10n_plural(fr, p, NXS_P_MORE, 1250, NULL), "…et 1" NNBSP "250 autres");
    assert_string_equal(
        nxs_l10n_plural(en, p, NXS_P_TITLE_INVOICE_OVERDUE, 8, "ref", "INV-1", NULL),
        "Invoice INV-1 overdue by 8 days");
    assert_string_equal(
        nxs_l10n_plural(fr, p, NXS_P_TITLE_INVOICE_OVERDUE, 1, "ref", "INV-1", NULL),
        "Facture INV-1 en retard de 1 jour");
}

static void strings_substitute_named_arguments_only(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_l10n_t *fr = l10n("fr", NULL, p);

    assert_string_equal(nxs_l10n_format(fr, p, NXS_T_TITLE_INVOICE_PAID, "ref", "INV-9", NULL),
                        "Facture INV-9 payée");
    assert_string_equal(nxs_l10n_format(fr, p, NXS_T_TITLE_WITH_DETAIL, "title", "Projet en pause",
                                        "detail", "Site", NULL),
                        "Projet en pause" NBSP ": Site");
    /* Slack's own placeholders are not ours to fill. */
    assert_string_equal(nxs_l10n_format(fr, p, NXS_T_DATE_TOKEN, NULL),
                        "{date_short_pretty} à {time}");
}

static void every_string_exists_in_both_languages(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_l10n_t *en = l10n("en", NULL, p), *fr = l10n("fr", NULL, p);

    for (int id = 0; id < NXS_T_COUNT; id++) {
        assert_non_null(nxs_l10n_text(en, (nxs_text_e)id));
        assert_non_null(nxs_l10n_text(fr, (nxs_text_e)id));
    }
}

static void unknown_locales_and_zones_are_refused(void **state)
{
    apr_pool_t *p = nxs_test_pool(state);
    nxs_l10n_t *l;
    const char *why = NULL;

    assert_int_equal(nxs_l10n_create(&l, &why, "de", NULL, p), APR_EINVAL);
    assert_string_equal(why, "unknown locale \"de\" (expected en or fr)");
    assert_int_equal(nxs_l10n_create(&l, &why, "en", "Mars/Olympus_Mons", p), APR_EINVAL);
    assert_int_equal(nxs_l10n_create(&l, &why, "en", "CET", p), APR_EINVAL);
    assert_int_equal(nxs_l10n_create(&l, &why, "en", "GMT+1", p), APR_EINVAL);
    assert_true(nxs_l10n_timezone_known("Europe/Paris"));
    assert_true(nxs_l10n_timezone_known("America/Argentina/Buenos_Aires"));
    assert_true(nxs_l10n_timezone_known("UTC"));
    assert_int_equal(nxs_l10n_create(&l, &why, NULL, NULL, p), APR_SUCCESS);
}

static const struct CMUnitTest tests[] = {
    NXS_TEST(euros_in_english_and_french),
    NXS_TEST(yen_have_no_decimals),
    NXS_TEST(negative_refunds_keep_their_sign),
    NXS_TEST(other_currencies_use_their_own_digits_and_symbols),
    NXS_TEST(amounts_never_go_through_binary_floating_point),
    NXS_TEST(an_amount_without_currency_is_a_plain_number),
    NXS_TEST(malformed_amounts_and_currencies_are_refused),
    NXS_TEST(counts_and_percentages_follow_the_locale),
    NXS_TEST(date_and_time_in_the_account_time_zone),
    NXS_TEST(a_calendar_day_does_not_move_with_the_zone),
    NXS_TEST(plurals_follow_each_language_rules),
    NXS_TEST(strings_substitute_named_arguments_only),
    NXS_TEST(every_string_exists_in_both_languages),
    NXS_TEST(unknown_locales_and_zones_are_refused),
};

NXS_RUN_TESTS(tests)
