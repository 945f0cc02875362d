/* ttf.h - the receipt PDFs' font (src/common/ttf.c): the compiled-in TrueType font, its cmap and
 * metrics, and subsets of it that keep the font's glyph ids. Private to the PDF writer (pdf.c).
 *
 * fh_ttf_ready() parses the font once per process; every other function may be called only after
 * it returned true. The parsed font is read-only, so everything here is thread-safe; a glyph set
 * belongs to its caller. Glyph ids are 0 .. fh_ttf_nglyphs() - 1; glyph 0 is the font's box. */
#ifndef FH_TTF_H
#define FH_TTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The font's metrics, in font units (upem to the em). */
struct fh_ttf_metrics {
    unsigned upem;
    int bbox[4]; /* xMin, yMin, xMax, yMax (head) */
    int ascent, descent;
    int cap_height; /* the top of "H", or ascent when the font has no "H" */
};

/* Parses the compiled-in font the first time (pthread_once); false when it is not a usable
   TrueType font (logged once). */
bool fh_ttf_ready(void);

/* The number of glyphs in the font. */
unsigned fh_ttf_nglyphs(void);

/* The font's metrics; the pointer stays valid for the life of the process. */
const struct fh_ttf_metrics *fh_ttf_metrics(void);

/* The glyph of code point cp through the font's format 4 cmap: 0 when the font has none (or cp is
   outside the BMP). */
unsigned fh_ttf_glyph(uint32_t cp);

/* The advance width of glyph g, in font units. */
unsigned fh_ttf_advance(unsigned g);

/* A set of glyph ids: what a subset holds. */
struct fh_ttf_set;

/* A new set holding glyph 0 (a subset always has it); free it with fh_ttf_set_free. */
struct fh_ttf_set *fh_ttf_set_new(void);

/* Frees s (NULL is fine). */
void fh_ttf_set_free(struct fh_ttf_set *s);

/* Adds glyph g; an id the font does not have is ignored. */
void fh_ttf_set_add(struct fh_ttf_set *s, unsigned g);

/* Adds the components of the composite glyphs in s, and theirs, until none is missing. */
void fh_ttf_set_close(struct fh_ttf_set *s);

/* True when glyph g is in s. */
bool fh_ttf_set_has(const struct fh_ttf_set *s, unsigned g);

/* The highest glyph id in s plus one: the subset's glyph count. */
unsigned fh_ttf_set_end(const struct fh_ttf_set *s);

/* The subset's 6-letter tag (and a NUL), a hash of the set: the same glyphs give the same tag. */
void fh_ttf_subset_tag(const struct fh_ttf_set *s, char tag[7]);

/* The TrueType font file holding the glyphs of s (call fh_ttf_set_close first), with the font's
   glyph ids. Writes malloc'd bytes (caller frees) to *out and their length to *outlen. */
void fh_ttf_subset(const struct fh_ttf_set *s, uint8_t **out, size_t *outlen);

#endif
