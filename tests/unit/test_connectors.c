/* test_connectors.c - the connector pieces that need no partner: PKCE (RFC 7636 vector), the
 * Xero webhook signature (the fact sheet's vectors), the https-only URL rule, header reading and
 * status classes, JWT claims, Xero dates, the trigger rules, the mapping arithmetic for each
 * LineAmountTypes, and the settings validation. The partner paths run in tests/e2e/xero*.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_xero.h"

static void test_pkce(void **state)
{
    (void)state;
    char out[64];
    fh_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out, sizeof(out));
    assert_string_equal(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    char v[FH_PKCE_VERIFIER_LEN + 1], c[FH_PKCE_VERIFIER_LEN + 1], c2[64];
    fh_pkce_new(v, c);
    assert_int_equal(strlen(v), 43);
    assert_int_equal(strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     43);
    fh_pkce_challenge(v, c2, sizeof(c2));
    assert_string_equal(c, c2);
}

static void test_webhook_signature(void **state)
{
    (void)state;
    const char *key = "test-webhook-key";
    const char *body = "{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,"
                       "\"entropy\":\"ABCDEFGHIJKLMNOPQRST\"}";
    assert_int_equal(strlen(body), 91);
    assert_true(fh_xero_webhook_verify(key, body, strlen(body),
                                       "VqPPsjO1NvRR4reuvD6Vyky7CRbX+iiI2mBvuDHP0ao="));
    assert_false(fh_xero_webhook_verify(key, body, strlen(body) - 1,
                                        "VqPPsjO1NvRR4reuvD6Vyky7CRbX+iiI2mBvuDHP0ao="));
    assert_false(fh_xero_webhook_verify("other", body, strlen(body),
                                        "VqPPsjO1NvRR4reuvD6Vyky7CRbX+iiI2mBvuDHP0ao="));
    assert_false(fh_xero_webhook_verify(key, body, strlen(body), ""));
    assert_false(fh_xero_webhook_verify(key, body, strlen(body), NULL));
    assert_false(fh_xero_webhook_verify("", body, strlen(body), "x"));
    const char *ex =
        "{\"events\":[{\"resourceUrl\":\"https://api.xero.com/api.xro/2.0/Invoices/"
        "11111111-2222-3333-4444-555555555555\",\"resourceId\":\"11111111-2222-3333-4444-"
        "555555555555\",\"eventDateUtc\":\"2026-01-15T03:04:05.678\",\"eventType\":\"UPDATE\","
        "\"eventCategory\":\"INVOICE\",\"tenantId\":\"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\","
        "\"tenantType\":\"ORGANISATION\"}],\"firstEventSequence\":7,\"lastEventSequence\":7,"
        "\"entropy\":\"QWERTYUIOPASDFGHJKLZ\"}";
    assert_int_equal(strlen(ex), 405);
    assert_true(fh_xero_webhook_verify(key, ex, strlen(ex),
                                       "WNCc7/lTwt3/VpCQdzc6JhCJ32Ugj3dcl2OkmMSrqlE="));
}

static void test_url_rule(void **state)
{
    (void)state;
    assert_true(fh_http_url_allowed("https://identity.xero.com/connect/token"));
    assert_true(fh_http_url_allowed("http://127.0.0.1:8081/xero/api.xro/2.0"));
    assert_true(fh_http_url_allowed("http://localhost/x"));
    assert_true(fh_http_url_allowed("http://[::1]:80/x"));
    assert_false(fh_http_url_allowed("http://api.xero.com/x"));
    assert_false(fh_http_url_allowed("http://127.0.0.1.evil.example/x"));
    assert_false(fh_http_url_allowed("http://localhost@evil.example/x"));
    assert_false(fh_http_url_allowed("ftp://127.0.0.1/x"));
    assert_false(fh_http_url_allowed("file:///etc/passwd"));
    assert_false(fh_http_url_allowed(NULL));
    struct fh_http_request rq = {.method = "GET", .url = "http://example.com/"};
    struct fh_http_response r;
    assert_int_equal(fh_http_call(&rq, &r), FH_E_INPUT);
    fh_http_response_free(&r);
}

static void test_headers_and_classes(void **state)
{
    (void)state;
    char hdrs[] = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nx-rate-limit-problem:  "
                  "minute \r\nX-MinLimit-Remaining: 0\r\n\r\n";
    struct fh_http_response r = {.status = 429, .headers = hdrs};
    char v[32];
    assert_true(fh_http_header(&r, "retry-after", v, sizeof(v)));
    assert_string_equal(v, "7");
    assert_true(fh_http_header(&r, "X-Rate-Limit-Problem", v, sizeof(v)));
    assert_string_equal(v, "minute");
    assert_false(fh_http_header(&r, "X-DayLimit-Remaining", v, sizeof(v)));
    assert_int_equal(fh_http_classify(&r), FH_HC_RATE_LIMITED);
    static const struct {
        long status;
        enum fh_http_class c;
    } cases[] = {{200, FH_HC_OK},          {204, FH_HC_OK},           {400, FH_HC_BAD_REQUEST},
                 {422, FH_HC_BAD_REQUEST}, {401, FH_HC_UNAUTHORIZED}, {403, FH_HC_FORBIDDEN},
                 {404, FH_HC_NOT_FOUND},   {409, FH_HC_CONFLICT},     {408, FH_HC_SERVER},
                 {500, FH_HC_SERVER},      {503, FH_HC_SERVER},       {0, FH_HC_NO_ANSWER},
                 {302, FH_HC_OTHER},       {418, FH_HC_OTHER}};
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        struct fh_http_response x = {.status = cases[i].status};
        assert_int_equal(fh_http_classify(&x), cases[i].c);
    }
}

static void test_jwt_and_dates(void **state)
{
    (void)state;
    /* header.{"authentication_event_id":"ev-1","n":1}.sig */
    const char *jwt =
        "eyJhbGciOiJub25lIn0.eyJhdXRoZW50aWNhdGlvbl9ldmVudF9pZCI6ImV2LTEiLCJuIjoxfQ.x";
    char out[64];
    assert_true(fh_jwt_claim(jwt, "authentication_event_id", out, sizeof(out)));
    assert_string_equal(out, "ev-1");
    assert_false(fh_jwt_claim(jwt, "n", out, sizeof(out)));
    assert_false(fh_jwt_claim("not-a-jwt", "x", out, sizeof(out)));
    int64_t ms;
    assert_true(fh_xero_date("/Date(1552326816230+0000)/", &ms));
    assert_int_equal(ms, 1552326816230LL);
    assert_true(fh_xero_date("2026-01-15T03:04:05.678", &ms));
    assert_int_equal(ms, 1768446245678LL);
    assert_true(fh_xero_date("2019-12-07T18:46:19.5165400", &ms));
    assert_int_equal(ms % 1000, 516);
    assert_false(fh_xero_date("yesterday", &ms));
}

