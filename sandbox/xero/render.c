/* render.c - the model as Xero's JSON (shapes and key order from the examples in
 * specs/xero-openapi/xero_accounting.yaml): amounts with 2 decimals, quantities and rates with
 * 4, CurrencyRate with 6; dates as /Date(ms+0000)/ next to their ISO *String twins.
 *
 * Modes of an invoice or credit note: R_FULL (GET by id: full contact, line items, payments,
 * credit notes, attachments), R_PAGED (list with ?page: line items, contact summary), R_UNPAGED
 * (list without page: LineItems empty, as Xero), R_SUMMARY (summaryOnly=true: no line items,
 * payments or allocations). */
#include <stdio.h>
#include <string.h>

#include "xero_internal.h"

static void set_date(json_t *o, const char *key, const char *skey, int64_t ms)
{
    char d[48];
    if (skey) {
        x_datestring(ms, d, sizeof(d));
        json_object_set_new(o, skey, json_string(d));
    }
    x_msdate(ms, true, d, sizeof(d));
    json_object_set_new(o, key, json_string(d));
}

static void set_updated(json_t *o, int64_t ms)
{
    char d[48];
    x_msdate(ms, true, d, sizeof(d));
    json_object_set_new(o, "UpdatedDateUTC", json_string(d));
    x_iso(ms, 0, true, d, sizeof(d));
    json_object_set_new(o, "UpdatedDateUTCString", json_string(d));
}

static json_t *empty(void)
{
    return json_array();
}

json_t *r_contact(const struct x_contact *c, bool full)
{
    json_t *o = json_object();
    json_object_set_new(o, "ContactID", json_string(c->id));
    if (full)
        json_object_set_new(o, "ContactStatus", json_string(c->archived ? "ARCHIVED" : "ACTIVE"));
    json_object_set_new(o, "Name", json_string(c->name));
    if (full) {
        if (c->first)
            json_object_set_new(o, "FirstName", json_string(c->first));
        if (c->last)
            json_object_set_new(o, "LastName", json_string(c->last));
        json_object_set_new(o, "EmailAddress", json_string(c->email ? c->email : ""));
        if (c->number)
            json_object_set_new(o, "ContactNumber", json_string(c->number));
        if (c->tax_number)
            json_object_set_new(o, "TaxNumber", json_string(c->tax_number));
        json_object_set_new(o, "BankAccountDetails", json_string(""));
    }
    json_object_set_new(o, "Addresses", empty());
    json_object_set_new(o, "Phones", empty());
    if (full)
        set_updated(o, c->rec.updated_ms);
    json_object_set_new(o, "ContactGroups", empty());
    if (full) {
        json_object_set_new(o, "IsSupplier", json_false());
        json_object_set_new(o, "IsCustomer", json_true());
        json_object_set_new(o, "HasAttachments", json_false());
    }
    json_object_set_new(o, "ContactPersons", empty());
    json_object_set_new(o, "HasValidationErrors", json_false());
    return o;
}

static json_t *line(const struct x_line *l, int unitdp)
{
    json_t *o = json_object();
    if (l->item_code)
        json_object_set_new(o, "ItemCode", json_string(l->item_code));
    json_object_set_new(o, "Description", json_string(l->desc));
    json_object_set_new(o, "UnitAmount", sbj_num(l->unit, unitdp == 4 ? 4 : 2));
    json_object_set_new(o, "TaxType", json_string(l->tax_type));
    json_object_set_new(o, "TaxAmount", sbj_num(l->tax_amount, 2));
    json_object_set_new(o, "LineAmount", sbj_num(l->line_amount, 2));
    json_object_set_new(o, "AccountCode", json_string(l->account));
    if (l->discount_rate)
        json_object_set_new(o, "DiscountRate", sbj_num(l->discount_rate, 2));
    json_object_set_new(o, "Tracking", empty());
    json_object_set_new(o, "Quantity", sbj_num(l->qty, 4));
    json_object_set_new(o, "LineItemID", json_string(l->id));
    json_object_set_new(o, "ValidationErrors", empty());
    return o;
}

static json_t *payment_brief(const struct x_payment *p)
{
    char d[48];
    x_msdate(p->date_ms, true, d, sizeof(d));
    return json_pack("{s:s, s:s, s:o, s:s, s:o, s:b, s:b}", "PaymentID", p->id, "Date", d, "Amount",
                     sbj_num(p->amount, 2), "Reference", p->reference, "CurrencyRate",
                     sbj_num(10000, 6), "HasAccount", 0, "HasValidationErrors", 0);
}

