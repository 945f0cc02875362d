/* jobs.c - the Xero job handlers. Every handler re-reads the integration and does nothing when
 * it is no longer active (removed or inactive), so removing an integration stops its sync. A
 * handler that must wait (rate limit, a refresh elsewhere, an invoice not signed yet) defers
 * itself (fh_job_defer) instead of failing.
 *
 *   xero.inbox      webhook events -> one xero.document job per (integration, event), due at
 *                   once (Scale, trial), after FISCALHUB_GROWTH_WEBHOOK_DELAY_SECONDS (Growth),
 *                   or none (Starter: polling only)
 *   xero.document   GET the invoice / credit note -> process.c; a credit note whose original
 *                   is not signed (pending, on hold, failed until retried), or a voided
 *                   invoice whose sale is not, waits for it as the same job, woken by the
 *                   original's signature (fh_fiscal_wait_park), else looking again after a
 *                   growing gap (fh_conn_wait_gap_ms), up to 30 days
 *   xero.sync       GET /Invoices pages, then GET /CreditNotes pages, since the cursor
 *                   (If-Modified-Since, FISCALHUB_XERO_PAGE_SIZE a page, 100 by default): the
 *                   first backfill and the polling fallback, so a credit note whose webhook was
 *                   lost is still fiscalized; the phase and page in the job's payload (a
 *                   deferral resumes there), the invoices' progress on the integration row.
 *                   The next cursor is Xero's own time (DateTimeUTC) of the scan's first page,
 *                   so whatever changes while the pages are read (and may move between pages,
 *                   whatever the order) is read again by the next scan; no clock skew either
 *   xero.poll       periodic: a xero.sync per active integration due at its tier's interval
 *   xero.writeback  waits for the fiscal invoice to be signed, then a history note (and as
 *                   attachments the QR when settings.attach_qr, the journal when
 *                   settings.attach_journal) on the invoice or credit note;
 *                   after an earlier attempt it first reads what the document holds, so a
 *                   retry never writes a second note or attachment
 *   xero.revoke     after Remove: DELETE the connection, revoke the refresh token */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_billing.h"
#include "fh/fh_fiscal.h"
#include "xero_internal.h"

static int64_t pint(json_t *p, const char *k)
{
    return json_integer_value(json_object_get(p, k));
}

/* Queues a xero.document job (unique by key) for the invoice or credit note id, due at run_at
 * (0: now). Joins a transaction. */
static enum fh_rc queue_document(struct fh_store *st, const struct fh_queue_cfg *q, const char *key,
                                 int64_t integration_id, bool credit_note, const char *id,
                                 int64_t run_at)
{
    json_t *p = json_pack("{s:I, s:s, s:s}", "integration_id", (json_int_t)integration_id, "kind",
                          credit_note ? "credit_note" : "invoice", "id", id ? id : "");
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    struct fh_enqueue e = {
        .kind = FH_XERO_JOB_DOCUMENT, .ukey = key, .payload = payload, .run_at = run_at};
    enum fh_rc rc = fh_job_enqueue(st, q, &e, NULL, NULL);
    free(payload);
    return rc;
}

enum fh_rc fh_xero_look_again(struct fh_app *app, const struct fh_integ *in, const char *kind,
                              const char *doc_id, int64_t seen_at)
{
    char key[160];
    snprintf(key, sizeof(key), "xero.doc:%lld:again:%.64s:%lld", (long long)in->id, doc_id,
             (long long)seen_at);
    return queue_document(app->store, &app->qcfg, key, in->id,
                          kind && strcmp(kind, "credit_note") == 0, doc_id, 0);
}

/* ---- inbox ---- */

/* One event (in the drain's transaction): a document job per active integration of the
 * tenant, due when its tier takes webhooks (at once, or after Growth's delay; none on Starter,
 * whose next poll reads the change), and the time webhooks were last seen. */
