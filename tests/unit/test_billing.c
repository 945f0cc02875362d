/* test_billing.c - licensing pieces without a store: activation key format and check character
 * (typos caught before any lookup), the Stripe-Signature verifier against the spec sheet's
 * constructed vector and its failure cases, calendar months, and tiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fh/fh_billing.h"
#include "fh/fh_crypto.h"

static void test_generated_keys_check(void **state)
{
    (void)state;
    char k[FH_BILLING_KEY_LEN + 1], canon[FH_BILLING_KEY_LEN + 1];
    for (int i = 0; i < 2000; i++) {
        fh_key_generate(k);
        assert_int_equal(strlen(k), 18);
        assert_true(fh_starts_with(k, "INT-") && k[8] == '-' && k[13] == '-');
        for (const char *p = k + 4; *p; p++)
            assert_true(*p == '-' || strchr(FH_BILLING_KEY_ALPHABET, *p) != NULL);
        assert_int_equal(fh_key_check(k, canon), FH_KEY_OK);
        assert_string_equal(canon, k);
    }
}

/* Every single wrong character and every swap of two different characters is caught. */
static void test_typos_are_caught(void **state)
{
    (void)state;
    char k[FH_BILLING_KEY_LEN + 1], t[FH_BILLING_KEY_LEN + 1], canon[FH_BILLING_KEY_LEN + 1];
    static const int pos[] = {4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17};
    for (int round = 0; round < 50; round++) {
        fh_key_generate(k);
        for (size_t i = 0; i < 12; i++) {
            for (const char *a = FH_BILLING_KEY_ALPHABET; *a; a++) {
                if (*a == k[pos[i]])
                    continue;
                memcpy(t, k, sizeof(t));
                t[pos[i]] = *a;
                assert_int_equal(fh_key_check(t, canon), FH_KEY_MISTYPED);
            }
            for (size_t j = i + 1; j < 12; j++) {
                if (k[pos[i]] == k[pos[j]])
                    continue;
                memcpy(t, k, sizeof(t));
                t[pos[i]] = k[pos[j]];
                t[pos[j]] = k[pos[i]];
                assert_int_equal(fh_key_check(t, canon), FH_KEY_MISTYPED);
            }
        }
    }
}

static void test_key_shapes(void **state)
{
    (void)state;
    char k[FH_BILLING_KEY_LEN + 1], canon[FH_BILLING_KEY_LEN + 1], typed[64];
    fh_key_generate(k);
    snprintf(typed, sizeof(typed), " int %.4s %.4s-%.4s ", k + 4, k + 9, k + 14);
    for (char *p = typed; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    assert_int_equal(fh_key_check(typed, canon), FH_KEY_OK);
    assert_string_equal(canon, k);
    assert_int_equal(fh_key_check("POS-7KQ2-MX4P-9RTA", canon), FH_KEY_POS);
    assert_int_equal(fh_key_check("pos7kq2mx4p9rta", canon), FH_KEY_POS);
    assert_int_equal(fh_key_check("INT-ABCD-EFGH", canon), FH_KEY_MALFORMED);
    assert_int_equal(fh_key_check("", canon), FH_KEY_MALFORMED);
    assert_int_equal(fh_key_check(NULL, canon), FH_KEY_MALFORMED);
    assert_int_equal(fh_key_check("INT-ABCD-EFGH-JK!M", canon), FH_KEY_MALFORMED);
    memcpy(typed, k, sizeof(k));
    typed[5] = 'O'; /* never in keys: a typo */
    assert_int_equal(fh_key_check(typed, canon), FH_KEY_MISTYPED);
    typed[5] = '0';
    assert_int_equal(fh_key_check(typed, canon), FH_KEY_MISTYPED);
    /* the rule: weighted sum mod 31 of the first eleven */
    assert_int_equal(fh_key_check_char("22222222222"), '2');
    assert_int_equal(fh_key_check_char("32222222222"), '3');
    assert_int_equal(fh_key_check_char("23222222222"), '4');
}

#define VEC_BODY "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"
#define VEC_SIG "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"

static void test_stripe_signature(void **state)
{
    (void)state;
    const char *b = VEC_BODY, *s = "whsec_test_secret";
    size_t n = strlen(b);
    /* the spec sheet's constructed vector, with the clock at its t and with tolerance off */
    assert_int_equal(fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n, s, 1700000000, 300),
                     FH_SIG_OK);
    assert_int_equal(fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n, s, 1900000000, 0),
                     FH_SIG_OK);
    assert_int_equal(fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n, s, 1700000301, 300),
                     FH_SIG_STALE);
    assert_int_equal(fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n, s, 1699999699, 300),
                     FH_SIG_STALE);
    /* any v1 may match (a rolled secret); unknown schemes are ignored */
    assert_int_equal(
        fh_stripe_verify("t=1700000000,v1=00ff,v0=abc,v1=" VEC_SIG, b, n, s, 1700000000, 300),
        FH_SIG_OK);
    assert_int_equal(fh_stripe_verify("t=1700000000,v0=" VEC_SIG, b, n, s, 1700000000, 300),
                     FH_SIG_NO_V1);
    assert_int_equal(fh_stripe_verify(NULL, b, n, s, 1700000000, 300), FH_SIG_MISSING);
    assert_int_equal(fh_stripe_verify("", b, n, s, 1700000000, 300), FH_SIG_MISSING);
    assert_int_equal(fh_stripe_verify("v1=" VEC_SIG, b, n, s, 1700000000, 300), FH_SIG_MALFORMED);
    assert_int_equal(fh_stripe_verify("t=abc,v1=" VEC_SIG, b, n, s, 1700000000, 300),
                     FH_SIG_MALFORMED);
    /* another secret, another body, another t: no match */
    assert_int_equal(
        fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n, "whsec_other", 1700000000, 300),
        FH_SIG_MISMATCH);
    assert_int_equal(fh_stripe_verify("t=1700000000,v1=" VEC_SIG, b, n - 1, s, 1700000000, 300),
                     FH_SIG_MISMATCH);
    assert_int_equal(fh_stripe_verify("t=1700000001,v1=" VEC_SIG, b, n, s, 1700000000, 300),
                     FH_SIG_MISMATCH);
}

