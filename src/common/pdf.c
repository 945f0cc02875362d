/* pdf.c - fiscal receipts as PDF (fh_pdf.h): a small PDF 1.4 writer.
 *
 * The font and its subsetting live in ttf.c (ttf.h): the compiled-in font is parsed once per
 * process (pthread_once) into a read-only description; after that every call works on its own
 * memory, so fh_pdf_receipt is thread-safe.
 *
 * A call decodes the text (strict UTF-8) into lines of code points (tabs expanded, controls
 * made spaces, lines wrapped at MAX_COLS), maps each code point to a glyph through the font's
 * format 4 cmap, closes the glyph set over composite glyphs' components, and writes:
 *   1 Catalog, 2 Pages, 3 Info, 4 Type0 font (Identity-H, ToUnicode), 5 CIDFontType2
 *   (/CIDToGIDMap /Identity, /W), 6 FontDescriptor, 7 FontFile2 (the subset, which keeps the
 *   font's glyph ids), 8 ToUnicode CMap, [9 QR image], then a Page and its content stream per
 *   page; then xref and trailer. Numbers are written from integers (centipoints), never through
 *   printf's %f, so the output does not depend on the locale. */
#include "fh/fh_pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_common.h"
#include "ttf.h"

#define FONT_PT 9       /* font size, points */
#define LEADING 1100    /* line distance, centipoints */
#define MARGIN 1400     /* page margin, centipoints */
#define MIN_COLS 40     /* the V-SDC journal's width */
#define MAX_COLS 96     /* longer lines wrap; 96 columns fit an A4 page's width */
#define TAB 8           /* tab stops every 8 columns */
#define QR_QUIET 4      /* quiet zone, modules */
#define QR_TARGET 12000 /* drawn width of the QR code with its quiet zone, centipoints */
#define QR_MODULE_MIN 150
#define QR_MODULE_MAX 300
#define QR_MAX_WIDTH 177 /* version 40 */
#define OUT_MAX (256u << 20)
#define NO_OWNER UINT32_MAX

/* ---- the text: lines of code points and their glyphs ---- */

struct doc {
    uint32_t *cps; /* code points of all lines, one column each */
    uint16_t *gids;
    size_t ncps, cap;
    size_t *line_end; /* line i is cps[line_end[i - 1] (0 for i = 0) .. line_end[i]) */
    size_t nlines, lines_cap;
    /* the subset's glyphs: glyph 0, the glyphs drawn and their components */
    struct fh_ttf_set *glyphs;
    uint32_t *owner;  /* per glyph: the first code point drawn with it (its ToUnicode entry) */
    unsigned nglyphs; /* of the subset: the highest used id + 1 */
    size_t cols;
};

static void end_line(struct doc *d, size_t *col)
{
    if (d->nlines == d->lines_cap) {
        d->lines_cap = d->lines_cap ? 2 * d->lines_cap : 64;
        d->line_end = fh_realloc(d->line_end, d->lines_cap * sizeof(*d->line_end));
    }
    d->line_end[d->nlines++] = d->ncps;
    if (*col > d->cols)
        d->cols = *col;
    *col = 0;
}

static void push_cp(struct doc *d, uint32_t c, size_t *col)
{
    if (*col == MAX_COLS)
        end_line(d, col);
    if (d->ncps == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->cps = fh_realloc(d->cps, d->cap * sizeof(*d->cps));
    }
    d->cps[d->ncps++] = c;
    (*col)++;
}

/* Decodes one code point at s; returns its length in bytes, 0 when it is malformed. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static bool utf8_valid(const char *s)
{
    uint32_t c;
    for (size_t i = 0, n; s[i]; i += n)
        if (!(n = utf8_next((const unsigned char *)s + i, &c)))
            return false;
    return true;
}

/* Splits text into lines; false when it is not valid UTF-8. */
static bool split_lines(struct doc *d, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t col = 0, n;
    uint32_t c;
    for (size_t i = 0; s[i]; i += n) {
        if (!(n = utf8_next(s + i, &c)))
            return false;
        if (c == '\n' || (c == '\r' && s[i + 1] == '\n')) {
            n += c == '\r';
            end_line(d, &col);
        } else if (c == '\t') {
            if (col == MAX_COLS)
                end_line(d, &col);
            for (size_t k = TAB - col % TAB; k > 0; k--)
                push_cp(d, ' ', &col);
        } else {
            push_cp(d, c < 0x20 || (c >= 0x7F && c < 0xA0) ? ' ' : c, &col);
        }
    }
    if (s[strlen(text) - 1] != '\n') /* a final line ending adds no empty line */
        end_line(d, &col);
    return true;
}

