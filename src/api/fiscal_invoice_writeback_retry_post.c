/* fiscal_invoice_writeback_retry_post.c - POST
 * /api/orgs/{org}/fiscal-invoices/{id}/writeback/retry: runs a write-back that gave up (the
 * platform refused it, or its attempts ran out) again. The job reads what the source document
 * already holds first, so a retry never writes a second note or attachment. Only a failed
 * write-back: one that is done or still being tried answers 409. */
#include "api.h"
#include "fh/fh_jobs.h"

enum fh_rc fh_api_fiscal_invoice_writeback_retry_post(struct fh_req *req)
{
    int64_t id = 0;
    if (!fh_parse_i64(fh_req_param(req, "id"), &id) || id <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
    struct fh_param p[] = {FH_PI(id), FH_PI(req->org.id)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        req->app->store, "SELECT writeback_job FROM fiscal_invoices WHERE id = $1 AND org_id = $2",
        p, 2, &rows);
    int64_t job = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_api_store_failed(req, fh_qs_rc(qs), "cannot read the invoice");
    if (qs == 0)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no fiscal invoice %lld", (long long)id);
    enum fh_rc rc = job > 0 ? fh_job_retry_dead(req->app->store, &req->app->qcfg, job, fh_now_ms())
                            : FH_E_NOTFOUND;
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_FISCAL_WRITEBACK_NOT_FAILED,
                              job > 0 ? "the write-back of fiscal invoice %lld has not failed"
                                      : "fiscal invoice %lld has no write-back (it did not come "
                                        "from an integration)",
                              (long long)id);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot retry the write-back");
    return fh_reply_json(
        req, 202,
        json_pack("{s:I, s:{s:s}}", "id", (json_int_t)id, "writeback", "state", "pending"));
}
