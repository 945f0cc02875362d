/* acc_docs.c - the Accounting API document endpoints: lists of invoices, credit notes, contacts
 * and payments (If-Modified-Since, page/pageSize, where, Statuses, IDs, InvoiceNumbers,
 * ContactIDs, searchTerm, order, summaryOnly, unitdp), single documents, history records and
 * attachments. Called by accounting.c under xs.lock.
 *
 * Lists walk the organisation's update log, which is in UpdatedDateUTC order, so
 * If-Modified-Since is a binary search and the default order is UpdatedDateUTC ascending [I]
 * (Xero does not document its default). If-Modified-Since includes records updated in that
 * second or later. DELETED invoices appear only when Statuses or where names DELETED [I];
 * archived contacts only with includeArchived=true. With `page`, 100 records (pageSize up to
 * 1000) with line items and a `pagination` object; without it, every match with empty
 * LineItems, as Xero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xero_internal.h"

#define MAX_LIST_ITEMS 1000

struct listq {
    int64_t ims, page, page_size;
    bool has_ims, paged, summary, archived, want_deleted;
    int unitdp;
    unsigned statuses; /* bit per enum x_status; 0: any */
    char *ids[MAX_LIST_ITEMS], *numbers[MAX_LIST_ITEMS], *contacts[MAX_LIST_ITEMS];
    size_t nids, nnumbers, ncontacts;
    struct x_where *where;
    const char *search;
    char order_field[40];
    bool order_desc;
};

static void listq_free(struct listq *q)
{
    for (size_t i = 0; i < q->nids; i++)
        free(q->ids[i]);
    for (size_t i = 0; i < q->nnumbers; i++)
        free(q->numbers[i]);
    for (size_t i = 0; i < q->ncontacts; i++)
        free(q->contacts[i]);
    where_free(q->where);
}

static size_t split(const char *s, char **out, size_t max)
{
    size_t n = 0;
    for (const char *p = s; p && *p && n < max;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && (*a == ' ' || *a == '"'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '"'))
            b--;
        if (b > a)
            out[n++] = fh_strndup(a, (size_t)(b - a));
        p += len + (p[len] == ',');
    }
    return n;
}

static bool in_list(char *const *list, size_t n, const char *v)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcasecmp(list[i], v) == 0)
            return true;
    return false;
}

static bool parse_order(struct listq *q, const char *order)
{
    if (!order)
        return true;
    char dir[8] = "";
    if (sscanf(order, "%39s %7s", q->order_field, dir) < 1)
        return false;
    q->order_desc = strcasecmp(dir, "DESC") == 0;
    return !dir[0] || q->order_desc || strcasecmp(dir, "ASC") == 0;
}

/* Parses the common query; false after a 400. */
static bool listq_parse(struct acc_ctx *c, struct listq *q)
{
    struct fh_req *req = c->req;
    memset(q, 0, sizeof(*q));
    q->page = 1;
    q->page_size = 100;
    const char *ims = fh_req_header(req, "If-Modified-Since"), *page = fh_req_query(req, "page");
    const char *size = fh_req_query(req, "pageSize"), *where = fh_req_query(req, "where");
    const char *st = fh_req_query(req, "Statuses"), *unitdp = fh_req_query(req, "unitdp");
    char err[200] = "", *statuses[16];
    if (ims && !(q->has_ims = x_parse_time(ims, &q->ims)))
        snprintf(err, sizeof(err),
                 "If-Modified-Since must be a UTC time such as 2026-01-01T00:00:00");
    if (page && (!fh_parse_i64(page, &q->page) || q->page < 1 || q->page > 1000000000))
        snprintf(err, sizeof(err), "page must be a whole number from 1");
    if (size && (!fh_parse_i64(size, &q->page_size) || q->page_size < 1))
        snprintf(err, sizeof(err), "pageSize must be a whole number from 1");
    if (!parse_order(q, fh_req_query(req, "order")))
        snprintf(err, sizeof(err), "order must be 'Field ASC' or 'Field DESC'");
    size_t ns = split(st, statuses, FH_ARRAY_LEN(statuses));
    for (size_t i = 0; i < ns; i++) {
        enum x_status s;
        if (!x_status_parse(statuses[i], &s))
            snprintf(err, sizeof(err), "Statuses has an unknown status %.40s", statuses[i]);
        else
            q->statuses |= 1u << s;
        free(statuses[i]);
    }
    if (where && !err[0])
        q->where = where_parse(where, err, sizeof(err));
    q->paged = page != NULL;
    q->page_size = q->page_size > 1000 ? 1000 : q->page_size;
    q->summary = sb_ieq(fh_req_query(req, "summaryOnly"), "true");
    q->archived = sb_ieq(fh_req_query(req, "includeArchived"), "true");
    q->unitdp = unitdp && strcmp(unitdp, "4") == 0 ? 4 : 2;
    q->want_deleted = (q->statuses & (1u << XS_DELETED)) || (where && strcasestr(where, "DELETED"));
    q->search = fh_req_query(req, "searchTerm");
    q->nids = split(fh_req_query(req, "IDs"), q->ids, MAX_LIST_ITEMS);
    q->nnumbers = split(fh_req_query(req, "InvoiceNumbers"), q->numbers, MAX_LIST_ITEMS);
    q->ncontacts = split(fh_req_query(req, "ContactIDs"), q->contacts, MAX_LIST_ITEMS);
    if (err[0]) {
        json_t *j = json_pack("{s:i, s:s, s:s}", "ErrorNumber", 16, "Type", "QueryParseException",
                              "Message", err);
        acc_reply(c, 400, j);
        return false;
    }
    return true;
}