static json_t *credit_brief(const struct x_alloc *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "CreditNoteID", json_string(a->cn->id));
    json_object_set_new(o, "CreditNoteNumber", json_string(a->cn->number));
    json_object_set_new(o, "ID", json_string(a->cn->id));
    json_object_set_new(o, "AppliedAmount", sbj_num(a->amount, 2));
    set_date(o, "Date", "DateString", a->date_ms);
    json_object_set_new(o, "Total", sbj_num(a->cn->total, 2));
    return o;
}

static json_t *allocation(const struct x_alloc *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "AllocationID", json_string(a->id));
    json_object_set_new(o, "Amount", sbj_num(a->amount, 2));
    set_date(o, "Date", NULL, a->date_ms);
    json_object_set_new(o, "Invoice",
                        json_pack("{s:s, s:s, s:s}", "InvoiceID", a->inv->id, "InvoiceNumber",
                                  a->inv->number, "Type", a->inv->type));
    return o;
}

static void doc_lists(json_t *o, const struct x_doc *d, enum r_mode mode)
{
    json_t *pays = empty(), *cns = empty();
    for (size_t i = 0; mode != R_SUMMARY && i < d->payments.n; i++)
        json_array_append_new(pays, payment_brief(d->payments.v[i]));
    for (size_t i = 0; mode != R_SUMMARY && !d->credit && i < d->allocs.n; i++)
        json_array_append_new(cns, credit_brief(d->allocs.v[i]));
    json_object_set_new(o, "Payments", pays);
    if (!d->credit)
        json_object_set_new(o, "CreditNotes", cns);
    else
        json_decref(cns);
    json_object_set_new(o, "Prepayments", empty());
    json_object_set_new(o, "Overpayments", empty());
}

static void doc_amounts(json_t *o, const struct x_doc *d)
{
    int64_t due = d->total - d->paid - d->credited;
    if (d->credit) {
        json_object_set_new(o, "RemainingCredit", sbj_num(d->status == XS_VOIDED ? 0 : due, 2));
        json_t *al = empty();
        for (size_t i = 0; i < d->allocs.n; i++)
            json_array_append_new(al, allocation(d->allocs.v[i]));
        json_object_set_new(o, "Allocations", al);
        return;
    }
    json_object_set_new(o, "AmountDue",
                        sbj_num(d->status == XS_VOIDED || d->status == XS_DELETED ? 0 : due, 2));
    json_object_set_new(o, "AmountPaid", sbj_num(d->paid, 2));
    json_object_set_new(o, "AmountCredited", sbj_num(d->credited, 2));
    json_object_set_new(o, "SentToContact", json_boolean(d->sent));
}

static void doc_attachments(json_t *o, const struct x_doc *d, enum r_mode mode)
{
    json_object_set_new(o, "HasAttachments", json_boolean(d->attachments.n > 0));
    if (mode != R_FULL || d->attachments.n == 0)
        return;
    json_t *arr = empty();
    for (size_t i = 0; i < d->attachments.n; i++)
        json_array_append_new(arr, r_attachment(d, d->attachments.v[i]));
    json_object_set_new(o, "Attachments", arr);
}

