/* control_inv.c - the control API's invoices: create (one, or many at once for backfills),
 * edit, mark as sent, void, record payments "in Zoho", read them back with their comments and
 * attached files (attachments[]: {document_id, file_name, content_type as uploaded, size,
 * can_send_in_email, base64 of the bytes}); and
 * credit notes: create (perhaps from an invoice, with credits applied at once), edit, open,
 * void, apply credits to invoices and delete them again, read them back. Each change that Zoho
 * calls a create or an edit fires the organization's workflow webhook when its rule covers that
 * event and module (payments, and credits applied to an invoice or deleted from it, per
 * payment_fires_edit).
 *
 * The routes of the two kinds are the same handlers (create, show, edit, the actions, the
 * comments) over a struct doc, one invoice or one credit note; struct kind holds the names
 * that differ. Only the bulk create, payments and credits are of one kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

#define BULK_MAX 100000

/* What the routes of invoices and of credit notes differ in, besides the model's calls. */
struct kind {
    bool invoice;        /* else credit notes */
    const char *missing; /* the 404 of an unknown {id} */
    const char *take;    /* the action with a body: payments; invoices (credits to apply) */
    const char *other;   /* the status action besides void: send; open */
    const char *actions; /* the 404 of an unknown action */
};

static const struct kind invoices = {true, "no such invoice", "payments", "send",
                                     "actions: void, send, payments"};
static const struct kind creditnotes = {false, "no such credit note", "invoices", "open",
                                        "actions: open, void, invoices"};

struct doc { /* one invoice or one credit note: exactly one of the two is set */
    struct z_invoice *inv;
    struct z_creditnote *cn;
};

static unsigned int status_of(enum fh_rc rc)
{
    return rc == FH_E_NOTFOUND ? 404 : rc == FH_E_CONFLICT ? 409 : 400;
}

/* The record of kind k named by the route's {id}; false when there is none. */
static bool find(struct fh_req *req, const struct kind *k, struct doc *d)
{
    const char *id = fh_req_param(req, "id");
    d->inv = k->invoice ? zm_invoice(id) : NULL;
    d->cn = k->invoice ? NULL : zm_creditnote(id);
    return d->inv || d->cn;
}

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

static json_t *credits_json(const struct z_creditnote *cn)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cn->credits.n; i++)
        json_array_append_new(arr, zr_credit(cn, cn->credits.v[i]));
    return arr;
}

/* The comments of d, oldest first; type: only those of that comment_type. */
static json_t *comments_json(const struct doc *d, const char *type)
{
    const struct sb_vec *v = d->inv ? &d->inv->comments : &d->cn->comments;
    json_t *arr = json_array();
    for (size_t i = 0; i < v->n; i++) {
        const struct z_comment *c = v->v[i];
        if (!type || strcmp(type, c->type) == 0)
            json_array_append_new(arr, d->inv ? zr_comment(d->inv, c) : zr_cn_comment(d->cn, c));
    }
    return arr;
}

/* {invoice, organization_id, comments, attachments} or
 * {creditnote, organization_id, comments, invoices_credited}. */
static json_t *view(const struct doc *d)
{
    if (d->inv)
        return json_pack("{s:o, s:s, s:o, s:o}", "invoice", zr_invoice(d->inv, true),
                         "organization_id", d->inv->org->id, "comments", comments_json(d, NULL),
                         "attachments", attachments_json(d->inv));
    return json_pack("{s:o, s:s, s:o, s:o}", "creditnote", zr_creditnote(d->cn, true),
                     "organization_id", d->cn->org->id, "comments", comments_json(d, NULL),
                     "invoices_credited", credits_json(d->cn));
}

static void fire(const struct doc *d, enum z_event ev)
{
    if (d->inv)
        zwh_fire(d->inv, ev);
    else
        zwh_fire_cn(d->cn, ev);
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

/* POST /zoho/control/orgs/{org}/invoices | creditnotes: 201 with the view; fires create (and,
 * for a credit note, the credited invoices' edit). */
static enum fh_rc create(struct fh_req *req, const struct kind *k)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such organization";
    enum fh_rc rc = FH_E_NOTFOUND;
    struct doc d = {NULL, NULL};
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    if (o && k->invoice) {
        d.inv = zm_invoice_add(o, body, err, sizeof(err));
        rc = FH_E_INPUT; /* a refused invoice is a 400, whatever the reason */
    } else if (o) {
        d.cn = zm_cn_add(o, body, &rc, err, sizeof(err));
    }
    json_t *out = NULL;
    if (d.inv || d.cn) {
        fire(&d, ZE_CREATE);
        if (d.cn)
            fire_credited(d.cn, 0);
        out = view(&d);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, status_of(rc), "%s", err);
}

