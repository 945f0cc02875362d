/* creditnotes.c - the Zoho Books emulator's credit notes (the model): numbers, lines and totals,
 * credits applied to invoices (which settle them like payments) and deleted again, open, void,
 * comments. The shared header fields, lines and comments are model.c's (zoho_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_money.h"
#include "zoho_internal.h"

const char *z_cn_status_name(enum z_cn_status s)
{
    static const char *const names[] = {"draft", "open", "closed", "void"};
    return names[s];
}

struct z_creditnote *zm_creditnote(const char *id)
{
    return id ? sb_map_get(&zs.creditnotes, id) : NULL;
}

int64_t zm_cn_balance(const struct z_creditnote *cn)
{
    return cn->status == ZC_VOID ? 0 : cn->total - cn->applied;
}

void zm_cn_touch(struct z_creditnote *cn)
{
    int64_t now = z_now_ms();
    cn->modified_ms = now > cn->modified_ms ? now : cn->modified_ms;
}

struct z_comment *zm_cn_comment(struct z_creditnote *cn, const char *description, const char *by,
                                const char *type, const char *operation, bool to_client)
{
    return zm_comment_push(&cn->comments, description, by, type, operation, to_client);
}

/* An open credit note closes at balance 0 and opens again above it (an edit). */
static void cn_settle(struct z_creditnote *cn)
{
    if (cn->status == ZC_OPEN || cn->status == ZC_CLOSED)
        cn->status = cn->applied == cn->total ? ZC_CLOSED : ZC_OPEN;
}

static void cn_sum(struct z_creditnote *cn)
{
    zm_sum_lines(cn->lines, cn->nlines, cn->inclusive, &cn->sub_total, &cn->tax_total, &cn->total);
}

static struct head cn_head(struct z_creditnote *cn)
{
    return (struct head){.org = cn->org,
                         .customer = &cn->customer,
                         .date = cn->date,
                         .reference = &cn->reference,
                         .notes = &cn->notes,
                         .inclusive = &cn->inclusive,
                         .currency = cn->currency,
                         .rate = &cn->rate};
}

void zm_cn_free(struct z_creditnote *cn)
{
    zm_free_lines(cn->lines, cn->nlines);
    for (size_t i = 0; i < cn->credits.n; i++)
        free(cn->credits.v[i]);
    for (size_t i = 0; i < cn->comments.n; i++)
        zm_comment_free(cn->comments.v[i]);
    sb_vec_free(&cn->credits);
    sb_vec_free(&cn->comments);
    free(cn->number);
    free(cn->reference);
    free(cn->notes);
    free(cn);
}

static enum fh_rc cn_number_ok(const struct z_creditnote *cn, const char *num, char *err,
                               size_t errsize)
{
    const struct z_creditnote *other = sb_map_get(&cn->org->cn_numbers, num);
    if (!*num || strlen(num) > 100) {
        snprintf(err, errsize, "creditnote_number has 1 to 100 characters");
        return FH_E_INPUT;
    }
    if (other && other != cn) {
        snprintf(err, errsize, "Credit note number %s has already been created", num);
        return FH_E_CONFLICT;
    }
    return FH_OK;
}

struct credit_req {
    struct z_invoice *inv;
    int64_t amount;
};

/* Appends [{invoice_id, amount_applied}] to reqs (room for Z_MAX_CREDITS more). */
static enum fh_rc parse_credits(const struct z_creditnote *cn, json_t *arr, struct credit_req *reqs,
                                size_t *n, char *err, size_t errsize)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > Z_MAX_CREDITS) {
        snprintf(err, errsize, "invoices must be an array of 1 to %d {invoice_id, amount_applied}",
                 Z_MAX_CREDITS);
        return FH_E_INPUT;
    }
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        struct z_invoice *inv = zm_invoice(sbj_str(item, "invoice_id"));
        int64_t amount;
        if (!inv || inv->org != cn->org) {
            snprintf(err, errsize, "invoices[%zu]: no such invoice in this organization", i);
            return FH_E_INPUT;
        }
        if (!sbj_money(json_object_get(item, "amount_applied"), &amount) || amount <= 0 ||
            amount % 100 != 0) {
            snprintf(err, errsize, "invoices[%zu]: amount_applied must be above 0, in cents", i);
            return FH_E_INPUT;
        }
        reqs[(*n)++] = (struct credit_req){inv, amount};
    }
    return FH_OK;
}

