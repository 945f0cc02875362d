/* sandbox.c - the sandbox's own routes (health, index page) and the emulator table. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/receiver.h"
#include "sandbox.h"
#include "stripe/stripe.h"
#include "vsdc/vsdc.h"
#include "xero/xero.h"
#include "zoho/zoho.h"

static const struct fh_sandbox_emulator emulators[] = {
    /* Partner emulators register here. */
    {"vsdc", "TaxCore V-SDC: mTLS API v3 on its own port; control API under /vsdc/control/",
     fh_vsdc_routes, FH_VSDC_NROUTES, fh_vsdc_start, fh_vsdc_stop},
    {"xero",
     "Xero: OAuth 2 consent and tokens, Accounting API subset, webhooks; control API under "
     "/xero/control/",
     fh_xero_routes, FH_XERO_NROUTES, fh_xero_start, fh_xero_stop},
    {"receiver",
     "Webhook receiver: records fiscalhub's events, checks their signatures, fails or is slow on "
     "request; control API under /receiver/control/",
     fh_receiver_routes, FH_RECEIVER_NROUTES, fh_receiver_start, fh_receiver_stop},
    {"zoho",
     "Zoho Books: accounts server per data centre (consent, tokens, revoke), Books API v3 subset, "
     "rate limits, signed workflow webhooks; control API under /zoho/control/",
     fh_zoho_routes, FH_ZOHO_NROUTES, fh_zoho_start, fh_zoho_stop},
    {"stripe",
     "Stripe (test mode): Checkout sessions and page, customer portal, subscriptions and "
     "renewals, signed webhooks; control API under /stripe/control/",
     fh_stripe_routes, FH_STRIPE_NROUTES, fh_stripe_start, fh_stripe_stop},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const struct fh_sandbox_emulator *fh_sandbox_emulators(size_t *count)
{
    *count = FH_ARRAY_LEN(emulators) - 1;
    return emulators;
}

static json_t *emulator_list(void)
{
    size_t n;
    const struct fh_sandbox_emulator *e = fh_sandbox_emulators(&n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s++}", "name", e[i].name, "description",
                                              e[i].description, "base_path", "/", e[i].name, "/"));
    return list;
}

static enum fh_rc health_get(struct fh_req *req)
{
    return fh_reply_json(req, 200, json_pack("{s:s, s:o}", "status", "ok", "emulators", emulator_list()));
}

static enum fh_rc index_get(struct fh_req *req)
{
    size_t n;
    const struct fh_sandbox_emulator *e = fh_sandbox_emulators(&n);
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    fh_buf_appendf(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>fiscalhub sandbox</title></head><body><h1>fiscalhub sandbox</h1>"
                       "<p>Local emulators of fiscalhub's partners, for demos and tests.</p><ul>");
    for (size_t i = 0; i < n; i++)
        fh_buf_appendf(&b, "<li><code>/%s/</code> %s</li>", e[i].name, e[i].description);
    if (n == 0)
        fh_buf_appendf(&b, "<li>No partner emulators are built into this sandbox yet.</li>");
    fh_buf_appendf(&b, "</ul>");
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, "vsdc") == 0)
            fh_buf_appendf(&b, "<p>To try fiscalhub: <a href=\"/vsdc/certificates/new\">issue a "
                               "test certificate</a> and upload it in the Client Portal.</p>");
    fh_buf_appendf(&b, "</body></html>");
    char *html = fh_buf_steal(&b);
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(html), html, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
    return fh_http_queue(req, 200, resp);
}

static const struct fh_route own_routes[] = {
    {"GET", "/", 0, FH_AUTH_NONE, FH_PERM_VIEW, index_get, 0},
    {"GET", "/healthz", 0, FH_AUTH_NONE, FH_PERM_VIEW, health_get, 0},
    {"GET", "/readyz", 0, FH_AUTH_NONE, FH_PERM_VIEW, health_get, 0},
};

struct fh_route *fh_sandbox_routes(size_t *count)
{
    size_t n, total = FH_ARRAY_LEN(own_routes);
    const struct fh_sandbox_emulator *e = fh_sandbox_emulators(&n);
    for (size_t i = 0; i < n; i++)
        total += e[i].nroutes;
    struct fh_route *all = fh_calloc(total, sizeof(*all));
    memcpy(all, own_routes, sizeof(own_routes));
    size_t k = FH_ARRAY_LEN(own_routes);
    for (size_t i = 0; i < n; i++) {
        memcpy(all + k, e[i].routes, e[i].nroutes * sizeof(*all));
        k += e[i].nroutes;
    }
    /* What fiscalhub calls may be slowed down or held by a fault: it runs on a partner thread
     * with its connection suspended, so libmicrohttpd's thread goes on serving its other
     * connections. The control APIs never wait and stay on the HTTP threads. */
    for (size_t i = FH_ARRAY_LEN(own_routes); i < total; i++)
        if (!strstr(all[i].pattern, "/control/"))
            all[i].flags |= FH_ROUTE_PARTNER;
    *count = total;
    return all;
}