static int event_tx(struct fh_store *st, const struct fh_inbox_row *r, void *cls)
{
    struct fh_app *app = cls;
    bool invoice = strcmp(r->category, "INVOICE") == 0;
    bool credit = strcmp(r->category, "CREDITNOTE") == 0;
    int64_t now = fh_now_ms();
    struct fh_param t[] = {FH_PT(r->tenant_id), FH_PI(now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id, sync_tier FROM integrations WHERE type = 'xero' AND "
                           "tenant_id = $1 AND status = 'active'",
                           t, 1, &rows);
    for (size_t i = 0; qs > 0 && (invoice || credit) && i < rows.nrows; i++) {
        struct fh_sync_speed speed;
        fh_tier_sync_speed(app->cfg, fh_tier_of_name(fh_rows_get(&rows, i, 1)), &speed);
        if (speed.webhook_delay_ms < 0)
            continue;
        char key[96];
        snprintf(key, sizeof(key), "xero.doc:%s:%lld", fh_rows_get(&rows, i, 0), (long long)r->id);
        enum fh_rc rc =
            queue_document(st, &app->qcfg, key, fh_rows_i64(&rows, i, 0, 0), credit, r->resource_id,
                           speed.webhook_delay_ms > 0 ? now + speed.webhook_delay_ms : 0);
        if (rc != FH_OK)
            qs = fh_rc_qs(rc);
    }
    fh_rows_free(&rows);
    if (qs < 0)
        return qs;
    return fh_store_exec(st,
                         "UPDATE integrations SET webhooks_seen_at = $2 WHERE type = 'xero' AND "
                         "tenant_id = $1 AND status = 'active'",
                         t, 2, NULL);
}

enum fh_rc fh_xero_job_inbox(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                             size_t errsize)
{
    FH_UNUSED(job);
    FH_UNUSED(st);
    return fh_inbox_drain(cls, "xero", event_tx, cls, err, errsize);
}

/* ---- one document ---- */

/* A credit note waiting for its original invoice, or a voided invoice's refund waiting for the
 * sale, parks its job (common/credit.c). */
static enum fh_rc wait_for_original(struct fh_app *app, const struct fh_integ *in,
                                    const struct fh_job *job, json_t *p, bool credit,
                                    const char *why, char *err, size_t errsize)
{
    const char *id = json_string_value(json_object_get(p, "id"));
    char key[200];
    xero_waiting_key(in, credit ? XERO_CREDIT_NOTE : XERO_INVOICE, id ? id : "", key, sizeof(key));
    return fh_conn_wait_original(app, in, job, credit ? FH_CONN_CREDIT : FH_CONN_VOID, key, why,
                                 err, errsize);
}

static enum fh_rc finish_process(struct fh_app *app, const struct fh_integ *in,
                                 const struct fh_job *job, json_t *p, bool credit,
                                 enum xero_process_result r, const char *why, char *err,
                                 size_t errsize)
{
    switch (r) {
    case XP_DONE:
        return FH_OK;
    case XP_WAIT:
        return wait_for_original(app, in, job, p, credit, why, err, errsize);
    case XP_RETRY:
        snprintf(err, errsize, "%s", why);
        return FH_E_RETRY;
    default:
        snprintf(err, errsize, "%s", why);
        return FH_ERR;
    }
}

enum fh_rc fh_xero_job_document(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                                size_t errsize)
{
    FH_UNUSED(st);
    struct fh_app *app = cls;
    json_t *p;
    struct fh_integ in;
    enum fh_rc rc;
    if (!fh_job_begin(app, job, "xero", &p, &in, &rc))
        return rc;
    bool credit = json_string_value(json_object_get(p, "kind")) &&
                  strcmp(json_string_value(json_object_get(p, "kind")), "credit_note") == 0;
    const char *id = json_string_value(json_object_get(p, "id"));
    char path[200];
    snprintf(path, sizeof(path), "/%s/%.64s", credit ? "CreditNotes" : "Invoices", id ? id : "");
    struct xero_call c = {
        .method = "GET", .path = path, .what = credit ? "credit note" : "invoice"};
    struct fh_http_response r;
    int64_t retry_at = 0;
    char why[400];
    enum xero_outcome o = xero_api(app, in.id, &c, &r, &retry_at, why, sizeof(why));
    if (o == X_OK) {
        json_error_t je;
        json_t *j = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
        json_t *doc = json_array_get(json_object_get(j, credit ? "CreditNotes" : "Invoices"), 0);
        enum xero_process_result pr =
            doc ? xero_process(app, &in, credit ? XERO_CREDIT_NOTE : XERO_INVOICE, doc, &retry_at,
                               why, sizeof(why))
            : j ? XP_FAILED
                : XP_RETRY; /* cut short or not JSON: the next read is likely whole */
        if (!doc)
            snprintf(why, sizeof(why), "%s",
                     j ? "Xero's answer holds no document" : "Xero's answer could not be read");
        rc = finish_process(app, &in, job, p, credit, pr, why, err, errsize);
        json_decref(j);
    } else if (o == X_WAIT) {
        rc = fh_job_defer_or_retry(app, job, p, retry_at, err, errsize);
    } else if (o == X_INACTIVE || o == X_NOT_FOUND) {
        rc = FH_OK;
    } else {
        snprintf(err, errsize, "%s", why);
        rc = o == X_TRANSIENT ? FH_E_RETRY : FH_ERR;
    }
    fh_http_response_free(&r);
    fh_integ_free(&in);
    json_decref(p);
    return rc;
}

/* ---- sync: backfill and polling ---- */

static void fmt_since(int64_t ms, char *out, size_t outsize)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outsize, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* After each page: the time; for the backfill also its progress (a poll never touches it). */
static void save_progress(struct fh_store *st, int64_t id, bool backfill, int64_t done,
                          int64_t total, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(done), total >= 0 ? FH_PI(total) : FH_PNULL,
                           FH_PI(now)};
    fh_store_exec(st,
                  backfill ? "UPDATE integrations SET backfill_done = $2, backfill_total = "
                             "COALESCE($3, backfill_total), last_sync_at = $4 WHERE id = $1"
                           : "UPDATE integrations SET last_sync_at = $4 WHERE id = $1",
                  p, 4, NULL);
}

