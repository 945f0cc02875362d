/* test_vsdc.c - the V-SDC emulator's pure parts: tax arithmetic (every vector of spec §8),
 * request validation codes, the journal layout, counters, the verification blob and URL, and
 * the QR GIF. The emulator's sources are compiled into this program directly (they live in
 * sandbox/, outside libfh); cmocka needs its includes in this order. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../sandbox/vsdc/journal.c"
#include "../../sandbox/vsdc/qr_gif.c"
#include "../../sandbox/vsdc/request.c"
#include "../../sandbox/vsdc/tax.c"
#include "../../sandbox/vsdc/verify_url.c"
// clang-format on

/* ---- tax ---- */

struct want {
    const char *label;
    int64_t amount;
};

static void item(struct vsdc_item *it, int64_t total, int64_t qty, const char *l1, const char *l2,
                 const char *l3)
{
    memset(it, 0, sizeof(*it));
    it->total = total;
    it->quantity = qty;
    it->unit_price = total;
    const char *ls[] = {l1, l2, l3};
    for (size_t i = 0; i < 3; i++)
        if (ls[i])
            fh_strlcpy(it->labels[it->nlabels++], ls[i], VSDC_LABEL_MAX);
}

static void check_taxes(const struct vsdc_tax_group *g, const struct vsdc_item *items, size_t n,
                        const struct want *want, size_t nwant)
{
    struct vsdc_tax_item out[VSDC_MAX_TAX_ITEMS];
    size_t nout = 0, bad = 99;
    assert_int_equal(vsdc_tax_compute(g, items, n, out, VSDC_MAX_TAX_ITEMS, &nout, &bad), FH_OK);
    assert_int_equal(nout, nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_string_equal(out[i].label, want[i].label);
        assert_int_equal(out[i].amount, want[i].amount);
    }
}

static const struct vsdc_tax_group *group5(struct vsdc_tax_groups *gs)
{
    vsdc_tax_groups_default(gs);
    const struct vsdc_tax_group *g = &gs->groups[2];
    assert_int_equal(g->group_id, 5);
    return g;
}

static void test_tax_vectors(void **state)
{
    (void)state;
    struct vsdc_tax_groups gs;
    const struct vsdc_tax_group *g = group5(&gs);
    struct vsdc_item it[2];
    item(&it[0], 684600, 20000, "A", NULL, NULL); /* 68.46 [A 9] */
    check_taxes(g, it, 1, (struct want[]){{"A", 56527}}, 1);
    item(&it[0], 1000000, 10000, "F", NULL, NULL); /* 100.00 [F 11] */
    check_taxes(g, it, 1, (struct want[]){{"F", 99099}}, 1);
    item(&it[1], 2000000, 10000, "F", NULL, NULL); /* + 200.00 [F] */
    check_taxes(g, it, 2, (struct want[]){{"F", 297297}}, 1);
    item(&it[0], 2302500, 10000, "A", NULL, NULL); /* 230.25 [A], 26.00 [B, F] */
    item(&it[1], 260000, 10000, "B", "F", NULL);
    check_taxes(g, it, 2, (struct want[]){{"A", 190115}, {"B", 0}, {"F", 25766}}, 3);
    /* 120.00 qty 3 [A, T TaxOnTotal, P AmountPerQuantity] + 10.01 [A] */
    item(&it[0], 1200000, 30000, "A", "T", "P");
    item(&it[1], 100100, 10000, "A", NULL, NULL);
    check_taxes(g, it, 2, (struct want[]){{"A", 104191}, {"P", 15000}, {"T", 23235}}, 3);
    vsdc_tax_groups_free(&gs);
}

