/* stripe.h - the Stripe emulator of fiscalhub-sandbox (specs/other-platforms.md §4 for webhook
 * signatures and delivery; Stripe's public API for the Checkout and Billing shapes).
 *
 * Everything is served on the sandbox's plain HTTP port under /stripe, so for a sandbox on
 * 127.0.0.1:8081:
 *   API base (api.stripe.com)          http://127.0.0.1:8081/stripe   + /v1/checkout/sessions, ...
 *   Checkout pages (checkout.stripe.com) http://127.0.0.1:8081/stripe/c/pay/{cs_test_...}
 *   customer portal (billing.stripe.com) http://127.0.0.1:8081/stripe/p/session/{bps_...}
 * One test-mode account with a demo secret key, demo products and prices for fiscalhub's tiers,
 * signed webhooks (Stripe-Signature) to endpoints set through the control API under
 * /stripe/control/. State is in memory only. The interface is documented in
 * docs/internals/stripe-sandbox.md. */
#ifndef FH_STRIPE_H
#define FH_STRIPE_H

#include "fh/fh_http.h"

/* Settings of the running emulator (flags and FISCALHUB_SANDBOX_STRIPE_* variables). */
struct fh_stripe_opts {
    int64_t time_scale;     /* webhook retry delays are divided by this (1) */
    const char *public_url; /* base of session and portal URLs (http://<listen>:<port>/stripe) */
    const char *secret_key; /* the demo account's API key (see docs) */
    const char *demo_webhook_url;    /* NULL: no endpoint at start */
    const char *demo_webhook_secret; /* its signing secret (whsec_...) */
};

void fh_stripe_opts_default(struct fh_stripe_opts *o);
/* Called once before the sandbox starts; the strings must outlive the emulator. */
void fh_stripe_configure(const struct fh_stripe_opts *o);

/* Emulator table hooks (sandbox.c). */
#define FH_STRIPE_NROUTES 44
extern const struct fh_route fh_stripe_routes[FH_STRIPE_NROUTES];
struct fh_sandbox_ctx;
enum fh_rc fh_stripe_start(const struct fh_sandbox_ctx *ctx);
void fh_stripe_stop(void);

#endif
