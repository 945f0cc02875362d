/* invoice.c - the canonical invoice: JSON -> struct with validation, and back to normalized JSON.
 *
 * Every source maps into this one model, so the rules live here once. The limits are the
 * V-SDC's (specs/taxcore-vsdc.md §4, §7.3), checked before anything is stored, so that a
 * document the V-SDC would refuse for its shape is refused at submission with the field named
 * ("items[2].labels has a duplicate label"). String lengths are counted like the V-SDC (.NET)
 * counts them: UTF-16 code units. Amounts are decimal strings ("100.87"), never JSON numbers,
 * parsed into int64 ten-thousandths; none may be negative (refunds carry positive amounts, as the
 * V-SDC expects). Item arithmetic (quantity x price vs total, payments vs total) is not checked:
 * the V-SDC does not document it and sources apply discounts their own way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_money.h"
#include "fiscal_internal.h"

#define AMOUNT_MAX FH_FISCAL_AMOUNT_MAX

static const char *const invoice_types[] = {"normal",   "proforma", "copy",
                                            "training", "advance",  NULL};
static const char *const transaction_types[] = {"sale", "refund", NULL};
static const char *const payment_methods[] = {"other",         "cash",    "card",         "check",
                                              "wire_transfer", "voucher", "mobile_money", NULL};

const char *fh_invoice_type_name(enum fh_invoice_type t)
{
    return (unsigned)t < 5 ? invoice_types[t] : "normal";
}

const char *fh_transaction_type_name(enum fh_transaction_type t)
{
    return t == FH_TRANSACTION_REFUND ? "refund" : "sale";
}

const char *fh_payment_method_name(enum fh_payment_method m)
{
    return (unsigned)m < 7 ? payment_methods[m] : "other";
}

static int choice_index(const char *const *choices, const char *s)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(choices[i], s) == 0)
            return i;
    return -1;
}

void fh_fiscal_invoice_free(struct fh_fiscal_invoice *inv)
{
    if (!inv)
        return;
    free(inv->referent_document_number);
    free(inv->referent_document_time);
    free(inv->cashier);
    free(inv->buyer_id);
    free(inv->buyer_cost_center_id);
    free(inv->pos_invoice_number);
    free(inv->payments);
    for (size_t i = 0; i < inv->nitems; i++) {
        free(inv->items[i].gtin);
        free(inv->items[i].name);
    }
    free(inv->items);
    memset(inv, 0, sizeof(*inv));
}

/* ---- errors naming the field ---- */

static enum fh_rc fail(struct fh_json_error *err, enum fh_ec ec, const char *field, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static enum fh_rc fail(struct fh_json_error *err, enum fh_ec ec, const char *field, const char *fmt,
                       ...)
{
    char text[150];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    err->ec = ec;
    snprintf(err->detail, sizeof(err->detail), "%s %s", field, text);
    return FH_E_INPUT;
}

/* Refuses fields not in known (a misspelt optional field must not silently drop a value). */
static enum fh_rc known_fields(json_t *obj, const char *const *known, const char *path,
                               struct fh_json_error *err)
{
    if (!json_is_object(obj))
        return fail(err, path[0] ? FH_EC_JSON_FIELD_TYPE : FH_EC_JSON_NOT_OBJECT,
                    path[0] ? path : "invoice", "must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (choice_index(known, key) < 0) {
            err->ec = FH_EC_JSON_UNKNOWN_FIELD;
            snprintf(err->detail, sizeof(err->detail), "%s%sunknown field %.80s", path,
                     path[0] ? ": " : "", key);
            return FH_E_INPUT;
        }
    }
    return FH_OK;
}

