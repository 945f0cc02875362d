/* webhook_redeliver_post.c - POST .../webhook/deliveries/{id}/redeliver: sends the delivery's
 * event again - the same body, the same event id - with a fresh signature and a new retry
 * window. 409 while the delivery is still pending. */
#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_webhook_redeliver_post(struct fh_req *req)
{
    int64_t id = 0;
    if (!fh_parse_i64(fh_req_param(req, "id"), &id) || id <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "id must be a positive integer");
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "webhook", &in) != FH_OK)
        return FH_ERR;
    enum fh_rc rc = fh_webhook_redeliver(req->app, in.id, id);
    json_t *o = NULL;
    if (rc == FH_E_NOTFOUND)
        rc = fh_reply_error(req, FH_EC_NOT_FOUND, "no delivery %lld", (long long)id);
    else if (rc == FH_E_CONFLICT)
        rc = fh_reply_error(req, FH_EC_DELIVERY_IN_PROGRESS, "delivery %lld is pending",
                            (long long)id);
    else if (rc != FH_OK || fh_webhook_delivery_json(req->app->store, in.id, id, &o) != FH_OK)
        rc = fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc, "cannot redeliver");
    else {
        fh_log(FH_LOG_INFO, "webhook_redeliver", "org %s integration %s delivery %lld",
               req->org.code, in.uid, (long long)id);
        rc = fh_reply_json(req, 202, o);
    }
    fh_integ_free(&in);
    return rc;
}
