/* v1_common.c - what the public API's submitting endpoints share (POST /api/v1/invoices and the
 * refund and copy documents): the source fields, and submission under an Idempotency-Key.
 *
 * Idempotency: the key is scoped to the integration and stored with the SHA-256 of the request
 * (method, path, body) and the first answer (status and body), in the SAME transaction as the
 * fiscal invoice and its job. A repeat with the same key and the same request gets that answer
 * again byte for byte (with "Idempotent-Replayed: true"); with another request, 409. Two
 * concurrent first requests serialize on the key's primary key: the loser's transaction is
 * retried and finds the winner's answer. An answer that is an error (4xx: nothing was written)
 * is not stored, so a corrected request may reuse the key. Keys are forgotten after
 * FISCALHUB_IDEMPOTENCY_TTL_HOURS. Both transactions (with a key: all of it; without: the
 * invoice and its job, in fh_fiscal_submit) are group commits (fh_store_group_tx). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"

#define IDEM_KEY_MAX 255

bool fh_api_v1_source_ok_or_reply(struct fh_req *req, const char *source_id, const char *source_url)
{
    for (const unsigned char *p = (const unsigned char *)(source_id ? source_id : "x"); *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                           "source_id must be printable ASCII without spaces");
            return false;
        }
    }
    if (source_url && !fh_starts_with(source_url, "https://") &&
        !fh_starts_with(source_url, "http://")) {
        fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "source_url must be an http(s) URL");
        return false;
    }
    return true;
}

bool fh_api_v1_id_or_reply(struct fh_req *req, int64_t *id)
{
    if (fh_parse_i64(fh_req_param(req, "id"), id) && *id > 0)
        return true;
    fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
    return false;
}

enum fh_rc fh_api_v1_reply_text(struct fh_req *req, unsigned int status, const char *text,
                                bool replayed)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (replayed)
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    return fh_http_queue(req, status, resp);
}

struct submit_ctx {
    struct fh_req *req;
    const struct fh_v1_doc *doc;
    const char *key, *hash, *source_key;
    /* results */
    bool replay, mismatch, input_error;
    unsigned int status;
    char *text;
    struct fh_json_error err;
};

