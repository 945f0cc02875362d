/* test_fiscal.c - the canonical invoice (every validation rule), the exact V-SDC request text,
 * RequestId derivation, the V-SDC answer classification and the TaxCore code messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/fiscal/taxcore/taxcore.h"
#include "fh/fh_fiscal.h"

/* A valid invoice; tests patch one field with json_object_set. */
static const char *const BASE =
    "{\"invoice_type\":\"normal\",\"transaction_type\":\"sale\",\"cashier\":\"Ana\","
    "\"pos_invoice_number\":\"INV-0001\","
    "\"payments\":[{\"method\":\"cash\",\"amount\":\"150.00\"}],"
    "\"items\":[{\"gtin\":\"12345678\",\"name\":\"Cable\",\"quantity\":\"1\","
    "\"unit_price\":\"100.87\",\"labels\":[\"A\"],\"total\":\"100.87\"},"
    "{\"name\":\"Тест\",\"quantity\":\"2.5\",\"unit_price\":\"10\",\"labels\":[\"Ђ\",\"F\"],"
    "\"total\":\"25\"}]}";

static json_t *base(void)
{
    json_t *j = json_loads(BASE, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_t *item(json_t *inv, size_t i)
{
    return json_array_get(json_object_get(inv, "items"), i);
}

/* Parses doc (consumed), expects failure with ec and a detail starting with prefix. */
static void expect_fail(json_t *doc, enum fh_ec ec, const char *prefix)
{
    struct fh_fiscal_invoice inv;
    struct fh_json_error err = {0};
    enum fh_rc rc = fh_fiscal_invoice_parse(doc, &inv, &err);
    json_decref(doc);
    if (rc != FH_E_INPUT)
        fail_msg("expected a failure naming %s, got rc %d", prefix, (int)rc);
    if (strncmp(err.detail, prefix, strlen(prefix)) != 0)
        fail_msg("detail '%s' does not start with '%s'", err.detail, prefix);
    if ((int)err.ec != (int)ec)
        fail_msg("ec %d, expected %d (%s)", (int)err.ec, (int)ec, err.detail);
}

static void test_valid_invoice(void **state)
{
    (void)state;
    json_t *doc = base();
    struct fh_fiscal_invoice inv;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(doc, &inv, &err), FH_OK);
    assert_int_equal(inv.invoice_type, FH_INVOICE_NORMAL);
    assert_int_equal(inv.nitems, 2);
    assert_int_equal(inv.items[0].unit_price, 1008700);
    assert_int_equal(inv.items[1].quantity, 25000);
    assert_string_equal(inv.items[1].labels[0], "Ђ");
    assert_int_equal(fh_fiscal_invoice_total(&inv), 1258700);
    assert_true(fh_fiscal_invoice_is_fiscal(&inv));
    /* normalized JSON parses back to the same request text */
    json_t *norm = fh_fiscal_invoice_json(&inv);
    struct fh_fiscal_invoice again;
    assert_int_equal(fh_fiscal_invoice_parse(norm, &again, &err), FH_OK);
    char *a = fh_fiscal_vsdc_request(&inv), *b = fh_fiscal_vsdc_request(&again);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(norm);
    fh_fiscal_invoice_free(&again);
    fh_fiscal_invoice_free(&inv);
    json_decref(doc);
}

static void test_enums_and_required(void **state)
{
    (void)state;
    json_t *d = base();
    json_object_set_new(d, "invoice_type", json_string("Normal"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "invoice_type must be one of: normal");
    d = base();
    json_object_del(d, "transaction_type");
    expect_fail(d, FH_EC_JSON_FIELD_MISSING, "transaction_type is required");
    d = base();
    json_object_set_new(d, "colour", json_string("red"));
    expect_fail(d, FH_EC_JSON_UNKNOWN_FIELD, "unknown field colour");
    d = base();
    json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "method",
                        json_string("bitcoin"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "payments[0].method must be one of");
    d = base();
    json_object_set_new(d, "payments", json_array());
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "payments needs at least 1");
    d = base();
    json_object_set_new(d, "items", json_array());
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items needs at least 1");
    d = base();
    json_object_set_new(item(d, 1), "discount", json_string("1"));
    expect_fail(d, FH_EC_JSON_UNKNOWN_FIELD, "items[1]: unknown field discount");
    d = base();
    json_object_del(item(d, 0), "name");
    expect_fail(d, FH_EC_JSON_FIELD_MISSING, "items[0].name is required");
    d = base();
    json_array_set_new(json_object_get(d, "items"), 0, json_string("x"));
    expect_fail(d, FH_EC_JSON_FIELD_TYPE, "items[0] must be an object");
    /* every payment method name is accepted */
    const char *methods[] = {"cash",    "card",         "check", "wire_transfer",
                             "voucher", "mobile_money", "other"};
    for (size_t i = 0; i < 7; i++) {
        d = base();
        json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "method",
                            json_string(methods[i]));
        struct fh_fiscal_invoice inv;
        struct fh_json_error err;
        assert_int_equal(fh_fiscal_invoice_parse(d, &inv, &err), FH_OK);
        assert_string_equal(fh_payment_method_name(inv.payments[0].method), methods[i]);
        fh_fiscal_invoice_free(&inv);
        json_decref(d);
    }
}