enum fh_rc zc_invoices_post(struct fh_req *req)
{
    return create(req, &invoices);
}

enum fh_rc zc_creditnotes_post(struct fh_req *req)
{
    return create(req, &creditnotes);
}

/* GET /zoho/control/invoices | creditnotes/{id}: the view. */
static enum fh_rc show(struct fh_req *req, const struct kind *k)
{
    struct doc d;
    zs_lock();
    json_t *out = find(req, k, &d) ? view(&d) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "%s", k->missing);
}

enum fh_rc zc_invoice_get(struct fh_req *req)
{
    return show(req, &invoices);
}

enum fh_rc zc_creditnote_get(struct fh_req *req)
{
    return show(req, &creditnotes);
}

/* PUT /zoho/control/invoices | creditnotes/{id}: the view; fires edit. */
static enum fh_rc edit(struct fh_req *req, const struct kind *k)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    struct doc d;
    fh_strlcpy(err, k->missing, sizeof(err));
    zs_lock();
    enum fh_rc rc = FH_E_NOTFOUND;
    if (find(req, k, &d))
        rc = d.inv ? zm_invoice_edit(d.inv, body, err, sizeof(err))
                   : zm_cn_edit(d.cn, body, err, sizeof(err));
    json_t *out = NULL;
    if (rc == FH_OK) {
        fire(&d, ZE_EDIT);
        out = view(&d);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, status_of(rc), "%s", err);
}

enum fh_rc zc_invoice_put(struct fh_req *req)
{
    return edit(req, &invoices);
}

enum fh_rc zc_creditnote_put(struct fh_req *req)
{
    return edit(req, &creditnotes);
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

/* Void, or the other status change (a draft invoice sent, a draft credit note opened): the view
 * and the edit event, 409 when the status does not allow it. */
static enum fh_rc change_status(struct fh_req *req, const struct doc *d, bool to_void)
{
    char err[300];
    enum fh_rc rc;
    if (d->inv)
        rc = to_void ? zm_void(d->inv, err, sizeof(err)) : zm_send(d->inv, err, sizeof(err));
    else
        rc = to_void ? zm_cn_void(d->cn, err, sizeof(err)) : zm_cn_open(d->cn, err, sizeof(err));
    if (rc != FH_OK)
        return sb_cerr(req, 409, "%s", err);
    fire(d, ZE_EDIT);
    return sb_json(req, 200, view(d));
}

/* POST /zoho/control/invoices | creditnotes/{id}/{action}. */
static enum fh_rc act(struct fh_req *req, const struct kind *k)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *action = fh_req_param(req, "action");
    struct doc d;
    enum fh_rc rc;
    zs_lock();
    if (!find(req, k, &d))
        rc = sb_cerr(req, 404, "%s", k->missing);
    else if (strcmp(action, k->take) == 0)
        rc = d.inv ? pay(req, d.inv, body) : apply(req, d.cn, body);
    else if (strcmp(action, "void") == 0 || strcmp(action, k->other) == 0)
        rc = change_status(req, &d, strcmp(action, "void") == 0);
    else
        rc = sb_cerr(req, 404, "%s", k->actions);
    zs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc zc_invoice_action_post(struct fh_req *req)
{
    return act(req, &invoices);
}

enum fh_rc zc_creditnote_action_post(struct fh_req *req)
{
    return act(req, &creditnotes);
}

/* GET .../comments[?type=internal|system]: every comment oldest first. */
static enum fh_rc comments_get(struct fh_req *req, const struct kind *k)
{
    struct doc d;
    zs_lock();
    json_t *out = find(req, k, &d) ? comments_json(&d, fh_req_query(req, "type")) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "%s", k->missing);
}

enum fh_rc zc_invoice_comments_get(struct fh_req *req)
{
    return comments_get(req, &invoices);
}

enum fh_rc zc_creditnote_comments_get(struct fh_req *req)
{
    return comments_get(req, &creditnotes);
}

/* ---- the bulk create of invoices ---- */
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

/* ---- a credit deleted ---- */
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
        zwh_fire_credit_deleted(cn, inv);
        out = json_pack("{s:o, s:o, s:o}", "creditnote", zr_creditnote(cn, true), "invoice",
                        zr_invoice(inv, true), "invoices_credited", credits_json(cn));
    }
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, status_of(rc), "%s", err);
}
