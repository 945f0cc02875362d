/* map.c - Zoho Books invoices -> the canonical invoice, and the fiscalize rule.
 *
 * Lines (specs/zoho-books.md §2.5): item_total is the line after its discount; with
 * is_inclusive_tax it includes the tax, else the tax is item_total x tax_percentage / 100 rounded
 * to cents (Zoho rounds per line). So a line's tax-included total is item_total (inclusive) or
 * item_total + its tax (exclusive); lines without an amount are left out, a negative one cannot
 * be fiscalized. shipping_charge and a positive adjustment become items of their own. The
 * invoice's total is what the customer pays and must be the sum of the items: a difference of
 * at most a cent per line (Zoho rounding its tax summary otherwise) goes to the last line, a
 * larger shortfall (an invoice-level discount, a negative adjustment) is spread over the lines in
 * proportion to their totals, and anything else is refused with the amounts named.
 * Labels: settings.tax_mapping[tax_id], else [tax_name] ("none" for a line without tax), else
 * settings.default_label, else "A". Payments: one payment of the total, its method from the first
 * Zoho payment's payment_mode. Buyer: vat_reg_no or gst_no (1..20 characters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fh/fh_fiscal.h"
#include "fh/fh_money.h"
#include "zoho_internal.h"

#define CENT (FH_MONEY_SCALE / 100)

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

bool fh_zoho_time(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    int n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(p + 1, "%2d%2d", &hh, &mm) != 2)
            return false;
        off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
    } else if (*p != 'Z' && *p != '\0') {
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = ((int64_t)timegm(&tm) - off) * 1000;
    return true;
}

static bool status_in(const char *status, const char *const *list)
{
    for (size_t i = 0; status && list[i]; i++)
        if (strcmp(status, list[i]) == 0)
            return true;
    return false;
}

bool fh_zoho_due(json_t *inv, const char *fiscalize, char *why, size_t whysize)
{
    static const char *const issued[] = {"sent",           "viewed", "overdue", "unpaid",
                                         "partially_paid", "paid",   NULL};
    static const char *const paid[] = {"partially_paid", "paid", NULL};
    const char *status = jstr(inv, "status");
    if (!status_in(status, issued)) {
        snprintf(why, whysize, "status %.20s is never fiscalized", status ? status : "unknown");
        return false;
    }
    if (!fiscalize || strcmp(fiscalize, "paid") != 0)
        return true;
    int64_t made = 0, total = 0, balance = 0;
    if (status_in(status, paid) ||
        (fh_conn_money(json_object_get(inv, "payment_made"), &made) && made > 0) ||
        (fh_conn_money(json_object_get(inv, "total"), &total) &&
         fh_conn_money(json_object_get(inv, "balance"), &balance) && balance < total))
        return true;
    snprintf(why, whysize, "no payment recorded yet (fiscalize: paid)");
    return false;
}

static int64_t round_cents(__int128 v, __int128 div)
{
    __int128 c = div * CENT, q = (v >= 0 ? v + c / 2 : v - c / 2) / c;
    return (int64_t)q * CENT;
}

struct line {
    const char *name, *label;
    int64_t qty, total;
};

/* One Zoho line -> a line (total 0: nothing to fiscalize). */
static enum fh_rc read_line(json_t *li, size_t idx, bool inclusive, json_t *settings,
                            struct line *out, char *why, size_t whysize)
{
    int64_t qty = FH_MONEY_SCALE, amount = 0, pct = 0, rate = 0;
    json_t *q = json_object_get(li, "quantity");
    if (q && !json_is_null(q) && !fh_conn_money(q, &qty))
        qty = -1;
    if (!fh_conn_money(json_object_get(li, "item_total"), &amount) &&
        (!fh_conn_money(json_object_get(li, "rate"), &rate) ||
         fh_money_mul(rate, qty, &amount) != FH_OK))
        amount = 0;
    fh_conn_money(json_object_get(li, "tax_percentage"), &pct);
    out->total =
        inclusive ? amount : amount + round_cents((__int128)amount * pct, 100LL * FH_MONEY_SCALE);
    if (out->total != 0 && (out->total < 0 || qty <= 0)) {
        snprintf(why, whysize,
                 "line %zu has a negative amount or quantity; it cannot be fiscalized", idx + 1);
        return FH_E_INPUT;
    }
    const char *tax_id = jstr(li, "tax_id"), *tax_name = jstr(li, "tax_name");
    bool untaxed = (!tax_id || !tax_id[0]) && (!tax_name || !tax_name[0]);
    out->label = fh_conn_label(settings, untaxed ? "none" : tax_id, untaxed ? NULL : tax_name);
    out->name = jstr(li, "name");
    if (!out->name || !out->name[0])
        out->name = jstr(li, "description");
    out->qty = qty;
    return FH_OK;
}

/* Makes the lines add up to the invoice total (see the top of the file). */
static enum fh_rc reconcile(struct line *l, size_t n, int64_t total, char *why, size_t whysize)
{
    int64_t sum = 0, largest = 0;
    size_t big = 0;
    for (size_t i = 0; i < n; i++) {
        sum += l[i].total;
        if (l[i].total > largest)
            largest = l[i].total, big = i;
    }
    int64_t delta = total - sum;
    if (delta == 0)
        return FH_OK;
    if (sum > 0 && delta < 0 && -delta <= sum) { /* a discount over the whole invoice */
        int64_t given = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t share = (int64_t)((__int128)delta * l[i].total / sum);
            l[i].total += share;
            given += share;
        }
        l[big].total += delta - given;
        return FH_OK;
    }
    if (n > 0 && (delta < 0 ? -delta : delta) <= CENT * (int64_t)n && l[n - 1].total + delta >= 0) {
        l[n - 1].total += delta;
        return FH_OK;
    }
    char a[40], b[40];
    fh_money_fmt(total, 2, a, sizeof(a));
    fh_money_fmt(sum, 2, b, sizeof(b));
    snprintf(why, whysize, "the invoice total %s is more than its lines (%s) by more than rounding",
             a, b);
    return FH_E_INPUT;
}

