/* integrations_get.c - GET /api/orgs/{org}/integrations: the organization's integrations (with
 * status, reason, certificate, settings, tenant, sync and backfill progress, and signed fiscal
 * invoices this month), setups left pending, and connection/invoice usage against the plan
 * (src/billing/view.c: the free trial until a subscription exists; each item's monthly count
 * and trial badge come from the usage counters). Removed integrations are not listed.
 * docs/api/integrations.md. */
#include <string.h>

#include "api.h"
#include "fh/fh_billing.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_integrations_get(struct fh_req *req)
{
    json_t *all = NULL;
    enum fh_rc rc = fh_integ_list_json(req->app->store, req->org.id, NULL, fh_now_ms(), &all);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list integrations");
    json_t *usage = NULL;
    rc = fh_billing_usage_json(req->app, req->org.id, all, &usage);
    if (rc != FH_OK) {
        json_decref(all);
        return fh_api_store_failed(req, rc, "cannot read the plan");
    }
    json_t *list = json_array(), *pending = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(all, i, item)
    {
        const char *status = json_string_value(json_object_get(item, "status"));
        json_array_append(status && strcmp(status, "pending") == 0 ? pending : list, item);
    }
    json_decref(all);
    return fh_reply_json(
        req, 200,
        json_pack("{s:o, s:o, s:o}", "integrations", list, "pending", pending, "usage", usage));
}
