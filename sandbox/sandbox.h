/* sandbox.h - fiscalhub-sandbox: local emulators of the partners fiscalhub talks to (TaxCore
 * V-SDC, Xero, Zoho Books, Stripe, a webhook receiver), built from ../specs facts, served over
 * real HTTP with the same HTTP and JSON layers as fiscalhub. Each emulator lives in its own
 * folder under sandbox/ and contributes routes under its own path prefix plus a control API for
 * tests (create, approve, pay invoices; inject faults). */
#ifndef FH_SANDBOX_H
#define FH_SANDBOX_H

#include "fh/fh_http.h"

/* What an emulator's start hook gets: where the sandbox listens and keeps its files. */
struct fh_sandbox_ctx {
    const char *listen_addr;
    uint16_t http_port;   /* the plain HTTP port (control APIs, pages) */
    const char *data_dir; /* persistent state; an emulator uses <data_dir>/<name>/ */
};

struct fh_sandbox_emulator {
    const char *name;        /* "vsdc", "xero", ... : also the path prefix /<name>/ */
    const char *description; /* one line for the index page and /healthz */
    const struct fh_route *routes;
    size_t nroutes;
    /* Optional: start runs before the HTTP port opens (load state, open an extra listener);
     * a failure stops the sandbox. stop runs after the HTTP port closed. */
    enum fh_rc (*start)(const struct fh_sandbox_ctx *ctx);
    void (*stop)(void);
};

/* Every emulator compiled in (the table grows as partners are added). */
const struct fh_sandbox_emulator *fh_sandbox_emulators(size_t *count);
/* The combined route table: the sandbox's own routes, then each emulator's. Caller frees. */
struct fh_route *fh_sandbox_routes(size_t *count);

#endif