/* The lines, shipping and a positive adjustment, reconciled with the total. */
static enum fh_rc read_lines(json_t *inv, json_t *settings, struct line **out, size_t *n,
                             int64_t *total, char *why, size_t whysize)
{
    json_t *items = json_object_get(inv, "line_items");
    size_t cap = json_array_size(items) + 2, i;
    if (cap - 2 > FH_FISCAL_MAX_ITEMS) {
        snprintf(why, whysize, "more than %d line items", FH_FISCAL_MAX_ITEMS);
        return FH_E_INPUT;
    }
    struct line *l = fh_calloc(cap, sizeof(*l));
    bool inclusive = json_is_true(json_object_get(inv, "is_inclusive_tax"));
    json_t *li;
    *n = 0;
    json_array_foreach(items, i, li)
    {
        if (read_line(li, i, inclusive, settings, &l[*n], why, whysize) != FH_OK) {
            free(l);
            return FH_E_INPUT;
        }
        *n += l[*n].total > 0;
    }
    int64_t ship = 0, adjust = 0, sum = 0;
    const char *dflt = fh_conn_label(settings, NULL, NULL);
    if (fh_conn_money(json_object_get(inv, "shipping_charge"), &ship) && ship > 0)
        l[(*n)++] = (struct line){"Shipping charge", dflt, FH_MONEY_SCALE, ship};
    if (fh_conn_money(json_object_get(inv, "adjustment"), &adjust) && adjust > 0)
        l[(*n)++] = (struct line){"Adjustment", dflt, FH_MONEY_SCALE, adjust};
    for (i = 0; i < *n; i++)
        sum += l[i].total;
    if (!fh_conn_money(json_object_get(inv, "total"), total))
        *total = sum;
    if (*n == 0 || reconcile(l, *n, *total, why, whysize) != FH_OK) {
        if (*n == 0)
            snprintf(why, whysize, "no line item with an amount");
        free(l);
        return FH_E_INPUT;
    }
    *out = l;
    return FH_OK;
}

bool fh_zoho_tax_total(json_t *inv, int64_t *tax)
{
    int64_t discount = 0, adjust = 0;
    if (fh_conn_money(json_object_get(inv, "discount"), &discount) && discount != 0)
        return false;
    if (fh_conn_money(json_object_get(inv, "adjustment"), &adjust) && adjust < 0)
        return false;
    return fh_conn_money(json_object_get(inv, "tax_total"), tax) && *tax >= 0;
}

static const char *payment_method(json_t *inv)
{
    const char *mode = jstr(json_array_get(json_object_get(inv, "payments"), 0), "payment_mode");
    static const char *const map[][2] = {
        {"cash", "cash"},
        {"check", "check"},
        {"cheque", "check"},
        {"creditcard", "card"},
        {"credit card", "card"},
        {"debitcard", "card"},
        {"banktransfer", "wire_transfer"},
        {"bank transfer", "wire_transfer"},
        {"bankremittance", "wire_transfer"},
        {"bank remittance", "wire_transfer"},
    };
    for (size_t i = 0; mode && i < FH_ARRAY_LEN(map); i++)
        if (strcasecmp(mode, map[i][0]) == 0)
            return map[i][1];
    return "other";
}

static void set_text(json_t *c, const char *field, const char *v, size_t max)
{
    if (!v || !v[0] || strlen(v) > max)
        return;
    char *t = fh_conn_text(v, max);
    json_object_set_new(c, field, json_string(t));
    free(t);
}

enum fh_rc fh_zoho_map(json_t *inv, json_t *settings, json_t **canonical, char *why, size_t whysize)
{
    struct line *l = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (!fh_conn_home_currency(json_object_get(inv, "exchange_rate"),
                               json_string_value(json_object_get(inv, "currency_code")), why,
                               whysize) ||
        read_lines(inv, settings, &l, &n, &total, why, whysize) != FH_OK)
        return FH_E_INPUT;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *item =
            l[i].total > 0 ? fh_conn_item(l[i].name, l[i].qty, l[i].total, l[i].label) : NULL;
        if (item)
            json_array_append_new(items, item);
    }
    free(l);
    if (json_array_size(items) == 0) {
        json_decref(items);
        snprintf(why, whysize, "no line item with an amount");
        return FH_E_INPUT;
    }
    json_t *c = json_object();
    json_object_set_new(c, "invoice_type", json_string("normal"));
    json_object_set_new(c, "transaction_type", json_string("sale"));
    set_text(c, "pos_invoice_number", jstr(inv, "invoice_number"), 60);
    const char *vat = jstr(inv, "vat_reg_no");
    set_text(c, "buyer_id", vat && vat[0] ? vat : jstr(inv, "gst_no"), 20);
    bool has_payment = json_array_size(json_object_get(inv, "payments")) > 0;
    json_object_set_new(c, "payments",
                        json_pack("[{s:s, s:o}]", "method",
                                  has_payment ? payment_method(inv) : "other", "amount",
                                  fh_fiscal_decimal_json(total)));
    json_object_set_new(c, "items", items);
    *canonical = c;
    return FH_OK;
}