static enum fh_rc enum_field(json_t *obj, const char *name, const char *path,
                             const char *const *choices, int *out, struct fh_json_error *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return fail(err, FH_EC_JSON_FIELD_MISSING, path, "is required");
    if (!json_is_string(v))
        return fail(err, FH_EC_JSON_FIELD_TYPE, path, "must be a string");
    *out = choice_index(choices, json_string_value(v));
    if (*out >= 0)
        return FH_OK;
    char list[120] = "";
    for (int i = 0; choices[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s", choices[i]);
    return fail(err, FH_EC_JSON_FIELD_INVALID, path, "must be one of:%s", list);
}

static enum fh_rc array_field(json_t *obj, const char *name, const char *path, size_t min,
                              size_t max, json_t **out, struct fh_json_error *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return fail(err, FH_EC_JSON_FIELD_MISSING, path, "is required");
    if (!json_is_array(v))
        return fail(err, FH_EC_JSON_FIELD_TYPE, path, "must be an array");
    if (json_array_size(v) > max)
        return fail(err, FH_EC_JSON_ARRAY_TOO_LONG, path, "has more than %zu elements", max);
    if (json_array_size(v) < min)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "needs at least %zu element%s", min,
                    min == 1 ? "" : "s");
    *out = v;
    return FH_OK;
}

/* ---- text checks ---- */

/* Length in UTF-16 code units of valid UTF-8 (jansson guarantees validity); -1 when s holds a
 * control character. */
static long utf16_len(const char *s)
{
    long n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return -1;
        if ((*p & 0xc0) == 0x80)
            continue; /* continuation byte */
        n += (*p >= 0xf0) ? 2 : 1;
    }
    return n;
}

static size_t utf8_codepoints(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

/* An optional or required text field of min..max UTF-16 units; *out gets a copy or NULL. */
static enum fh_rc text_field(json_t *obj, const char *name, const char *path, bool required,
                             long min, long max, char **out, struct fh_json_error *err)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return fail(err, FH_EC_JSON_FIELD_MISSING, path, "is required");
        return FH_OK;
    }
    if (!json_is_string(v))
        return fail(err, FH_EC_JSON_FIELD_TYPE, path, "must be a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "must not contain NUL characters");
    long n = utf16_len(s);
    if (n < 0)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "must not contain control characters");
    if (n > max)
        return fail(err, FH_EC_JSON_FIELD_TOO_LONG, path, "is longer than %ld characters", max);
    if (n < min)
        return fail(err, min == 1 ? FH_EC_JSON_FIELD_MISSING : FH_EC_JSON_FIELD_INVALID, path,
                    min == 1 ? "must not be empty" : "must be at least %ld characters", min);
    *out = fh_strdup(s);
    return FH_OK;
}

/* A decimal string amount: at most 4 decimals (quantity: 3), not negative, below AMOUNT_MAX;
 * positive when positive is set. */
static enum fh_rc amount_field(json_t *obj, const char *name, const char *path, int max_decimals,
                               bool positive, int64_t *out, struct fh_json_error *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return fail(err, FH_EC_JSON_FIELD_MISSING, path, "is required");
    if (!json_is_string(v))
        return fail(err, FH_EC_JSON_FIELD_TYPE, path,
                    "must be a decimal string like \"100.87\", not a JSON number");
    const char *s = json_string_value(v);
    const char *dot = strchr(s, '.');
    if (dot && strspn(dot + 1, "0123456789") > (size_t)max_decimals && strlen(s) < 40)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "has more than %d decimals", max_decimals);
    if (s[0] == '-' && fh_money_parse(s, out) == FH_OK)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "must not be negative");
    enum fh_rc rc = fh_money_parse(s, out);
    if (rc == FH_E_LIMIT || (rc == FH_OK && *out >= AMOUNT_MAX))
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "is too large");
    if (rc != FH_OK || strlen(s) > 40)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path,
                    "must be a decimal string like \"100.87\" (digits, one optional point)");
    if (positive && *out <= 0)
        return fail(err, FH_EC_JSON_FIELD_INVALID, path, "must be greater than zero");
    return FH_OK;
}

static bool all_digits(const char *s)
{
    return s[0] && strspn(s, "0123456789") == strlen(s);
}

bool fh_fiscal_referent_number_valid(const char *s)
{
    /* ^[0-9A-Za-z]{8}-[0-9A-Za-z]{8}-[0-9]+$ */
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t n = strlen(s);
    if (n < 19 || n > 50 || strspn(s, alnum) != 8 || s[8] != '-' || strspn(s + 9, alnum) != 8 ||
        s[17] != '-')
        return false;
    return all_digits(s + 18);
}

/* ---- items and payments ---- */

