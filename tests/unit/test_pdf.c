/* test_pdf.c - receipt PDFs (src/common/pdf.c), checked with poppler-utils: the text comes back
 * line for line (pdftotext), the font is one embedded subset with a ToUnicode map (pdffonts),
 * the QR code is one 1-bit image whose pixels are the modules plus a quiet zone (pdfimages),
 * pages split at 100 lines, output is deterministic, bad input gives NULL. qpdf --check passes
 * every document (qpdf is a test dependency, scripts/install-deps.sh).
 *
 * Two pdftotext modes: `-fixed <pitch>` maps x positions to columns by the font's advance, so
 * its output must equal the journal exactly (alignment included); `-layout` guesses columns
 * from text blocks and is known to add a space where two words on different lines touch the
 * same column, so it is compared word for word (runs of spaces squeezed) on the same lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fh/fh_common.h"
#include "fh/fh_pdf.h"

extern const size_t fh_journal_font_len;

#define W 40 /* the V-SDC journal's columns */

/* The shape of sandbox/vsdc/journal.c's journal (sr-Cyrl), padded to 40 code points. */
static const char *const SAMPLE[] = {
    "============ ФИСКАЛНИ РАЧУН ============",
    "ПИБ:                           100000001",
    "            Продавница Ђурђевак",
    "              Ђорђа Вајферта 12",
    "                 Београд",
    "Касир:                            Милица",
    "ИД купца:                   10:123456789",
    "ЕСИР број:                    13/2.0.0.1",
    "ЕСИР време:         21.11.2026. 10:00:00",
    "------------- ПРОМЕТ ПРОДАЈА -----------",
    "Артикли",
    "========================================",
    "Назив   Цена         Кол.         Укупно",
    "Mleko 1l (Ђ)",
    "            129,99         2      259,98",
    "Хлеб ђ ж ћ č š Đ Ž Ć Č Š (Е)",
    "             80,00     1,250      100,00",
    "----------------------------------------",
    "Укупан износ:                     359,98",
    "Готовина:                         359,98",
    "========================================",
    "Ознака  Име         Стопа          Порез",
    "Ђ       О-ПДВ      20,00%          43,33",
    "Е       П-ПДВ      10,00%           9,09",
    "----------------------------------------",
    "Укупан износ пореза:               52,42",
    "========================================",
    "ПФР време:          21.11.2026. 10:00:01",
    "ПФР број рачуна: AB12CD34-EF56GH78-1234",
    "Бројач рачуна:              1234/5678ПП",
    "========================================",
    "======== КРАЈ ФИСКАЛНОГ РАЧУНА =========",
};

static const char *const URL =
    "https://suf.purs.gov.rs/v/?vl=A0FCMTJDRDM0RUY1NkdINzjSBAAALhYAAOCvhQAAAAAAAAABjvM7vjAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D";

static size_t cps(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The lines padded to W code points and joined with sep (V-SDC: "\r\n"); caller frees. */
static char *journal(const char *const *lines, size_t n, const char *sep)
{
    struct fh_buf b;
    fh_buf_init(&b, 1 << 24);
    for (size_t i = 0; i < n; i++) {
        fh_buf_appendf(&b, "%s", lines[i]);
        for (size_t c = cps(lines[i]); c < W; c++)
            fh_buf_append(&b, " ", 1);
        fh_buf_appendf(&b, "%s", sep);
    }
    return fh_buf_steal(&b);
}

struct tmp {
    char dir[64];
    char pdf[96];
};

static void write_pdf(struct tmp *t, const uint8_t *p, size_t n)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/fh_test_pdf_XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->pdf, sizeof(t->pdf), "%s/r.pdf", t->dir);
    FILE *f = fopen(t->pdf, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void tmp_remove(struct tmp *t)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* Runs a shell command; returns its standard output (caller frees); fails on a non-zero exit. */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct fh_buf b;
    fh_buf_init(&b, 1 << 24);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        assert_int_equal(fh_buf_append(&b, chunk, n), FH_OK);
    int st = pclose(p);
    if (st != 0)
        fail_msg("`%s` exited with %d", cmd, st);
    return fh_buf_steal(&b);
}

/* Splits s in place into lines (form feeds dropped, trailing spaces trimmed); *n gets their
   count, without the empty line after the last "\n". Caller frees the array. */
