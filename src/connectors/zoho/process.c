/* process.c - one Zoho Books invoice of an integration -> at most one fiscal invoice, and a
 * Refund of it when the invoice is voided after its fiscalization (Zoho voids only invoices
 * without payments or credits: fiscalize "sent", or a payment or credit deleted first). The
 * refund repeats the signed sale item for item (fh_conn_void_refund), whatever the invoice became
 * since, less what credit notes applied to it before refunded.
 *
 * Exactly once comes from fh_fiscal_submit's unique source key per organization,
 * "zoho:<organization_id>:<invoice_id>" (the void's refund "zoho:<organization_id>:VOID:<id>"):
 * webhooks, polls, edits and the echo of our own write-back all find it. The jobs look the key up
 * before they spend a Zoho call on an invoice (zoho_fiscalized), so an echo costs no API call
 * either. The write-back job has the unique key "zoho.wb:<fiscal invoice id>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

bool zoho_id(json_t *v, char *out, size_t outsize)
{
    char buf[32];
    if (json_is_integer(v) && json_integer_value(v) > 0)
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v) && strlen(json_string_value(v)) < sizeof(buf))
        fh_strlcpy(buf, json_string_value(v), sizeof(buf));
    else
        return false;
    size_t n = strlen(buf);
    if (n == 0 || n > 19 || strspn(buf, "0123456789") != n)
        return false;
    return fh_strlcpy(out, buf, outsize);
}

void zoho_source_key(const char *org, const char *invoice_id, char *out, size_t outsize)
{
    snprintf(out, outsize, "zoho:%s:%s", org, invoice_id);
}

void zoho_credit_key(const char *org, const char *creditnote_id, char *out, size_t outsize)
{
    snprintf(out, outsize, "zoho:%s:CN:%s", org, creditnote_id);
}

void zoho_void_key(const char *org, const char *invoice_id, char *out, size_t outsize)
{
    snprintf(out, outsize, "zoho:%s:VOID:%s", org, invoice_id);
}

bool zoho_fiscalized(struct fh_store *st, int64_t org_id, const char *key, bool *failed)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(key)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st, "SELECT id FROM fiscal_invoices WHERE org_id = $1 AND source_key = $2", p, 2, &rows);
    fh_rows_free(&rows);
    *failed = qs < 0;
    return qs != 0;
}

bool zoho_void_open(struct fh_store *st, int64_t org_id, const char *org, const char *invoice_id,
                    bool *failed)
{
    char sale[200], refund[200];
    zoho_source_key(org, invoice_id, sale, sizeof(sale));
    zoho_void_key(org, invoice_id, refund, sizeof(refund));
    bool open = zoho_fiscalized(st, org_id, sale, failed) && !*failed &&
                !zoho_fiscalized(st, org_id, refund, failed);
    return open && !*failed;
}

static enum fh_rc queue_key(struct fh_store *st, const struct fh_queue_cfg *q, const char *key,
                            const char *payload, int64_t run_at, bool *created, int64_t *id)
{
    struct fh_enqueue e = {
        .kind = FH_ZOHO_JOB_DOCUMENT, .ukey = key, .payload = payload, .run_at = run_at};
    return fh_job_enqueue(st, q, &e, created, id);
}

enum fh_rc zoho_queue_document(struct fh_store *st, const struct fh_queue_cfg *q,
                               int64_t integration_id, enum zoho_doc kind, const char *doc_id,
                               const char *version, int64_t run_at, int64_t delivery)
{
    static const char *const prefix[] = {"doc", "cn", "void"};
    char key[160];
    snprintf(key, sizeof(key), "zoho.%s:%lld:%s:%.40s", prefix[kind], (long long)integration_id,
             doc_id, version ? version : "-");
    json_t *p = json_pack("{s:I, s:s}", "integration_id", (json_int_t)integration_id,
                          kind == ZOHO_DOC_CREDIT_NOTE ? "creditnote_id" : "invoice_id", doc_id);
    if (kind == ZOHO_DOC_VOID)
        json_object_set_new(p, "void", json_true());
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    bool created = false;
    int64_t id = 0;
    enum fh_rc rc = queue_key(st, q, key, payload, run_at, &created, &id);
    struct fh_job had = {0};
    if (rc == FH_OK && !created && delivery > 0 && (rc = fh_job_get(st, id, &had)) == FH_OK &&
        had.state != FH_JOB_READY) {
        /* That version's look has begun or ended, and a delivery says the invoice changed
         * since: within the same second, which the version cannot tell apart. Look again. */
        size_t n = strlen(key);
        snprintf(key + n, sizeof(key) - n, "#%lld", (long long)delivery);
        rc = queue_key(st, q, key, payload, run_at, NULL, NULL);
    }
    fh_job_free(&had);
    free(payload);
    return rc;
}