json_t *r_doc(const struct x_doc *d, enum r_mode mode, int unitdp)
{
    json_t *o = json_object();
    if (d->credit) {
        json_object_set_new(o, "CreditNoteID", json_string(d->id));
        json_object_set_new(o, "CreditNoteNumber", json_string(d->number));
    } else {
        json_object_set_new(o, "Type", json_string(d->type));
        json_object_set_new(o, "InvoiceID", json_string(d->id));
        json_object_set_new(o, "InvoiceNumber", json_string(d->number));
        json_object_set_new(o, "Reference", json_string(d->reference));
    }
    doc_lists(o, d, mode);
    if (d->credit) {
        json_object_set_new(o, "ID", json_string(d->id));
        json_object_set_new(o, "CurrencyRate", sbj_num(d->rate, 6));
        json_object_set_new(o, "Type", json_string(d->type));
        json_object_set_new(o, "Reference", json_string(d->reference));
    }
    doc_amounts(o, d);
    if (!d->credit) {
        json_object_set_new(o, "CurrencyRate", sbj_num(d->rate, 6));
        json_object_set_new(o, "HasErrors", json_false());
        json_object_set_new(o, "IsDiscounted", json_false());
    }
    doc_attachments(o, d, mode);
    json_object_set_new(o, "Contact", r_contact(d->contact, mode == R_FULL));
    set_date(o, "Date", "DateString", d->date_ms);
    if (!d->credit)
        set_date(o, "DueDate", "DueDateString", d->due_ms);
    json_object_set_new(o, "Status", json_string(x_status_name(d->status)));
    json_object_set_new(o, "LineAmountTypes", json_string(d->lat));
    if (mode != R_SUMMARY) {
        json_t *lines = empty();
        for (size_t i = 0; (mode == R_FULL || mode == R_PAGED) && i < d->nlines; i++)
            json_array_append_new(lines, line(&d->lines[i], unitdp));
        json_object_set_new(o, "LineItems", lines);
    }
    json_object_set_new(o, "SubTotal", sbj_num(d->subtotal, 2));
    json_object_set_new(o, "TotalTax", sbj_num(d->tax, 2));
    json_object_set_new(o, "Total", sbj_num(d->total, 2));
    set_updated(o, d->rec.updated_ms);
    json_object_set_new(o, "CurrencyCode", json_string(d->currency));
    if (d->status == XS_PAID && d->fully_paid_ms)
        set_date(o, "FullyPaidOnDate", NULL, d->fully_paid_ms);
    if (d->url)
        json_object_set_new(o, "Url", json_string(d->url));
    return o;
}

json_t *r_payment(const struct x_payment *p, bool full)
{
    FH_UNUSED(full);
    const struct x_doc *d = p->doc;
    json_t *o = json_object();
    json_object_set_new(o, "PaymentID", json_string(p->id));
    set_date(o, "Date", NULL, p->date_ms);
    json_object_set_new(o, "BankAmount", sbj_num(p->amount, 2));
    json_object_set_new(o, "Amount", sbj_num(p->amount, 2));
    json_object_set_new(o, "Reference", json_string(p->reference));
    json_object_set_new(o, "CurrencyRate", sbj_num(10000, 6));
    json_object_set_new(
        o, "PaymentType",
        json_string(strcmp(d->type, "ACCPAY") == 0 ? "ACCPAYPAYMENT" : "ACCRECPAYMENT"));
    json_object_set_new(o, "Status", json_string(p->deleted ? "DELETED" : "AUTHORISED"));
    set_updated(o, p->rec.updated_ms);
    json_object_set_new(o, "HasAccount", json_true());
    json_object_set_new(o, "IsReconciled", json_false());
    const char *acct_id = "";
    for (size_t i = 0; i < d->org->naccounts; i++)
        if (strcmp(d->org->accounts[i].code, p->account_code) == 0)
            acct_id = d->org->accounts[i].id;
    json_object_set_new(o, "Account",
                        json_pack("{s:s, s:s}", "AccountID", acct_id, "Code", p->account_code));
    json_object_set_new(o, "Invoice",
                        json_pack("{s:s, s:s, s:s, s:o, s:s}", "Type", d->type, "InvoiceID", d->id,
                                  "InvoiceNumber", d->number, "Contact",
                                  r_contact(d->contact, false), "CurrencyCode", d->currency));
    json_object_set_new(o, "HasValidationErrors", json_false());
    return o;
}

json_t *r_org(const struct x_org *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "APIKey", json_string(""));
    json_object_set_new(o, "Name", json_string(g->name));
    json_object_set_new(o, "LegalName", json_string(g->legal_name));
    json_object_set_new(o, "PaysTax", json_true());
    json_object_set_new(o, "Version", json_string(g->version));
    json_object_set_new(o, "OrganisationType", json_string("COMPANY"));
    json_object_set_new(o, "BaseCurrency", json_string(g->currency));
    json_object_set_new(o, "CountryCode", json_string(g->country));
    json_object_set_new(o, "IsDemoCompany", json_false());
    json_object_set_new(o, "OrganisationStatus", json_string("ACTIVE"));
    json_object_set_new(o, "TaxNumber", json_string(g->tax_number));
    json_object_set_new(o, "FinancialYearEndDay", json_integer(31));
    json_object_set_new(o, "FinancialYearEndMonth", json_integer(12));
    json_object_set_new(o, "SalesTaxBasis", json_string("ACCRUALS"));
    json_object_set_new(o, "SalesTaxPeriod", json_string("MONTHLY"));
    json_object_set_new(o, "DefaultSalesTax", json_string("Tax Exclusive"));
    json_object_set_new(o, "DefaultPurchasesTax", json_string("Tax Exclusive"));
    char d[48];
    x_msdate(g->created_ms, false, d, sizeof(d));
    json_object_set_new(o, "CreatedDateUTC", json_string(d));
    json_object_set_new(o, "OrganisationEntityType", json_string("COMPANY"));
    json_object_set_new(o, "Timezone", json_string(g->timezone));
    json_object_set_new(o, "ShortCode", json_string(g->short_code));
    json_object_set_new(o, "OrganisationID", json_string(g->id));
    json_object_set_new(o, "Edition", json_string("BUSINESS"));
    json_object_set_new(o, "Class", json_string("STANDARD"));
    json_object_set_new(o, "Addresses", empty());
    json_object_set_new(o, "Phones", empty());
    json_object_set_new(o, "ExternalLinks", empty());
    json_object_set_new(o, "PaymentTerms", json_object());
    return o;
}

