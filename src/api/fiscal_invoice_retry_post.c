/* fiscal_invoice_retry_post.c - POST /api/orgs/{org}/fiscal-invoices/{id}/retry: runs a failed
 * invoice again (or a pending one whose job has died). The job still asks the V-SDC for the
 * RequestId before it posts when an earlier outcome is unknown, so a retry never signs twice. */
#include "api.h"
#include "fh/fh_fiscal.h"

enum fh_rc fh_api_fiscal_invoice_retry_post(struct fh_req *req)
{
    int64_t id = 0;
    if (!fh_parse_i64(fh_req_param(req, "id"), &id) || id <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
    enum fh_ec why = FH_EC_INTERNAL;
    char detail[200] = "";
    enum fh_rc rc = fh_fiscal_retry(req->app, req->org.id, id, &why, detail, sizeof(detail));
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no fiscal invoice %lld", (long long)id);
    if (rc == FH_E_CONFLICT)
        return fh_reply_error(req, why, "fiscal invoice %lld%s%s", (long long)id,
                              detail[0] ? ": " : "", detail);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot retry the invoice");
    return fh_reply_json(req, 202,
                         json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "pending"));
}
