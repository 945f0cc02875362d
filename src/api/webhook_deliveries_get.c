/* webhook_deliveries_get.c - GET /api/orgs/{org}/integrations/{uid}/webhook/deliveries: the
 * delivery log of a Custom / Webhook endpoint, newest first, paged with an opaque cursor
 * (?cursor=&limit=1..100, default 50): event, status, attempts, and the last attempt's time,
 * HTTP status, latency and response excerpt. */
#include <string.h>

#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_webhook_deliveries_get(struct fh_req *req)
{
    int64_t limit = 50;
    const char *l = fh_req_query(req, "limit");
    if (l && (!fh_parse_i64(l, &limit) || limit < 1 || limit > 100))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "limit must be 1 to 100");
    const char *cursor = fh_req_query(req, "cursor");
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "webhook", &in) != FH_OK)
        return FH_ERR;
    json_t *o = NULL;
    enum fh_rc rc = fh_webhook_deliveries_json(req->app->store, in.id, cursor, limit, &o);
    fh_integ_free(&in);
    if (rc == FH_E_INPUT)
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "cursor is not one this API gave");
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list the deliveries");
    return fh_reply_json(req, 200, o);
}
