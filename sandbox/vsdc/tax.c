/* tax.c - tax-rate groups and the tax arithmetic of spec §8.
 *
 * Amounts are int64 ten-thousandths; every product or quotient goes through __int128 and is
 * rounded half away from zero to 4 decimals (half-up for the positive figures TaxCore uses) at
 * each step the spec marks. Per item: AmountPerQuantity taxes (rate x quantity) come off the
 * base first, then TaxOnTotal taxes (base x rate / (100 + sum of their rates)) come off, then
 * each TaxOnNet tax is base x rate / (100 + sum of the item's TaxOnNet rates). Per invoice the
 * item taxes are summed per label and emitted sorted by label (byte order of the UTF-8 label,
 * so Latin before Cyrillic). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_money.h"
#include "vsdc_internal.h"

int64_t vsdc_muldiv_round(int64_t a, int64_t b, int64_t c)
{
    __int128 p = (__int128)a * b;
    bool neg = p < 0;
    if (neg)
        p = -p;
    __int128 q = (2 * p + c) / (2 * (__int128)c);
    return (int64_t)(neg ? -q : q);
}

bool vsdc_json_decimal(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > INT64_MAX / FH_MONEY_SCALE || i < INT64_MIN / FH_MONEY_SCALE)
            return false;
        *out = (int64_t)i * FH_MONEY_SCALE;
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || fabs(d) > 9e11)
            return false;
        *out = (int64_t)llround(d * FH_MONEY_SCALE);
        return true;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end = NULL;
        if (fh_money_parse(s, out) == FH_OK)
            return true;
        double d = strtod(s, &end); /* more than 4 decimals: round */
        if (end == s || *end || !isfinite(d) || fabs(d) > 9e11)
            return false;
        *out = (int64_t)llround(d * FH_MONEY_SCALE);
        return true;
    }
    return false;
}

json_t *vsdc_json_money(int64_t v)
{
    return json_real((double)v / FH_MONEY_SCALE);
}

/* ---- groups ---- */

static void add_cat(struct vsdc_tax_group *g, const char *name, int type, int order,
                    const char *label, int64_t rate)
{
    struct vsdc_tax_category *c = NULL;
    for (size_t i = 0; i < g->ncats; i++)
        if (strcmp(g->cats[i].name, name) == 0)
            c = &g->cats[i];
    if (!c) {
        c = &g->cats[g->ncats++];
        memset(c, 0, sizeof(*c));
        fh_strlcpy(c->name, name, sizeof(c->name));
        c->type = type;
        c->order_id = order;
    }
    fh_strlcpy(c->rates[c->nrates].label, label, VSDC_LABEL_MAX);
    c->rates[c->nrates++].rate = rate;
}

/* Serbian sandbox group 5 (spec §6.1); groups 1 and 2 are its predecessors (only "F = 10 in
 * group 1" is documented; the rest mirrors group 5 without PBL/STT/TOTL). */
static void default_group(struct vsdc_tax_group *g, int id)
{
    memset(g, 0, sizeof(*g));
    g->group_id = id;
    const char *from = id == 5   ? "2021-12-19T23:00:00Z"
                       : id == 2 ? "2021-07-22T00:00:00Z"
                                 : "2021-07-15T00:00:00Z";
    vsdc_parse_datetime(from, &g->valid_from_ms);
    add_cat(g, "ECAL", VSDC_TAX_ON_NET, 1, "F", id == 1 ? 100000 : 110000);
    add_cat(g, "N-TAX", VSDC_TAX_ON_NET, 2, "N", 0);
    if (id >= 2)
        add_cat(g, "PBL", VSDC_AMOUNT_PER_QUANTITY, 3, "P", 5000);
    if (id >= 5) {
        add_cat(g, "STT", VSDC_TAX_ON_NET, 4, "E", 60000);
        add_cat(g, "TOTL", VSDC_TAX_ON_TOTAL, 5, "T", 20000);
    }
    add_cat(g, "VAT", VSDC_TAX_ON_NET, 6, "A", 90000);
    add_cat(g, "VAT", VSDC_TAX_ON_NET, 6, "B", 0);
    add_cat(g, "VAT", VSDC_TAX_ON_NET, 6, "\xD0\x96", 190000); /* Cyrillic Zhe */
    add_cat(g, "VAT-EXCL", VSDC_TAX_ON_NET, 7, "C", 0);
}

void vsdc_tax_groups_default(struct vsdc_tax_groups *g)
{
    g->n = 3;
    g->groups = fh_calloc(3, sizeof(*g->groups));
    default_group(&g->groups[0], 1);
    default_group(&g->groups[1], 2);
    default_group(&g->groups[2], 5);
}

