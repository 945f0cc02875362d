/* model.c - the Zoho Books emulator's records: taxes, custom fields, contacts, invoices with
 * line items, payments, comments (specs/zoho-books.md §2.3-2.9) and attached files (§2.5, [3P]:
 * gif, png, jpeg, jpg, bmp or pdf; at most max_attachments per invoice and max_attachment_bytes
 * per file, Z_MAX_ATTACH_TOTAL bytes in all), and credit notes with their credits applied to
 * invoices. Amounts are int64 ten-thousandths; Books rounds each line's total and tax to cents
 * (credit notes have the same lines and totals):
 *   item_total = rate * quantity, less discount %            (rounded to cents)
 *   tax        = item_total * p / 100        (tax exclusive)  (rounded to cents)
 *              = item_total * p / (100 + p)  (tax inclusive: is_inclusive_tax)
 *   sub_total = sum of item_total; total = sub_total + tax_total (inclusive: sub_total)
 * Every change that Zoho would call an edit moves last_modified_time (zm_touch); comments and
 * attachments do not (comment_touches, attachment_touches). Invoices and credit notes are
 * created and changed through the control API; the Books API only adds comments and
 * attachments and sets custom fields. A credit applied to an invoice counts like a payment:
 * balance = total - payments - credits, and the invoice is paid or partially paid by both
 * together. Callers hold zs.lock. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_money.h"
#include "zoho_internal.h"

static int64_t round_cents(__int128 v, __int128 div)
{
    /* v / div in ten-thousandths, rounded half away from zero to a multiple of 100 */
    __int128 unit = div * 100, q = (v < 0 ? -v : v) * 2 / unit, r = (q + 1) / 2 * 100;
    return (int64_t)(v < 0 ? -r : r);
}

static void line_amounts(struct z_line *l, bool inclusive)
{
    __int128 gross = (__int128)l->rate * l->quantity; /* scale 10^8 */
    __int128 net = gross * (1000000 - l->discount);   /* scale 10^8 * 10^6 */
    l->item_total = round_cents(net, (__int128)10000 * 1000000);
    int64_t p = l->tax ? l->tax->percentage : 0;
    if (inclusive)
        l->tax_amount = round_cents((__int128)l->item_total * p, 1000000 + p);
    else
        l->tax_amount = round_cents((__int128)l->item_total * p, 1000000);
}

void zm_sum_lines(struct z_line *lines, size_t n, bool inclusive, int64_t *sub, int64_t *tax,
                  int64_t *total)
{
    *sub = *tax = 0;
    for (size_t i = 0; i < n; i++) {
        line_amounts(&lines[i], inclusive);
        *sub += lines[i].item_total;
        *tax += lines[i].tax_amount;
    }
    *total = inclusive ? *sub : *sub + *tax;
}

enum fh_rc zm_edit_lines(const struct z_org *o, json_t *spec, struct z_line *cur, size_t ncur,
                         bool inclusive, int64_t covered, struct z_line **lines, size_t *n,
                         char *err, size_t errsize)
{
    json_t *arr = json_object_get(spec, "line_items"),
           *incl = json_object_get(spec, "is_inclusive_tax");
    *lines = NULL;
    *n = 0;
    if (arr && zm_set_lines(o, lines, n, arr, err, errsize) != FH_OK)
        return FH_E_INPUT;
    bool now = json_is_boolean(incl) ? json_is_true(incl) : inclusive;
    int64_t sub, tax, total, was;
    zm_sum_lines(*lines ? *lines : cur, *lines ? *n : ncur, now, &sub, &tax, &total);
    if (!*lines && now != inclusive) /* the record's line amounts as they were */
        zm_sum_lines(cur, ncur, inclusive, &sub, &tax, &was);
    if (covered <= total)
        return FH_OK;
    zm_free_lines(*lines, *n);
    *lines = NULL;
    *n = 0;
    return FH_E_CONFLICT;
}

static void recompute(struct z_invoice *inv)
{
    zm_sum_lines(inv->lines, inv->nlines, inv->inclusive, &inv->sub_total, &inv->tax_total,
                 &inv->total);
}

