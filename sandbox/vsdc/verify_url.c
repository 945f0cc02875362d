/* verify_url.c - the verification blob and URL of spec §9.2.
 *
 * Layout: version 3 | requestedBy (8) | signedBy (8) | totalCounter u32 LE | transactionType-
 * Counter u32 LE | totalAmount x 10000 u64 LE | sdcDateTime Unix ms u64 BIG-endian | invoiceType
 * u8 | transactionType u8 | n u8 | buyerId (n) | encryptedInternalData (256) | signature (256) |
 * MD5 of everything before it (16). The signature covers every byte before it. The URL is the
 * root followed by the URL-encoded base64 of the blob. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "vsdc_internal.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

size_t vsdc_blob_signed_part(const struct vsdc_blob *b, uint8_t *out, size_t cap)
{
    size_t n = b->buyer_id_len;
    size_t len = 44 + n + VSDC_RSA_BYTES;
    if (n > VSDC_BUYER_ID_MAX || cap < len)
        return 0;
    out[0] = b->version;
    memcpy(out + 1, b->requested_by, VSDC_UID_LEN);
    memcpy(out + 9, b->signed_by, VSDC_UID_LEN);
    put_le(out + 17, b->total_counter, 4);
    put_le(out + 21, b->ttc, 4);
    put_le(out + 25, b->total_amount, 8);
    for (int i = 0; i < 8; i++)
        out[33 + i] = (uint8_t)(b->sdc_ms >> (8 * (7 - i)));
    out[41] = b->invoice_type;
    out[42] = b->transaction_type;
    out[43] = (uint8_t)n;
    memcpy(out + 44, b->buyer_id, n);
    memcpy(out + 44 + n, b->internal, VSDC_RSA_BYTES);
    return len;
}

size_t vsdc_blob_encode(const struct vsdc_blob *b, uint8_t *out, size_t cap)
{
    size_t len = vsdc_blob_signed_part(b, out, cap);
    if (len == 0 || cap < len + VSDC_RSA_BYTES + 16)
        return 0;
    memcpy(out + len, b->signature, VSDC_RSA_BYTES);
    len += VSDC_RSA_BYTES;
    unsigned int mdlen = 0;
    if (!EVP_Digest(out, len, out + len, &mdlen, EVP_md5(), NULL) || mdlen != 16)
        return 0;
    return len + 16;
}

enum fh_rc vsdc_blob_decode(const uint8_t *in, size_t len, struct vsdc_blob *b)
{
    memset(b, 0, sizeof(*b));
    if (len < 44)
        return FH_E_INPUT;
    size_t n = in[43];
    if (n > VSDC_BUYER_ID_MAX || len != 44 + n + 2 * VSDC_RSA_BYTES + 16)
        return FH_E_INPUT;
    uint8_t md[16];
    unsigned int mdlen = 0;
    if (!EVP_Digest(in, len - 16, md, &mdlen, EVP_md5(), NULL) ||
        memcmp(md, in + len - 16, 16) != 0)
        return FH_E_INPUT;
    b->version = in[0];
    memcpy(b->requested_by, in + 1, VSDC_UID_LEN);
    memcpy(b->signed_by, in + 9, VSDC_UID_LEN);
    b->total_counter = (uint32_t)get_le(in + 17, 4);
    b->ttc = (uint32_t)get_le(in + 21, 4);
    b->total_amount = get_le(in + 25, 8);
    for (int i = 0; i < 8; i++)
        b->sdc_ms = (b->sdc_ms << 8) | in[33 + i];
    b->invoice_type = in[41];
    b->transaction_type = in[42];
    b->buyer_id_len = n;
    memcpy(b->buyer_id, in + 44, n);
    memcpy(b->internal, in + 44 + n, VSDC_RSA_BYTES);
    memcpy(b->signature, in + 44 + n + VSDC_RSA_BYTES, VSDC_RSA_BYTES);
    return FH_OK;
}

char *vsdc_base64(const uint8_t *data, size_t len)
{
    char *out = fh_malloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

enum fh_rc vsdc_unbase64(const char *text, uint8_t **out, size_t *len)
{
    size_t n = strlen(text);
    if (n == 0 || n % 4 != 0 || n > 1024 * 1024)
        return FH_E_INPUT;
    uint8_t *buf = fh_malloc(n / 4 * 3 + 1);
    int r = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n);
    if (r < 0) {
        free(buf);
        return FH_E_INPUT;
    }
    size_t pad = (text[n - 1] == '=') + (text[n - 2] == '=');
    *out = buf;
    *len = (size_t)r - pad;
    return FH_OK;
}

char *vsdc_verify_url(const char *root, const uint8_t *blob, size_t len)
{
    char *b64 = vsdc_base64(blob, len);
    struct fh_buf out;
    fh_buf_init(&out, 64 * 1024);
    fh_buf_appendf(&out, "%s", root);
    for (const char *p = b64; *p; p++) {
        if (*p == '+' || *p == '/' || *p == '=')
            fh_buf_appendf(&out, "%%%02X", (unsigned)(unsigned char)*p);
        else
            fh_buf_append(&out, p, 1);
    }
    free(b64);
    return fh_buf_steal(&out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum fh_rc vsdc_verify_param_decode(const char *vl, uint8_t **blob, size_t *len)
{
    size_t n = strlen(vl);
    if (n > 8192)
        return FH_E_INPUT;
    char *b64 = fh_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (vl[i] == '%' && i + 2 < n && hexval(vl[i + 1]) >= 0 && hexval(vl[i + 2]) >= 0) {
            b64[k++] = (char)(hexval(vl[i + 1]) * 16 + hexval(vl[i + 2]));
            i += 2;
        } else {
            b64[k++] = vl[i] == ' ' ? '+' : vl[i]; /* a decoded '+' may arrive as a space */
        }
    }
    b64[k] = '\0';
    enum fh_rc rc = vsdc_unbase64(b64, blob, len);
    free(b64);
    return rc;
}
