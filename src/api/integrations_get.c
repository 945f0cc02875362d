/* integrations_get.c - GET /api/orgs/{org}/integrations: the organization's integrations (with
 * status, reason, certificate, settings, tenant, sync and backfill progress, and signed fiscal
 * invoices this month), setups left pending, and connection/invoice usage against the plan (the
 * free trial until a subscription exists: 1 connection, 50 invoices a month). Removed
 * integrations are not listed. docs/api/integrations.md. */
#include <string.h>

#include "api.h"
#include "fh/fh_xero.h"

#define TRIAL_CONNECTIONS 1
#define TRIAL_INVOICES 50

enum fh_rc fh_api_integrations_get(struct fh_req *req)
{
    json_t *all = NULL;
    enum fh_rc rc = fh_integ_list_json(req->app->store, req->org.id, NULL, fh_now_ms(), &all);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list integrations");
    json_t *list = json_array(), *pending = json_array();
    int64_t active = 0, invoices = 0;
    size_t i;
    json_t *item;
    json_array_foreach(all, i, item)
    {
        const char *status = json_string_value(json_object_get(item, "status"));
        invoices += json_integer_value(json_object_get(item, "invoices_this_month"));
        if (status && strcmp(status, "pending") == 0) {
            json_array_append(pending, item);
            continue;
        }
        active += status && strcmp(status, "active") == 0;
        json_array_append(list, item);
    }
    json_decref(all);
    json_t *usage =
        json_pack("{s:I, s:i, s:I, s:i, s:b, s:n}", "active_connections", (json_int_t)active,
                  "connection_limit", TRIAL_CONNECTIONS, "invoices_this_month",
                  (json_int_t)invoices, "invoice_limit", TRIAL_INVOICES, "trial", 1, "expires_at");
    return fh_reply_json(
        req, 200,
        json_pack("{s:o, s:o, s:o}", "integrations", list, "pending", pending, "usage", usage));
}
