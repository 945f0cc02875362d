/* sync.c - reading what changed in Zoho Books: the first sync after a consent and the polling
 * (specs/zoho-books.md §2.4).
 *
 *   zoho.sync   GET /invoices?last_modified_time=<since>, 200 a page, oldest created first,
 *               every page while has_more_page; then GET /creditnotes the same way (an open or
 *               closed one gets a zoho.document job: credit.c). Each row is a summary: an invoice
 * whose source key exists is done (no call), one that is due gets a zoho.document job (the detail
 * fetch, unique per invoice and last_modified_time), the rest waits for a later change. The next
 * cursor is the time the scan's first page was asked for, and every scan asks from the cursor less
 * OVERLAP_MS (5 minutes, also a margin for a skew between Zoho's clock and ours): whatever changes
 * while the pages are read (and may move between pages) or lands in the same second is read again,
 * never missed. New invoices go to the end of the created-time order and a modified old one can
 *               only push rows to later pages, so paging misses nothing either; repeats are
 *               harmless (the source key).
 *   zoho.poll   periodic (every fh_zoho_poll_tick_ms): per active integration the sync mode -
 *               "webhook" while a verified delivery came within
 *               FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS (never on Starter, which takes no
 *               webhooks), else "polling" - and a zoho.sync when the last poll is older than
 *               that mode's interval (when polling, the tier's: fh_sync_poll_ms) and no sync
 *               of the integration is waiting or running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_billing.h"
#include "zoho_internal.h"

#define OVERLAP_MS (300LL * 1000)
#define PER_PAGE 200

static int64_t pint(json_t *p, const char *k)
{
    return json_integer_value(json_object_get(p, k));
}

/* What a scan lists: the invoices, then the credit notes. */
struct listing {
    const char *path, *rows, *id, *what;
    bool credit;
};
static const struct listing LISTINGS[] = {
    {"/invoices", "invoices", "invoice_id", "invoice", false},
    {"/creditnotes", "creditnotes", "creditnote_id", "credit note", true},
};

static const struct listing *listing_of(json_t *p)
{
    const char *phase = json_string_value(json_object_get(p, "phase"));
    return &LISTINGS[phase && strcmp(phase, "creditnotes") == 0];
}

/* One summary row: nothing, or a document job. */
static enum fh_rc row_process(struct fh_app *app, const struct fh_integ *in,
                              const struct listing *l, json_t *row)
{
    char id[32], key[200], why[200];
    if (!zoho_id(json_object_get(row, l->id), id, sizeof(id)))
        return FH_OK;
    (l->credit ? zoho_credit_key : zoho_source_key)(in->tenant_id, id, key, sizeof(key));
    const char *version = json_string_value(json_object_get(row, "last_modified_time"));
    const char *status = json_string_value(json_object_get(row, "status"));
    bool failed = false;
    if (!l->credit && status && strcmp(status, "void") == 0) { /* a fiscalized sale's refund */
        if (!zoho_void_open(app->store, in->org_id, in->tenant_id, id, &failed))
            return failed ? FH_E_RETRY : FH_OK;
        return zoho_queue_document(app->store, &app->qcfg, in->id, ZOHO_DOC_VOID, id, version, 0,
                                   0);
    }
    if (zoho_fiscalized(app->store, in->org_id, key, &failed))
        return failed ? FH_E_RETRY : FH_OK;
    const char *fiscalize = json_string_value(json_object_get(in->settings, "fiscalize"));
    if (l->credit ? !status || (strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)
                  : !fh_zoho_due(row, fiscalize, why, sizeof(why)))
        return FH_OK;
    return zoho_queue_document(app->store, &app->qcfg, in->id,
                               l->credit ? ZOHO_DOC_CREDIT_NOTE : ZOHO_DOC_INVOICE, id, version, 0,
                               0);
}

static void page_query(json_t *p, struct fh_buf *q)
{
    int64_t page = pint(p, "page") > 0 ? pint(p, "page") : 1, since = pint(p, "since");
    fh_buf_appendf(q, "page=%lld&per_page=%d&sort_column=created_time&sort_order=A",
                   (long long)page, PER_PAGE);
    if (since > 0) {
        time_t t = (time_t)(since / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char at[40];
        strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S+0000", &tm);
        fh_buf_appendf(q, "&last_modified_time=");
        fh_url_encode(q, at);
    }
}

/* After each page: progress (the first sync) and the time. */
static void save_progress(struct fh_store *st, int64_t id, bool backfill, int64_t done, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(done), FH_PI(now)};
    fh_store_exec(st,
                  backfill ? "UPDATE integrations SET backfill_done = $2, last_sync_at = $3 "
                             "WHERE id = $1"
                           : "UPDATE integrations SET last_sync_at = $3 WHERE id = $1",
                  p, 3, NULL);
}

