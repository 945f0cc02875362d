/* jobs.c - what every connector's job handlers do the same way: read the payload, act only
 * while the integration is active, wait by deferring, submit a partner document for
 * fiscalization together with its write-back job, find out whether that write-back may run
 * yet, and queue the periodic polls in batches.
 *
 * A document becomes at most one fiscal invoice: fh_fiscal_submit's source key is unique per
 * organization, and the write-back job's key is "<prefix>:<fiscal invoice id>". A write-back
 * waits while the fiscal invoice is pending (500 ms doubling per deferral, at most 30 s) and
 * ends without a call when it failed or is gone. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_cert.h"
#include "fh/fh_connector.h"
#include "fh/fh_fiscal.h"

json_t *fh_job_payload(const struct fh_job *job)
{
    json_error_t je;
    json_t *p = json_loads(job->payload ? job->payload : "{}", 0, &je);
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    return p;
}

static bool integ_active(struct fh_app *app, json_t *p, const char *type, struct fh_integ *in,
                         enum fh_rc *rc)
{
    *rc =
        fh_integ_load_id(app->store, json_integer_value(json_object_get(p, "integration_id")), in);
    if (*rc == FH_OK && strcmp(in->status, "active") == 0 && strcmp(in->type, type) == 0)
        return true;
    if (*rc == FH_OK)
        fh_integ_free(in);
    *rc = *rc == FH_E_RETRY ? FH_E_RETRY : FH_OK;
    return false;
}

bool fh_job_begin(struct fh_app *app, const struct fh_job *job, const char *type, json_t **p,
                  struct fh_integ *in, enum fh_rc *rc)
{
    *p = fh_job_payload(job);
    if (integ_active(app, *p, type, in, rc))
        return true;
    json_decref(*p);
    *p = NULL;
    return false;
}

enum fh_rc fh_job_defer_or_retry(struct fh_app *app, const struct fh_job *job, json_t *p,
                                 int64_t at, char *err, size_t errsize)
{
    if (fh_job_defer(app, job, p, at) == FH_OK)
        return FH_OK;
    fh_strlcpy(err, "could not defer the job", errsize);
    return FH_E_RETRY;
}

struct writeback_ctx {
    struct fh_app *app;
    const struct fh_enqueue *e;
    int64_t fiscal_id;
};

/* The write-back job, and its id on the fiscal invoice for the outcome's wake (rows.c). */
static int writeback_tx(struct fh_store *st, void *cls)
{
    struct writeback_ctx *c = cls;
    int64_t id = 0;
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, c->e, NULL, &id);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    struct fh_param p[] = {FH_PI(c->fiscal_id), FH_PI(id)};
    return fh_store_exec(st, "UPDATE fiscal_invoices SET writeback_job = $2 WHERE id = $1", p, 2,
                         NULL);
}

static enum fh_rc queue_writeback(struct fh_app *app, const struct fh_conn_doc *d,
                                  int64_t fiscal_id)
{
    char key[96];
    snprintf(key, sizeof(key), "%s:%lld", d->writeback_prefix, (long long)fiscal_id);
    json_t *p = d->writeback_payload ? json_deep_copy(d->writeback_payload) : json_object();
    json_object_set_new(p, "integration_id", json_integer(d->in->id));
    json_object_set_new(p, "fiscal_id", json_integer(fiscal_id));
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    struct fh_enqueue e = {
        .kind = d->writeback_kind, .ukey = key, .payload = payload, .max_attempts = 20};
    struct writeback_ctx c = {.app = app, .e = &e, .fiscal_id = fiscal_id};
    int qs = fh_store_run_tx(app->store, writeback_tx, &c);
    free(payload);
    return fh_qs_rc(qs);
}

static const char WAIT_REASON[] = "waiting for the fiscal invoice";

bool fh_writeback_retried(struct fh_store *st, const struct fh_job *job)
{
    return job->attempts > 1 || (job->last_error && strcmp(job->last_error, WAIT_REASON) != 0) ||
           fh_fiscal_recovering(st, fh_now_ms());
}

struct wait_ctx {
    const struct fh_job *job;
    int64_t fiscal_id, now;
};

/* Reads the invoice's status with a lock its outcome's UPDATE must wait for (PostgreSQL; SQLite
 * runs one writing transaction at a time), and puts the job back: to wait when still pending,
 * due at once when the outcome committed meanwhile. So the outcome's wake (rows.c) either comes
 * after this commit and finds the job waiting, or came before this read and is seen here. */
