/* control_inv.c - the control API's invoices: create (one, or many at once for backfills),
 * edit, mark as sent, void, record payments "in Zoho", read them back with their comments and
 * attached files (attachments[]: {document_id, file_name, content_type as uploaded, size,
 * can_send_in_email, base64 of the bytes}); and
 * credit notes: create (perhaps from an invoice, with credits applied at once), edit, open,
 * void, apply credits to invoices and delete them again, read them back. Each change that Zoho
 * calls a create or an edit fires the organization's workflow webhook when its rule covers that
 * event and module (payments, and credits applied to an invoice or deleted from it, per
 * payment_fires_edit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

#define BULK_MAX 100000

static json_t *attachments_json(const struct z_invoice *inv)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < inv->attachments.n; i++) {
        const struct z_attachment *a = inv->attachments.v[i];
        char *b64 = sb_b64(a->data, a->size, false);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:b, s:s}", "document_id", a->id,
                                             "file_name", a->file_name, "content_type", a->ctype,
                                             "size", (json_int_t)a->size, "can_send_in_email",
                                             a->in_email, "base64", b64));
        free(b64);
    }
    return arr;
}

static json_t *invoice_view(const struct z_invoice *inv)
{
    json_t *comments = json_array();
    for (size_t i = 0; i < inv->comments.n; i++)
        json_array_append_new(comments, zr_comment(inv, inv->comments.v[i]));
    return json_pack("{s:o, s:s, s:o, s:o}", "invoice", zr_invoice(inv, true), "organization_id",
                     inv->org->id, "comments", comments, "attachments", attachments_json(inv));
}

enum fh_rc zc_invoices_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such organization";
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    struct z_invoice *inv = o ? zm_invoice_add(o, body, err, sizeof(err)) : NULL;
    json_t *out = NULL;
    if (inv) {
        zwh_fire(inv, ZE_CREATE);
        out = invoice_view(inv);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, o ? 400 : 404, "%s", err);
}

struct bulk {
    int64_t count, lines;
    json_t *amount;
    const char *status, *customer, *date, *tax;
    bool events;
};

static bool bulk_parse(json_t *body, struct bulk *b)
{
    json_t *c = json_object_get(body, "count"), *l = json_object_get(body, "lines");
    json_t *ev = json_object_get(body, "events");
    int64_t amount;
    b->count = json_integer_value(c);
    b->lines = l ? json_integer_value(l) : 1;
    b->amount = json_object_get(body, "amount");
    b->status = sbj_str(body, "status") ? sbj_str(body, "status") : "sent";
    b->customer = sbj_str(body, "customer_name") ? sbj_str(body, "customer_name") : "Bulk Customer";
    b->date = sbj_str(body, "date");
    b->tax = sbj_str(body, "tax_name");
    b->events = json_is_true(ev);
    return json_is_integer(c) && b->count >= 1 && b->count <= BULK_MAX && b->lines >= 1 &&
           b->lines <= 5 && (!b->amount || (sbj_money(b->amount, &amount) && amount >= 0)) &&
           (!ev || json_is_boolean(ev));
}

static json_t *bulk_spec(const struct bulk *b)
{
    json_t *lines = json_array();
    for (int64_t i = 0; i < b->lines; i++) {
        json_t *l =
            json_pack("{s:s+, s:o, s:i}", "name", "Bulk item ", i ? "B" : "A", "rate",
                      b->amount ? json_incref(b->amount) : json_integer(100), "quantity", 1);
        if (b->tax)
            json_object_set_new(l, "tax_name", json_string(b->tax));
        json_array_append_new(lines, l);
    }
    json_t *spec = json_pack("{s:s, s:s, s:o}", "customer_name", b->customer, "status", b->status,
                             "line_items", lines);
    if (b->date)
        json_object_set_new(spec, "date", json_string(b->date));
    return spec;
}

enum fh_rc zc_invoices_bulk_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    struct bulk b;
    memset(&b, 0, sizeof(b));
    if (!bulk_parse(body, &b)) {
        json_decref(body);
        return sb_cerr(req, 400,
                       "count (1..%d), lines (1..5), amount, status, customer_name, "
                       "date, tax_name, events (false)",
                       BULK_MAX);
    }
    int64_t t0 = fh_mono_ms();
    char err[300] = "no such organization";
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    json_t *spec = o ? bulk_spec(&b) : NULL;
    struct z_invoice *first = NULL, *last = NULL;
    int64_t made = 0;
    for (; o && made < b.count; made++) {
        struct z_invoice *inv = zm_invoice_add(o, spec, err, sizeof(err));
        if (!inv)
            break;
        first = first ? first : inv;
        last = inv;
        if (b.events)
            zwh_fire(inv, ZE_CREATE);
    }
    json_t *out =
        made ? json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "created", (json_int_t)made, "first_id",
                         first->id, "last_id", last->id, "first_number", first->number,
                         "last_number", last->number, "ms", (json_int_t)(fh_mono_ms() - t0))
             : NULL;
    zs_unlock();
    json_decref(spec);
    json_decref(body);
    if (out && made < b.count)
        json_object_set_new(out, "error", json_string(err));
    return out ? sb_json(req, made < b.count ? 507 : 201, out)
               : sb_cerr(req, o ? 400 : 404, "%s", err);
}

enum fh_rc zc_invoice_get(struct fh_req *req)
{
    zs_lock();
    struct z_invoice *inv = zm_invoice(fh_req_param(req, "id"));
    json_t *out = inv ? invoice_view(inv) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such invoice");
}

enum fh_rc zc_invoice_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such invoice";
    zs_lock();
    struct z_invoice *inv = zm_invoice(fh_req_param(req, "id"));
    enum fh_rc rc = inv ? zm_invoice_edit(inv, body, err, sizeof(err)) : FH_E_NOTFOUND;
    json_t *out = NULL;
    if (rc == FH_OK) {
        zwh_fire(inv, ZE_EDIT);
        out = invoice_view(inv);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out)
               : sb_cerr(req,
                         rc == FH_E_NOTFOUND   ? 404
                         : rc == FH_E_CONFLICT ? 409
                                               : 400,
                         "%s", err);
}

static enum fh_rc pay(struct fh_req *req, struct z_invoice *inv, json_t *body)
{
    char err[300];
    struct z_payment *p = zm_pay(inv, body, err, sizeof(err));
    if (!p)
        return sb_cerr(req, 409, "%s", err);
    if (zs.set.payment_fires_edit)
        zwh_fire(inv, ZE_EDIT);
    return sb_json(
        req, 201,
        json_pack("{s:o, s:o}", "payment", zr_payment(inv, p), "invoice", zr_invoice(inv, true)));
}

enum fh_rc zc_invoice_action_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *action = fh_req_param(req, "action");
    char err[300];
    zs_lock();
    struct z_invoice *inv = zm_invoice(fh_req_param(req, "id"));
    enum fh_rc rc;
    if (!inv) {
        rc = sb_cerr(req, 404, "no such invoice");
    } else if (strcmp(action, "payments") == 0) {
        rc = pay(req, inv, body);
    } else if (strcmp(action, "void") == 0 || strcmp(action, "send") == 0) {
        bool v = strcmp(action, "void") == 0;
        if ((v ? zm_void(inv, err, sizeof(err)) : zm_send(inv, err, sizeof(err))) != FH_OK) {
            rc = sb_cerr(req, 409, "%s", err);
        } else {
            zwh_fire(inv, ZE_EDIT);
            rc = sb_json(req, 200, invoice_view(inv));
        }
    } else {
        rc = sb_cerr(req, 404, "actions: void, send, payments");
    }
    zs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc zc_invoice_comments_get(struct fh_req *req)
{
    zs_lock();
    struct z_invoice *inv = zm_invoice(fh_req_param(req, "id"));
    json_t *out = NULL;
    if (inv) {
        const char *type = fh_req_query(req, "type");
        out = json_array();
        for (size_t i = 0; i < inv->comments.n; i++) {
            const struct z_comment *c = inv->comments.v[i];
            if (!type || strcmp(type, c->type) == 0)
                json_array_append_new(out, zr_comment(inv, c));
        }
    }
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such invoice");
}

/* ---- credit notes ---- */
static unsigned int status_of(enum fh_rc rc)
{
    return rc == FH_E_NOTFOUND ? 404 : rc == FH_E_CONFLICT ? 409 : 400;
}

