/* docs_ops.c - what happens to documents after they exist: status changes (Xero's lifecycle
 * DRAFT -> SUBMITTED -> AUTHORISED -> PAID; DELETED only from DRAFT/SUBMITTED; VOIDED only from
 * AUTHORISED without payments or credits), payments (PAID when nothing is left to pay), credit
 * notes allocated against an invoice, history records, attachments, webhook events, and
 * freeing.
 *
 * History notes and attachments do not move UpdatedDateUTC [I]: a connector that writes a note
 * back must not see its own write as a change to sync again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_money.h"
#include "xero_internal.h"

static void touch(struct x_doc *d)
{
    xlog_touch(d->org, d->credit ? &d->org->credits : &d->org->invoices, &d->rec, false);
}

static const char *category(const struct x_doc *d)
{
    return d->credit ? "CREDITNOTE" : "INVOICE";
}

static json_t *cn_data(const struct x_doc *d)
{
    return d->credit ? json_pack("{s:s, s:s}", "Type", d->type, "Status", x_status_name(d->status))
                     : NULL;
}

static void updated(struct x_doc *d)
{
    touch(d);
    json_t *data = cn_data(d);
    doc_event(d->org, category(d), "UPDATE", d->id, data);
    json_decref(data);
}

enum fh_rc doc_set_status(struct x_doc *d, enum x_status to, char *err, size_t errsize)
{
    enum x_status from = d->status;
    bool ok = false;
    const char *what = "";
    switch (to) {
    case XS_SUBMITTED:
        ok = from == XS_DRAFT;
        what = "Submitted for approval";
        break;
    case XS_AUTHORISED:
        ok = (from == XS_DRAFT || from == XS_SUBMITTED) && d->nlines > 0;
        what = "Approved";
        break;
    case XS_DELETED:
        ok = from == XS_DRAFT || from == XS_SUBMITTED;
        what = "Deleted";
        break;
    case XS_VOIDED:
        ok = from == XS_AUTHORISED && d->paid == 0 && d->credited == 0;
        what = "Voided";
        break;
    default:
        break;
    }
    if (!ok) {
        if (to == XS_VOIDED && from == XS_AUTHORISED)
            snprintf(err, errsize,
                     "This document cannot be voided as it has a payment or credit note allocated "
                     "to it.");
        else
            snprintf(err, errsize, "Invoice not of valid status for modification (%s to %s)",
                     x_status_name(from), x_status_name(to));
        return FH_E_CONFLICT;
    }
    d->status = to;
    char details[300];
    snprintf(details, sizeof(details), "%s %s.", d->number, what);
    doc_history(d, what, "System Generated", details);
    updated(d);
    return FH_OK;
}

static int64_t due(const struct x_doc *d)
{
    return d->total - d->paid - d->credited;
}

static const struct x_account *pay_account(const struct x_org *org, const json_t *spec)
{
    const json_t *acc = json_object_get(spec, "Account");
    const char *code = acc ? sbj_str(acc, "Code") : sbj_str(spec, "AccountCode");
    const char *id = acc ? sbj_str(acc, "AccountID") : NULL;
    for (size_t i = 0; i < org->naccounts; i++) {
        const struct x_account *a = &org->accounts[i];
        if (a->payments && ((!code && !id) || (code && strcmp(code, a->code) == 0) ||
                            (id && strcmp(id, a->id) == 0)))
            return a;
    }
    return NULL;
}

struct x_payment *doc_pay(struct x_doc *d, json_t *spec, char *err, size_t errsize)
{
    int64_t amount = due(d), date = x_day(x_now_ms());
    json_t *a = json_object_get(spec, "Amount");
    const char *ds = sbj_str(spec, "Date");
    const struct x_account *acct = pay_account(d->org, spec);
    if (d->credit || d->status != XS_AUTHORISED) {
        snprintf(err, errsize, "Invoice not of valid status for modification");
        return NULL;
    }
    if ((a && !sbj_money(a, &amount)) || amount <= 0 || amount > due(d) ||
        (ds && !x_parse_time(ds, &date))) {
        snprintf(err, errsize,
                 "Payment amount must be more than zero and not more than the amount due (Date: "
                 "YYYY-MM-DD)");
        return NULL;
    }
    if (!acct) {
        snprintf(err, errsize, "Account must be a bank account or allow payments");
        return NULL;
    }
    struct x_payment *p = fh_calloc(1, sizeof(*p));
    sb_uuid(p->id);
    p->doc = d;
    p->amount = amount;
    p->date_ms = x_day(date);
    const char *ref = sbj_str(spec, "Reference");
    p->reference = fh_strdup(ref ? ref : "");
    p->account_code = fh_strdup(acct->code);
    sb_map_put(&xs.payments, p->id, p);
    xlog_touch(d->org, &d->org->payments, &p->rec, true);
    sb_vec_push(&d->payments, p);
    d->paid += amount;
    char details[300], amt[40];
    fh_money_fmt(amount, 2, amt, sizeof(amt));
    snprintf(details, sizeof(details), "Payment received from %s for %s.", d->contact->name, amt);
    doc_history(d, "Payment Received", "System Generated", details);
    if (due(d) == 0) {
        d->status = XS_PAID;
        d->fully_paid_ms = p->date_ms;
    }
    updated(d);
    return p;
}

static enum fh_rc credit_lines(struct x_doc *cn, const struct x_doc *inv, json_t *spec, char *err,
                               size_t errsize)
{
    json_t *lines = json_object_get(spec, "LineItems");
    if (lines)
        return doc_set_lines(cn, lines, err, errsize);
    int64_t amount = due(inv);
    json_t *a = json_object_get(spec, "Amount");
    if ((a && !sbj_money(a, &amount)) || amount <= 0) {
        snprintf(err, errsize, "Amount must be more than zero");
        return FH_E_INPUT;
    }
    char amt[40], desc[300];
    fh_money_fmt(amount, 4, amt, sizeof(amt));
    snprintf(desc, sizeof(desc), "Credit for %s", inv->number);
    fh_strlcpy(cn->lat, strcmp(inv->lat, "NoTax") == 0 ? "NoTax" : "Inclusive", sizeof(cn->lat));
    json_t *arr =
        json_pack("[{s:s, s:i, s:s, s:s, s:s}]", "Description", desc, "Quantity", 1, "UnitAmount",
                  amt, "AccountCode", inv->nlines ? inv->lines[0].account : "200", "TaxType",
                  inv->nlines ? inv->lines[0].tax_type : "NONE");
    enum fh_rc rc = doc_set_lines(cn, arr, err, errsize);
    json_decref(arr);
    return rc;
}

static void allocate(struct x_doc *cn, struct x_doc *inv, int64_t amount)
{
    struct x_alloc *al = fh_calloc(1, sizeof(*al));
    sb_uuid(al->id);
    al->cn = cn;
    al->inv = inv;
    al->amount = amount;
    al->date_ms = cn->date_ms;
    sb_vec_push(&cn->allocs, al);
    sb_vec_push(&inv->allocs, al);
    cn->credited += amount;
    inv->credited += amount;
    if (due(inv) == 0) {
        inv->status = XS_PAID;
        inv->fully_paid_ms = cn->date_ms;
    }
    if (due(cn) == 0)
        cn->status = XS_PAID;
}

struct x_doc *doc_credit(struct x_doc *inv, json_t *spec, char *err, size_t errsize)
{
    err[0] = '\0';
    if (inv->credit || inv->status != XS_AUTHORISED) {
        snprintf(err, errsize, "Invoice not of valid status for modification");
        return NULL;
    }
    if ((int64_t)xs.ndocs >= xs.set.max_invoices) {
        snprintf(err, errsize, "the sandbox holds at most %lld invoices and credit notes",
                 (long long)xs.set.max_invoices);
        return NULL;
    }
    struct x_org *org = inv->org;
    struct x_doc *cn =
        doc_new(org, true, strcmp(inv->type, "ACCREC") == 0 ? "ACCRECCREDIT" : "ACCPAYCREDIT");
    cn->contact = inv->contact;
    fh_strlcpy(cn->currency, inv->currency, sizeof(cn->currency));
    const char *ref = sbj_str(spec, "Reference");
    free(cn->reference);
    cn->reference = fh_strdup(ref ? ref : inv->number);
    if (credit_lines(cn, inv, spec, err, errsize) != FH_OK || cn->total <= 0) {
        if (cn->total <= 0 && !*err)
            snprintf(err, errsize, "The credit note total must be more than zero");
        doc_free(cn);
        return NULL;
    }
    char num[32];
    snprintf(num, sizeof(num), "CN-%04lld", (long long)org->next_cn++);
    cn->number = fh_strdup(num);
    cn->status = XS_AUTHORISED;
    sb_map_put(&xs.docs, cn->id, cn);
    xs.ndocs++;
    int64_t amount = cn->total < due(inv) ? cn->total : due(inv);
    allocate(cn, inv, amount);
    xlog_touch(org, &org->credits, &cn->rec, true);
    char details[300], amt[40];
    fh_money_fmt(amount, 2, amt, sizeof(amt));
    snprintf(details, sizeof(details), "Credit note %s applied for %s.", cn->number, amt);
    doc_history(cn, "Created", "System Generated", details);
    doc_history(inv, "Credit Applied", "System Generated", details);
    json_t *data = cn_data(cn);
    doc_event(org, "CREDITNOTE", "CREATE", cn->id, data);
    json_decref(data);
    updated(inv);
    return cn;
}

enum fh_rc doc_unallocate(struct x_doc *cn, const char *alloc_id, char *err, size_t errsize)
{
    struct x_alloc *al = NULL;
    for (size_t i = 0; i < cn->allocs.n && !al; i++)
        if (strcmp(((struct x_alloc *)cn->allocs.v[i])->id, alloc_id) == 0)
            al = cn->allocs.v[i];
    if (!al) {
        snprintf(err, errsize, "the credit note has no allocation %s", alloc_id);
        return FH_E_NOTFOUND;
    }
    struct x_doc *inv = al->inv;
    sb_vec_remove(&cn->allocs, al);
    sb_vec_remove(&inv->allocs, al);
    cn->credited -= al->amount;
    inv->credited -= al->amount;
    if (inv->status == XS_PAID && due(inv) > 0) {
        inv->status = XS_AUTHORISED;
        inv->fully_paid_ms = 0;
    }
    if (cn->status == XS_PAID && due(cn) > 0)
        cn->status = XS_AUTHORISED;
    char details[300], amt[40];
    fh_money_fmt(al->amount, 2, amt, sizeof(amt));
    snprintf(details, sizeof(details), "Credit note %s allocation of %s to %s removed.", cn->number,
             amt, inv->number);
    doc_history(cn, "Credit Removed", "System Generated", details);
    doc_history(inv, "Credit Removed", "System Generated", details);
    free(al);
    updated(cn);
    updated(inv);
    return FH_OK;
}

void doc_history(struct x_doc *d, const char *changes, const char *user, const char *details)
{
    struct x_history *h = fh_calloc(1, sizeof(*h));
    h->ms = x_now_ms();
    h->changes = fh_strdup(changes);
    h->user = fh_strdup(user);
    h->details = fh_strdup(details);
    sb_vec_push(&d->history, h);
}

struct x_attach *doc_attachment(const struct x_doc *d, const char *name_or_id)
{
    for (size_t i = 0; name_or_id && i < d->attachments.n; i++) {
        struct x_attach *a = d->attachments.v[i];
        if (strcmp(a->id, name_or_id) == 0 || strcasecmp(a->name, name_or_id) == 0)
            return a;
    }
    return NULL;
}

struct x_attach *doc_attach(struct x_doc *d, const char *name, const char *mime,
                            const uint8_t *data, size_t len, bool online)
{
    struct x_attach *a = doc_attachment(d, name);
    if (!a) {
        a = fh_calloc(1, sizeof(*a));
        sb_uuid(a->id);
        a->name = fh_strdup(name);
        sb_vec_push(&d->attachments, a);
    }
    free(a->mime);
    free(a->data);
    a->mime = fh_strdup(mime);
    a->data = fh_malloc(len ? len : 1);
    if (len)
        memcpy(a->data, data, len);
    a->len = len;
    a->online = online;
    return a;
}

void doc_event(struct x_org *org, const char *cat, const char *type, const char *id, json_t *data)
{
    const struct x_app *done[64];
    size_t ndone = 0;
    const char *coll = strcmp(cat, "CONTACT") == 0      ? "Contacts"
                       : strcmp(cat, "CREDITNOTE") == 0 ? "CreditNotes"
                                                        : "Invoices";
    char url[512];
    snprintf(url, sizeof(url), "%s/api.xro/2.0/%s/%s", xs.set.public_url, coll, id);
    for (size_t i = 0; i < xs.conn_list.n && ndone < FH_ARRAY_LEN(done); i++) {
        const struct x_conn *c = xs.conn_list.v[i];
        bool seen = false;
        for (size_t k = 0; k < ndone; k++)
            seen = seen || done[k] == c->grant->app;
        if (c->org != org || seen)
            continue;
        done[ndone++] = c->grant->app;
        wh_enqueue(c->grant->app->client_id, cat, type, url, id, org->id, data);
    }
}

/* ---- freeing ---- */
static void contact_free(struct x_contact *c)
{
    free(c->name);
    free(c->first);
    free(c->last);
    free(c->email);
    free(c->number);
    free(c->tax_number);
    free(c);
}

