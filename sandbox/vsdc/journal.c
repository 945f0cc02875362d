/* journal.c - the textual receipt ("journal") of spec §9.1: 40 columns, lines separated by CRLF,
 * every line padded to exactly 40 code points. Blocks: title; TIN, business, location, address,
 * district centred; cashier, buyer, POS number and time, reference; the type line centred in
 * dashes; items (name with labels, then price, quantity and total right-aligned, negative on
 * refunds); totals and payments; the non-fiscal notice for copies, pro-formas and training; the
 * tax table; SDC time, invoice number and counter; the closing line. Labels are English (en-US)
 * or Serbian Cyrillic (sr-Cyrl-RS); the English wording is ours, TaxCore's is not published. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fh/fh_money.h"
#include "vsdc_internal.h"

#define W VSDC_JOURNAL_WIDTH

enum key {
    K_FISCAL,
    K_END,
    K_NOT_FISCAL,
    K_CASHIER,
    K_BUYER,
    K_BUYER_CC,
    K_POS_NO,
    K_POS_TIME,
    K_REF_NO,
    K_REF_TIME,
    K_ITEMS,
    K_NAME,
    K_PRICE,
    K_QTY,
    K_TOTAL,
    K_TOTAL_AMOUNT,
    K_TOTAL_REFUND,
    K_LABEL,
    K_TAXNAME,
    K_RATE,
    K_TAX,
    K_TOTAL_TAX,
    K_SDC_TIME,
    K_SDC_NO,
    K_COUNTER,
    K_COUNT
};

static const char *const texts[2][K_COUNT] = {
    {"FISCAL INVOICE",
     "END OF FISCAL INVOICE",
     "THIS IS NOT A FISCAL RECEIPT",
     "Cashier:",
     "Buyer ID:",
     "Buyer cost center:",
     "POS number:",
     "POS time:",
     "Ref. No.:",
     "Ref. time:",
     "Items",
     "Name",
     "Price",
     "Qty",
     "Total",
     "Total amount:",
     "Total refund:",
     "Label",
     "Name",
     "Rate",
     "Tax",
     "Total tax:",
     "SDC time:",
     "SDC invoice no:",
     "Invoice counter:"},
    {"ФИСКАЛНИ РАЧУН",
     "КРАЈ ФИСКАЛНОГ РАЧУНА",
     "ОВО НИЈЕ ФИСКАЛНИ РАЧУН",
     "Касир:",
     "ИД купца:",
     "Опционо поље купца:",
     "ЕСИР број:",
     "ЕСИР време:",
     "Реф. број:",
     "Реф. време:",
     "Артикли",
     "Назив",
     "Цена",
     "Кол.",
     "Укупно",
     "Укупан износ:",
     "Укупна рефундација:",
     "Ознака",
     "Име",
     "Стопа",
     "Порез",
     "Укупан износ пореза:",
     "ПФР време:",
     "ПФР број рачуна:",
     "Бројач рачуна:"},
};

static const char *const invoice_types[2][5] = {
    {"NORMAL", "PROFORMA", "COPY", "TRAINING", "ADVANCE"},
    {"ПРОМЕТ", "ПРЕДРАЧУН", "КОПИЈА", "ОБУКА", "АВАНС"},
};
static const char *const tx_types[2][2] = {{"SALE", "REFUND"}, {"ПРОДАЈА", "РЕФУНДАЦИЈА"}};
static const char *const payment_types[2][7] = {
    {"Other payment:", "Cash:", "Card:", "Check:", "Wire transfer:", "Voucher:", "Mobile money:"},
    {"Друго безготовинско плаћање:", "Готовина:", "Платна картица:", "Чек:", "Пренос на рачун:",
     "Ваучер:", "Инстант плаћање:"},
};
static const char *const extensions[2][5][2] = {
    {{"NS", "NR"}, {"PS", "PR"}, {"CS", "CR"}, {"TS", "TR"}, {"AS", "AR"}},
    {{"ПП", "ПР"}, {"РП", "РР"}, {"КП", "КР"}, {"ОП", "ОР"}, {"АП", "АР"}},
};

const char *vsdc_counter_extension(enum vsdc_lang lang, int invoice_type, int transaction_type)
{
    return extensions[lang][invoice_type][transaction_type];
}

void vsdc_invoice_counter(char *out, size_t outsize, uint32_t ttc, uint32_t total, const char *ext)
{
    snprintf(out, outsize, "%u/%u%s", ttc, total, ext);
}

size_t vsdc_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Bytes taken by the first n code points of s. */
static size_t utf8_prefix(const char *s, size_t n)
{
    size_t i = 0;
    for (; s[i] && n; n--) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static void spaces(struct fh_buf *b, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        fh_buf_append(b, &c, 1);
}

/* Appends text in a field of width code points, truncating what does not fit. */
static void field(struct fh_buf *b, const char *text, size_t width, bool right)
{
    size_t n = vsdc_utf8_len(text);
    if (n > width)
        n = width;
    if (right)
        spaces(b, width - n, ' ');
    size_t bytes = utf8_prefix(text, n);
    for (size_t i = 0; i < bytes; i++) /* control characters would break the layout */
        spaces(b, 1, (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i]);
    if (!right)
        spaces(b, width - n, ' ');
}

static void eol(struct fh_buf *b)
{
    fh_buf_append(b, "\r\n", 2);
}

/* Text left-aligned, wrapped at 40 code points. */
static void line(struct fh_buf *b, const char *text, bool right)
{
    do {
        size_t take = utf8_prefix(text, W);
        char chunk[W * 4 + 1];
        memcpy(chunk, text, take);
        chunk[take] = '\0';
        field(b, chunk, W, right);
        eol(b);
        text += take;
    } while (*text);
}

static void rule(struct fh_buf *b, char c)
{
    spaces(b, W, c);
    eol(b);
}

/* Text centred in fill characters: "===== TEXT =====" (pad adds the spaces). */
static void centred(struct fh_buf *b, const char *text, char fill, bool pad)
{
    size_t n = vsdc_utf8_len(text) + (pad ? 2 : 0);
    if (n > W) {
        line(b, text, false);
        return;
    }
    size_t left = (W - n) / 2;
    spaces(b, left, fill);
    if (pad)
        spaces(b, 1, ' ');
    field(b, text, vsdc_utf8_len(text), false);
    if (pad)
        spaces(b, 1, ' ');
    spaces(b, W - n - left, fill);
    eol(b);
}

/* "Label:            value"; the value goes on its own line(s) when both do not fit. */
static void label_value(struct fh_buf *b, const char *label, const char *value)
{
    size_t nl = vsdc_utf8_len(label), nv = vsdc_utf8_len(value);
    if (nl + 1 + nv <= W) {
        field(b, label, nl, false);
        field(b, value, W - nl, true);
        eol(b);
        return;
    }
    line(b, label, false);
    line(b, value, true);
}

static void money(int64_t v, enum vsdc_lang lang, char *out, size_t outsize)
{
    fh_money_fmt(v, 2, out, outsize);
    char *dot = strchr(out, '.');
    if (dot && lang == VSDC_LANG_SR)
        *dot = ',';
}

static void quantity(int64_t v, enum vsdc_lang lang, char *out, size_t outsize)
{
    fh_money_fmt(v, 3, out, outsize);
    char *dot = strchr(out, '.');
    size_t n = strlen(out);
    while (dot && n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (dot && out[n - 1] == '.')
        out[--n] = '\0';
    else if (dot && lang == VSDC_LANG_SR)
        *dot = ',';
}

static void local_time(int64_t ms, enum vsdc_lang lang, char *out, size_t outsize)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, outsize, lang == VSDC_LANG_SR ? "%d.%m.%Y. %H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
}

static void header(struct fh_buf *b, const struct vsdc_journal_in *in, const char *const *t)
{
    const struct vsdc_invoice_req *r = in->req;
    const char *head[] = {in->tp->tin, in->tp->name, in->tp->location, in->tp->address,
                          in->tp->district};
    for (size_t i = 0; i < FH_ARRAY_LEN(head); i++)
        centred(b, head[i], ' ', false);
    label_value(b, t[K_CASHIER], r->cashier ? r->cashier : "");
    if (r->buyer_id)
        label_value(b, t[K_BUYER], r->buyer_id);
    if (r->buyer_cost_center)
        label_value(b, t[K_BUYER_CC], r->buyer_cost_center);
    label_value(b, t[K_POS_NO], r->invoice_number ? r->invoice_number : "");
    char when[48];
    if (r->has_date_issue) {
        local_time(r->date_issue_ms, in->lang, when, sizeof(when));
        label_value(b, t[K_POS_TIME], when);
    }
    if (r->ref_number) {
        label_value(b, t[K_REF_NO], r->ref_number);
        if (r->has_ref_dt) {
            local_time(r->ref_dt_ms, in->lang, when, sizeof(when));
            label_value(b, t[K_REF_TIME], when);
        }
    }
    char type[96];
    snprintf(type, sizeof(type), "%s %s", invoice_types[in->lang][r->invoice_type],
             tx_types[in->lang][r->transaction_type]);
    centred(b, type, '-', false);
}

static void items(struct fh_buf *b, const struct vsdc_journal_in *in, const char *const *t,
                  int64_t sign)
{
    const struct vsdc_invoice_req *r = in->req;
    line(b, t[K_ITEMS], false);
    rule(b, '=');
    char head[128];
    snprintf(head, sizeof(head), "%s", t[K_NAME]);
    field(b, head, vsdc_utf8_len(head), false);
    field(b, t[K_PRICE], 18 - vsdc_utf8_len(head), true);
    field(b, t[K_QTY], 9, true);
    field(b, t[K_TOTAL], 13, true);
    eol(b);
    for (size_t i = 0; i < r->nitems; i++) {
        const struct vsdc_item *it = &r->items[i];
        struct fh_buf name;
        fh_buf_init(&name, 16 * 1024);
        fh_buf_appendf(&name, "%s (", it->name);
        for (size_t l = 0; l < it->nlabels; l++)
            fh_buf_appendf(&name, "%s%s", l ? ", " : "", it->labels[l]);
        fh_buf_appendf(&name, ")");
        line(b, name.data, false);
        fh_buf_free(&name);
        char price[40], qty[40], total[40];
        money(it->unit_price, in->lang, price, sizeof(price));
        quantity(it->quantity, in->lang, qty, sizeof(qty));
        money(sign * it->total, in->lang, total, sizeof(total));
        field(b, price, 18, true);
        field(b, qty, 9, true);
        field(b, total, 13, true);
        eol(b);
    }
    rule(b, '-');
    char v[40];
    money(sign * in->total_amount, in->lang, v, sizeof(v));
    label_value(b, t[sign < 0 ? K_TOTAL_REFUND : K_TOTAL_AMOUNT], v);
    for (size_t i = 0; i < r->npayments; i++) {
        money(sign * r->payments[i].amount, in->lang, v, sizeof(v));
        label_value(b, payment_types[in->lang][r->payments[i].type], v);
    }
    rule(b, '=');
}

static void taxes(struct fh_buf *b, const struct vsdc_journal_in *in, const char *const *t,
                  int64_t sign)
{
    field(b, t[K_LABEL], 8, false);
    field(b, t[K_TAXNAME], 10, false);
    field(b, t[K_RATE], 9, true);
    field(b, t[K_TAX], 13, true);
    eol(b);
    int64_t total = 0;
    char v[48];
    for (size_t i = 0; i < in->ntax; i++) {
        const struct vsdc_tax_item *x = &in->tax[i];
        field(b, x->label, 8, false);
        field(b, x->cat_name, 10, false);
        money(x->rate, in->lang, v, sizeof(v));
        if (x->cat_type != VSDC_AMOUNT_PER_QUANTITY)
            strncat(v, "%", sizeof(v) - strlen(v) - 1);
        field(b, v, 9, true);
        money(sign * x->amount, in->lang, v, sizeof(v));
        field(b, v, 13, true);
        eol(b);
        total += x->amount;
    }
    rule(b, '-');
    money(sign * total, in->lang, v, sizeof(v));
    label_value(b, t[K_TOTAL_TAX], v);
    rule(b, '=');
}

char *vsdc_journal_build(const struct vsdc_journal_in *in)
{
    const char *const *t = texts[in->lang];
    int it = in->req->invoice_type;
    bool fiscal = it == VSDC_NORMAL || it == VSDC_ADVANCE;
    int64_t sign = in->req->transaction_type == VSDC_REFUND ? -1 : 1;
    struct fh_buf b;
    fh_buf_init(&b, 8 * 1024 * 1024);
    centred(&b, t[fiscal ? K_FISCAL : K_NOT_FISCAL], '=', true);
    header(&b, in, t);
    items(&b, in, t, sign);
    if (!fiscal)
        centred(&b, t[K_NOT_FISCAL], '=', true);
    taxes(&b, in, t, sign);
    char when[48];
    local_time(in->sdc_ms, in->lang, when, sizeof(when));
    label_value(&b, t[K_SDC_TIME], when);
    label_value(&b, t[K_SDC_NO], in->invoice_number);
    label_value(&b, t[K_COUNTER], in->invoice_counter);
    rule(&b, '=');
    centred(&b, t[fiscal ? K_END : K_NOT_FISCAL], '=', true);
    return fh_buf_steal(&b);
}

void vsdc_format_sdc_time(int64_t us, char *out, size_t outsize)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    localtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(out, outsize, "%s.%06lld%c%02ld:%02ld", base, (long long)(us % 1000000), sign,
             off / 60, off % 60);
}
