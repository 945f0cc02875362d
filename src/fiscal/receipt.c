/* receipt.c - a signed invoice's fiscal receipt as a PDF: the V-SDC's journal line for line and,
 * below it, the QR code of its verification URL, as the receipt is printed (fh_pdf_receipt). The
 * QR is drawn from the URL with libqrencode: the V-SDC's own QR is a GIF, which a PDF cannot
 * hold. Used by the write-back to Zoho Books and by the receipt endpoints of the APIs. */
#include <qrencode.h>
#include <stdio.h>

#include "fh/fh_fiscal.h"
#include "fh/fh_pdf.h"

uint8_t *fh_fiscal_receipt_pdf(const char *number, const char *url, const char *journal,
                               size_t *len)
{
    *len = 0;
    if (!journal || !*journal)
        return NULL;
    QRcode *code = url && *url ? QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1) : NULL;
    struct fh_pdf_qr qr = {.width = code ? code->width : 0, .modules = code ? code->data : NULL};
    char title[120];
    snprintf(title, sizeof(title), "Fiscal invoice %.80s", number ? number : "");
    uint8_t *pdf = fh_pdf_receipt(title, journal, code ? &qr : NULL, len);
    if (code)
        QRcode_free(code);
    return pdf;
}

void fh_fiscal_file_name(const char *number, const char *ext, char *out, size_t outsize)
{
    char num[61];
    size_t n = 0;
    for (const char *p = number ? number : ""; *p && n + 1 < sizeof(num); p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-';
        num[n++] = ok ? c : '-';
    }
    num[n] = '\0';
    snprintf(out, outsize, "fiscal-%s.%s", num, ext);
}

void fh_fiscal_receipt_name(const char *number, char *out, size_t outsize)
{
    fh_fiscal_file_name(number, "pdf", out, outsize);
}