/* The two phases of a scan, in order: the same cursor, page size and paging for both. */
struct sync_phase {
    const char *name;       /* the payload's "phase" */
    const char *collection; /* "Invoices": the path and the answer's key */
    enum xero_doc_kind kind;
};
static const struct sync_phase phases[] = {{"invoices", "Invoices", XERO_INVOICE},
                                           {"credit_notes", "CreditNotes", XERO_CREDIT_NOTE}};

static const struct sync_phase *phase_of(json_t *p)
{
    const char *name = json_string_value(json_object_get(p, "phase"));
    return name && strcmp(name, phases[1].name) == 0 ? &phases[1] : &phases[0];
}

/* A credit note whose original is not signed yet (an invoice of the same scan, typically, or
 * one whose fiscalization failed until a user retries it), or a voided invoice whose sale is
 * not, goes to its own xero.document job, which waits for it; the scan goes on. The job's key
 * holds the document's UpdatedDateUTC: scans of an unchanged document find the job already
 * there, a changed one gets a new job even when an earlier one ended. */
static enum fh_rc hand_off(struct fh_app *app, const struct fh_integ *in, enum xero_doc_kind kind,
                           json_t *doc, int64_t run_at)
{
    bool credit = kind == XERO_CREDIT_NOTE;
    const char *id = json_string_value(json_object_get(doc, credit ? "CreditNoteID" : "InvoiceID"));
    int64_t updated = 0;
    fh_xero_date(json_string_value(json_object_get(doc, "UpdatedDateUTC")), &updated);
    char key[140];
    snprintf(key, sizeof(key), "xero.doc:%lld:%s:%.64s:%lld", (long long)in->id,
             credit ? "CN" : "VOID", id ? id : "", (long long)updated);
    return queue_document(app->store, &app->qcfg, key, in->id, credit, id, run_at);
}

