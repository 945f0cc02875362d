/* test_mapfuzz.c - what a partner sends, mutated: Xero invoices and credit notes and Zoho Books
 * invoices with one or two fields removed, retyped, emptied, made huge or odd (a fixed seed, so a
 * failure repeats; FH_FUZZ_SEED and FH_FUZZ_CASES vary it, FH_FUZZ_SHOW=1 prints the fiscal
 * module's refusals). For each, the connectors' pure functions (the trigger decision, the tax
 * total, the mapping) must answer without a crash or a sanitizer report; a mapping either refuses
 * with a reason or gives a canonical invoice, which the fiscal module then accepts or refuses
 * naming the field (the connector lists the document as refused with those words). The unmutated
 * documents map to accepted invoices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_fiscal.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

static uint32_t rnd_state;

static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static json_t *deep(int n)
{
    return n == 0 ? json_integer(1) : json_pack("[o]", deep(n - 1));
}

/* One of the odd values a field may be given (new reference). */
static json_t *odd_value(void)
{
    /* clang-format off */
    static const char *const texts[] = {
        "", " ", "0", "-0", "-1", "1.", ".5", "+1", "1,5", "0x10", "1e3", "1e999", "NaN",
        "Infinity", "99999999999999999999.99", "100000000000", "0.00001", "\xD0\x96",
        "\xF0\x9F\x98\x80", "a\tb", "\xE2\x80\xAE", "/Date(1552326816230+0000)/",
        "/Date(-99999999999999999)/", "2026-13-45T99:99:99", "AUTHORISED", "PAID", "VOIDED",
        "Exclusive", "Inclusive", "NoTax", "sent", "paid", "void", "ACCRECCREDIT", "ACCPAY"};
    /* clang-format on */
    switch (rnd() % 14) {
    case 0:
        return json_null();
    case 1:
        return json_true();
    case 2:
        return json_integer(-1);
    case 3:
        return json_integer(0);
    case 4:
        return json_real(1e308);
    case 5:
        return json_real(-1e-308);
    case 6:
        return json_real(0.00005);
    case 7:
        return json_integer(INT64_MAX);
    case 8:
        return json_array();
    case 9:
        return json_object();
    case 10:
        return deep(30);
    case 11: {
        char *big = malloc(20001);
        memset(big, 'x', 20000);
        big[20000] = '\0';
        json_t *s = json_string(big);
        free(big);
        return s;
    }
    default:
        return json_string(texts[rnd() % (sizeof(texts) / sizeof(texts[0]))]);
    }
}

/* Every container and key (or index) below v, as (parent, key or NULL, index). */
struct slot {
    json_t *parent;
    const char *key;
    size_t index;
};

static void slots(json_t *v, struct slot *out, size_t *n, size_t cap)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            if (*n < cap)
                out[(*n)++] = (struct slot){v, k, 0};
            slots(x, out, n, cap);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (*n < cap)
                out[(*n)++] = (struct slot){v, NULL, i};
            slots(json_array_get(v, i), out, n, cap);
        }
    }
}

/* One mutation of doc (in place): a field removed, given an odd value, or an array grown. */
static void mutate(json_t *doc)
{
    struct slot s[512];
    size_t n = 0;
    slots(doc, s, &n, 512);
    if (n == 0)
        return;
    struct slot *at = &s[rnd() % n];
    unsigned kind = rnd() % 6;
    if (kind == 0) {
        if (at->key)
            json_object_del(at->parent, at->key);
        else
            json_array_remove(at->parent, at->index);
        return;
    }
    json_t *cur =
        at->key ? json_object_get(at->parent, at->key) : json_array_get(at->parent, at->index);
    if (kind == 1 && json_is_array(cur) && json_array_size(cur) > 0) {
        json_t *first = json_deep_copy(json_array_get(cur, 0));
        for (int i = 0; i < 300; i++)
            json_array_append(cur, first);
        json_decref(first);
        return;
    }
    if (at->key)
        json_object_set_new(at->parent, at->key, odd_value());
    else
        json_array_set_new(at->parent, at->index, odd_value());
}