/* A credit note waiting for its original looks again after as long as it waited: 2 s to 15 min. */
static void test_credit_wait_gap(void **state)
{
    (void)state;
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 0, true), 2000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 1500, true), 2000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 4000, true), 4000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 512000, true), 512000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 15 * 60 * 1000 + 1, true), 15 * 60 * 1000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 3LL * 86400 * 1000, true), 15 * 60 * 1000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, -3, true), 2000);
    /* an original with no fiscal invoice: looks during the first minute, then the wake alone
     * until the 30-day give-up */
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 4000, false), 4000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 32000, false), 32000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_CREDIT, 60000, false),
                     30LL * 86400 * 1000 - 60000 + 2000);
    /* a void of an invoice with no fiscal invoice: no looks, only the end of its 10 minutes */
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_VOID, 0, false), 10 * 60 * 1000 + 2000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_VOID, 4000, false), 10 * 60 * 1000 - 4000 + 2000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_VOID, 11 * 60 * 1000, false), 2000);
    assert_int_equal(fh_conn_wait_gap_ms(FH_CONN_VOID, 4000, true), 4000); /* a sale pending */
}

static json_t *inv(const char *status, const char *lat, const char *lines)
{
    char *s =
        fh_asprintf("{\"Type\":\"ACCREC\",\"InvoiceID\":\"11111111-2222-3333-4444-555555555555\","
                    "\"InvoiceNumber\":\"INV-0001\",\"Status\":\"%s\",\"LineAmountTypes\":\"%s\","
                    "\"Contact\":{\"Name\":\"Acme\",\"TaxNumber\":\"123456789\"},"
                    "\"LineItems\":%s}",
                    status, lat, lines);
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    return j;
}

