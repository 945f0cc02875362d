/* jobs.c - the Zoho job handlers besides the sync (sync.c). Every handler re-reads the
 * integration and does nothing when it is no longer active, so removing an integration stops
 * its work. A handler that must wait (rate limit, a refresh elsewhere, an invoice not signed
 * yet) defers itself (fh_job_defer) instead of failing.
 *
 *   zoho.inbox      verified webhook deliveries -> webhooks_seen_at, sync mode "webhook", and a
 *                   zoho.document job per invoice not fiscalized yet (an echo of our own
 *                   write-back finds the source key and stops: no Zoho call, no loop); a
 *                   delivery without an invoice id triggers a sync. The job is due at once
 *                   (Scale, trial) or after FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS (Growth); on
 *                   Starter (polling only) there is none and the mode stays "polling"
 *   zoho.document   GET the invoice -> process.c, or the credit note -> credit.c (which waits,
 *                   parked, while the invoice it credits is being signed: common/credit.c)
 *   zoho.writeback  waits for the fiscal invoice to be signed, then a comment on the invoice
 *                   or credit note, with settings.attach_qr the QR and with
 *                   settings.attach_journal the fiscal receipt (a PDF of the journal and the
 *                   QR) as the invoice's attachments (after a failed or unknown attempt it
 *                   first reads the comments and the invoice's documents, so a retry never
 *                   writes a second one)
 *   zoho.revoke     after Remove: revoke the refresh token at its data center */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"
#include "zoho_internal.h"

static int64_t pint(json_t *p, const char *k)
{
    return json_integer_value(json_object_get(p, k));
}

enum fh_rc zoho_finish(struct fh_app *app, const struct fh_job *job, json_t *p, enum zoho_outcome o,
                       int64_t retry_at, const char *why, char *err, size_t errsize)
{
    switch (o) {
    case Z_OK:
    case Z_INACTIVE:
    case Z_NOT_FOUND:
        return FH_OK;
    case Z_WAIT:
        return fh_job_defer_or_retry(app, job, p, retry_at ? retry_at : fh_now_ms() + 1000, err,
                                     errsize);
    default:
        snprintf(err, errsize, "%s", why);
        return o == Z_TRANSIENT ? FH_E_RETRY : FH_ERR;
    }
}

/* ---- inbox ---- */

static int enqueue_hook_sync(struct fh_store *st, struct fh_app *app, int64_t id, int64_t row,
                             int64_t run_at)
{
    char key[96], payload[96];
    snprintf(key, sizeof(key), "%s:%lld:hook:%lld", FH_ZOHO_JOB_SYNC, (long long)id,
             (long long)row);
    snprintf(payload, sizeof(payload), "{\"integration_id\":%lld,\"mode\":\"poll\"}",
             (long long)id);
    struct fh_enqueue e = {
        .kind = FH_ZOHO_JOB_SYNC, .ukey = key, .payload = payload, .run_at = run_at};
    enum fh_rc rc = fh_job_enqueue(st, &app->qcfg, &e, NULL, NULL);
    return fh_rc_qs(rc);
}

/* One delivery (in the drain's transaction). Its work is due when the integration's tier takes
 * webhooks: at once, or after Growth's delay; on Starter the delivery is only seen (the
 * integration stays in polling mode and its next poll reads the change). */
