/* billing_checkout_post.c - POST /api/orgs/{org}/billing/checkout {tier, interval, seats}:
 * creates a Stripe Checkout session (subscription mode, one line: the tier's monthly or yearly
 * price per seat, quantity = seats) and answers its hosted page's URL; the portal sends the
 * user there. The plan changes only when Stripe's signed checkout.session.completed arrives
 * (webhooks_stripe_post.c). A synchronous partner call, like the OAuth callback: the user
 * waits for the URL. Refused (409) while a subscription pays the plan (9013: it changes in the
 * customer portal), when an earlier session of the organization turns out paid (9014), and
 * while another checkout of the organization is being started (9015: two at once could each
 * leave a session open). */
#include "api.h"
#include "fh/fh_billing.h"
#include "fh/fh_json.h"

enum fh_rc fh_api_billing_checkout_post(struct fh_req *req)
{
    static const char *const tiers[] = {"starter", "growth", "scale", NULL};
    static const char *const intervals[] = {"month", "year", NULL};
    const char *tier = NULL, *interval = NULL;
    int64_t seats = 0;
    struct fh_jspec spec[] = {
        {.name = "tier", .type = FH_J_ENUM, .choices = tiers, .out = &tier},
        {.name = "interval", .type = FH_J_ENUM, .choices = intervals, .out = &interval},
        {.name = "seats", .type = FH_J_INT, .imin = 1, .imax = 99, .out = &seats},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_tier t = FH_TIER_STARTER;
    fh_tier_parse(tier, &t);
    char *url = NULL, detail[300] = "";
    enum fh_rc rc =
        fh_stripe_checkout(req->app, req->org.id, req->session.user_id, req->session.email, t,
                           interval, seats, &url, detail, sizeof(detail));
    if (rc == FH_OK)
        rc = fh_reply_json(req, 201, json_pack("{s:s}", "url", url));
    else if (rc == FH_E_INPUT)
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", detail);
    else if (rc == FH_E_LIMIT)
        rc = fh_reply_error(req, FH_EC_BILLING_STRIPE_PLAN_RUNNING, "%s", detail);
    else if (rc == FH_E_CONFLICT)
        rc = fh_reply_error(req, FH_EC_BILLING_STRIPE_CHECKOUT_PAID, "%s", detail);
    else if (rc == FH_E_BUSY)
        rc = fh_reply_error(req, FH_EC_BILLING_STRIPE_CHECKOUT_BUSY, "%s", detail);
    else if (rc == FH_E_RETRY && detail[0])
        rc = fh_reply_error(req, FH_EC_BILLING_STRIPE_UNAVAILABLE, "%s", detail);
    else
        rc = fh_api_store_failed(req, rc, "cannot start the checkout");
    free(url);
    json_decref(root);
    return rc;
}