static void test_trigger_rules(void **state)
{
    (void)state;
    char why[200];
    json_t *d = inv("DRAFT", "Exclusive", "[]");
    assert_int_equal(fh_xero_decide_invoice(d, "approval", why, sizeof(why)), FH_XERO_SKIP);
    assert_int_equal(fh_xero_decide_invoice(d, "payment", why, sizeof(why)), FH_XERO_SKIP);
    json_object_set_new(d, "Status", json_string("AUTHORISED"));
    assert_int_equal(fh_xero_decide_invoice(d, "approval", why, sizeof(why)), FH_XERO_FISCALIZE);
    assert_int_equal(fh_xero_decide_invoice(d, "payment", why, sizeof(why)), FH_XERO_SKIP);
    json_object_set_new(d, "AmountPaid", json_real(0.5));
    assert_int_equal(fh_xero_decide_invoice(d, "payment", why, sizeof(why)), FH_XERO_FISCALIZE);
    json_object_del(d, "AmountPaid");
    json_object_set_new(d, "Status", json_string("PAID"));
    assert_int_equal(fh_xero_decide_invoice(d, "payment", why, sizeof(why)), FH_XERO_FISCALIZE);
    json_object_set_new(d, "Status", json_string("VOIDED"));
    assert_int_equal(fh_xero_decide_invoice(d, "approval", why, sizeof(why)), FH_XERO_SKIP);
    json_object_set_new(d, "Status", json_string("AUTHORISED"));
    json_object_set_new(d, "Type", json_string("ACCPAY"));
    assert_int_equal(fh_xero_decide_invoice(d, "approval", why, sizeof(why)), FH_XERO_SKIP);
    json_decref(d);
}

/* Maps and returns item i's (quantity, unit_price, total, label) joined by '|'. */
static char *map_item(json_t *doc, json_t *settings, size_t i)
{
    json_t *c = NULL;
    char why[200];
    assert_int_equal(fh_xero_map(doc, settings, NULL, NULL, &c, why, sizeof(why)), FH_OK);
    json_t *it = json_array_get(json_object_get(c, "items"), i);
    char *s = fh_asprintf("%s|%s|%s|%s", json_string_value(json_object_get(it, "quantity")),
                          json_string_value(json_object_get(it, "unit_price")),
                          json_string_value(json_object_get(it, "total")),
                          json_string_value(json_array_get(json_object_get(it, "labels"), 0)));
    json_decref(c);
    return s;
}