static void map_glyphs(struct doc *d)
{
    unsigned nglyphs = fh_ttf_nglyphs();
    d->gids = fh_malloc((d->ncps ? d->ncps : 1) * sizeof(*d->gids));
    d->glyphs = fh_ttf_set_new();
    d->owner = fh_malloc(nglyphs * sizeof(*d->owner));
    for (unsigned g = 0; g < nglyphs; g++)
        d->owner[g] = NO_OWNER;
    for (size_t i = 0; i < d->ncps; i++) {
        unsigned g = fh_ttf_glyph(d->cps[i]);
        d->gids[i] = (uint16_t)g;
        if (d->owner[g] == NO_OWNER)
            d->owner[g] = d->cps[i];
        fh_ttf_set_add(d->glyphs, g);
    }
    fh_ttf_set_close(d->glyphs);
    d->nglyphs = fh_ttf_set_end(d->glyphs);
}

static void doc_free(struct doc *d)
{
    free(d->cps);
    free(d->gids);
    free(d->line_end);
    fh_ttf_set_free(d->glyphs);
    free(d->owner);
}

/* ---- the PDF ---- */

struct pdf {
    struct fh_buf b;
    size_t *offs; /* of each object, by number */
    bool err;
};

struct num {
    char s[24];
};

/* Centipoints as a PDF number, "245.78". */
static struct num pt(long cp)
{
    struct num n;
    snprintf(n.s, sizeof(n.s), "%s%ld.%02ld", cp < 0 ? "-" : "", labs(cp) / 100, labs(cp) % 100);
    return n;
}

static void out(struct fh_buf *b, bool *err, const void *p, size_t n)
{
    if (fh_buf_append(b, p, n) != FH_OK)
        *err = true;
}