static char **lines_of(char *s, size_t *n)
{
    size_t cap = 16, k = 0;
    char **v = fh_malloc(cap * sizeof(*v));
    char *w = s;
    for (char *r = s; *r; r++)
        if (*r != '\f')
            *w++ = *r;
    *w = '\0';
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        if (k == cap)
            v = fh_realloc(v, (cap *= 2) * sizeof(*v));
        v[k++] = line;
        if (!nl)
            break;
        line = nl + 1;
    }
    *n = k;
    return v;
}

/* s with runs of spaces made one and leading spaces dropped, into out. */
static void squeeze(const char *s, char *out, size_t outsize)
{
    size_t k = 0;
    while (*s == ' ')
        s++;
    for (; *s && k + 1 < outsize; s++)
        if (*s != ' ' || (s[1] != ' ' && s[1] != '\0'))
            out[k++] = *s;
    out[k] = '\0';
}

static char *trimmed(const char *s)
{
    char *t = fh_strdup(s);
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ')
        t[--n] = '\0';
    return t;
}

/* The column pitch of the PDF, from its /DW and font size, as "%.4f" points. */
static void pitch_of(const uint8_t *p, size_t n, char *out, size_t outsize)
{
    const char *dw = memmem(p, n, "/DW ", 4), *tf = memmem(p, n, "BT\n/F1 ", 7);
    assert_non_null(dw);
    assert_non_null(tf);
    double pitch = strtod(dw + 4, NULL) * strtod(tf + 7, NULL) / 1000.0;
    assert_true(pitch > 1.0 && pitch < 20.0);
    snprintf(out, outsize, "%.4f", pitch);
}

/* Asserts that pdftotext gives back exactly these lines (-fixed) and their words (-layout). */
static void expect_text(const struct tmp *t, const uint8_t *p, size_t n, const char *const *want,
                        size_t nwant)
{
    char pitch[32];
    pitch_of(p, n, pitch, sizeof(pitch));
    char *fixed = run("pdftotext -fixed %s '%s' -", pitch, t->pdf);
    size_t ngot;
    char **got = lines_of(fixed, &ngot);
    assert_int_equal(ngot, nwant);
    size_t indent = SIZE_MAX; /* the page margin, the same on every line */
    for (size_t i = 0; i < ngot; i++)
        if (*got[i] && strspn(got[i], " ") < indent)
            indent = strspn(got[i], " ");
    for (size_t i = 0; i < ngot; i++) {
        char *w = trimmed(want[i]);
        const char *g = strlen(got[i]) >= indent ? got[i] + indent : got[i];
        if (strcmp(g, w) != 0)
            fail_msg("line %zu: got '%s', want '%s'", i + 1, g, w);
        free(w);
    }
    free(got);
    free(fixed);

    char *layout = run("pdftotext -layout '%s' -", t->pdf);
    got = lines_of(layout, &ngot);
    assert_int_equal(ngot, nwant);
    for (size_t i = 0; i < ngot; i++) {
        char a[1024], b[1024];
        squeeze(got[i], a, sizeof(a));
        squeeze(want[i], b, sizeof(b));
        if (strcmp(a, b) != 0)
            fail_msg("-layout line %zu: got '%s', want '%s'", i + 1, a, b);
    }
    free(got);
    free(layout);
}

static void expect_qpdf_ok(const struct tmp *t)
{
    char *out = run("qpdf --check '%s' 2>&1", t->pdf);
    assert_non_null(strstr(out, "No syntax or stream encoding errors"));
    free(out);
}

/* The value of one pdfinfo field ("Title", "Pages"); caller frees. */
static char *pdf_info(const struct tmp *t, const char *field)
{
    char *info = run("pdfinfo '%s'", t->pdf);
    char key[32];
    snprintf(key, sizeof(key), "%s:", field);
    char *v = NULL;
    for (char *line = info; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (!fh_starts_with(line, key))
            continue;
        line += strlen(key);
        line += strspn(line, " ");
        v = fh_strndup(line, strcspn(line, "\n"));
        break;
    }
    free(info);
    if (!v)
        fail_msg("pdfinfo has no %s", field);
    return v;
}

static int pdf_pages(const struct tmp *t)
{
    char *v = pdf_info(t, "Pages");
    int n = atoi(v);
    free(v);
    return n;
}

static void expect_info(const struct tmp *t, const char *field, const char *want)
{
    char *v = pdf_info(t, field);
    assert_string_equal(v, want);
    free(v);
}

