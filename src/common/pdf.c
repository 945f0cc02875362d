/* pdf.c - fiscal receipts as PDF (fh_pdf.h): a TrueType subsetter and a small PDF 1.4 writer.
 *
 * The font (DejaVu Sans Mono, compiled in by scripts/embed_bytes.py) is parsed once per process
 * (pthread_once) into a read-only description; after that every call works on its own memory,
 * so fh_pdf_receipt is thread-safe. The font is data: every offset and length read from it is
 * checked against its table, and a glyph whose record is out of bounds is treated as empty.
 *
 * A call decodes the text (strict UTF-8) into lines of code points (tabs expanded, controls
 * made spaces, lines wrapped at MAX_COLS), maps each code point to a glyph through the font's
 * format 4 cmap, closes the glyph set over composite glyphs' components, and writes:
 *   1 Catalog, 2 Pages, 3 Info, 4 Type0 font (Identity-H, ToUnicode), 5 CIDFontType2
 *   (/CIDToGIDMap /Identity, /W), 6 FontDescriptor, 7 FontFile2, 8 ToUnicode CMap,
 *   [9 QR image], then a Page and its content stream per page; then xref and trailer.
 * The subset font keeps the original glyph ids: its glyf holds the used glyphs only (each padded
 * to 4 bytes), loca gives the others empty records, and the glyph count is cut after the highest
 * used id (hmtx and loca are cut with it). It copies cvt, fpgm and prep (the hinting programs),
 * and writes post as version 3 (no glyph names); cmap, name, OS/2 and the layout tables are left
 * out, as a PDF viewer reaches glyphs by id. Table checksums and head.checkSumAdjustment are
 * computed. Numbers are written from integers (centipoints), never through printf's %f, so the
 * output does not depend on the locale. */
#include "fh/fh_pdf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_common.h"

extern const unsigned char fh_journal_font[];
extern const size_t fh_journal_font_len;

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

/* ---- reading the font ---- */

struct table {
    uint32_t off, len;
};

static struct {
    const uint8_t *d;
    size_t n;
    struct table head, hhea, hmtx, maxp, loca, glyf, cmap, cvt, fpgm, prep, post;
    uint32_t cmap4, cmap4_len; /* the format 4 subtable (absolute offset); len 0 when none */
    unsigned upem, nglyphs, nhmetrics, loca_long;
    int bbox[4], ascent, descent, cap_height;
    bool ok;
} font;
static pthread_once_t font_once = PTHREAD_ONCE_INIT;

static unsigned u16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static int s16(const uint8_t *p)
{
    return (int16_t)u16(p);
}

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

/* True when [off, off + len) lies within [0, total). */
static bool within(size_t off, size_t len, size_t total)
{
    return off <= total && len <= total - off;
}

static bool find_table(const char *tag, size_t min_len, struct table *t)
{
    unsigned n = u16(font.d + 4);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *r = font.d + 12 + 16 * i;
        if (memcmp(r, tag, 4) != 0)
            continue;
        t->off = u32(r + 8);
        t->len = u32(r + 12);
        return within(t->off, t->len, font.n) && t->len >= min_len;
    }
    t->off = t->len = 0;
    return min_len == 0;
}

/* Picks a format 4 subtable of cmap: Windows Unicode BMP (3,1) first, else any Unicode (0,x). */
static void find_cmap4(void)
{
    const uint8_t *c = font.d + font.cmap.off;
    if (font.cmap.len < 4)
        return;
    unsigned n = u16(c + 2);
    int best = 0;
    for (unsigned i = 0; i < n && within(4 + 8 * (size_t)i, 8, font.cmap.len); i++) {
        const uint8_t *r = c + 4 + 8 * i;
        unsigned platform = u16(r), encoding = u16(r + 2);
        uint32_t off = u32(r + 4);
        int rank = platform == 3 && encoding == 1 ? 2 : platform == 0 ? 1 : 0;
        if (rank <= best || !within(off, 14, font.cmap.len) || u16(c + off) != 4)
            continue;
        unsigned len = u16(c + off + 2), seg2 = u16(c + off + 6);
        if (!within(off, len, font.cmap.len) || seg2 == 0 || seg2 % 2 || 16 + 4 * seg2 > len)
            continue;
        best = rank;
        font.cmap4 = font.cmap.off + off;
        font.cmap4_len = len;
    }
}

/* The glyph record of g within the font data; false (and an empty record) when it is bad. */
static bool glyph_span(unsigned g, uint32_t *off, uint32_t *len)
{
    *off = font.glyf.off;
    *len = 0;
    if (g >= font.nglyphs)
        return false;
    const uint8_t *l = font.d + font.loca.off;
    uint32_t a = font.loca_long ? u32(l + 4 * g) : 2 * u16(l + 2 * g);
    uint32_t b = font.loca_long ? u32(l + 4 * g + 4) : 2 * u16(l + 2 * g + 2);
    if (a > b || b > font.glyf.len)
        return false;
    *off += a;
    *len = b - a;
    return true;
}

