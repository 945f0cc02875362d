/* invoice.c - signing one invoice (spec §5, §8, §9): pick the tax group, compute taxItems, then,
 * holding the UID's creation lock, bump totalCounter and the (invoiceType, transactionType)
 * counter, build invoiceNumber and invoiceCounter, encrypt the internal data, sign the
 * verification blob, derive the verification URL, QR and journal, and store the result under
 * (UID, RequestId).
 *
 * encryptedInternalData is RSA-OAEP (SHA-1) under the V-SDC signer's public key of a 64-byte
 * record: "FHID" | version 1 | requestedBy | totalCounter u32 LE | transactionTypeCounter u32 LE
 * | invoiceType | transactionType | totalAmount u64 LE | the UID's running Normal sale total
 * u64 LE | running Normal refund total u64 LE | zero padding. The signature is RSA PKCS#1 v1.5
 * with SHA-256 by the signer key over the blob bytes before it (signer.pem verifies it). */
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsdc_internal.h"

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Copies the group in force at ms (the earliest one when ms predates them all). */
static bool pick_group(int64_t ms, struct vsdc_tax_group *out)
{
    pthread_rwlock_rdlock(&vsdc_ctx.groups_lock);
    const struct vsdc_tax_group *g = vsdc_tax_group_at(&vsdc_ctx.groups, ms);
    if (!g)
        for (size_t i = 0; i < vsdc_ctx.groups.n; i++)
            if (!g || vsdc_ctx.groups.groups[i].valid_from_ms < g->valid_from_ms)
                g = &vsdc_ctx.groups.groups[i];
    if (g)
        *out = *g;
    pthread_rwlock_unlock(&vsdc_ctx.groups_lock);
    return g != NULL;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool encrypt_internal(const struct vsdc_blob *b, const struct vsdc_counters *c,
                             uint8_t out[VSDC_RSA_BYTES])
{
    uint8_t rec[64] = {'F', 'H', 'I', 'D', 1};
    memcpy(rec + 5, b->requested_by, VSDC_UID_LEN);
    put_le(rec + 13, b->total_counter, 4);
    put_le(rec + 17, b->ttc, 4);
    rec[21] = b->invoice_type;
    rec[22] = b->transaction_type;
    put_le(rec + 23, b->total_amount, 8);
    put_le(rec + 31, (uint64_t)c->sale_total, 8);
    put_le(rec + 39, (uint64_t)c->refund_total, 8);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(vsdc_ctx.pki.signer_key, NULL);
    size_t len = VSDC_RSA_BYTES;
    bool ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
              EVP_PKEY_encrypt(ctx, out, &len, rec, sizeof(rec)) > 0 && len == VSDC_RSA_BYTES;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static bool sign(const uint8_t *data, size_t len, uint8_t out[VSDC_RSA_BYTES])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = VSDC_RSA_BYTES;
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, vsdc_ctx.pki.signer_key) > 0 &&
              EVP_DigestSign(md, out, &siglen, data, len) > 0 && siglen == VSDC_RSA_BYTES;
    EVP_MD_CTX_free(md);
    return ok;
}

struct made {
    struct vsdc_blob b;
    char sdc_time[48], number[48], counter[48];
    const char *ext;
    int64_t sdc_us;
    char *url, *qr, *journal;
};

static json_t *result_json(const struct vsdc_taxpayer *tp, const struct made *m,
                           const struct vsdc_tax_item *tax, size_t ntax, int group_id,
                           enum vsdc_lang lang)
{
    json_t *items = json_array();
    for (size_t i = 0; i < ntax; i++)
        json_array_append_new(
            items, json_pack("{s:i, s:s, s:o, s:o, s:s}", "categoryType", tax[i].cat_type, "label",
                             tax[i].label, "amount", vsdc_json_money(tax[i].amount), "rate",
                             vsdc_json_money(tax[i].rate), "categoryName", tax[i].cat_name));
    char *sig = vsdc_base64(m->b.signature, VSDC_RSA_BYTES),
         *internal = vsdc_base64(m->b.internal, VSDC_RSA_BYTES);
    char mrc[32];
    snprintf(mrc, sizeof(mrc), "00-0001-%s", m->b.requested_by);
    json_t *r = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s?, s:s?, s:s, s:s, s:s, s:I, s:I, s:o, s:i, "
        "s:s, s:s, s:s, "
        "s:s, s:s, s:s}",
        "requestedBy", m->b.requested_by, "signedBy", m->b.signed_by, "sdcDateTime", m->sdc_time,
        "invoiceCounter", m->counter, "invoiceCounterExtension", m->ext, "invoiceNumber", m->number,
        "taxItems", items, "verificationUrl", m->url, "verificationQRCode", m->qr, "journal",
        m->journal, "messages", lang == VSDC_LANG_SR ? "Успешно" : "Success", "signature", sig,
        "encryptedInternalData", internal, "totalCounter", (json_int_t)m->b.total_counter,
        "transactionTypeCounter", (json_int_t)m->b.ttc, "totalAmount",
        vsdc_json_money((int64_t)m->b.total_amount), "taxGroupRevision", group_id, "businessName",
        tp->name, "tin", tp->tin, "locationName", tp->location, "address", tp->address, "district",
        tp->district, "mrc", mrc);
    free(sig);
    free(internal);
    return r;
}