static void test_tax_rounding_and_labels(void **state)
{
    (void)state;
    struct vsdc_tax_groups gs;
    const struct vsdc_tax_group *g = group5(&gs);
    struct vsdc_item it[3];
    for (int i = 0; i < 3; i++) /* 3 x 0.01 @ 9 %: rounded per item, 0.0024 (not 0.0025) */
        item(&it[i], 100, 10000, "A", NULL, NULL);
    check_taxes(g, it, 3, (struct want[]){{"A", 24}}, 1);
    item(&it[0], 1000000, 10000, "F", "F", NULL); /* a repeated label counts once */
    check_taxes(g, it, 1, (struct want[]){{"F", 99099}}, 1);
    item(&it[0], 1000000, 10000, "\xD0\x96", NULL, NULL); /* Cyrillic Zhe 19 % sorts after Latin */
    item(&it[1], 1000000, 10000, "N", NULL, NULL);
    check_taxes(g, it, 2, (struct want[]){{"N", 0}, {"\xD0\x96", 159664}}, 2);
    struct vsdc_tax_item out[4];
    size_t nout, bad = 0;
    item(&it[1], 100, 10000, "A", NULL, NULL);
    item(&it[2], 100, 10000, "\xD0\x90", NULL, NULL); /* Cyrillic A is not Latin A */
    assert_int_equal(vsdc_tax_compute(g, it, 3, out, 4, &nout, &bad), FH_E_NOTFOUND);
    assert_int_equal(bad, 2);
    assert_int_equal(vsdc_muldiv_round(5, 1, 10), 1); /* 0.5 -> 1: half up */
    assert_int_equal(vsdc_muldiv_round(4, 1, 10), 0);
    assert_int_equal(vsdc_muldiv_round(-5, 1, 10), -1); /* half away from zero */
    assert_int_equal(vsdc_muldiv_round(INT64_MAX / 2, 4, 4),
                     INT64_MAX / 2); /* __int128 intermediate */
    vsdc_tax_groups_free(&gs);
}

/* Serbian certification examples (2 dp) with a production-like group from JSON. */
static void test_tax_groups_json(void **state)
{
    (void)state;
    const char *text =
        "[{\"validFrom\":\"2024-01-01T00:00:00Z\",\"groupId\":9,\"taxCategories\":[{\"name\":"
        "\"VAT\","
        "\"categoryType\":\"TaxOnNet\",\"orderId\":1,\"taxRates\":[{\"rate\":20,\"label\":\"Ђ\"},"
        "{\"rate\":10,\"label\":\"Е\"},{\"rate\":9,\"label\":\"A\"}]}]}]";
    json_t *arr = json_loads(text, 0, NULL);
    struct vsdc_tax_groups gs = {0};
    char err[200];
    assert_int_equal(vsdc_tax_groups_from_json(arr, &gs, err, sizeof(err)), FH_OK);
    json_decref(arr);
    assert_non_null(vsdc_tax_group_at(&gs, fh_now_ms()));
    assert_null(vsdc_tax_group_at(&gs, 0));
    struct vsdc_item it;
    const struct {
        int64_t total;
        const char *label;
        int64_t tax2dp;
    } cases[] = {
        {3499000, "Ђ", 5832},
        {400000, "Е", 364},
        {70000000, "Ђ", 116667},
        {211000, "A", 174},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        item(&it, cases[i].total, 10000, cases[i].label, NULL, NULL);
        struct vsdc_tax_item out[2];
        size_t nout, bad;
        assert_int_equal(vsdc_tax_compute(&gs.groups[0], &it, 1, out, 2, &nout, &bad), FH_OK);
        assert_int_equal(vsdc_muldiv_round(out[0].amount, 1, 100), cases[i].tax2dp);
    }
    vsdc_tax_groups_free(&gs);
    arr = json_loads("[{\"validFrom\":\"x\",\"groupId\":1,\"taxCategories\":[]}]", 0, NULL);
    assert_int_equal(vsdc_tax_groups_from_json(arr, &gs, err, sizeof(err)), FH_E_INPUT);
    json_decref(arr);
    /* the group in force: latest validFrom <= time */
    vsdc_tax_groups_default(&gs);
    int64_t t;
    vsdc_parse_datetime("2021-07-16T12:00:00Z", &t);
    assert_int_equal(vsdc_tax_group_at(&gs, t)->group_id, 1);
    vsdc_parse_datetime("2021-12-19T22:59:59Z", &t);
    assert_int_equal(vsdc_tax_group_at(&gs, t)->group_id, 2);
    vsdc_parse_datetime("2021-12-19T23:00:00Z", &t);
    assert_int_equal(vsdc_tax_group_at(&gs, t)->group_id, 5);
    vsdc_parse_datetime("2020-01-01T00:00:00Z", &t);
    assert_null(vsdc_tax_group_at(&gs, t));
    vsdc_tax_groups_free(&gs);
}

