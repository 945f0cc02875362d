/* mapping.c - what every partner's mapping to the canonical invoice (docs/api/fiscal-invoices.md)
 * shares: amounts read exactly into int64 ten-thousandths, text made fit for the V-SDC, tax
 * labels through the integration's mapping, and an item built from a tax-included line total.
 *
 * Amounts: partners send JSON numbers with at most 4 decimals (or decimal strings); a double
 * holds such a value exactly enough that rounding to the nearest ten-thousandth recovers it
 * below 10^11, and all arithmetic is integer from there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_money.h"

bool fh_conn_money(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > 10000000000LL || i < -10000000000LL)
            return false;
        *out = (int64_t)i * FH_MONEY_SCALE;
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || fabs(d) >= 1e11)
            return false;
        *out = (int64_t)llround(d * FH_MONEY_SCALE);
        return true;
    }
    if (json_is_string(v))
        return fh_money_parse(json_string_value(v), out) == FH_OK;
    return false;
}

char *fh_conn_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *o = fh_strndup(s, n);
    for (char *p = o; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return o;
}

const char *fh_conn_label(json_t *settings, const char *key1, const char *key2)
{
    json_t *m = json_object_get(settings, "tax_mapping");
    const char *l = key1 && key1[0] ? json_string_value(json_object_get(m, key1)) : NULL;
    if (!l && key2 && key2[0])
        l = json_string_value(json_object_get(m, key2));
    if (!l)
        l = json_string_value(json_object_get(settings, "default_label"));
    return l ? l : "A";
}

json_t *fh_conn_item(const char *name, int64_t qty, int64_t total, const char *label)
{
    if (qty <= 0 || total < 0)
        return NULL;
    char *text = fh_conn_text(name && name[0] ? name : "Item", 2000);
    if (qty % 10 != 0) { /* a 4th decimal: one unit at the line total */
        char q4[40];
        fh_money_fmt(qty, 4, q4, sizeof(q4));
        char *named = fh_asprintf("%s x %s", text, q4);
        free(text);
        text = named;
        qty = FH_MONEY_SCALE;
    }
    __int128 num = (__int128)total * FH_MONEY_SCALE;
    int64_t unit = (int64_t)((2 * num + qty) / (2 * (__int128)qty));
    char qtxt[40];
    fh_fiscal_decimal(qty, qtxt, sizeof(qtxt));
    json_t *item = json_pack("{s:s, s:s, s:o, s:[s], s:o}", "name", text, "quantity", qtxt,
                             "unit_price", fh_fiscal_decimal_json(unit), "labels", label, "total",
                             fh_fiscal_decimal_json(total));
    free(text);
    return item;
}

bool fh_conn_home_currency(json_t *rate, const char *currency, char *why, size_t whysize)
{
    if (!json_is_number(rate) || fabs(json_number_value(rate) - 1.0) < 1e-9)
        return true;
    snprintf(why, whysize,
             "the document is in %.3s at an exchange rate of %.6g: fiscalhub fiscalizes only "
             "documents in the organisation's own currency",
             currency && currency[0] ? currency : "another currency", json_number_value(rate));
    return false;
}