void vsdc_tax_groups_free(struct vsdc_tax_groups *g)
{
    free(g->groups);
    g->groups = NULL;
    g->n = 0;
}

const struct vsdc_tax_group *vsdc_tax_group_at(const struct vsdc_tax_groups *g, int64_t ms)
{
    const struct vsdc_tax_group *best = NULL;
    for (size_t i = 0; i < g->n; i++) {
        const struct vsdc_tax_group *x = &g->groups[i];
        if (x->valid_from_ms > ms)
            continue;
        if (!best || x->valid_from_ms > best->valid_from_ms ||
            (x->valid_from_ms == best->valid_from_ms && x->group_id > best->group_id))
            best = x;
    }
    return best;
}

static void fmt_utc_seconds(int64_t ms, char *out, size_t outsize)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outsize, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *vsdc_tax_group_json(const struct vsdc_tax_group *g)
{
    char from[32];
    fmt_utc_seconds(g->valid_from_ms, from, sizeof(from));
    json_t *cats = json_array();
    for (size_t i = 0; i < g->ncats; i++) {
        const struct vsdc_tax_category *c = &g->cats[i];
        json_t *rates = json_array();
        for (size_t k = 0; k < c->nrates; k++)
            json_array_append_new(rates,
                                  json_pack("{s:o, s:s}", "rate", vsdc_json_money(c->rates[k].rate),
                                            "label", c->rates[k].label));
        json_array_append_new(cats,
                              json_pack("{s:s, s:i, s:i, s:o}", "name", c->name, "categoryType",
                                        c->type, "orderId", c->order_id, "taxRates", rates));
    }
    return json_pack("{s:s, s:i, s:o}", "validFrom", from, "groupId", g->group_id, "taxCategories",
                     cats);
}

static int cat_type_from_json(const json_t *v)
{
    static const char *const names[] = {"TaxOnNet", "TaxOnTotal", "AmountPerQuantity"};
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 2)
        return (int)json_integer_value(v);
    for (int i = 0; json_is_string(v) && i < 3; i++)
        if (strcasecmp(json_string_value(v), names[i]) == 0)
            return i;
    return -1;
}

static enum fh_rc category_from_json(json_t *c, struct vsdc_tax_category *out, char *err,
                                     size_t errsize)
{
    json_t *rates = json_object_get(c, "taxRates");
    const char *name = json_string_value(json_object_get(c, "name"));
    out->type = cat_type_from_json(json_object_get(c, "categoryType"));
    out->order_id = (int)json_integer_value(json_object_get(c, "orderId"));
    if (!name || out->type < 0 || !json_is_array(rates) || json_array_size(rates) == 0 ||
        json_array_size(rates) > FH_ARRAY_LEN(out->rates)) {
        snprintf(err, errsize, "a tax category needs name, categoryType 0..2 and 1..16 taxRates");
        return FH_E_INPUT;
    }
    fh_strlcpy(out->name, name, sizeof(out->name));
    size_t k;
    json_t *r;
    json_array_foreach(rates, k, r)
    {
        const char *label = json_string_value(json_object_get(r, "label"));
        if (!label || vsdc_utf8_len(label) != 1 || strlen(label) >= VSDC_LABEL_MAX ||
            !vsdc_json_decimal(json_object_get(r, "rate"), &out->rates[k].rate) ||
            out->rates[k].rate < 0) {
            snprintf(err, errsize, "tax rate %zu of %s needs a one-character label and a rate >= 0",
                     k, name);
            return FH_E_INPUT;
        }
        fh_strlcpy(out->rates[k].label, label, VSDC_LABEL_MAX);
    }
    out->nrates = json_array_size(rates);
    return FH_OK;
}

enum fh_rc vsdc_tax_groups_from_json(json_t *arr, struct vsdc_tax_groups *g, char *err,
                                     size_t errsize)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 64) {
        snprintf(err, errsize, "tax groups must be an array of 1..64 TaxRateGroup objects");
        return FH_E_INPUT;
    }
    struct vsdc_tax_groups out = {.n = json_array_size(arr)};
    out.groups = fh_calloc(out.n, sizeof(*out.groups));
    size_t i;
    json_t *jg;
    json_array_foreach(arr, i, jg)
    {
        struct vsdc_tax_group *x = &out.groups[i];
        json_t *cats = json_object_get(jg, "taxCategories");
        const char *from = json_string_value(json_object_get(jg, "validFrom"));
        x->group_id = (int)json_integer_value(json_object_get(jg, "groupId"));
        if (!from || !vsdc_parse_datetime(from, &x->valid_from_ms) || x->group_id <= 0 ||
            !json_is_array(cats) || json_array_size(cats) == 0 ||
            json_array_size(cats) > FH_ARRAY_LEN(x->cats)) {
            snprintf(err, errsize, "group %zu needs validFrom, groupId > 0 and 1..16 taxCategories",
                     i);
            goto fail;
        }
        size_t k;
        json_t *c;
        json_array_foreach(cats, k, c)
        {
            if (category_from_json(c, &x->cats[k], err, errsize) != FH_OK)
                goto fail;
        }
        x->ncats = json_array_size(cats);
    }
    vsdc_tax_groups_free(g);
    *g = out;
    return FH_OK;
