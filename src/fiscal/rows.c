/* rows.c - the statements on fiscal_invoices used by the job (engine.c). Every statement that
 * writes a result is guarded by the row's status, so a signed row's result columns never
 * change and a failed row is only ever moved back to pending by a user retry (submit.c). Signing
 * and failing also create the invoice's outgoing events in the same transaction; signing also
 * completes the invoice's job there (fh_job_complete_tx), so that the result, its events and the
 * job's end are one commit: a crash before it leaves the row uncertain and the job running (the
 * next run asks the V-SDC first), a crash after it leaves nothing to do. */
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_events.h"
#include "fh/fh_jobs.h"
#include "fiscal_internal.h"

void fiscal_row_free(struct fiscal_row *r)
{
    if (!r)
        return;
    free(r->canonical);
    memset(r, 0, sizeof(*r));
}

int fiscal_row_load(struct fh_store *st, int64_t id, struct fiscal_row *out)
{
    memset(out, 0, sizeof(*out));
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id, org_id, certificate_id, request_id, status, attempts, "
                           "uncertain, canonical, retry_since, source_tax FROM fiscal_invoices "
                           "WHERE id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        out->id = fh_rows_i64(&rows, 0, 0, 0);
        out->org_id = fh_rows_i64(&rows, 0, 1, 0);
        out->certificate_id = fh_rows_i64(&rows, 0, 2, 0);
        fh_strlcpy(out->request_id, fh_rows_get(&rows, 0, 3), sizeof(out->request_id));
        fh_strlcpy(out->status, fh_rows_get(&rows, 0, 4), sizeof(out->status));
        out->attempts = (int)fh_rows_i64(&rows, 0, 5, 0);
        out->uncertain = fh_rows_i64(&rows, 0, 6, 0) != 0;
        out->canonical = fh_strdup(fh_rows_get(&rows, 0, 7) ? fh_rows_get(&rows, 0, 7) : "{}");
        out->retry_since = fh_rows_i64(&rows, 0, 8, 0);
        out->has_source_tax = fh_rows_get(&rows, 0, 9) != NULL;
        out->source_tax = fh_rows_i64(&rows, 0, 9, 0);
    }
    fh_rows_free(&rows);
    return qs;
}

int fiscal_row_begin_attempt(struct fh_store *st, int64_t id, int seen_attempts, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(seen_attempts), FH_PI(now)};
    return fh_store_exec(st,
                         "UPDATE fiscal_invoices SET uncertain = 1, attempts = attempts + 1, "
                         "updated_at = $3 WHERE id = $1 AND status = 'pending' AND attempts = $2",
                         p, FH_ARRAY_LEN(p), NULL);
}

/* The attempt's commit and its usage count (src/billing/usage.c) in one transaction. */
struct begin_ctx {
    const struct fh_config *cfg;
    int64_t id, now;
    int seen;
    bool held, lost;
};

static int begin_tx(struct fh_store *st, void *cls)
{
    struct begin_ctx *c = cls;
    c->held = c->lost = false;
    int qs = fh_billing_admit(st, c->cfg, c->id, &c->held);
    if (qs < 0 || c->held)
        return qs;
    qs = fiscal_row_begin_attempt(st, c->id, c->seen, c->now);
    c->lost = qs == 0;
    return c->lost ? FH_QS_HARD : qs; /* moved meanwhile: roll the count back too */
}

int fiscal_row_begin_billed(struct fh_store *st, const struct fh_config *cfg, int64_t id,
                            int seen_attempts, int64_t now, bool *held)
{
    *held = false;
    if (!cfg)
        return fiscal_row_begin_attempt(st, id, seen_attempts, now);
    struct begin_ctx c = {.cfg = cfg, .id = id, .now = now, .seen = seen_attempts};
    int qs = fh_store_run_tx(st, begin_tx, &c);
    *held = c.held;
    return c.lost ? 0 : qs;
}