static void test_amounts(void **state)
{
    (void)state;
    json_t *d = base();
    json_object_set_new(item(d, 0), "unit_price", json_real(100.87));
    expect_fail(d, FH_EC_JSON_FIELD_TYPE, "items[0].unit_price must be a decimal string");
    d = base();
    json_object_set_new(item(d, 0), "total", json_string("1.00001"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].total has more than 4 decimals");
    d = base();
    json_object_set_new(item(d, 0), "quantity", json_string("1.0005"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].quantity has more than 3 decimals");
    d = base();
    json_object_set_new(item(d, 0), "quantity", json_string("0"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].quantity must be greater than zero");
    d = base();
    json_object_set_new(item(d, 1), "total", json_string("-25"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[1].total must not be negative");
    d = base();
    json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "amount",
                        json_string("1e3"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "payments[0].amount must be a decimal string");
    d = base();
    json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "amount",
                        json_string("100000000000"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "payments[0].amount is too large");
    d = base();
    json_object_set_new(item(d, 0), "unit_price", json_string(".5"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].unit_price must be a decimal string");
}

static void test_texts_and_labels(void **state)
{
    (void)state;
    char longname[2100];
    memset(longname, 'x', 2049);
    longname[2049] = '\0';
    json_t *d = base();
    json_object_set_new(item(d, 0), "name", json_string(longname));
    expect_fail(d, FH_EC_JSON_FIELD_TOO_LONG, "items[0].name is longer than 2048");
    d = base();
    json_object_set_new(item(d, 0), "name", json_string(""));
    expect_fail(d, FH_EC_JSON_FIELD_MISSING, "items[0].name must not be empty");
    d = base();
    json_object_set_new(item(d, 0), "gtin", json_string("1234567"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].gtin must be 8 to 14 digits");
    d = base();
    json_object_set_new(item(d, 0), "gtin", json_string("123456789012345"));
    expect_fail(d, FH_EC_JSON_FIELD_TOO_LONG, "items[0].gtin is longer than 14");
    d = base();
    json_object_set_new(item(d, 0), "gtin", json_string("1234567A"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[0].gtin must be 8 to 14 digits");
    d = base();
    json_object_set_new(d, "buyer_id", json_string("123456789012345678901"));
    expect_fail(d, FH_EC_JSON_FIELD_TOO_LONG, "buyer_id is longer than 20");
    d = base();
    memset(longname, 'c', 51);
    longname[51] = '\0';
    json_object_set_new(d, "cashier", json_string(longname));
    expect_fail(d, FH_EC_JSON_FIELD_TOO_LONG, "cashier is longer than 50");
    d = base();
    memset(longname, 'n', 61);
    longname[61] = '\0';
    json_object_set_new(d, "pos_invoice_number", json_string(longname));
    expect_fail(d, FH_EC_JSON_FIELD_TOO_LONG, "pos_invoice_number is longer than 60");
    d = base();
    json_object_set_new(d, "cashier", json_string("Ana\nBob"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "cashier must not contain control characters");
    d = base();
    json_object_set_new(item(d, 1), "labels", json_pack("[s]", "AB"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[1].labels must hold tax labels of exactly one");
    d = base();
    json_object_set_new(item(d, 1), "labels", json_pack("[s,s]", "F", "F"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[1].labels has the label F twice");
    d = base();
    json_object_set_new(item(d, 1), "labels", json_array());
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "items[1].labels needs at least 1");
    d = base();
    json_object_set_new(item(d, 1), "labels", json_pack("[i]", 1));
    expect_fail(d, FH_EC_JSON_FIELD_TYPE, "items[1].labels must hold strings");
    /* 50 UTF-16 units of Cyrillic (2 bytes each in UTF-8) are fine */
    d = base();
    char cyr[200] = "";
    for (int i = 0; i < 50; i++)
        strcat(cyr, "Ж");
    json_object_set_new(d, "cashier", json_string(cyr));
    struct fh_fiscal_invoice inv;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(d, &inv, &err), FH_OK);
    fh_fiscal_invoice_free(&inv);
    json_decref(d);
}

static void test_referent_rules(void **state)
{
    (void)state;
    json_t *d = base();
    json_object_set_new(d, "transaction_type", json_string("refund"));
    expect_fail(d, FH_EC_FISCAL_INVOICE_RULE, "referent_document_number is required");
    d = base();
    json_object_set_new(d, "invoice_type", json_string("copy"));
    json_object_set_new(d, "referent_document_number", json_string("AB12CD34-AB12CD34-17"));
    expect_fail(d, FH_EC_FISCAL_INVOICE_RULE, "referent_document_time is required");
    d = base();
    json_object_set_new(d, "transaction_type", json_string("refund"));
    json_object_set_new(d, "referent_document_number", json_string("AB12CD34-AB12CD3-17"));
    json_object_set_new(d, "referent_document_time", json_string("2026-11-21T10:00:00.123+01:00"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "referent_document_number must look like");
    d = base();
    json_object_set_new(d, "transaction_type", json_string("refund"));
    json_object_set_new(d, "referent_document_number", json_string("AB12CD34-AB12CD34-17"));
    json_object_set_new(d, "referent_document_time", json_string("21.11.2026 10:00"));
    expect_fail(d, FH_EC_JSON_FIELD_INVALID, "referent_document_time must be an RFC 3339");
    d = base();
    json_object_set_new(d, "referent_document_time", json_string("2026-11-21T10:00:00Z"));
    expect_fail(d, FH_EC_FISCAL_INVOICE_RULE, "referent_document_number must be given together");
    d = base();
    json_object_set_new(d, "buyer_cost_center_id", json_string("20:123"));
    expect_fail(d, FH_EC_FISCAL_INVOICE_RULE, "buyer_id is required when buyer_cost_center_id");
    d = base();
    json_object_set_new(d, "transaction_type", json_string("refund"));
    json_object_set_new(d, "referent_document_number", json_string("AB12CD34-AB12CD34-17"));
    json_object_set_new(d, "referent_document_time", json_string("2026-11-21T10:00:00.123+01:00"));
    struct fh_fiscal_invoice inv;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(d, &inv, &err), FH_OK);
    fh_fiscal_invoice_free(&inv);
    json_decref(d);
    assert_true(fh_fiscal_referent_number_valid("YJLQTEQR-YJLQTEQR-11389"));
    assert_false(fh_fiscal_referent_number_valid("YJLQTEQR-YJLQTEQR-"));
    assert_false(fh_fiscal_referent_number_valid("YJLQTEQR-YJLQTEQR-12a"));
    assert_false(fh_fiscal_referent_number_valid("YJLQTEQR_YJLQTEQR-12"));
}

static void test_vsdc_request_exact(void **state)
{
    (void)state;
    json_t *d = base();
    json_object_set_new(item(d, 0), "unit_price", json_string("100.8700"));
    json_object_set_new(item(d, 0), "quantity", json_string("1.000"));
    json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "amount",
                        json_string("0.1"));
    json_object_set_new(d, "cashier", json_string("A \"quoted\" \\ name"));
    struct fh_fiscal_invoice inv;
    struct fh_json_error err;
    assert_int_equal(fh_fiscal_invoice_parse(d, &inv, &err), FH_OK);
    char *body = fh_fiscal_vsdc_request(&inv);
    assert_string_equal(
        body, "{\"invoiceType\":\"Normal\",\"transactionType\":\"Sale\","
              "\"cashier\":\"A \\\"quoted\\\" \\\\ name\",\"invoiceNumber\":\"INV-0001\","
              "\"payment\":[{\"amount\":0.1,\"paymentType\":\"Cash\"}],"
              "\"items\":[{\"gtin\":\"12345678\",\"name\":\"Cable\",\"quantity\":1,"
              "\"unitPrice\":100.87,\"labels\":[\"A\"],\"totalAmount\":100.87},"
              "{\"name\":\"Тест\",\"quantity\":2.5,\"unitPrice\":10,\"labels\":[\"Ђ\",\"F\"],"
              "\"totalAmount\":25}]}");
    json_t *parsed = json_loads(body, 0, NULL);
    assert_non_null(parsed); /* valid JSON */
    json_decref(parsed);
    free(body);
    fh_fiscal_invoice_free(&inv);
    json_decref(d);
    /* a refund copy with every optional field, enum names by V-SDC integer order */
    d = base();
    json_object_set_new(d, "invoice_type", json_string("advance"));
    json_object_set_new(d, "transaction_type", json_string("refund"));
    json_object_set_new(d, "buyer_id", json_string("10:123456789"));
    json_object_set_new(d, "buyer_cost_center_id", json_string("20:1"));
    json_object_set_new(d, "referent_document_number", json_string("AB12CD34-AB12CD34-17"));
    json_object_set_new(d, "referent_document_time", json_string("2026-11-21T10:00:00Z"));
    json_object_set_new(json_array_get(json_object_get(d, "payments"), 0), "method",
                        json_string("wire_transfer"));
    assert_int_equal(fh_fiscal_invoice_parse(d, &inv, &err), FH_OK);
    body = fh_fiscal_vsdc_request(&inv);
    assert_non_null(strstr(body, "\"invoiceType\":\"Advance\",\"transactionType\":\"Refund\""));
    assert_non_null(strstr(body, "\"buyerId\":\"10:123456789\",\"buyerCostCenterId\":\"20:1\""));
    assert_non_null(strstr(body, "\"referentDocumentNumber\":\"AB12CD34-AB12CD34-17\","
                                 "\"referentDocumentDT\":\"2026-11-21T10:00:00Z\""));
    assert_non_null(strstr(body, "\"paymentType\":\"WireTransfer\""));
    free(body);
    fh_fiscal_invoice_free(&inv);
    json_decref(d);
}

static void test_decimal_text(void **state)
{
    (void)state;
    const struct {
        int64_t v;
        const char *s;
    } cases[] = {{1008700, "100.87"},
                 {10000, "1"},
                 {1, "0.0001"},
                 {0, "0"},
                 {-35000, "-3.5"},
                 {123456789, "12345.6789"},
                 {900000000000000LL, "90000000000"}};
    char b[40];
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        fh_fiscal_decimal(cases[i].v, b, sizeof(b));
        assert_string_equal(b, cases[i].s);
    }
}

static void test_request_id(void **state)
{
    (void)state;
    char a[33], b[33], c[33], d[33];
    fh_fiscal_request_id(1, "OR-4H9MZD", "api:INV-1", a);
    fh_fiscal_request_id(1, "OR-4H9MZD", "api:INV-1", b);
    fh_fiscal_request_id(2, "OR-4H9MZD", "api:INV-1", c);
    fh_fiscal_request_id(1, "OR-4H9MZE", "api:INV-1", d);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    fh_fiscal_request_id(1, "OR-4H9MZD", "api:INV-2", c);
    assert_string_not_equal(a, c);
    /* fixed: a change of the derivation would re-sign every pending invoice under a new id */
    assert_string_equal(a, "0caac950ea11bac5f0fb74ff2458384f");
}

static void test_code_messages(void **state)
{
    (void)state;
    char m[300];
    const char *codes[] = {"2800", "2801", "2802", "2803", "2804", "2805", "2806",
                           "2807", "2808", "2310", "2400", "2210", "2100", "2110",
                           "2220", "2230", "1300", "1400", "1500", "1100", "1999"};
    for (size_t i = 0; i < FH_ARRAY_LEN(codes); i++) {
        fh_taxcore_code_message(codes[i], "items[0].labels", m, sizeof(m));
        assert_non_null(strstr(m, codes[i]));
        assert_null(strstr(m, "reported error code")); /* each one is known */
    }
    fh_taxcore_code_message("2310", "items[0].labels", m, sizeof(m));
    assert_string_equal(m, "items[0].labels uses a tax label that is not defined at the V-SDC "
                           "for this taxpayer (2310)");
    fh_taxcore_code_message("2800", "referent_document_number", m, sizeof(m));
    assert_string_equal(m, "referent_document_number is required (2800)");
    fh_taxcore_code_message("2210", "", m, sizeof(m));
    assert_non_null(strstr(m, "secure element is locked"));
    fh_taxcore_code_message("2999", "x", m, sizeof(m));
    assert_string_equal(m, "x: the V-SDC reported error code 2999");
    fh_tc_property_canonical("payment[1].amount", m, sizeof(m));
    assert_string_equal(m, "payments[1].amount");
    fh_tc_property_canonical("Items[0].UnitPrice", m, sizeof(m));
    assert_string_equal(m, "items[0].unit_price");
    fh_tc_property_canonical("request.invoiceNumber", m, sizeof(m));
    assert_string_equal(m, "pos_invoice_number");
    fh_tc_property_canonical("referentDocumentDT", m, sizeof(m));
    assert_string_equal(m, "referent_document_time");
}

static void classify(enum fh_tc_call call, long status, const char *body, struct fh_tc_reply *r)
{
    fh_tc_reply_free(r); /* the last classification's fields */
    fh_tc_classify_http(call, status, body, body ? strlen(body) : 0, r);
}

static void test_classification(void **state)
{
    (void)state;
    struct fh_tc_reply r = {0};
    classify(FH_TC_POST_INVOICE, 200, "{\"invoiceNumber\":\"A-B-1\",\"sdcDateTime\":\"x\"}", &r);
    assert_int_equal(r.outcome, FH_TC_OK);
    /* the fields stored with the result travel with the reply, decoded */
    assert_string_equal(r.invoice_number, "A-B-1");
    assert_string_equal(r.sdc_time, "x");
    assert_null(r.verification_url);
    classify(FH_TC_GET_INVOICE, 200,
             "{\"journal\":\"\\u0417 \u0417\",\"invoiceNumber\":\"A-B-2\",\"sdcDateTime\":\"y\","
             "\"verificationUrl\":\"https:\\/\\/v?vl=a%2B\",\"taxItems\":[{\"amount\":1.5}]}",
             &r);
    assert_int_equal(r.outcome, FH_TC_OK);
    assert_string_equal(r.verification_url, "https://v?vl=a%2B");
    classify(FH_TC_POST_INVOICE, 200, "<html>ok</html>", &r);
    assert_int_equal(r.outcome, FH_TC_UNKNOWN);
    assert_null(r.invoice_number);
    /* a cut answer, or one without the date, is not a signed invoice */
    classify(FH_TC_POST_INVOICE, 200, "{\"invoiceNumber\":\"A-B-1\",\"sdcDateTime\":\"x\"", &r);
    assert_int_equal(r.outcome, FH_TC_UNKNOWN);
    assert_null(r.invoice_number);
    classify(FH_TC_POST_INVOICE, 200, "{\"invoiceNumber\":\"A-B-1\",\"sdcDateTime\":7}", &r);
    assert_int_equal(r.outcome, FH_TC_UNKNOWN);
    classify(FH_TC_GET_STATUS, 200, "{\"currentTaxRates\":null}", &r);
    assert_int_equal(r.outcome, FH_TC_OK);
    classify(FH_TC_GET_STATUS, 200, "[1]", &r);
    assert_int_equal(r.outcome, FH_TC_UNKNOWN);
    classify(FH_TC_GET_INVOICE, 404, "", &r);
    assert_int_equal(r.outcome, FH_TC_NONE);
    classify(FH_TC_POST_INVOICE, 404, "", &r);
    assert_int_equal(r.outcome, FH_TC_REJECTED);
    classify(FH_TC_POST_INVOICE, 400,
             "{\"message\":\"Bad Request\",\"modelState\":[{\"property\":\"items[0].labels\","
             "\"errors\":[\"2310\"]},{\"property\":\"invoiceNumber\",\"errors\":[\"2801\"]}]}",
             &r);
    assert_int_equal(r.outcome, FH_TC_REJECTED);
    assert_false(r.cert_refused); /* the invoice is refused, not the certificate */
    assert_string_equal(r.reason, "The V-SDC refused the invoice: items[0].labels uses a tax label "
                                  "that is not defined at the V-SDC for this taxpayer (2310); "
                                  "pos_invoice_number is too long (2801).");
    classify(FH_TC_POST_INVOICE, 401, "{\"message\":\"Invalid PAC\"}", &r);
    assert_int_equal(r.outcome, FH_TC_REJECTED);
    assert_non_null(strstr(r.reason, "refused the PAC"));
    assert_true(r.cert_refused);
    classify(FH_TC_POST_INVOICE, 403,
             "<!DOCTYPE html><html><body><h3>The client certificate is revoked.</h3></body></html>",
             &r);
    assert_int_equal(r.outcome, FH_TC_REJECTED);
    assert_non_null(strstr(r.reason, "refused the certificate (403: The client certificate is "
                                     "revoked.)"));
    assert_true(r.cert_refused);
    const long transient[] = {408, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < FH_ARRAY_LEN(transient); i++) {
        classify(FH_TC_POST_INVOICE, transient[i], "oops", &r);
        assert_int_equal(r.outcome, FH_TC_UNKNOWN);
        classify(FH_TC_GET_INVOICE, transient[i], NULL, &r);
        assert_int_equal(r.outcome, FH_TC_UNKNOWN);
    }
    classify(FH_TC_POST_INVOICE, 302, "", &r);
    assert_int_equal(r.outcome, FH_TC_REJECTED);
    assert_false(r.cert_refused);
    fh_tc_reply_free(&r);
}

static void test_time_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(fh_fiscal_time_parse("2026-11-21T10:00:00Z", false, &ms), FH_OK);
    assert_int_equal(ms, 1795255200000LL);
    assert_int_equal(fh_fiscal_time_parse("2026-11-21T11:00:00.250+01:00", false, &ms), FH_OK);
    assert_int_equal(ms, 1795255200250LL);
    assert_int_equal(fh_fiscal_time_parse("2026-11-21", true, &ms), FH_OK);
    assert_int_equal(ms, 1795219200000LL);
    assert_int_equal(fh_fiscal_time_parse("2026-11-21", false, &ms), FH_E_INPUT);
    assert_int_equal(fh_fiscal_time_parse("2026-02-29T10:00:00Z", false, &ms), FH_E_INPUT);
    assert_int_equal(fh_fiscal_time_parse("2026-11-21T10:00:00", false, &ms), FH_E_INPUT);
    assert_int_equal(fh_fiscal_time_parse("2026-11-21 10:00:00Z", false, &ms), FH_E_INPUT);
}

static void parse_ok(const char *text, struct fh_fiscal_invoice *inv)
{
    json_t *j = json_loads(text, 0, NULL);
    struct fh_json_error err = {0};
    assert_non_null(j);
    if (fh_fiscal_invoice_parse(j, inv, &err) != FH_OK)
        fail_msg("%s", err.detail);
    json_decref(j);
}

#define REFUND_HEAD                                                                                \
    "{\"invoice_type\":\"normal\",\"transaction_type\":\"refund\","                                \
    "\"referent_document_number\":\"AAAAAAAA-BBBBBBBB-1\","                                        \
    "\"referent_document_time\":\"2026-11-01T10:00:00Z\","

/* What a sale still holds after refunds of it: same items by quantity, other amounts by label. */
static void test_refund_rest(void **state)
{
    (void)state;
    struct fh_fiscal_invoice sale, r[3];
    parse_ok("{\"invoice_type\":\"normal\",\"transaction_type\":\"sale\","
             "\"payments\":[{\"method\":\"card\",\"amount\":\"40\"},"
             "{\"method\":\"cash\",\"amount\":\"20\"}],\"items\":["
             "{\"name\":\"Cable\",\"quantity\":\"3\",\"unit_price\":\"10\",\"labels\":[\"A\"],"
             "\"total\":\"30\"},"
             "{\"name\":\"Mouse\",\"quantity\":\"1\",\"unit_price\":\"20\",\"labels\":[\"A\"],"
             "\"total\":\"20\"},"
             "{\"name\":\"Book\",\"quantity\":\"2\",\"unit_price\":\"5\",\"labels\":[\"E\"],"
             "\"total\":\"10\"}]}",
             &sale);
    /* one Cable back by quantity; a credit of 25 under label A of its own */
    parse_ok(REFUND_HEAD "\"payments\":[{\"method\":\"card\",\"amount\":\"10\"}],\"items\":["
                         "{\"name\":\"Cable\",\"quantity\":\"1\",\"unit_price\":\"10\","
                         "\"labels\":[\"A\"],\"total\":\"10\"}]}",
             &r[0]);
    parse_ok(REFUND_HEAD "\"payments\":[{\"method\":\"other\",\"amount\":\"25\"}],\"items\":["
                         "{\"name\":\"Credit for INV-1\",\"quantity\":\"1\",\"unit_price\":\"25\","
                         "\"labels\":[\"A\"],\"total\":\"25\"}]}",
             &r[1]);
    assert_true(fh_fiscal_refund_rest(&sale, r, 2));
    /* Cable: 2 left (20), then the credit's 25 takes those 20 and 5 of the Mouse */
    assert_int_equal(sale.nitems, 2);
    assert_string_equal(sale.items[0].name, "Mouse");
    assert_int_equal(sale.items[0].quantity, 10000);
    assert_int_equal(sale.items[0].unit_price, 150000);
    assert_int_equal(sale.items[0].total, 150000);
    assert_string_equal(sale.items[1].name, "Book"); /* label E untouched */
    assert_int_equal(sale.items[1].quantity, 20000);
    assert_int_equal(sale.items[1].total, 100000);
    assert_int_equal(fh_fiscal_invoice_total(&sale), 250000);
    assert_int_equal(sale.npayments, 1); /* the card's 40 cut to the 25 left */
    assert_int_equal(sale.payments[0].method, FH_PAYMENT_CARD);
    assert_int_equal(sale.payments[0].amount, 250000);
    /* the rest refunded too, more than the sale held under A: nothing left, never below zero */
    parse_ok(REFUND_HEAD "\"payments\":[{\"method\":\"card\",\"amount\":\"45\"}],\"items\":["
                         "{\"name\":\"Other\",\"quantity\":\"1\",\"unit_price\":\"35\","
                         "\"labels\":[\"A\"],\"total\":\"35\"},"
                         "{\"name\":\"Book\",\"quantity\":\"2\",\"unit_price\":\"5\","
                         "\"labels\":[\"E\"],\"total\":\"10\"}]}",
             &r[2]);
    assert_false(fh_fiscal_refund_rest(&sale, &r[2], 1));
    assert_int_equal(sale.nitems, 0);
    fh_fiscal_invoice_free(&sale);
    for (size_t i = 0; i < 3; i++)
        fh_fiscal_invoice_free(&r[i]);
}

/* An amount off an item leaves a quantity at its unit price when that is exact: whole units for
 * an item sold in units, 3 decimals for one sold by measure; one unit of the rest otherwise. */
static void test_refund_rest_units(void **state)
{
    (void)state;
    struct fh_fiscal_invoice sale, r;
    parse_ok("{\"invoice_type\":\"normal\",\"transaction_type\":\"sale\","
             "\"payments\":[{\"method\":\"cash\",\"amount\":\"71\"}],\"items\":["
             "{\"name\":\"Cable\",\"quantity\":\"3\",\"unit_price\":\"10\",\"labels\":[\"A\"],"
             "\"total\":\"30\"},"
             "{\"name\":\"Flour\",\"quantity\":\"2.5\",\"unit_price\":\"4\",\"labels\":[\"E\"],"
             "\"total\":\"10\"},"
             "{\"name\":\"Mouse\",\"quantity\":\"2\",\"unit_price\":\"15.5\",\"labels\":[\"B\"],"
             "\"total\":\"31\"}]}",
             &sale);
    /* 10 off the Cable (A), 3 off the Flour (E), 10 off the Mouse (B) */
    parse_ok(REFUND_HEAD "\"payments\":[{\"method\":\"cash\",\"amount\":\"23\"}],\"items\":["
                         "{\"name\":\"Credit A\",\"quantity\":\"1\",\"unit_price\":\"10\","
                         "\"labels\":[\"A\"],\"total\":\"10\"},"
                         "{\"name\":\"Credit E\",\"quantity\":\"1\",\"unit_price\":\"3\","
                         "\"labels\":[\"E\"],\"total\":\"3\"},"
                         "{\"name\":\"Credit B\",\"quantity\":\"1\",\"unit_price\":\"10\","
                         "\"labels\":[\"B\"],\"total\":\"10\"}]}",
             &r);
    assert_true(fh_fiscal_refund_rest(&sale, &r, 1));
    assert_int_equal(sale.nitems, 3);
    /* 2 x 10: whole units at the sale's price */
    assert_int_equal(sale.items[0].quantity, 20000);
    assert_int_equal(sale.items[0].unit_price, 100000);
    assert_int_equal(sale.items[0].total, 200000);
    /* 1.75 x 4: sold by measure, so a measure is kept */
    assert_int_equal(sale.items[1].quantity, 17500);
    assert_int_equal(sale.items[1].unit_price, 40000);
    assert_int_equal(sale.items[1].total, 70000);
    /* 21 is no whole number of 15.5: one unit of 21 */
    assert_int_equal(sale.items[2].quantity, 10000);
    assert_int_equal(sale.items[2].unit_price, 210000);
    assert_int_equal(sale.items[2].total, 210000);
    assert_int_equal(fh_fiscal_invoice_total(&sale), 480000);
    fh_fiscal_invoice_free(&sale);
    fh_fiscal_invoice_free(&r);
}

#define REFUND_OF(items, amount)                                                                   \
    REFUND_HEAD "\"payments\":[{\"method\":\"cash\",\"amount\":\"" amount "\"}],\"items\":[" items \
                "]}"
#define ITEM(name, q, price, label, total)                                                         \
    "{\"name\":\"" name "\",\"quantity\":\"" q "\",\"unit_price\":\"" price                        \
    "\",\"labels\":[\"" label "\"],\"total\":\"" total "\"}"

/* A sale's left and named parts (fh_fiscal_sale_left) from the same invoice, nothing refunded. */
static void sale_left(const char *text, struct fh_fiscal_sale_left *s)
{
    memset(s, 0, sizeof(*s));
    parse_ok(text, &s->left);
    parse_ok(text, &s->named);
    snprintf(s->number, sizeof(s->number), "%s", "AAAA-BBBB-7");
}

static bool fits(const struct fh_fiscal_sale_left *s, const struct fh_fiscal_invoice *refund)
{
    char why[200] = "";
    bool ok = fh_fiscal_refund_fits(s, refund, why, sizeof(why));
    assert_true(ok ? why[0] == '\0' : strstr(why, "AAAA-BBBB-7") != NULL);
    return ok;
}

/* A refund fits in what is left of a sale when taking it off takes exactly its total. */
static void test_refund_fits(void **state)
{
    (void)state;
    struct fh_fiscal_sale_left s;
    struct fh_fiscal_invoice one, label_a, label_b, too_much;
    sale_left("{\"invoice_type\":\"normal\",\"transaction_type\":\"sale\","
              "\"payments\":[{\"method\":\"cash\",\"amount\":\"35\"}],\"items\":[" ITEM(
                  "Cable", "3", "10", "A", "30") "," ITEM("Book", "1", "5", "B", "5") "]}",
              &s);
    parse_ok(REFUND_OF(ITEM("Cable", "3", "10", "A", "30"), "30"), &one);
    parse_ok(REFUND_OF(ITEM("Goodwill", "1", "30", "A", "30"), "30"), &label_a);
    parse_ok(REFUND_OF(ITEM("Goodwill", "1", "6", "B", "6"), "6"), &label_b);
    parse_ok(REFUND_OF(ITEM("Cable", "4", "10", "A", "40"), "40"), &too_much);
    assert_true(fits(&s, &one));                                /* all cables */
    assert_true(fits(&s, &label_a));                            /* the same amount under A */
    assert_false(fits(&s, &label_b));                           /* B holds 5 */
    assert_false(fits(&s, &too_much));                          /* four of three */
    assert_int_equal(fh_fiscal_invoice_total(&s.left), 350000); /* left as it was */
    assert_true(fh_fiscal_refund_rest(&s.left, &one, 1));
    assert_false(fits(&s, &label_a));                          /* the cables are gone */
    assert_false(fh_fiscal_refund_rest(&s.left, &label_b, 1)); /* nothing left */
    char why[200];
    assert_false(fh_fiscal_refund_fits(&s, &one, why, sizeof(why)));
    assert_string_equal(why, "invoice AAAA-BBBB-7 was refunded in full already");
    fh_fiscal_sale_left_free(&s);
    fh_fiscal_invoice_free(&one);
    fh_fiscal_invoice_free(&label_a);
    fh_fiscal_invoice_free(&label_b);
    fh_fiscal_invoice_free(&too_much);
}

/* An item a refund names by the sale's name, price and labels cannot be refunded beyond the
 * quantity left of it, even where its tax label holds the amount (other items under it). */
static void test_refund_fits_named(void **state)
{
    (void)state;
    struct fh_fiscal_sale_left s;
    sale_left("{\"invoice_type\":\"normal\",\"transaction_type\":\"sale\","
              "\"payments\":[{\"method\":\"cash\",\"amount\":\"60\"}],\"items\":[" ITEM(
                  "Cable", "2", "10", "A", "20") "," ITEM("Plug", "1", "40", "A", "40") "]}",
              &s);
    struct fh_fiscal_invoice two, three, split, other_price, plug_and_cable;
    parse_ok(REFUND_OF(ITEM("Cable", "2", "10", "A", "20"), "20"), &two);
    parse_ok(REFUND_OF(ITEM("Cable", "3", "10", "A", "30"), "30"), &three);
    parse_ok(REFUND_OF(ITEM("Cable", "1", "10", "A", "10") "," ITEM("Cable", "2", "10", "A", "20"),
                       "30"),
             &split);
    parse_ok(REFUND_OF(ITEM("Cable", "3", "9", "A", "27"), "27"), &other_price);
    parse_ok(
        REFUND_OF(ITEM("Plug", "1", "40", "A", "40") "," ITEM("Cable", "2", "10", "A", "20"), "60"),
        &plug_and_cable);
    char why[200];
    assert_true(fits(&s, &two));
    assert_true(fits(&s, &plug_and_cable));
    assert_false(fh_fiscal_refund_fits(&s, &three, why, sizeof(why))); /* 30 of 60 under A */
    assert_string_equal(why, "the refund's 3 of \"Cable\" is more than the 2 left of invoice "
                             "AAAA-BBBB-7");
    assert_false(fits(&s, &split));      /* its lines together */
    assert_true(fits(&s, &other_price)); /* not the sale's item: an amount under A */
    s.named.items[0].quantity = 0;       /* both cables refunded before, by name */
    assert_false(fh_fiscal_refund_fits(&s, &two, why, sizeof(why)));
    assert_non_null(strstr(why, "the 0 left"));
    fh_fiscal_sale_left_free(&s);
    fh_fiscal_invoice_free(&two);
    fh_fiscal_invoice_free(&three);
    fh_fiscal_invoice_free(&split);
    fh_fiscal_invoice_free(&other_price);
    fh_fiscal_invoice_free(&plug_and_cable);
}
#undef ITEM
#undef REFUND_OF

/* The files of a fiscal invoice at the partners and the receipt share one name. */
static void test_file_names(void **state)
{
    (void)state;
    char name[96];
    fh_fiscal_file_name("ABCD1234-ABCD1234-123", "gif", name, sizeof(name));
    assert_string_equal(name, "fiscal-ABCD1234-ABCD1234-123.gif");
    fh_fiscal_receipt_name("ABCD1234-ABCD1234-123", name, sizeof(name));
    assert_string_equal(name, "fiscal-ABCD1234-ABCD1234-123.pdf");
    fh_fiscal_file_name("a/b c..\\d", "txt", name, sizeof(name));
    assert_string_equal(name, "fiscal-a-b-c---d.txt");
    fh_fiscal_file_name(NULL, "pdf", name, sizeof(name));
    assert_string_equal(name, "fiscal-.pdf");
    char longer[100];
    memset(longer, 'N', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    fh_fiscal_file_name(longer, "gif", name, sizeof(name));
    assert_int_equal(strlen(name), strlen("fiscal-.gif") + 60);
    char small[12];
    fh_fiscal_file_name("ABCD1234", "gif", small, sizeof(small));
    assert_string_equal(small, "fiscal-ABCD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_invoice),     cmocka_unit_test(test_enums_and_required),
        cmocka_unit_test(test_amounts),           cmocka_unit_test(test_texts_and_labels),
        cmocka_unit_test(test_referent_rules),    cmocka_unit_test(test_vsdc_request_exact),
        cmocka_unit_test(test_decimal_text),      cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_code_messages),     cmocka_unit_test(test_classification),
        cmocka_unit_test(test_time_parse),        cmocka_unit_test(test_refund_rest),
        cmocka_unit_test(test_refund_rest_units), cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_refund_fits),       cmocka_unit_test(test_refund_fits_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
