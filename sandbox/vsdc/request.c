/* request.c - the invoice request of POST /api/v3/invoices (spec §4) and its validation
 * (spec §7.3). Like TaxCore's ASP.NET binder, property names match case-insensitively, unknown
 * properties are ignored, enums are integers or case-insensitive names, and decimals may be
 * JSON numbers or numeric strings. Every problem found is collected as a modelState entry
 * {property, errors:[code]} with the TaxCore codes 2800-2808; the label check (2310) needs the
 * tax group and happens when the invoice is signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_money.h"
#include "vsdc_internal.h"

void vsdc_errors_add(struct vsdc_errors *errs, const char *code, const char *fmt, ...)
{
    if (errs->n >= FH_ARRAY_LEN(errs->e))
        return;
    struct vsdc_model_error *e = &errs->e[errs->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->property, sizeof(e->property), fmt, ap);
    va_end(ap);
    fh_strlcpy(e->code, code, sizeof(e->code));
}

json_t *vsdc_errors_json(const struct vsdc_errors *errs)
{
    json_t *ms = json_array();
    for (size_t i = 0; i < errs->n; i++)
        json_array_append_new(ms, json_pack("{s:s, s:[s]}", "property", errs->e[i].property,
                                            "errors", errs->e[i].code));
    return json_pack("{s:s, s:o}", "message", "Bad Request", "modelState", ms);
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char **s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        *out = *out * 10 + (**s - '0');
    }
    return true;
}

bool vsdc_parse_datetime(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, fdig = 0;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
        return false;
    s++;
    if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
        return false;
    sec = 0;
    if (*s == ':' && (s++, !digits(&s, 2, &sec)))
        return false;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, fdig++)
            if (fdig < 3)
                frac = frac * 10 + (*s - '0');
        if (fdig == 0)
            return false;
        for (int k = fdig; k < 3; k++)
            frac *= 10;
    }
    int off = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (!digits(&s, 2, &oh) || (*s == ':' && !*++s) || !digits(&s, 2, &om))
            return false;
        off = sign * (oh * 60 + om);
    }
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)off * 60) * 1000 + frac;
    return true;
}

/* Case-insensitive member lookup; JSON null counts as absent. */
static json_t *prop(json_t *obj, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (strcasecmp(k, name) == 0)
            return json_is_null(v) ? NULL : v;
    }
    return NULL;
}

static int enum_value(const json_t *v, const char *const *names, int count)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 && json_integer_value(v) < count
                   ? (int)json_integer_value(v)
                   : -1;
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    int64_t i;
    if (fh_parse_i64(s, &i))
        return i >= 0 && i < count ? (int)i : -1;
    for (int k = 0; k < count; k++)
        if (strcasecmp(s, names[k]) == 0)
            return k;
    return -1;
}

/* An optional string of at most max code points (min when given) into *out. */
static void opt_string(json_t *obj, const char *name, const char *path, size_t min, size_t max,
                       char **out, struct vsdc_errors *errs)
{
    json_t *v = prop(obj, name);
    if (!v)
        return;
    if (!json_is_string(v)) {
        vsdc_errors_add(errs, "2805", "%s", path);
        return;
    }
    size_t n = vsdc_utf8_len(json_string_value(v));
    if (n > max)
        vsdc_errors_add(errs, "2801", "%s", path);
    else if (n < min)
        vsdc_errors_add(errs, "2802", "%s", path);
    else
        *out = fh_strdup(json_string_value(v));
}

static void req_decimal(json_t *obj, const char *name, const char *path, int64_t min, int64_t *out,
                        struct vsdc_errors *errs)
{
    json_t *v = prop(obj, name);
    if (!v)
        vsdc_errors_add(errs, "2800", "%s", path);
    else if (!vsdc_json_decimal(v, out))
        vsdc_errors_add(errs, "2805", "%s", path);
    else if (*out < min)
        vsdc_errors_add(errs, "2804", "%s", path);
}

static int req_enum(json_t *obj, const char *name, const char *path, const char *const *names,
                    int count, struct vsdc_errors *errs)
{
    json_t *v = prop(obj, name);
    int e = v ? enum_value(v, names, count) : -1;
    if (!v)
        vsdc_errors_add(errs, "2800", "%s", path);
    else if (e < 0)
        vsdc_errors_add(errs, "2805", "%s", path);
    return e;
}

/* A required array of 1..max elements; NULL (with the error added) otherwise. */
static json_t *req_array(json_t *obj, const char *name, const char *path, size_t max,
                         struct vsdc_errors *errs)
{
    json_t *v = prop(obj, name);
    if (!v)
        vsdc_errors_add(errs, "2800", "%s", path);
    else if (!json_is_array(v))
        vsdc_errors_add(errs, "2805", "%s", path);
    else if (json_array_size(v) == 0)
        vsdc_errors_add(errs, "2807", "%s", path);
    else if (json_array_size(v) > max)
        vsdc_errors_add(errs, "2808", "%s", path);
    else
        return v;
    return NULL;
}