/* Whether the fiscal module accepts the canonical invoice c; when it does not, its refusal must
 * name the field (the connector then lists the document as refused with those words,
 * fh_conn_submit). */
static bool accepted(json_t *c)
{
    struct fh_fiscal_invoice fi;
    struct fh_json_error err;
    memset(&err, 0, sizeof(err));
    if (fh_fiscal_invoice_parse(c, &fi, &err) != FH_OK) {
        assert_true(err.detail[0] != '\0');
        if (getenv("FH_FUZZ_SHOW"))
            print_message("  refused by the fiscal module: %s\n", err.detail);
        return false;
    }
    fh_fiscal_invoice_free(&fi);
    return true;
}

static unsigned seed_of(void)
{
    const char *s = getenv("FH_FUZZ_SEED");
    return s ? (unsigned)strtoul(s, NULL, 10) : 20261123u;
}

static int cases_of(void)
{
    const char *s = getenv("FH_FUZZ_CASES");
    return s ? atoi(s) : 3000;
}

static const char *const xero_base =
    "{\"Type\":\"ACCREC\",\"InvoiceID\":\"11111111-2222-3333-4444-555555555555\","
    "\"InvoiceNumber\":\"INV-0001\",\"Status\":\"PAID\",\"LineAmountTypes\":\"Exclusive\","
    "\"AmountPaid\":59.34,\"AmountDue\":0,\"Total\":59.34,\"TotalTax\":7.0,\"SubTotal\":52.34,"
    "\"CurrencyCode\":\"RSD\",\"CurrencyRate\":1,\"Date\":\"/Date(1552326816230+0000)/\","
    "\"UpdatedDateUTC\":\"/Date(1552326816230+0000)/\","
    "\"Contact\":{\"Name\":\"Acme\",\"TaxNumber\":\"123456789\"},"
    "\"Payments\":[{\"Amount\":59.34,\"Date\":\"/Date(1552326816230+0000)/\"}],"
    "\"LineItems\":[{\"Description\":\"Widget\",\"Quantity\":3,\"UnitAmount\":10.0,"
    "\"LineAmount\":30.0,\"TaxAmount\":6.0,\"TaxType\":\"TAX001\",\"DiscountRate\":0},"
    "{\"Description\":\"Text only\"},"
    "{\"Description\":\"Book\",\"Quantity\":3,\"UnitAmount\":3.33,\"LineAmount\":9.99,"
    "\"TaxAmount\":1.0,\"TaxType\":\"TAX002\"},"
    "{\"Description\":\"Odd\",\"Quantity\":1.2345,\"LineAmount\":12.35,\"TaxAmount\":0,"
    "\"TaxType\":\"NONE\"}]}";

static const char *const zoho_base =
    "{\"invoice_id\":\"460000000027061\",\"invoice_number\":\"INV-00042\",\"status\":\"paid\","
    "\"is_inclusive_tax\":false,\"total\":255.99,\"balance\":0,\"tax_total\":41.0,"
    "\"currency_code\":\"RSD\",\"exchange_rate\":1,\"discount\":0,\"adjustment\":0,"
    "\"vat_reg_no\":\"RS123456789\",\"last_modified_time\":\"2026-04-23T14:15:00+0100\","
    "\"payments\":[{\"payment_mode\":\"cash\",\"amount\":255.99}],"
    "\"line_items\":[{\"name\":\"Widget\",\"rate\":100,\"quantity\":2,\"item_total\":200,"
    "\"discount\":0,\"tax_id\":\"1\",\"tax_name\":\"VAT\",\"tax_percentage\":20},"
    "{\"name\":\"Book\",\"rate\":3.33,\"quantity\":3,\"item_total\":9.99,\"tax_id\":\"2\","
    "\"tax_name\":\"Reduced VAT\",\"tax_percentage\":10},"
    "{\"name\":\"\",\"description\":\"Service\\tfee\",\"rate\":5,\"quantity\":1,"
    "\"item_total\":5,\"tax_id\":\"\",\"tax_name\":\"\",\"tax_percentage\":0}]}";

