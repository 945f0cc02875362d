/* billing_portal_post.c - POST /api/orgs/{org}/billing/portal: a Stripe customer-portal session
 * for the organization's customer (cancel, renew, pay, invoices); answers its URL. 409 (9010)
 * when the organization never bought through Stripe. */
#include "api.h"
#include "fh/fh_billing.h"

enum fh_rc fh_api_billing_portal_post(struct fh_req *req)
{
    char *url = NULL, detail[300] = "";
    enum fh_rc rc = fh_stripe_portal(req->app, req->org.id, &url, detail, sizeof(detail));
    if (rc == FH_OK)
        rc = fh_reply_json(req, 201, json_pack("{s:s}", "url", url));
    else if (rc == FH_E_NOTFOUND)
        rc = fh_reply_error(req, FH_EC_BILLING_NO_CUSTOMER, "%s", "no Stripe customer");
    else if (rc == FH_E_RETRY && detail[0])
        rc = fh_reply_error(req, FH_EC_BILLING_STRIPE_UNAVAILABLE, "%s", detail);
    else
        rc = fh_api_store_failed(req, rc, "cannot open the customer portal");
    free(url);
    return rc;
}