/* The rules of applying credits, over the whole request (all or nothing). */
static enum fh_rc check_credits(const struct z_creditnote *cn, const struct credit_req *reqs,
                                size_t n, char *err, size_t errsize)
{
    char a[40], b[40];
    int64_t sum = 0;
    if (cn->status != ZC_OPEN) {
        snprintf(err, errsize, "credits are applied only from an open credit note (this one is %s)",
                 z_cn_status_name(cn->status));
        return FH_E_CONFLICT;
    }
    if (cn->credits.n + n > Z_MAX_CREDITS) {
        snprintf(err, errsize, "a credit note keeps at most %d credits", Z_MAX_CREDITS);
        return FH_E_CONFLICT;
    }
    for (size_t i = 0; i < n; i++) {
        const struct z_invoice *inv = reqs[i].inv;
        int64_t want = 0;
        for (size_t k = 0; k <= i; k++)
            want += reqs[k].inv == inv ? reqs[k].amount : 0;
        if (inv->status == ZI_DRAFT || inv->status == ZI_VOID) {
            snprintf(err, errsize,
                     "credits apply only to an invoice that is not draft or void (%s is %s)",
                     inv->number, inv->status == ZI_DRAFT ? "draft" : "void");
            return FH_E_CONFLICT;
        }
        if (want > zm_balance(inv)) {
            fh_money_fmt(want, 2, a, sizeof(a));
            fh_money_fmt(zm_balance(inv), 2, b, sizeof(b));
            snprintf(err, errsize, "the credits to invoice %s (%s) are more than its balance (%s)",
                     inv->number, a, b);
            return FH_E_CONFLICT;
        }
        sum += reqs[i].amount;
    }
    if (sum > zm_cn_balance(cn)) {
        fh_money_fmt(sum, 2, a, sizeof(a));
        fh_money_fmt(zm_cn_balance(cn), 2, b, sizeof(b));
        snprintf(err, errsize, "the credits (%s) are more than the credit note's balance (%s)", a,
                 b);
        return FH_E_CONFLICT;
    }
    return FH_OK;
}

static void credit_add(struct z_creditnote *cn, struct z_invoice *inv, int64_t amount)
{
    struct z_credit *k = fh_calloc(1, sizeof(*k));
    zs_new_id(k->id);
    k->invoice = inv;
    k->amount = amount;
    z_date(z_now_ms(), cn->org->offset_min, k->date, sizeof(k->date));
    sb_vec_push(&cn->credits, k);
    cn->applied += amount;
    inv->credited += amount;
    zm_settle(inv);
    zm_touch(inv);
    char text[300], num[40];
    fh_money_fmt(amount, 2, num, sizeof(num));
    snprintf(text, sizeof(text), "Credits of %s %s applied from credit note %s.",
             inv->org->currency, num, cn->number);
    zm_comment(inv, text, "Sandbox User", "system", "Added", false);
    snprintf(text, sizeof(text), "Credits of %s %s applied to invoice %s.", inv->org->currency, num,
             inv->number);
    zm_cn_comment(cn, text, "Sandbox User", "system", "Added", false);
}

static void apply_credits(struct z_creditnote *cn, const struct credit_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (reqs[i].amount > 0) /* invoice_id of an invoice without a balance: only linked */
            credit_add(cn, reqs[i].inv, reqs[i].amount);
    cn_settle(cn);
    if (n)
        zm_cn_touch(cn);
}

enum fh_rc zm_cn_apply(struct z_creditnote *cn, json_t *items, char *err, size_t errsize)
{
    struct credit_req reqs[Z_MAX_CREDITS];
    size_t n = 0;
    enum fh_rc rc = parse_credits(cn, items, reqs, &n, err, errsize);
    if (rc == FH_OK)
        rc = check_credits(cn, reqs, n, err, errsize);
    if (rc == FH_OK)
        apply_credits(cn, reqs, n);
    return rc;
}