static int wait_tx(struct fh_store *st, void *cls)
{
    struct wait_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->fiscal_id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st,
                      fh_store_sql(st, "SELECT status FROM fiscal_invoices WHERE id = $1",
                                   "SELECT status FROM fiscal_invoices WHERE id = $1 FOR SHARE"),
                      p, 1, &rows);
    bool pending =
        qs > 0 && fh_rows_get(&rows, 0, 0) && strcmp(fh_rows_get(&rows, 0, 0), "pending") == 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return qs;
    enum fh_rc rc = fh_job_release(st, c->job->id, c->job->lease_owner,
                                   pending ? c->now + FH_WRITEBACK_WAIT_MS : c->now,
                                   WAIT_REASON, c->now);
    return fh_rc_qs(rc);
}

enum fh_rc fh_writeback_wait(struct fh_app *app, const struct fh_job *job, int64_t fiscal_id,
                             char *err, size_t errsize)
{
    struct wait_ctx c = {.job = job, .fiscal_id = fiscal_id, .now = fh_now_ms()};
    if (fh_store_run_tx(app->store, wait_tx, &c) < 0) {
        fh_strlcpy(err, "could not put the write-back back to wait", errsize);
        return FH_E_RETRY;
    }
    return FH_LATER;
}

/* Keeps on the invoice when its result reached the source: the done job is deleted after a week
 * (the maintenance sweep), the time stays in the invoice's details. A failure here loses only
 * that time, so it is logged and the write-back stays done. */
static void record_done(struct fh_store *st, json_t *payload)
{
    json_t *id = json_object_get(payload, "fiscal_id");
    struct fh_param p[] = {FH_PI(json_is_integer(id) ? json_integer_value(id) : 0),
                           FH_PI(fh_now_ms())};
    if (fh_store_exec(st, "UPDATE fiscal_invoices SET writeback_done_at = $2 WHERE id = $1", p, 2,
                      NULL) < 0)
        fh_log(FH_LOG_WARN, "writeback",
               "could not record when fiscal invoice %lld was written back", (long long)p[0].i64);
}

enum fh_rc fh_writeback_job(struct fh_app *app, struct fh_store *st, const struct fh_job *job,
                            const char *type, fh_writeback_fn write, char *err, size_t errsize)
{
    json_t *p;
    struct fh_integ in;
    enum fh_rc rc;
    if (!fh_job_begin(app, job, type, &p, &in, &rc))
        return rc;
    struct fh_writeback_fiscal f;
    enum fh_writeback_state ws = fh_writeback_fiscal(st, p, in.id, &f);
    if (ws == FH_WB_ERROR) {
        fh_strlcpy(err, "store error", errsize);
        rc = FH_E_RETRY;
    } else if (ws == FH_WB_NONE) {
        rc = FH_OK; /* nothing to write back */
    } else if (ws == FH_WB_PENDING) {
        json_t *id = json_object_get(p, "fiscal_id");
        rc = fh_writeback_wait(app, job, json_is_integer(id) ? json_integer_value(id) : 0, err,
                               errsize);
    } else {
        rc = write(app, &in, job, p, &f, err, errsize);
        if (rc == FH_OK)
            record_done(st, p);
    }
    fh_writeback_fiscal_free(&f);
    fh_integ_free(&in);
    json_decref(p);
    return rc;
}

/* Why the integration's certificate cannot sign, in words (the submission refused it). */
static const char *cert_problem(struct fh_app *app, const struct fh_integ *in)
{
    char status[16];
    int64_t not_after = 0;
    if (fh_cert_state(app->store, in->certificate_id, status, &not_after) != FH_OK)
        return "no longer exists";
    return strcmp(status, "active") != 0 ? "is revoked" : "has expired";
}

