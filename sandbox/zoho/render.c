/* render.c - the model as Books v3 JSON (specs/zoho-books.md §2.3-2.9, Zoho's OpenAPI field
 * names). Ids are numeric strings; amounts are JSON numbers with two decimals (exact, see
 * sbj_num); timestamps carry the organization's offset without a colon; dates are yyyy-mm-dd.
 * List rows are summaries without line items (has_attachment tells whether files are
 * attached); the detail has line items, taxes, payments, the billing address and the attached
 * files as documents[] ({document_id, file_name, file_type, file_size, file_size_formatted,
 * attachment_order, can_send_in_email}, in upload order). Credit notes are rendered like
 * invoices (their line items and taxes the same way). */
#include <stdio.h>
#include <string.h>

#include "zoho_internal.h"

static void ts(const struct z_org *o, int64_t ms, char *out, size_t n)
{
    z_timestamp(ms, o->offset_min, out, n);
}

static void currency_id(const struct z_org *o, char *out, size_t n)
{
    snprintf(out, n, "%s0001", o->id);
}

json_t *zr_cfvals(const struct z_invoice *inv)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < inv->cfvals.n; i++) {
        const struct z_cfval *v = inv->cfvals.v[i];
        size_t index = 1;
        for (size_t k = 0; k < inv->org->cfdefs.n; k++)
            if (inv->org->cfdefs.v[k] == v->def)
                index = k + 1;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:b}",
                                             "customfield_id", v->def->id, "label", v->def->label,
                                             "api_name", v->def->api_name, "data_type", "string",
                                             "index", (json_int_t)index, "value", v->value,
                                             "show_on_pdf", 0, "is_active", 1));
    }
    return arr;
}

json_t *zr_documents(const struct z_invoice *inv)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < inv->attachments.n; i++) {
        const struct z_attachment *a = inv->attachments.v[i];
        char size[32];
        zm_size_text((int64_t)a->size, size, sizeof(size));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:b}", "document_id", a->id, "file_name",
                           a->file_name, "file_type", a->file_type, "file_size",
                           (json_int_t)a->size, "file_size_formatted", size, "attachment_order",
                           (json_int_t)(i + 1), "can_send_in_email", a->in_email));
    }
    return arr;
}

static void due_days(const struct z_invoice *inv, char *out, size_t n)
{
    char today[16];
    z_date(z_now_ms(), inv->org->offset_min, today, sizeof(today));
    if (inv->status == ZI_PAID || inv->status == ZI_VOID || inv->status == ZI_DRAFT)
        snprintf(out, n, "%s", "");
    else if (strcmp(inv->due_date, today) < 0)
        snprintf(out, n, "%s", "Overdue");
    else if (strcmp(inv->due_date, today) == 0)
        snprintf(out, n, "%s", "Due Today");
    else
        snprintf(out, n, "Due on %s", inv->due_date);
}

static json_t *summary(const struct z_invoice *inv)
{
    const struct z_org *o = inv->org;
    char created[40], modified[40], cur[Z_ID + 8], due[40];
    ts(o, inv->created_ms, created, sizeof(created));
    ts(o, inv->modified_ms, modified, sizeof(modified));
    currency_id(o, cur, sizeof(cur));
    due_days(inv, due, sizeof(due));
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "invoice_id",
        inv->id, "customer_name", inv->customer->name, "customer_id", inv->customer->id, "status",
        z_status_name(o, inv->status, inv->due_date), "invoice_number", inv->number,
        "reference_number", inv->reference ? inv->reference : "", "date", inv->date, "due_date",
        inv->due_date, "due_days", due, "currency_id", cur, "currency_code",
        inv->currency[0] ? inv->currency : o->currency, "total", sbj_num(inv->total, 2), "balance",
        sbj_num(zm_balance(inv), 2), "created_time", created, "last_modified_time", modified);
    json_object_set_new(j, "is_emailed", json_false());
    json_object_set_new(j, "is_viewed_by_client", json_false());
    json_object_set_new(j, "has_attachment", json_boolean(inv->attachments.n > 0));
    json_object_set_new(j, "custom_fields", zr_cfvals(inv));
    json_object_set_new(j, "location_id", json_string(""));
    json_object_set_new(j, "salesperson_id", json_string(""));
    json_object_set_new(j, "salesperson_name", json_string(""));
    json_object_set_new(j, "shipping_charge", sbj_num(0, 2));
    json_object_set_new(j, "adjustment", sbj_num(0, 2));
    json_object_set_new(j, "write_off_amount", sbj_num(0, 2));
    json_object_set_new(j, "exchange_rate", inv->rate ? sbj_num(inv->rate, 6) : sbj_num(10000, 2));
    return j;
}

