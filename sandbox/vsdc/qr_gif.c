/* qr_gif.c - verificationQRCode: the QR code of the verification URL (libqrencode computes the
 * module matrix) drawn as a two-colour GIF89a and base64-encoded, like TaxCore's (which starts
 * "R0lGODlh"). The GIF writer is a plain LZW encoder: minimum code size 2 (white, black), codes
 * grow from 3 to 12 bits, a clear code resets the dictionary when it is full, and the data goes
 * out in sub-blocks of at most 255 bytes. */
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "vsdc_internal.h"

#define LZW_MAX 4096

struct bits {
    struct fh_buf *out;
    uint8_t block[255];
    size_t blen;
    uint32_t acc;
    int nacc;
};

static void flush_block(struct bits *b)
{
    if (b->blen == 0)
        return;
    uint8_t n = (uint8_t)b->blen;
    fh_buf_append(b->out, &n, 1);
    fh_buf_append(b->out, b->block, b->blen);
    b->blen = 0;
}

static void put_code(struct bits *b, unsigned code, int size)
{
    b->acc |= (uint32_t)code << b->nacc;
    b->nacc += size;
    while (b->nacc >= 8) {
        b->block[b->blen++] = (uint8_t)b->acc;
        b->acc >>= 8;
        b->nacc -= 8;
        if (b->blen == sizeof(b->block))
            flush_block(b);
    }
}

static void put_u16(struct fh_buf *out, int v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fh_buf_append(out, le, 2);
}

/* LZW with a (prefix code, pixel) -> code table; pixels are 0 or 1. */
static void lzw(const uint8_t *px, size_t n, struct bits *b)
{
    enum { MIN = 2, CLEAR = 1 << MIN, EOI = CLEAR + 1 };
    static _Thread_local uint16_t next_of[LZW_MAX][2];
    memset(next_of, 0, sizeof(next_of));
    int size = MIN + 1;
    unsigned max_code = EOI;
    put_code(b, CLEAR, size);
    unsigned cur = px[0] & 1;
    for (size_t i = 1; i < n; i++) {
        unsigned c = px[i] & 1;
        if (next_of[cur][c]) {
            cur = next_of[cur][c];
            continue;
        }
        put_code(b, cur, size);
        next_of[cur][c] = (uint16_t)++max_code;
        if (max_code >= (1u << size) && size < 12)
            size++;
        if (max_code == LZW_MAX - 1) {
            put_code(b, CLEAR, size);
            memset(next_of, 0, sizeof(next_of));
            size = MIN + 1;
            max_code = EOI;
        }
        cur = c;
    }
    put_code(b, cur, size);
    /* The decoder adds an entry for the last code too, and may widen before EOI. */
    if (max_code + 1 >= (1u << size) && size < 12)
        size++;
    put_code(b, EOI, size);
    if (b->nacc > 0)
        put_code(b, 0, 8 - b->nacc);
    flush_block(b);
}

enum fh_rc vsdc_gif_write(const uint8_t *pixels, int w, int h, struct fh_buf *out)
{
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535)
        return FH_E_INPUT;
    static const uint8_t palette[6] = {0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00};
    fh_buf_append(out, "GIF89a", 6);
    put_u16(out, w);
    put_u16(out, h);
    static const uint8_t screen[3] = {0x80, 0, 0}; /* global table of 2 colours */
    fh_buf_append(out, screen, 3);
    fh_buf_append(out, palette, sizeof(palette));
    fh_buf_append(out, ",", 1);
    put_u16(out, 0);
    put_u16(out, 0);
    put_u16(out, w);
    put_u16(out, h);
    static const uint8_t after[2] = {0x00, 0x02}; /* no local table; LZW minimum code size 2 */
    fh_buf_append(out, after, 2);
    struct bits b = {.out = out};
    lzw(pixels, (size_t)w * (size_t)h, &b);
    static const uint8_t tail[2] = {0x00, 0x3B};
    return fh_buf_append(out, tail, 2);
}

char *vsdc_qr_gif_base64(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int modules = qr->width + 2 * VSDC_QR_QUIET;
    int w = modules * VSDC_QR_MODULE_PX;
    uint8_t *px = fh_calloc((size_t)w * (size_t)w, 1);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++) {
            if (!(qr->data[y * qr->width + x] & 1))
                continue;
            for (int dy = 0; dy < VSDC_QR_MODULE_PX; dy++) {
                size_t row = (size_t)((y + VSDC_QR_QUIET) * VSDC_QR_MODULE_PX + dy) * (size_t)w;
                memset(px + row + (size_t)(x + VSDC_QR_QUIET) * VSDC_QR_MODULE_PX, 1,
                       VSDC_QR_MODULE_PX);
            }
        }
    QRcode_free(qr);
    struct fh_buf gif;
    fh_buf_init(&gif, 4 * 1024 * 1024);
    char *b64 = NULL;
    if (vsdc_gif_write(px, w, w, &gif) == FH_OK)
        b64 = vsdc_base64((const uint8_t *)gif.data, gif.len);
    fh_buf_free(&gif);
    free(px);
    return b64;
}
