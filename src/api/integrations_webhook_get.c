/* integrations_webhook_get.c - GET /api/orgs/{org}/integrations/{uid}/webhook: for a Zoho Books
 * integration the Webhook Setup (its own delivery URL, the signing secret - shown only to users
 * who may manage integrations -, the events and the steps to set the workflow rule up in Zoho,
 * whether deliveries arrive); a Custom / Webhook integration answers its endpoint
 * (webhook_get.c); other types 409 (8004). docs/api/integrations.md#zoho-books. */
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_webhook_get(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    bool zoho = strcmp(in.type, FH_ZOHO_TYPE) == 0;
    int64_t id = in.id;
    fh_integ_free(&in);
    if (!zoho) /* the Custom / Webhook endpoint, or its 409 for the other types */
        return fh_api_webhook_get(req);
    json_t *o = NULL;
    enum fh_rc rc = fh_zoho_webhook_json(
        req->app, id, fh_role_has(req->org.role, FH_PERM_MANAGE_INTEGRATIONS), &o);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the webhook setup");
    return fh_reply_json(req, 200, o);
}
