/* test_zoho.c - the Zoho Books pieces that need no partner: the webhook signature (the fact
 * sheet's vectors, query parameters sorted, hex of either case), the data-center table (Zoho's
 * own servers and the sandbox scheme), day limits by plan, the time format, the fiscalize rule,
 * the mapping arithmetic (tax exclusive and inclusive, Zoho's rounding, shipping, discounts,
 * labels, payments) and the settings validation. The partner paths run in tests/e2e/zoho*.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_zoho.h"

static void test_signature(void **state)
{
    (void)state;
    const char *secret = "mysecretkey12";
    const char *body1 = "{\"created_date\":\"2019-03-06\",\"event_id\":\"5675\"}";
    const char *names[] = {"subscription_id", "name"}, *values[] = {"90343", "basic"};
    const char *v1 = "ec0357bb87b946f9b88f3d80899810913dfbc310ada921e1d1e25575d5f63ee9";
    assert_true(fh_zoho_webhook_verify(secret, names, values, 2, body1, strlen(body1), v1));
    char upper[65];
    for (size_t i = 0; i < 65; i++)
        upper[i] = v1[i] >= 'a' && v1[i] <= 'f' ? (char)(v1[i] - 32) : v1[i];
    assert_true(fh_zoho_webhook_verify(secret, names, values, 2, body1, strlen(body1), upper));
    assert_false(fh_zoho_webhook_verify(secret, names, values, 1, body1, strlen(body1), v1));
    assert_false(
        fh_zoho_webhook_verify("mysecretkey13", names, values, 2, body1, strlen(body1), v1));
    const char *body2 = "{\"invoice\":{\"invoice_id\":\"1\",\"status\":\"paid\"}}";
    const char *v2 = "7f0a08922e0310a3a0e0b8a3e17db77170a8402e80004ea06dcb8d516e183db2";
    assert_true(fh_zoho_webhook_verify(secret, NULL, NULL, 0, body2, strlen(body2), v2));
    assert_false(fh_zoho_webhook_verify(secret, NULL, NULL, 0, body2, strlen(body2) - 1, v2));
    assert_false(fh_zoho_webhook_verify(secret, NULL, NULL, 0, body2, strlen(body2), ""));
    assert_false(fh_zoho_webhook_verify(secret, NULL, NULL, 0, body2, strlen(body2), NULL));
    assert_false(fh_zoho_webhook_verify("", NULL, NULL, 0, body2, strlen(body2), v2));
    /* repeated names keep their order (a stable sort): "a1" + "a2" + "b0" + body */
    const char *rn[] = {"b", "a", "a"}, *rv[] = {"0", "1", "2"};
    uint8_t mac[32];
    char msg[200], hex[65];
    snprintf(msg, sizeof(msg), "a1a2b0%s", body2);
    fh_hmac_sha256(secret, strlen(secret), msg, strlen(msg), mac);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    assert_true(fh_zoho_webhook_verify(secret, rn, rv, 3, body2, strlen(body2), hex));
}

static void test_data_centers(void **state)
{
    (void)state;
    struct fh_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct fh_app app;
    memset(&app, 0, sizeof(app));
    app.cfg = &cfg;
    struct fh_zoho_dc dc;
    cfg.zoho_accounts_url = (char *)"zoho";
    assert_true(fh_zoho_dc(&app, "ca", false, &dc));
    assert_string_equal(dc.accounts, "https://accounts.zohocloud.ca");
    assert_string_equal(dc.web, "https://books.zohocloud.ca");
    assert_true(fh_zoho_dc(&app, "au", true, &dc));
    assert_string_equal(dc.id, "com.au");
    assert_string_equal(dc.accounts, "https://accounts.zoho.com.au");
    assert_true(fh_zoho_dc(&app, "us", true, &dc));
    assert_string_equal(dc.id, "com");
    assert_false(fh_zoho_dc(&app, "us", false, &dc));
    assert_false(fh_zoho_dc(&app, "mars", true, &dc));
    assert_false(fh_zoho_dc(&app, NULL, false, &dc));
    cfg.zoho_accounts_url = (char *)"http://127.0.0.1:8081/zoho/accounts/";
    assert_true(fh_zoho_dc(&app, "eu", true, &dc));
    assert_string_equal(dc.accounts, "http://127.0.0.1:8081/zoho/accounts/eu");
    assert_string_equal(dc.web, "http://127.0.0.1:8081/zoho/books/eu");
}

