/* fiscal_invoices_retry_post.c - POST /api/orgs/{org}/fiscal-invoices/retry: runs the
 * organization's failed invoices again, those matching the optional filters of the listing
 * (integration, from, to), oldest first, at most FH_FISCAL_RETRY_BATCH a call: after an outage
 * longer than the retry window, or once a certificate problem is solved. Each is a user retry
 * (fh_fiscal_retry): an invoice whose earlier outcome is unknown is asked for first, so none is
 * signed twice. */
#include "api.h"
#include "fh/fh_fiscal.h"

enum fh_rc fh_api_fiscal_invoices_retry_post(struct fh_req *req)
{
    const char *integration = NULL, *from = NULL, *to = NULL;
    json_t *root = NULL;
    struct fh_jspec spec[] = {
        {.name = "integration",
         .type = FH_J_STRING,
         .min = 1,
         .max = 64,
         .optional = true,
         .out = &integration},
        {.name = "from", .type = FH_J_STRING, .min = 1, .max = 40, .optional = true, .out = &from},
        {.name = "to", .type = FH_J_STRING, .min = 1, .max = 40, .optional = true, .out = &to},
        FH_JSPEC_END,
    };
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_fiscal_filter f = {.integration_uid = integration};
    enum fh_rc rc;
    if (from && fh_fiscal_time_bound(from, false, &f.from_ms) != FH_OK)
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                            "from must be a date (2026-11-21) or an RFC 3339 date-time");
    else if (to && fh_fiscal_time_bound(to, true, &f.to_ms) != FH_OK)
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                            "to must be a date (2026-11-21) or an RFC 3339 date-time");
    else if (f.from_ms && f.to_ms && f.from_ms >= f.to_ms)
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "from must be before to");
    else {
        int64_t retried = 0, remaining = 0;
        rc = fh_fiscal_retry_failed(req->app, req->org.id, &f, &retried, &remaining);
        rc = rc != FH_OK ? fh_api_store_failed(req, rc, "cannot retry the failed invoices")
                         : fh_reply_json(req, 202,
                                         json_pack("{s:I, s:I}", "retried", (json_int_t)retried,
                                                   "remaining", (json_int_t)remaining));
    }
    json_decref(root);
    return rc;
}