static json_t *credits_json(const struct z_creditnote *cn)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cn->credits.n; i++)
        json_array_append_new(arr, zr_credit(cn, cn->credits.v[i]));
    return arr;
}

static json_t *cn_view(const struct z_creditnote *cn)
{
    json_t *comments = json_array();
    for (size_t i = 0; i < cn->comments.n; i++)
        json_array_append_new(comments, zr_cn_comment(cn, cn->comments.v[i]));
    return json_pack("{s:o, s:s, s:o, s:o}", "creditnote", zr_creditnote(cn, true),
                     "organization_id", cn->org->id, "comments", comments, "invoices_credited",
                     credits_json(cn));
}

/* The invoices' edit events for the credits from index `from` on, once per invoice, as for a
 * payment (payment_fires_edit). */
static void fire_credited(struct z_creditnote *cn, size_t from)
{
    for (size_t i = from; zs.set.payment_fires_edit && i < cn->credits.n; i++) {
        struct z_invoice *inv = ((struct z_credit *)cn->credits.v[i])->invoice;
        bool seen = false;
        for (size_t k = from; k < i && !seen; k++)
            seen = ((struct z_credit *)cn->credits.v[k])->invoice == inv;
        if (!seen)
            zwh_fire(inv, ZE_EDIT);
    }
}