enum fh_conn_submit_result fh_conn_submit(struct fh_app *app, const struct fh_conn_doc *d,
                                          json_t *canonical, char *why, size_t whysize)
{
    struct fh_fiscal_submit_in si = {.org_id = d->in->org_id,
                                     .certificate_uid = d->in->certificate_uid,
                                     .integration_id = d->in->id,
                                     .source_key = d->source_key,
                                     .source_ref = d->source_ref,
                                     .source_url = d->source_url,
                                     .invoice = canonical,
                                     .has_source_tax = d->has_source_tax,
                                     .source_tax = d->source_tax};
    struct fh_fiscal_submit_out so;
    struct fh_json_error err;
    enum fh_rc rc = fh_fiscal_submit(app, &si, &so, &err);
    if (rc == FH_E_INPUT) {
        if (err.ec == FH_EC_FISCAL_CERT_INACTIVE || err.ec == FH_EC_FISCAL_CERT_UNKNOWN)
            snprintf(why, whysize,
                     "the integration's certificate %s: choose a valid certificate for the "
                     "integration, and fiscalhub tries its refused documents again",
                     cert_problem(app, d->in));
        else
            snprintf(why, whysize, "cannot fiscalize: %.300s", err.detail);
        return FH_SUBMIT_FAILED;
    }
    if (rc != FH_OK) {
        snprintf(why, whysize, "store error while submitting");
        return FH_SUBMIT_RETRY;
    }
    if (so.created)
        fh_log(FH_LOG_INFO, "fiscalized", "integration %s: fiscal invoice %lld queued (%s)",
               d->in->uid, (long long)so.id, d->in->type);
    if (queue_writeback(app, d, so.id) != FH_OK) {
        snprintf(why, whysize, "store error while queueing the write-back");
        return FH_SUBMIT_RETRY;
    }
    return FH_SUBMIT_DONE;
}

void fh_writeback_fiscal_free(struct fh_writeback_fiscal *f)
{
    free(f->number);
    free(f->url);
    free(f->result);
    free(f->tax_warning);
    memset(f, 0, sizeof(*f));
}

static char *dup_or_null(const char *s)
{
    return s ? fh_strdup(s) : NULL;
}

enum fh_writeback_state fh_writeback_fiscal(struct fh_store *st, json_t *p, int64_t integration_id,
                                            struct fh_writeback_fiscal *out)
{
    memset(out, 0, sizeof(*out));
    struct fh_param q[] = {FH_PI(json_integer_value(json_object_get(p, "fiscal_id"))),
                           FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT f.status, f.invoice_number, f.verification_url, "
                           "COALESCE(r.body, f.vsdc_result), f.tax_mismatch, f.source_tax, "
                           "f.vsdc_tax FROM "
                           "fiscal_invoices f LEFT JOIN fiscal_results r ON r.invoice_id = f.id "
                           "WHERE f.id = $1 AND f.integration_id = $2",
                           q, 2, &rows);
    const char *status = qs > 0 ? fh_rows_get(&rows, 0, 0) : NULL;
    enum fh_writeback_state s = FH_WB_SIGNED;
    if (qs < 0) {
        s = FH_WB_ERROR;
    } else if (!status || strcmp(status, "failed") == 0) {
        s = FH_WB_NONE;
    } else if (strcmp(status, "pending") == 0) {
        s = FH_WB_PENDING;
    } else {
        out->number = fh_strdup(fh_rows_get(&rows, 0, 1) ? fh_rows_get(&rows, 0, 1) : "");
        out->url = dup_or_null(fh_rows_get(&rows, 0, 2));
        out->result = dup_or_null(fh_rows_get(&rows, 0, 3));
        if (fh_rows_i64(&rows, 0, 4, 0) == 1) { /* the tax check (src/fiscal/tax_check.c) */
            char source[40], vsdc[40];
            fh_fiscal_decimal(fh_rows_i64(&rows, 0, 5, 0), source, sizeof(source));
            fh_fiscal_decimal(fh_rows_i64(&rows, 0, 6, 0), vsdc, sizeof(vsdc));
            out->tax_warning = fh_asprintf("VAT differs: the V-SDC computed %s, this document "
                                           "states %s; check the tax mapping in fiscalhub.",
                                           vsdc, source);
        }
    }
    fh_rows_free(&rows);
    return s;
}

char *fh_writeback_text(const struct fh_writeback_fiscal *f)
{
    char marker[120];
    snprintf(marker, sizeof(marker), FH_WRITEBACK_MARKER, f->number);
    return fh_asprintf("Fiscalized by fiscalhub: %s Verify: %s%s%s", marker, f->url ? f->url : "-",
                       f->tax_warning ? " " : "", f->tax_warning ? f->tax_warning : "");
}

bool fh_writeback_mark_found(json_t *answer, const struct fh_writeback_mark *m)
{
    json_t *top = m->object ? json_object_get(answer, m->object) : answer, *e;
    size_t i;
    json_array_foreach(json_object_get(top, m->collection), i, e)
    {
        const char *v = json_string_value(json_object_get(e, m->field));
        if (v && (m->exact ? strcmp(v, m->text) == 0 : strstr(v, m->text) != NULL))
            return true;
    }
    return false;
}

