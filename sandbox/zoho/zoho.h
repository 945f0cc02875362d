/* zoho.h - the Zoho Books emulator of fiscalhub-sandbox (specs/zoho-books.md).
 *
 * Everything is served on the sandbox's plain HTTP port under /zoho. Each data centre (DC) has
 * its own accounts server and API domain, named by the DC's domain suffix (com, eu, in, com.au,
 * jp, ca, com.cn, sa, uk), so for a sandbox on 127.0.0.1:8081:
 *   accounts server (eu)  http://127.0.0.1:8081/zoho/accounts/eu   + /oauth/v2/auth, /token, ...
 *   api_domain (eu)       http://127.0.0.1:8081/zoho/apis/eu       (returned with every token)
 *   Books API (eu)        http://127.0.0.1:8081/zoho/apis/eu/books/v3
 * mirroring https://accounts.zoho.eu and https://www.zohoapis.eu/books/v3. A control API for
 * tests and demos lives under /zoho/control/. State is in memory only. The interface is
 * documented in docs/internals/zoho-sandbox.md. */
#ifndef FH_ZOHO_H
#define FH_ZOHO_H

#include "fh/fh_http.h"

/* Settings of the running emulator (flags and FISCALHUB_SANDBOX_ZOHO_* variables). */
struct fh_zoho_opts {
    int64_t time_scale;         /* durations are divided by this: 60 makes an hour a minute (1) */
    const char *public_url;     /* base of the URLs it announces (http://<listen>:<port>/zoho) */
    int64_t day_limit;          /* calls per organization a day for every plan; 0: by plan (0) */
    int64_t max_invoices;       /* invoices kept in memory (100000) */
    const char *demo_client_id; /* the demo client (see docs) */
    const char *demo_client_secret;
    const char *demo_redirect_uris; /* comma separated */
    const char *demo_webhook_url;   /* NULL: no workflow webhook on the demo organization */
    const char *demo_webhook_secret;
    const char *demo_password; /* of demo@example.com */
};

void fh_zoho_opts_default(struct fh_zoho_opts *o);
/* Called once before the sandbox starts; the strings must outlive the emulator. */
void fh_zoho_configure(const struct fh_zoho_opts *o);

/* Emulator table hooks (sandbox.c). */
#define FH_ZOHO_NROUTES 59
extern const struct fh_route fh_zoho_routes[FH_ZOHO_NROUTES];
struct fh_sandbox_ctx;
enum fh_rc fh_zoho_start(const struct fh_sandbox_ctx *ctx);
void fh_zoho_stop(void);

#endif