/* Processes one page; returns the number of documents in it, or -1 after a store error. */
static int page_process(struct fh_app *app, const struct fh_integ *in, const struct sync_phase *ph,
                        json_t *docs, int64_t *max_seen)
{
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        int64_t ms, retry_at = 0;
        if (fh_xero_date(json_string_value(json_object_get(doc, "UpdatedDateUTC")), &ms) &&
            ms > *max_seen)
            *max_seen = ms;
        char why[400];
        enum xero_process_result r =
            xero_process(app, in, ph->kind, doc, &retry_at, why, sizeof(why));
        if (r == XP_WAIT && hand_off(app, in, ph->kind, doc, retry_at) != FH_OK)
            return -1;
        if (r == XP_RETRY)
            return -1;
        if (r == XP_FAILED)
            fh_log(FH_LOG_WARN, "xero_invoice", "integration %s: %s not fiscalized: %s", in->uid,
                   ph->kind == XERO_INVOICE ? "an invoice was" : "a credit note was", why);
    }
    return (int)json_array_size(docs);
}

enum xero_page_result { PAGE_MORE, PAGE_LAST, PAGE_STOP };

/* One page of the payload's phase; the payload keeps the progress (phase, page, done,
 * max_seen, scan_at). done and the backfill progress count invoices only. */
static enum xero_page_result sync_page(struct fh_app *app, const struct fh_integ *in, json_t *p,
                                       enum fh_rc *rc, int64_t *retry_at, char *err, size_t errsize)
{
    const struct sync_phase *ph = phase_of(p);
    int64_t page = pint(p, "page") > 0 ? pint(p, "page") : 1, since = pint(p, "since");
    int64_t max_seen = pint(p, "max_seen"), done = pint(p, "done");
    char path[160], ims[40], why[400];
    int64_t size = app->cfg->xero_page_size;
    snprintf(path, sizeof(path), "/%s?page=%lld&pageSize=%lld", ph->collection, (long long)page,
             (long long)size);
    if (since > 0)
        fmt_since(since, ims, sizeof(ims));
    struct xero_call c = {.method = "GET",
                          .path = path,
                          .if_modified_since = since > 0 ? ims : NULL,
                          .what = ph->kind == XERO_INVOICE ? "invoices" : "credit notes"};
    struct fh_http_response r;
    enum xero_outcome o = xero_api(app, in->id, &c, &r, retry_at, why, sizeof(why));
    enum xero_page_result res = PAGE_STOP;
    *rc = FH_OK;
    if (o == X_OK) {
        json_error_t je;
        json_t *j = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
        json_t *docs = json_object_get(j, ph->collection), *pg = json_object_get(j, "pagination");
        int n = json_is_array(docs) ? page_process(app, in, ph, docs, &max_seen) : -1;
        if (n < 0) {
            snprintf(err, errsize, "%s", j ? "store error during sync" : "Xero's page is not JSON");
            *rc = FH_E_RETRY;
        } else {
            int64_t count = json_integer_value(json_object_get(pg, "pageCount")), at;
            if (!json_object_get(p, "scan_at") &&
                fh_xero_date(json_string_value(json_object_get(j, "DateTimeUTC")), &at))
                json_object_set_new(p, "scan_at", json_integer(at)); /* Xero's clock */
            bool invoices = ph->kind == XERO_INVOICE;
            done += invoices ? n : 0;
            const char *mode = json_string_value(json_object_get(p, "mode"));
            save_progress(app->store, in->id, invoices && mode && strcmp(mode, "backfill") == 0,
                          done, pg ? json_integer_value(json_object_get(pg, "itemCount")) : -1,
                          fh_now_ms());
            json_object_set_new(p, "page", json_integer(page + 1));
            json_object_set_new(p, "max_seen", json_integer(max_seen));
            json_object_set_new(p, "done", json_integer(done));
            res = n < size || (pg && page >= count) ? PAGE_LAST : PAGE_MORE;
        }
        json_decref(j);
    } else if (o == X_WAIT) {
        *rc = FH_E_RETRY;
        *retry_at = *retry_at ? *retry_at : fh_now_ms() + 1000;
        res = PAGE_MORE; /* the caller defers */
    } else if (o != X_INACTIVE) {
        snprintf(err, errsize, "%s", why);
        *rc = o == X_TRANSIENT ? FH_E_RETRY : FH_ERR;
    }
    fh_http_response_free(&r);
    return o == X_WAIT ? PAGE_MORE : res;
}