int64_t zm_balance(const struct z_invoice *inv)
{
    return inv->status == ZI_VOID ? 0 : inv->total - inv->paid - inv->credited;
}

/* Payments and credits together make an invoice partially paid or paid. */
void zm_settle(struct z_invoice *inv)
{
    int64_t covered = inv->paid + inv->credited;
    if (covered > 0)
        inv->status = covered == inv->total ? ZI_PAID : ZI_PARTIALLY_PAID;
    else if (inv->status == ZI_PARTIALLY_PAID || inv->status == ZI_PAID)
        inv->status = ZI_SENT; /* its last credit deleted (overdue past the due date) */
}

const char *z_status_name(const struct z_org *o, enum z_inv_status s, const char *due_date)
{
    static const char *const names[] = {"draft", "sent", "partially_paid", "paid", "void"};
    char today[16];
    z_date(z_now_ms(), o->offset_min, today, sizeof(today));
    if (s == ZI_SENT && due_date[0] && strcmp(due_date, today) < 0)
        return "overdue";
    return names[s];
}

/* ---- organization settings ---- */
struct z_tax *zm_tax_add(struct z_org *o, const char *name, int64_t percentage)
{
    struct z_tax *t = fh_calloc(1, sizeof(*t));
    zs_new_id(t->id);
    t->name = fh_strdup(name);
    t->percentage = percentage;
    sb_vec_push(&o->taxes, t);
    return t;
}

struct z_cfdef *zm_cfdef_add(struct z_org *o, const char *label, const char *api_name)
{
    struct z_cfdef *d = fh_calloc(1, sizeof(*d));
    zs_new_id(d->id);
    d->label = fh_strdup(label);
    d->api_name = fh_strdup(api_name);
    sb_vec_push(&o->cfdefs, d);
    return d;
}

static const struct z_tax *tax_of(const struct z_org *o, const char *id, const char *name)
{
    for (size_t i = 0; i < o->taxes.n; i++) {
        const struct z_tax *t = o->taxes.v[i];
        if ((id && strcmp(t->id, id) == 0) || (!id && name && strcmp(t->name, name) == 0))
            return t;
    }
    return NULL;
}

/* ---- contacts ---- */
struct z_contact *zm_contact(struct z_org *o, const char *id_or_name, bool create)
{
    struct z_contact *c = sb_map_get(&zs.contacts, id_or_name);
    if (c && c->org == o)
        return c;
    for (size_t i = 0; id_or_name && i < o->contacts.n; i++)
        if (strcmp(((struct z_contact *)o->contacts.v[i])->name, id_or_name) == 0)
            return o->contacts.v[i];
    if (!create || !id_or_name || !*id_or_name || strlen(id_or_name) > 200)
        return NULL;
    c = fh_calloc(1, sizeof(*c));
    zs_new_id(c->id);
    c->org = o;
    c->name = fh_strdup(id_or_name);
    char email[64];
    snprintf(email, sizeof(email), "billing+%s@example.com", c->id);
    c->email = fh_strdup(email);
    c->vat_reg_no = fh_strdup("");
    c->created_ms = c->modified_ms = z_now_ms();
    sb_vec_push(&o->contacts, c);
    sb_map_put(&zs.contacts, c->id, c);
    return c;
}

/* ---- invoices ---- */
struct z_invoice *zm_invoice(const char *id)
{
    return id ? sb_map_get(&zs.invoices, id) : NULL;
}

void zm_touch(struct z_invoice *inv)
{
    int64_t now = z_now_ms();
    inv->modified_ms = now > inv->modified_ms ? now : inv->modified_ms;
}

void zm_free_lines(struct z_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(lines[i].name);
        free(lines[i].description);
        free(lines[i].unit);
    }
    free(lines);
}