static int idem_lookup(struct fh_store *st, struct submit_ctx *c)
{
    struct fh_param p[] = {FH_PI(c->req->apikey.integration_id), FH_PT(c->key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT request_hash, status, response FROM api_idempotency WHERE "
                           "integration_id = $1 AND idem_key = $2",
                           p, 2, &rows);
    if (qs > 0) {
        if (strcmp(fh_rows_get(&rows, 0, 0) ?: "", c->hash) == 0) {
            c->replay = true;
            c->status = (unsigned int)fh_rows_i64(&rows, 0, 1, 500);
            c->text = fh_strdup(fh_rows_get(&rows, 0, 2) ?: "{}");
        } else {
            c->mismatch = true;
        }
    }
    fh_rows_free(&rows);
    return qs;
}

/* The submission itself: the fiscal invoice and its job, and the answer's text. */
static int do_submit(struct fh_store *st, struct submit_ctx *c)
{
    const struct fh_apikey_info *k = &c->req->apikey;
    struct fh_fiscal_submit_in in = {.org_id = k->org_id,
                                     .certificate_uid = k->certificate_uid,
                                     .integration_id = k->integration_id,
                                     .source_key = c->source_key,
                                     .source_ref = c->doc->source_ref,
                                     .source_url = c->doc->source_url,
                                     .invoice = c->doc->invoice,
                                     .has_source_tax = c->doc->has_source_tax,
                                     .source_tax = c->doc->source_tax,
                                     .refund_of_id = c->doc->refund_of_id};
    struct fh_fiscal_submit_out out;
    enum fh_rc rc = fh_fiscal_submit(c->req->app, &in, &out, &c->err);
    if (rc == FH_E_INPUT) {
        c->input_error = true;
        return 0;
    }
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    json_t *o = NULL;
    rc = fh_public_invoice_get(st, k->integration_id, out.id, false, &o);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    c->status = out.created ? 202 : 200;
    c->text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return c->text ? 1 : FH_QS_HARD;
}

static int submit_tx(struct fh_store *st, void *cls)
{
    struct submit_ctx *c = cls;
    free(c->text);
    c->text = NULL;
    c->replay = c->mismatch = c->input_error = false;
    int qs;
    if (c->key && ((qs = idem_lookup(st, c)) != 0))
        return qs;
    qs = do_submit(st, c);
    if (qs <= 0 || !c->key)
        return qs;
    struct fh_param p[] = {FH_PI(c->req->apikey.integration_id),
                           FH_PT(c->key),
                           FH_PT(c->hash),
                           FH_PI(c->status),
                           FH_PT(c->text),
                           FH_PI(fh_now_ms())};
    qs = fh_store_exec(st,
                       "INSERT INTO api_idempotency (integration_id, idem_key, request_hash, "
                       "status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
                       "ON CONFLICT (integration_id, idem_key) DO NOTHING",
                       p, FH_ARRAY_LEN(p), NULL);
    return qs == 0 ? FH_QS_SOFT : qs; /* 0: a concurrent request won; the retry replays it */
}

static bool idem_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEM_KEY_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* The request's SHA-256: method, path and body, each separated by a newline. */
static void request_hash(struct fh_req *req, char out[65])
{
    struct fh_buf b;
    fh_buf_init(&b, req->body.len + 4096);
    fh_buf_appendf(&b, "%s\n%s\n", req->method, req->path);
    fh_buf_append(&b, req->body.data ? req->body.data : "", req->body.len);
    fh_sha256_hex(b.data, b.len, out);
    fh_buf_free(&b);
}

enum fh_rc fh_api_v1_submit_or_reply(struct fh_req *req, const struct fh_v1_doc *doc)
{
    const char *key = fh_req_header(req, "Idempotency-Key");
    if (key && !idem_key_ok(key))
        return fh_reply_error(req, FH_EC_IDEMPOTENCY_KEY_INVALID, "%s",
                              "Idempotency-Key must be 1 to 255 printable ASCII characters");
    char hash[65], source_key[FH_FISCAL_SOURCE_ID_MAX + 64];
    request_hash(req, hash);
    fh_public_source_key(req->apikey.integration_uid, doc->source_id, source_key,
                         sizeof(source_key));
    struct submit_ctx c = {
        .req = req, .doc = doc, .key = key, .hash = hash, .source_key = source_key};
    /* With a key, the invoice, its job and the answer are one transaction, shared with the
     * other writers of the moment (group commit). Without one there is nothing to store with
     * the invoice: fh_fiscal_submit reads and validates on this thread and commits only the
     * invoice and its job (a group commit too), so the committer's shared transaction holds
     * none of the parsing or the answer's building. */
    int qs =
        key ? fh_store_group_tx(req->app->store, submit_tx, &c) : do_submit(req->app->store, &c);
    enum fh_rc rc;
    if (qs < 0) {
        rc = fh_api_store_failed(req, fh_qs_rc(qs), "cannot store the invoice");
    } else if (c.mismatch) {
        rc = fh_reply_error(req, FH_EC_IDEMPOTENCY_MISMATCH,
                            "Idempotency-Key %.60s was used for another request", key);
    } else if (c.input_error) {
        const char *d = c.err.detail;
        if (doc->body_fields && fh_starts_with(d, "invoice."))
            d += 8;
        else if (doc->body_fields && fh_starts_with(d, "invoice: "))
            d += 9;
        rc = fh_reply_error(req, c.err.ec, "%s", d);
    } else {
        if (!c.replay && c.status == 202)
            fh_log(FH_LOG_INFO, "v1_invoice_submitted", "org %s integration %s key %s",
                   req->apikey.org_code, req->apikey.integration_uid, req->apikey.client_id);
        rc = fh_api_v1_reply_text(req, c.status, c.text, c.replay);
    }
    free(c.text);
    return rc;
}
