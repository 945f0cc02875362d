/* verify_page.c - GET /vsdc/v/?vl=... on the plain HTTP port: what a buyer sees when scanning
 * the receipt's QR code. The blob is decoded (MD5 checked), the invoice looked up by (requestedBy,
 * totalCounter), the signature checked with the signer key, and the figures compared with the
 * stored invoice. With "Accept: application/json" the answer is, like Serbia's portal,
 * {invoiceRequest, invoiceResult, journal, isValid, refundStatus}; otherwise an HTML page with
 * the journal. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "vsdc_internal.h"

enum fh_rc vsdc_verify_get(struct fh_req *req);

static bool signature_ok(const struct vsdc_blob *b)
{
    uint8_t data[VSDC_BLOB_MAX];
    size_t len = vsdc_blob_signed_part(b, data, sizeof(data));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = len && md &&
              EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, vsdc_ctx.pki.signer_key) > 0 &&
              EVP_DigestVerify(md, b->signature, VSDC_RSA_BYTES, data, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static void html_escape(struct fh_buf *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<')
            fh_buf_appendf(out, "&lt;");
        else if (*s == '>')
            fh_buf_appendf(out, "&gt;");
        else if (*s == '&')
            fh_buf_appendf(out, "&amp;");
        else if (*s == '"')
            fh_buf_appendf(out, "&quot;");
        else
            fh_buf_append(out, s, 1);
    }
}

static enum fh_rc send_page(struct fh_req *req, unsigned int status, const char *ctype, char *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
    return fh_http_queue(req, status, resp);
}

static enum fh_rc html(struct fh_req *req, unsigned int status, const char *title,
                       const char *journal)
{
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024 * 1024);
    fh_buf_appendf(
        &b,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Invoice verification"
        "</title></head><body><h1>");
    html_escape(&b, title);
    fh_buf_appendf(&b, "</h1>");
    if (journal) {
        fh_buf_appendf(&b, "<pre>");
        html_escape(&b, journal);
        fh_buf_appendf(&b, "</pre>");
    }
    fh_buf_appendf(&b, "</body></html>");
    return send_page(req, status, "text/html; charset=utf-8", fh_buf_steal(&b));
}

static bool wants_json(struct fh_req *req)
{
    const char *accept = fh_req_header(req, "Accept");
    return accept && strstr(accept, "application/json");
}

enum fh_rc vsdc_verify_get(struct fh_req *req)
{
    const char *vl = fh_req_query(req, "vl");
    uint8_t *raw = NULL;
    size_t len = 0;
    struct vsdc_blob b;
    if (!vl || vsdc_verify_param_decode(vl, &raw, &len) != FH_OK ||
        vsdc_blob_decode(raw, len, &b) != FH_OK) {
        free(raw);
        if (wants_json(req))
            return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                                  "vl is not a valid verification value");
        return html(req, 400, "This is not a valid verification link.", NULL);
    }
    free(raw);
    char *result = NULL, *request = NULL;
    if (vsdc_store_find_by_counter(b.requested_by, b.total_counter, &result, &request) != FH_OK) {
        if (wants_json(req))
            return fh_reply_error(req, FH_EC_NOT_FOUND, "no invoice %s-%s-%u", b.requested_by,
                                  b.signed_by, b.total_counter);
        return html(req, 404, "No such invoice in this sandbox.", NULL);
    }
    json_t *res = json_loads(result, 0, NULL), *rq = json_loads(request, JSON_DECODE_ANY, NULL);
    free(result);
    free(request);
    json_t *amount = json_object_get(res, "totalAmount");
    int64_t stored_amount = -1;
    vsdc_json_decimal(amount, &stored_amount);
    bool valid =
        signature_ok(&b) && stored_amount == (int64_t)b.total_amount &&
        json_integer_value(json_object_get(res, "transactionTypeCounter")) == (json_int_t)b.ttc;
    const char *journal = json_string_value(json_object_get(res, "journal"));
    if (wants_json(req)) {
        json_t *o = json_pack("{s:o*, s:O*, s:s?, s:b, s:i}", "invoiceRequest", rq, "invoiceResult",
                              res, "journal", journal, "isValid", valid, "refundStatus", 0);
        json_decref(res);
        char *text = vsdc_json_text(o);
        json_decref(o);
        return send_page(req, 200, "application/json", text);
    }
    enum fh_rc rc =
        html(req, 200, valid ? "This invoice is valid." : "This invoice could not be verified.",
             journal);
    json_decref(rq);
    json_decref(res);
    return rc;
}