/* ---- getters for `where` and `order` ---- */
static bool doc_get(const void *obj, const char *f, struct w_val *v)
{
    const struct x_doc *d = obj;
    v->kind = W_STR;
    if (sb_ieq(f, "Status"))
        v->s = x_status_name(d->status);
    else if (sb_ieq(f, "Type"))
        v->s = d->type;
    else if (sb_ieq(f, "InvoiceID") || sb_ieq(f, "CreditNoteID"))
        v->s = d->id;
    else if (sb_ieq(f, "InvoiceNumber") || sb_ieq(f, "CreditNoteNumber"))
        v->s = d->number;
    else if (sb_ieq(f, "Reference"))
        v->s = d->reference;
    else if (sb_ieq(f, "Contact.ContactID"))
        v->s = d->contact->id;
    else if (sb_ieq(f, "Contact.Name"))
        v->s = d->contact->name;
    else if (sb_ieq(f, "CurrencyCode"))
        v->s = d->currency;
    else {
        v->kind = W_TIME;
        if (sb_ieq(f, "Date"))
            v->n = d->date_ms;
        else if (sb_ieq(f, "DueDate"))
            v->n = d->due_ms;
        else if (sb_ieq(f, "UpdatedDateUTC"))
            v->n = d->rec.updated_ms;
        else {
            v->kind = W_NUM;
            if (sb_ieq(f, "Total"))
                v->n = d->total;
            else if (sb_ieq(f, "SubTotal"))
                v->n = d->subtotal;
            else if (sb_ieq(f, "TotalTax"))
                v->n = d->tax;
            else if (sb_ieq(f, "AmountDue"))
                v->n = d->total - d->paid - d->credited;
            else if (sb_ieq(f, "AmountPaid"))
                v->n = d->paid;
            else
                return false;
        }
    }
    return true;
}

static bool contact_get(const void *obj, const char *f, struct w_val *v)
{
    const struct x_contact *c = obj;
    v->kind = W_STR;
    if (sb_ieq(f, "ContactID"))
        v->s = c->id;
    else if (sb_ieq(f, "Name"))
        v->s = c->name;
    else if (sb_ieq(f, "EmailAddress"))
        v->s = c->email;
    else if (sb_ieq(f, "FirstName"))
        v->s = c->first;
    else if (sb_ieq(f, "LastName"))
        v->s = c->last;
    else if (sb_ieq(f, "ContactNumber"))
        v->s = c->number;
    else if (sb_ieq(f, "ContactStatus"))
        v->s = c->archived ? "ARCHIVED" : "ACTIVE";
    else if (sb_ieq(f, "UpdatedDateUTC")) {
        v->kind = W_TIME;
        v->n = c->rec.updated_ms;
    } else
        return false;
    if (v->kind == W_STR && !v->s)
        v->kind = W_NONE;
    return true;
}