/* Reads one page; *more when another follows. */
static enum zoho_outcome sync_page(struct fh_app *app, const struct fh_integ *in, json_t *p,
                                   bool *more, int64_t *retry_at, char *why, size_t whysize)
{
    const struct listing *l = listing_of(p);
    struct fh_buf q;
    fh_buf_init(&q, 1024);
    page_query(p, &q);
    struct zoho_call c = {.method = "GET", .path = l->path, .query = q.data, .what = l->rows};
    json_t *j = NULL;
    int64_t asked = fh_now_ms();
    enum zoho_outcome o = zoho_api(app, in->id, &c, &j, retry_at, why, whysize);
    fh_buf_free(&q);
    json_t *rows = json_object_get(j, l->rows), *ctx = json_object_get(j, "page_context");
    if (o == Z_OK && !json_is_array(rows)) {
        snprintf(why, whysize, "Zoho's %s page holds no %s", l->what, l->rows);
        o = Z_TRANSIENT;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) if (o == Z_OK && row_process(app, in, l, row) != FH_OK)
    {
        snprintf(why, whysize, "store error during sync");
        o = Z_TRANSIENT;
    }
    if (o == Z_OK) {
        if (!json_object_get(p, "scan_at"))
            json_object_set_new(p, "scan_at", json_integer(asked));
        int64_t done = pint(p, "done") + (l->credit ? 0 : (int64_t)json_array_size(rows));
        const char *mode = json_string_value(json_object_get(p, "mode"));
        save_progress(app->store, in->id, mode && strcmp(mode, "backfill") == 0 && !l->credit, done,
                      fh_now_ms());
        json_object_set_new(p, "done", json_integer(done));
        json_object_set_new(p, "page", json_integer(pint(p, "page") + 1));
        *more = json_is_true(json_object_get(ctx, "has_more_page"));
    }
    json_decref(j);
    return o;
}

static void sync_finish(struct fh_store *st, int64_t id, int64_t scan_at, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(scan_at), FH_PI(now)};
    fh_store_exec(st,
                  "UPDATE integrations SET sync_cursor = CASE WHEN sync_cursor IS NULL OR "
                  "sync_cursor < $2 THEN $2 ELSE sync_cursor END, last_sync_at = $3, "
                  "last_polled_at = $3, backfill_state = CASE WHEN backfill_state = 'running' "
                  "THEN 'done' ELSE backfill_state END, sync_error = NULL, sync_error_at = NULL "
                  "WHERE id = $1",
                  p, 3, NULL);
}

static void sync_start(struct fh_store *st, const struct fh_integ *in, json_t *p)
{
    int64_t since = in->sync_cursor > OVERLAP_MS ? in->sync_cursor - OVERLAP_MS : 0;
    json_object_set_new(p, "since", json_integer(since));
    json_object_set_new(p, "page", json_integer(1));
    json_object_set_new(p, "done", json_integer(0));
    struct fh_param s[] = {FH_PI(in->id)};
    fh_store_exec(st,
                  "UPDATE integrations SET backfill_state = 'running', backfill_done = 0, "
                  "backfill_total = NULL WHERE id = $1 AND backfill_state = 'pending'",
                  s, 1, NULL);
}

/* The credit-note listing was refused (the consent lacks its scope): the invoices are read, the
 * sync ends, and the integration says why its credit notes are not read until it is
 * reconnected; syncs skip the listing meanwhile (credit_notes_skipped). */
static void credit_notes_refused(struct fh_store *st, const struct fh_integ *in, const char *why)
{
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PI(in->id), FH_PI(now)};
    fh_store_exec(st, "UPDATE integrations SET creditnotes_refused_at = $2 WHERE id = $1", p, 2,
                  NULL);
    char msg[512];
    snprintf(msg, sizeof(msg), "Zoho Books refused to list credit notes (%.400s)", why);
    fh_integ_sync_failed(st, in->id, msg, now);
    fh_log(FH_LOG_WARN, "zoho_sync", "integration %s: %s", in->uid, msg);
}

/* True when the credit-note listing was refused since the last consent: the sync finishes with
 * the invoices and keeps the integration's sync_error saying so. */