static void parse_labels(json_t *it, size_t i, const struct vsdc_limits *lim, struct vsdc_item *out,
                         struct vsdc_errors *errs)
{
    char path[48];
    snprintf(path, sizeof(path), "items[%zu].labels", i);
    size_t max =
        lim->max_labels < FH_ARRAY_LEN(out->labels) ? lim->max_labels : FH_ARRAY_LEN(out->labels);
    json_t *labels = req_array(it, "labels", path, max, errs);
    size_t k;
    json_t *l;
    json_array_foreach(labels, k, l)
    {
        const char *s = json_string_value(l);
        if (!s || vsdc_utf8_len(s) != 1 || strlen(s) >= VSDC_LABEL_MAX) {
            vsdc_errors_add(errs, "2805", "items[%zu].labels[%zu]", i, k);
            continue;
        }
        fh_strlcpy(out->labels[out->nlabels++], s, VSDC_LABEL_MAX);
    }
}

static void parse_item(json_t *it, size_t i, const struct vsdc_limits *lim, struct vsdc_item *out,
                       struct vsdc_errors *errs)
{
    char path[48];
    if (!json_is_object(it)) {
        vsdc_errors_add(errs, "2805", "items[%zu]", i);
        return;
    }
    json_t *gtin = prop(it, "gtin");
    size_t glen = json_is_string(gtin) ? strlen(json_string_value(gtin)) : 0;
    if (gtin && (!json_is_string(gtin) || glen < 8 || glen > 14))
        vsdc_errors_add(errs, "2803", "items[%zu].gtin", i);
    else if (gtin)
        out->gtin = fh_strdup(json_string_value(gtin));
    snprintf(path, sizeof(path), "items[%zu].name", i);
    if (!prop(it, "name"))
        vsdc_errors_add(errs, "2800", "%s", path);
    opt_string(it, "name", path, 1, 2048, &out->name, errs);
    snprintf(path, sizeof(path), "items[%zu].quantity", i);
    req_decimal(it, "quantity", path, 10, &out->quantity, errs); /* >= 0.001 */
    snprintf(path, sizeof(path), "items[%zu].unitPrice", i);
    req_decimal(it, "unitPrice", path, 0, &out->unit_price, errs);
    snprintf(path, sizeof(path), "items[%zu].totalAmount", i);
    req_decimal(it, "totalAmount", path, 0, &out->total, errs);
    parse_labels(it, i, lim, out, errs);
    if (lim->strict_amounts && out->name) {
        int64_t want =
            vsdc_muldiv_round(out->quantity, out->unit_price, FH_MONEY_SCALE * 100) * 100;
        if (want != out->total)
            vsdc_errors_add(errs, "2805", "items[%zu].totalAmount", i);
    }
}

static void parse_payments(json_t *root, struct vsdc_invoice_req *r, struct vsdc_errors *errs)
{
    static const char *const names[] = {"Other",        "Cash",    "Card",       "Check",
                                        "WireTransfer", "Voucher", "MobileMoney"};
    json_t *pay = req_array(root, "payment", "payment", 100, errs);
    if (!pay)
        return;
    r->payments = fh_calloc(json_array_size(pay), sizeof(*r->payments));
    r->npayments = json_array_size(pay);
    size_t i;
    json_t *p;
    json_array_foreach(pay, i, p)
    {
        char path[48];
        if (!json_is_object(p)) {
            vsdc_errors_add(errs, "2805", "payment[%zu]", i);
            continue;
        }
        snprintf(path, sizeof(path), "payment[%zu].amount", i);
        req_decimal(p, "amount", path, 0, &r->payments[i].amount, errs);
        snprintf(path, sizeof(path), "payment[%zu].paymentType", i);
        r->payments[i].type = req_enum(p, "paymentType", path, names, 7, errs);
    }
}