/* Counters, blob, signature, URL, QR, journal: everything that needs the UID's lock. */
static bool make(const struct vsdc_taxpayer *tp, const struct vsdc_invoice_req *req,
                 struct vsdc_counters *c, const struct vsdc_tax_item *tax, size_t ntax,
                 enum vsdc_lang lang, struct made *m)
{
    int it = req->invoice_type, tt = req->transaction_type;
    int64_t total = 0;
    for (size_t i = 0; i < req->nitems; i++)
        total += req->items[i].total;
    c->total++;
    c->by_type[it][tt]++;
    if (it == VSDC_NORMAL)
        *(tt == VSDC_SALE ? &c->sale_total : &c->refund_total) += total;
    m->sdc_us = now_us();
    struct vsdc_blob *b = &m->b;
    b->version = 3;
    fh_strlcpy(b->requested_by, tp->uid, sizeof(b->requested_by));
    bool own = strcmp(vsdc_ctx.set.o.signed_by, "requester") != 0;
    fh_strlcpy(b->signed_by, own ? vsdc_ctx.pki.signer_uid : tp->uid, sizeof(b->signed_by));
    b->total_counter = c->total;
    b->ttc = c->by_type[it][tt];
    b->total_amount = (uint64_t)total;
    b->sdc_ms = (uint64_t)(m->sdc_us / 1000);
    b->invoice_type = (uint8_t)it;
    b->transaction_type = (uint8_t)tt;
    b->buyer_id_len = req->buyer_id ? strlen(req->buyer_id) : 0;
    if (b->buyer_id_len > VSDC_BUYER_ID_MAX)
        return false;
    memcpy(b->buyer_id, req->buyer_id ? req->buyer_id : "", b->buyer_id_len);
    uint8_t blob[VSDC_BLOB_MAX];
    size_t signed_len = 0;
    if (!encrypt_internal(b, c, b->internal) ||
        !(signed_len = vsdc_blob_signed_part(b, blob, sizeof(blob))) ||
        !sign(blob, signed_len, b->signature))
        return false;
    size_t len = vsdc_blob_encode(b, blob, sizeof(blob));
    m->url = vsdc_verify_url(vsdc_ctx.set.verify_root, blob, len);
    m->ext = vsdc_counter_extension(lang, it, tt);
    snprintf(m->number, sizeof(m->number), "%s-%s-%u", b->requested_by, b->signed_by,
             b->total_counter);
    vsdc_invoice_counter(m->counter, sizeof(m->counter), b->ttc, b->total_counter, m->ext);
    vsdc_format_sdc_time(m->sdc_us, m->sdc_time, sizeof(m->sdc_time));
    if (!req->omit_qr && !(m->qr = vsdc_qr_gif_base64(m->url)))
        return false;
    if (!req->omit_journal) {
        struct vsdc_journal_in in = {.lang = lang,
                                     .tp = tp,
                                     .req = req,
                                     .tax = tax,
                                     .ntax = ntax,
                                     .total_amount = total,
                                     .sdc_ms = (int64_t)b->sdc_ms,
                                     .invoice_number = m->number,
                                     .invoice_counter = m->counter};
        m->journal = vsdc_journal_build(&in);
    }
    return true;
}

static void store(const struct vsdc_taxpayer *tp, const struct vsdc_invoice_req *req,
                  const struct made *m, const char *request_id, const char *request_text,
                  const char *text)
{
    struct vsdc_invoice *inv = fh_calloc(1, sizeof(*inv));
    fh_strlcpy(inv->uid, tp->uid, sizeof(inv->uid));
    fh_strlcpy(inv->request_id, request_id ? request_id : "", sizeof(inv->request_id));
    fh_strlcpy(inv->invoice_number, m->number, sizeof(inv->invoice_number));
    inv->pos_number = req->invoice_number ? fh_strdup(req->invoice_number) : NULL;
    inv->invoice_type = req->invoice_type;
    inv->transaction_type = req->transaction_type;
    inv->total_counter = m->b.total_counter;
    inv->sdc_ms = (int64_t)m->b.sdc_ms;
    inv->total_amount = (int64_t)m->b.total_amount;
    inv->result_json = fh_strdup(text);
    inv->request_json = fh_strdup(request_text);
    vsdc_store_add(inv);
}

char *vsdc_invoice_create(const struct vsdc_taxpayer *tp, const struct vsdc_invoice_req *req,
                          const char *request_id, const char *request_text, enum vsdc_lang lang,
                          struct vsdc_errors *errs, bool *stored)
{
    *stored = false;
    errs->n = 0;
    bool by_ref =
        req->has_ref_dt && (req->transaction_type == VSDC_REFUND || req->invoice_type == VSDC_COPY);
    struct vsdc_tax_group group;
    if (!pick_group(by_ref ? req->ref_dt_ms : now_us() / 1000, &group))
        return NULL;
    struct vsdc_tax_item tax[VSDC_MAX_TAX_ITEMS];
    size_t ntax = 0, bad = 0;
    enum fh_rc rc =
        vsdc_tax_compute(&group, req->items, req->nitems, tax, FH_ARRAY_LEN(tax), &ntax, &bad);
    if (rc == FH_E_NOTFOUND)
        vsdc_errors_add(errs, "2310", "items[%zu].labels", bad);
    else if (rc != FH_OK)
        vsdc_errors_add(errs, "2808", "items");
    if (rc != FH_OK)
        return NULL;
    void *token = vsdc_store_enter(tp->uid);
    char *text = NULL;
    if (request_id && vsdc_store_find(tp->uid, request_id, &text) == FH_OK) {
        *stored = true;
        vsdc_store_leave(token);
        return text;
    }
    struct made m;
    memset(&m, 0, sizeof(m));
    if (make(tp, req, vsdc_store_counters(token), tax, ntax, lang, &m)) {
        json_t *r = result_json(tp, &m, tax, ntax, group.group_id, lang);
        text = vsdc_json_text(r);
        json_decref(r);
        store(tp, req, &m, request_id, request_text, text);
    }
    vsdc_store_leave(token);
    free(m.url);
    free(m.qr);
    free(m.journal);
    return text;
}