static json_t *line(const struct z_line *l, size_t order)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o}",
        "line_item_id", l->id, "item_id", "", "name", l->name, "description", l->description,
        "item_order", (json_int_t)order, "rate", sbj_num(l->rate, 2), "bcy_rate",
        sbj_num(l->rate, 2), "quantity", sbj_num(l->quantity, 2), "unit", l->unit, "discount",
        sbj_num(l->discount, 2), "tax_id", l->tax ? l->tax->id : "", "tax_name",
        l->tax ? l->tax->name : "", "tax_type", "tax", "tax_percentage",
        sbj_num(l->tax ? l->tax->percentage : 0, 2), "item_total", sbj_num(l->item_total, 2),
        "discount_amount", sbj_num(0, 2));
    json_object_set_new(j, "tax_treatment_code", json_string(""));
    json_object_set_new(j, "project_id", json_string(""));
    json_object_set_new(j, "tags", json_array());
    json_object_set_new(j, "header_id", json_string(""));
    json_object_set_new(j, "header_name", json_string(""));
    return j;
}

static json_t *taxes(const struct z_org *o, const struct z_line *lines, size_t n)
{
    json_t *arr = json_array();
    for (size_t t = 0; t < o->taxes.n; t++) {
        const struct z_tax *tax = o->taxes.v[t];
        int64_t sum = 0;
        bool used = false;
        for (size_t i = 0; i < n; i++) {
            if (lines[i].tax == tax) {
                sum += lines[i].tax_amount;
                used = true;
            }
        }
        if (used)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "tax_id", tax->id, "tax_name",
                                                 tax->name, "tax_amount", sbj_num(sum, 2)));
    }
    return arr;
}

json_t *zr_payment(const struct z_invoice *inv, const struct z_payment *p)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:b}", "payment_id", p->id,
                     "invoice_id", inv->id, "payment_mode", p->mode, "date", p->date,
                     "reference_number", p->reference, "amount", sbj_num(p->amount, 2),
                     "bank_charges", sbj_num(0, 2), "description", "", "gateway_transaction_id", "",
                     "is_offline_payment", 1);
}

static json_t *address(const struct z_contact *c)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "attention", c->name, "address",
                     "Sandbox street 1", "city", "Sandbox City", "state", "", "zip", "11000",
                     "country", "");
}

static void detail_extras(const struct z_invoice *inv, json_t *j)
{
    const struct z_org *o = inv->org;
    json_t *lines = json_array(), *pays = json_array();
    for (size_t i = 0; i < inv->nlines; i++)
        json_array_append_new(lines, line(&inv->lines[i], i + 1));
    for (size_t i = 0; i < inv->payments.n; i++)
        json_array_append_new(pays, zr_payment(inv, inv->payments.v[i]));
    char url[400];
    snprintf(url, sizeof(url), "%s/apis/%s/books/invoice/%s", zs.set.public_url, o->dc->id,
             inv->id);
    json_object_set_new(j, "currency_symbol", json_string(o->currency_symbol));
    json_object_set_new(j, "is_inclusive_tax", json_boolean(inv->inclusive));
    json_object_set_new(j, "discount", sbj_num(0, 2));
    json_object_set_new(j, "is_discount_before_tax", json_true());
    json_object_set_new(j, "discount_type", json_string("item_level"));
    json_object_set_new(j, "sub_total", sbj_num(inv->sub_total, 2));
    json_object_set_new(j, "tax_total", sbj_num(inv->tax_total, 2));
    json_object_set_new(j, "payment_made", sbj_num(inv->paid, 2));
    json_object_set_new(j, "credits_applied", sbj_num(inv->credited, 2));
    json_object_set_new(j, "price_precision", json_integer(2));
    json_object_set_new(j, "vat_treatment", json_string(""));
    json_object_set_new(j, "vat_reg_no", json_string(inv->customer->vat_reg_no));
    json_object_set_new(j, "billing_address", address(inv->customer));
    json_object_set_new(j, "shipping_address", address(inv->customer));
    json_object_set_new(j, "notes", json_string(inv->notes ? inv->notes : ""));
    json_object_set_new(j, "terms", json_string(""));
    json_object_set_new(j, "invoice_url", json_string(url));
    json_object_set_new(j, "taxes", taxes(o, inv->lines, inv->nlines));
    json_object_set_new(j, "line_items", lines);
    json_object_set_new(j, "payments", pays);
    json_object_set_new(j, "documents", zr_documents(inv));
}

json_t *zr_invoice(const struct z_invoice *inv, bool detail)
{
    json_t *j = summary(inv);
    if (detail)
        detail_extras(inv, j);
    return j;
}

json_t *zr_org(const struct z_org *o, bool is_default)
{
    char created[16], cur[Z_ID + 8];
    z_date(o->created_ms, o->offset_min, created, sizeof(created));
    currency_id(o, cur, sizeof(cur));
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:b, s:s, "
                     "s:s, s:s, s:s, s:i}",
                     "organization_id", o->id, "name", o->name, "contact_name", "Sandbox User",
                     "email", o->email, "is_default_org", is_default, "plan_type", (int)o->plan,
                     "plan_name", z_plan_name(o->plan), "plan_period", "monthly", "language_code",
                     "en", "fiscal_year_start_month", 0, "account_created_date", created,
                     "time_zone", o->time_zone, "is_org_active", 1, "currency_id", cur,
                     "currency_code", o->currency, "currency_symbol", o->currency_symbol,
                     "currency_format", "#,##0.00", "price_precision", 2);
}

