/* integrations_delete.c - DELETE /api/orgs/{org}/integrations/{uid}: Remove. In one transaction
 * the integration becomes "removed" (no longer listed; its jobs become no-ops, so sync stops)
 * and a job is queued that disconnects it at Xero (DELETE the connection, revoke the refresh
 * token) - a handler never calls the partner itself. Fiscalized invoices stay, with their
 * integration uid. */
#include <string.h>

#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_delete(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    bool own = strcmp(in.type, "custom") == 0 || strcmp(in.type, "webhook") == 0;
    enum fh_rc rc =
        own ? fh_custom_integration_remove(req->app, in.org_id, in.id) /* + revokes API keys */
            : fh_integ_remove(req->app, &in,
                              strcmp(in.type, FH_ZOHO_TYPE) == 0 ? FH_ZOHO_JOB_REVOKE
                                                                 : FH_XERO_JOB_REVOKE);
    if (rc == FH_OK) {
        fh_log(FH_LOG_INFO, "integration_removed", "org %s integration %s", req->org.code, in.uid);
        rc = fh_reply_empty(req, 204);
    } else {
        rc = fh_api_store_failed(req, rc, "cannot remove the integration");
    }
    fh_integ_free(&in);
    return rc;
}