static enum fh_rc parse_labels(json_t *labels, const char *path, struct fh_fiscal_item *it,
                               struct fh_json_error *err)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        if (!json_is_string(l))
            return fail(err, FH_EC_JSON_FIELD_TYPE, path, "must hold strings");
        const char *s = json_string_value(l);
        unsigned char c0 = (unsigned char)s[0];
        if (json_string_length(l) == 0 || json_string_length(l) > 4 || utf8_codepoints(s) != 1 ||
            c0 <= 0x20 || c0 == 0x7f)
            return fail(err, FH_EC_JSON_FIELD_INVALID, path,
                        "must hold tax labels of exactly one character each");
        for (size_t k = 0; k < it->nlabels; k++)
            if (strcmp(it->labels[k], s) == 0)
                return fail(err, FH_EC_JSON_FIELD_INVALID, path, "has the label %s twice", s);
        fh_strlcpy(it->labels[it->nlabels++], s, sizeof(it->labels[0]));
    }
    return FH_OK;
}

static const char *const item_fields[] = {"gtin",   "name",  "quantity", "unit_price",
                                          "labels", "total", NULL};
static const char *const payment_fields[] = {"method", "amount", NULL};

static enum fh_rc parse_item(json_t *obj, size_t idx, struct fh_fiscal_item *it,
                             struct fh_json_error *err)
{
    char path[48], f[80];
    snprintf(path, sizeof(path), "items[%zu]", idx);
    if (known_fields(obj, item_fields, path, err) != FH_OK)
        return FH_E_INPUT;
    snprintf(f, sizeof(f), "%s.gtin", path);
    if (text_field(obj, "gtin", f, false, 0, 14, &it->gtin, err) != FH_OK)
        return FH_E_INPUT;
    if (it->gtin && (strlen(it->gtin) < 8 || !all_digits(it->gtin)))
        return fail(err, FH_EC_JSON_FIELD_INVALID, f, "must be 8 to 14 digits");
    snprintf(f, sizeof(f), "%s.name", path);
    if (text_field(obj, "name", f, true, 1, 2048, &it->name, err) != FH_OK)
        return FH_E_INPUT;
    snprintf(f, sizeof(f), "%s.quantity", path);
    if (amount_field(obj, "quantity", f, 3, true, &it->quantity, err) != FH_OK)
        return FH_E_INPUT;
    snprintf(f, sizeof(f), "%s.unit_price", path);
    if (amount_field(obj, "unit_price", f, 4, false, &it->unit_price, err) != FH_OK)
        return FH_E_INPUT;
    snprintf(f, sizeof(f), "%s.labels", path);
    json_t *labels = NULL;
    if (array_field(obj, "labels", f, 1, FH_FISCAL_MAX_LABELS, &labels, err) != FH_OK ||
        parse_labels(labels, f, it, err) != FH_OK)
        return FH_E_INPUT;
    snprintf(f, sizeof(f), "%s.total", path);
    return amount_field(obj, "total", f, 4, false, &it->total, err);
}

static enum fh_rc parse_payment(json_t *obj, size_t idx, struct fh_fiscal_payment *p,
                                struct fh_json_error *err)
{
    char path[48], f[80];
    snprintf(path, sizeof(path), "payments[%zu]", idx);
    if (known_fields(obj, payment_fields, path, err) != FH_OK)
        return FH_E_INPUT;
    int m = 0;
    snprintf(f, sizeof(f), "%s.method", path);
    if (enum_field(obj, "method", f, payment_methods, &m, err) != FH_OK)
        return FH_E_INPUT;
    p->method = (enum fh_payment_method)m;
    snprintf(f, sizeof(f), "%s.amount", path);
    return amount_field(obj, "amount", f, 4, false, &p->amount, err);
}

static enum fh_rc parse_lists(json_t *payments, json_t *items, struct fh_fiscal_invoice *out,
                              struct fh_json_error *err)
{
    out->payments = fh_calloc(json_array_size(payments) + 1, sizeof(*out->payments));
    for (size_t i = 0; i < json_array_size(payments); i++) {
        if (parse_payment(json_array_get(payments, i), i, &out->payments[i], err) != FH_OK)
            return FH_E_INPUT;
        out->npayments++;
    }
    out->items = fh_calloc(json_array_size(items) + 1, sizeof(*out->items));
    for (size_t i = 0; i < json_array_size(items); i++) {
        out->nitems++; /* counted first so that free() sees a half-parsed item */
        if (parse_item(json_array_get(items, i), i, &out->items[i], err) != FH_OK)
            return FH_E_INPUT;
    }
    return FH_OK;
}