/* ---- request validation ---- */

static const struct vsdc_limits lim = {.max_items = 3, .max_labels = 4};

/* Parses text and returns the comma-joined "property=code" list ("" when valid). */
static char *errors_of(const char *text, struct vsdc_invoice_req *keep)
{
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    struct vsdc_invoice_req r;
    struct vsdc_errors errs;
    vsdc_request_parse(root, &lim, &r, &errs);
    struct fh_buf b;
    fh_buf_init(&b, 4096);
    fh_buf_appendf(&b, "%s", "");
    for (size_t i = 0; i < errs.n; i++)
        fh_buf_appendf(&b, "%s%s=%s", i ? "," : "", errs.e[i].property, errs.e[i].code);
    if (keep)
        *keep = r;
    else
        vsdc_request_free(&r);
    json_decref(root);
    return fh_buf_steal(&b);
}

static void expect_errors(const char *text, const char *want)
{
    char *got = errors_of(text, NULL);
    assert_string_equal(got, want);
    free(got);
}

#define ITEM                                                                                       \
    "{\"name\":\"Cable\",\"quantity\":1,\"unitPrice\":100.87,\"labels\":[\"A\"],\"totalAmount\":"  \
    "100.87}"
#define PAY "\"payment\":[{\"amount\":100.87,\"paymentType\":\"cash\"}]"

static void test_request_valid_forms(void **state)
{
    (void)state;
    struct vsdc_invoice_req r;
    char *e = errors_of(
        "{\"InvoiceType\":\"normal\",\"TRANSACTIONTYPE\":\"Sale\"," PAY ",\"unknownThing\":[1,2],"
        "\"hash\":\"x\",\"cashier\":null,\"options\":{\"omitQRCodeGen\":\"1\"},"
        "\"items\":[" ITEM ",{\"name\":\"L\",\"quantity\":\"2.5\",\"unitPrice\":\"1.10\","
        "\"labels\":[\"A\",\"F\"],\"totalAmount\":2.75,\"discount\":null}]}",
        &r);
    assert_string_equal(e, "");
    free(e);
    assert_int_equal(r.invoice_type, VSDC_NORMAL);
    assert_int_equal(r.transaction_type, VSDC_SALE);
    assert_int_equal(r.payments[0].type, 1);
    assert_int_equal(r.items[0].unit_price, 1008700);
    assert_int_equal(r.items[1].quantity, 25000);
    assert_int_equal(r.items[1].nlabels, 2);
    assert_true(r.omit_qr);
    assert_false(r.omit_journal);
    assert_null(r.cashier);
    vsdc_request_free(&r);
    expect_errors("{\"invoiceType\":2,\"transactionType\":1," PAY ",\"items\":[" ITEM "],"
                  "\"referentDocumentNumber\":\"YJLQTEQR-YJLQTEQR-11389\",\"referentDocumentDT\":"
                  "\"2023-06-06T13:21:15.504282+02:00\",\"payment\":[{\"amount\":1,\"paymentType\":"
                  "\"WireTransfer\"}]}",
                  "");
}