static enum fh_rc parse_line(const struct z_org *o, json_t *j, struct z_line *l, size_t i,
                             char *err, size_t errsize)
{
    const char *name = sbj_str(j, "name"), *tax_id = sbj_str(j, "tax_id");
    const char *tax_name = sbj_str(j, "tax_name");
    json_t *q = json_object_get(j, "quantity"), *d = json_object_get(j, "discount");
    l->quantity = 10000;
    if (!json_is_object(j) || !name || !*name || strlen(name) > 500 ||
        !sbj_money(json_object_get(j, "rate"), &l->rate) || l->rate < 0 ||
        l->rate > 1000000000000000LL ||
        (q && (!sbj_money(q, &l->quantity) || l->quantity <= 0 || l->quantity > 10000000000LL)) ||
        (d && (!sbj_money(d, &l->discount) || l->discount < 0 || l->discount > 1000000))) {
        snprintf(err, errsize,
                 "line_items[%zu] needs name, rate (>= 0), quantity (> 0) and discount (0..100)",
                 i);
        return FH_E_INPUT;
    }
    if ((tax_id || tax_name) && !(l->tax = tax_of(o, tax_id, tax_name))) {
        snprintf(err, errsize, "line_items[%zu]: no such tax in this organization", i);
        return FH_E_INPUT;
    }
    zs_new_id(l->id);
    l->name = fh_strdup(name);
    l->description = fh_strdup(sbj_str(j, "description") ? sbj_str(j, "description") : "");
    l->unit = fh_strdup(sbj_str(j, "unit") ? sbj_str(j, "unit") : "");
    return FH_OK;
}

/* Replaces *lines (of an invoice or a credit note) with the parsed array. */
enum fh_rc zm_set_lines(const struct z_org *o, struct z_line **out, size_t *nout, json_t *arr,
                        char *err, size_t errsize)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > Z_MAX_LINES) {
        snprintf(err, errsize, "line_items must be an array of 1 to %d items", Z_MAX_LINES);
        return FH_E_INPUT;
    }
    size_t n = json_array_size(arr);
    struct z_line *lines = fh_calloc(n, sizeof(*lines));
    for (size_t i = 0; i < n; i++) {
        if (parse_line(o, json_array_get(arr, i), &lines[i], i, err, errsize) != FH_OK) {
            zm_free_lines(lines, i);
            return FH_E_INPUT;
        }
    }
    zm_free_lines(*out, *nout);
    *out = lines;
    *nout = n;
    return FH_OK;
}

static void cfval_set(struct z_invoice *inv, const struct z_cfdef *d, const char *value)
{
    for (size_t i = 0; i < inv->cfvals.n; i++) {
        struct z_cfval *v = inv->cfvals.v[i];
        if (v->def != d)
            continue;
        free(v->value);
        if (value && *value) {
            v->value = fh_strdup(value);
        } else {
            sb_vec_remove(&inv->cfvals, v);
            free(v);
        }
        return;
    }
    if (!value || !*value)
        return;
    struct z_cfval *v = fh_calloc(1, sizeof(*v));
    v->def = d;
    v->value = fh_strdup(value);
    sb_vec_push(&inv->cfvals, v);
}

static const struct z_cfdef *cfdef_of(const struct z_org *o, json_t *item)
{
    const char *id = sbj_str(item, "customfield_id"), *api = sbj_str(item, "api_name");
    if (json_is_integer(json_object_get(item, "customfield_id"))) {
        char num[32];
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(item, "customfield_id")));
        for (size_t i = 0; i < o->cfdefs.n; i++)
            if (strcmp(((struct z_cfdef *)o->cfdefs.v[i])->id, num) == 0)
                return o->cfdefs.v[i];
    }
    for (size_t i = 0; i < o->cfdefs.n; i++) {
        const struct z_cfdef *d = o->cfdefs.v[i];
        if ((id && strcmp(d->id, id) == 0) || (!id && api && strcmp(d->api_name, api) == 0))
            return d;
    }
    return NULL;
}

/* Whether arr is a custom_fields array of this organization's fields (400 text in err). */
static bool cf_ok(const struct z_invoice *inv, json_t *arr, char *err, size_t errsize)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 100) {
        snprintf(err, errsize, "Invalid value passed for custom_fields");
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        json_t *v = json_object_get(item, "value");
        if (!cfdef_of(inv->org, item) ||
            (v && !json_is_string(v) && !json_is_null(v) && !json_is_number(v)) ||
            (json_is_string(v) && strlen(json_string_value(v)) > 2000)) {
            snprintf(err, errsize, "Invalid value passed for customfield_id");
            return false;
        }
    }
    return true;
}

