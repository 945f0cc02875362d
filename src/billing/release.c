/* release.c - releasing invoices on hold (the design is at the top of usage.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "fh/fh_fiscal.h"

#define RELEASE_BATCH 500

/* Clears the hold of the organization's invoice id and enqueues its job (a key per hold:
 * fiscal:<id>:held:<t>), in the organization's lane. */
static int release_one(struct fh_store *st, const struct fh_config *cfg,
                       const struct fh_queue_cfg *qcfg, int64_t org_id, int64_t id, int64_t held_at)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(fh_now_ms())};
    int qs = fh_store_exec(st,
                           "UPDATE fiscal_invoices SET hold_reason = NULL, retry_since = NULL, "
                           "updated_at = $2 "
                           "WHERE id = $1 AND hold_reason IS NOT NULL AND status = 'pending'",
                           p, 2, NULL);
    if (qs <= 0)
        return qs;
    char ukey[80], payload[64], lane[FH_FISCAL_LANE_SIZE];
    snprintf(ukey, sizeof(ukey), "fiscal:%lld:held:%lld", (long long)id, (long long)held_at);
    snprintf(payload, sizeof(payload), "{\"invoice_id\": %lld}", (long long)id);
    fh_fiscal_lane(org_id, lane);
    struct fh_enqueue e = {.kind = FH_FISCAL_JOB_KIND,
                           .ukey = ukey,
                           .payload = payload,
                           .max_attempts = cfg->fiscal_max_attempts,
                           .lane = lane};
    enum fh_rc rc = fh_job_enqueue(st, qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : billing_rc_qs(rc);
}

/* Releases up to limit held invoices of the organization, fiscal ones or the others, but none of
 * an integration over the plan's seats (the oldest integrations hold them; usage.c). */
static int release_some(struct fh_store *st, const struct fh_config *cfg,
                        const struct fh_queue_cfg *qcfg, int64_t org_id, bool fiscal, int64_t limit,
                        int64_t seats, int64_t *released)
{
    if (limit <= 0)
        return 0;
    struct fh_param p[] = {FH_PI(org_id), FH_PI(limit < RELEASE_BATCH ? limit : RELEASE_BATCH),
                           FH_PI(seats)};
    struct fh_rows rows;
    char sql[640];
    snprintf(sql, sizeof(sql),
             "SELECT id, held_at FROM fiscal_invoices WHERE org_id = $1 AND hold_reason IS NOT "
             "NULL AND status = 'pending' AND invoice_type %s ('normal', 'advance') AND "
             "(integration_id IS NULL OR integration_id NOT IN (SELECT id FROM integrations WHERE "
             "org_id = $1 AND status <> 'removed' ORDER BY created_at, id %s $3)) "
             "ORDER BY id LIMIT $2",
             fiscal ? "IN" : "NOT IN", fh_store_sql(st, "LIMIT -1 OFFSET", "OFFSET"));
    int qs = fh_store_exec(st, sql, p, 3, &rows);
    for (size_t i = 0; qs >= 0 && i < rows.nrows; i++) {
        int r = release_one(st, cfg, qcfg, org_id, fh_rows_i64(&rows, i, 0, 0),
                            fh_rows_i64(&rows, i, 1, 0));
        if (r < 0)
            qs = r;
        else
            *released += r;
    }
    fh_rows_free(&rows);
    return qs;
}

int fh_billing_release(struct fh_store *st, const struct fh_config *cfg,
                       const struct fh_queue_cfg *qcfg, int64_t org_id, int64_t *released)
{
    int64_t n = 0, used = 0, now = fh_billing_now(cfg);
    if (released)
        *released = 0;
    struct fh_plan plan;
    enum fh_rc rc = fh_billing_plan(st, cfg, org_id, now, &plan);
    if (rc == FH_OK && !plan.expired)
        rc = fh_billing_used(st, org_id, 0, now, &used);
    if (rc != FH_OK)
        return billing_rc_qs(rc);
    if (plan.expired)
        return 0;
    int qs = release_some(st, cfg, qcfg, org_id, false, RELEASE_BATCH, plan.seats, &n);
    if (qs >= 0)
        qs = release_some(st, cfg, qcfg, org_id, true, plan.invoice_limit - used, plan.seats, &n);
    if (qs < 0)
        return qs;
    if (released)
        *released = n;
    if (n > 0)
        fh_log(FH_LOG_INFO, "billing_released", "org %lld: %lld invoices on hold released",
               (long long)org_id, (long long)n);
    return 1;
}

int fh_billing_release_soon(struct fh_store *st, const struct fh_queue_cfg *qcfg, int64_t org_id,
                            int64_t now)
{
    char ukey[80], payload[48];
    snprintf(ukey, sizeof(ukey), "billing.release:%lld:%lld", (long long)org_id, (long long)now);
    snprintf(payload, sizeof(payload), "{\"org_id\": %lld}", (long long)org_id);
    struct fh_enqueue e = {.kind = FH_BILLING_RELEASE_JOB, .ukey = ukey, .payload = payload};
    enum fh_rc rc = fh_job_enqueue(st, qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : billing_rc_qs(rc);
}

/* ---- the job ---- */

struct release_ctx {
    struct fh_app *app;
    int64_t org_id;
};

static int release_tx(struct fh_store *st, void *cls)
{
    struct release_ctx *c = cls;
    return fh_billing_release(st, c->app->cfg, &c->app->qcfg, c->org_id, NULL);
}

enum fh_rc fh_billing_job_release(void *cls, struct fh_store *st, const struct fh_job *job,
                                  char *err, size_t errsize)
{
    struct fh_app *app = cls;
    json_t *p = json_loads(job->payload, 0, NULL);
    int64_t org_id = json_integer_value(json_object_get(p, "org_id"));
    json_decref(p);
    struct fh_rows rows = {0};
    int qs;
    if (org_id > 0) {
        const char *cell[1];
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)org_id);
        cell[0] = id;
        rows.ncols = 1;
        fh_rows_push(&rows, cell);
        qs = 1;
    } else {
        qs = fh_store_exec(st,
                           "SELECT DISTINCT org_id FROM fiscal_invoices WHERE hold_reason IS NOT "
                           "NULL AND status = 'pending'",
                           NULL, 0, &rows);
    }
    for (size_t i = 0; qs >= 0 && i < rows.nrows; i++) {
        struct release_ctx c = {.app = app, .org_id = fh_rows_i64(&rows, i, 0, 0)};
        qs = fh_store_run_tx(st, release_tx, &c);
    }
    fh_rows_free(&rows);
    if (qs < 0) {
        snprintf(err, errsize, "store error while releasing invoices on hold");
        return FH_E_RETRY;
    }
    return FH_OK;
}