/* ---- cross-field rules ---- */

static enum fh_rc check_rules(const struct fh_fiscal_invoice *inv, struct fh_json_error *err)
{
    bool needs_ref =
        inv->transaction_type == FH_TRANSACTION_REFUND || inv->invoice_type == FH_INVOICE_COPY;
    if (needs_ref && !inv->referent_document_number)
        return fail(err, FH_EC_FISCAL_INVOICE_RULE, "referent_document_number",
                    "is required for a refund and for a copy");
    if (needs_ref && !inv->referent_document_time)
        return fail(err, FH_EC_FISCAL_INVOICE_RULE, "referent_document_time",
                    "is required for a refund and for a copy");
    if (!inv->referent_document_number != !inv->referent_document_time)
        return fail(err, FH_EC_FISCAL_INVOICE_RULE,
                    inv->referent_document_number ? "referent_document_time"
                                                  : "referent_document_number",
                    "must be given together with the other referent_document field");
    if (inv->referent_document_number &&
        !fh_fiscal_referent_number_valid(inv->referent_document_number))
        return fail(err, FH_EC_JSON_FIELD_INVALID, "referent_document_number",
                    "must look like RequestedBy-SignedBy-Counter (e.g. AB12CD34-AB12CD34-17)");
    if (inv->referent_document_time &&
        fh_fiscal_time_parse(inv->referent_document_time, false, NULL) != FH_OK)
        return fail(err, FH_EC_JSON_FIELD_INVALID, "referent_document_time",
                    "must be an RFC 3339 date-time like 2026-11-21T10:00:00.000+01:00");
    if (inv->buyer_cost_center_id && !inv->buyer_id)
        return fail(err, FH_EC_FISCAL_INVOICE_RULE, "buyer_id",
                    "is required when buyer_cost_center_id is given");
    return FH_OK;
}

static enum fh_rc parse_texts(json_t *obj, struct fh_fiscal_invoice *out, struct fh_json_error *err)
{
    if (text_field(obj, "referent_document_number", "referent_document_number", false, 1, 50,
                   &out->referent_document_number, err) != FH_OK ||
        text_field(obj, "referent_document_time", "referent_document_time", false, 1, 40,
                   &out->referent_document_time, err) != FH_OK ||
        text_field(obj, "cashier", "cashier", false, 1, 50, &out->cashier, err) != FH_OK ||
        text_field(obj, "buyer_id", "buyer_id", false, 1, 20, &out->buyer_id, err) != FH_OK ||
        text_field(obj, "buyer_cost_center_id", "buyer_cost_center_id", false, 1, 50,
                   &out->buyer_cost_center_id, err) != FH_OK ||
        text_field(obj, "pos_invoice_number", "pos_invoice_number", false, 1, 60,
                   &out->pos_invoice_number, err) != FH_OK)
        return FH_E_INPUT;
    return FH_OK;
}

static const char *const invoice_fields[] = {"invoice_type",
                                             "transaction_type",
                                             "referent_document_number",
                                             "referent_document_time",
                                             "cashier",
                                             "buyer_id",
                                             "buyer_cost_center_id",
                                             "pos_invoice_number",
                                             "payments",
                                             "items",
                                             NULL};

enum fh_rc fh_fiscal_invoice_parse(json_t *obj, struct fh_fiscal_invoice *out,
                                   struct fh_json_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *payments = NULL, *items = NULL;
    int itype = 0, ttype = 0;
    enum fh_rc rc = known_fields(obj, invoice_fields, "", err);
    if (rc == FH_OK &&
        (enum_field(obj, "invoice_type", "invoice_type", invoice_types, &itype, err) != FH_OK ||
         enum_field(obj, "transaction_type", "transaction_type", transaction_types, &ttype, err) !=
             FH_OK))
        rc = FH_E_INPUT;
    if (rc == FH_OK) {
        out->invoice_type = (enum fh_invoice_type)itype;
        out->transaction_type = (enum fh_transaction_type)ttype;
        rc = parse_texts(obj, out, err);
    }
    if (rc == FH_OK &&
        (array_field(obj, "payments", "payments", 1, FH_FISCAL_MAX_PAYMENTS, &payments, err) !=
             FH_OK ||
         array_field(obj, "items", "items", 1, FH_FISCAL_MAX_ITEMS, &items, err) != FH_OK))
        rc = FH_E_INPUT;
    if (rc == FH_OK)
        rc = parse_lists(payments, items, out, err);
    if (rc == FH_OK)
        rc = check_rules(out, err);
    if (rc != FH_OK)
        fh_fiscal_invoice_free(out);
    return rc;
}