enum fh_rc zm_cn_unapply(struct z_creditnote *cn, const char *credit_id, struct z_invoice **inv,
                         char *err, size_t errsize)
{
    struct z_credit *k = NULL;
    for (size_t i = 0; i < cn->credits.n; i++) {
        k = cn->credits.v[i];
        if (strcmp(k->id, credit_id) == 0)
            break;
        k = NULL;
    }
    if (!k) {
        snprintf(err, errsize, "no such credit on this credit note");
        return FH_E_NOTFOUND;
    }
    *inv = k->invoice;
    sb_vec_remove(&cn->credits, k);
    cn->applied -= k->amount;
    k->invoice->credited -= k->amount;
    zm_settle(k->invoice);
    zm_touch(k->invoice);
    cn_settle(cn);
    zm_cn_touch(cn);
    char text[300], num[40];
    fh_money_fmt(k->amount, 2, num, sizeof(num));
    snprintf(text, sizeof(text), "Credits of %s %s applied from credit note %s deleted.",
             cn->org->currency, num, cn->number);
    zm_comment(k->invoice, text, "Sandbox User", "system", "Deleted", false);
    snprintf(text, sizeof(text), "Credits of %s %s applied to invoice %s deleted.",
             cn->org->currency, num, k->invoice->number);
    zm_cn_comment(cn, text, "Sandbox User", "system", "Deleted", false);
    free(k);
    return FH_OK;
}

/* Fields, lines, number and the credits to apply (reqs) of a new credit note. */
static enum fh_rc cn_fill(struct z_creditnote *cn, json_t *spec, struct credit_req *reqs, size_t *n,
                          char *err, size_t errsize)
{
    const char *status = sbj_str(spec, "status"), *num = sbj_str(spec, "creditnote_number");
    json_t *from = json_object_get(spec, "invoice_id"), *list = json_object_get(spec, "invoices");
    struct head h = cn_head(cn);
    const char *new_customer = NULL;
    h.new_customer = &new_customer;
    enum fh_rc rc;
    if (status && strcmp(status, "draft") != 0 && strcmp(status, "open") != 0) {
        snprintf(err, errsize, "status is open or draft");
        return FH_E_INPUT;
    }
    cn->status = status && strcmp(status, "draft") == 0 ? ZC_DRAFT : ZC_OPEN;
    cn->invoice = from ? zm_invoice(json_string_value(from)) : NULL;
    if (from && (!cn->invoice || cn->invoice->org != cn->org)) {
        snprintf(err, errsize, "invoice_id: no such invoice in this organization");
        return FH_E_INPUT;
    }
    if (cn->invoice && !sbj_str(spec, "customer_id") && !sbj_str(spec, "customer_name"))
        cn->customer = cn->invoice->customer; /* the invoice's customer unless named */
    if (zm_header_fields(&h, spec, !cn->customer, err, errsize) != FH_OK ||
        zm_set_lines(cn->org, &cn->lines, &cn->nlines, json_object_get(spec, "line_items"), err,
                     errsize) != FH_OK)
        return FH_E_INPUT;
    cn_sum(cn);
    if (cn->invoice && cn->status == ZC_OPEN) {
        int64_t bal = zm_balance(cn->invoice);
        reqs[(*n)++] = (struct credit_req){cn->invoice, cn->total < bal ? cn->total : bal};
    }
    if ((list && (rc = parse_credits(cn, list, reqs, n, err, errsize)) != FH_OK) ||
        (num && (rc = cn_number_ok(cn, num, err, errsize)) != FH_OK) ||
        (*n && (rc = check_credits(cn, reqs, *n, err, errsize)) != FH_OK))
        return rc;
    char gen[32];
    while (!num) {
        snprintf(gen, sizeof(gen), "CN-%05lld", (long long)cn->org->next_cn_number++);
        num = sb_map_get(&cn->org->cn_numbers, gen) ? NULL : gen;
    }
    cn->number = fh_strdup(num);
    if (new_customer) /* a refused credit note makes no contact */
        cn->customer = zm_contact(cn->org, new_customer, true);
    return FH_OK;
}