static void test_request_error_codes(void **state)
{
    (void)state;
    expect_errors("{" PAY ",\"items\":[" ITEM "]}", "invoiceType=2800,transactionType=2800");
    expect_errors("{\"invoiceType\":7,\"transactionType\":\"Return\"," PAY ",\"items\":[" ITEM "]}",
                  "invoiceType=2805,transactionType=2805");
    expect_errors("{\"invoiceType\":0,\"transactionType\":1," PAY ",\"items\":[" ITEM "]}",
                  "referentDocumentNumber=2800");
    expect_errors("{\"invoiceType\":\"Copy\",\"transactionType\":0," PAY ",\"items\":[" ITEM "],"
                  "\"referentDocumentNumber\":\"YJLQTEQR-YJLQTEQ-1\"}",
                  "referentDocumentNumber=2806");
    expect_errors("{\"invoiceType\":0,\"transactionType\":0,\"items\":[]}",
                  "payment=2800,items=2807");
    expect_errors("{\"invoiceType\":0,\"transactionType\":0," PAY ",\"items\":[" ITEM "," ITEM
                  "," ITEM "," ITEM "]}",
                  "items=2808");
    expect_errors(
        "{\"invoiceType\":0,\"transactionType\":0," PAY ",\"cashier\":\"" /* 51 characters */
        "123456789012345678901234567890123456789012345678901\",\"buyerCostCenterId\":\"x\","
        "\"dateAndTimeOfIssue\":\"06.06.2023\",\"items\":[{\"gtin\":\"1234567\",\"name\":\"\","
        "\"quantity\":0,\"unitPrice\":-1,\"labels\":[],\"totalAmount\":\"abc\"}]}",
        "cashier=2801,buyerId=2800,dateAndTimeOfIssue=2806,items[0].gtin=2803,items[0].name=2802,"
        "items[0].quantity=2804,items[0].unitPrice=2804,items[0].totalAmount=2805,items[0].labels="
        "2807");
    expect_errors("{\"invoiceType\":0,\"transactionType\":0," PAY
                  ",\"items\":[{\"quantity\":1,\"unitPrice\":1,"
                  "\"labels\":[\"AB\"],\"totalAmount\":1}]}",
                  "items[0].name=2800,items[0].labels[0]=2805");
    char big[2100];
    memset(big, 'x', 2049);
    big[2049] = '\0';
    char *doc = fh_asprintf("{\"invoiceType\":0,\"transactionType\":0," PAY
                            ",\"items\":[{\"name\":\"%s\",\"quantity\":1,"
                            "\"unitPrice\":1,\"labels\":[\"A\"],\"totalAmount\":1}]}",
                            big);
    expect_errors(doc, "items[0].name=2801");
    free(doc);
    struct vsdc_errors errs = {0};
    vsdc_errors_add(&errs, "2806", "referentDocumentNumber");
    json_t *j = vsdc_errors_json(&errs);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text,
        "{\"message\":\"Bad Request\",\"modelState\":[{\"property\":\"referentDocumentNumber\","
        "\"errors\":[\"2806\"]}]}");
    free(text);
    json_decref(j);
}

static void test_datetime(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(vsdc_parse_datetime("2023-06-06T13:21:15.504282+02:00", &ms));
    assert_int_equal(ms, 1686050475504LL);
    assert_true(vsdc_parse_datetime("2023-06-06T11:21:15.504Z", &ms));
    assert_int_equal(ms, 1686050475504LL);
    assert_true(vsdc_parse_datetime("2021-12-19T23:00:00", &ms));
    assert_int_equal(ms, 1639954800000LL);
    assert_false(vsdc_parse_datetime("2023-13-01T00:00:00Z", &ms));
    assert_false(vsdc_parse_datetime("2023-06-06", &ms));
    assert_false(vsdc_parse_datetime("2023-06-06T10:00:00+0", &ms));
    setenv("TZ", "Europe/Belgrade", 1);
    tzset();
    char out[48];
    vsdc_format_sdc_time(1686050475504282LL, out, sizeof(out));
    assert_string_equal(out, "2023-06-06T13:21:15.504282+02:00");
    vsdc_format_sdc_time(1700000000000001LL, out, sizeof(out)); /* winter: +01:00 */
    assert_string_equal(out, "2023-11-14T23:13:20.000001+01:00");
}

/* ---- counters and journal ---- */

static void test_invoice_counter(void **state)
{
    (void)state;
    char out[48];
    vsdc_invoice_counter(out, sizeof(out), 6, 16,
                         vsdc_counter_extension(VSDC_LANG_EN, VSDC_NORMAL, VSDC_SALE));
    assert_string_equal(out, "6/16NS");
    vsdc_invoice_counter(out, sizeof(out), 8652, 11389,
                         vsdc_counter_extension(VSDC_LANG_SR, VSDC_NORMAL, VSDC_SALE));
    assert_string_equal(out, "8652/11389ПП");
    const char *en[5][2] = {{"NS", "NR"}, {"PS", "PR"}, {"CS", "CR"}, {"TS", "TR"}, {"AS", "AR"}};
    for (int i = 0; i < 5; i++)
        for (int t = 0; t < 2; t++)
            assert_string_equal(vsdc_counter_extension(VSDC_LANG_EN, i, t), en[i][t]);
    assert_string_equal(vsdc_counter_extension(VSDC_LANG_SR, VSDC_COPY, VSDC_REFUND), "КР");
}

