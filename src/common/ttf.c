/* ttf.c - the receipt PDFs' font (ttf.h): reads the compiled-in TrueType font and subsets it.
 *
 * The font (DejaVu Sans Mono, compiled in by scripts/embed_bytes.py) is parsed once per process
 * (pthread_once) into a read-only description; after that every call works on its own memory.
 * The font is data: every offset and length read from it is checked against its table, and a
 * glyph whose record is out of bounds is treated as empty. Characters map to glyphs through the
 * font's format 4 cmap (the BMP only).
 *
 * The subset font keeps the original glyph ids: its glyf holds the glyphs of the set only (each
 * padded to 4 bytes), loca gives the others empty records, and the glyph count is cut after the
 * highest id in the set (hmtx and loca are cut with it). It copies cvt, fpgm and prep (the hinting
 * programs), and writes post as version 3 (no glyph names); cmap, name, OS/2 and the layout tables
 * are left out, as a PDF viewer reaches glyphs by id. Table checksums and
 * head.checkSumAdjustment are computed. */
#include "ttf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_common.h"

extern const unsigned char fh_journal_font[];
extern const size_t fh_journal_font_len;

/* ---- reading the font ---- */

struct table {
    uint32_t off, len;
};

static struct {
    const uint8_t *d;
    size_t n;
    struct table head, hhea, hmtx, maxp, loca, glyf, cmap, cvt, fpgm, prep, post;
    uint32_t cmap4, cmap4_len; /* the format 4 subtable (absolute offset); len 0 when none */
    unsigned nglyphs, nhmetrics, loca_long;
    struct fh_ttf_metrics m;
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

unsigned fh_ttf_advance(unsigned g)
{
    unsigned i = g < font.nhmetrics ? g : font.nhmetrics - 1;
    return u16(font.d + font.hmtx.off + 4 * i);
}

unsigned fh_ttf_glyph(uint32_t c)
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
    font.m.upem = u16(head + 18);
    font.loca_long = u16(head + 50);
    font.nglyphs = u16(font.d + font.maxp.off + 4);
    font.nhmetrics = u16(hhea + 34);
    if (u32(head + 12) != 0x5F0F3CF5 || font.m.upem < 16 || font.m.upem > 16384 ||
        font.loca_long > 1 || font.nglyphs == 0 || font.nhmetrics == 0 ||
        font.nhmetrics > font.nglyphs)
        return false;
    if (font.hmtx.len < 4 * font.nhmetrics + 2 * (font.nglyphs - font.nhmetrics) ||
        font.loca.len < (font.nglyphs + 1) * (font.loca_long ? 4u : 2u) || font.glyf.len == 0)
        return false;
    for (int i = 0; i < 4; i++)
        font.m.bbox[i] = s16(head + 36 + 2 * i);
    font.m.ascent = s16(hhea + 4);
    font.m.descent = s16(hhea + 6);
    find_cmap4();
    uint32_t off, len;
    font.m.cap_height = font.m.ascent;
    if (glyph_span(fh_ttf_glyph('H'), &off, &len) && len >= 10)
        font.m.cap_height = s16(font.d + off + 8);
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

bool fh_ttf_ready(void)
{
    pthread_once(&font_once, parse_font);
    return font.ok;
}

unsigned fh_ttf_nglyphs(void)
{
    return font.nglyphs;
}

const struct fh_ttf_metrics *fh_ttf_metrics(void)
{
    return &font.m;
}

/* ---- glyph sets ---- */

struct fh_ttf_set {
    uint8_t *has; /* per glyph of the font */
    unsigned end; /* the highest id in the set + 1 */
};

/* Adds g; false when it is not a glyph of the font or already in the set. */
static bool mark(struct fh_ttf_set *s, unsigned g)
{
    if (g >= font.nglyphs || s->has[g])
        return false;
    s->has[g] = 1;
    if (g >= s->end)
        s->end = g + 1;
    return true;
}

struct fh_ttf_set *fh_ttf_set_new(void)
{
    struct fh_ttf_set *s = fh_calloc(1, sizeof(*s));
    s->has = fh_calloc(font.nglyphs, 1);
    mark(s, 0);
    return s;
}

void fh_ttf_set_free(struct fh_ttf_set *s)
{
    if (!s)
        return;
    free(s->has);
    free(s);
}

void fh_ttf_set_add(struct fh_ttf_set *s, unsigned g)
{
    mark(s, g);
}

bool fh_ttf_set_has(const struct fh_ttf_set *s, unsigned g)
{
    return g < s->end && s->has[g];
}

unsigned fh_ttf_set_end(const struct fh_ttf_set *s)
{
    return s->end;
}

/* Adds the components of glyph g (when it is composite) to the set and the stack. */
static void add_components(struct fh_ttf_set *s, unsigned g, unsigned *stack, size_t *top)
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
        if (mark(s, c))
            stack[(*top)++] = c;
    } while (flags & 0x20);
}