enum fh_rc zm_set_cf(struct z_invoice *inv, json_t *arr, char *err, size_t errsize)
{
    if (!cf_ok(inv, arr, err, errsize))
        return FH_E_INPUT;
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        json_t *v = json_object_get(item, "value");
        char num[64] = "";
        if (json_is_number(v))
            snprintf(num, sizeof(num), "%g", json_number_value(v));
        cfval_set(inv, cfdef_of(inv->org, item), json_is_string(v) ? json_string_value(v) : num);
    }
    return FH_OK;
}

static struct head inv_head(struct z_invoice *inv)
{
    return (struct head){.org = inv->org,
                         .customer = &inv->customer,
                         .date = inv->date,
                         .due_date = inv->due_date,
                         .reference = &inv->reference,
                         .notes = &inv->notes,
                         .inclusive = &inv->inclusive,
                         .currency = inv->currency,
                         .rate = &inv->rate};
}

enum fh_rc zm_header_fields(const struct head *h, json_t *spec, bool is_new, char *err,
                            size_t errsize)
{
    const char *cust = sbj_str(spec, "customer_id") ? sbj_str(spec, "customer_id")
                                                    : sbj_str(spec, "customer_name");
    const char *date = sbj_str(spec, "date"), *due = sbj_str(spec, "due_date");
    const char *ref = sbj_str(spec, "reference_number"), *notes = sbj_str(spec, "notes");
    json_t *incl = json_object_get(spec, "is_inclusive_tax");
    const char *cur = sbj_str(spec, "currency_code");
    json_t *rate = json_object_get(spec, "exchange_rate");
    if ((cur && strlen(cur) != 3) ||
        (rate && (!json_is_number(rate) || !(json_number_value(rate) >= 0.0001) ||
                  json_number_value(rate) > 1e6))) {
        snprintf(err, errsize, "currency_code (3 letters), exchange_rate (0.0001 to 1000000)");
        return FH_E_INPUT;
    }
    /* A contact named for the first time is made only once the whole header is valid: a refused
     * edit leaves nothing behind. */
    struct z_contact *c = cust ? zm_contact(h->org, cust, false) : NULL;
    bool make = cust && !c && !sbj_str(spec, "customer_id") && *cust && strlen(cust) <= 200;
    if (((is_new || cust) && !c && !make) || (date && !z_parse_date(date)) ||
        (due && (!h->due_date || !z_parse_date(due))) || (incl && !json_is_boolean(incl)) ||
        (ref && strlen(ref) > 100) || (notes && strlen(notes) > 5000)) {
        snprintf(err, errsize,
                 "customer_id (of this organization) or customer_name, date%s (yyyy-mm-dd), "
                 "is_inclusive_tax (boolean), reference_number (<= 100), notes (<= 5000)",
                 h->due_date ? " and due_date" : "");
        return FH_E_INPUT;
    }
    if (make && h->new_customer)
        *h->new_customer = cust;
    else if (make)
        c = zm_contact(h->org, cust, true);
    if (c)
        *h->customer = c;
    if (date)
        fh_strlcpy(h->date, date, 11);
    if (due)
        fh_strlcpy(h->due_date, due, 11);
    if (incl)
        *h->inclusive = json_is_true(incl);
    if (cur)
        fh_strlcpy(h->currency, cur, 4);
    if (rate)
        *h->rate = llround(json_number_value(rate) * 10000);
    if (ref) {
        free(*h->reference);
        *h->reference = fh_strdup(ref);
    }
    if (notes) {
        free(*h->notes);
        *h->notes = fh_strdup(notes);
    }
    return FH_OK;
}

void zm_comment_free(struct z_comment *c)
{
    free(c->description);
    free(c->by);
    free(c->type);
    free(c->operation);
    free(c);
}