static void test_day_limits(void **state)
{
    (void)state;
    const char *l = "free=1000,standard=2000,professional=5000,premium=10000";
    assert_int_equal(fh_zoho_day_limit(l, "Standard"), 2000);
    assert_int_equal(fh_zoho_day_limit(l, "professional - annual"), 5000);
    assert_int_equal(fh_zoho_day_limit(l, "Premium"), 10000);
    assert_int_equal(fh_zoho_day_limit(l, "Basic"), 1000); /* unknown: the smallest */
    assert_int_equal(fh_zoho_day_limit(l, NULL), 1000);
    assert_int_equal(fh_zoho_day_limit("x=oops", "x"), 1000);
}

static void test_time(void **state)
{
    (void)state;
    int64_t ms = 0, utc = 0;
    assert_true(fh_zoho_time("2026-04-23T14:15:00Z", &utc));
    assert_true(fh_zoho_time("2026-04-23T15:15:00+0100", &ms));
    assert_int_equal(ms, utc);
    assert_true(fh_zoho_time("2026-04-23T06:15:00-08:00", &ms));
    assert_int_equal(ms, utc);
    assert_true(fh_zoho_time("2026-04-23T14:15:00.123+0000", &ms));
    assert_int_equal(ms, utc);
    assert_false(fh_zoho_time("yesterday", &ms));
    assert_false(fh_zoho_time("2026-04-23T14:15:00 junk", &ms));
}

static void test_due(void **state)
{
    (void)state;
    char why[200];
    static const char *const cases[][3] = {
        /* status, extra fields, due under sent / paid */
        {"draft", "", "nn"},
        {"void", "", "nn"},
        {"sent", "", "yn"},
        {"viewed", "", "yn"},
        {"overdue", "", "yn"},
        {"partially_paid", "", "yy"},
        {"paid", "", "yy"},
        {"sent", ",\"payment_made\":5", "yy"},
        {"sent", ",\"total\":10,\"balance\":4", "yy"},
        {"pending_approval", "", "nn"},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        char text[200];
        snprintf(text, sizeof(text), "{\"status\":\"%s\"%s}", cases[i][0], cases[i][1]);
        json_t *inv = json_loads(text, 0, NULL);
        assert_int_equal(fh_zoho_due(inv, "sent", why, sizeof(why)), cases[i][2][0] == 'y');
        assert_int_equal(fh_zoho_due(inv, "paid", why, sizeof(why)), cases[i][2][1] == 'y');
        json_decref(inv);
    }
}

/* An invoice detail with lines, as Zoho sends it. */
static json_t *invoice(bool inclusive, const char *lines, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "{\"invoice_id\":\"460000000027061\",\"invoice_number\":\"INV-00042\","
             "\"status\":\"sent\",\"is_inclusive_tax\":%s,\"line_items\":%s%s}",
             inclusive ? "true" : "false", lines, extra);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

/* "quantity|unit_price|total|label" of item i of the mapping, or the why. */
static char *map_item(json_t *inv, json_t *settings, size_t i)
{
    json_t *c = NULL;
    char why[300];
    if (fh_zoho_map(inv, settings, &c, why, sizeof(why)) != FH_OK)
        return fh_strdup(why);
    json_t *it = json_array_get(json_object_get(c, "items"), i);
    char *s = fh_asprintf("%s|%s|%s|%s", json_string_value(json_object_get(it, "quantity")),
                          json_string_value(json_object_get(it, "unit_price")),
                          json_string_value(json_object_get(it, "total")),
                          json_string_value(json_array_get(json_object_get(it, "labels"), 0)));
    json_decref(c);
    return s;
}

static void expect_item(json_t *inv, json_t *settings, size_t i, const char *want)
{
    char *s = map_item(inv, settings, i);
    assert_string_equal(s, want);
    free(s);
}