static unsigned advance(unsigned g)
{
    unsigned i = g < font.nhmetrics ? g : font.nhmetrics - 1;
    return u16(font.d + font.hmtx.off + 4 * i);
}

/* The glyph of code point c, 0 when the font has none (or c is outside the BMP). */
static unsigned glyph_of(uint32_t c)
{
    if (c > 0xFFFF || !font.cmap4_len)
        return 0;
    const uint8_t *t = font.d + font.cmap4;
    unsigned seg2 = u16(t + 6), lo = 0, hi = seg2 / 2;
    const uint8_t *ends = t + 14, *starts = ends + seg2 + 2, *deltas = starts + seg2;
    const uint8_t *ranges = deltas + seg2;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (u16(ends + 2 * mid) < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == seg2 / 2 || u16(starts + 2 * lo) > c)
        return 0;
    unsigned delta = u16(deltas + 2 * lo), ro = u16(ranges + 2 * lo), g;
    if (ro == 0) {
        g = (c + delta) & 0xFFFF;
    } else {
        size_t at = (size_t)(ranges + 2 * lo - t) + ro + 2 * (c - u16(starts + 2 * lo));
        if (!within(at, 2, font.cmap4_len))
            return 0;
        g = u16(t + at);
        if (g)
            g = (g + delta) & 0xFFFF;
    }
    return g < font.nglyphs ? g : 0;
}

static bool parse_font_tables(void)
{
    if (font.n < 12 || (u32(font.d) != 0x00010000 && u32(font.d) != 0x74727565) ||
        !within(12, 16 * (size_t)u16(font.d + 4), font.n))
        return false;
    if (!find_table("head", 54, &font.head) || !find_table("hhea", 36, &font.hhea) ||
        !find_table("maxp", 6, &font.maxp) || !find_table("hmtx", 4, &font.hmtx) ||
        !find_table("loca", 4, &font.loca) || !find_table("glyf", 0, &font.glyf) ||
        !find_table("cmap", 4, &font.cmap) || !find_table("cvt ", 0, &font.cvt) ||
        !find_table("fpgm", 0, &font.fpgm) || !find_table("prep", 0, &font.prep) ||
        !find_table("post", 0, &font.post))
        return false;
    const uint8_t *head = font.d + font.head.off, *hhea = font.d + font.hhea.off;
    font.upem = u16(head + 18);
    font.loca_long = u16(head + 50);
    font.nglyphs = u16(font.d + font.maxp.off + 4);
    font.nhmetrics = u16(hhea + 34);
    if (u32(head + 12) != 0x5F0F3CF5 || font.upem < 16 || font.upem > 16384 || font.loca_long > 1 ||
        font.nglyphs == 0 || font.nhmetrics == 0 || font.nhmetrics > font.nglyphs)
        return false;
    if (font.hmtx.len < 4 * font.nhmetrics + 2 * (font.nglyphs - font.nhmetrics) ||
        font.loca.len < (font.nglyphs + 1) * (font.loca_long ? 4u : 2u) || font.glyf.len == 0)
        return false;
    for (int i = 0; i < 4; i++)
        font.bbox[i] = s16(head + 36 + 2 * i);
    font.ascent = s16(hhea + 4);
    font.descent = s16(hhea + 6);
    find_cmap4();
    uint32_t off, len;
    font.cap_height = font.ascent;
    if (glyph_span(glyph_of('H'), &off, &len) && len >= 10)
        font.cap_height = s16(font.d + off + 8);
    return font.cmap4_len > 0;
}

static void parse_font(void)
{
    font.d = fh_journal_font;
    font.n = fh_journal_font_len;
    font.ok = parse_font_tables();
    if (!font.ok)
        fh_log(FH_LOG_ERROR, "pdf_font",
               "the compiled-in receipt font is not a usable TrueType font");
}

/* ---- the text: lines of code points and their glyphs ---- */