static void payment_free(struct x_payment *p)
{
    free(p->reference);
    free(p->account_code);
    free(p);
}

static void log_free(struct xlog *log, void (*fn)(void *))
{
    for (size_t i = 0; i < log->n; i++)
        if (xlog_valid(log, i))
            fn(log->e[i].rec);
    free(log->e);
    memset(log, 0, sizeof(*log));
}

static void contact_free_v(void *p)
{
    contact_free(p);
}

static void payment_free_v(void *p)
{
    payment_free(p);
}

static void doc_free_v(void *p)
{
    doc_free(p);
}

void doc_free_org(struct x_org *o)
{
    log_free(&o->payments, payment_free_v);
    log_free(&o->credits, doc_free_v);
    log_free(&o->invoices, doc_free_v);
    log_free(&o->contacts, contact_free_v);
    for (size_t i = 0; i < o->nrates; i++) {
        free(o->rates[i].name);
        free(o->rates[i].type);
    }
    for (size_t i = 0; i < o->naccounts; i++) {
        free(o->accounts[i].code);
        free(o->accounts[i].name);
        free(o->accounts[i].type);
        free(o->accounts[i].tax_type);
    }
    free(o->rates);
    free(o->accounts);
    free(o->name);
    free(o->legal_name);
    free(o->short_code);
    free(o->country);
    free(o->currency);
    free(o->version);
    free(o->timezone);
    free(o->tax_number);
    free(o);
}

void doc_free_all(void)
{
    sb_map_free(&xs.docs);
    sb_map_free(&xs.contacts);
    sb_map_free(&xs.payments);
    xs.ndocs = 0;
}
