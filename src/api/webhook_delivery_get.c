/* webhook_delivery_get.c - GET /api/orgs/{org}/integrations/{uid}/webhook/deliveries/{id}: one
 * delivery with its attempt log (each POST: start, end, HTTP status or the error, latency, and
 * at most 1 KiB of the answer). */
#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_webhook_delivery_get(struct fh_req *req)
{
    int64_t id = 0;
    if (!fh_parse_i64(fh_req_param(req, "id"), &id) || id <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "webhook", &in) != FH_OK)
        return FH_ERR;
    json_t *o = NULL;
    enum fh_rc rc = fh_webhook_delivery_json(req->app->store, in.id, id, &o);
    fh_integ_free(&in);
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no delivery %lld", (long long)id);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the delivery");
    return fh_reply_json(req, 200, o);
}