struct doc {
    uint32_t *cps; /* code points of all lines, one column each */
    uint16_t *gids;
    size_t ncps, cap;
    size_t *line_end; /* line i is cps[line_end[i - 1] (0 for i = 0) .. line_end[i]) */
    size_t nlines, lines_cap;
    uint8_t *used;    /* per glyph of the font: in the subset */
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

/* Adds the components of glyph g (when it is composite) to the set and the stack. */
static void add_components(struct doc *d, unsigned g, unsigned *stack, size_t *top)
{
    uint32_t off, len;
    if (!glyph_span(g, &off, &len) || len < 10 || s16(font.d + off) >= 0)
        return;
    const uint8_t *p = font.d + off;
    size_t i = 10;
    unsigned flags;
    do {
        if (i + 4 > len)
            return;
        flags = u16(p + i);
        unsigned c = u16(p + i + 2);
        i += 4 + (flags & 0x1 ? 4 : 2) +
             (flags & 0x8    ? 2
              : flags & 0x40 ? 4
              : flags & 0x80 ? 8
                             : 0);
        if (c < font.nglyphs && !d->used[c]) {
            d->used[c] = 1;
            stack[(*top)++] = c;
        }
    } while (flags & 0x20);
}

static void map_glyphs(struct doc *d)
{
    d->gids = fh_malloc((d->ncps ? d->ncps : 1) * sizeof(*d->gids));
    d->used = fh_calloc(font.nglyphs, 1);
    d->owner = fh_malloc(font.nglyphs * sizeof(*d->owner));
    unsigned *stack = fh_malloc(font.nglyphs * sizeof(*stack));
    size_t top = 0;
    for (unsigned g = 0; g < font.nglyphs; g++)
        d->owner[g] = NO_OWNER;
    d->used[0] = 1;
    stack[top++] = 0;
    for (size_t i = 0; i < d->ncps; i++) {
        unsigned g = glyph_of(d->cps[i]);
        d->gids[i] = (uint16_t)g;
        if (d->owner[g] == NO_OWNER)
            d->owner[g] = d->cps[i];
        if (!d->used[g]) {
            d->used[g] = 1;
            stack[top++] = g;
        }
    }
    while (top > 0)
        add_components(d, stack[--top], stack, &top);
    free(stack);
    d->nglyphs = 1;
    for (unsigned g = 0; g < font.nglyphs; g++)
        if (d->used[g])
            d->nglyphs = g + 1;
}

static void doc_free(struct doc *d)
{
    free(d->cps);
    free(d->gids);
    free(d->line_end);
    free(d->used);
    free(d->owner);
}

/* ---- the subset font ---- */

struct sub_table {
    const char *tag;
    uint8_t *data; /* owned */
    size_t len;
};

static uint8_t *copy_bytes(struct table t, size_t len)
{
    uint8_t *p = fh_malloc(len);
    memcpy(p, font.d + t.off, len);
    return p;
}

static uint32_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint8_t w[4] = {0, 0, 0, 0};
        memcpy(w, p + i, len - i < 4 ? len - i : 4);
        sum += u32(w);
    }
    return sum;
}

/* glyf and loca of the subset; returns loca's format (1 = long). */
static unsigned subset_glyphs(const struct doc *d, struct sub_table *glyf, struct sub_table *loca)
{
    struct fh_buf g;
    fh_buf_init(&g, font.glyf.len + 4 * (size_t)d->nglyphs);
    uint32_t *offs = fh_malloc((d->nglyphs + 1) * sizeof(*offs));
    static const uint8_t zero[4];
    for (unsigned i = 0; i < d->nglyphs; i++) {
        uint32_t off, len;
        offs[i] = (uint32_t)g.len;
        /* records may overlap in a damaged font: a glyph that would overflow glyf is dropped */
        if (d->used[i] && glyph_span(i, &off, &len) && len > 0 && len + 3 <= g.max - g.len) {
            fh_buf_append(&g, font.d + off, len);
            fh_buf_append(&g, zero, (4 - len % 4) % 4);
        }
    }
    offs[d->nglyphs] = (uint32_t)g.len;
    unsigned longfmt = g.len > 0x1FFFE;
    loca->len = (d->nglyphs + 1) * (longfmt ? 4u : 2u);
    loca->data = fh_malloc(loca->len);
    for (unsigned i = 0; i <= d->nglyphs; i++) {
        if (longfmt)
            put32(loca->data + 4 * i, offs[i]);
        else
            put16(loca->data + 2 * i, offs[i] / 2);
    }
    free(offs);
    glyf->len = g.len;
    glyf->data = (uint8_t *)fh_buf_steal(&g);
    return longfmt;
}