static int event_tx(struct fh_store *st, const struct fh_inbox_row *r, void *cls)
{
    struct fh_app *app = cls;
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PI(r->integration_id), FH_PI(now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "UPDATE integrations SET webhooks_seen_at = $2, sync_mode = CASE WHEN "
                           "sync_tier = 'starter' THEN sync_mode ELSE 'webhook' END "
                           "WHERE id = $1 AND type = 'zoho_books' AND status = 'active' "
                           "RETURNING org_id, tenant_id, sync_tier",
                           p, 2, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs; /* not active any more: the delivery is dropped */
    }
    struct fh_sync_speed speed;
    fh_tier_sync_speed(app->cfg, fh_tier_of_name(fh_rows_get(&rows, 0, 2)), &speed);
    if (speed.webhook_delay_ms < 0) {
        fh_rows_free(&rows);
        return 1;
    }
    int64_t run_at = speed.webhook_delay_ms > 0 ? now + speed.webhook_delay_ms : 0;
    int64_t org_id = fh_rows_i64(&rows, 0, 0, 0);
    char key[200];
    bool has_id = r->resource_id && r->resource_id[0];
    bool credit = r->category && strcmp(r->category, "creditnote") == 0;
    char tenant[64];
    fh_strlcpy(tenant, fh_rows_get(&rows, 0, 1) ? fh_rows_get(&rows, 0, 1) : "", sizeof(tenant));
    (credit ? zoho_credit_key : zoho_source_key)(tenant, has_id ? r->resource_id : "", key,
                                                 sizeof(key));
    fh_rows_free(&rows);
    if (!has_id)
        return enqueue_hook_sync(st, app, r->integration_id, r->id, run_at);
    bool failed = false;
    enum zoho_doc kind = credit ? ZOHO_DOC_CREDIT_NOTE : ZOHO_DOC_INVOICE;
    if (zoho_fiscalized(st, org_id, key, &failed)) {
        /* fiscalized already: an edit, our own echo, or a void whose refund is due */
        bool voided = !credit && r->event_type && strcmp(r->event_type, "void") == 0;
        if (failed || !voided || !zoho_void_open(st, org_id, tenant, r->resource_id, &failed))
            return failed ? FH_QS_SOFT : 1;
        kind = ZOHO_DOC_VOID;
    }
    char version[48];
    snprintf(version, sizeof(version), "%s", r->event_at ? r->event_at : "");
    if (!version[0])
        snprintf(version, sizeof(version), "h%lld", (long long)r->id);
    enum fh_rc rc = zoho_queue_document(st, &app->qcfg, r->integration_id, kind, r->resource_id,
                                        version, run_at, r->id);
    return fh_rc_qs(rc);
}

enum fh_rc fh_zoho_job_inbox(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                             size_t errsize)
{
    FH_UNUSED(job);
    FH_UNUSED(st);
    return fh_inbox_drain(cls, "zoho", event_tx, cls, err, errsize);
}

enum fh_rc fh_zoho_look_again(struct fh_app *app, const struct fh_integ *in, const char *kind,
                              const char *doc_id, int64_t seen_at)
{
    char version[40];
    snprintf(version, sizeof(version), "again-%lld", (long long)seen_at);
    return zoho_queue_document(app->store, &app->qcfg, in->id,
                               kind && strcmp(kind, "credit_note") == 0 ? ZOHO_DOC_CREDIT_NOTE
                                                                        : ZOHO_DOC_INVOICE,
                               doc_id, version, 0, 0);
}

/* ---- one invoice or credit note ---- */

static enum fh_rc credit_job(struct fh_app *app, const struct fh_integ *in,
                             const struct fh_job *job, json_t *p, const char *id, char *err,
                             size_t errsize)
{
    char why[400], waiting[200];
    int64_t retry_at = 0;
    enum zoho_process_result pr = zoho_credit_note(app, in, id, &retry_at, why, sizeof(why));
    if (pr == ZP_FAILED)
        fh_log(FH_LOG_WARN, "zoho_credit_note",
               "integration %s: credit note %s was not fiscalized: %s", in->uid, id, why);
    if (pr == ZP_WAIT_ORIGINAL) {
        zoho_credit_key(in->tenant_id, id, waiting, sizeof(waiting));
        return fh_conn_wait_original(app, in, job, FH_CONN_CREDIT, waiting, why, err, errsize);
    }
    enum zoho_outcome o = pr == ZP_DONE    ? Z_OK
                          : pr == ZP_WAIT  ? Z_WAIT
                          : pr == ZP_RETRY ? Z_TRANSIENT
                                           : Z_REFUSED;
    return zoho_finish(app, job, p, o, retry_at, why, err, errsize);
}