json_t *r_taxrate(const struct x_taxrate *t)
{
    const char *report = t->revenue && !t->expenses   ? "OUTPUT"
                         : t->expenses && !t->revenue ? "INPUT"
                                                      : "NONE";
    json_t *o = json_object();
    json_object_set_new(o, "Name", json_string(t->name));
    json_object_set_new(o, "TaxType", json_string(t->type));
    json_object_set_new(o, "ReportTaxType", json_string(report));
    json_object_set_new(o, "CanApplyToAssets", json_true());
    json_object_set_new(o, "CanApplyToEquity", json_true());
    json_object_set_new(o, "CanApplyToExpenses", json_boolean(t->expenses));
    json_object_set_new(o, "CanApplyToLiabilities", json_true());
    json_object_set_new(o, "CanApplyToRevenue", json_boolean(t->revenue));
    json_object_set_new(o, "DisplayTaxRate", sbj_num(t->rate, 4));
    json_object_set_new(o, "EffectiveRate", sbj_num(t->rate, 4));
    json_object_set_new(o, "Status", json_string("ACTIVE"));
    json_object_set_new(o, "TaxComponents",
                        json_pack("[{s:s, s:o, s:b, s:b}]", "Name", "Tax", "Rate",
                                  sbj_num(t->rate, 4), "IsCompound", 0, "IsNonRecoverable", 0));
    return o;
}

json_t *r_account(const struct x_account *a)
{
    const char *cls = strcmp(a->type, "REVENUE") == 0 ? "REVENUE"
                      : strcmp(a->type, "BANK") == 0  ? "ASSET"
                                                      : "EXPENSE";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "AccountID", a->id,
                          "Code", a->code, "Name", a->name, "Status", "ACTIVE", "Type", a->type,
                          "TaxType", a->tax_type, "Class", cls, "EnablePaymentsToAccount",
                          a->payments, "ShowInExpenseClaims", 0);
    if (strcmp(a->type, "BANK") == 0) {
        json_object_set_new(o, "BankAccountNumber", json_string("0000000000"));
        json_object_set_new(o, "BankAccountType", json_string("BANK"));
    }
    return o;
}

json_t *r_history(const struct x_history *h)
{
    char d[48], s[48];
    x_msdate(h->ms, true, d, sizeof(d));
    x_iso(h->ms, 0, false, s, sizeof(s));
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Changes", h->changes, "DateUTCString", s,
                     "DateUTC", d, "User", h->user, "Details", h->details);
}

json_t *r_attachment(const struct x_doc *d, const struct x_attach *a)
{
    struct fh_buf b;
    fh_buf_init(&b, 8192);
    fh_buf_appendf(&b, "%s/api.xro/2.0/%s/%s/Attachments/", xs.set.public_url,
                   d->credit ? "CreditNotes" : "Invoices", d->id);
    sb_url_enc(&b, a->name);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "AttachmentID", a->id, "FileName", a->name, "Url",
                  b.data ? b.data : "", "MimeType", a->mime, "ContentLength", (json_int_t)a->len);
    if (a->online)
        json_object_set_new(o, "IncludeOnline", json_true());
    fh_buf_free(&b);
    return o;
}

json_t *r_envelope(const char *provider, const char *key, json_t *items)
{
    char id[X_ID], d[48];
    sb_uuid(id);
    x_msdate(x_now_ms(), false, d, sizeof(d));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "Id", id, "Status", "OK", "ProviderName",
                          provider, "DateTimeUTC", d);
    if (items)
        json_object_set_new(o, key, items);
    return o;
}
