/* webhooks_stripe_post.c - POST /webhooks/stripe: Stripe's signed webhook deliveries.
 *
 * The Stripe-Signature header is verified over the raw body with FISCALHUB_STRIPE_WEBHOOK_SECRET
 * (src/billing/stripe.c: any v1 may match, constant time, 300 s tolerance). A missing, malformed
 * or wrong signature is 401 (9007), a stale timestamp 400 (9008); nothing is read or stored
 * then. A good delivery is applied (deduplicated by event id) in one transaction that commits
 * before the 200, so Stripe retries anything that was not stored. The body is never logged. */
#include "api.h"
#include "fh/fh_billing.h"

enum fh_rc fh_api_webhooks_stripe_post(struct fh_req *req)
{
    struct fh_app *app = req->app;
    const char *body = req->body.data ? req->body.data : "";
    enum fh_stripe_sig sig = fh_stripe_verify(fh_req_header(req, "stripe-signature"), body,
                                              req->body.len, app->cfg->stripe_webhook_secret,
                                              fh_now_ms() / 1000, FH_STRIPE_TOLERANCE_S);
    static const char *const why[] = {"",
                                      "no Stripe-Signature header",
                                      "no t= in the header",
                                      "no v1 signature",
                                      "no v1 signature matches",
                                      "the timestamp is outside the tolerance"};
    if (sig == FH_SIG_STALE)
        return fh_reply_error(req, FH_EC_BILLING_STRIPE_STALE, "%s", why[sig]);
    if (sig != FH_SIG_OK)
        return fh_reply_error(req, FH_EC_BILLING_STRIPE_SIGNATURE, "%s", why[sig]);
    char outcome[64] = "";
    enum fh_rc rc = fh_stripe_event_apply(app, body, req->body.len, outcome, sizeof(outcome));
    if (rc == FH_E_INPUT)
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                              "the body is not a Stripe event (id, type, data.object)");
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "could not store the event");
    return fh_reply_json(req, 200, json_pack("{s:b, s:s}", "received", 1, "outcome", outcome));
}