enum fh_rc fh_zoho_job_document(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                                size_t errsize)
{
    struct fh_app *app = cls;
    json_t *p;
    struct fh_integ in;
    enum fh_rc rc;
    if (!fh_job_begin(app, job, FH_ZOHO_TYPE, &p, &in, &rc))
        return rc;
    char id[32], key[200], why[400];
    bool failed = false;
    int64_t retry_at = 0;
    if (zoho_id(json_object_get(p, "creditnote_id"), id, sizeof(id))) {
        rc = credit_job(app, &in, job, p, id, err, errsize);
        goto out;
    }
    if (!zoho_id(json_object_get(p, "invoice_id"), id, sizeof(id))) {
        fh_strlcpy(err, "the job names no invoice", errsize);
        rc = FH_ERR;
        goto out;
    }
    /* a void's job looks at the invoice as long as its refund is not there; an invoice's, as
     * long as it has no fiscal invoice (a void after that comes with its own delivery or scan) */
    bool voided = json_is_true(json_object_get(p, "void"));
    (voided ? zoho_void_key : zoho_source_key)(in.tenant_id, id, key, sizeof(key));
    if (zoho_fiscalized(st, in.org_id, key, &failed)) {
        rc = failed ? FH_E_RETRY : FH_OK;
        goto out;
    }
    char path[64];
    snprintf(path, sizeof(path), "/invoices/%s", id);
    struct zoho_call c = {.method = "GET", .path = path, .what = "invoice"};
    json_t *j = NULL;
    enum zoho_outcome o = zoho_api(app, in.id, &c, &j, &retry_at, why, sizeof(why));
    json_t *inv = json_object_get(j, "invoice");
    if (o == Z_OK && !json_is_object(inv)) {
        snprintf(why, sizeof(why), "Zoho's answer holds no invoice");
        o = Z_REFUSED;
    }
    if (o == Z_OK) {
        enum zoho_process_result pr = zoho_process(app, &in, inv, why, sizeof(why));
        if (pr == ZP_FAILED)
            fh_log(FH_LOG_WARN, "zoho_invoice", "integration %s: invoice %s was not fiscalized: %s",
                   in.uid, id, why);
        if (pr == ZP_WAIT_ORIGINAL) { /* void: its sale is not signed yet */
            zoho_void_key(in.tenant_id, id, key, sizeof(key));
            rc = fh_conn_wait_original(app, &in, job, FH_CONN_VOID, key, why, err, errsize);
            json_decref(j);
            goto out;
        }
        o = pr == ZP_DONE ? Z_OK : pr == ZP_RETRY ? Z_TRANSIENT : Z_REFUSED;
    }
    rc = zoho_finish(app, job, p, o, retry_at, why, err, errsize);
    json_decref(j);
out:
    fh_integ_free(&in);
    json_decref(p);
    return rc;
}

/* ---- write-back ---- */

/* Whether an earlier attempt's write shows in Zoho's answer to GET m->path. */
static enum zoho_outcome already_written(struct fh_app *app, const struct fh_integ *in,
                                         const struct fh_writeback_mark *m, bool *found,
                                         int64_t *retry_at, char *why, size_t whysize)
{
    struct zoho_call c = {.method = "GET", .path = m->path, .what = m->collection};
    json_t *j = NULL;
    enum zoho_outcome o = zoho_api(app, in->id, &c, &j, retry_at, why, whysize);
    *found = fh_writeback_mark_found(j, m);
    json_decref(j);
    return o;
}

static enum zoho_outcome add_comment(struct fh_app *app, const struct fh_integ *in,
                                     const struct fh_job *job, json_t *p,
                                     const struct fh_writeback_fiscal *f, int64_t *retry_at,
                                     char *why, size_t whysize)
{
    char path[96], marker[120];
    const char *cn = json_string_value(json_object_get(p, "creditnote_id"));
    snprintf(path, sizeof(path), "/%s/%.32s/comments", cn ? "creditnotes" : "invoices",
             cn ? cn : json_string_value(json_object_get(p, "invoice_id")) ?: "");
    snprintf(marker, sizeof(marker), FH_WRITEBACK_MARKER, f->number);
    bool found = false;
    enum zoho_outcome o = Z_OK;
    struct fh_writeback_mark m = {
        .path = path, .collection = "comments", .field = "description", .text = marker};
    if (fh_writeback_retried(app->store, job)) /* an earlier attempt may have written it */
        o = already_written(app, in, &m, &found, retry_at, why, whysize);
    if (o != Z_OK || found)
        return o;
    char *text = fh_writeback_text(f);
    json_t *body = json_pack("{s:s, s:b}", "description", text, "show_comment_to_clients", 0);
    char *b = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    free(text);
    struct zoho_call c = {.method = "POST", .path = path, .body = b, .what = "comment"};
    json_t *j = NULL;
    o = zoho_api(app, in->id, &c, &j, retry_at, why, whysize);
    json_decref(j);
    free(b);
    return o;
}

/* What the write-back attaches besides its comment. */
enum attachment { A_QR, A_RECEIPT };

/* The QR code (the V-SDC's GIF) or the fiscal receipt (a PDF of the journal and the QR: Zoho
 * Books takes no text files) as the invoice's attachment "fiscal-<number>.gif" / ".pdf" (POST
 * .../attachment, multipart/form-data, not sent with the invoice's emails). Zoho Books attaches
 * files to invoices only, so a credit note's refund keeps its comment alone. */