static bool payment_get(const void *obj, const char *f, struct w_val *v)
{
    const struct x_payment *p = obj;
    v->kind = W_STR;
    if (sb_ieq(f, "PaymentID"))
        v->s = p->id;
    else if (sb_ieq(f, "Status"))
        v->s = p->deleted ? "DELETED" : "AUTHORISED";
    else if (sb_ieq(f, "Reference"))
        v->s = p->reference;
    else if (sb_ieq(f, "PaymentType"))
        v->s = strcmp(p->doc->type, "ACCPAY") == 0 ? "ACCPAYPAYMENT" : "ACCRECPAYMENT";
    else if (sb_ieq(f, "Invoice.InvoiceID"))
        v->s = p->doc->id;
    else if (sb_ieq(f, "Invoice.InvoiceNumber"))
        v->s = p->doc->number;
    else if (sb_ieq(f, "Amount")) {
        v->kind = W_NUM;
        v->n = p->amount;
    } else if (sb_ieq(f, "Date") || sb_ieq(f, "UpdatedDateUTC")) {
        v->kind = W_TIME;
        v->n = sb_ieq(f, "Date") ? p->date_ms : p->rec.updated_ms;
    } else
        return false;
    return true;
}

/* ---- the list walk ---- */
struct kind {
    const char *key;
    where_getter get;
    bool (*filter)(const struct listq *q, const void *obj);
    json_t *(*render)(const struct listq *q, const void *obj);
};

static bool doc_filter(const struct listq *q, const void *obj)
{
    const struct x_doc *d = obj;
    if (q->statuses ? !(q->statuses & (1u << d->status))
                    : (d->status == XS_DELETED && !q->want_deleted))
        return false;
    if ((q->nids && !in_list(q->ids, q->nids, d->id)) ||
        (q->nnumbers && !in_list(q->numbers, q->nnumbers, d->number)) ||
        (q->ncontacts && !in_list(q->contacts, q->ncontacts, d->contact->id)))
        return false;
    return !q->search || strcasestr(d->number, q->search) || strcasestr(d->reference, q->search);
}

static json_t *doc_render(const struct listq *q, const void *obj)
{
    return r_doc(obj, q->summary ? R_SUMMARY : q->paged ? R_PAGED : R_UNPAGED, q->unitdp);
}

static bool contact_filter(const struct listq *q, const void *obj)
{
    const struct x_contact *c = obj;
    if ((c->archived && !q->archived) || (q->nids && !in_list(q->ids, q->nids, c->id)))
        return false;
    return !q->search || strcasestr(c->name, q->search) ||
           (c->email && strcasestr(c->email, q->search)) ||
           (c->first && strcasestr(c->first, q->search)) ||
           (c->last && strcasestr(c->last, q->search));
}

static json_t *contact_render(const struct listq *q, const void *obj)
{
    FH_UNUSED(q);
    return r_contact(obj, true);
}

static bool payment_filter(const struct listq *q, const void *obj)
{
    FH_UNUSED(q);
    FH_UNUSED(obj);
    return true;
}

static json_t *payment_render(const struct listq *q, const void *obj)
{
    FH_UNUSED(q);
    return r_payment(obj, true);
}

static const struct kind k_invoices = {"Invoices", doc_get, doc_filter, doc_render};
static const struct kind k_credits = {"CreditNotes", doc_get, doc_filter, doc_render};
static const struct kind k_contacts = {"Contacts", contact_get, contact_filter, contact_render};
static const struct kind k_payments = {"Payments", payment_get, payment_filter, payment_render};

static struct {
    const struct listq *q;
    where_getter get;
} sort_ctx; /* qsort has no context argument; only used under xs.lock */

static int by_order(const void *pa, const void *pb)
{
    struct w_val a = {.kind = W_NONE}, b = {.kind = W_NONE};
    sort_ctx.get(*(void *const *)pa, sort_ctx.q->order_field, &a);
    sort_ctx.get(*(void *const *)pb, sort_ctx.q->order_field, &b);
    int c = 0;
    if (a.kind == W_STR && b.kind == W_STR)
        c = strcasecmp(a.s ? a.s : "", b.s ? b.s : "");
    else
        c = a.n < b.n ? -1 : a.n > b.n;
    return sort_ctx.q->order_desc ? -c : c;
}

