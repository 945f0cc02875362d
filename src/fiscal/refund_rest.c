/* refund_rest.c - what a signed sale still holds once the refunds that reference it are taken
 * off (fh_fiscal_refund_rest), for the refund of a voided invoice: a sale credited in part, the
 * credit then removed from it and the sale voided, must not be refunded twice over.
 *
 * A refund's item that names a sale item (same name, GTIN, unit price and tax labels) takes its
 * quantity and total off that item. Any other refunded amount (a credit note line of its own,
 * "Credit for INV-0042") comes off the sale items with the same tax labels, in order: such an
 * item keeps its name and what is left of it, as a quantity at its unit price when that is exact
 * (keep_rest), else as one unit of the rest, so each tax label keeps exactly what was not
 * refunded. An amount beyond what the sale held under its labels is ignored: no
 * item is ever refunded below zero. The payments are the sale's in order, cut to the new total. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fiscal_internal.h"

static bool same_labels(const struct fh_fiscal_item *a, const struct fh_fiscal_item *b)
{
    if (a->nlabels != b->nlabels)
        return false;
    for (size_t i = 0; i < a->nlabels; i++) {
        bool found = false;
        for (size_t k = 0; k < b->nlabels && !found; k++)
            found = strcmp(a->labels[i], b->labels[k]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool same_item(const struct fh_fiscal_item *a, const struct fh_fiscal_item *b)
{
    return strcmp(a->name, b->name) == 0 && a->unit_price == b->unit_price &&
           (a->gtin ? b->gtin && strcmp(a->gtin, b->gtin) == 0 : !b->gtin) && same_labels(a, b);
}

/* What is left of s once an amount came off it (rest > 0): at the same unit price when rest is
 * an exact quantity of it with at most 3 decimals, whole when the sale's quantity was (an item
 * counted in units stays counted in units: 3 x 10 less 10 is 2 x 10); else one unit of rest. */
static void keep_rest(struct fh_fiscal_item *s, int64_t rest)
{
    __int128 scaled = (__int128)rest * FH_MONEY_SCALE;
    bool whole = s->quantity % FH_MONEY_SCALE == 0;
    if (s->unit_price > 0 && scaled % s->unit_price == 0) {
        __int128 q = scaled / s->unit_price;
        if (q > 0 && q <= INT64_MAX && q % 10 == 0 && (!whole || q % FH_MONEY_SCALE == 0)) {
            s->quantity = (int64_t)q;
            s->total = rest;
            return;
        }
    }
    s->quantity = FH_MONEY_SCALE;
    s->unit_price = rest;
    s->total = rest;
}

/* Takes amount off the sale's items with r's labels, in order; what could not be taken. */
static int64_t take_amount(struct fh_fiscal_invoice *sale, const struct fh_fiscal_item *r,
                           int64_t amount, bool *cut)
{
    for (size_t i = 0; i < sale->nitems && amount > 0; i++) {
        struct fh_fiscal_item *s = &sale->items[i];
        if (s->quantity <= 0 || s->total <= 0 || !same_labels(s, r))
            continue;
        int64_t take = amount < s->total ? amount : s->total;
        if (take < s->total)
            keep_rest(s, s->total - take);
        else
            s->total = 0;
        cut[i] = true;
        amount -= take;
    }
    return amount;
}

/* The refund's item taken off the sale: by quantity from the same item, the rest by amount. */
static void take_item(struct fh_fiscal_invoice *sale, const struct fh_fiscal_item *r, bool *cut)
{
    int64_t amount = r->total;
    for (size_t i = 0; i < sale->nitems && amount > 0; i++) {
        struct fh_fiscal_item *s = &sale->items[i];
        if (cut[i] || s->quantity <= 0 || !same_item(s, r))
            continue;
        if (r->quantity < s->quantity && amount < s->total) {
            s->quantity -= r->quantity;
            s->total -= amount;
            amount = 0;
        } else { /* all of it */
            amount = amount > s->total ? amount - s->total : 0;
            s->quantity = 0;
            s->total = 0;
        }
    }
    take_amount(sale, r, amount, cut);
}

static void drop_spent_items(struct fh_fiscal_invoice *sale, const bool *cut)
{
    size_t n = 0;
    for (size_t i = 0; i < sale->nitems; i++) {
        struct fh_fiscal_item *s = &sale->items[i];
        if (s->quantity <= 0 || (cut[i] && s->total <= 0)) {
            free(s->gtin);
            free(s->name);
            continue;
        }
        sale->items[n++] = *s;
    }
    sale->nitems = n;
}

