/* control_docs.c - the control API for documents: contacts, invoices (one, or thousands for
 * backfill tests), their life cycle (submit, approve, pay, void, delete, edit, credit), and
 * reading back what a connector wrote (history notes, attachments). Bodies use Xero's own
 * shapes (PUT /Invoices), answers are Xero's JSON of the document. Every change moves
 * UpdatedDateUTC and queues webhook events like a change made in Xero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

#define BULK_MAX 100000

static enum fh_rc doc_reply(struct fh_req *req, unsigned int status, const struct x_doc *d)
{
    return sb_json(req, status, r_doc(d, R_FULL, 2));
}

enum fh_rc xc_contacts_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_org *o = xs_org(fh_req_param(req, "org"));
    struct x_contact *c = o ? doc_contact_add(o, body, err, sizeof(err)) : NULL;
    if (!o)
        rc = sb_cerr(req, 404, "no organisation with that tenant id");
    else if (!c)
        rc = sb_cerr(req, 400, "%s", err);
    else
        rc = sb_json(req, 201, r_contact(c, true));
    xs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc xc_contact_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_contact *c = sb_map_get(&xs.contacts, fh_req_param(req, "id"));
    if (!c)
        rc = sb_cerr(req, 404, "no contact with that id");
    else if (doc_contact_edit(c, body, err, sizeof(err)) != FH_OK)
        rc = sb_cerr(req, 400, "%s", err);
    else
        rc = sb_json(req, 200, r_contact(c, true));
    xs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc xc_invoices_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_org *o = xs_org(fh_req_param(req, "org"));
    struct x_doc *d = o ? doc_invoice_add(o, body, true, err, sizeof(err)) : NULL;
    if (!o)
        rc = sb_cerr(req, 404, "no organisation with that tenant id");
    else if (!d)
        rc = sb_cerr(req, 400, "%s", err);
    else
        rc = doc_reply(req, 201, d);
    xs_unlock();
    json_decref(body);
    return rc;
}

/* The invoice template of a bulk request: lines 1..5 of `amount` each, round-robin tax types. */
static json_t *bulk_template(const struct x_org *o, json_t *body, int64_t lines)
{
    const char *contact = sbj_str(body, "contact"), *status = sbj_str(body, "status"),
               *date = sbj_str(body, "date");
    json_t *amount = json_object_get(body, "amount");
    json_t *items = json_array();
    for (int64_t i = 0; i < lines; i++) {
        const char *tax = o->nrates ? o->rates[(size_t)i % o->nrates].type : "NONE";
        char desc[64];
        snprintf(desc, sizeof(desc), "Bulk item %lld", (long long)i + 1);
        json_array_append_new(items, json_pack("{s:s, s:i, s:o, s:s, s:s}", "Description", desc,
                                               "Quantity", 1, "UnitAmount",
                                               amount ? json_incref(amount) : json_real(100.0),
                                               "AccountCode", "200", "TaxType", tax));
    }
    json_t *t = json_pack("{s:s, s:{s:s}, s:s, s:o}", "Type", "ACCREC", "Contact", "Name",
                          contact ? contact : "Bulk Customer", "Status",
                          status ? status : "AUTHORISED", "LineItems", items);
    if (date)
        json_object_set_new(t, "Date", json_string(date));
    return t;
}