int fiscal_row_begin_in_tx(struct fh_store *st, const struct fh_config *cfg, int64_t id,
                           int seen_attempts, int64_t now, bool *held)
{
    *held = false;
    struct begin_ctx c = {.cfg = cfg, .id = id, .now = now, .seen = seen_attempts};
    int qs = cfg ? begin_tx(st, &c) : fiscal_row_begin_attempt(st, id, seen_attempts, now);
    *held = c.held;
    if (qs < 0 && !c.lost)
        return qs;
    if (c.held)
        return 1;
    return c.lost || qs == 0 ? FH_QS_SOFT : 1; /* moved since it was read: run the caller again */
}

/* The outcome statement and, when it changed the row, the invoice's outgoing events (the hook
 * of src/events/), the wake of its waiting write-back job (fiscal_invoices.writeback_job,
 * src/connectors/common/jobs.c) and, when it was signed, of the documents waiting for it
 * (fiscal_waits, waits.c), in one transaction: an event exists exactly when its change
 * committed. The statement returns writeback_job (and, for a signature, org_id, source_key). */
struct outcome_ctx {
    const char *sql;
    const struct fh_param *p;
    size_t n;
    int64_t id, now;
    const struct fh_job *job; /* completed in the same transaction (NULL: not) */
    const char *result;       /* the V-SDC's answer when the statement signs (NULL: it fails) */
    bool completed;
};

/* The V-SDC's answer of a row the caller just signed (fiscal_results: written once, in the
 * signing transaction). */
static int store_result(struct fh_store *st, int64_t id, const char *body)
{
    struct fh_param p[] = {FH_PI(id), FH_PT(body)};
    return fh_store_exec(st,
                         "INSERT INTO fiscal_results (invoice_id, body) VALUES ($1, $2) "
                         "ON CONFLICT (invoice_id) DO UPDATE SET body = excluded.body",
                         p, FH_ARRAY_LEN(p), NULL);
}

static int outcome_tx(struct fh_store *st, void *cls)
{
    struct outcome_ctx *c = cls;
    c->completed = false;
    struct fh_rows rows;
    int qs = fh_store_exec(st, c->sql, c->p, c->n, &rows);
    int64_t writeback = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    int wq =
        c->result && qs > 0 && fh_rows_get(&rows, 0, 2)
            ? fiscal_waits_wake(st, fh_rows_i64(&rows, 0, 1, 0), fh_rows_get(&rows, 0, 2), c->now)
            : 1;
    fh_rows_free(&rows);
    if (wq >= 0 && c->result && qs > 0)
        wq = store_result(st, c->id, c->result);
    if (wq < 0)
        return wq;
    enum fh_rc wrc = writeback > 0 ? fh_job_wake(st, writeback, NULL, c->now, c->now) : FH_OK;
    if (wrc == FH_E_RETRY || wrc == FH_ERR) /* a failed statement ends the transaction */
        return fh_rc_qs(wrc);
    if (qs > 0) {
        int eq = fh_events_invoice_outcome(st, c->id, c->now);
        if (eq >= 0) /* a definite refusal gives its usage count back (src/billing) */
            eq = fh_billing_outcome(st, c->id);
        if (eq < 0)
            return eq;
    }
    if (qs >= 0 && c->job) {
        int jq = fh_job_complete_tx(st, c->job, c->now);
        if (jq < 0)
            return jq;
        c->completed = jq > 0; /* 0: the lease was lost; the result is kept all the same */
    }
    return qs;
}

int fiscal_row_sign(struct fh_store *st, const struct fiscal_row *row, const struct fh_tc_reply *r,
                    const struct fh_job *job, int64_t now, bool *completed)
{
    int64_t vsdc_tax = 0;
    bool mismatch = false;
    bool checked = row->has_source_tax &&
                   fiscal_tax_check(r->body, row->canonical, row->source_tax, &vsdc_tax, &mismatch);
    struct fh_param p[] = {FH_PI(row->id),     FH_PT(r->invoice_number),
                           FH_PT(r->sdc_time), FH_PT(r->verification_url),
                           FH_PI(now),         checked ? FH_PI(vsdc_tax) : FH_PNULL,
                           FH_PI(mismatch)};
    struct outcome_ctx c = {
        .sql = "UPDATE fiscal_invoices SET status = 'signed', uncertain = 0, "
               "last_error = NULL, invoice_number = $2, sdc_time = $3, "
               "verification_url = $4, signed_at = $5, updated_at = $5, vsdc_tax = $6, "
               "tax_mismatch = $7 "
               "WHERE id = $1 AND status <> 'signed' RETURNING writeback_job, org_id, source_key",
        .p = p,
        .n = FH_ARRAY_LEN(p),
        .id = row->id,
        .now = now,
        .job = job,
        .result = r->body};
    int qs = fh_store_group_tx(st, outcome_tx, &c); /* shared with the other workers' results */
    *completed = qs >= 0 && c.completed;
    if (qs > 0 && mismatch)
        fh_log(FH_LOG_WARN, "fiscal",
               "fiscal invoice %lld: the V-SDC's tax total differs from the source document's "
               "(check the tax mapping)",
               (long long)row->id);
    return qs;
}