/* ---- attachments ---- */
static const struct {
    const char *ext, *mime;
} file_types[] = {{"gif", "image/gif"},  {"png", "image/png"}, {"jpeg", "image/jpeg"},
                  {"jpg", "image/jpeg"}, {"bmp", "image/bmp"}, {"pdf", "application/pdf"}};

const char *zm_attachment_mime(const struct z_attachment *a)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(file_types); i++)
        if (strcmp(file_types[i].ext, a->file_type) == 0)
            return file_types[i].mime;
    return "application/octet-stream";
}

void zm_size_text(int64_t bytes, char *out, size_t n)
{
    static const char *const units[] = {"KB", "MB", "GB"};
    int64_t unit = 1024;
    size_t u = 0;
    while (u + 1 < FH_ARRAY_LEN(units) && bytes >= unit * 1024) {
        unit *= 1024;
        u++;
    }
    int64_t tenths = (bytes * 10 + unit / 2) / unit; /* rounded to one decimal */
    if (bytes < 1024)
        snprintf(out, n, "%lld bytes", (long long)bytes);
    else if (tenths % 10 == 0)
        snprintf(out, n, "%lld %s", (long long)(tenths / 10), units[u]);
    else
        snprintf(out, n, "%lld.%lld %s", (long long)(tenths / 10), (long long)(tenths % 10),
                 units[u]);
}

/* The lower-case extension of name when it is one of file_types, else NULL. */
static const char *file_type_of(const char *name, char *out, size_t n)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strlen(dot + 1) >= n)
        return NULL;
    for (size_t i = 0; dot[i + 1]; i++)
        out[i] = (char)tolower((unsigned char)dot[i + 1]);
    out[strlen(dot + 1)] = '\0';
    for (size_t i = 0; i < FH_ARRAY_LEN(file_types); i++)
        if (strcmp(file_types[i].ext, out) == 0)
            return out;
    return NULL;
}

static bool utf8(const char *s)
{
    json_t *j = json_string(s); /* jansson refuses what is not UTF-8 */
    json_decref(j);
    return j != NULL;
}

static enum fh_rc attach_check(const struct z_invoice *inv, const char *file_name,
                               const char *ctype, size_t size, char *type, size_t typesize,
                               char *err, size_t errsize)
{
    char lim[32], allowed[80] = "";
    for (size_t i = 0; i < FH_ARRAY_LEN(file_types); i++)
        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
                 i ? ", " : "", file_types[i].ext);
    zm_size_text(zs.set.max_attachment_bytes, lim, sizeof(lim));
    if (!utf8(file_name) || !utf8(ctype) || strlen(file_name) > 200)
        snprintf(err, errsize,
                 "The file name and Content-Type must be UTF-8 (file name at most "
                 "200 bytes).");
    else if (!file_type_of(file_name, type, typesize))
        snprintf(err, errsize, "The file %s cannot be attached: allowed file types are %s.",
                 file_name, allowed);
    else if (size == 0)
        snprintf(err, errsize, "The file %s is empty.", file_name);
    else if ((int64_t)size > zs.set.max_attachment_bytes)
        snprintf(err, errsize, "The file %s is larger than %s, the limit for an attachment.",
                 file_name, lim);
    else if ((int64_t)inv->attachments.n >= zs.set.max_attachments)
        snprintf(err, errsize, "An invoice can have at most %lld attachments.",
                 (long long)zs.set.max_attachments);
    else if (zs.attachment_bytes + (int64_t)size > Z_MAX_ATTACH_TOTAL)
        snprintf(err, errsize, "The sandbox keeps at most %lld MB of attachments.",
                 Z_MAX_ATTACH_TOTAL / (1024 * 1024));
    else
        return FH_OK;
    return FH_E_INPUT;
}

