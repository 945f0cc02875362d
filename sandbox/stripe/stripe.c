/* stripe.c - the Stripe emulator's settings, life cycle and route table. The design is
 * described in stripe.h, stripe_internal.h and docs/internals/stripe-sandbox.md.
 *
 * Routes: the API as catch-all patterns of one to four segments under /stripe/v1 that api.c
 * routes itself (so an unknown URL gets Stripe's own 404), the hosted pages, and the control
 * API. */
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "stripe_internal.h"

#define FORM_LIMIT (64 * 1024)
#define JSON_LIMIT (1024 * 1024)

static struct fh_stripe_opts opts;
static bool configured;

static const char *const stat_groups[] = {"calls",  "api",    "sessions", "declines",
                                          "portal", "events", "webhooks", "subscriptions",
                                          "faults", NULL};
static const char *const rate_problems[] = {"rate_limit", NULL};

struct sb_stats stp_stats = SB_STATS_INIT(stat_groups);
struct sb_faults stp_faults = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .problems = rate_problems,
    .tenant_key = "account",
    .tenant_len = 0,
    .body_5xx = "{\"error\":{\"message\":\"An unknown error occurred\",\"type\":\"api_error\"}}",
    .ctype_5xx = "application/json",
    .stats = &stp_stats,
};

void fh_stripe_opts_default(struct fh_stripe_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->time_scale = 1;
}

void fh_stripe_configure(const struct fh_stripe_opts *o)
{
    opts = *o;
    configured = true;
}

enum fh_rc fh_stripe_start(const struct fh_sandbox_ctx *ctx)
{
    if (!configured)
        fh_stripe_opts_default(&opts);
    if (opts.secret_key && (!fh_starts_with(opts.secret_key, "sk_test_") ||
                            strlen(opts.secret_key) < 12 || strlen(opts.secret_key) > 120)) {
        fh_log(FH_LOG_ERROR, "stripe", "--stripe-secret-key must be sk_test_... (12-120 chars)");
        return FH_E_INPUT;
    }
    if (opts.demo_webhook_secret && !fh_starts_with(opts.demo_webhook_secret, "whsec_")) {
        fh_log(FH_LOG_ERROR, "stripe", "--stripe-demo-webhook-secret must start with whsec_");
        return FH_E_INPUT;
    }
    char url[256];
    sb_base_url(ctx, opts.public_url, "stripe", url, sizeof(url));
    stp_init(&opts, url);
    stp_lock();
    stp_wh_settings(&stp.set);
    stp_unlock();
    if (stp_wh_start() != FH_OK)
        return FH_ERR;
    fh_log(FH_LOG_INFO, "stripe", "Stripe emulator at %s (time scale %lld)", url,
           (long long)opts.time_scale);
    return FH_OK;
}

void fh_stripe_stop(void)
{
    stp_wh_stop();
    stp_free();
    sb_stats_reset(&stp_stats);
    sb_faults_reset(&stp_faults);
}

#define R(m, p, lim, h)                                                                            \
    {                                                                                              \
        m, p, lim, FH_AUTH_NONE, FH_PERM_VIEW, h, 0                                                \
    }
#define API "/stripe/v1"
#define CTL "/stripe/control"

const struct fh_route fh_stripe_routes[] = {
    /* API (api.stripe.com) */
    R("GET", API "/{a}", 0, stp_api),
    R("GET", API "/{a}/{b}", 0, stp_api),
    R("GET", API "/{a}/{b}/{c}", 0, stp_api),
    R("GET", API "/{a}/{b}/{c}/{d}", 0, stp_api),
    R("POST", API "/{a}", FORM_LIMIT, stp_api),
    R("POST", API "/{a}/{b}", FORM_LIMIT, stp_api),
    R("POST", API "/{a}/{b}/{c}", FORM_LIMIT, stp_api),
    R("POST", API "/{a}/{b}/{c}/{d}", FORM_LIMIT, stp_api),
    R("DELETE", API "/{a}", FORM_LIMIT, stp_api),
    R("DELETE", API "/{a}/{b}", FORM_LIMIT, stp_api),
    R("DELETE", API "/{a}/{b}/{c}", FORM_LIMIT, stp_api),
    R("DELETE", API "/{a}/{b}/{c}/{d}", FORM_LIMIT, stp_api),
    /* hosted pages (checkout.stripe.com, billing.stripe.com) */
    R("GET", "/stripe/c/pay/{id}", 0, stp_checkout_get),
    R("POST", "/stripe/c/pay/{id}", FORM_LIMIT, stp_checkout_post),
    R("GET", "/stripe/p/session/{id}", 0, stp_portal_get),
    R("POST", "/stripe/p/session/{id}", FORM_LIMIT, stp_portal_post),
    R("GET", "/stripe/static/stripe.css", 0, stp_css_get),
    /* control API */
    R("GET", CTL "/info", 0, stp_c_info_get),
    R("PUT", CTL "/settings", JSON_LIMIT, stp_c_settings_put),
    R("POST", CTL "/reset", JSON_LIMIT, stp_c_reset_post),
    R("GET", CTL "/stats", 0, stp_c_stats_get),
    R("POST", CTL "/stats/reset", JSON_LIMIT, stp_c_stats_reset_post),
    R("GET", CTL "/faults", 0, stp_c_faults_get),
    R("PUT", CTL "/faults", JSON_LIMIT, stp_c_faults_put),
    R("GET", CTL "/webhook-endpoints", 0, stp_c_endpoints_get),
    R("POST", CTL "/webhook-endpoints", JSON_LIMIT, stp_c_endpoints_post),
    R("GET", CTL "/webhook-endpoints/{id}", 0, stp_c_endpoint_get),
    R("PUT", CTL "/webhook-endpoints/{id}", JSON_LIMIT, stp_c_endpoint_put),
    R("DELETE", CTL "/webhook-endpoints/{id}", 0, stp_c_endpoint_delete),
    R("GET", CTL "/events", 0, stp_c_events_get),
    R("POST", CTL "/events/forge", JSON_LIMIT, stp_c_forge_post),
    R("POST", CTL "/events/{id}/resend", JSON_LIMIT, stp_c_event_resend_post),
    R("POST", CTL "/sign", JSON_LIMIT, stp_c_sign_post),
    R("GET", CTL "/products", 0, stp_c_products_get),
    R("POST", CTL "/products", JSON_LIMIT, stp_c_products_post),
    R("POST", CTL "/prices", JSON_LIMIT, stp_c_prices_post),
    R("GET", CTL "/sessions", 0, stp_c_sessions_get),
    R("POST", CTL "/sessions/{id}/complete", JSON_LIMIT, stp_c_session_complete_post),
    R("POST", CTL "/sessions/{id}/expire", JSON_LIMIT, stp_c_session_expire_post),
    R("GET", CTL "/customers", 0, stp_c_customers_get),
    R("GET", CTL "/subscriptions", 0, stp_c_subs_get),
    R("POST", CTL "/subscriptions/{id}/{action}", JSON_LIMIT, stp_c_sub_action_post),
    R("GET", CTL "/invoices", 0, stp_c_invoices_get),
    R("POST", CTL "/invoices/{id}/pay", JSON_LIMIT, stp_c_invoice_pay_post),
};
