/* billing_get.c - GET /api/orgs/{org}/billing: the organization's plan (tier, seats, source -
 * trial, masked activation key or Stripe -, start and expiry), what it uses of it this month,
 * the invoices on hold, and the tiers on offer. docs/api/billing.md. */
#include "api.h"
#include "fh/fh_billing.h"

enum fh_rc fh_api_billing_get(struct fh_req *req)
{
    json_t *o = NULL;
    enum fh_rc rc = fh_billing_json(req->app, req->org.id, &o);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the plan");
    return fh_reply_json(req, 200, o);
}
