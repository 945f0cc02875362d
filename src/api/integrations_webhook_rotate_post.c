/* integrations_webhook_rotate_post.c - POST /api/orgs/{org}/integrations/{uid}/webhook/rotate:
 * Rotate secret of a Zoho Books integration's webhook. The old secret stops working at once (a
 * rotation answers a leak, so there is no overlap); until Zoho signs a delivery with the new one
 * the integration polls, so nothing sent meanwhile is lost. Answers the Webhook Setup with the
 * new secret. Other types 409 (8004). */
#include "api.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_webhook_rotate_post(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, FH_ZOHO_TYPE, &in) != FH_OK)
        return FH_ERR;
    json_t *o = NULL;
    enum fh_rc rc = fh_zoho_webhook_rotate(req->app, in.id);
    if (rc == FH_OK)
        rc = fh_zoho_webhook_json(req->app, in.id, true, &o);
    if (rc == FH_OK)
        fh_log(FH_LOG_INFO, "zoho_webhook_rotate", "org %s integration %s: secret rotated",
               req->org.code, in.uid);
    fh_integ_free(&in);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot rotate the webhook secret");
    return fh_reply_json(req, 200, o);
}