/* pdffonts lists exactly one font: an embedded subset of DejaVu Sans Mono with ToUnicode. */
static void expect_one_subset_font(const struct tmp *t)
{
    char *out = run("pdffonts '%s'", t->pdf);
    size_t n;
    char **rows = lines_of(out, &n);
    assert_int_equal(n, 3); /* two header lines, one font */
    const char *f = rows[2];
    assert_int_equal(strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 6);
    assert_true(fh_starts_with(f + 6, "+DejaVuSansMono "));
    assert_non_null(strstr(f, "CID TrueType"));
    assert_non_null(strstr(f, "Identity-H"));
    assert_non_null(strstr(f, " yes yes yes "));
    free(rows);
    free(out);
}

/* The image's pixels: the modules (dark = black) inside a 4-module white quiet zone. */
static void expect_qr_pixels(const struct tmp *t, const QRcode *q)
{
    char *out = run("pdfimages '%s' '%s/img' && ls '%s'", t->pdf, t->dir, t->dir);
    assert_non_null(strstr(out, "img-000.pbm")); /* 1-bit images come out as PBM */
    free(out);
    char path[128];
    snprintf(path, sizeof(path), "%s/img-000.pbm", t->dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    int w = 0, h = 0;
    assert_int_equal(fscanf(f, "P4 %d %d", &w, &h), 2);
    fgetc(f);
    int px = q->width + 8, row = (px + 7) / 8;
    assert_int_equal(w, px);
    assert_int_equal(h, px);
    unsigned char *bits = fh_malloc((size_t)row * px);
    assert_int_equal(fread(bits, 1, (size_t)row * px, f), (size_t)row * px);
    fclose(f);
    int dark = 0;
    for (int y = 0; y < px; y++) {
        for (int x = 0; x < px; x++) {
            bool black = bits[y * row + x / 8] & (0x80 >> (x % 8)); /* PBM: 1 = black */
            bool inside = x >= 4 && y >= 4 && x < px - 4 && y < px - 4;
            bool want = inside && (q->data[(y - 4) * q->width + (x - 4)] & 1);
            if (black != want)
                fail_msg("pixel (%d, %d) is %s", x, y, black ? "black" : "white");
            dark += black;
        }
    }
    assert_true(bits[4 * row] & (0x80 >> 4)); /* the top-left finder pattern's corner */
    assert_true(dark > q->width * q->width / 4);
    free(bits);
}

static QRcode *sample_qr(void)
{
    QRcode *q = QRcode_encodeString(URL, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    assert_non_null(q);
    return q;
}

static void test_sample_receipt(void **state)
{
    (void)state;
    char *text = journal(SAMPLE, FH_ARRAY_LEN(SAMPLE), "\r\n");
    QRcode *q = sample_qr();
    struct fh_pdf_qr qr = {q->width, q->data};
    size_t n = 0;
    uint8_t *p = fh_pdf_receipt("Рачун 1234/5678ПП", text, &qr, &n);
    assert_non_null(p);
    assert_true(n > 1000 && n < 60 * 1024);
    assert_true(n * 5 < fh_journal_font_len); /* the font is a subset */
    assert_memory_equal(p, "%PDF-1.4\n", 9);
    assert_memory_equal(p + n - 6, "%%EOF\n", 6);
    struct tmp t;
    write_pdf(&t, p, n);

    expect_text(&t, p, n, SAMPLE, FH_ARRAY_LEN(SAMPLE));
    expect_info(&t, "Title", "Рачун 1234/5678ПП");
    expect_info(&t, "Pages", "1");
    expect_info(&t, "PDF version", "1.4");
    expect_one_subset_font(&t);

    char *list = run("pdfimages -list '%s'", t.pdf);
    size_t nrows;
    char **rows = lines_of(list, &nrows);
    assert_int_equal(nrows, 3); /* two header lines, one image */
    int page, num, w, h, comp, bpc;
    char type[16], color[16], enc[16], interp[16];
    assert_int_equal(sscanf(rows[2], "%d %d %15s %d %d %15s %d %d %15s %15s", &page, &num, type, &w,
                            &h, color, &comp, &bpc, enc, interp),
                     10);
    assert_int_equal(page, 1);
    assert_string_equal(type, "image");
    assert_int_equal(w, q->width + 8);
    assert_int_equal(h, q->width + 8);
    assert_string_equal(color, "gray");
    assert_int_equal(comp, 1);
    assert_int_equal(bpc, 1);
    assert_string_equal(interp, "no");
    free(rows);
    free(list);
    expect_qr_pixels(&t, q);
    expect_qpdf_ok(&t);

    /* Same input, same bytes; "\n" and "\r\n" give the same document. */
    size_t n2 = 0;
    uint8_t *p2 = fh_pdf_receipt("Рачун 1234/5678ПП", text, &qr, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(p2, p, n);
    free(p2);
    char *lf = journal(SAMPLE, FH_ARRAY_LEN(SAMPLE), "\n");
    p2 = fh_pdf_receipt("Рачун 1234/5678ПП", lf, &qr, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(p2, p, n);
    free(p2);
    free(lf);

    tmp_remove(&t);
    free(p);
    QRcode_free(q);
    free(text);
}

/* nlines numbered item lines (Cyrillic and Latin) and their padded journal. */
static char **long_lines(size_t nlines)
{
    char **v = fh_malloc(nlines * sizeof(*v));
    for (size_t i = 0; i < nlines; i++)
        if (i % 2)
            v[i] = fh_asprintf("%03zu Mleko 1l ž ћ     %8zu,%02zu", i + 1, i * 7, i % 100);
        else
            v[i] = fh_asprintf("%03zu Артикл Ђ č  %13zu", i + 1, i * 7);
    return v;
}

static void free_lines(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void test_long_journal_splits_pages(void **state)
{
    (void)state;
    char **lines = long_lines(250);
    char *text = journal((const char *const *)lines, 250, "\r\n");
    QRcode *q = sample_qr();
    struct fh_pdf_qr qr = {q->width, q->data};
    size_t n;
    uint8_t *p = fh_pdf_receipt("long", text, &qr, &n);
    assert_non_null(p);
    struct tmp t;
    write_pdf(&t, p, n);
    assert_int_equal(pdf_pages(&t), 3); /* 100 + 100 + 50 lines, the QR code after the last */
    expect_text(&t, p, n, (const char *const *)lines, 250);
    for (int pg = 1; pg <= 3; pg++) { /* each page holds its share, in order */
        char *out = run("pdftotext -f %d -l %d -layout '%s' -", pg, pg, t.pdf);
        size_t k;
        char **got = lines_of(out, &k);
        assert_int_equal(k, pg < 3 ? 100 : 50);
        char want[8];
        snprintf(want, sizeof(want), "%03d ", (pg - 1) * 100 + 1);
        assert_true(fh_starts_with(got[0], want));
        free(got);
        free(out);
    }
    char *list = run("pdfimages -list '%s' | tail -n +3 | awk '{print $1}'", t.pdf);
    assert_string_equal(list, "3\n");
    free(list);
    expect_one_subset_font(&t);
    expect_qpdf_ok(&t);
    tmp_remove(&t);
    free(p);
    free(text);

    /* 100 lines fill a page: the QR code gets a page of its own. */
    text = journal((const char *const *)lines, 100, "\n");
    p = fh_pdf_receipt(NULL, text, &qr, &n);
    assert_non_null(p);
    write_pdf(&t, p, n);
    assert_int_equal(pdf_pages(&t), 2);
    list = run("pdfimages -list '%s' | tail -n +3 | awk '{print $1}'", t.pdf);
    assert_string_equal(list, "2\n");
    free(list);
    char *page2 = run("pdftotext -f 2 -l 2 '%s' -", t.pdf);
    assert_null(strpbrk(page2, "0123456789"));
    free(page2);
    expect_qpdf_ok(&t);
    tmp_remove(&t);
    free(p);
    free(text);
    QRcode_free(q);
    free_lines(lines, 250);
}

static void test_subset_is_small_and_named_by_glyphs(void **state)
{
    (void)state;
    size_t n1, n2, n3;
    uint8_t *a = fh_pdf_receipt("a", "ABC абв", NULL, &n1);
    uint8_t *b = fh_pdf_receipt("a", "XYZ эюя", NULL, &n2);
    uint8_t *c = fh_pdf_receipt("a", "ABC абв", NULL, &n3);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(n1 < 30 * 1024);
    assert_int_equal(n1, n3);
    assert_memory_equal(a, c, n1);
    const char *ta = strstr((const char *)a, "/BaseFont /"),
               *tb = strstr((const char *)b, "/BaseFont /");
    assert_non_null(ta);
    assert_non_null(tb);
    assert_memory_equal(ta + 17, "+DejaVuSansMono", 15);
    assert_memory_not_equal(ta, tb, 17); /* another glyph set, another tag */
    assert_null(memmem(a, n1, "CreationDate", 12));
    free(a);
    free(b);
    free(c);
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    size_t n = 99;
    static const char *const bad[] = {
        "",
        "a\x80",            /* lone continuation byte */
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong, 3 bytes */
        "\xED\xA0\x80",     /* UTF-16 surrogate */
        "\xE2\x82",         /* truncated */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xF8\x88\x80\x80\x80",
        "ok\n\xFF",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++) {
        assert_null(fh_pdf_receipt("t", bad[i], NULL, &n));
        assert_int_equal(n, 0);
    }
    assert_null(fh_pdf_receipt("t", NULL, NULL, &n));
    assert_null(fh_pdf_receipt("\xC3", "ok", NULL, &n)); /* the title too */
    unsigned char m[4] = {1, 0, 0, 1};
    struct fh_pdf_qr qr = {0, m};
    assert_null(fh_pdf_receipt("t", "ok", &qr, &n));
    qr.width = 178;
    assert_null(fh_pdf_receipt("t", "ok", &qr, &n));
    qr = (struct fh_pdf_qr){2, NULL};
    assert_null(fh_pdf_receipt("t", "ok", &qr, &n));
    char *big = fh_malloc(FH_PDF_MAX_TEXT + 2);
    memset(big, 'x', FH_PDF_MAX_TEXT + 1);
    big[FH_PDF_MAX_TEXT + 1] = '\0';
    assert_null(fh_pdf_receipt("t", big, NULL, &n));
    free(big);
    /* A well-formed 4-byte character and a 2x2 code are fine. */
    qr.width = 2, qr.modules = m;
    uint8_t *p = fh_pdf_receipt(NULL, "\xF0\x9F\x98\x80", &qr, &n);
    assert_non_null(p);
    free(p);
}

/* Characters the font lacks (U+1F600, a non-BMP clef, U+E000) come back through ToUnicode and
   ActualText; tabs, controls and over-long lines are laid out as documented. */
static void test_missing_glyphs_tabs_and_wrapping(void **state)
{
    (void)state;
    char long_line[200];
    for (int i = 0; i < 120; i++)
        long_line[i] = (char)('a' + i % 26);
    long_line[120] = '\0';
    char *text = fh_asprintf("Smile \xF0\x9F\x98\x80 here ПИБ\n"
                             "Clef \xF0\x9D\x84\x9E and \xEE\x80\x80 private\n"
                             "Tab:\tx\ty\n"
                             "Ctl:\x01y\rz\x7f!\n"
                             "\n"
                             "%s\n"
                             "Укупан износ: 12,00",
                             long_line);
    size_t n;
    uint8_t *p = fh_pdf_receipt("Emoji \xF0\x9F\x98\x80", text, NULL, &n);
    assert_non_null(p);
    struct tmp t;
    write_pdf(&t, p, n);
    char wrapped1[97], wrapped2[32];
    memcpy(wrapped1, long_line, 96);
    wrapped1[96] = '\0';
    snprintf(wrapped2, sizeof(wrapped2), "%s", long_line + 96);
    const char *want[] = {"Smile \xF0\x9F\x98\x80 here ПИБ",
                          "Clef \xF0\x9D\x84\x9E and \xEE\x80\x80 private",
                          "Tab:    x       y",
                          "Ctl: y z !",
                          "",
                          wrapped1,
                          wrapped2,
                          "Укупан износ: 12,00"};
    expect_text(&t, p, n, want, FH_ARRAY_LEN(want));
    expect_info(&t, "Title", "Emoji \xF0\x9F\x98\x80");
    expect_one_subset_font(&t);
    expect_qpdf_ok(&t);
    tmp_remove(&t);
    free(p);
    free(text);
}

/* Black pixels of page 1 rendered in black and white at 150 dpi. */
static long ink(const struct tmp *t)
{
    free(run("pdftoppm -mono -r 150 -singlefile '%s' '%s/ink'", t->pdf, t->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/ink.pbm", t->dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    int w = 0, h = 0;
    assert_int_equal(fscanf(f, "P4 %d %d", &w, &h), 2);
    fgetc(f);
    long black = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        black += __builtin_popcount((unsigned)c);
    fclose(f);
    return black;
}

/* č, š, ž, й are composite glyphs: the subset must carry their components (c, s, z, и and the
   accents), which the text itself does not use, or they draw nothing. */
static void test_composite_glyphs_draw(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = fh_pdf_receipt(NULL, "čšžй", NULL, &n);
    assert_non_null(p);
    struct tmp t;
    write_pdf(&t, p, n);
    long composite = ink(&t);
    tmp_remove(&t);
    free(p);
    p = fh_pdf_receipt(NULL, "cszи", NULL, &n); /* the base letters alone */
    assert_non_null(p);
    write_pdf(&t, p, n);
    long base = ink(&t);
    tmp_remove(&t);
    free(p);
    assert_true(base > 100);
    assert_true(composite > base); /* the base letters plus their accents */
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t sum32(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint8_t w[4] = {0, 0, 0, 0};
        memcpy(w, p + i, n - i < 4 ? n - i : 4);
        s += be32(w);
    }
    return s;
}

/* The embedded TrueType font is well formed: tables sorted, checksums right (head's
   checkSumAdjustment too), and glyf holds only the glyphs of the text (+ glyph 0). */
static void test_embedded_font_is_a_valid_subset(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = fh_pdf_receipt(NULL, "AAA ббб", NULL, &n);
    assert_non_null(p);
    const char *l1 = memmem(p, n, "/Length1 ", 9);
    assert_non_null(l1);
    size_t len = strtoul(l1 + 9, NULL, 10);
    const uint8_t *f = memmem(l1, n - (size_t)((const uint8_t *)l1 - p), "stream\n", 7);
    assert_non_null(f);
    f += 7;
    assert_true(f + len <= p + n);
    assert_int_equal(be32(f), 0x00010000);
    unsigned ntables = be16(f + 4);
    assert_true(ntables >= 7 && ntables <= 10);
    const uint8_t *head = NULL, *loca = NULL, *maxp = NULL;
    for (unsigned i = 0; i < ntables; i++) {
        const uint8_t *r = f + 12 + 16 * i;
        uint32_t off = be32(r + 8), tlen = be32(r + 12);
        assert_true(off % 4 == 0 && off + tlen <= len);
        if (i > 0)
            assert_true(memcmp(r - 16, r, 4) < 0);
        if (memcmp(r, "head", 4) == 0) {
            head = f + off;
            uint8_t h[54];
            memcpy(h, head, 54);
            memset(h + 8, 0, 4);
            assert_int_equal(be32(r + 4), sum32(h, 54));
        } else {
            assert_int_equal(be32(r + 4), sum32(f + off, tlen));
        }
        if (memcmp(r, "loca", 4) == 0)
            loca = f + off;
        if (memcmp(r, "maxp", 4) == 0)
            maxp = f + off;
    }
    assert_non_null(head);
    assert_non_null(loca);
    assert_non_null(maxp);
    assert_int_equal(sum32(f, len), 0xB1B0AFBA);
    unsigned nglyphs = be16(maxp + 4), longfmt = be16(head + 50), drawn = 0;
    assert_true(nglyphs > 0 && nglyphs < 3000); /* cut after the highest glyph used */
    for (unsigned g = 0; g < nglyphs; g++) {
        uint32_t a = longfmt ? be32(loca + 4 * g) : 2 * be16(loca + 2 * g);
        uint32_t b = longfmt ? be32(loca + 4 * g + 4) : 2 * be16(loca + 2 * g + 2);
        assert_true(a <= b);
        drawn += b > a;
    }
    assert_int_equal(drawn, 3); /* .notdef, A, б (the space has no outline) */
    free(p);
}

struct worker {
    const char *text;
    const uint8_t *want;
    size_t want_len;
    int bad;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 5; i++) {
        size_t n;
        uint8_t *p = fh_pdf_receipt("t", w->text, NULL, &n);
        if (!p || n != w->want_len || memcmp(p, w->want, n) != 0)
            w->bad++;
        free(p);
    }
    return NULL;
}

static void test_threads_get_the_same_bytes(void **state)
{
    (void)state;
    char *text = journal(SAMPLE, FH_ARRAY_LEN(SAMPLE), "\r\n");
    size_t n;
    uint8_t *want = fh_pdf_receipt("t", text, NULL, &n);
    assert_non_null(want);
    pthread_t th[8];
    struct worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){text, want, n, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    free(want);
    free(text);
}

int main(void)
{
    if (system("command -v pdftotext pdfinfo pdffonts pdfimages pdftoppm qpdf >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_pdf: needs poppler-utils and qpdf (scripts/install-deps.sh test)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_receipt),
        cmocka_unit_test(test_long_journal_splits_pages),
        cmocka_unit_test(test_subset_is_small_and_named_by_glyphs),
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_missing_glyphs_tabs_and_wrapping),
        cmocka_unit_test(test_composite_glyphs_draw),
        cmocka_unit_test(test_embedded_font_is_a_valid_subset),
        cmocka_unit_test(test_threads_get_the_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