static void test_mapping_exclusive(void **state)
{
    (void)state;
    json_t *settings = json_loads("{\"tax_mapping\":{\"VAT\":\"\xD0\x96\",\"none\":\"N\","
                                  "\"460000000000003\":\"E\"},\"default_label\":\"B\"}",
                                  0, NULL);
    /* 2 x 100 at 20 % -> 240; 3 x 3.33 = 9.99 at 10 % (tax 0.999 -> 1.00) -> 10.99;
     * an untaxed line; a line whose tax_id is mapped; total 266.99 + 5 + 3 = 274.99 */
    const char *lines =
        "[{\"name\":\"Widget\",\"rate\":100,\"quantity\":2,\"item_total\":200,\"tax_id\":\"1\","
        "\"tax_name\":\"VAT\",\"tax_percentage\":20},"
        "{\"name\":\"Book\",\"rate\":3.33,\"quantity\":3,\"item_total\":9.99,\"tax_id\":\"2\","
        "\"tax_name\":\"Reduced VAT\",\"tax_percentage\":10},"
        "{\"name\":\"\",\"description\":\"Service\\tfee\",\"rate\":5,\"quantity\":1,"
        "\"item_total\":5,\"tax_id\":\"\",\"tax_name\":\"\",\"tax_percentage\":0},"
        "{\"name\":\"Odd\",\"rate\":2.5,\"quantity\":1.2345,\"item_total\":3.09,"
        "\"tax_id\":\"460000000000003\",\"tax_name\":\"Other\",\"tax_percentage\":0}]";
    json_t *inv = invoice(false, lines, ",\"total\":\"259.08\",\"vat_reg_no\":\"RS123456789\"");
    expect_item(inv, settings, 0, "2|120|240|\xD0\x96");
    expect_item(inv, settings, 1, "3|3.6633|10.99|B");
    expect_item(inv, settings, 2, "1|5|5|N");
    expect_item(inv, settings, 3, "1|3.09|3.09|E"); /* a 4th decimal of quantity: one unit */
    json_t *c = NULL;
    char why[300];
    assert_int_equal(fh_zoho_map(inv, settings, &c, why, sizeof(why)), FH_OK);
    json_t *it2 = json_array_get(json_object_get(c, "items"), 2);
    assert_string_equal(json_string_value(json_object_get(it2, "name")), "Service fee");
    json_t *it3 = json_array_get(json_object_get(c, "items"), 3);
    assert_string_equal(json_string_value(json_object_get(it3, "name")), "Odd x 1.2345");
    assert_string_equal(json_string_value(json_object_get(c, "buyer_id")), "RS123456789");
    assert_string_equal(json_string_value(json_object_get(c, "pos_invoice_number")), "INV-00042");
    json_t *pay = json_array_get(json_object_get(c, "payments"), 0);
    assert_string_equal(json_string_value(json_object_get(pay, "method")), "other");
    assert_string_equal(json_string_value(json_object_get(pay, "amount")), "259.08");
    struct fh_fiscal_invoice fi;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(c, &fi, &err), FH_OK);
    fh_fiscal_invoice_free(&fi);
    json_decref(c);
    json_decref(inv);
    json_decref(settings);
}