enum fh_rc xc_invoices_bulk_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    json_t *count = json_object_get(body, "count"), *lines = json_object_get(body, "lines");
    int64_t n = json_is_integer(count) ? json_integer_value(count) : -1;
    int64_t nl = json_is_integer(lines) ? json_integer_value(lines) : lines ? -1 : 1;
    bool events = json_is_true(json_object_get(body, "events"));
    if (n < 1 || n > BULK_MAX || nl < 1 || nl > 5) {
        json_decref(body);
        return sb_cerr(req, 400, "count (1..%d) is required; lines is 1..5", BULK_MAX);
    }
    char err[300] = "";
    enum fh_rc rc;
    int64_t t0 = fh_mono_ms(), made = 0;
    xs_lock();
    struct x_org *o = xs_org(fh_req_param(req, "org"));
    json_t *tpl = o ? bulk_template(o, body, nl) : NULL;
    struct x_doc *first = NULL, *last = NULL;
    for (; tpl && made < n; made++) {
        struct x_doc *d = doc_invoice_add(o, tpl, events, err, sizeof(err));
        if (!d)
            break;
        first = first ? first : d;
        last = d;
    }
    if (!o)
        rc = sb_cerr(req, 404, "no organisation with that tenant id");
    else if (made == 0)
        rc = sb_cerr(req, 400, "%s", err);
    else
        rc = sb_json(req, made == n ? 201 : 507,
                     json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s}", "created", (json_int_t)made,
                               "first_id", first->id, "last_id", last->id, "first_number",
                               first->number, "last_number", last->number, "ms",
                               (json_int_t)(fh_mono_ms() - t0), "error", err));
    xs_unlock();
    json_decref(tpl);
    json_decref(body);
    return rc;
}

static struct x_doc *doc_by_id(struct fh_req *req, bool credit)
{
    struct x_doc *d = sb_map_get(&xs.docs, fh_req_param(req, "id"));
    return d && d->credit == credit ? d : NULL;
}

static json_t *history_json(const struct x_doc *d, const char *changes)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->history.n; i++) {
        const struct x_history *h = d->history.v[i];
        if (!changes || strcmp(changes, h->changes) == 0)
            json_array_append_new(arr, r_history(h));
    }
    return arr;
}

static json_t *attachments_json(const struct x_doc *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->attachments.n; i++) {
        const struct x_attach *a = d->attachments.v[i];
        char hex[65];
        fh_sha256_hex(a->data, a->len, hex);
        json_t *j = r_attachment(d, a);
        json_object_set_new(j, "sha256", json_string(hex));
        json_array_append_new(arr, j);
    }
    return arr;
}

static enum fh_rc doc_get(struct fh_req *req, bool credit)
{
    xs_lock();
    struct x_doc *d = doc_by_id(req, credit);
    json_t *j =
        d ? json_pack("{s:o, s:o, s:o}", credit ? "CreditNote" : "Invoice", r_doc(d, R_FULL, 2),
                      "HistoryRecords", history_json(d, NULL), "Attachments", attachments_json(d))
          : NULL;
    xs_unlock();
    return j ? sb_json(req, 200, j)
             : sb_cerr(req, 404, "no %s with that id", credit ? "credit note" : "invoice");
}

enum fh_rc xc_invoice_get(struct fh_req *req)
{
    return doc_get(req, false);
}

enum fh_rc xc_credit_note_get(struct fh_req *req)
{
    return doc_get(req, true);
}

/* Xero's DELETE /CreditNotes/{id}/Allocations/{id}, as a user removing a credit from the invoice
 * it was applied to: {"Allocation": {..., "IsDeleted": true}, "CreditNote": ...}. */
enum fh_rc xc_credit_note_allocation_delete(struct fh_req *req)
{
    char err[300] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_doc *cn = doc_by_id(req, true);
    const char *aid = fh_req_param(req, "alloc");
    if (!cn) {
        rc = sb_cerr(req, 404, "no credit note with that id");
    } else if (doc_unallocate(cn, aid, err, sizeof(err)) != FH_OK) {
        rc = sb_cerr(req, 404, "%s", err);
    } else {
        json_t *al = json_pack("{s:s, s:b}", "AllocationID", aid, "IsDeleted", 1);
        rc = sb_json(req, 200,
                     json_pack("{s:o, s:o}", "Allocation", al, "CreditNote", r_doc(cn, R_FULL, 2)));
    }
    xs_unlock();
    return rc;
}

enum fh_rc xc_invoice_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_doc *d = doc_by_id(req, false);
    enum fh_rc e = d ? doc_invoice_edit(d, body, err, sizeof(err)) : FH_E_NOTFOUND;
    if (!d)
        rc = sb_cerr(req, 404, "no invoice with that id");
    else if (e != FH_OK)
        rc = sb_cerr(req, e == FH_E_CONFLICT ? 409 : 400, "%s", err);
    else
        rc = doc_reply(req, 200, d);
    xs_unlock();
    json_decref(body);
    return rc;
}