struct z_creditnote *zm_cn_add(struct z_org *o, json_t *spec, enum fh_rc *rc, char *err,
                               size_t errsize)
{
    *rc = FH_E_INPUT;
    if (!zm_room("invoices and credit notes", err, errsize))
        return NULL;
    struct z_creditnote *cn = fh_calloc(1, sizeof(*cn));
    cn->org = o;
    zs_new_id(cn->id);
    cn->created_ms = cn->modified_ms = z_now_ms();
    z_date(cn->created_ms, o->offset_min, cn->date, sizeof(cn->date));
    struct credit_req reqs[Z_MAX_CREDITS + 1];
    size_t n = 0;
    if ((*rc = cn_fill(cn, spec, reqs, &n, err, errsize)) != FH_OK) {
        zm_cn_free(cn);
        return NULL;
    }
    sb_vec_push(&o->creditnotes, cn);
    sb_map_put(&o->cn_numbers, cn->number, cn);
    sb_map_put(&zs.creditnotes, cn->id, cn);
    zs.ncreditnotes++;
    char text[160], amount[40];
    fh_money_fmt(cn->total, 2, amount, sizeof(amount));
    snprintf(text, sizeof(text), "Credit Note created for %s %s.", o->currency, amount);
    zm_cn_comment(cn, text, "Sandbox User", "system", "Added", false);
    cn_settle(cn);
    apply_credits(cn, reqs, n);
    cn->modified_ms = cn->created_ms;
    return cn;
}

enum fh_rc zm_cn_edit(struct z_creditnote *cn, json_t *spec, char *err, size_t errsize)
{
    const char *num = sbj_str(spec, "creditnote_number");
    struct head h = cn_head(cn);
    enum fh_rc rc;
    if (cn->status == ZC_VOID) {
        snprintf(err, errsize, "a void credit note cannot be edited");
        return FH_E_CONFLICT;
    }
    if (json_object_get(spec, "status") || json_object_get(spec, "invoice_id") ||
        json_object_get(spec, "invoices")) {
        snprintf(err, errsize,
                 "status changes with /open and /void, credits with "
                 "POST /zoho/control/creditnotes/{id}/invoices");
        return FH_E_INPUT;
    }
    if (num && (rc = cn_number_ok(cn, num, err, errsize)) != FH_OK)
        return rc;
    struct z_line *nl;
    size_t n;
    rc = zm_edit_lines(cn->org, spec, cn->lines, cn->nlines, cn->inclusive, cn->applied, &nl, &n,
                       err, errsize);
    if (rc == FH_E_CONFLICT) {
        char a[40];
        fh_money_fmt(cn->applied, 2, a, sizeof(a));
        snprintf(err, errsize, "the total would be below the credits applied (%s)", a);
    }
    if (rc == FH_OK && zm_header_fields(&h, spec, false, err, errsize) != FH_OK) {
        zm_free_lines(nl, n);
        rc = FH_E_INPUT;
    }
    if (rc != FH_OK)
        return rc; /* nothing changed */
    if (nl) {
        zm_free_lines(cn->lines, cn->nlines);
        cn->lines = nl;
        cn->nlines = n;
    }
    if (num && strcmp(num, cn->number) != 0) {
        sb_map_del(&cn->org->cn_numbers, cn->number);
        free(cn->number);
        cn->number = fh_strdup(num);
        sb_map_put(&cn->org->cn_numbers, cn->number, cn);
    }
    cn_sum(cn);
    cn_settle(cn);
    if (!json_is_true(json_object_get(spec, "same_second")))
        zm_cn_touch(cn);
    zm_cn_comment(cn, "Credit Note updated.", "Sandbox User", "system", "Updated", false);
    return FH_OK;
}

enum fh_rc zm_cn_open(struct z_creditnote *cn, char *err, size_t errsize)
{
    if (cn->status != ZC_DRAFT) {
        snprintf(err, errsize, "only a draft credit note can be opened (this one is %s)",
                 z_cn_status_name(cn->status));
        return FH_E_CONFLICT;
    }
    cn->status = ZC_OPEN;
    cn_settle(cn);
    zm_cn_touch(cn);
    zm_cn_comment(cn, "Credit Note status has been changed to Open.", "Sandbox User", "system",
                  "Updated", false);
    return FH_OK;
}

enum fh_rc zm_cn_void(struct z_creditnote *cn, char *err, size_t errsize)
{
    char a[40];
    if (cn->status == ZC_VOID) {
        snprintf(err, errsize, "the credit note is void already");
        return FH_E_CONFLICT;
    }
    if (cn->applied > 0) {
        fh_money_fmt(cn->applied, 2, a, sizeof(a));
        snprintf(err, errsize, "a credit note with credits applied (%s) cannot be voided", a);
        return FH_E_CONFLICT;
    }
    cn->status = ZC_VOID;
    zm_cn_touch(cn);
    zm_cn_comment(cn, "Credit Note status has been changed to Void.", "Sandbox User", "system",
                  "Updated", false);
    return FH_OK;
}