static void cut_payments(struct fh_fiscal_invoice *sale, int64_t total)
{
    size_t n = 0;
    int64_t left = total;
    for (size_t i = 0; i < sale->npayments && left > 0; i++) {
        struct fh_fiscal_payment p = sale->payments[i];
        p.amount = p.amount < left ? p.amount : left;
        left -= p.amount;
        if (p.amount > 0)
            sale->payments[n++] = p;
    }
    if (left > 0 && n > 0) /* the sale's payments came to less than its items */
        sale->payments[0].amount += left;
    else if (left > 0 && sale->npayments > 0)
        sale->payments[n++] = (struct fh_fiscal_payment){sale->payments[0].method, left};
    sale->npayments = n;
}

bool fh_fiscal_refund_rest(struct fh_fiscal_invoice *sale, const struct fh_fiscal_invoice *refunds,
                           size_t nrefunds)
{
    bool *cut = fh_calloc(sale->nitems + 1, sizeof(*cut));
    for (size_t k = 0; k < nrefunds; k++)
        for (size_t j = 0; j < refunds[k].nitems; j++)
            take_item(sale, &refunds[k].items[j], cut);
    drop_spent_items(sale, cut);
    free(cut);
    int64_t total = fh_fiscal_invoice_total(sale);
    cut_payments(sale, total);
    return sale->nitems > 0 && total > 0;
}

/* Takes off named's items the quantities that refunds' items naming them refunded (by name,
 * GTIN, unit price and labels), never below nothing; amounts refunded otherwise are not counted. */
static void take_quantities(struct fh_fiscal_invoice *named,
                            const struct fh_fiscal_invoice *refunds, size_t nrefunds)
{
    for (size_t k = 0; k < nrefunds; k++)
        for (size_t j = 0; j < refunds[k].nitems; j++) {
            const struct fh_fiscal_item *r = &refunds[k].items[j];
            int64_t q = r->quantity;
            for (size_t i = 0; i < named->nitems && q > 0; i++) {
                struct fh_fiscal_item *s = &named->items[i];
                if (!same_item(s, r))
                    continue;
                int64_t take = q < s->quantity ? q : s->quantity;
                s->quantity -= take;
                q -= take;
            }
        }
}

/* A copy of inv (through its canonical JSON); false when it does not parse again. */
static bool copy_invoice(const struct fh_fiscal_invoice *inv, struct fh_fiscal_invoice *out)
{
    json_t *j = fh_fiscal_invoice_json(inv);
    struct fh_json_error err;
    bool ok = fh_fiscal_invoice_parse(j, out, &err) == FH_OK;
    json_decref(j);
    if (!ok)
        memset(out, 0, sizeof(*out));
    return ok;
}