static enum fh_rc act(struct fh_req *req, struct x_doc *d, const char *action, json_t *body)
{
    char err[300] = "";
    static const struct {
        const char *name;
        enum x_status to;
    } moves[] = {{"submit", XS_SUBMITTED},
                 {"approve", XS_AUTHORISED},
                 {"void", XS_VOIDED},
                 {"delete", XS_DELETED}};
    for (size_t i = 0; i < FH_ARRAY_LEN(moves); i++) {
        if (strcmp(action, moves[i].name) == 0) {
            json_t *ago = json_object_get(body, "updated_ago_s"); /* a change made long ago */
            if (ago && (!json_is_integer(ago) || json_integer_value(ago) < 0 ||
                        json_integer_value(ago) > 10LL * 365 * 86400))
                return sb_cerr(req, 400, "updated_ago_s is 0..315360000 seconds");
            if (doc_set_status(d, moves[i].to, err, sizeof(err)) != FH_OK)
                return sb_cerr(req, 409, "%s", err);
            d->rec.updated_ms -= json_integer_value(ago) * 1000;
            return doc_reply(req, 200, d);
        }
    }
    if (strcmp(action, "payments") == 0) {
        struct x_payment *p = doc_pay(d, body, err, sizeof(err));
        return p ? sb_json(req, 201,
                           json_pack("{s:o, s:o}", "Payment", r_payment(p, true), "Invoice",
                                     r_doc(d, R_FULL, 2)))
                 : sb_cerr(req, d->status == XS_AUTHORISED ? 400 : 409, "%s", err);
    }
    if (strcmp(action, "credit-notes") == 0) {
        struct x_doc *cn = doc_credit(d, body, err, sizeof(err));
        return cn ? sb_json(req, 201,
                            json_pack("{s:o, s:o}", "CreditNote", r_doc(cn, R_FULL, 2), "Invoice",
                                      r_doc(d, R_FULL, 2)))
                  : sb_cerr(req, d->status == XS_AUTHORISED ? 400 : 409, "%s", err);
    }
    return sb_cerr(req, 404,
                   "unknown action %s (submit, approve, void, delete, payments, credit-notes)",
                   action);
}

enum fh_rc xc_invoice_action_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    enum fh_rc rc;
    xs_lock();
    struct x_doc *d = doc_by_id(req, false);
    rc = d ? act(req, d, fh_req_param(req, "action"), body)
           : sb_cerr(req, 404, "no invoice with that id");
    xs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc xc_invoice_history_get(struct fh_req *req)
{
    xs_lock();
    struct x_doc *d = sb_map_get(&xs.docs, fh_req_param(req, "id"));
    json_t *j =
        d ? json_pack("{s:o}", "HistoryRecords", history_json(d, fh_req_query(req, "changes")))
          : NULL;
    xs_unlock();
    return j ? sb_json(req, 200, j) : sb_cerr(req, 404, "no invoice or credit note with that id");
}

enum fh_rc xc_invoice_attachments_get(struct fh_req *req)
{
    xs_lock();
    struct x_doc *d = sb_map_get(&xs.docs, fh_req_param(req, "id"));
    json_t *j = d ? json_pack("{s:o}", "Attachments", attachments_json(d)) : NULL;
    xs_unlock();
    return j ? sb_json(req, 200, j) : sb_cerr(req, 404, "no invoice or credit note with that id");
}

enum fh_rc xc_invoice_attachment_get(struct fh_req *req)
{
    xs_lock();
    struct x_doc *d = sb_map_get(&xs.docs, fh_req_param(req, "id"));
    struct x_attach *a = d ? doc_attachment(d, fh_req_param(req, "name")) : NULL;
    char *copy = NULL, mime[128] = "";
    size_t len = 0;
    if (a) {
        copy = fh_malloc(a->len ? a->len : 1);
        memcpy(copy, a->data, a->len);
        len = a->len;
        fh_strlcpy(mime, a->mime, sizeof(mime));
    }
    xs_unlock();
    return copy ? sb_send(req, 200, mime, copy, len, NULL)
                : sb_cerr(req, 404, "no such attachment");
}
