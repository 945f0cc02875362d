/* fh_pdf.h - a fiscal receipt's journal (and its QR code) as a small, searchable PDF.
 *
 * The PDF is what gets attached where only images and PDFs are taken (Zoho Books). Decisions:
 * - PDF 1.4, uncompressed, deterministic: the same arguments give the same bytes (no dates, no
 *   /ID). Title and text are UTF-8; text lines end in "\n" or "\r\n" (a final line ending adds
 *   no empty line). A tab advances to the next multiple of 8 columns; any other control
 *   character (C0, DEL, C1, a lone "\r") becomes a space. Lines wider than 96 columns wrap.
 * - Font: DejaVu Sans Mono, compiled in at build time (meson option journal_font), embedded as a
 *   TrueType subset named "XXXXXX+DejaVuSansMono" (the tag derives from the glyph set), in a
 *   Type0 font with Identity-H encoding and /CIDToGIDMap /Identity: the codes in the content
 *   stream are the font's own glyph ids. A character the font lacks (or one outside the BMP) is
 *   drawn as glyph 0 (the box); the ToUnicode CMap maps each glyph to the first character drawn
 *   with it, and any other character drawn with the same glyph carries its text in an
 *   /ActualText span, so copying, searching and pdftotext give back every character.
 * - Page: 9 pt text on 11 pt lines, 14 pt margins, as wide as the longest line (at least the
 *   V-SDC's 40 columns), as tall as its lines; at most 100 lines a page. The QR code is centred
 *   below the last line, or on a page of its own when it would make that page taller than 100
 *   lines would. It is a 1-bit DeviceGray image, one pixel per module plus a 4-module quiet
 *   zone, /Interpolate false, drawn 120 pt wide (1.5 to 3 pt a module, never wider than the text).
 * - Bounds: text up to 1 MiB, title up to 1 KiB (bytes); a QR code 1..177 modules wide.
 */
#ifndef FH_PDF_H
#define FH_PDF_H

#include <stddef.h>
#include <stdint.h>

#define FH_PDF_MAX_TEXT (1024 * 1024)
#define FH_PDF_MAX_TITLE 1024
#define FH_PDF_MAX_LINES_PER_PAGE 100

/* A QR code as modules: width x width bytes, row-major, bit 0 of each byte set = dark module
   (this is exactly libqrencode's QRcode.data / QRcode.width layout, so a caller passes those). */
struct fh_pdf_qr {
    int width;
    const unsigned char *modules;
};

/* A PDF 1.4 document showing text line for line in DejaVu Sans Mono (embedded, subset to the
   glyphs used), then the QR code (when qr is not NULL) centred below the text, like a printed
   fiscal receipt; title (may be NULL) goes to the document's Info /Title. Returns malloc'd
   bytes (caller frees) and their length in *len, or NULL (and *len = 0) when text or title is not
   valid UTF-8, text is empty or longer than FH_PDF_MAX_TEXT (title than FH_PDF_MAX_TITLE), the QR
   code is malformed, or the compiled-in font cannot be read (logged once). Thread-safe. */
uint8_t *fh_pdf_receipt(const char *title, const char *text, const struct fh_pdf_qr *qr,
                        size_t *len);

#endif