fail:
    vsdc_tax_groups_free(&out);
    return FH_E_INPUT;
}

/* ---- arithmetic ---- */

static bool lookup(const struct vsdc_tax_group *g, const char *label,
                   const struct vsdc_tax_category **cat, int64_t *rate)
{
    for (size_t i = 0; i < g->ncats; i++)
        for (size_t k = 0; k < g->cats[i].nrates; k++)
            if (strcmp(g->cats[i].rates[k].label, label) == 0) {
                *cat = &g->cats[i];
                *rate = g->cats[i].rates[k].rate;
                return true;
            }
    return false;
}

struct item_tax {
    const char *label;
    const struct vsdc_tax_category *cat;
    int64_t rate, tax;
};

/* Taxes of one item into t (n entries, labels distinct and defined). */
static void item_taxes(const struct vsdc_item *it, struct item_tax *t, size_t n)
{
    int64_t base = it->total;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].cat->type == VSDC_AMOUNT_PER_QUANTITY) {
            t[i].tax = vsdc_muldiv_round(t[i].rate, it->quantity, FH_MONEY_SCALE);
            sum += t[i].tax;
        }
    base -= sum;
    for (int type = VSDC_TAX_ON_TOTAL; type >= VSDC_TAX_ON_NET; type--) {
        int64_t d = 100 * FH_MONEY_SCALE;
        for (size_t i = 0; i < n; i++)
            if (t[i].cat->type == type)
                d += t[i].rate;
        sum = 0;
        for (size_t i = 0; i < n; i++)
            if (t[i].cat->type == type) {
                t[i].tax = vsdc_muldiv_round(base, t[i].rate, d);
                sum += t[i].tax;
            }
        base -= sum; /* after TaxOnNet the base is no longer used */
    }
}

static int cmp_tax_item(const void *a, const void *b)
{
    return strcmp(((const struct vsdc_tax_item *)a)->label,
                  ((const struct vsdc_tax_item *)b)->label);
}

static enum fh_rc add_to_invoice(const struct item_tax *t, struct vsdc_tax_item *out, size_t cap,
                                 size_t *nout)
{
    for (size_t k = 0; k < *nout; k++)
        if (strcmp(out[k].label, t->label) == 0) {
            out[k].amount += t->tax;
            return FH_OK;
        }
    if (*nout >= cap)
        return FH_E_LIMIT;
    struct vsdc_tax_item *o = &out[(*nout)++];
    memset(o, 0, sizeof(*o));
    fh_strlcpy(o->label, t->label, sizeof(o->label));
    fh_strlcpy(o->cat_name, t->cat->name, sizeof(o->cat_name));
    o->cat_type = t->cat->type;
    o->rate = t->rate;
    o->amount = t->tax;
    return FH_OK;
}

enum fh_rc vsdc_tax_compute(const struct vsdc_tax_group *g, const struct vsdc_item *items, size_t n,
                            struct vsdc_tax_item *out, size_t cap, size_t *nout, size_t *bad_item)
{
    *nout = 0;
    for (size_t i = 0; i < n; i++) {
        struct item_tax t[FH_ARRAY_LEN(items[i].labels)];
        size_t nt = 0;
        for (size_t l = 0; l < items[i].nlabels; l++) {
            bool dup = false;
            for (size_t k = 0; k < nt; k++)
                dup = dup || strcmp(t[k].label, items[i].labels[l]) == 0;
            if (dup)
                continue;
            t[nt].label = items[i].labels[l];
            t[nt].tax = 0;
            if (!lookup(g, t[nt].label, &t[nt].cat, &t[nt].rate)) {
                *bad_item = i;
                return FH_E_NOTFOUND;
            }
            nt++;
        }
        item_taxes(&items[i], t, nt);
        for (size_t k = 0; k < nt; k++)
            if (add_to_invoice(&t[k], out, cap, nout) != FH_OK)
                return FH_E_LIMIT;
    }
    qsort(out, *nout, sizeof(*out), cmp_tax_item);
    return FH_OK;
}