/* Splits a journal into lines, checking CRLF endings and 40 code points per line. */
static size_t journal_lines(const char *j, char lines[][256], size_t max)
{
    size_t n = 0;
    const char *p = j;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t len = (size_t)(eol - p);
        assert_true(len < 256 && n < max);
        memcpy(lines[n], p, len);
        lines[n][len] = '\0';
        assert_null(strchr(lines[n], '\n'));
        assert_null(strchr(lines[n], '\r'));
        assert_int_equal(vsdc_utf8_len(lines[n]), 40);
        n++;
        p = eol + 2;
    }
    return n;
}

static char *journal_for(int invoice_type, int tx, enum vsdc_lang lang, const char *cashier)
{
    static struct vsdc_taxpayer tp = {.uid = "YJLQTEQR",
                                      .name = "Demo d.o.o.",
                                      .tin = "106884584",
                                      .location = "Prodavnica 1",
                                      .address = "Bulevar 1",
                                      .district = "Beograd"};
    struct vsdc_item items[1];
    item(&items[0], 1008700, 10000, "A", NULL, NULL);
    items[0].name = (char *)"Cable with a rather long product name that wraps past forty columns";
    struct vsdc_payment pay = {.amount = 1008700, .type = 1};
    struct vsdc_invoice_req req = {.invoice_type = invoice_type,
                                   .transaction_type = tx,
                                   .nitems = 1,
                                   .items = items,
                                   .npayments = 1,
                                   .payments = &pay,
                                   .cashier = (char *)cashier,
                                   .ref_number = tx ? (char *)"YJLQTEQR-YJLQTEQR-1" : NULL};
    struct vsdc_tax_item tax = {.label = "A", .rate = 90000, .amount = 83287, .cat_name = "VAT"};
    struct vsdc_journal_in in = {.lang = lang,
                                 .tp = &tp,
                                 .req = &req,
                                 .tax = &tax,
                                 .ntax = 1,
                                 .total_amount = 1008700,
                                 .sdc_ms = 1686050475504LL,
                                 .invoice_number = "YJLQTEQR-YJLQTEQR-11389",
                                 .invoice_counter = "8652/11389NS"};
    return vsdc_journal_build(&in);
}

static bool has_line(char lines[][256], size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i], want) == 0)
            return true;
    return false;
}

static void test_journal_fiscal(void **state)
{
    (void)state;
    static char lines[200][256];
    char *j = journal_for(VSDC_NORMAL, VSDC_SALE, VSDC_LANG_EN, "Ana\r\nInjected");
    size_t n = journal_lines(j, lines, 200);
    assert_string_equal(lines[0], "============ FISCAL INVOICE ============");
    assert_string_equal(lines[n - 1], "======== END OF FISCAL INVOICE =========");
    assert_null(strstr(j, "NOT A FISCAL"));
    assert_string_equal(lines[1], "               106884584                ");
    assert_true(has_line(lines, n, "--------------NORMAL SALE---------------"));
    assert_true(has_line(
        lines, n, "Cashier:                   Ana  Injected")); /* control characters blanked */
    assert_true(has_line(lines, n, "Total amount:                     100.87"));
    assert_true(has_line(lines, n, "Cash:                             100.87"));
    assert_true(has_line(lines, n, "A       VAT           9.00%         8.33"));
    assert_true(has_line(lines, n, "SDC time:            2023-06-06 13:21:15"));
    assert_true(has_line(lines, n, "SDC invoice no:  YJLQTEQR-YJLQTEQR-11389"));
    assert_true(has_line(lines, n, "Invoice counter:            8652/11389NS"));
    free(j);
    j = journal_for(VSDC_NORMAL, VSDC_SALE, VSDC_LANG_SR, "Ана");
    n = journal_lines(j, lines, 200);
    assert_string_equal(lines[0], "============ ФИСКАЛНИ РАЧУН ============");
    assert_string_equal(lines[n - 1], "======== КРАЈ ФИСКАЛНОГ РАЧУНА =========");
    assert_true(has_line(lines, n, "Укупан износ:                     100,87"));
    assert_true(has_line(lines, n, "ПФР време:          06.06.2023. 13:21:15"));
    free(j);
}