enum fh_rc zc_creditnotes_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such organization";
    enum fh_rc rc = FH_E_NOTFOUND;
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    struct z_creditnote *cn = o ? zm_cn_add(o, body, &rc, err, sizeof(err)) : NULL;
    json_t *out = NULL;
    if (cn) {
        zwh_fire_cn(cn, ZE_CREATE);
        fire_credited(cn, 0);
        out = cn_view(cn);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, status_of(rc), "%s", err);
}

enum fh_rc zc_creditnote_get(struct fh_req *req)
{
    zs_lock();
    struct z_creditnote *cn = zm_creditnote(fh_req_param(req, "id"));
    json_t *out = cn ? cn_view(cn) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such credit note");
}

enum fh_rc zc_creditnote_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such credit note";
    zs_lock();
    struct z_creditnote *cn = zm_creditnote(fh_req_param(req, "id"));
    enum fh_rc rc = cn ? zm_cn_edit(cn, body, err, sizeof(err)) : FH_E_NOTFOUND;
    json_t *out = NULL;
    if (rc == FH_OK) {
        zwh_fire_cn(cn, ZE_EDIT);
        out = cn_view(cn);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, status_of(rc), "%s", err);
}

static enum fh_rc apply(struct fh_req *req, struct z_creditnote *cn, json_t *body)
{
    char err[300];
    size_t from = cn->credits.n;
    enum fh_rc rc = zm_cn_apply(cn, json_object_get(body, "invoices"), err, sizeof(err));
    if (rc != FH_OK)
        return sb_cerr(req, status_of(rc), "%s", err);
    zwh_fire_cn(cn, ZE_EDIT);
    fire_credited(cn, from);
    return sb_json(req, 201,
                   json_pack("{s:o, s:o}", "creditnote", zr_creditnote(cn, true),
                             "invoices_credited", credits_json(cn)));
}

enum fh_rc zc_creditnote_action_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *action = fh_req_param(req, "action");
    char err[300];
    zs_lock();
    struct z_creditnote *cn = zm_creditnote(fh_req_param(req, "id"));
    enum fh_rc rc;
    if (!cn) {
        rc = sb_cerr(req, 404, "no such credit note");
    } else if (strcmp(action, "invoices") == 0) {
        rc = apply(req, cn, body);
    } else if (strcmp(action, "open") == 0 || strcmp(action, "void") == 0) {
        bool v = strcmp(action, "void") == 0;
        if ((v ? zm_cn_void(cn, err, sizeof(err)) : zm_cn_open(cn, err, sizeof(err))) != FH_OK) {
            rc = sb_cerr(req, 409, "%s", err);
        } else {
            zwh_fire_cn(cn, ZE_EDIT);
            rc = sb_json(req, 200, cn_view(cn));
        }
    } else {
        rc = sb_cerr(req, 404, "actions: open, void, invoices");
    }
    zs_unlock();
    json_decref(body);
    return rc;
}

/* DELETE /zoho/control/creditnotes/{id}/invoices/{cid}: the Books API's delete of one credit,
 * firing the same events. */
enum fh_rc zc_creditnote_credit_delete(struct fh_req *req)
{
    char err[100] = "no such credit note";
    struct z_invoice *inv = NULL;
    zs_lock();
    struct z_creditnote *cn = zm_creditnote(fh_req_param(req, "id"));
    enum fh_rc rc =
        cn ? zm_cn_unapply(cn, fh_req_param(req, "cid"), &inv, err, sizeof(err)) : FH_E_NOTFOUND;
    json_t *out = NULL;
    if (rc == FH_OK) {
        zwh_fire_cn(cn, ZE_EDIT);
        if (zs.set.payment_fires_edit)
            zwh_fire(inv, ZE_EDIT);
        out = json_pack("{s:o, s:o, s:o}", "creditnote", zr_creditnote(cn, true), "invoice",
                        zr_invoice(inv, true), "invoices_credited", credits_json(cn));
    }
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, status_of(rc), "%s", err);
}

enum fh_rc zc_creditnote_comments_get(struct fh_req *req)
{
    zs_lock();
    struct z_creditnote *cn = zm_creditnote(fh_req_param(req, "id"));
    json_t *out = NULL;
    if (cn) {
        const char *type = fh_req_query(req, "type");
        out = json_array();
        for (size_t i = 0; i < cn->comments.n; i++) {
            const struct z_comment *c = cn->comments.v[i];
            if (!type || strcmp(type, c->type) == 0)
                json_array_append_new(out, zr_cn_comment(cn, c));
        }
    }
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such credit note");
}