struct z_attachment *zm_attach(struct z_invoice *inv, const char *file_name, const char *ctype,
                               const void *data, size_t size, bool in_email, char *err,
                               size_t errsize)
{
    char type[8];
    if (attach_check(inv, file_name, ctype, size, type, sizeof(type), err, errsize) != FH_OK)
        return NULL;
    struct z_attachment *a = fh_calloc(1, sizeof(*a));
    zs_new_id(a->id);
    a->file_name = fh_strdup(file_name);
    a->ctype = fh_strdup(ctype);
    fh_strlcpy(a->file_type, type, sizeof(a->file_type));
    a->data = fh_malloc(size);
    memcpy(a->data, data, size);
    a->size = size;
    a->in_email = in_email;
    sb_vec_push(&inv->attachments, a);
    zs.attachment_bytes += (int64_t)size;
    return a;
}

static void attachment_free(struct z_attachment *a)
{
    zs.attachment_bytes -= (int64_t)a->size;
    free(a->file_name);
    free(a->ctype);
    free(a->data);
    free(a);
}

static void invoice_free(struct z_invoice *inv)
{
    zm_free_lines(inv->lines, inv->nlines);
    for (size_t i = 0; i < inv->payments.n; i++) {
        struct z_payment *p = inv->payments.v[i];
        free(p->mode);
        free(p->reference);
        free(p);
    }
    for (size_t i = 0; i < inv->comments.n; i++)
        zm_comment_free(inv->comments.v[i]);
    for (size_t i = 0; i < inv->cfvals.n; i++) {
        free(((struct z_cfval *)inv->cfvals.v[i])->value);
        free(inv->cfvals.v[i]);
    }
    for (size_t i = 0; i < inv->attachments.n; i++)
        attachment_free(inv->attachments.v[i]);
    sb_vec_free(&inv->attachments);
    sb_vec_free(&inv->payments);
    sb_vec_free(&inv->comments);
    sb_vec_free(&inv->cfvals);
    free(inv->number);
    free(inv->reference);
    free(inv->notes);
    free(inv);
}

static enum fh_rc number_of(struct z_invoice *inv, json_t *spec, char *err, size_t errsize)
{
    const char *num = sbj_str(spec, "invoice_number");
    char gen[32];
    if (num && (!*num || strlen(num) > 100 || sb_map_get(&inv->org->numbers, num))) {
        snprintf(err, errsize, "Invoice number %s has already been created", num);
        return FH_E_CONFLICT;
    }
    while (!num) {
        snprintf(gen, sizeof(gen), "INV-%06lld", (long long)inv->org->next_number++);
        num = sb_map_get(&inv->org->numbers, gen) ? NULL : gen;
    }
    inv->number = fh_strdup(num);
    return FH_OK;
}

static enum fh_rc invoice_fill(struct z_invoice *inv, json_t *spec, char *err, size_t errsize)
{
    const char *status = sbj_str(spec, "status");
    json_t *cfs = json_object_get(spec, "custom_fields");
    if (status && strcmp(status, "draft") != 0 && strcmp(status, "sent") != 0) {
        snprintf(err, errsize, "status is draft or sent");
        return FH_E_INPUT;
    }
    inv->status = status && strcmp(status, "draft") == 0 ? ZI_DRAFT : ZI_SENT;
    const char *new_customer = NULL;
    struct head h = inv_head(inv);
    h.new_customer = &new_customer;
    if (zm_header_fields(&h, spec, true, err, errsize) != FH_OK ||
        zm_set_lines(inv->org, &inv->lines, &inv->nlines, json_object_get(spec, "line_items"), err,
                     errsize) != FH_OK ||
        (cfs && zm_set_cf(inv, cfs, err, errsize) != FH_OK))
        return FH_E_INPUT;
    enum fh_rc rc = number_of(inv, spec, err, errsize);
    if (rc == FH_OK && new_customer) /* a refused invoice makes no contact */
        inv->customer = zm_contact(inv->org, new_customer, true);
    return rc;
}

bool zm_room(const char *what, char *err, size_t errsize)
{
    if ((int64_t)(zs.ninvoices + zs.ncreditnotes) < zs.set.max_invoices)
        return true;
    snprintf(err, errsize, "the sandbox keeps at most %lld %s", (long long)zs.set.max_invoices,
             what);
    return false;
}

