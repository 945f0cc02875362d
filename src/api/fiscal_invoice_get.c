/* fiscal_invoice_get.c - GET /api/orgs/{org}/fiscal-invoices/{id}: one invoice with what the
 * V-SDC returned (journal, QR, tax items, the body verbatim). Another tenant's id is 404. */
#include "api.h"
#include "fh/fh_fiscal.h"

json_t *fh_api_fiscal_invoice_or_reply(struct fh_req *req)
{
    int64_t id = 0;
    if (!fh_parse_i64(fh_req_param(req, "id"), &id) || id <= 0) {
        fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
        return NULL;
    }
    json_t *o = NULL;
    enum fh_rc rc = fh_fiscal_get_json(req->app->store, req->org.id, id, &o);
    if (rc == FH_E_NOTFOUND)
        fh_reply_error(req, FH_EC_NOT_FOUND, "no fiscal invoice %lld", (long long)id);
    else if (rc != FH_OK)
        fh_api_store_failed(req, rc, "cannot read the invoice");
    return rc == FH_OK ? o : NULL;
}

enum fh_rc fh_api_fiscal_invoice_get(struct fh_req *req)
{
    json_t *o = fh_api_fiscal_invoice_or_reply(req);
    return o ? fh_reply_json(req, 200, o) : FH_ERR;
}