json_t *zr_contact(const struct z_contact *c)
{
    char created[40], modified[40];
    ts(c->org, c->created_ms, created, sizeof(created));
    ts(c->org, c->modified_ms, modified, sizeof(modified));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "contact_id",
                     c->id, "contact_name", c->name, "company_name", c->name, "contact_type",
                     "customer", "status", "active", "currency_code", c->org->currency, "email",
                     c->email, "vat_reg_no", c->vat_reg_no, "created_time", created,
                     "last_modified_time", modified, "billing_address", address(c), "custom_fields",
                     json_array());
}

json_t *zr_tax(const struct z_tax *t)
{
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:b}", "tax_id", t->id, "tax_name", t->name,
                     "tax_percentage", sbj_num(t->percentage, 2), "tax_type", "tax",
                     "tax_specific_type", "", "is_editable", 1);
}

/* A comment of the record named by id_key (invoice_id, creditnote_id) and id. */
static json_t *comment(const struct z_org *o, const char *id_key, const char *id, const char *type,
                       const struct z_comment *c)
{
    char date[16], stamp[40];
    z_date(c->ms, o->offset_min, date, sizeof(date));
    z_timestamp(c->ms, o->offset_min, stamp, sizeof(stamp));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                     "comment_id", c->id, id_key, id, "description", c->description,
                     "commented_by_id", "", "commented_by", c->by, "comment_type", c->type,
                     "operation_type", c->operation, "date", date, "date_description",
                     "few seconds ago", "time", stamp + 11, "transaction_id", "",
                     "transaction_type", type, "show_comment_to_clients", c->to_client);
}

json_t *zr_comment(const struct z_invoice *inv, const struct z_comment *c)
{
    return comment(inv->org, "invoice_id", inv->id, "invoice", c);
}

/* ---- credit notes ---- */
json_t *zr_cn_comment(const struct z_creditnote *cn, const struct z_comment *c)
{
    return comment(cn->org, "creditnote_id", cn->id, "creditnote", c);
}

json_t *zr_credit(const struct z_creditnote *cn, const struct z_credit *k)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "creditnote_id", cn->id, "invoice_id",
                     k->invoice->id, "creditnote_invoice_id", k->id, "date", k->date,
                     "invoice_number", k->invoice->number, "amount_applied", sbj_num(k->amount, 2));
}

static json_t *cn_summary(const struct z_creditnote *cn)
{
    char created[40], modified[40];
    ts(cn->org, cn->created_ms, created, sizeof(created));
    ts(cn->org, cn->modified_ms, modified, sizeof(modified));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s}",
                     "creditnote_id", cn->id, "creditnote_number", cn->number, "status",
                     z_cn_status_name(cn->status), "date", cn->date, "customer_id",
                     cn->customer->id, "customer_name", cn->customer->name, "reference_number",
                     cn->reference ? cn->reference : "", "total", sbj_num(cn->total, 2), "balance",
                     sbj_num(zm_cn_balance(cn), 2), "created_time", created, "last_modified_time",
                     modified, "currency_code", cn->currency[0] ? cn->currency : cn->org->currency);
}

json_t *zr_creditnote(const struct z_creditnote *cn, bool detail)
{
    json_t *j = cn_summary(cn);
    if (!detail)
        return j;
    const struct z_org *o = cn->org;
    char cur[Z_ID + 8];
    currency_id(o, cur, sizeof(cur));
    json_t *lines = json_array();
    for (size_t i = 0; i < cn->nlines; i++)
        json_array_append_new(lines, line(&cn->lines[i], i + 1));
    json_object_set_new(j, "invoice_id", json_string(cn->invoice ? cn->invoice->id : ""));
    json_object_set_new(j, "invoice_number", json_string(cn->invoice ? cn->invoice->number : ""));
    json_object_set_new(j, "currency_id", json_string(cur));
    json_object_set_new(j, "currency_symbol", json_string(o->currency_symbol));
    json_object_set_new(j, "exchange_rate", cn->rate ? sbj_num(cn->rate, 6) : sbj_num(10000, 2));
    json_object_set_new(j, "is_inclusive_tax", json_boolean(cn->inclusive));
    json_object_set_new(j, "sub_total", sbj_num(cn->sub_total, 2));
    json_object_set_new(j, "tax_total", sbj_num(cn->tax_total, 2));
    json_object_set_new(j, "price_precision", json_integer(2));
    json_object_set_new(j, "notes", json_string(cn->notes ? cn->notes : ""));
    json_object_set_new(j, "billing_address", address(cn->customer));
    json_object_set_new(j, "custom_fields", json_array());
    json_object_set_new(j, "taxes", taxes(o, cn->lines, cn->nlines));
    json_object_set_new(j, "line_items", lines);
    return j;
}