static void sync_finish(struct fh_store *st, int64_t id, int64_t max_seen, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(max_seen), FH_PI(now)};
    fh_store_exec(st,
                  "UPDATE integrations SET sync_cursor = CASE WHEN sync_cursor IS NULL OR "
                  "sync_cursor < $2 THEN $2 ELSE sync_cursor END, last_sync_at = $3, "
                  "backfill_state = CASE WHEN backfill_state = 'running' THEN 'done' ELSE "
                  "backfill_state END, sync_error = NULL, sync_error_at = NULL WHERE id = $1",
                  p, 3, NULL);
}

enum fh_rc fh_xero_job_sync(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize)
{
    struct fh_app *app = cls;
    json_t *p;
    struct fh_integ in;
    enum fh_rc rc;
    if (!fh_job_begin(app, job, "xero", &p, &in, &rc))
        return rc;
    if (!json_object_get(p, "since")) {
        json_object_set_new(p, "since", json_integer(in.sync_cursor));
        json_object_set_new(p, "max_seen", json_integer(in.sync_cursor));
        json_object_set_new(p, "done", json_integer(0));
        struct fh_param s[] = {FH_PI(in.id)};
        fh_store_exec(st,
                      "UPDATE integrations SET backfill_state = 'running', backfill_done = 0, "
                      "backfill_total = NULL WHERE id = $1 AND backfill_state = 'pending'",
                      s, 1, NULL);
    }
    bool waiting = false;
    for (int pages = 0; pages < 10000; pages++) {
        int64_t retry_at = 0;
        enum xero_page_result pr = sync_page(app, &in, p, &rc, &retry_at, err, errsize);
        if (pr == PAGE_MORE && rc == FH_E_RETRY && retry_at) {
            rc = fh_job_defer_or_retry(app, job, p, retry_at, err, errsize); /* rate limit: wait */
            waiting = true;
            break;
        }
        if (rc != FH_OK || pr == PAGE_STOP)
            break;
        if (pr == PAGE_LAST && phase_of(p) == &phases[0]) {
            json_object_set_new(p, "phase", json_string(phases[1].name)); /* then credit notes */
            json_object_set_new(p, "page", json_integer(1));
        } else if (pr == PAGE_LAST) {
            int64_t at = pint(p, "scan_at");
            sync_finish(st, in.id, at > 0 ? at : pint(p, "max_seen"), fh_now_ms());
            break;
        }
    }
    if (!waiting && (rc == FH_E_RETRY || rc == FH_ERR))
        fh_integ_sync_failed(st, in.id, err, fh_now_ms());
    fh_integ_free(&in);
    json_decref(p);
    return rc;
}

/* Each tier's due integrations get a sync (fh_integ_poll_tick); FISCALHUB_XERO_POLL_SECONDS,
 * when set, is every tier's interval. */
enum fh_rc fh_xero_job_poll(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize)
{
    FH_UNUSED(job);
    struct fh_app *app = cls;
    int64_t now = fh_now_ms(), tick = fh_sync_poll_tick_ms(app->cfg, app->cfg->xero_poll_ms);
    enum fh_rc rc = fh_integ_poll_tick(app, st, "xero", FH_XERO_JOB_SYNC, app->cfg->xero_poll_ms, 0,
                                       0, now, now / tick);
    if (rc != FH_OK)
        fh_strlcpy(err, "store error while polling", errsize);
    return rc == FH_OK ? FH_OK : FH_E_RETRY;
}

/* ---- write-back ---- */

/* Writes are at least once: an Idempotency-Key covers a retry within Xero's window (minutes),
 * but not one after a crash or a lost answer that comes later. So after an earlier attempt
 * (fh_writeback_retried: a later attempt, a failed job a user revived, or any run during the
 * recovery after a restore) each write first lists what the document holds and is skipped when
 * ours is there: a history record whose Details contains "fiscal invoice <number>.", an
 * attachment named fiscal-<number>.gif. */
