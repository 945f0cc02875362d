/* jobs_table.c - the job kinds this binary runs, and the built-in periodic jobs. */
#include "cmd_internal.h"
#include "fh/fh_billing.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

/* Done jobs are kept this long for inspection, then deleted. */
#define DONE_JOB_RETENTION_MS (7LL * 24 * 3600 * 1000)

/* Answers moved per transaction by fh_fiscal_results_move (about 17 KB each). */
#define RESULTS_MOVE_BATCH 200

/* Deletes expired sessions, log-in failure windows that have ended, partner calls left in flight
 * by a process that died (expired), and old done jobs; moves
 * the V-SDC answers stored before migration 17 to their table. */
static enum fh_rc sweep_handler(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                                size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(job);
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PI(now)}, q[] = {FH_PI(now - 24LL * 3600 * 1000)},
                    d[] = {FH_PI(now - DONE_JOB_RETENTION_MS)};
    if (fh_store_exec(st, "DELETE FROM sessions WHERE expires_at <= $1", p, 1, NULL) < 0 ||
        fh_store_exec(st, "DELETE FROM login_failures WHERE window_start < $1", q, 1, NULL) < 0 ||
        fh_store_exec(st, "DELETE FROM rate_calls WHERE expires_at <= $1", p, 1, NULL) < 0 ||
        fh_store_exec(st, "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1", d, 1, NULL) < 0) {
        fh_strlcpy(err, "store error while sweeping", errsize);
        return FH_E_RETRY;
    }
    int64_t moved;
    if (fh_fiscal_results_move(st, RESULTS_MOVE_BATCH, &moved) != FH_OK) {
        fh_strlcpy(err, "store error while moving V-SDC answers", errsize);
        return FH_E_RETRY;
    }
    return FH_OK;
}

/* The Xero and Zoho poll ticks, taken from the app by fh_cmd_job_kinds (called first). */
static int64_t xero_poll_ms = 60 * 1000, zoho_tick_ms = 60 * 1000;
/* How often invoices on hold are checked for release (a new month), likewise. */
static int64_t billing_release_ms = 300 * 1000;

const struct fh_job_kind *fh_cmd_job_kinds(struct fh_app *app, size_t *count)
{
    if (app && app->cfg)
        xero_poll_ms = fh_sync_poll_tick_ms(app->cfg, app->cfg->xero_poll_ms);
    if (app && app->cfg)
        zoho_tick_ms = fh_zoho_poll_tick_ms(app);
    if (app && app->cfg && app->cfg->billing_release_ms > 0)
        billing_release_ms = app->cfg->billing_release_ms;
    /* Handlers that need the store, master key or settings get the app as cls. */
    static struct fh_job_kind kinds[] = {
        {"maintenance.sweep", sweep_handler, NULL, NULL, false, 0},
        {FH_FISCAL_JOB_KIND, fh_fiscal_job_handler, NULL, fh_fiscal_job_prepare, true,
         FH_FISCAL_BACKOFF_MAX_MS},
        {FH_XERO_JOB_INBOX, fh_xero_job_inbox, NULL, NULL, false, 0},
        {FH_XERO_JOB_DOCUMENT, fh_xero_job_document, NULL, NULL, false, 0},
        {FH_XERO_JOB_SYNC, fh_xero_job_sync, NULL, NULL, false, 0},
        {FH_XERO_JOB_POLL, fh_xero_job_poll, NULL, NULL, false, 0},
        {FH_XERO_JOB_WRITEBACK, fh_xero_job_writeback, NULL, NULL, false, 0},
        {FH_XERO_JOB_REVOKE, fh_xero_job_revoke, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_INBOX, fh_zoho_job_inbox, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_DOCUMENT, fh_zoho_job_document, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_SYNC, fh_zoho_job_sync, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_POLL, fh_zoho_job_poll, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_WRITEBACK, fh_zoho_job_writeback, NULL, NULL, false, 0},
        {FH_ZOHO_JOB_REVOKE, fh_zoho_job_revoke, NULL, NULL, false, 0},
        {FH_WEBHOOK_JOB_KIND, fh_webhook_job_deliver, NULL, NULL, false, 0},
        {FH_CUSTOM_SWEEP_JOB_KIND, fh_custom_job_sweep, NULL, NULL, false, 0},
        {FH_BILLING_RELEASE_JOB, fh_billing_job_release, NULL, NULL, false, 0},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(kinds); i++)
        if (kinds[i].handler != sweep_handler)
            kinds[i].cls = app;
    *count = FH_ARRAY_LEN(kinds);
    return kinds;
}

enum fh_rc fh_cmd_schedule_builtin(struct fh_store *st)
{
    enum fh_rc rc = fh_schedule_upsert(st, "maintenance.sweep", "maintenance.sweep", "{}", 3600LL * 1000,
                                       fh_now_ms());
    if (rc == FH_OK) /* the Xero polling (each tier at its interval) */
        rc = fh_schedule_upsert(st, FH_XERO_JOB_POLL, FH_XERO_JOB_POLL, "{}", xero_poll_ms,
                                fh_now_ms() + xero_poll_ms);
    if (rc == FH_OK) /* the Zoho sync mode and polling (it decides per integration) */
        rc = fh_schedule_upsert(st, FH_ZOHO_JOB_POLL, FH_ZOHO_JOB_POLL, "{}", zoho_tick_ms,
                                fh_now_ms() + zoho_tick_ms);
    if (rc == FH_OK) /* forgets old Idempotency-Keys and outgoing events */
        rc = fh_schedule_upsert(st, FH_CUSTOM_SWEEP_JOB_KIND, FH_CUSTOM_SWEEP_JOB_KIND, "{}",
                                3600LL * 1000, fh_now_ms() + 60LL * 1000);
    if (rc == FH_OK) /* releases invoices on hold that a new month allows (src/billing) */
        rc = fh_schedule_upsert(st, FH_BILLING_RELEASE_JOB, FH_BILLING_RELEASE_JOB, "{}",
                                billing_release_ms, fh_now_ms());
    return rc;
}