static void test_mapping(void **state)
{
    (void)state;
    json_t *settings =
        json_loads("{\"tax_mapping\":{\"TAX002\":\"\xD0\x96\"},\"default_label\":\"B\"}", 0, NULL);
    const char *lines = "[{\"Description\":\"Widget\\nblue\",\"Quantity\":3,\"UnitAmount\":10.0,"
                        "\"LineAmount\":30.0,\"TaxAmount\":6.0,\"TaxType\":\"TAX001\"},"
                        "{\"Description\":\"Text only\"},"
                        "{\"Description\":\"Book\",\"Quantity\":3,\"UnitAmount\":3.33,"
                        "\"LineAmount\":9.99,\"TaxAmount\":1.0,\"TaxType\":\"TAX002\"},"
                        "{\"Description\":\"Odd\",\"Quantity\":1.2345,\"LineAmount\":12.35,"
                        "\"TaxAmount\":0,\"TaxType\":\"NONE\"}]";
    json_t *d = inv("AUTHORISED", "Exclusive", lines);
    char *s = map_item(d, settings, 0);
    assert_string_equal(s, "3|12|36|B"); /* 30 + 6 tax, per unit 12 */
    free(s);
    s = map_item(d, settings, 1);
    assert_string_equal(s, "3|3.6633|10.99|\xD0\x96"); /* 10.99 / 3 rounded to 4 decimals */
    free(s);
    s = map_item(d, settings, 2);
    assert_string_equal(s, "1|12.35|12.35|B"); /* a 4th decimal of quantity: one unit */
    free(s);
    json_t *c = NULL;
    char why[200];
    assert_int_equal(fh_xero_map(d, settings, NULL, NULL, &c, why, sizeof(why)), FH_OK);
    assert_int_equal(json_array_size(json_object_get(c, "items")), 3); /* the text line left out */
    json_t *it0 = json_array_get(json_object_get(c, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it0, "name")), "Widget blue");
    assert_string_equal(json_string_value(json_object_get(c, "buyer_id")), "123456789");
    assert_string_equal(json_string_value(json_object_get(c, "pos_invoice_number")), "INV-0001");
    json_t *pay = json_array_get(json_object_get(c, "payments"), 0);
    assert_string_equal(json_string_value(json_object_get(pay, "method")), "other");
    assert_string_equal(json_string_value(json_object_get(pay, "amount")), "59.34");
    /* the canonical invoice is valid for the fiscal module */
    struct fh_fiscal_invoice fi;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(c, &fi, &err), FH_OK);
    fh_fiscal_invoice_free(&fi);
    json_decref(c);
    json_decref(d);
    /* Inclusive and NoTax: the line amount is the total */
    d = inv("PAID", "Inclusive", "[{\"Quantity\":2,\"LineAmount\":24.0,\"TaxAmount\":4.0}]");
    s = map_item(d, settings, 0);
    assert_string_equal(s, "2|12|24|B");
    free(s);
    assert_int_equal(fh_xero_map(d, settings, NULL, NULL, &c, why, sizeof(why)), FH_OK);
    pay = json_array_get(json_object_get(c, "payments"), 0);
    assert_string_equal(json_string_value(json_object_get(pay, "method")), "wire_transfer");
    json_decref(c);
    json_decref(d);
    d = inv("AUTHORISED", "NoTax", "[{\"Quantity\":1,\"LineAmount\":5.5}]");
    s = map_item(d, NULL, 0);
    assert_string_equal(s, "1|5.5|5.5|A");
    free(s);
    json_decref(d);
    /* a refund references the original */
    d = inv("AUTHORISED", "Exclusive", "[{\"Quantity\":1,\"LineAmount\":10,\"TaxAmount\":2}]");
    assert_int_equal(fh_xero_map(d, NULL, "AB12CD34-AB12CD34-7", "2026-01-15T10:00:00.000+01:00",
                                 &c, why, sizeof(why)),
                     FH_OK);
    assert_string_equal(json_string_value(json_object_get(c, "transaction_type")), "refund");
    assert_string_equal(json_string_value(json_object_get(c, "referent_document_number")),
                        "AB12CD34-AB12CD34-7");
    json_decref(c);
    json_decref(d);
    /* refusals */
    d = inv("AUTHORISED", "Exclusive", "[{\"Quantity\":1,\"LineAmount\":-10,\"TaxAmount\":0}]");
    assert_int_equal(fh_xero_map(d, NULL, NULL, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    assert_non_null(strstr(why, "line 1"));
    json_decref(d);
    d = inv("AUTHORISED", "Exclusive", "[{\"Description\":\"only text\"}]");
    assert_int_equal(fh_xero_map(d, NULL, NULL, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    json_decref(d);
    /* a document in another currency than the organisation's is not fiscalized in its amounts */
    d = inv("AUTHORISED", "Exclusive", "[{\"Quantity\":1,\"LineAmount\":10,\"TaxAmount\":2}]");
    json_object_set_new(d, "CurrencyCode", json_string("USD"));
    json_object_set_new(d, "CurrencyRate", json_real(0.751234));
    assert_int_equal(fh_xero_map(d, NULL, NULL, NULL, &c, why, sizeof(why)), FH_E_INPUT);
    assert_string_equal(why, "the document is in USD at an exchange rate of 0.751234: fiscalhub "
                             "fiscalizes only documents in the organisation's own currency");
    json_object_set_new(d, "CurrencyRate", json_real(1.0)); /* Xero's rate for its own currency */
    assert_int_equal(fh_xero_map(d, NULL, NULL, NULL, &c, why, sizeof(why)), FH_OK);
    json_decref(c);
    json_decref(d);
    json_decref(settings);
}

static void test_settings(void **state)
{
    (void)state;
    struct fh_json_error err;
    json_t *out = NULL;
    assert_int_equal(fh_integ_settings_merge(NULL, NULL, &out, &err), FH_OK);
    assert_string_equal(json_string_value(json_object_get(out, "trigger")), "payment");
    json_t *in = json_loads("{\"trigger\":\"approval\",\"tax_mapping\":{\"TAX001\":\"\xD0\x96\"},"
                            "\"backfill_days\":7,\"attach_qr\":true,\"attach_journal\":true}",
                            0, NULL);
    json_t *merged = NULL;
    assert_int_equal(fh_integ_settings_merge(out, in, &merged, &err), FH_OK);
    assert_string_equal(json_string_value(json_object_get(merged, "trigger")), "approval");
    assert_true(json_is_true(json_object_get(merged, "attach_journal")));
    json_decref(in);
    static const char *const bad[] = {
        "{\"trigger\":\"never\"}",      "{\"tax_mapping\":{\"X\":\"AB\"}}",
        "{\"tax_mapping\":[]}",         "{\"default_label\":\"\"}",
        "{\"backfill_days\":400}",      "{\"attach_qr\":1}",
        "{\"attach_journal\":\"yes\"}", "{\"colour\":\"red\"}",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        json_t *o = NULL;
        assert_int_equal(fh_integ_settings_merge(merged, b, &o, &err), FH_E_INPUT);
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
        cmocka_unit_test(test_pkce),          cmocka_unit_test(test_webhook_signature),
        cmocka_unit_test(test_url_rule),      cmocka_unit_test(test_headers_and_classes),
        cmocka_unit_test(test_jwt_and_dates), cmocka_unit_test(test_credit_wait_gap),
        cmocka_unit_test(test_trigger_rules), cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