char *zoho_view_url(struct fh_app *app, const struct fh_integ *in, bool credit_note,
                    const char *doc_id)
{
    struct fh_zoho_dc dc;
    const char *id = json_string_value(json_object_get(in->settings, "data_center"));
    if (!fh_zoho_dc(app, id ? id : "com", false, &dc))
        return NULL;
    return fh_asprintf("%s/app/%s#/%s/%s", dc.web, in->tenant_id,
                       credit_note ? "creditnotes" : "invoices", doc_id);
}

enum zoho_process_result zoho_submit(struct fh_app *app, const struct fh_integ *in, json_t *doc,
                                     bool credit_note, const char *doc_id, const char *key,
                                     const char *number, json_t *canonical, char *why,
                                     size_t whysize)
{
    char *url = zoho_view_url(app, in, credit_note, doc_id);
    json_t *wb = json_pack("{s:s}", credit_note ? "creditnote_id" : "invoice_id", doc_id);
    struct fh_conn_doc d = {.in = in,
                            .source_key = key,
                            .source_ref = number,
                            .source_url = url,
                            .writeback_kind = FH_ZOHO_JOB_WRITEBACK,
                            .writeback_prefix = "zoho.wb",
                            .writeback_payload = wb};
    d.has_source_tax = doc && fh_zoho_tax_total(doc, &d.source_tax);
    enum fh_conn_submit_result r = fh_conn_submit(app, &d, canonical, why, whysize);
    json_decref(wb);
    free(url);
    return r == FH_SUBMIT_DONE ? ZP_DONE : r == FH_SUBMIT_RETRY ? ZP_RETRY : ZP_FAILED;
}

/* A void invoice (key: its void's): the Refund of its signed sale, or nothing. */
static enum zoho_process_result void_refund(struct fh_app *app, const struct fh_integ *in,
                                            const char *id, const char *key, const char *number,
                                            char *why, size_t whysize)
{
    char sale[200];
    zoho_source_key(in->tenant_id, id, sale, sizeof(sale));
    struct fh_conn_waiter w = {.app = app, .in = in, .key = key, .ref = number};
    json_t *refund = NULL;
    enum zoho_process_result r = ZP_DONE;
    switch (fh_conn_void_refund(&w, sale, &refund, why, whysize)) {
    case FH_ORIGINAL_ERROR:
        return ZP_RETRY;
    case FH_ORIGINAL_WAIT:
        return ZP_WAIT_ORIGINAL;
    case FH_ORIGINAL_SIGNED: /* the sale's tax was checked when it was signed */
        r = zoho_submit(app, in, NULL, false, id, key, number, refund, why, whysize);
        break;
    default:
        break;
    }
    json_decref(refund);
    return r;
}

enum zoho_process_result zoho_process(struct fh_app *app, const struct fh_integ *in, json_t *inv,
                                      char *why, size_t whysize)
{
    why[0] = '\0';
    char id[32];
    if (!zoho_id(json_object_get(inv, "invoice_id"), id, sizeof(id))) {
        snprintf(why, whysize, "the invoice has no usable id");
        return ZP_FAILED;
    }
    const char *status = json_string_value(json_object_get(inv, "status"));
    bool voided = status && strcmp(status, "void") == 0;
    char key[200];
    (voided ? zoho_void_key : zoho_source_key)(in->tenant_id, id, key, sizeof(key));
    const char *number = json_string_value(json_object_get(inv, "invoice_number"));
    const char *fiscalize = json_string_value(json_object_get(in->settings, "fiscalize"));
    enum zoho_process_result r = ZP_DONE;
    json_t *canonical = NULL;
    if (voided)
        r = void_refund(app, in, id, key, number, why, whysize);
    else if (!fh_zoho_due(inv, fiscalize, why, whysize))
        ; /* not to be fiscalized (yet): nothing refused */
    else if (fh_zoho_map(inv, in->settings, &canonical, why, whysize) != FH_OK)
        r = ZP_FAILED;
    else
        r = zoho_submit(app, in, inv, false, id, key, number, canonical, why, whysize);
    json_decref(canonical);
    if (r == ZP_FAILED) {
        char *url = zoho_view_url(app, in, false, id);
        struct fh_conn_refusal d = {
            .key = key, .ref = number, .kind = "invoice", .doc_id = id, .url = url, .why = why};
        fh_conn_refused(app->store, in, &d);
        free(url);
        return r;
    }
    if (r == ZP_DONE)
        fh_conn_settled(app->store, in, key);
    if (voided) { /* a refusal of the sale no longer matters, even while the void waits */
        zoho_source_key(in->tenant_id, id, key, sizeof(key));
        fh_conn_settled(app->store, in, key);
    }
    return r;
}