/* ---- back to JSON ---- */

static void set_opt(json_t *o, const char *name, const char *v)
{
    if (v)
        json_object_set_new(o, name, json_string(v));
}

json_t *fh_fiscal_invoice_json(const struct fh_fiscal_invoice *inv)
{
    json_t *o = json_object();
    json_object_set_new(o, "invoice_type", json_string(fh_invoice_type_name(inv->invoice_type)));
    json_object_set_new(o, "transaction_type",
                        json_string(fh_transaction_type_name(inv->transaction_type)));
    set_opt(o, "referent_document_number", inv->referent_document_number);
    set_opt(o, "referent_document_time", inv->referent_document_time);
    set_opt(o, "cashier", inv->cashier);
    set_opt(o, "buyer_id", inv->buyer_id);
    set_opt(o, "buyer_cost_center_id", inv->buyer_cost_center_id);
    set_opt(o, "pos_invoice_number", inv->pos_invoice_number);
    json_t *pays = json_array();
    for (size_t i = 0; i < inv->npayments; i++)
        json_array_append_new(
            pays, json_pack("{s:s, s:o}", "method", fh_payment_method_name(inv->payments[i].method),
                            "amount", fh_fiscal_decimal_json(inv->payments[i].amount)));
    json_object_set_new(o, "payments", pays);
    json_t *items = json_array();
    for (size_t i = 0; i < inv->nitems; i++) {
        const struct fh_fiscal_item *it = &inv->items[i];
        json_t *labels = json_array();
        for (size_t k = 0; k < it->nlabels; k++)
            json_array_append_new(labels, json_string(it->labels[k]));
        json_t *j = json_object();
        set_opt(j, "gtin", it->gtin);
        json_object_set_new(j, "name", json_string(it->name));
        json_object_set_new(j, "quantity", fh_fiscal_decimal_json(it->quantity));
        json_object_set_new(j, "unit_price", fh_fiscal_decimal_json(it->unit_price));
        json_object_set_new(j, "labels", labels);
        json_object_set_new(j, "total", fh_fiscal_decimal_json(it->total));
        json_array_append_new(items, j);
    }
    json_object_set_new(o, "items", items);
    return o;
}

int64_t fh_fiscal_invoice_total(const struct fh_fiscal_invoice *inv)
{
    int64_t sum = 0;
    for (size_t i = 0; i < inv->nitems; i++)
        sum += inv->items[i].total; /* bounded by AMOUNT_MAX * FH_FISCAL_MAX_ITEMS */
    return sum;
}

bool fh_fiscal_invoice_is_fiscal(const struct fh_fiscal_invoice *inv)
{
    return inv->invoice_type == FH_INVOICE_NORMAL || inv->invoice_type == FH_INVOICE_ADVANCE;
}

void fh_fiscal_decimal(int64_t v, char *out, size_t outsize)
{
    char b[40];
    fh_money_fmt(v, 4, b, sizeof(b)); /* exact: 4 decimals are all there is */
    char *dot = strchr(b, '.');
    if (dot) {
        char *end = b + strlen(b) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *dot = '\0';
    }
    fh_strlcpy(out, b, outsize);
}

json_t *fh_fiscal_decimal_json(int64_t v)
{
    char b[40];
    fh_fiscal_decimal(v, b, sizeof(b));
    return json_string(b);
}

json_t *fh_fiscal_decimal_cell(const struct fh_rows *r, size_t row, size_t col)
{
    return fh_rows_get(r, row, col) ? fh_fiscal_decimal_json(fh_rows_i64(r, row, col, 0))
                                    : json_null();
}