static enum xero_outcome already_written(struct fh_app *app, const struct fh_integ *in,
                                         const struct fh_writeback_mark *m, bool *found,
                                         int64_t *retry_at, char *why, size_t whysize)
{
    struct xero_call c = {.method = "GET", .path = m->path, .what = m->collection};
    struct fh_http_response r;
    enum xero_outcome o = xero_api(app, in->id, &c, &r, retry_at, why, whysize);
    json_error_t je;
    json_t *j = o == X_OK && r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
    *found = fh_writeback_mark_found(j, m);
    if (o == X_OK && !j) { /* unread is not absent: writing now could write it twice */
        snprintf(why, whysize, "Xero's %s could not be read", m->collection);
        o = X_TRANSIENT;
    }
    json_decref(j);
    fh_http_response_free(&r);
    return o;
}

/* The write c, unless an earlier attempt of the job may have done it and m finds it. */
static enum xero_outcome write_once(struct fh_app *app, const struct fh_integ *in,
                                    const struct fh_job *job, const struct fh_writeback_mark *m,
                                    const struct xero_call *c, int64_t *retry_at, char *why,
                                    size_t whysize)
{
    bool found = false;
    enum xero_outcome o = X_OK;
    if (fh_writeback_retried(app->store, job))
        o = already_written(app, in, m, &found, retry_at, why, whysize);
    if (o != X_OK || found)
        return o;
    struct fh_http_response r;
    o = xero_api(app, in->id, c, &r, retry_at, why, whysize);
    fh_http_response_free(&r);
    return o;
}

/* "/Invoices/<id>" or "/CreditNotes/<id>": the document the write-back is for. */
static void doc_path(json_t *p, char *out, size_t outsize)
{
    bool credit = strcmp(json_string_value(json_object_get(p, "kind")) ?: "", "credit_note") == 0;
    snprintf(out, outsize, "/%s/%.64s", credit ? "CreditNotes" : "Invoices",
             json_string_value(json_object_get(p, "doc_id")) ?: "");
}

static enum xero_outcome put_note(struct fh_app *app, const struct fh_integ *in,
                                  const struct fh_job *job, json_t *p,
                                  const struct fh_writeback_fiscal *f, int64_t *retry_at, char *why,
                                  size_t whysize)
{
    char base[200], path[220], key[64], marker[120];
    doc_path(p, base, sizeof(base));
    snprintf(path, sizeof(path), "%s/History", base);
    snprintf(marker, sizeof(marker), FH_WRITEBACK_MARKER, f->number);
    snprintf(key, sizeof(key), "fiscalhub-note-%lld", (long long)pint(p, "fiscal_id"));
    char *details = fh_writeback_text(f);
    json_t *body = json_pack("{s:[{s:s}]}", "HistoryRecords", "Details", details);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    free(details);
    struct fh_writeback_mark m = {
        .path = path, .collection = "HistoryRecords", .field = "Details", .text = marker};
    struct xero_call c = {.method = "PUT",
                          .path = path,
                          .body = text,
                          .idempotency_key = key,
                          .what = "history note"};
    enum xero_outcome o = write_once(app, in, job, &m, &c, retry_at, why, whysize);
    free(text);
    return o;
}

/* One file attached to the document, unless an earlier attempt of the job attached it (by name):
 * "fiscal-<number>.gif" (the QR) or ".txt" (the journal), Idempotency-Key "fiscalhub-qr-<fiscal
 * id>" or "fiscalhub-journal-<fiscal id>". */
static enum xero_outcome put_file(struct fh_app *app, const struct fh_integ *in,
                                  const struct fh_job *job, json_t *p, const char *number,
                                  const char *ext, const char *content_type, const char *data,
                                  size_t len, int64_t *retry_at, char *why, size_t whysize)
{
    bool qr = strcmp(ext, "gif") == 0;
    char base[200], list[220], path[300], name[80], key[64];
    doc_path(p, base, sizeof(base));
    fh_fiscal_file_name(number, ext, name, sizeof(name));
    snprintf(list, sizeof(list), "%s/Attachments", base);
    snprintf(path, sizeof(path), "%s/%s", list, name);
    snprintf(key, sizeof(key), "fiscalhub-%s-%lld", qr ? "qr" : "journal",
             (long long)pint(p, "fiscal_id"));
    struct fh_writeback_mark m = {.path = list,
                                  .collection = "Attachments",
                                  .field = "FileName",
                                  .text = name,
                                  .exact = true};
    struct xero_call c = {.method = "PUT",
                          .path = path,
                          .body = data,
                          .body_len = len,
                          .content_type = content_type,
                          .idempotency_key = key,
                          .what = qr ? "QR attachment" : "journal attachment"};
    return write_once(app, in, job, &m, &c, retry_at, why, whysize);
}