enum fh_rc fh_fiscal_take_off_refunds(struct fh_store *st, int64_t org_id, const char *number,
                                      const char *except_key, bool counted,
                                      struct fh_fiscal_invoice *sale,
                                      struct fh_fiscal_invoice *named, size_t *nrefunds,
                                      bool *left_some)
{
    *nrefunds = 0;
    *left_some = true;
    char sql[240];
    snprintf(sql, sizeof(sql),
             "SELECT canonical FROM fiscal_invoices WHERE org_id = $1 AND refund_of = $2%s%s "
             "ORDER BY id",
             except_key ? " AND source_key <> $3" : "",
             counted ? " AND (status <> 'failed' OR uncertain = 1)" : "");
    struct fh_param p[] = {FH_PI(org_id), FH_PT(number), FH_PT(except_key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, except_key ? 3 : 2, &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    struct fh_fiscal_invoice *refunds = fh_calloc(rows.nrows + 1, sizeof(*refunds));
    struct fh_json_error err;
    enum fh_rc rc = FH_OK;
    size_t n = 0;
    for (size_t i = 0; rc == FH_OK && i < rows.nrows; i++) {
        json_t *r = json_loads(fh_rows_get(&rows, i, 0), 0, NULL);
        rc = r && fh_fiscal_invoice_parse(r, &refunds[n], &err) == FH_OK ? FH_OK : FH_ERR;
        n += rc == FH_OK;
        json_decref(r);
    }
    fh_rows_free(&rows);
    if (rc == FH_OK && named) /* stored invoices parse; anything else is the store's fault */
        rc = copy_invoice(sale, named) ? FH_OK : FH_ERR;
    if (rc == FH_OK) {
        if (named)
            take_quantities(named, refunds, n);
        *left_some = fh_fiscal_refund_rest(sale, refunds, n);
        *nrefunds = n;
    }
    for (size_t i = 0; i < n; i++)
        fh_fiscal_invoice_free(&refunds[i]);
    free(refunds);
    return rc;
}

void fh_fiscal_sale_left_free(struct fh_fiscal_sale_left *s)
{
    fh_fiscal_invoice_free(&s->left);
    fh_fiscal_invoice_free(&s->named);
    memset(s, 0, sizeof(*s));
}

enum fh_rc fh_fiscal_refund_left(struct fh_store *st, int64_t org_id, int64_t id,
                                 const char *except_key, bool lock, struct fh_fiscal_sale_left *out)
{
    memset(out, 0, sizeof(*out));
    static const char sale_sql[] = "SELECT canonical, invoice_number FROM fiscal_invoices "
                                   "WHERE id = $1 AND org_id = $2 AND status = 'signed'";
    static const char sale_sql_lock[] = "SELECT canonical, invoice_number FROM fiscal_invoices "
                                        "WHERE id = $1 AND org_id = $2 AND status = 'signed' "
                                        "FOR UPDATE";
    struct fh_param p[] = {FH_PI(id), FH_PI(org_id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st, lock ? fh_store_sql(st, sale_sql, sale_sql_lock) : sale_sql, p, 2, &rows);
    if (qs <= 0 || !fh_rows_get(&rows, 0, 1)) {
        fh_rows_free(&rows);
        return qs < 0 ? fh_qs_rc(qs) : FH_E_NOTFOUND;
    }
    fh_strlcpy(out->number, fh_rows_get(&rows, 0, 1), sizeof(out->number));
    json_t *j = json_loads(fh_rows_get(&rows, 0, 0), 0, NULL);
    fh_rows_free(&rows);
    struct fh_json_error err;
    enum fh_rc rc = j && fh_fiscal_invoice_parse(j, &out->left, &err) == FH_OK ? FH_OK : FH_ERR;
    json_decref(j);
    if (rc != FH_OK)
        return rc; /* stored invoices parse; anything else is the store's fault */
    size_t n;
    bool some;
    rc = fh_fiscal_take_off_refunds(st, org_id, out->number, except_key, true, &out->left,
                                    &out->named, &n, &some);
    if (rc != FH_OK)
        fh_fiscal_sale_left_free(out);
    return rc;
}

/* An item the refund names by the sale's name, GTIN, unit price and labels: more of it than the
 * sale has left once earlier refunds took theirs by name? Writes why and returns true. */
static bool named_too_many(const struct fh_fiscal_sale_left *s,
                           const struct fh_fiscal_invoice *refund, char *why, size_t whysize)
{
    for (size_t j = 0; j < refund->nitems; j++) {
        const struct fh_fiscal_item *r = &refund->items[j];
        bool sold = false, seen = false;
        for (size_t k = 0; k < j && !seen; k++) /* counted with an earlier line of the refund */
            seen = same_item(&refund->items[k], r);
        int64_t have = 0, want = 0;
        for (size_t i = 0; i < s->named.nitems; i++)
            if (same_item(&s->named.items[i], r)) {
                sold = true;
                have += s->named.items[i].quantity;
            }
        for (size_t k = j; k < refund->nitems; k++)
            if (same_item(&refund->items[k], r))
                want += refund->items[k].quantity;
        if (!sold || seen || want <= have)
            continue;
        char w[40], h[40];
        fh_fiscal_decimal(want, w, sizeof(w));
        fh_fiscal_decimal(have, h, sizeof(h));
        snprintf(why, whysize,
                 "the refund's %s of \"%.40s\" is more than the %s left of invoice %.60s", w,
                 r->name, h, s->number);
        return true;
    }
    return false;
}

bool fh_fiscal_refund_fits(const struct fh_fiscal_sale_left *s,
                           const struct fh_fiscal_invoice *refund, char *why, size_t whysize)
{
    if (s->left.nitems == 0) {
        snprintf(why, whysize, "invoice %.60s was refunded in full already", s->number);
        return false;
    }
    if (named_too_many(s, refund, why, whysize))
        return false;
    struct fh_fiscal_invoice rest; /* a copy to take the refund off */
    if (!copy_invoice(&s->left, &rest)) {
        snprintf(why, whysize, "invoice %.60s cannot be read", s->number);
        return false;
    }
    int64_t before = fh_fiscal_invoice_total(&rest);
    fh_fiscal_refund_rest(&rest, refund, 1);
    int64_t taken = before - fh_fiscal_invoice_total(&rest);
    fh_fiscal_invoice_free(&rest);
    if (taken == fh_fiscal_invoice_total(refund))
        return true;
    char l[40], r[40];
    fh_fiscal_decimal(before, l, sizeof(l));
    fh_fiscal_decimal(fh_fiscal_invoice_total(refund), r, sizeof(r));
    snprintf(why, whysize,
             "the refund (%s) is more than what is left of invoice %.60s under its tax labels "
             "(%s in all)",
             r, s->number, l);
    return false;
}
