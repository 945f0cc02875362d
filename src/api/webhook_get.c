/* webhook_get.c - GET /api/orgs/{org}/integrations/{uid}/webhook: the endpoint of a Custom /
 * Webhook integration: url, events and the names of its custom headers (their values are
 * write-only, like the signing secret). */
#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_webhook_get(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "webhook", &in) != FH_OK)
        return FH_ERR;
    json_t *o = NULL;
    enum fh_rc rc = fh_webhook_endpoint_json(req->app->store, in.id, &o);
    if (rc == FH_E_NOTFOUND)
        rc = fh_reply_error(req, FH_EC_NOT_FOUND, "integration %s has no endpoint", in.uid);
    else if (rc != FH_OK)
        rc = fh_api_store_failed(req, rc, "cannot read the endpoint");
    else
        rc = fh_reply_json(req, 200, o);
    fh_integ_free(&in);
    return rc;
}