static enum fh_rc list(struct acc_ctx *c, const struct xlog *log, const struct kind *k)
{
    struct listq q;
    if (!listq_parse(c, &q))
        return FH_OK;
    struct w_val probe;
    if (q.order_field[0] && log->n && !k->get(log->e[0].rec, q.order_field, &probe)) {
        listq_free(&q);
        return acc_reply(c, 400,
                         json_pack("{s:i, s:s, s:s}", "ErrorNumber", 16, "Type",
                                   "QueryParseException", "Message",
                                   "order names a field that cannot be ordered by"));
    }
    struct sb_vec hits = {0};
    bool ok = true;
    for (size_t i = q.has_ims ? xlog_lower_bound(log, q.ims) : 0; i < log->n && ok; i++) {
        const void *obj = log->e[i].rec;
        if (xlog_valid(log, i) && k->filter(&q, obj) &&
            (!q.where || where_match(q.where, obj, k->get, &ok)))
            sb_vec_push(&hits, (void *)obj);
    }
    if (!ok) {
        sb_vec_free(&hits);
        listq_free(&q);
        return acc_reply(c, 400,
                         json_pack("{s:i, s:s, s:s}", "ErrorNumber", 16, "Type",
                                   "QueryParseException", "Message",
                                   "where names a field this endpoint cannot filter on"));
    }
    if (q.order_field[0] && hits.n > 1) {
        sort_ctx.q = &q;
        sort_ctx.get = k->get;
        qsort(hits.v, hits.n, sizeof(void *), by_order);
    }
    size_t from = 0, to = hits.n;
    if (q.paged) {
        from = (size_t)((q.page - 1) * q.page_size);
        from = from > hits.n ? hits.n : from;
        to = from + (size_t)q.page_size > hits.n ? hits.n : from + (size_t)q.page_size;
    }
    json_t *items = json_array();
    for (size_t i = from; i < to; i++)
        json_array_append_new(items, k->render(&q, hits.v[i]));
    json_t *env = r_envelope(c->app->name, k->key, NULL);
    if (q.paged)
        json_object_set_new(
            env, "pagination",
            json_pack("{s:I, s:I, s:I, s:I}", "page", (json_int_t)q.page, "pageSize",
                      (json_int_t)q.page_size, "pageCount",
                      (json_int_t)((hits.n + (size_t)q.page_size - 1) / (size_t)q.page_size),
                      "itemCount", (json_int_t)hits.n));
    json_object_set_new(env, k->key, items);
    sb_vec_free(&hits);
    listq_free(&q);
    return acc_reply(c, 200, env);
}

enum fh_rc acc_invoices_get(struct acc_ctx *c)
{
    return list(c, &c->org->invoices, &k_invoices);
}

enum fh_rc acc_credit_notes_get(struct acc_ctx *c)
{
    return list(c, &c->org->credits, &k_credits);
}

enum fh_rc acc_contacts_get(struct acc_ctx *c)
{
    return list(c, &c->org->contacts, &k_contacts);
}

enum fh_rc acc_payments_get(struct acc_ctx *c)
{
    return list(c, &c->org->payments, &k_payments);
}

/* ---- single records ---- */
static enum fh_rc one_doc(struct acc_ctx *c, bool credit)
{
    struct x_doc *d = doc_find(c->org, c->seg[1], credit);
    if (!d)
        return acc_not_found(c);
    const char *u = fh_req_query(c->req, "unitdp");
    json_t *arr = json_pack("[o]", r_doc(d, R_FULL, u && strcmp(u, "4") == 0 ? 4 : 2));
    return acc_reply(c, 200, r_envelope(c->app->name, credit ? "CreditNotes" : "Invoices", arr));
}

enum fh_rc acc_invoice_get(struct acc_ctx *c)
{
    return one_doc(c, false);
}

enum fh_rc acc_credit_note_get(struct acc_ctx *c)
{
    return one_doc(c, true);
}

enum fh_rc acc_contact_get(struct acc_ctx *c)
{
    struct x_contact *k = sb_map_get(&xs.contacts, c->seg[1]);
    if (!k || k->org != c->org)
        return acc_not_found(c);
    return acc_reply(c, 200,
                     r_envelope(c->app->name, "Contacts", json_pack("[o]", r_contact(k, true))));
}

enum fh_rc acc_payment_get(struct acc_ctx *c)
{
    struct x_payment *p = sb_map_get(&xs.payments, c->seg[1]);
    if (!p || p->doc->org != c->org)
        return acc_not_found(c);
    return acc_reply(c, 200,
                     r_envelope(c->app->name, "Payments", json_pack("[o]", r_payment(p, true))));
}
