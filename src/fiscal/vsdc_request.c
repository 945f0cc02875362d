/* vsdc_request.c - the canonical invoice as the body of POST /api/v3/invoices (spec §4).
 *
 * The text is written here rather than through jansson: amounts must reach the V-SDC as JSON
 * numbers whose text is exactly the integer money ("100.87", never 100.87000000000001), and
 * json_real() goes through a double. Property names are camelCase, enums are sent by name
 * (the V-SDC accepts names or integers), absent optional fields are left out, and options are
 * not sent, so the V-SDC returns both the journal and the QR code. */
#include <stdio.h>
#include <string.h>

#include "fh/fh_fiscal.h"

static const char *const vsdc_invoice_types[] = {"Normal", "ProForma", "Copy", "Training",
                                                 "Advance"};
static const char *const vsdc_payment_types[] = {"Other",        "Cash",    "Card",       "Check",
                                                 "WireTransfer", "Voucher", "MobileMoney"};

/* Appends s as a JSON string (UTF-8 passes through; quotes, backslashes and controls escaped). */
static void str(struct fh_buf *b, const char *s)
{
    fh_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            fh_buf_append(b, e, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            fh_buf_appendf(b, "\\u%04x", *p);
        } else {
            fh_buf_append(b, p, 1);
        }
    }
    fh_buf_append(b, "\"", 1);
}

static void num(struct fh_buf *b, int64_t v)
{
    char t[40];
    fh_fiscal_decimal(v, t, sizeof(t));
    fh_buf_appendf(b, "%s", t);
}

static void opt_field(struct fh_buf *b, const char *name, const char *v)
{
    if (!v)
        return;
    fh_buf_appendf(b, ",\"%s\":", name);
    str(b, v);
}

static void item(struct fh_buf *b, const struct fh_fiscal_item *it)
{
    fh_buf_appendf(b, "{");
    if (it->gtin) {
        fh_buf_appendf(b, "\"gtin\":");
        str(b, it->gtin);
        fh_buf_appendf(b, ",");
    }
    fh_buf_appendf(b, "\"name\":");
    str(b, it->name);
    fh_buf_appendf(b, ",\"quantity\":");
    num(b, it->quantity);
    fh_buf_appendf(b, ",\"unitPrice\":");
    num(b, it->unit_price);
    fh_buf_appendf(b, ",\"labels\":[");
    for (size_t k = 0; k < it->nlabels; k++) {
        if (k)
            fh_buf_appendf(b, ",");
        str(b, it->labels[k]);
    }
    fh_buf_appendf(b, "],\"totalAmount\":");
    num(b, it->total);
    fh_buf_appendf(b, "}");
}

char *fh_fiscal_vsdc_request(const struct fh_fiscal_invoice *inv)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024 * 1024); /* far above what validated input can produce */
    fh_buf_appendf(&b, "{\"invoiceType\":\"%s\",\"transactionType\":\"%s\"",
                   vsdc_invoice_types[inv->invoice_type % 5],
                   inv->transaction_type == FH_TRANSACTION_REFUND ? "Refund" : "Sale");
    opt_field(&b, "cashier", inv->cashier);
    opt_field(&b, "buyerId", inv->buyer_id);
    opt_field(&b, "buyerCostCenterId", inv->buyer_cost_center_id);
    opt_field(&b, "invoiceNumber", inv->pos_invoice_number);
    opt_field(&b, "referentDocumentNumber", inv->referent_document_number);
    opt_field(&b, "referentDocumentDT", inv->referent_document_time);
    fh_buf_appendf(&b, ",\"payment\":[");
    for (size_t i = 0; i < inv->npayments; i++) {
        fh_buf_appendf(&b, "%s{\"amount\":", i ? "," : "");
        num(&b, inv->payments[i].amount);
        fh_buf_appendf(&b, ",\"paymentType\":\"%s\"}",
                       vsdc_payment_types[inv->payments[i].method % 7]);
    }
    fh_buf_appendf(&b, "],\"items\":[");
    for (size_t i = 0; i < inv->nitems; i++) {
        if (i)
            fh_buf_appendf(&b, ",");
        item(&b, &inv->items[i]);
    }
    fh_buf_appendf(&b, "]}");
    return fh_buf_steal(&b);
}