static json_t *settings(void)
{
    json_t *s = json_loads("{\"tax_mapping\":{\"TAX002\":\"\xD0\x96\",\"VAT\":\"A\"},"
                           "\"default_label\":\"B\"}",
                           0, NULL);
    assert_non_null(s);
    return s;
}

/* A partner's pure functions: look runs the ones that decide and read (their answers do not
 * matter, only that they answer), map the mapping. */
struct partner {
    const char *name, *base;
    unsigned seed_offset;
    void (*look)(json_t *doc);
    enum fh_rc (*map)(json_t *doc, json_t *settings, json_t **c, char *why, size_t whysize);
};

static void xero_look(json_t *doc)
{
    if (rnd() % 4 == 0) /* a credit note: a refund of a signed sale */
        json_object_set_new(doc, "Type", json_string("ACCRECCREDIT"));
    char why[300];
    int64_t ms, tax;
    (void)fh_xero_decide_invoice(doc, rnd() % 2 ? "payment" : "approval", why, sizeof(why));
    (void)fh_xero_tax_total(doc, &tax);
    (void)fh_xero_date(json_string_value(json_object_get(doc, "Date")), &ms);
}

static enum fh_rc xero_map(json_t *doc, json_t *settings, json_t **c, char *why, size_t whysize)
{
    bool credit = rnd() % 2;
    return fh_xero_map(doc, settings, credit ? "ABCD1234-ABCD1234-1" : NULL,
                       credit ? "2026-11-23T10:00:00.000+01:00" : NULL, c, why, whysize);
}

static void zoho_look(json_t *doc)
{
    char why[300];
    int64_t ms, tax;
    (void)fh_zoho_due(doc, rnd() % 2 ? "paid" : "sent", why, sizeof(why));
    (void)fh_zoho_tax_total(doc, &tax);
    (void)fh_zoho_time(json_string_value(json_object_get(doc, "last_modified_time")), &ms);
}

static void run(const struct partner *pt)
{
    unsigned seed = seed_of() + pt->seed_offset;
    rnd_state = seed ? seed : 1;
    json_t *base = json_loads(pt->base, 0, NULL), *set = settings();
    assert_non_null(base);
    json_t *c = NULL;
    char why[300] = "";
    if (pt->map(base, set, &c, why, sizeof(why)) != FH_OK)
        fail_msg("the %s base does not map: %s", pt->name, why);
    assert_true(accepted(c));
    json_decref(c);
    int mapped = 0, refused = 0, refused_later = 0;
    for (int i = 0; i < cases_of(); i++) {
        json_t *doc = json_deep_copy(base);
        mutate(doc);
        if (rnd() % 3 == 0)
            mutate(doc);
        pt->look(doc);
        c = NULL;
        why[0] = '\0';
        if (pt->map(doc, set, &c, why, sizeof(why)) == FH_OK) {
            if (accepted(c))
                mapped++;
            else
                refused_later++;
            json_decref(c);
        } else {
            assert_true(why[0] != '\0');
            refused++;
        }
        json_decref(doc);
    }
    print_message("%s (FH_FUZZ_SEED=%u): %d mapped, %d refused by the mapping, %d by the fiscal "
                  "module\n",
                  pt->name, seed, mapped, refused, refused_later);
    assert_true(mapped > 0 && refused > 0);
    json_decref(base);
    json_decref(set);
}

static void test_xero(void **state)
{
    (void)state;
    run(&(struct partner){"xero", xero_base, 0, xero_look, xero_map});
}

static void test_zoho(void **state)
{
    (void)state;
    run(&(struct partner){"zoho", zoho_base, 1, zoho_look, fh_zoho_map});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xero),
        cmocka_unit_test(test_zoho),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