/* The subset TrueType font file; caller frees *out. */
static void subset_font(const struct doc *d, uint8_t **out, size_t *outlen)
{
    struct sub_table t[10] = {{.tag = "cvt "}, {.tag = "fpgm"}, {.tag = "glyf"}, {.tag = "head"},
                              {.tag = "hhea"}, {.tag = "hmtx"}, {.tag = "loca"}, {.tag = "maxp"},
                              {.tag = "post"}, {.tag = "prep"}}; /* in tag order */
    unsigned nh = font.nhmetrics < d->nglyphs ? font.nhmetrics : d->nglyphs;
    unsigned longfmt = subset_glyphs(d, &t[2], &t[6]);
    t[0].len = font.cvt.len, t[0].data = copy_bytes(font.cvt, t[0].len);
    t[1].len = font.fpgm.len, t[1].data = copy_bytes(font.fpgm, t[1].len);
    t[3].len = 54, t[3].data = copy_bytes(font.head, 54);
    put32(t[3].data + 8, 0);
    put16(t[3].data + 50, longfmt);
    t[4].len = 36, t[4].data = copy_bytes(font.hhea, 36);
    put16(t[4].data + 34, nh);
    t[5].len = 4 * nh + 2 * (d->nglyphs - nh), t[5].data = copy_bytes(font.hmtx, t[5].len);
    t[7].len = font.maxp.len, t[7].data = copy_bytes(font.maxp, t[7].len);
    put16(t[7].data + 4, d->nglyphs);
    t[8].len = font.post.len >= 32 ? 32 : 0, t[8].data = copy_bytes(font.post, t[8].len);
    if (t[8].len)
        put32(t[8].data, 0x00030000);
    t[9].len = font.prep.len, t[9].data = copy_bytes(font.prep, t[9].len);

    unsigned n = 0, sel = 0;
    for (size_t i = 0; i < FH_ARRAY_LEN(t); i++)
        n += t[i].len > 0;
    while ((2u << sel) <= n)
        sel++;
    size_t size = 12 + 16 * n, head_at = 0;
    for (size_t i = 0; i < FH_ARRAY_LEN(t); i++)
        size += (t[i].len + 3) & ~(size_t)3;
    uint8_t *f = fh_calloc(size, 1);
    put32(f, 0x00010000);
    put16(f + 4, n);
    put16(f + 6, 16u << sel);
    put16(f + 8, sel);
    put16(f + 10, 16 * n - (16u << sel));
    size_t at = 12 + 16 * n, rec = 12;
    for (size_t i = 0; i < FH_ARRAY_LEN(t); i++) {
        if (t[i].len == 0) {
            free(t[i].data);
            continue;
        }
        memcpy(f + rec, t[i].tag, 4);
        put32(f + rec + 4, checksum(t[i].data, t[i].len));
        put32(f + rec + 8, (uint32_t)at);
        put32(f + rec + 12, (uint32_t)t[i].len);
        memcpy(f + at, t[i].data, t[i].len);
        if (i == 3)
            head_at = at;
        rec += 16;
        at += (t[i].len + 3) & ~(size_t)3;
        free(t[i].data);
    }
    put32(f + head_at + 8, 0xB1B0AFBA - checksum(f, size));
    *out = f;
    *outlen = size;
}

/* The 6-letter subset tag: a hash of the glyph set, so the same glyphs give the same name. */
static void subset_tag(const struct doc *d, char tag[7])
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (unsigned g = 0; g < d->nglyphs; g++) {
        if (!d->used[g])
            continue;
        h = (h ^ (g & 0xFF)) * 0x100000001b3u;
        h = (h ^ (g >> 8)) * 0x100000001b3u;
    }
    for (int i = 0; i < 6; i++, h /= 26)
        tag[i] = (char)('A' + h % 26);
    tag[6] = '\0';
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

static long scale(long v)
{
    return (v * 1000 + (v < 0 ? -(long)font.upem : (long)font.upem) / 2) / (long)font.upem;
}

static void font_objs(struct pdf *w, const struct doc *d)
{
    char tag[7];
    subset_tag(d, tag);
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
         tag, scale(advance(glyph_of(' '))));
    for (unsigned g = 0; g < d->nglyphs; g++) {
        if (!d->used[g])
            continue;
        if (g == 0 || !d->used[g - 1])
            OUTF(w, " %u [", g);
        else
            OUTF(w, " ");
        OUTF(w, "%ld", scale(advance(g)));
        if (g + 1 == d->nglyphs || !d->used[g + 1])
            OUTF(w, "]");
    }
    OUTF(w, "] >>\nendobj\n");
    obj_begin(w, 6);
    OUTF(w,
         "<< /Type /FontDescriptor /FontName /%s+DejaVuSansMono /Flags 5 "
         "/FontBBox [%ld %ld %ld %ld] /ItalicAngle 0 /Ascent %ld /Descent %ld /CapHeight %ld "
         "/StemV 80 /FontFile2 7 0 R >>\nendobj\n",
         tag, scale(font.bbox[0]), scale(font.bbox[1]), scale(font.bbox[2]), scale(font.bbox[3]),
         scale(font.ascent), scale(font.descent), scale(font.cap_height));
    uint8_t *ttf;
    size_t n;
    subset_font(d, &ttf, &n);
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
    long adv = (long)advance(glyph_of(' ')), upem = (long)font.upem;
    long textw = ((long)cols * adv * FONT_PT * 100 + upem - 1) / upem;
    l->width = 2 * MARGIN + textw;
    l->ascent = ((long)font.ascent * FONT_PT * 100 + upem - 1) / upem;
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
    pthread_once(&font_once, parse_font);
    if (!font.ok)
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