static void test_journal_non_fiscal_and_refund(void **state)
{
    (void)state;
    static char lines[200][256];
    const char *notice = "===== THIS IS NOT A FISCAL RECEIPT =====";
    int types[] = {VSDC_COPY, VSDC_PROFORMA, VSDC_TRAINING};
    for (size_t t = 0; t < 3; t++) {
        char *j = journal_for(types[t], t == 0 ? VSDC_REFUND : VSDC_SALE, VSDC_LANG_EN, NULL);
        size_t n = journal_lines(j, lines, 200), count = 0;
        assert_string_equal(lines[0], notice);
        assert_string_equal(lines[n - 1], notice);
        for (size_t i = 1; i + 1 < n; i++)
            count += strcmp(lines[i], notice) == 0;
        assert_int_equal(count, 1); /* repeated once in the body */
        assert_null(strstr(j, "FISCAL INVOICE"));
        free(j);
    }
    char *j = journal_for(VSDC_NORMAL, VSDC_REFUND, VSDC_LANG_EN, NULL);
    size_t n = journal_lines(j, lines, 200);
    assert_string_equal(lines[0], "============ FISCAL INVOICE ============");
    assert_true(has_line(lines, n, "-------------NORMAL REFUND--------------"));
    assert_true(has_line(lines, n, "Ref. No.:            YJLQTEQR-YJLQTEQR-1"));
    assert_true(has_line(lines, n, "Total refund:                    -100.87"));
    assert_true(has_line(lines, n, "            100.87        1      -100.87"));
    free(j);
}

/* ---- verification blob and URL ---- */

static void sample_blob(struct vsdc_blob *b, const char *buyer)
{
    memset(b, 0, sizeof(*b));
    b->version = 3;
    memcpy(b->requested_by, "YJLQTEQR", 9);
    memcpy(b->signed_by, "YJLQTEQR", 9);
    b->total_counter = 11389;
    b->ttc = 8652;
    b->total_amount = 684600;
    b->sdc_ms = 1686050475504ULL;
    b->invoice_type = 0;
    b->transaction_type = 0;
    b->buyer_id_len = strlen(buyer);
    memcpy(b->buyer_id, buyer, b->buyer_id_len);
    for (int i = 0; i < VSDC_RSA_BYTES; i++) {
        b->internal[i] = (uint8_t)i;
        b->signature[i] = (uint8_t)(255 - i);
    }
}

static void test_blob_layout(void **state)
{
    (void)state;
    struct vsdc_blob b, d;
    uint8_t raw[VSDC_BLOB_MAX];
    sample_blob(&b, "RS34564565");
    size_t len = vsdc_blob_encode(&b, raw, sizeof(raw));
    assert_int_equal(len, 44 + 10 + 512 + 16);
    assert_int_equal(raw[0], 3);
    assert_memory_equal(raw + 1, "YJLQTEQRYJLQTEQR", 16);
    assert_memory_equal(raw + 17, "\x7D\x2C\x00\x00", 4);                 /* 11389 LE */
    assert_memory_equal(raw + 21, "\xCC\x21\x00\x00", 4);                 /* 8652 LE */
    assert_memory_equal(raw + 25, "\x38\x72\x0A\x00\x00\x00\x00\x00", 8); /* 684600 LE */
    assert_memory_equal(raw + 33, "\x00\x00\x01\x88\x90\x70\x8D\xF0", 8); /* ms BIG-endian */
    assert_int_equal(raw[43], 10);
    assert_memory_equal(raw + 44, "RS34564565", 10);
    assert_int_equal(raw[54], 0);         /* internal data starts */
    assert_int_equal(raw[54 + 256], 255); /* signature starts */
    uint8_t md[16];
    unsigned int mdlen;
    EVP_Digest(raw, len - 16, md, &mdlen, EVP_md5(), NULL);
    assert_memory_equal(raw + len - 16, md, 16);
    uint8_t part[VSDC_BLOB_MAX];
    assert_int_equal(vsdc_blob_signed_part(&b, part, sizeof(part)), 300 + 10);
    assert_int_equal(vsdc_blob_decode(raw, len, &d), FH_OK);
    assert_string_equal(d.requested_by, "YJLQTEQR");
    assert_int_equal(d.total_counter, 11389);
    assert_int_equal(d.ttc, 8652);
    assert_int_equal(d.total_amount, 684600);
    assert_int_equal(d.sdc_ms, 1686050475504ULL);
    assert_string_equal(d.buyer_id, "RS34564565");
    assert_memory_equal(d.signature, b.signature, 256);
    raw[30] ^= 1; /* a changed byte breaks the MD5 */
    assert_int_equal(vsdc_blob_decode(raw, len, &d), FH_E_INPUT);
    sample_blob(&b, "12:100223617:81541");
    assert_int_equal(vsdc_blob_encode(&b, raw, sizeof(raw)), 590);
}