/* The QR code of the V-SDC's answer as an attachment. */
static enum xero_outcome put_qr(struct fh_app *app, const struct fh_integ *in,
                                const struct fh_job *job, json_t *p,
                                const struct fh_writeback_fiscal *f, int64_t *retry_at, char *why,
                                size_t whysize)
{
    size_t len = 0;
    uint8_t *gif = fh_writeback_qr_gif(f, &len);
    enum xero_outcome o = gif ? put_file(app, in, job, p, f->number, "gif", "image/gif",
                                         (const char *)gif, len, retry_at, why, whysize)
                              : X_OK;
    free(gif);
    return o;
}

/* The V-SDC's journal (the textual receipt, UTF-8, CRLF lines) as an attachment. */
static enum xero_outcome put_journal(struct fh_app *app, const struct fh_integ *in,
                                     const struct fh_job *job, json_t *p,
                                     const struct fh_writeback_fiscal *f, int64_t *retry_at,
                                     char *why, size_t whysize)
{
    json_error_t je;
    json_t *result = f->result ? json_loads(f->result, 0, &je) : NULL;
    const char *journal = json_string_value(json_object_get(result, "journal"));
    enum xero_outcome o = X_OK;
    if (journal && *journal)
        o = put_file(app, in, job, p, f->number, "txt", "text/plain; charset=utf-8", journal,
                     strlen(journal), retry_at, why, whysize);
    json_decref(result);
    return o;
}

/* The history note, then (attach_qr) the QR and (attach_journal) the journal as attachments;
 * each step done is marked in the payload, so a deferred job does not do it again. */
static enum fh_rc write_back(struct fh_app *app, const struct fh_integ *in,
                             const struct fh_job *job, json_t *p,
                             const struct fh_writeback_fiscal *f, char *err, size_t errsize)
{
    int64_t retry_at = 0;
    char why[400] = "";
    enum xero_outcome o = json_is_true(json_object_get(p, "note_done"))
                              ? X_OK
                              : put_note(app, in, job, p, f, &retry_at, why, sizeof(why));
    if (o == X_OK)
        json_object_set_new(p, "note_done", json_true());
    if (o == X_OK && !json_is_true(json_object_get(p, "qr_done")) &&
        json_is_true(json_object_get(in->settings, "attach_qr"))) {
        o = put_qr(app, in, job, p, f, &retry_at, why, sizeof(why));
        if (o == X_OK)
            json_object_set_new(p, "qr_done", json_true());
    }
    if (o == X_OK && json_is_true(json_object_get(in->settings, "attach_journal")))
        o = put_journal(app, in, job, p, f, &retry_at, why, sizeof(why));
    if (o == X_OK || o == X_INACTIVE || o == X_NOT_FOUND)
        return FH_OK;
    if (o == X_WAIT)
        return fh_job_defer_or_retry(app, job, p, retry_at, err, errsize);
    snprintf(err, errsize, "%s", why);
    return o == X_TRANSIENT ? FH_E_RETRY : FH_ERR;
}

enum fh_rc fh_xero_job_writeback(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize)
{
    return fh_writeback_job(cls, st, job, "xero", write_back, err, errsize);
}

enum fh_rc fh_xero_job_revoke(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                              size_t errsize)
{
    FH_UNUSED(st);
    json_t *p = fh_job_payload(job);
    enum fh_rc rc = xero_revoke(cls, pint(p, "integration_id"), err, errsize);
    json_decref(p);
    return rc;
}