static void outf(struct fh_buf *b, bool *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void outf(struct fh_buf *b, bool *err, const char *fmt, ...)
{
    char s[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s, sizeof(s), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(s))
        *err = true;
    else
        out(b, err, s, (size_t)n);
}

#define OUT(w, p, n) out(&(w)->b, &(w)->err, p, n)
#define OUTF(w, ...) outf(&(w)->b, &(w)->err, __VA_ARGS__)

static void obj_begin(struct pdf *w, unsigned id)
{
    w->offs[id] = w->b.len;
    OUTF(w, "%u 0 obj\n", id);
}

/* A stream object: dict entries (without /Length), then the data. */
static void stream_obj(struct pdf *w, unsigned id, const char *dict, const void *data, size_t n)
{
    obj_begin(w, id);
    OUTF(w, "<< /Length %zu%s >>\nstream\n", n, dict);
    OUT(w, data, n);
    OUTF(w, "\nendstream\nendobj\n");
}

/* Appends c as UTF-16BE hex digits. */
static void utf16_hex(struct fh_buf *b, bool *err, uint32_t c)
{
    if (c > 0xFFFF)
        outf(b, err, "%04X%04X", 0xD800 + ((c - 0x10000) >> 10), 0xDC00 + ((c - 0x10000) & 0x3FF));
    else
        outf(b, err, "%04X", c);
}

static void info_obj(struct pdf *w, const char *title)
{
    obj_begin(w, 3);
    OUTF(w, "<< /Producer (fiscalhub)");
    if (title) {
        OUTF(w, " /Title <FEFF");
        uint32_t c;
        for (size_t i = 0, n; title[i]; i += n) {
            n = utf8_next((const unsigned char *)title + i, &c);
            utf16_hex(&w->b, &w->err, c);
        }
        OUTF(w, ">");
    }
    OUTF(w, " >>\nendobj\n");
}

/* Font units as 1/1000 em (the unit of PDF glyph widths and font descriptors). */
static long scale(long v)
{
    long upem = (long)fh_ttf_metrics()->upem;
    return (v * 1000 + (v < 0 ? -upem : upem) / 2) / upem;
}

static void font_objs(struct pdf *w, const struct doc *d)
{
    const struct fh_ttf_metrics *m = fh_ttf_metrics();
    char tag[7];
    fh_ttf_subset_tag(d->glyphs, tag);
    obj_begin(w, 4);
    OUTF(w,
         "<< /Type /Font /Subtype /Type0 /BaseFont /%s+DejaVuSansMono /Encoding /Identity-H "
         "/DescendantFonts [5 0 R] /ToUnicode 8 0 R >>\nendobj\n",
         tag);
    obj_begin(w, 5);
    OUTF(w,
         "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s+DejaVuSansMono "
         "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
         "/FontDescriptor 6 0 R /CIDToGIDMap /Identity /DW %ld /W [",
         tag, scale(fh_ttf_advance(fh_ttf_glyph(' '))));
    for (unsigned g = 0; g < d->nglyphs; g++) {
        if (!fh_ttf_set_has(d->glyphs, g))
            continue;
        if (g == 0 || !fh_ttf_set_has(d->glyphs, g - 1))
            OUTF(w, " %u [", g);
        else
            OUTF(w, " ");
        OUTF(w, "%ld", scale(fh_ttf_advance(g)));
        if (g + 1 == d->nglyphs || !fh_ttf_set_has(d->glyphs, g + 1))
            OUTF(w, "]");
    }
    OUTF(w, "] >>\nendobj\n");
    obj_begin(w, 6);
    OUTF(w,
         "<< /Type /FontDescriptor /FontName /%s+DejaVuSansMono /Flags 5 "
         "/FontBBox [%ld %ld %ld %ld] /ItalicAngle 0 /Ascent %ld /Descent %ld /CapHeight %ld "
         "/StemV 80 /FontFile2 7 0 R >>\nendobj\n",
         tag, scale(m->bbox[0]), scale(m->bbox[1]), scale(m->bbox[2]), scale(m->bbox[3]),
         scale(m->ascent), scale(m->descent), scale(m->cap_height));
    uint8_t *ttf;
    size_t n;
    fh_ttf_subset(d->glyphs, &ttf, &n);
    char dict[48];
    snprintf(dict, sizeof(dict), " /Length1 %zu", n);
    stream_obj(w, 7, dict, ttf, n);
    free(ttf);
}

static void tounicode_obj(struct pdf *w, const struct doc *d)
{
    struct fh_buf c;
    bool err = false;
    fh_buf_init(&c, OUT_MAX);
    outf(&c, &err,
         "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
         "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
         "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
         "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    unsigned total = 0, k = 0;
    for (unsigned g = 0; g < d->nglyphs; g++)
        total += d->owner[g] != NO_OWNER;
    for (unsigned g = 0; g < d->nglyphs; g++) {
        if (d->owner[g] == NO_OWNER)
            continue;
        if (k % 100 == 0) /* at most 100 entries a block */
            outf(&c, &err, "%u beginbfchar\n", total - k < 100 ? total - k : 100);
        outf(&c, &err, "<%04X> <", g);
        utf16_hex(&c, &err, d->owner[g]);
        outf(&c, &err, ">\n");
        if (++k % 100 == 0 || k == total)
            outf(&c, &err, "endbfchar\n");
    }
    outf(&c, &err, "endcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n");
    stream_obj(w, 8, "", c.data, c.len);
    w->err |= err;
    fh_buf_free(&c);
}

/* The QR code as a 1-bit DeviceGray image (1 = white) with its quiet zone, rows byte-aligned. */
static void qr_obj(struct pdf *w, const struct fh_pdf_qr *qr)
{
    size_t n = (size_t)qr->width, px = n + 2 * QR_QUIET, row = (px + 7) / 8;
    uint8_t *img = fh_malloc(px * row);
    memset(img, 0xFF, px * row);
    for (size_t y = 0; y < n; y++) {
        for (size_t x = 0; x < n; x++) {
            size_t col = x + QR_QUIET;
            if (qr->modules[y * n + x] & 1)
                img[(y + QR_QUIET) * row + col / 8] &= (uint8_t) ~(0x80u >> (col % 8));
        }
    }
    char dict[192];
    snprintf(dict, sizeof(dict),
             " /Type /XObject /Subtype /Image /Width %zu /Height %zu /ColorSpace /DeviceGray "
             "/BitsPerComponent 1 /Interpolate false",
             px, px);
    stream_obj(w, 9, dict, img, px * row);
    free(img);
}

struct layout {
    long width, ascent; /* centipoints */
    long qr;            /* drawn size of the QR code with its quiet zone, centipoints */
    unsigned npages;    /* one more than the text needs when the QR code gets a page of its own */
};

static void plan(const struct doc *d, const struct fh_pdf_qr *qr, struct layout *l)
{
    size_t cols = d->cols < MIN_COLS ? MIN_COLS : d->cols;
    const struct fh_ttf_metrics *fm = fh_ttf_metrics();
    long adv = (long)fh_ttf_advance(fh_ttf_glyph(' ')), upem = (long)fm->upem;
    long textw = ((long)cols * adv * FONT_PT * 100 + upem - 1) / upem;
    l->width = 2 * MARGIN + textw;
    l->ascent = ((long)fm->ascent * FONT_PT * 100 + upem - 1) / upem;
    l->npages = (unsigned)((d->nlines + FH_PDF_MAX_LINES_PER_PAGE - 1) / FH_PDF_MAX_LINES_PER_PAGE);
    l->qr = 0;
    if (!qr)
        return;
    long px = qr->width + 2 * QR_QUIET, m = QR_TARGET / px;
    m = m < QR_MODULE_MIN ? QR_MODULE_MIN : m > QR_MODULE_MAX ? QR_MODULE_MAX : m;
    if (m * px > textw)
        m = textw / px;
    l->qr = m * px;
    size_t last = d->nlines - (size_t)(l->npages - 1) * FH_PDF_MAX_LINES_PER_PAGE;
    if ((long)last * LEADING + LEADING + l->qr > FH_PDF_MAX_LINES_PER_PAGE * LEADING)
        l->npages++;
}

static long page_height(const struct layout *l, size_t nlines, bool with_qr)
{
    long h = 2 * MARGIN + (long)nlines * LEADING;
    if (with_qr)
        h += (nlines ? LEADING : 0) + l->qr;
    return h;
}

/* One line as glyph ids; a character that is not its glyph's ToUnicode entry gets ActualText. */
static void show_line(struct fh_buf *c, bool *err, const struct doc *d, size_t line)
{
    size_t from = line ? d->line_end[line - 1] : 0, to = d->line_end[line];
    bool open = false;
    for (size_t i = from; i < to; i++) {
        unsigned g = d->gids[i];
        if (d->owner[g] == d->cps[i]) {
            if (!open)
                out(c, err, "<", 1);
            open = true;
            outf(c, err, "%04X", g);
            continue;
        }
        if (open)
            out(c, err, "> Tj\n", 5);
        open = false;
        outf(c, err, "/Span << /ActualText <FEFF");
        utf16_hex(c, err, d->cps[i]);
        outf(c, err, "> >> BDC <%04X> Tj EMC\n", g);
    }
    if (open)
        out(c, err, "> Tj\n", 5);
}

static void page_objs(struct pdf *w, const struct doc *d, const struct layout *l, unsigned p,
                      unsigned id, bool has_qr)
{
    size_t first = (size_t)p * FH_PDF_MAX_LINES_PER_PAGE, n = 0;
    if (first < d->nlines)
        n = d->nlines - first < FH_PDF_MAX_LINES_PER_PAGE ? d->nlines - first
                                                          : FH_PDF_MAX_LINES_PER_PAGE;
    bool with_qr = has_qr && p == l->npages - 1;
    long h = page_height(l, n, with_qr);
    obj_begin(w, id);
    OUTF(w,
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 4 0 R "
         ">>%s >> /Contents %u 0 R >>\nendobj\n",
         pt(l->width).s, pt(h).s, with_qr ? " /XObject << /Im1 9 0 R >>" : "", id + 1);
    struct fh_buf c;
    bool err = false;
    fh_buf_init(&c, OUT_MAX);
    if (n) {
        outf(&c, &err, "BT\n/F1 %d Tf\n%s TL\n%s %s Td\n", FONT_PT, pt(LEADING).s, pt(MARGIN).s,
             pt(h - MARGIN - l->ascent).s);
        for (size_t i = first; i < first + n; i++) {
            if (i > first)
                outf(&c, &err, "T*\n");
            show_line(&c, &err, d, i);
        }
        outf(&c, &err, "ET\n");
    }
    if (with_qr)
        outf(&c, &err, "q %s 0 0 %s %s %s cm /Im1 Do Q\n", pt(l->qr).s, pt(l->qr).s,
             pt((l->width - l->qr) / 2).s, pt(MARGIN).s);
    stream_obj(w, id + 1, "", c.data, c.len);
    w->err |= err;
    fh_buf_free(&c);
}

static void write_pdf(struct pdf *w, const char *title, const struct doc *d,
                      const struct fh_pdf_qr *qr, const struct layout *l)
{
    unsigned first_page = qr ? 10 : 9, nobj = first_page + 2 * l->npages;
    OUT(w, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", 15);
    obj_begin(w, 1);
    OUTF(w, "<< /Type /Catalog /Pages 2 0 R /ViewerPreferences << /DisplayDocTitle true >> >>\n"
            "endobj\n");
    obj_begin(w, 2);
    OUTF(w, "<< /Type /Pages /Count %u /Kids [", l->npages);
    for (unsigned p = 0; p < l->npages; p++)
        OUTF(w, "%s%u 0 R", p ? " " : "", first_page + 2 * p);
    OUTF(w, "] >>\nendobj\n");
    info_obj(w, title);
    font_objs(w, d);
    tounicode_obj(w, d);
    if (qr)
        qr_obj(w, qr);
    for (unsigned p = 0; p < l->npages; p++)
        page_objs(w, d, l, p, first_page + 2 * p, qr != NULL);
    size_t xref = w->b.len;
    OUTF(w, "xref\n0 %u\n0000000000 65535 f \n", nobj);
    for (unsigned i = 1; i < nobj; i++)
        OUTF(w, "%010zu 00000 n \n", w->offs[i]);
    OUTF(w, "trailer\n<< /Size %u /Root 1 0 R /Info 3 0 R >>\nstartxref\n%zu\n%%%%EOF\n", nobj,
         xref);
}

uint8_t *fh_pdf_receipt(const char *title, const char *text, const struct fh_pdf_qr *qr,
                        size_t *len)
{
    *len = 0;
    if (!text || !*text || strnlen(text, FH_PDF_MAX_TEXT + 1) > FH_PDF_MAX_TEXT)
        return NULL;
    if (title && (strnlen(title, FH_PDF_MAX_TITLE + 1) > FH_PDF_MAX_TITLE || !utf8_valid(title)))
        return NULL;
    if (qr && (qr->width < 1 || qr->width > QR_MAX_WIDTH || !qr->modules))
        return NULL;
    if (!fh_ttf_ready())
        return NULL;
    struct doc d;
    memset(&d, 0, sizeof(d));
    uint8_t *res = NULL;
    if (!split_lines(&d, text))
        goto out;
    map_glyphs(&d);
    struct layout l;
    plan(&d, qr, &l);
    struct pdf w = {.err = false};
    fh_buf_init(&w.b, OUT_MAX);
    w.offs = fh_calloc((qr ? 10 : 9) + 2 * (size_t)l.npages, sizeof(*w.offs));
    write_pdf(&w, title, &d, qr, &l);
    if (!w.err) {
        *len = w.b.len;
        res = (uint8_t *)fh_buf_steal(&w.b);
    }
    fh_buf_free(&w.b);
    free(w.offs);
out:
    doc_free(&d);
    return res;
}