struct z_invoice *zm_invoice_add(struct z_org *o, json_t *spec, char *err, size_t errsize)
{
    if (!zm_room("invoices", err, errsize))
        return NULL;
    struct z_invoice *inv = fh_calloc(1, sizeof(*inv));
    inv->org = o;
    zs_new_id(inv->id);
    inv->created_ms = inv->modified_ms = z_now_ms();
    z_date(inv->created_ms, o->offset_min, inv->date, sizeof(inv->date));
    if (invoice_fill(inv, spec, err, errsize) != FH_OK) {
        invoice_free(inv);
        return NULL;
    }
    if (!inv->due_date[0])
        fh_strlcpy(inv->due_date, inv->date, sizeof(inv->due_date));
    recompute(inv);
    sb_vec_push(&o->invoices, inv);
    sb_map_put(&o->numbers, inv->number, inv);
    sb_map_put(&zs.invoices, inv->id, inv);
    zs.ninvoices++;
    char text[160], amount[40];
    fh_money_fmt(inv->total, 2, amount, sizeof(amount));
    snprintf(text, sizeof(text), "Invoice created for %s %s.", o->currency, amount);
    zm_comment(inv, text, "Sandbox User", "system", "Added", false);
    return inv;
}

enum fh_rc zm_invoice_edit(struct z_invoice *inv, json_t *spec, char *err, size_t errsize)
{
    if (inv->status == ZI_VOID) {
        snprintf(err, errsize, "a void invoice cannot be edited");
        return FH_E_CONFLICT;
    }
    json_t *cfs = json_object_get(spec, "custom_fields");
    struct head h = inv_head(inv);
    struct z_line *lines;
    size_t n;
    if (cfs && !cf_ok(inv, cfs, err, errsize))
        return FH_E_INPUT;
    enum fh_rc rc = zm_edit_lines(inv->org, spec, inv->lines, inv->nlines, inv->inclusive,
                                  inv->paid + inv->credited, &lines, &n, err, errsize);
    if (rc == FH_E_CONFLICT)
        snprintf(err, errsize, "the total would be below the payments and credits (%lld)",
                 (long long)(inv->paid + inv->credited));
    if (rc == FH_OK && zm_header_fields(&h, spec, false, err, errsize) != FH_OK) {
        zm_free_lines(lines, n);
        rc = FH_E_INPUT;
    }
    if (rc != FH_OK)
        return rc; /* nothing changed */
    if (lines) {
        zm_free_lines(inv->lines, inv->nlines);
        inv->lines = lines;
        inv->nlines = n;
    }
    if (cfs)
        zm_set_cf(inv, cfs, err, errsize);
    recompute(inv);
    zm_settle(inv);
    if (!json_is_true(json_object_get(spec, "same_second")))
        zm_touch(inv); /* else as if made within the second of the change before it */
    zm_comment(inv, "Invoice updated.", "Sandbox User", "system", "Updated", false);
    return FH_OK;
}

enum fh_rc zm_void(struct z_invoice *inv, char *err, size_t errsize)
{
    if (inv->status == ZI_VOID || inv->paid > 0 || inv->credited > 0) {
        snprintf(err, errsize,
                 "only an invoice without payments or credits that is not void can be voided");
        return FH_E_CONFLICT;
    }
    inv->status = ZI_VOID;
    zm_touch(inv);
    zm_comment(inv, "Invoice status has been changed to Void.", "Sandbox User", "system", "Updated",
               false);
    return FH_OK;
}

enum fh_rc zm_send(struct z_invoice *inv, char *err, size_t errsize)
{
    if (inv->status != ZI_DRAFT) {
        snprintf(err, errsize, "only a draft can be marked as sent");
        return FH_E_CONFLICT;
    }
    inv->status = ZI_SENT;
    zm_touch(inv);
    zm_comment(inv, "Invoice marked as sent.", "Sandbox User", "system", "Updated", false);
    return FH_OK;
}