uint8_t *fh_writeback_qr_gif(const struct fh_writeback_fiscal *f, size_t *len)
{
    json_error_t je;
    json_t *j = f->result ? json_loads(f->result, 0, &je) : NULL;
    const char *b64 = json_string_value(json_object_get(j, "verificationQRCode"));
    size_t cap = b64 ? strlen(b64) : 0;
    uint8_t *gif = NULL;
    *len = 0;
    if (cap > 0) {
        gif = fh_malloc(cap);
        if (sodium_base642bin(gif, cap, b64, cap, NULL, len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            *len == 0) {
            free(gif);
            gif = NULL;
            *len = 0;
        }
    }
    json_decref(j);
    return gif;
}

uint8_t *fh_writeback_journal_pdf(const struct fh_writeback_fiscal *f, size_t *len)
{
    json_error_t je;
    json_t *j = f->result ? json_loads(f->result, 0, &je) : NULL;
    uint8_t *pdf = fh_fiscal_receipt_pdf(f->number, f->url,
                                         json_string_value(json_object_get(j, "journal")), len);
    json_decref(j);
    return pdf;
}

/* ---- polls ---- */

struct poll_ctx {
    struct fh_app *app;
    const struct fh_rows *rows;
    const char *kind;
    size_t from, to;
    const int64_t *busy;
    size_t nbusy;
    int64_t slot;
};

enum { POLL_BATCH = 100 };

static int poll_tx(struct fh_store *st, void *cls)
{
    struct poll_ctx *c = cls;
    for (size_t i = c->from; i < c->to; i++) {
        int64_t id = fh_rows_i64(c->rows, i, 0, 0);
        if (fh_ids_contain(c->busy, c->nbusy, id))
            continue; /* a first sync or an earlier poll is still paging: it covers this one */
        char key[96], payload[96];
        snprintf(key, sizeof(key), "%s:%lld:poll:%lld", c->kind, (long long)id, (long long)c->slot);
        snprintf(payload, sizeof(payload), "{\"integration_id\":%lld,\"mode\":\"poll\"}",
                 (long long)id);
        struct fh_enqueue e = {.kind = c->kind, .ukey = key, .payload = payload};
        enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
        if (rc != FH_OK)
            return fh_rc_qs(rc);
    }
    return 1;
}

enum fh_rc fh_integ_polls_enqueue(struct fh_app *app, struct fh_store *st,
                                  const struct fh_rows *due, const char *kind, int64_t slot)
{
    struct poll_ctx c = {.app = app, .rows = due, .kind = kind, .slot = slot};
    int64_t *busy = NULL;
    int qs = 1;
    if (due->nrows > 0 && fh_integ_syncs_running(st, kind, &busy, &c.nbusy) != FH_OK)
        qs = FH_QS_SOFT;
    c.busy = busy;
    for (c.from = 0; qs > 0 && c.from < due->nrows; c.from = c.to) {
        c.to = c.from + POLL_BATCH < due->nrows ? c.from + POLL_BATCH : due->nrows;
        int r = fh_store_run_tx(st, poll_tx, &c);
        if (r < 0)
            qs = r;
    }
    free(busy);
    return fh_qs_rc(qs);
}

enum fh_rc fh_integ_poll_tick(struct fh_app *app, struct fh_store *st, const char *type,
                              const char *kind, int64_t override_ms, int64_t floor_ms,
                              int64_t webhook_ms, int64_t now, int64_t slot)
{
    int64_t tick = fh_sync_poll_tick_ms(app->cfg, override_ms);
    enum fh_rc rc = FH_OK;
    for (int t = FH_TIER_TRIAL; rc == FH_OK && t <= FH_TIER_SCALE; t++) {
        int64_t every = fh_sync_poll_ms(app->cfg, (enum fh_tier)t, override_ms, floor_ms);
        struct fh_param p[] = {FH_PT(type), FH_PT(fh_tier_name((enum fh_tier)t)),
                               FH_PI(now - every + tick / 2),
                               FH_PI(webhook_ms > 0 ? now - webhook_ms : INT64_MAX)};
        struct fh_rows rows;
        int qs = fh_store_exec(st,
                               "SELECT id FROM integrations WHERE type = $1 AND status = "
                               "'active' AND sync_tier = $2 AND COALESCE(last_sync_at, 0) <= $3 "
                               "AND (sync_mode IS NULL OR sync_mode <> 'webhook' OR "
                               "COALESCE(last_sync_at, 0) <= $4)",
                               p, FH_ARRAY_LEN(p), &rows);
        rc = qs > 0 ? fh_integ_polls_enqueue(app, st, &rows, kind, slot) : fh_qs_rc(qs);
        fh_rows_free(&rows);
    }
    return rc;
}