static bool credit_notes_skipped(struct fh_store *st, const struct fh_integ *in)
{
    struct fh_param p[] = {FH_PI(in->id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT 1 FROM integrations WHERE id = $1 AND creditnotes_refused_at "
                           "IS NOT NULL AND creditnotes_refused_at >= COALESCE(connected_at, 0)",
                           p, 1, &rows);
    fh_rows_free(&rows);
    return qs > 0;
}

enum fh_rc fh_zoho_job_sync(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize)
{
    struct fh_app *app = cls;
    json_t *p;
    struct fh_integ in;
    enum fh_rc rc;
    if (!fh_job_begin(app, job, FH_ZOHO_TYPE, &p, &in, &rc))
        return rc;
    if (!json_object_get(p, "since"))
        sync_start(st, &in, p);
    for (int pages = 0; pages < 10000; pages++) {
        int64_t retry_at = 0;
        char why[400];
        bool more = false;
        enum zoho_outcome o = sync_page(app, &in, p, &more, &retry_at, why, sizeof(why));
        if (o == Z_REFUSED && listing_of(p)->credit) { /* the invoices are read */
            sync_finish(st, in.id, pint(p, "scan_at"), fh_now_ms());
            credit_notes_refused(st, &in, why);
            rc = FH_OK;
            break;
        }
        if (o != Z_OK) {
            rc = zoho_finish(app, job, p, o, retry_at, why, err, errsize);
            if (o != Z_WAIT && (rc == FH_E_RETRY || rc == FH_ERR))
                fh_integ_sync_failed(st, in.id, err, fh_now_ms());
            break;
        }
        if (!more && !listing_of(p)->credit && !credit_notes_skipped(st, &in)) {
            /* then the credit notes, from the same time */
            json_object_set_new(p, "phase", json_string("creditnotes"));
            json_object_set_new(p, "page", json_integer(1));
            continue;
        }
        if (!more) {
            sync_finish(st, in.id, pint(p, "scan_at"), fh_now_ms());
            if (!listing_of(p)->credit) /* skipped: still say why */
                fh_integ_sync_failed(st, in.id,
                                     "Zoho Books refused to list credit notes: the consent lacks "
                                     "their scope; reconnect to have credit notes refunded",
                                     fh_now_ms());
            break;
        }
    }
    fh_integ_free(&in);
    json_decref(p);
    return rc;
}

/* ---- the poll tick ---- */

int64_t fh_zoho_poll_ms(const struct fh_config *cfg, enum fh_tier tier)
{
    return fh_sync_poll_ms(cfg, tier, cfg->zoho_poll_ms, cfg->zoho_min_poll_ms);
}

int64_t fh_zoho_poll_tick_ms(const struct fh_app *app)
{
    return app && app->cfg ? fh_sync_poll_tick_ms(app->cfg, app->cfg->zoho_poll_ms) : 60000;
}

/* The sync mode: back to "polling" when no delivery came within the webhook window ("webhook"
 * is set by the inbox job when one arrives). */
static int update_modes(struct fh_store *st, const struct fh_config *cfg, int64_t now)
{
    struct fh_param p[] = {FH_PI(now - cfg->zoho_webhook_poll_ms)};
    return fh_store_exec(st,
                         "UPDATE integrations SET sync_mode = 'polling' WHERE type = 'zoho_books' "
                         "AND status = 'active' AND sync_mode = 'webhook' AND "
                         "COALESCE(webhooks_seen_at, 0) <= $1",
                         p, 1, NULL);
}

/* Each tier's due integrations get a sync (fh_integ_poll_tick): in polling mode at the tier's
 * interval, but not more often than FISCALHUB_ZOHO_MIN_POLL_SECONDS (Zoho counts calls a day;
 * FISCALHUB_ZOHO_POLL_SECONDS, when set, for every tier), in webhook mode also not before
 * FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS. */
enum fh_rc fh_zoho_job_poll(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize)
{
    FH_UNUSED(job);
    struct fh_app *app = cls;
    const struct fh_config *cfg = app->cfg;
    int64_t now = fh_now_ms();
    enum fh_rc rc = fh_qs_rc(update_modes(st, cfg, now));
    if (rc == FH_OK)
        rc = fh_integ_poll_tick(app, st, FH_ZOHO_TYPE, FH_ZOHO_JOB_SYNC, cfg->zoho_poll_ms,
                                cfg->zoho_min_poll_ms, cfg->zoho_webhook_poll_ms, now, now);
    if (rc != FH_OK)
        fh_strlcpy(err, "store error while polling", errsize);
    return rc == FH_OK ? FH_OK : FH_E_RETRY;
}
