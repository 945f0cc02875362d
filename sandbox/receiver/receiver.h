/* receiver.h - the webhook receiver of fiscalhub-sandbox: a stand-in for a customer's endpoint
 * of a Custom / Webhook integration. POST /receiver/hooks/{name} accepts events, verifies their
 * Fiscalhub-Signature with the secret configured for that hook (its own HMAC code, not
 * fiscalhub's), records every request and answers; a control API under /receiver/control/
 * configures the secret and tells a hook to fail (a status code) or be slow for a while, and
 * shows what arrived, also deduplicated by event id. State is in memory only.
 * docs/api/webhooks.md ("The sandbox receiver"). */
#ifndef FH_RECEIVER_H
#define FH_RECEIVER_H

#include "fh/fh_http.h"

#define FH_RECEIVER_NROUTES 6
extern const struct fh_route fh_receiver_routes[FH_RECEIVER_NROUTES];
struct fh_sandbox_ctx;
enum fh_rc fh_receiver_start(const struct fh_sandbox_ctx *ctx);
void fh_receiver_stop(void);

#endif