static void test_verify_url(void **state)
{
    (void)state;
    struct vsdc_blob b;
    uint8_t raw[VSDC_BLOB_MAX];
    sample_blob(&b, "");
    size_t len = vsdc_blob_encode(&b, raw, sizeof(raw));
    const char *root = "https://sandbox.suf.purs.gov.rs/v/?vl=";
    char *url = vsdc_verify_url(root, raw, len);
    assert_true(fh_starts_with(url, root));
    const char *vl = url + strlen(root);
    assert_true(fh_starts_with(vl, "A1lKTFFU")); /* version 3 + "YJLQT" as in real URLs */
    assert_null(strpbrk(vl, "+/="));
    uint8_t *back = NULL;
    size_t blen = 0;
    assert_int_equal(vsdc_verify_param_decode(vl, &back, &blen), FH_OK);
    assert_int_equal(blen, len);
    assert_memory_equal(back, raw, len);
    free(back);
    char *b64 = vsdc_base64(raw, len); /* also accepts an already-decoded value */
    assert_int_equal(vsdc_verify_param_decode(b64, &back, &blen), FH_OK);
    assert_memory_equal(back, raw, len);
    free(back);
    free(b64);
    free(url);
    assert_int_equal(vsdc_verify_param_decode("abc", &back, &blen), FH_E_INPUT);
}

/* ---- GIF ---- */

static int bits_at(const uint8_t *d, size_t nbits, size_t *pos, int size)
{
    if (*pos + (size_t)size > nbits)
        return -1;
    int v = 0;
    for (int i = 0; i < size; i++, (*pos)++)
        v |= ((d[*pos / 8] >> (*pos % 8)) & 1) << i;
    return v;
}

/* A plain GIF LZW decoder (as in stb_image) for two-colour images. */
static uint8_t *gif_decode(const uint8_t *g, size_t n, int *w, int *h)
{
    assert_memory_equal(g, "GIF89a", 6);
    *w = g[6] | g[7] << 8;
    *h = g[8] | g[9] << 8;
    size_t p = 13 + 3 * (size_t)(2 << (g[10] & 7));
    assert_int_equal(g[p], ',');
    p += 10;
    int min = g[p++];
    uint8_t *data = fh_malloc(n);
    size_t dlen = 0;
    while (g[p]) {
        memcpy(data + dlen, g + p + 1, g[p]);
        dlen += g[p];
        p += 1 + g[p];
    }
    assert_int_equal(g[p + 1], 0x3B);
    uint8_t *px = fh_calloc((size_t)*w * (size_t)*h, 1);
    static uint16_t prefix[4096];
    static uint8_t suffix[4096], first[4096], stack[4096];
    int clear = 1 << min, size = min + 1, next = clear + 2, prev = -1;
    size_t pos = 0, out = 0;
    for (int i = 0; i < clear; i++)
        suffix[i] = first[i] = (uint8_t)i;
    for (;;) {
        int code = bits_at(data, dlen * 8, &pos, size);
        assert_true(code >= 0);
        if (code == clear) {
            size = min + 1;
            next = clear + 2;
            prev = -1;
            continue;
        }
        if (code == clear + 1)
            break;
        assert_true(code <= next);
        if (prev >= 0 && next < 4096) {
            prefix[next] = (uint16_t)prev;
            first[next] = first[prev];
            suffix[next] = code == next ? first[prev] : first[code];
            next++;
            if ((next & ((1 << size) - 1)) == 0 && size < 12)
                size++;
        } else {
            assert_true(code < clear);
        }
        int sp = 0;
        for (int c = code;; c = prefix[c]) {
            stack[sp++] = suffix[c];
            if (c < clear)
                break;
        }
        while (sp > 0 && out < (size_t)*w * (size_t)*h)
            px[out++] = stack[--sp];
        prev = code;
    }
    assert_int_equal(out, (size_t)*w * (size_t)*h);
    free(data);
    return px;
}

