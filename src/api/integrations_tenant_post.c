/* integrations_tenant_post.c - POST /api/orgs/{org}/integrations/{uid}/tenant {"tenant_id"}:
 * picks one of the organisations the consent authorized; the integration becomes active and its
 * first backfill is queued. */
#include <string.h>

#include "api.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_tenant_post(struct fh_req *req)
{
    const char *tenant = NULL;
    json_t *root = NULL;
    struct fh_jspec spec[] = {
        {.name = "tenant_id", .type = FH_J_STRING, .min = 1, .max = 64, .out = &tenant},
        FH_JSPEC_END,
    };
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK) {
        json_decref(root);
        return FH_ERR;
    }
    enum fh_rc rc = fh_integ_pick_tenant(
        req->app, &in, tenant,
        strcmp(in.type, FH_ZOHO_TYPE) == 0 ? FH_ZOHO_JOB_SYNC : FH_XERO_JOB_SYNC);
    if (rc == FH_E_CONFLICT)
        rc = fh_reply_error(req, FH_EC_INTEGRATION_STATE,
                            "integration %s has no organisations to pick "
                            "from; connect first",
                            in.uid);
    else if (rc == FH_E_NOTFOUND)
        rc = fh_reply_error(req, FH_EC_INTEGRATION_TENANT, "tenant_id %.64s was not authorized",
                            tenant);
    else if (rc != FH_OK)
        rc = fh_api_store_failed(req, rc, "cannot select the organisation");
    else
        rc = fh_api_integ_reply(req, 200, in.uid);
    fh_integ_free(&in);
    json_decref(root);
    return rc;
}