static void test_mapping_totals(void **state)
{
    (void)state;
    char why[300];
    json_t *c = NULL;
    const char *two = "[{\"name\":\"A\",\"quantity\":1,\"item_total\":100,\"tax_percentage\":20},"
                      "{\"name\":\"B\",\"quantity\":1,\"item_total\":50,\"tax_percentage\":20}]";
    /* inclusive: the line totals are what is paid */
    json_t *inv = invoice(true, two, ",\"total\":150");
    expect_item(inv, NULL, 0, "1|100|100|A");
    json_decref(inv);
    /* another currency than the organization's: not fiscalized in its amounts */
    inv = invoice(true, two, ",\"total\":150,\"currency_code\":\"USD\",\"exchange_rate\":117.25");
    expect_item(inv, NULL, 0,
                "the document is in USD at an exchange rate of 117.25: fiscalhub fiscalizes only "
                "documents in the organisation's own currency");
    json_decref(inv);
    inv = invoice(true, two, ",\"total\":150,\"currency_code\":\"EUR\",\"exchange_rate\":1.0");
    expect_item(inv, NULL, 0, "1|100|100|A");
    json_decref(inv);
    /* Zoho rounding its tax summary another way: the cent goes to the last line */
    inv = invoice(false, two, ",\"total\":180.01");
    expect_item(inv, NULL, 1, "1|60.01|60.01|A");
    json_decref(inv);
    /* an invoice-level discount of 18 (10 %) is spread in proportion: 120 -> 108, 60 -> 54 */
    inv = invoice(false, two, ",\"total\":162,\"adjustment\":-18");
    expect_item(inv, NULL, 0, "1|108|108|A");
    expect_item(inv, NULL, 1, "1|54|54|A");
    json_decref(inv);
    /* shipping and a positive adjustment become items (default label) */
    inv = invoice(false, two,
                  ",\"total\":197.5,\"shipping_charge\":15,\"adjustment\":2.5,"
                  "\"payments\":[{\"payment_mode\":\"Bank Transfer\"}]");
    expect_item(inv, NULL, 2, "1|15|15|A");
    expect_item(inv, NULL, 3, "1|2.5|2.5|A");
    assert_int_equal(fh_zoho_map(inv, NULL, &c, why, sizeof(why)), FH_OK);
    json_t *pay = json_array_get(json_object_get(c, "payments"), 0);
    assert_string_equal(json_string_value(json_object_get(pay, "method")), "wire_transfer");
    json_decref(c);
    json_decref(inv);
    /* a total above the lines, beyond rounding: refused with the amounts */
    inv = invoice(false, two, ",\"total\":200");
    assert_int_equal(fh_zoho_map(inv, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    assert_non_null(strstr(why, "200.00"));
    json_decref(inv);
    /* negative lines, and no line with an amount */
    inv = invoice(false, "[{\"name\":\"Refund\",\"quantity\":1,\"item_total\":-5}]", "");
    assert_int_equal(fh_zoho_map(inv, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    assert_non_null(strstr(why, "line 1"));
    json_decref(inv);
    inv = invoice(false, "[{\"name\":\"Free\",\"quantity\":1,\"item_total\":0}]", "");
    assert_int_equal(fh_zoho_map(inv, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    json_decref(inv);
}

/* The tax total the tax check compares with the V-SDC's: tax_total, unless a discount or a
 * negative adjustment was spread over the lines (what Zoho taxed differs from the lines then). */
static void test_tax_total(void **state)
{
    (void)state;
    int64_t tax = -1;
    json_t *inv = json_loads("{\"tax_total\": 30.5, \"adjustment\": 2}", 0, NULL);
    assert_true(fh_zoho_tax_total(inv, &tax));
    assert_int_equal(tax, 305000);
    json_decref(inv);
    const char *const unknown[] = {
        "{}",
        "{\"tax_total\": -1}",
        "{\"tax_total\": \"x\"}",
        "{\"tax_total\": 30, \"discount\": 10}",
        "{\"tax_total\": 30, \"adjustment\": -0.5}",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(unknown); i++) {
        inv = json_loads(unknown[i], 0, NULL);
        assert_false(fh_zoho_tax_total(inv, &tax));
        json_decref(inv);
    }
}

static void test_settings(void **state)
{
    (void)state;
    struct fh_json_error err;
    json_t *out = NULL;
    assert_int_equal(fh_zoho_settings_merge(NULL, NULL, &out, &err), FH_OK);
    assert_string_equal(json_string_value(json_object_get(out, "data_center")), "com");
    assert_string_equal(json_string_value(json_object_get(out, "fiscalize")), "sent");
    json_t *in =
        json_loads("{\"data_center\":\"com.au\",\"fiscalize\":\"paid\","
                   "\"tax_mapping\":{\"VAT 20\":\"A\"},\"backfill_days\":30,\"attach_qr\":true,"
                   "\"attach_journal\":true}",
                   0, NULL);
    json_t *merged = NULL;
    assert_int_equal(fh_zoho_settings_merge(out, in, &merged, &err), FH_OK);
    assert_string_equal(json_string_value(json_object_get(merged, "data_center")), "com.au");
    assert_true(json_is_true(json_object_get(merged, "attach_qr")));
    assert_true(json_is_true(json_object_get(merged, "attach_journal")));
    json_decref(in);
    static const char *const bad[] = {
        "{\"data_center\":\"mars\"}",       "{\"data_center\":1}",     "{\"fiscalize\":\"never\"}",
        "{\"trigger\":\"payment\"}",        "{\"attach_qr\":\"yes\"}", "{\"attach_journal\":1}",
        "{\"tax_mapping\":{\"X\":\"AB\"}}", "{\"backfill_days\":-1}",  "{\"default_label\":\"\"}",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        json_t *o = NULL;
        assert_int_equal(fh_zoho_settings_merge(merged, b, &o, &err), FH_E_INPUT);
        assert_true(err.detail[0] != '\0');
        json_decref(b);
    }
    json_decref(merged);
    json_decref(out);
}

int main(void)
{
    fh_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_data_centers),
        cmocka_unit_test(test_day_limits),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_mapping_exclusive),
        cmocka_unit_test(test_mapping_totals),
        cmocka_unit_test(test_tax_total),
        cmocka_unit_test(test_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
