/* map.c - Xero invoices and credit notes -> the canonical invoice, and the trigger rules.
 *
 * Amounts: Xero sends JSON numbers with at most 4 decimals (2 for line amounts); each is read
 * into int64 ten-thousandths (a double holds such a value exactly enough that rounding to the
 * nearest ten-thousandth recovers it below 10^11) and all arithmetic is integer from there.
 *
 * Per line item (LineAmountTypes of the document):
 *   Exclusive  total = LineAmount + TaxAmount     (LineAmount is net of tax)
 *   Inclusive  total = LineAmount                 (tax included)
 *   NoTax      total = LineAmount
 *   quantity = Quantity; unit_price = total / quantity rounded to 4 decimals (tax included,
 *   after any discount, so quantity x unit_price matches the total the customer pays). A
 *   quantity with a 4th decimal (the V-SDC takes 3) becomes quantity 1 at the line total.
 *   Lines without an amount (text lines) are left out; a negative line cannot be fiscalized.
 * Labels: settings.tax_mapping[TaxType], else settings.default_label, else "A".
 * Payments: one payment of the invoice total, "wire_transfer" when Xero records payments
 * (Xero payments are bank payments), else "other".
 * Buyer: buyer_id = Contact.TaxNumber when present (1..20 characters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_fiscal.h"
#include "fh/fh_money.h"
#include "xero_internal.h"

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

bool fh_xero_date(const char *s, int64_t *ms)
{
    if (!s)
        return false;
    if (fh_starts_with(s, "/Date(")) {
        const char *p = s + 6;
        int64_t v = 0;
        bool neg = *p == '-';
        p += neg;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10)
            v = v * 10 + (*p++ - '0');
        *ms = neg ? -v : v;
        return true;
    }
    struct tm tm = {0};
    int frac = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    if (s[n] == '.') {
        int digits = 0;
        for (const char *p = s + n + 1; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        for (; digits < 3; digits++)
            frac *= 10;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return true;
}

bool fh_xero_tax_total(json_t *doc, int64_t *tax)
{
    return fh_conn_money(json_object_get(doc, "TotalTax"), tax) && *tax >= 0;
}

enum fh_xero_decision fh_xero_decide_invoice(json_t *inv, const char *trigger, char *why,
                                             size_t whysize)
{
    const char *type = jstr(inv, "Type"), *status = jstr(inv, "Status");
    if (!type || strcmp(type, "ACCREC") != 0) {
        snprintf(why, whysize, "not a sales invoice (%s)", type ? type : "no type");
        return FH_XERO_SKIP;
    }
    if (!status || (strcmp(status, "AUTHORISED") != 0 && strcmp(status, "PAID") != 0)) {
        snprintf(why, whysize, "status %s is never fiscalized", status ? status : "unknown");
        return FH_XERO_SKIP;
    }
    if (strcmp(trigger, "approval") == 0)
        return FH_XERO_FISCALIZE;
    int64_t paid = 0;
    bool has_payments = json_array_size(json_object_get(inv, "Payments")) > 0;
    if (strcmp(status, "PAID") == 0 || has_payments ||
        (fh_conn_money(json_object_get(inv, "AmountPaid"), &paid) && paid > 0))
        return FH_XERO_FISCALIZE;
    snprintf(why, whysize, "no payment recorded yet (trigger: payment)");
    return FH_XERO_SKIP;
}

/* One line -> item (or *skip for a text line). */
static enum fh_rc map_line(json_t *li, size_t idx, bool exclusive, json_t *settings, json_t **item,
                           int64_t *total_out, char *why, size_t whysize)
{
    int64_t qty = FH_MONEY_SCALE, line = 0, tax = 0;
    json_t *q = json_object_get(li, "Quantity");
    if (q && !json_is_null(q) && !fh_conn_money(q, &qty))
        qty = -1;
    if (!fh_conn_money(json_object_get(li, "LineAmount"), &line)) {
        int64_t unit = 0;
        if (!fh_conn_money(json_object_get(li, "UnitAmount"), &unit) ||
            fh_money_mul(unit, qty, &line) != FH_OK)
            line = 0;
    }
    fh_conn_money(json_object_get(li, "TaxAmount"), &tax);
    int64_t total = exclusive ? line + tax : line;
    *item = NULL;
    if (total == 0 && (qty == 0 || !q))
        return FH_OK; /* a text line */
    if (total < 0 || qty <= 0) {
        snprintf(why, whysize,
                 "line %zu has a negative amount or quantity; it cannot be fiscalized", idx + 1);
        return FH_E_INPUT;
    }
    const char *desc = jstr(li, "Description");
    if (!desc || !desc[0])
        desc = jstr(li, "ItemCode");
    *item = fh_conn_item(desc, qty, total, fh_conn_label(settings, jstr(li, "TaxType"), NULL));
    *total_out = total;
    return *item ? FH_OK : FH_E_INPUT;
}

enum fh_rc fh_xero_map(json_t *doc, json_t *settings, const char *ref_number, const char *ref_time,
                       json_t **canonical, char *why, size_t whysize)
{
    if (!fh_conn_home_currency(json_object_get(doc, "CurrencyRate"), jstr(doc, "CurrencyCode"), why,
                               whysize))
        return FH_E_INPUT;
    const char *lat = jstr(doc, "LineAmountTypes");
    bool exclusive = !lat || strcmp(lat, "Exclusive") == 0;
    json_t *items = json_array();
    int64_t sum = 0;
    json_t *lines = json_object_get(doc, "LineItems");
    if (json_array_size(lines) > FH_FISCAL_MAX_ITEMS) {
        json_decref(items);
        snprintf(why, whysize, "more than %d line items", FH_FISCAL_MAX_ITEMS);
        return FH_E_INPUT;
    }
    size_t i;
    json_t *li;
    json_array_foreach(lines, i, li)
    {
        json_t *item = NULL;
        int64_t t = 0;
        if (map_line(li, i, exclusive, settings, &item, &t, why, whysize) != FH_OK) {
            json_decref(items);
            return FH_E_INPUT;
        }
        if (item) {
            json_array_append_new(items, item);
            sum += t;
        }
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        snprintf(why, whysize, "no line item with an amount");
        return FH_E_INPUT;
    }
    bool paid = json_array_size(json_object_get(doc, "Payments")) > 0 ||
                (jstr(doc, "Status") && strcmp(jstr(doc, "Status"), "PAID") == 0);
    json_t *c = json_object();
    json_object_set_new(c, "invoice_type", json_string("normal"));
    json_object_set_new(c, "transaction_type", json_string(ref_number ? "refund" : "sale"));
    if (ref_number) {
        json_object_set_new(c, "referent_document_number", json_string(ref_number));
        json_object_set_new(c, "referent_document_time", json_string(ref_time ? ref_time : ""));
    }
    const char *num = jstr(doc, ref_number ? "CreditNoteNumber" : "InvoiceNumber");
    if (num && num[0]) {
        char *n = fh_conn_text(num, 60);
        json_object_set_new(c, "pos_invoice_number", json_string(n));
        free(n);
    }
    const char *tin = jstr(json_object_get(doc, "Contact"), "TaxNumber");
    if (tin && tin[0] && strlen(tin) <= 20) {
        char *t = fh_conn_text(tin, 20);
        json_object_set_new(c, "buyer_id", json_string(t));
        free(t);
    }
    json_object_set_new(c, "payments",
                        json_pack("[{s:s, s:o}]", "method", paid ? "wire_transfer" : "other",
                                  "amount", fh_fiscal_decimal_json(sum)));
    json_object_set_new(c, "items", items);
    *canonical = c;
    return FH_OK;
}
