/* process.c - one Xero document of an integration -> at most one fiscal invoice.
 *
 * Invoices follow the integration's trigger (map.c). A credit note (ACCRECCREDIT, AUTHORISED or
 * PAID) allocated to an invoice becomes a Refund referencing the original's fiscal invoice
 * number and time; it waits while the original is still being signed. An invoice VOIDED after
 * it was fiscalized (Xero voids only invoices without payments or allocated credit: trigger
 * "approval", or a payment or credit removed first) becomes a Refund of what the signed sale
 * held less what its credit notes refunded (fh_conn_void_refund), waiting the same way. Exactly
 * once comes from fh_fiscal_submit's unique source key per organization:
 * "xero:<tenant>:<InvoiceID>" (credit notes "xero:<tenant>:CN:<CreditNoteID>", voids
 * "xero:<tenant>:VOID:<InvoiceID>"), so any number of webhook events, polls and edits of the same
 * document submit it once and later edits never fiscalize it again. The write-back job has the
 * unique key "xero.wb:<fiscal invoice id>" (common/jobs.c fh_conn_submit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xero_internal.h"

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool id_ok(const char *s)
{
    if (!s || !s[0] || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
              *p == '-'))
            return false;
    return true;
}

void xero_waiting_key(const struct fh_integ *in, enum xero_doc_kind kind, const char *id, char *out,
                      size_t size)
{
    snprintf(out, size, "xero:%s:%s:%s", in->tenant_id, kind == XERO_CREDIT_NOTE ? "CN" : "VOID",
             id);
}

static bool voided(json_t *doc)
{
    const char *status = jstr(doc, "Status");
    return status && strcmp(status, "VOIDED") == 0;
}

/* What a credit note or void does after fh_conn_credited / fh_conn_void_refund answered other
 * than SIGNED: wait for the original (XP_WAIT; a scan hands it to its own job, due in 2 s), try
 * again later (a store error), or nothing. */
static enum xero_process_result not_signed(enum fh_conn_original o, int64_t *retry_at)
{
    if (o == FH_ORIGINAL_WAIT) {
        *retry_at = fh_now_ms() + 2000;
        return XP_WAIT;
    }
    return o == FH_ORIGINAL_ERROR ? XP_RETRY : XP_DONE;
}

/* The document's page in Xero (invoices only: Xero has no deep link for credit notes; caller
 * frees). */
static char *doc_url(struct fh_app *app, enum xero_doc_kind kind, const char *doc_id)
{
    return kind == XERO_INVOICE ? fh_asprintf("%s%s", app->cfg->xero_deep_link_url, doc_id) : NULL;
}

static const char *kind_name(enum xero_doc_kind kind)
{
    return kind == XERO_INVOICE ? "invoice" : "credit_note";
}

static enum xero_process_result submit(struct fh_app *app, const struct fh_integ *in,
                                       enum xero_doc_kind kind, json_t *doc, const char *doc_id,
                                       const char *key, const char *number, json_t *canonical,
                                       char *why, size_t whysize)
{
    char *url = doc_url(app, kind, doc_id);
    json_t *wb = json_pack("{s:s, s:s}", "doc_id", doc_id, "kind", kind_name(kind));
    struct fh_conn_doc d = {.in = in,
                            .source_key = key,
                            .source_ref = number,
                            .source_url = url,
                            .writeback_kind = FH_XERO_JOB_WRITEBACK,
                            .writeback_prefix = "xero.wb",
                            .writeback_payload = wb};
    d.has_source_tax = doc && fh_xero_tax_total(doc, &d.source_tax);
    enum fh_conn_submit_result r = fh_conn_submit(app, &d, canonical, why, whysize);
    json_decref(wb);
    free(url);
    return r == FH_SUBMIT_DONE ? XP_DONE : r == FH_SUBMIT_RETRY ? XP_RETRY : XP_FAILED;
}

/* A voided invoice: the Refund of its signed sale, or nothing (never fiscalized). */
static enum xero_process_result void_refund(struct fh_app *app, const struct fh_integ *in,
                                            json_t *doc, const char *id, const char *key,
                                            int64_t *retry_at, char *why, size_t whysize)
{
    char original[200];
    snprintf(original, sizeof(original), "xero:%s:%s", in->tenant_id, id);
    const char *number = jstr(doc, "InvoiceNumber");
    struct fh_conn_waiter w = {.app = app, .in = in, .key = key, .ref = number};
    fh_xero_date(jstr(doc, "UpdatedDateUTC"), &w.changed_at);
    json_t *refund = NULL;
    enum fh_conn_original o = fh_conn_void_refund(&w, original, &refund, why, whysize);
    if (o != FH_ORIGINAL_SIGNED)
        return not_signed(o, retry_at);
    /* the sale's tax was checked when it was signed */
    enum xero_process_result r =
        submit(app, in, XERO_INVOICE, NULL, id, key, number, refund, why, whysize);
    json_decref(refund);
    return r;
}