int fiscal_row_fail(struct fh_store *st, int64_t id, const char *reason, int uncertain, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PT(reason), FH_PI(uncertain), FH_PI(now)};
    struct outcome_ctx c = {.sql = "UPDATE fiscal_invoices SET status = 'failed', last_error = $2, "
                                   "uncertain = CASE WHEN CAST($3 AS INTEGER) < 0 THEN uncertain "
                                   "ELSE CAST($3 AS INTEGER) END, "
                                   "updated_at = $4 WHERE id = $1 AND status = 'pending' "
                                   "RETURNING writeback_job",
                            .p = p,
                            .n = FH_ARRAY_LEN(p),
                            .id = id,
                            .now = now};
    return fh_store_run_tx(st, outcome_tx, &c);
}

int fiscal_row_note(struct fh_store *st, int64_t id, const char *reason, int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PT(reason), FH_PI(now)};
    return fh_store_exec(st,
                         "UPDATE fiscal_invoices SET last_error = $2, updated_at = $3, "
                         "retry_since = COALESCE(retry_since, $3) "
                         "WHERE id = $1 AND status = 'pending'",
                         p, FH_ARRAY_LEN(p), NULL);
}

void fiscal_tc_settings(const struct fh_app *app, struct fh_tc_settings *out)
{
    memset(out, 0, sizeof(*out));
    if (!app->cfg)
        return;
    out->ca_file = app->cfg->taxcore_ca_file;
    out->timeout_ms = (long)app->cfg->taxcore_timeout_ms;
    out->connect_timeout_ms = (long)app->cfg->taxcore_connect_timeout_ms;
    out->accept_language = app->cfg->taxcore_language;
}

/* ---- answers stored before migration 17 ---- */

struct move_ctx {
    int64_t batch;
    int moved;
};

/* The first batch rows still holding their answer: copied, then cleared (the same rows: the
 * transaction sees its own insert, and nothing else writes vsdc_result). */
static int move_tx(struct fh_store *st, void *cls)
{
    struct move_ctx *c = cls;
    c->moved = 0;
    struct fh_param p[] = {FH_PI(c->batch)};
    int qs = fh_store_exec(st,
                           "INSERT INTO fiscal_results (invoice_id, body) SELECT id, vsdc_result "
                           "FROM fiscal_invoices WHERE vsdc_result IS NOT NULL ORDER BY id "
                           "LIMIT $1 ON CONFLICT (invoice_id) DO NOTHING",
                           p, 1, NULL);
    if (qs >= 0)
        qs = fh_store_exec(st,
                           "UPDATE fiscal_invoices SET vsdc_result = NULL WHERE id IN (SELECT id "
                           "FROM fiscal_invoices WHERE vsdc_result IS NOT NULL ORDER BY id "
                           "LIMIT $1)",
                           p, 1, NULL);
    if (qs > 0)
        c->moved = qs;
    return qs;
}

enum fh_rc fh_fiscal_results_move(struct fh_store *st, int batch, int64_t *moved)
{
    *moved = 0;
    struct move_ctx c = {.batch = batch > 0 ? batch : 1};
    do {
        int qs = fh_store_run_tx(st, move_tx, &c);
        if (qs < 0)
            return fh_qs_rc(qs);
        *moved += c.moved;
    } while (c.moved == c.batch);
    if (*moved > 0)
        fh_log(FH_LOG_INFO, "fiscal_results_moved",
               "%lld V-SDC answers stored before migration 17 moved to fiscal_results",
               (long long)*moved);
    return FH_OK;
}