static int64_t utc(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) * 1000;
}

static void test_months(void **state)
{
    (void)state;
    assert_int_equal(fh_billing_add_months(utc(2026, 1, 31), 1), utc(2026, 2, 28));
    assert_int_equal(fh_billing_add_months(utc(2028, 1, 31), 1), utc(2028, 2, 29));
    assert_int_equal(fh_billing_add_months(utc(2026, 11, 21), 12), utc(2027, 11, 21));
    assert_int_equal(fh_billing_add_months(utc(2026, 12, 15), 1), utc(2027, 1, 15));
    char m[8];
    fh_billing_month(utc(2026, 12, 31) + 86399999, m);
    assert_string_equal(m, "2026-12");
    fh_billing_month(utc(2027, 1, 1), m);
    assert_string_equal(m, "2027-01");
}

static void test_tiers(void **state)
{
    (void)state;
    enum fh_tier t;
    assert_true(fh_tier_parse("Growth", &t) && t == FH_TIER_GROWTH);
    assert_false(fh_tier_parse("trial", &t));
    assert_false(fh_tier_parse("platinum", &t));
    struct fh_config cfg = {.trial_invoices = 50,
                            .tier_invoices = {0, 500, 5000, 50000},
                            .tier_poll_ms = {0, 900000, 300000, 120000},
                            .growth_webhook_delay_ms = 45000};
    assert_int_equal(fh_tier_invoice_limit(&cfg, FH_TIER_TRIAL), 50);
    assert_int_equal(fh_tier_invoice_limit(&cfg, FH_TIER_SCALE), 50000);
    struct fh_sync_speed s;
    fh_tier_sync_speed(&cfg, FH_TIER_STARTER, &s);
    assert_true(s.mode == FH_SYNC_POLLING && s.webhook_delay_ms < 0 && s.poll_ms == 900000);
    fh_tier_sync_speed(&cfg, FH_TIER_GROWTH, &s);
    assert_true(s.mode == FH_SYNC_NEAR_REALTIME && s.webhook_delay_ms == 45000 &&
                s.poll_ms == 300000);
    fh_tier_sync_speed(&cfg, FH_TIER_SCALE, &s);
    assert_true(s.mode == FH_SYNC_REALTIME && s.webhook_delay_ms == 0 && s.poll_ms == 120000);
    fh_tier_sync_speed(&cfg, FH_TIER_TRIAL, &s); /* the trial syncs like Scale */
    assert_true(s.mode == FH_SYNC_REALTIME && s.webhook_delay_ms == 0 && s.poll_ms == 120000);
    /* an integration's tier as stored; anything else is the trial */
    assert_int_equal(fh_tier_of_name("growth"), FH_TIER_GROWTH);
    assert_int_equal(fh_tier_of_name("trial"), FH_TIER_TRIAL);
    assert_int_equal(fh_tier_of_name(NULL), FH_TIER_TRIAL);
    /* a partner's setting replaces every tier's interval; the tick is the smallest, <= 1 min */
    assert_int_equal(fh_sync_poll_ms(&cfg, FH_TIER_STARTER, 0, 0), 900000);
    assert_int_equal(fh_sync_poll_ms(&cfg, FH_TIER_STARTER, 4000, 0), 4000);
    assert_int_equal(fh_sync_poll_ms(&cfg, FH_TIER_SCALE, 0, 360000), 360000); /* a floor */
    assert_int_equal(fh_sync_poll_ms(&cfg, FH_TIER_SCALE, 4000, 360000), 4000);
    assert_int_equal(fh_sync_poll_tick_ms(&cfg, 0), 60000);
    assert_int_equal(fh_sync_poll_tick_ms(&cfg, 4000), 4000);
    assert_int_equal(fh_sync_poll_tick_ms(&cfg, 3600000), 60000);
    cfg.tier_poll_ms[3] = 20000;
    assert_int_equal(fh_sync_poll_tick_ms(&cfg, 0), 20000);
}

int main(void)
{
    fh_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_keys_check),
        cmocka_unit_test(test_typos_are_caught),
        cmocka_unit_test(test_key_shapes),
        cmocka_unit_test(test_stripe_signature),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