static enum xero_process_result process(struct fh_app *app, const struct fh_integ *in,
                                        enum xero_doc_kind kind, json_t *doc, const char *id,
                                        const char *key, int64_t *retry_at, char *why,
                                        size_t whysize)
{
    char ref_num[64] = "", ref_time[64] = "";
    if (kind == XERO_INVOICE && voided(doc)) {
        return void_refund(app, in, doc, id, key, retry_at, why, whysize);
    } else if (kind == XERO_INVOICE) {
        if (fh_xero_decide_invoice(doc, fh_integ_trigger(in), why, whysize) != FH_XERO_FISCALIZE)
            return XP_DONE;
    } else {
        const char *type = jstr(doc, "Type"), *status = jstr(doc, "Status");
        if (!type || strcmp(type, "ACCRECCREDIT") != 0 || !status ||
            (strcmp(status, "AUTHORISED") != 0 && strcmp(status, "PAID") != 0)) {
            snprintf(why, whysize, "not an authorised sales credit note");
            return XP_DONE;
        }
        json_t *alloc = json_array_get(json_object_get(doc, "Allocations"), 0);
        const char *orig = jstr(json_object_get(alloc, "Invoice"), "InvoiceID");
        if (!id_ok(orig)) {
            snprintf(why, whysize, "the credit note is not allocated to an invoice yet");
            return XP_DONE;
        }
        /* waits also while the invoice has no fiscal invoice yet: allocating a credit note can
         * itself make a "payment"-trigger invoice PAID, whose fiscalization then races this */
        char original[200];
        snprintf(original, sizeof(original), "xero:%s:%s", in->tenant_id, orig);
        struct fh_conn_waiter w = {
            .app = app, .in = in, .key = key, .ref = jstr(doc, "CreditNoteNumber")};
        enum fh_conn_original o = fh_conn_credited(&w, original, ref_num, sizeof(ref_num), ref_time,
                                                   sizeof(ref_time), why, whysize);
        if (o != FH_ORIGINAL_SIGNED)
            return not_signed(o, retry_at);
    }
    json_t *canonical = NULL;
    if (fh_xero_map(doc, in->settings, ref_num[0] ? ref_num : NULL, ref_time, &canonical, why,
                    whysize) != FH_OK)
        return XP_FAILED;
    const char *number = jstr(doc, kind == XERO_INVOICE ? "InvoiceNumber" : "CreditNoteNumber");
    enum xero_process_result r =
        submit(app, in, kind, doc, id, key, number, canonical, why, whysize);
    json_decref(canonical);
    return r;
}

enum xero_process_result xero_process(struct fh_app *app, const struct fh_integ *in,
                                      enum xero_doc_kind kind, json_t *doc, int64_t *retry_at,
                                      char *why, size_t whysize)
{
    why[0] = '\0';
    const char *id = jstr(doc, kind == XERO_INVOICE ? "InvoiceID" : "CreditNoteID");
    if (!id_ok(id)) {
        snprintf(why, whysize, "the document has no usable id");
        return XP_FAILED;
    }
    char key[200];
    if (kind == XERO_CREDIT_NOTE || voided(doc))
        xero_waiting_key(in, kind, id, key, sizeof(key));
    else
        snprintf(key, sizeof(key), "xero:%s:%s", in->tenant_id, id);
    enum xero_process_result r = process(app, in, kind, doc, id, key, retry_at, why, whysize);
    if (r == XP_FAILED) {
        char *url = doc_url(app, kind, id);
        struct fh_conn_refusal d = {
            .key = key,
            .ref = jstr(doc, kind == XERO_INVOICE ? "InvoiceNumber" : "CreditNoteNumber"),
            .kind = kind_name(kind),
            .doc_id = id,
            .url = url,
            .why = why};
        fh_conn_refused(app->store, in, &d);
        free(url);
        return r;
    }
    if (r == XP_DONE)
        fh_conn_settled(app->store, in, key);
    /* a refusal of the sale no longer matters once it is voided, even while the void waits */
    if (kind == XERO_INVOICE && voided(doc)) {
        snprintf(key, sizeof(key), "xero:%s:%s", in->tenant_id, id);
        fh_conn_settled(app->store, in, key);
    }
    return r;
}
