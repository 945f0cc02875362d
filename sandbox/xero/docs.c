/* docs.c - the accounting model: contacts and invoices, created and edited from Xero-shaped
 * JSON (the control API takes the same bodies as Xero's PUT /Invoices and PUT /Contacts), line
 * totals and taxes as Xero computes them, and the look-ups. Status changes, payments, credit
 * notes, history, attachments and webhook events are in docs_ops.c.
 *
 * Amounts are int64 ten-thousandths; line and tax amounts are rounded to cents per line
 * (half away from zero). Tax on a line: Exclusive  line * rate, Inclusive  line * rate /
 * (1 + rate), NoTax 0. Every change that Xero shows in UpdatedDateUTC moves the object to the
 * end of its organisation's update log (xlog_touch) and queues a webhook event. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_money.h"
#include "xero_internal.h"

#define MAX_LINES 1000

static const char *const status_names[] = {"DRAFT", "SUBMITTED", "AUTHORISED",
                                           "PAID",  "VOIDED",    "DELETED"};

const char *x_status_name(enum x_status s)
{
    return status_names[s];
}

bool x_status_parse(const char *s, enum x_status *out)
{
    for (size_t i = 0; s && i < FH_ARRAY_LEN(status_names); i++) {
        if (strcasecmp(s, status_names[i]) == 0) {
            *out = (enum x_status)i;
            return true;
        }
    }
    return false;
}

static char *dup_or_null(const char *s)
{
    return s ? fh_strdup(s) : NULL;
}

static void set_str(char **dst, const json_t *spec, const char *key)
{
    const char *v = sbj_str(spec, key);
    if (v) {
        free(*dst);
        *dst = fh_strdup(v);
    }
}

/* ---- contacts ---- */
static struct x_contact *contact_by_name(struct x_org *org, const char *name)
{
    for (size_t i = 0; i < org->contacts.n; i++) {
        if (!xlog_valid(&org->contacts, i))
            continue;
        struct x_contact *c = (struct x_contact *)org->contacts.e[i].rec;
        if (!c->archived && strcasecmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

struct x_contact *doc_contact_find(struct x_org *org, const json_t *ref)
{
    const char *id = sbj_str(ref, "ContactID"), *name = sbj_str(ref, "Name");
    if (id) {
        struct x_contact *c = sb_map_get(&xs.contacts, id);
        return c && c->org == org ? c : NULL;
    }
    return name ? contact_by_name(org, name) : NULL;
}

static void contact_event(struct x_contact *c, const char *type)
{
    doc_event(c->org, "CONTACT", type, c->id, NULL);
}

struct x_contact *doc_contact_add(struct x_org *org, json_t *spec, char *err, size_t errsize)
{
    const char *name = sbj_str(spec, "Name");
    if (!name || !*name || strlen(name) > 255) {
        snprintf(err, errsize, "Name is required (at most 255 characters)");
        return NULL;
    }
    if (contact_by_name(org, name)) {
        snprintf(err, errsize,
                 "The contact name %s is already assigned to another contact. The contact name "
                 "must be unique across "
                 "all active contacts.",
                 name);
        return NULL;
    }
    struct x_contact *c = fh_calloc(1, sizeof(*c));
    sb_uuid(c->id);
    c->org = org;
    c->name = fh_strdup(name);
    c->first = dup_or_null(sbj_str(spec, "FirstName"));
    c->last = dup_or_null(sbj_str(spec, "LastName"));
    c->email = dup_or_null(sbj_str(spec, "EmailAddress"));
    c->number = dup_or_null(sbj_str(spec, "ContactNumber"));
    c->tax_number = dup_or_null(sbj_str(spec, "TaxNumber"));
    sb_map_put(&xs.contacts, c->id, c);
    xlog_touch(org, &org->contacts, &c->rec, true);
    contact_event(c, "CREATE");
    return c;
}

enum fh_rc doc_contact_edit(struct x_contact *c, json_t *spec, char *err, size_t errsize)
{
    const char *name = sbj_str(spec, "Name"), *status = sbj_str(spec, "ContactStatus");
    if (name && (!*name || strlen(name) > 255)) {
        snprintf(err, errsize, "Name must have 1..255 characters");
        return FH_E_INPUT;
    }
    struct x_contact *other = name ? contact_by_name(c->org, name) : NULL;
    if (other && other != c) {
        snprintf(err, errsize, "The contact name %s is already assigned to another contact.", name);
        return FH_E_INPUT;
    }
    if (status && strcmp(status, "ACTIVE") != 0 && strcmp(status, "ARCHIVED") != 0) {
        snprintf(err, errsize, "ContactStatus must be ACTIVE or ARCHIVED");
        return FH_E_INPUT;
    }
    set_str(&c->name, spec, "Name");
    set_str(&c->first, spec, "FirstName");
    set_str(&c->last, spec, "LastName");
    set_str(&c->email, spec, "EmailAddress");
    set_str(&c->number, spec, "ContactNumber");
    set_str(&c->tax_number, spec, "TaxNumber");
    if (status)
        c->archived = strcmp(status, "ARCHIVED") == 0;
    xlog_touch(c->org, &c->org->contacts, &c->rec, false);
    contact_event(c, "UPDATE");
    return FH_OK;
}

/* ---- totals ---- */
static int64_t round_cents(int64_t v)
{
    int64_t r = v % 100;
    if (r >= 50)
        return v - r + 100;
    if (r <= -50)
        return v - r - 100;
    return v - r;
}

static int64_t mul_div(int64_t a, int64_t b, int64_t c)
{
    __int128 p = (__int128)a * b;
    __int128 q = p / c, rem = p % c;
    if (rem * 2 >= c)
        q++;
    else if (rem * 2 <= -c)
        q--;
    return (int64_t)q;
}

void doc_recompute(struct x_doc *d)
{
    d->subtotal = d->tax = 0;
    for (size_t i = 0; i < d->nlines; i++) {
        struct x_line *l = &d->lines[i];
        int64_t gross = round_cents(mul_div(l->qty, l->unit, 10000));
        if (l->discount_rate)
            gross = round_cents(gross - mul_div(gross, l->discount_rate, 1000000));
        l->line_amount = gross;
        const struct x_taxrate *t = xs_taxrate(d->org, l->tax_type);
        int64_t rate = t ? t->rate : 0;
        if (strcmp(d->lat, "NoTax") == 0)
            l->tax_amount = 0;
        else if (strcmp(d->lat, "Inclusive") == 0)
            l->tax_amount = round_cents(mul_div(gross, rate, 1000000 + rate));
        else
            l->tax_amount = round_cents(mul_div(gross, rate, 1000000));
        d->subtotal += strcmp(d->lat, "Inclusive") == 0 ? gross - l->tax_amount : gross;
        d->tax += l->tax_amount;
    }
    d->total = d->subtotal + d->tax;
}

/* ---- line items ---- */
static const struct x_account *account(const struct x_org *org, const char *code)
{
    for (size_t i = 0; code && i < org->naccounts; i++)
        if (strcmp(org->accounts[i].code, code) == 0)
            return &org->accounts[i];
    return NULL;
}

static void lines_free(struct x_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(lines[i].desc);
        free(lines[i].account);
        free(lines[i].tax_type);
        free(lines[i].item_code);
    }
    free(lines);
}

static enum fh_rc parse_line(struct x_org *org, json_t *j, size_t i, struct x_line *l, int unitdp,
                             char *err, size_t errsize)
{
    const char *acct = sbj_str(j, "AccountCode"), *tax = sbj_str(j, "TaxType");
    json_t *q = json_object_get(j, "Quantity"), *u = json_object_get(j, "UnitAmount");
    json_t *dr = json_object_get(j, "DiscountRate");
    l->qty = 10000;
    if ((q && !sbj_money(q, &l->qty)) || (u && !sbj_money(u, &l->unit)) ||
        (dr && !sbj_money(dr, &l->discount_rate)) || l->discount_rate < 0 ||
        l->discount_rate > 1000000) {
        snprintf(err, errsize,
                 "LineItems[%zu]: Quantity, UnitAmount and DiscountRate must be numbers", i);
        return FH_E_INPUT;
    }
    if (unitdp != 4) /* Xero keeps 2 decimals of a unit amount unless the request says unitdp=4 */
        l->unit = round_cents(l->unit);
    const struct x_account *a = account(org, acct ? acct : "200");
    if (!a) {
        snprintf(err, errsize, "Account code '%s' is not a valid code for this document.", acct);
        return FH_E_INPUT;
    }
    if (tax && !xs_taxrate(org, tax)) {
        snprintf(
            err, errsize,
            "The TaxType code '%s' does not exist or cannot be used for this type of transaction.",
            tax);
        return FH_E_INPUT;
    }
    sb_uuid(l->id);
    const char *desc = sbj_str(j, "Description");
    l->desc = fh_strdup(desc ? desc : "");
    l->account = fh_strdup(a->code);
    l->tax_type = fh_strdup(tax ? tax : a->tax_type);
    l->item_code = dup_or_null(sbj_str(j, "ItemCode"));
    return FH_OK;
}

static enum fh_rc parse_lines(struct x_org *org, json_t *arr, int unitdp, struct x_line **out,
                              size_t *n, char *err, size_t errsize)
{
    if (!json_is_array(arr) || json_array_size(arr) > MAX_LINES) {
        snprintf(err, errsize, "LineItems must be an array of at most %d line items", MAX_LINES);
        return FH_E_INPUT;
    }
    size_t cnt = json_array_size(arr);
    struct x_line *lines = fh_calloc(cnt ? cnt : 1, sizeof(*lines));
    for (size_t i = 0; i < cnt; i++) {
        if (parse_line(org, json_array_get(arr, i), i, &lines[i], unitdp, err, errsize) != FH_OK) {
            lines_free(lines, i + 1);
            return FH_E_INPUT;
        }
    }
    *out = lines;
    *n = cnt;
    return FH_OK;
}

/* ---- invoices ---- */
static int unitdp(const json_t *spec)
{
    return json_integer_value(json_object_get(spec, "unitdp")) == 4 ? 4 : 2;
}

static bool number_taken(struct x_org *org, const char *number, const struct x_doc *self)
{
    for (size_t i = 0; i < org->invoices.n; i++) {
        if (!xlog_valid(&org->invoices, i))
            continue;
        struct x_doc *d = (struct x_doc *)org->invoices.e[i].rec;
        if (d != self && strcmp(d->type, "ACCREC") == 0 && d->status != XS_DELETED &&
            strcmp(d->number, number) == 0)
            return true;
    }
    return false;
}

static enum fh_rc parse_dates(const json_t *spec, struct x_doc *d, char *err, size_t errsize)
{
    const char *date = sbj_str(spec, "Date"), *due = sbj_str(spec, "DueDate");
    int64_t ms;
    if (date) {
        if (!x_parse_time(date, &ms))
            goto bad;
        d->date_ms = x_day(ms);
    }
    if (due) {
        if (!x_parse_time(due, &ms))
            goto bad;
        d->due_ms = x_day(ms);
    }
    return FH_OK;
bad:
    snprintf(err, errsize, "Date and DueDate must be YYYY-MM-DD");
    return FH_E_INPUT;
}

static enum fh_rc invoice_fields(struct x_org *org, json_t *spec, struct x_doc *d, char *err,
                                 size_t errsize)
{
    const char *lat = sbj_str(spec, "LineAmountTypes"), *number = sbj_str(spec, "InvoiceNumber");
    const char *cur = sbj_str(spec, "CurrencyCode");
    if (lat && strcmp(lat, "Exclusive") != 0 && strcmp(lat, "Inclusive") != 0 &&
        strcmp(lat, "NoTax") != 0) {
        snprintf(err, errsize, "LineAmountTypes must be Exclusive, Inclusive or NoTax");
        return FH_E_INPUT;
    }
    if ((number && (!*number || strlen(number) > 255)) || (cur && strlen(cur) != 3)) {
        snprintf(err, errsize, "InvoiceNumber must have 1..255 characters, CurrencyCode 3 letters");
        return FH_E_INPUT;
    }
    if (number && strcmp(d->type, "ACCREC") == 0 && number_taken(org, number, d)) {
        snprintf(err, errsize, "Invoice # must be unique.");
        return FH_E_INPUT;
    }
    json_t *rate = json_object_get(spec, "CurrencyRate");
    if (rate && (!json_is_number(rate) || !(json_number_value(rate) >= 0.0001) ||
                 json_number_value(rate) > 1e6)) {
        snprintf(err, errsize, "CurrencyRate must be a number from 0.0001 to 1000000");
        return FH_E_INPUT;
    }
    if (parse_dates(spec, d, err, errsize) != FH_OK)
        return FH_E_INPUT;
    if (rate)
        d->rate = llround(json_number_value(rate) * 10000);
    if (lat)
        fh_strlcpy(d->lat, lat, sizeof(d->lat));
    if (cur)
        fh_strlcpy(d->currency, cur, sizeof(d->currency));
    if (number) {
        free(d->number);
        d->number = fh_strdup(number);
    }
    set_str(&d->reference, spec, "Reference");
    set_str(&d->url, spec, "Url");
    if (json_is_boolean(json_object_get(spec, "SentToContact")))
        d->sent = json_is_true(json_object_get(spec, "SentToContact"));
    return FH_OK;
}

static struct x_contact *contact_for(struct x_org *org, json_t *ref, bool *created, char *err,
                                     size_t errsize)
{
    *created = false;
    if (!json_is_object(ref)) {
        snprintf(err, errsize, "Contact ({\"ContactID\": ...} or {\"Name\": ...}) is required");
        return NULL;
    }
    struct x_contact *c = doc_contact_find(org, ref);
    if (c || sbj_str(ref, "ContactID")) {
        if (!c)
            snprintf(err, errsize, "The contact with the supplied ContactID was not found.");
        return c;
    }
    *created = true;
    return doc_contact_add(org, ref, err, errsize);
}

struct x_doc *doc_new(struct x_org *org, bool credit, const char *type)
{
    struct x_doc *d = fh_calloc(1, sizeof(*d));
    sb_uuid(d->id);
    d->org = org;
    d->credit = credit;
    fh_strlcpy(d->type, type, sizeof(d->type));
    fh_strlcpy(d->lat, "Exclusive", sizeof(d->lat));
    fh_strlcpy(d->currency, org->currency, sizeof(d->currency));
    d->rate = 10000;
    d->date_ms = x_day(x_now_ms());
    d->reference = fh_strdup("");
    return d;
}

void doc_free(struct x_doc *d)
{
    lines_free(d->lines, d->nlines);
    free(d->number);
    free(d->reference);
    free(d->url);
    for (size_t i = 0; i < d->history.n; i++) {
        struct x_history *h = d->history.v[i];
        free(h->changes);
        free(h->user);
        free(h->details);
        free(h);
    }
    for (size_t i = 0; i < d->attachments.n; i++) {
        struct x_attach *a = d->attachments.v[i];
        free(a->name);
        free(a->mime);
        free(a->data);
        free(a);
    }
    for (size_t i = 0; d->credit && i < d->allocs.n; i++)
        free(d->allocs.v[i]); /* owned by the credit note; the invoice only points at them */
    sb_vec_free(&d->payments);
    sb_vec_free(&d->allocs);
    sb_vec_free(&d->history);
    sb_vec_free(&d->attachments);
    free(d);
}

static enum fh_rc initial_status(json_t *spec, enum x_status *st, char *err, size_t errsize)
{
    const char *s = sbj_str(spec, "Status");
    *st = XS_DRAFT;
    if (s && (!x_status_parse(s, st) || *st > XS_AUTHORISED)) {
        snprintf(err, errsize, "Status must be DRAFT, SUBMITTED or AUTHORISED");
        return FH_E_INPUT;
    }
    return FH_OK;
}

struct x_doc *doc_invoice_add(struct x_org *org, json_t *spec, bool events, char *err,
                              size_t errsize)
{
    const char *type = sbj_str(spec, "Type");
    enum x_status st;
    if (type && strcmp(type, "ACCREC") != 0 && strcmp(type, "ACCPAY") != 0) {
        snprintf(err, errsize, "Type must be ACCREC or ACCPAY");
        return NULL;
    }
    if ((int64_t)xs.ndocs >= xs.set.max_invoices) {
        snprintf(err, errsize, "the sandbox holds at most %lld invoices and credit notes",
                 (long long)xs.set.max_invoices);
        return NULL;
    }
    if (initial_status(spec, &st, err, errsize) != FH_OK)
        return NULL;
    struct x_doc *d = doc_new(org, false, type ? type : "ACCREC");
    json_t *lines = json_object_get(spec, "LineItems");
    bool created = false;
    if (invoice_fields(org, spec, d, err, errsize) != FH_OK ||
        (lines &&
         parse_lines(org, lines, unitdp(spec), &d->lines, &d->nlines, err, errsize) != FH_OK)) {
        doc_free(d);
        return NULL;
    }
    if (st >= XS_AUTHORISED && d->nlines == 0) {
        snprintf(err, errsize, "An invoice needs at least one line item to be approved.");
        doc_free(d);
        return NULL;
    }
    if (!(d->contact =
              contact_for(org, json_object_get(spec, "Contact"), &created, err, errsize))) {
        doc_free(d);
        return NULL;
    }
    if (!d->number) {
        char num[32];
        snprintf(num, sizeof(num), "INV-%04lld", (long long)org->next_inv);
        d->number = fh_strdup(strcmp(d->type, "ACCREC") == 0 ? num : "");
    }
    if (strcmp(d->type, "ACCREC") == 0)
        org->next_inv++;
    if (!sbj_str(spec, "DueDate"))
        d->due_ms = d->date_ms + 30 * X_DAY_MS;
    d->status = st;
    doc_recompute(d);
    sb_map_put(&xs.docs, d->id, d);
    xs.ndocs++;
    xlog_touch(org, &org->invoices, &d->rec, true);
    char details[400], total[40];
    fh_money_fmt(d->total, 2, total, sizeof(total));
    snprintf(details, sizeof(details), "%s to %s for %s.", d->number, d->contact->name, total);
    doc_history(d, "Created", "System Generated", details);
    if (st == XS_AUTHORISED)
        doc_history(d, "Approved", "System Generated", details);
    if (events)
        doc_event(org, "INVOICE", "CREATE", d->id, NULL);
    return d;
}

enum fh_rc doc_invoice_edit(struct x_doc *d, json_t *spec, char *err, size_t errsize)
{
    json_t *lines = json_object_get(spec, "LineItems"), *contact = json_object_get(spec, "Contact");
    if (d->status >= XS_VOIDED || (lines && (d->paid || d->credited || d->status == XS_PAID))) {
        snprintf(
            err, errsize,
            "This document cannot be edited as it has a payment or credit note allocated to it, "
            "or is voided or deleted.");
        return FH_E_CONFLICT;
    }
    struct x_line *nl = NULL;
    size_t n = 0;
    bool created;
    struct x_contact *c =
        contact ? contact_for(d->org, contact, &created, err, errsize) : d->contact;
    if (!c || invoice_fields(d->org, spec, d, err, errsize) != FH_OK ||
        (lines && parse_lines(d->org, lines, unitdp(spec), &nl, &n, err, errsize) != FH_OK))
        return FH_E_INPUT;
    d->contact = c;
    if (lines) {
        lines_free(d->lines, d->nlines);
        d->lines = nl;
        d->nlines = n;
    }
    doc_recompute(d);
    xlog_touch(d->org, d->credit ? &d->org->credits : &d->org->invoices, &d->rec, false);
    doc_history(d, "Edited", "System Generated", "The document was edited in Xero.");
    doc_event(d->org, d->credit ? "CREDITNOTE" : "INVOICE", "UPDATE", d->id, NULL);
    return FH_OK;
}

enum fh_rc doc_set_lines(struct x_doc *d, json_t *arr, char *err, size_t errsize)
{
    struct x_line *nl = NULL;
    size_t n = 0;
    if (parse_lines(d->org, arr, 4, &nl, &n, err, errsize) != FH_OK)
        return FH_E_INPUT;
    lines_free(d->lines, d->nlines);
    d->lines = nl;
    d->nlines = n;
    doc_recompute(d);
    return FH_OK;
}

struct x_doc *doc_find(struct x_org *org, const char *id_or_number, bool credit)
{
    if (!id_or_number)
        return NULL;
    struct x_doc *d = sb_map_get(&xs.docs, id_or_number);
    if (d)
        return d->org == org && d->credit == credit ? d : NULL;
    const struct xlog *log = credit ? &org->credits : &org->invoices;
    for (size_t i = 0; i < log->n; i++) {
        if (!xlog_valid(log, i))
            continue;
        d = (struct x_doc *)log->e[i].rec;
        if (d->number && strcmp(d->number, id_or_number) == 0 && d->status != XS_DELETED)
            return d;
    }
    return NULL;
}
