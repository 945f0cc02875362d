/* xero.h - the Xero emulator of fiscalhub-sandbox (specs/xero.md, specs/xero-openapi/).
 *
 * Everything is served on the sandbox's plain HTTP port under /xero, so the four Xero base URLs
 * of a connector become (for a sandbox on 127.0.0.1:8081):
 *   login (authorize)     http://127.0.0.1:8081/xero           + /identity/connect/authorize
 *   identity (tokens)     http://127.0.0.1:8081/xero/identity  + /connect/token,
 * /connect/revocation api (connections)     http://127.0.0.1:8081/xero/api       + /connections
 *   accounting            http://127.0.0.1:8081/xero/api.xro/2.0
 * A control API for tests and demos lives under /xero/control/. State is in memory only. The
 * interface is documented in docs/internals/xero-sandbox.md. */
#ifndef FH_XERO_H
#define FH_XERO_H

#include "fh/fh_http.h"

/* Settings of the running emulator (flags and FISCALHUB_SANDBOX_XERO_* variables). */
struct fh_xero_opts {
    int64_t time_scale;       /* durations are divided by this: 30 makes a minute 2 s (1) */
    const char *public_url;   /* base announced in resource URLs (http://<listen>:<port>/xero) */
    const char *grace_replay; /* "same": a replayed refresh token returns the pair it got; "new" */
    int64_t max_invoices;     /* invoices + credit notes kept in memory (200000) */
    int64_t day_limit;        /* calls per tenant and app per day (5000) */
    const char *demo_client_id; /* the demo app (see docs) */
    const char *demo_client_secret;
    const char *demo_redirect_uris; /* comma separated */
    const char *demo_webhook_url;   /* NULL: no webhook */
    const char *demo_webhook_key;
    const char *demo_password; /* of demo@example.com */
};

void fh_xero_opts_default(struct fh_xero_opts *o);
/* Called once before the sandbox starts; the strings must outlive the emulator. */
void fh_xero_configure(const struct fh_xero_opts *o);

/* Emulator table hooks (sandbox.c). */
#define FH_XERO_NROUTES 55
extern const struct fh_route fh_xero_routes[FH_XERO_NROUTES];
struct fh_sandbox_ctx;
enum fh_rc fh_xero_start(const struct fh_sandbox_ctx *ctx);
void fh_xero_stop(void);

#endif