static enum zoho_outcome attach(struct fh_app *app, const struct fh_integ *in,
                                const struct fh_job *job, json_t *p,
                                const struct fh_writeback_fiscal *f, enum attachment kind,
                                int64_t *retry_at, char *why, size_t whysize)
{
    const char *invoice = json_string_value(json_object_get(p, "invoice_id"));
    size_t len = 0;
    uint8_t *bytes = NULL;
    if (invoice && !json_object_get(p, "creditnote_id"))
        bytes = kind == A_QR ? fh_writeback_qr_gif(f, &len) : fh_writeback_journal_pdf(f, &len);
    if (!bytes)
        return Z_OK;
    const char *ext = kind == A_QR ? "gif" : "pdf";
    char path[96], name[80], boundary[48];
    snprintf(path, sizeof(path), "/invoices/%.32s", invoice);
    fh_fiscal_file_name(f->number, ext, name, sizeof(name));
    bool found = false;
    enum zoho_outcome o = Z_OK;
    struct fh_writeback_mark m = {.path = path,
                                  .object = "invoice",
                                  .collection = "documents",
                                  .field = "file_name",
                                  .text = name,
                                  .exact = true};
    if (fh_writeback_retried(app->store, job)) /* an earlier attempt may have attached it */
        o = already_written(app, in, &m, &found, retry_at, why, whysize);
    if (o != Z_OK || found) {
        free(bytes);
        return o;
    }
    char rnd[33];
    fh_random_token(16, rnd, sizeof(rnd));
    snprintf(boundary, sizeof(boundary), "fiscalhub-%s", rnd);
    struct fh_buf b;
    fh_buf_init(&b, len + 512);
    fh_buf_appendf(&b,
                   "--%s\r\nContent-Disposition: form-data; name=\"can_send_in_email\"\r\n\r\n"
                   "false\r\n--%s\r\nContent-Disposition: form-data; name=\"attachment\"; "
                   "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n",
                   boundary, boundary, name, kind == A_QR ? "image/gif" : "application/pdf");
    fh_buf_append(&b, bytes, len);
    fh_buf_appendf(&b, "\r\n--%s--\r\n", boundary);
    free(bytes);
    char ctype[96], upload[110];
    snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", boundary);
    snprintf(upload, sizeof(upload), "%s/attachment", path);
    struct zoho_call c = {.method = "POST",
                          .path = upload,
                          .body = b.data,
                          .body_len = b.len,
                          .content_type = ctype,
                          .what = kind == A_QR ? "QR attachment" : "receipt attachment"};
    json_t *j = NULL;
    o = zoho_api(app, in->id, &c, &j, retry_at, why, whysize);
    json_decref(j);
    fh_buf_free(&b);
    return o;
}

/* The comment, then (attach_qr) the QR and (attach_journal) the receipt; the comment and the QR
 * are marked done in the payload, so a deferred upload does not read or write them again. */
static enum fh_rc write_back(struct fh_app *app, const struct fh_integ *in,
                             const struct fh_job *job, json_t *p,
                             const struct fh_writeback_fiscal *f, char *err, size_t errsize)
{
    int64_t retry_at = 0;
    char why[400] = "";
    enum zoho_outcome o = json_is_true(json_object_get(p, "comment_done"))
                              ? Z_OK
                              : add_comment(app, in, job, p, f, &retry_at, why, sizeof(why));
    if (o == Z_OK)
        json_object_set_new(p, "comment_done", json_true());
    if (o == Z_OK && json_is_true(json_object_get(in->settings, "attach_qr")) &&
        !json_is_true(json_object_get(p, "qr_done"))) {
        o = attach(app, in, job, p, f, A_QR, &retry_at, why, sizeof(why));
        if (o == Z_OK)
            json_object_set_new(p, "qr_done", json_true());
    }
    if (o == Z_OK && json_is_true(json_object_get(in->settings, "attach_journal")))
        o = attach(app, in, job, p, f, A_RECEIPT, &retry_at, why, sizeof(why));
    return zoho_finish(app, job, p, o, retry_at, why, err, errsize);
}

enum fh_rc fh_zoho_job_writeback(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize)
{
    return fh_writeback_job(cls, st, job, FH_ZOHO_TYPE, write_back, err, errsize);
}

enum fh_rc fh_zoho_job_revoke(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                              size_t errsize)
{
    FH_UNUSED(st);
    json_t *p = fh_job_payload(job);
    enum fh_rc rc = zoho_revoke(cls, pint(p, "integration_id"), err, errsize);
    json_decref(p);
    return rc;
}