void fh_ttf_set_close(struct fh_ttf_set *s)
{
    unsigned *stack = fh_malloc(font.nglyphs * sizeof(*stack)); /* each glyph is pushed once */
    size_t top = 0;
    for (unsigned g = 0; g < s->end; g++)
        if (s->has[g])
            stack[top++] = g;
    while (top > 0)
        add_components(s, stack[--top], stack, &top);
    free(stack);
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
static unsigned subset_glyphs(const struct fh_ttf_set *s, struct sub_table *glyf,
                              struct sub_table *loca)
{
    struct fh_buf g;
    fh_buf_init(&g, font.glyf.len + 4 * (size_t)s->end);
    uint32_t *offs = fh_malloc((s->end + 1) * sizeof(*offs));
    static const uint8_t zero[4];
    for (unsigned i = 0; i < s->end; i++) {
        uint32_t off, len;
        offs[i] = (uint32_t)g.len;
        /* records may overlap in a damaged font: a glyph that would overflow glyf is dropped */
        if (s->has[i] && glyph_span(i, &off, &len) && len > 0 && len + 3 <= g.max - g.len) {
            fh_buf_append(&g, font.d + off, len);
            fh_buf_append(&g, zero, (4 - len % 4) % 4);
        }
    }
    offs[s->end] = (uint32_t)g.len;
    unsigned longfmt = g.len > 0x1FFFE;
    loca->len = (s->end + 1) * (longfmt ? 4u : 2u);
    loca->data = fh_malloc(loca->len);
    for (unsigned i = 0; i <= s->end; i++) {
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

void fh_ttf_subset(const struct fh_ttf_set *s, uint8_t **out, size_t *outlen)
{
    struct sub_table t[10] = {{.tag = "cvt "}, {.tag = "fpgm"}, {.tag = "glyf"}, {.tag = "head"},
                              {.tag = "hhea"}, {.tag = "hmtx"}, {.tag = "loca"}, {.tag = "maxp"},
                              {.tag = "post"}, {.tag = "prep"}}; /* in tag order */
    unsigned nh = font.nhmetrics < s->end ? font.nhmetrics : s->end;
    unsigned longfmt = subset_glyphs(s, &t[2], &t[6]);
    t[0].len = font.cvt.len, t[0].data = copy_bytes(font.cvt, t[0].len);
    t[1].len = font.fpgm.len, t[1].data = copy_bytes(font.fpgm, t[1].len);
    t[3].len = 54, t[3].data = copy_bytes(font.head, 54);
    put32(t[3].data + 8, 0);
    put16(t[3].data + 50, longfmt);
    t[4].len = 36, t[4].data = copy_bytes(font.hhea, 36);
    put16(t[4].data + 34, nh);
    t[5].len = 4 * nh + 2 * (s->end - nh), t[5].data = copy_bytes(font.hmtx, t[5].len);
    t[7].len = font.maxp.len, t[7].data = copy_bytes(font.maxp, t[7].len);
    put16(t[7].data + 4, s->end);
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

void fh_ttf_subset_tag(const struct fh_ttf_set *s, char tag[7])
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (unsigned g = 0; g < s->end; g++) {
        if (!s->has[g])
            continue;
        h = (h ^ (g & 0xFF)) * 0x100000001b3u;
        h = (h ^ (g >> 8)) * 0x100000001b3u;
    }
    for (int i = 0; i < 6; i++, h /= 26)
        tag[i] = (char)('A' + h % 26);
    tag[6] = '\0';
}
