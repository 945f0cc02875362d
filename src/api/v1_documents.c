/* v1_documents.c - what POST /api/v1/invoices/{id}/refund and .../copy share: new fiscal
 * documents that refer to a signed invoice of the key's integration (referent_document_number =
 * its invoice_number, referent_document_time = its sdc_time), signed like any submission.
 *
 * A refund keeps the original's type (a normal sale's refund is a normal refund), buyer and
 * cashier; without items it refunds everything that its earlier refunds left, with items only
 * those, and without payments it pays back the refunded total with the original's first payment
 * method. A normal refund must fit in what is left of its sale after the refunds that did not
 * fail (per tax label; fh_fiscal_refund_fits), checked where it is stored, so refunds of one sale
 * never come to more than the sale: 409 (8011) otherwise. A copy repeats the original (type copy,
 * same transaction type). Refunding a refund, or refunding or copying a copy, is refused (409):
 * refund or copy the original. Idempotency as for submissions. */
#include <string.h>

#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"

enum doc_kind { REFUND, COPY };

struct body {
    const char *source_id, *source_ref, *source_url, *cashier, *pos;
    json_t *items, *payments;
};

/* The original, signed, of this integration; else replies. *orig is a new reference. */
static enum fh_rc original_or_reply(struct fh_req *req, enum doc_kind kind, json_t **orig)
{
    int64_t id = 0;
    if (!fh_api_v1_id_or_reply(req, &id))
        return FH_ERR;
    enum fh_rc rc =
        fh_public_invoice_get(req->app->store, req->apikey.integration_id, id, false, orig);
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no invoice %lld", (long long)id), FH_ERR;
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the invoice"), FH_ERR;
    const char *status = json_string_value(json_object_get(*orig, "status"));
    const char *type = json_string_value(json_object_get(*orig, "invoice_type"));
    const char *tt = json_string_value(json_object_get(*orig, "transaction_type"));
    if (!status || strcmp(status, "signed") != 0)
        rc = fh_reply_error(req, FH_EC_INVOICE_NOT_SIGNED, "invoice %lld is %s", (long long)id,
                            status ? status : "unknown");
    else if (type && strcmp(type, "copy") == 0)
        rc = fh_reply_error(req, FH_EC_INVOICE_NOT_SIGNED,
                            "invoice %lld is a copy; %s the original instead", (long long)id,
                            kind == REFUND ? "refund" : "copy");
    else if (kind == REFUND && tt && strcmp(tt, "refund") == 0)
        rc =
            fh_reply_error(req, FH_EC_INVOICE_IS_REFUND, "invoice %lld is a refund", (long long)id);
    else
        return FH_OK;
    json_decref(*orig);
    *orig = NULL;
    return FH_ERR;
}

/* Payments of a partial refund: the refunded total, paid with the original's first method. */
static void default_payments(json_t *inv)
{
    struct fh_fiscal_invoice parsed;
    struct fh_json_error err;
    if (fh_fiscal_invoice_parse(inv, &parsed, &err) != FH_OK)
        return; /* the submission reports the problem with the field named */
    char amount[40];
    fh_fiscal_decimal(fh_fiscal_invoice_total(&parsed), amount, sizeof(amount));
    const char *method =
        parsed.npayments ? fh_payment_method_name(parsed.payments[0].method) : "cash";
    json_object_set_new(inv, "payments",
                        json_pack("[{s:s, s:s}]", "method", method, "amount", amount));
    fh_fiscal_invoice_free(&parsed);
}

/* The items and payments left of the sale orig (of the request's organization) after its
 * refunds into inv. When nothing is left (or it cannot be read) inv keeps the sale's, and the
 * check where the refund is stored refuses it. */
static void left_of(struct fh_req *req, json_t *orig, json_t *inv)
{
    struct fh_fiscal_sale_left s;
    json_int_t id = json_integer_value(json_object_get(orig, "id"));
    if (fh_fiscal_refund_left(req->app->store, req->apikey.org_id, (int64_t)id, NULL, false, &s) !=
        FH_OK)
        return;
    if (s.left.nitems > 0) {
        json_t *j = fh_fiscal_invoice_json(&s.left);
        json_object_set(inv, "items", json_object_get(j, "items"));
        json_object_set(inv, "payments", json_object_get(j, "payments"));
        json_decref(j);
    }
    fh_fiscal_sale_left_free(&s);
}

static json_t *build(struct fh_req *req, enum doc_kind kind, json_t *orig, const struct body *b)
{
    json_t *inv = json_deep_copy(json_object_get(orig, "invoice"));
    if (!json_is_object(inv)) {
        json_decref(inv);
        inv = json_object();
    }
    json_object_set(inv, "referent_document_number", json_object_get(orig, "invoice_number"));
    json_object_set(inv, "referent_document_time", json_object_get(orig, "sdc_time"));
    if (b->cashier)
        json_object_set_new(inv, "cashier", json_string(b->cashier));
    if (kind == COPY) {
        json_object_set_new(inv, "invoice_type", json_string("copy"));
        return inv;
    }
    json_object_set_new(inv, "transaction_type", json_string("refund"));
    if (b->pos)
        json_object_set_new(inv, "pos_invoice_number", json_string(b->pos));
    if (b->items)
        json_object_set(inv, "items", b->items);
    else
        left_of(req, orig, inv); /* everything that is left */
    if (b->payments)
        json_object_set(inv, "payments", b->payments);
    else if (b->items)
        default_payments(inv);
    return inv;
}

enum fh_rc fh_api_v1_document_or_reply(struct fh_req *req, bool copy)
{
    struct body b = {0};
    struct fh_jspec spec[] = {
        {.name = "source_id",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = FH_FISCAL_SOURCE_ID_MAX,
         .out = &b.source_id},
        {.name = "source_ref",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 200,
         .out = &b.source_ref},
        {.name = "source_url",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 2000,
         .out = &b.source_url},
        {.name = "cashier",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 200,
         .out = &b.cashier},
        {.name = "pos_invoice_number",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 200,
         .out = &b.pos},
        {.name = "items", .type = FH_J_ARRAY, .optional = true, .out = &b.items},
        {.name = "payments", .type = FH_J_ARRAY, .optional = true, .out = &b.payments},
        FH_JSPEC_END,
    };
    enum doc_kind kind = copy ? COPY : REFUND;
    if (kind == COPY) /* a copy only takes the source fields and the cashier */
        spec[4] = (struct fh_jspec)FH_JSPEC_END;
    json_t *root = NULL, *orig = NULL;
    if (req->body.len == 0) { /* an empty body is an empty object here */
        root = json_object();
    } else if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK) {
        return FH_ERR;
    }
    enum fh_rc rc = FH_ERR;
    if (fh_api_v1_source_ok_or_reply(req, b.source_id, b.source_url) &&
        original_or_reply(req, kind, &orig) == FH_OK) {
        json_t *inv = build(req, kind, orig, &b);
        struct fh_v1_doc doc = {
            .source_id = b.source_id,
            .source_ref = b.source_ref,
            .source_url = b.source_url,
            .invoice = inv,
            .body_fields = true,
            .refund_of_id = kind == REFUND ? json_integer_value(json_object_get(orig, "id")) : 0};
        rc = fh_api_v1_submit_or_reply(req, &doc);
        json_decref(inv);
    }
    json_decref(orig);
    json_decref(root);
    return rc;
}