struct z_payment *zm_pay(struct z_invoice *inv, json_t *spec, char *err, size_t errsize)
{
    int64_t amount = zm_balance(inv);
    json_t *a = json_object_get(spec, "amount");
    const char *date = sbj_str(spec, "date"), *mode = sbj_str(spec, "payment_mode");
    const char *ref = sbj_str(spec, "reference_number");
    if (inv->status == ZI_DRAFT || inv->status == ZI_VOID || inv->status == ZI_PAID ||
        inv->payments.n >= Z_MAX_PAYMENTS) {
        snprintf(err, errsize, "only a sent, unpaid invoice takes payments");
        return NULL;
    }
    if ((a && (!sbj_money(a, &amount) || amount <= 0 || amount > zm_balance(inv) ||
               amount % 100 != 0)) ||
        (date && !z_parse_date(date)) || (mode && strlen(mode) > 50) ||
        (ref && strlen(ref) > 100)) {
        snprintf(err, errsize,
                 "amount (0 < amount <= balance, cents), date (yyyy-mm-dd), "
                 "payment_mode, reference_number");
        return NULL;
    }
    struct z_payment *p = fh_calloc(1, sizeof(*p));
    zs_new_id(p->id);
    p->amount = amount;
    p->mode = fh_strdup(mode ? mode : "cash");
    p->reference = fh_strdup(ref ? ref : "");
    p->created_ms = z_now_ms();
    if (date)
        fh_strlcpy(p->date, date, sizeof(p->date));
    else
        z_date(p->created_ms, inv->org->offset_min, p->date, sizeof(p->date));
    sb_vec_push(&inv->payments, p);
    inv->paid += amount;
    zm_settle(inv);
    zm_touch(inv);
    char text[160], num[40];
    fh_money_fmt(amount, 2, num, sizeof(num));
    snprintf(text, sizeof(text), "Payment of amount %s %s received.", inv->org->currency, num);
    zm_comment(inv, text, "Sandbox User", "system", "Added", false);
    return p;
}

struct z_comment *zm_comment_push(struct sb_vec *comments, const char *description, const char *by,
                                  const char *type, const char *operation, bool to_client)
{
    if (comments->n >= Z_MAX_COMMENTS) { /* bounded: the oldest goes */
        struct z_comment *old = comments->v[0];
        sb_vec_remove(comments, old);
        zm_comment_free(old);
    }
    struct z_comment *c = fh_calloc(1, sizeof(*c));
    zs_new_id(c->id);
    c->description = fh_strdup(description);
    c->by = fh_strdup(by);
    c->type = fh_strdup(type);
    c->operation = fh_strdup(operation);
    c->to_client = to_client;
    c->ms = z_now_ms();
    sb_vec_push(comments, c);
    return c;
}

struct z_comment *zm_comment(struct z_invoice *inv, const char *description, const char *by,
                             const char *type, const char *operation, bool to_client)
{
    return zm_comment_push(&inv->comments, description, by, type, operation, to_client);
}

void zm_free_org(struct z_org *o)
{
    for (size_t i = 0; i < o->creditnotes.n; i++)
        zm_cn_free(o->creditnotes.v[i]);
    for (size_t i = 0; i < o->invoices.n; i++)
        invoice_free(o->invoices.v[i]);
    for (size_t i = 0; i < o->contacts.n; i++) {
        struct z_contact *c = o->contacts.v[i];
        free(c->name);
        free(c->email);
        free(c->vat_reg_no);
        free(c);
    }
    for (size_t i = 0; i < o->taxes.n; i++) {
        free(((struct z_tax *)o->taxes.v[i])->name);
        free(o->taxes.v[i]);
    }
    for (size_t i = 0; i < o->cfdefs.n; i++) {
        struct z_cfdef *d = o->cfdefs.v[i];
        free(d->label);
        free(d->api_name);
        free(d);
    }
    sb_vec_free(&o->creditnotes);
    sb_vec_free(&o->invoices);
    sb_vec_free(&o->contacts);
    sb_vec_free(&o->taxes);
    sb_vec_free(&o->cfdefs);
    sb_map_free(&o->numbers);
    sb_map_free(&o->cn_numbers);
    free(o->hook.url);
    free(o->hook.secret);
    json_decref(o->hook.headers);
    free(o->name);
    free(o->currency);
    free(o->currency_symbol);
    free(o->time_zone);
    free(o->email);
    free(o);
}