static void parse_dates_and_refs(json_t *root, struct vsdc_invoice_req *r, struct vsdc_errors *errs)
{
    json_t *v = prop(root, "dateAndTimeOfIssue");
    if (v && !(json_is_string(v) && vsdc_parse_datetime(json_string_value(v), &r->date_issue_ms)))
        vsdc_errors_add(errs, "2806", "dateAndTimeOfIssue");
    r->has_date_issue = v != NULL;
    v = prop(root, "referentDocumentDT");
    if (v && !(json_is_string(v) && vsdc_parse_datetime(json_string_value(v), &r->ref_dt_ms)))
        vsdc_errors_add(errs, "2806", "referentDocumentDT");
    r->has_ref_dt = v != NULL;
    v = prop(root, "referentDocumentNumber");
    bool needs_ref = r->transaction_type == VSDC_REFUND || r->invoice_type == VSDC_COPY;
    if (!v) {
        if (needs_ref)
            vsdc_errors_add(errs, "2800", "referentDocumentNumber");
        return;
    }
    opt_string(root, "referentDocumentNumber", "referentDocumentNumber", 0, 50, &r->ref_number,
               errs);
    const char *s = r->ref_number;
    size_t n = 0;
    bool ok = s != NULL;
    for (; ok && n < 8; n++) /* ^[0-9A-Za-z]{8}-[0-9A-Za-z]{8}-[0-9]+$ */
        ok = (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z') ||
             (s[n] >= 'a' && s[n] <= 'z');
    ok = ok && s[8] == '-';
    for (n = 9; ok && n < 17; n++)
        ok = (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z') ||
             (s[n] >= 'a' && s[n] <= 'z');
    ok = ok && s[17] == '-' && s[18] >= '0' && s[18] <= '9';
    for (n = 19; ok && s[n]; n++)
        ok = s[n] >= '0' && s[n] <= '9';
    if (s && !ok)
        vsdc_errors_add(errs, "2806", "referentDocumentNumber");
}

static bool option_on(json_t *opts, const char *name)
{
    json_t *v = opts ? prop(opts, name) : NULL;
    return (json_is_string(v) && strcmp(json_string_value(v), "1") == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 1) || json_is_true(v);
}

static void check_amounts(struct vsdc_invoice_req *r, struct vsdc_errors *errs)
{
    if (r->transaction_type != VSDC_SALE ||
        (r->invoice_type != VSDC_NORMAL && r->invoice_type != VSDC_ADVANCE))
        return;
    int64_t total = 0, paid = 0;
    for (size_t i = 0; i < r->nitems; i++)
        total += r->items[i].total;
    for (size_t i = 0; i < r->npayments; i++)
        paid += r->payments[i].amount;
    if (paid < total)
        vsdc_errors_add(errs, "2805", "payment");
}

enum fh_rc vsdc_request_parse(json_t *root, const struct vsdc_limits *lim,
                              struct vsdc_invoice_req *r, struct vsdc_errors *errs)
{
    static const char *const itypes[] = {"Normal", "ProForma", "Copy", "Training", "Advance"};
    static const char *const ttypes[] = {"Sale", "Refund"};
    memset(r, 0, sizeof(*r));
    errs->n = 0;
    if (!json_is_object(root)) {
        vsdc_errors_add(errs, "2805", "request");
        return FH_E_INPUT;
    }
    opt_string(root, "cashier", "cashier", 0, 50, &r->cashier, errs);
    opt_string(root, "buyerId", "buyerId", 0, VSDC_BUYER_ID_MAX, &r->buyer_id, errs);
    opt_string(root, "buyerCostCenterId", "buyerCostCenterId", 0, 50, &r->buyer_cost_center, errs);
    if (prop(root, "buyerCostCenterId") && !prop(root, "buyerId"))
        vsdc_errors_add(errs, "2800", "buyerId");
    opt_string(root, "invoiceNumber", "invoiceNumber", 0, 60, &r->invoice_number, errs);
    r->invoice_type = req_enum(root, "invoiceType", "invoiceType", itypes, 5, errs);
    r->transaction_type = req_enum(root, "transactionType", "transactionType", ttypes, 2, errs);
    parse_dates_and_refs(root, r, errs);
    parse_payments(root, r, errs);
    json_t *items = req_array(root, "items", "items", lim->max_items, errs);
    if (items) {
        r->nitems = json_array_size(items);
        r->items = fh_calloc(r->nitems, sizeof(*r->items));
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) parse_item(it, i, lim, &r->items[i], errs);
    }
    json_t *opts = prop(root, "options");
    r->omit_qr = option_on(opts, "omitQRCodeGen");
    r->omit_journal = option_on(opts, "omitTextualRepresentation");
    if (lim->strict_amounts && errs->n == 0)
        check_amounts(r, errs);
    return errs->n ? FH_E_INPUT : FH_OK;
}

void vsdc_request_free(struct vsdc_invoice_req *r)
{
    free(r->cashier);
    free(r->buyer_id);
    free(r->buyer_cost_center);
    free(r->invoice_number);
    free(r->ref_number);
    for (size_t i = 0; i < r->nitems; i++) {
        free(r->items[i].name);
        free(r->items[i].gtin);
    }
    free(r->items);
    free(r->payments);
    memset(r, 0, sizeof(*r));
}