static void gif_roundtrip(const uint8_t *px, int w, int h)
{
    struct fh_buf gif;
    fh_buf_init(&gif, 16 * 1024 * 1024);
    assert_int_equal(vsdc_gif_write(px, w, h, &gif), FH_OK);
    int dw, dh;
    uint8_t *back = gif_decode((const uint8_t *)gif.data, gif.len, &dw, &dh);
    assert_int_equal(dw, w);
    assert_int_equal(dh, h);
    assert_memory_equal(back, px, (size_t)w * (size_t)h);
    free(back);
    fh_buf_free(&gif);
}

static void test_gif_writer(void **state)
{
    (void)state;
    uint8_t *px = fh_malloc(400 * 400);
    uint64_t s = 42;
    for (size_t i = 0; i < 400 * 400; i++) { /* noise: fills the dictionary, forces clear codes */
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        px[i] = (uint8_t)(s >> 63);
    }
    gif_roundtrip(px, 400, 400);
    gif_roundtrip(px, 1, 1);
    gif_roundtrip(px, 37, 11);
    memset(px, 1, 400 * 400);
    gif_roundtrip(px, 300, 200);
    free(px);
}

static void test_qr_gif(void **state)
{
    (void)state;
    const char *url = "http://127.0.0.1:8081/vsdc/v/"
                      "?vl=A1lKTFFURVFSWUpMUVRFUVJ9LAAAzCEAADhyCgAAAAAAAAABiJAmPnAAAAo";
    char *b64 = vsdc_qr_gif_base64(url);
    assert_non_null(b64);
    assert_true(fh_starts_with(b64, "R0lGODlh"));
    uint8_t *gif;
    size_t len;
    assert_int_equal(vsdc_unbase64(b64, &gif, &len), FH_OK);
    int w, h;
    uint8_t *px = gif_decode(gif, len, &w, &h);
    QRcode *qr = QRcode_encodeString(url, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    assert_int_equal(w, (qr->width + 2 * VSDC_QR_QUIET) * VSDC_QR_MODULE_PX);
    assert_int_equal(h, w);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++) {
            int py = (y + VSDC_QR_QUIET) * VSDC_QR_MODULE_PX + 1,
                pxx = (x + VSDC_QR_QUIET) * VSDC_QR_MODULE_PX + 2;
            assert_int_equal(px[py * w + pxx], qr->data[y * qr->width + x] & 1);
        }
    assert_int_equal(px[0], 0); /* white quiet zone */
    QRcode_free(qr);
    free(px);
    free(gif);
    free(b64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tax_vectors),
        cmocka_unit_test(test_tax_rounding_and_labels),
        cmocka_unit_test(test_tax_groups_json),
        cmocka_unit_test(test_request_valid_forms),
        cmocka_unit_test(test_request_error_codes),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_invoice_counter),
        cmocka_unit_test(test_journal_fiscal),
        cmocka_unit_test(test_journal_non_fiscal_and_refund),
        cmocka_unit_test(test_blob_layout),
        cmocka_unit_test(test_verify_url),
        cmocka_unit_test(test_gif_writer),
        cmocka_unit_test(test_qr_gif),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
