/* xero.c - the Xero emulator's settings, life cycle and route table. The design is described
 * in xero.h, xero_internal.h and docs/internals/xero-sandbox.md.
 *
 * Routes: the identity pages and endpoints, /xero/api/{connections} (case-insensitive), the
 * Accounting API as catch-all patterns of one to four segments that accounting.c routes itself
 * (Xero's paths are case-insensitive), and the control API. */
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "xero_internal.h"

#define FORM_LIMIT (16 * 1024)
#define JSON_LIMIT (4 * 1024 * 1024)
#define FILE_LIMIT (26 * 1024 * 1024)

static struct fh_xero_opts opts;

static const char *const stat_groups[] = {"calls",    "rate_limited", "tenants", "identity",
                                          "webhooks", "faults",       NULL};
static const char *const rate_problems[] = {"minute", "day", "appminute", "concurrent", NULL};

struct sb_stats x_stats = SB_STATS_INIT(stat_groups);
struct sb_faults x_faults = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .problems = rate_problems,
    .tenant_key = "tenant_id",
    .tenant_len = 36,
    .body_5xx = "An error occurred in Xero. Check the API Status page "
                "http://status.developer.xero.com for current service status.",
    .ctype_5xx = "text/plain; charset=utf-8",
    .stats = &x_stats,
};
struct sb_rl x_rl = SB_RL_INIT;
static bool configured;

void fh_xero_opts_default(struct fh_xero_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->time_scale = 1;
    o->grace_replay = "same";
    o->max_invoices = 200000;
    o->day_limit = 5000;
}

void fh_xero_configure(const struct fh_xero_opts *o)
{
    opts = *o;
    configured = true;
}

enum fh_rc fh_xero_start(const struct fh_sandbox_ctx *ctx)
{
    if (!configured)
        fh_xero_opts_default(&opts);
    if (opts.grace_replay && strcmp(opts.grace_replay, "same") != 0 &&
        strcmp(opts.grace_replay, "new") != 0) {
        fh_log(FH_LOG_ERROR, "xero", "--xero-grace-replay must be same or new");
        return FH_E_INPUT;
    }
    char url[256];
    sb_base_url(ctx, opts.public_url, "xero", url, sizeof(url));
    xs_init(&opts, url);
    xs_lock();
    wh_settings(&xs.set);
    xs_unlock();
    if (wh_start() != FH_OK)
        return FH_ERR;
    fh_log(FH_LOG_INFO, "xero", "Xero emulator at %s (time scale %lld)", url,
           (long long)opts.time_scale);
    return FH_OK;
}

void fh_xero_stop(void)
{
    wh_stop();
    xs_free();
    sb_rl_reset(&x_rl);
    sb_stats_reset(&x_stats);
    sb_faults_reset(&x_faults);
}

#define R(m, p, lim, h)                                                                            \
    {                                                                                              \
        m, p, lim, FH_AUTH_NONE, FH_PERM_VIEW, h, 0                                                \
    }
#define ACC "/xero/api.xro/2.0"
#define CTL "/xero/control"

const struct fh_route fh_xero_routes[] = {
    /* identity (login.xero.com and identity.xero.com) */
    R("GET", "/xero/identity/connect/authorize", 0, xh_authorize_get),
    R("POST", "/xero/identity/connect/authorize/login", FORM_LIMIT, xh_login_post),
    R("GET", "/xero/identity/connect/authorize/consent", 0, xh_consent_get),
    R("POST", "/xero/identity/connect/authorize/consent", FORM_LIMIT, xh_consent_post),
    R("GET", "/xero/identity/static/consent.css", 0, xh_consent_css),
    R("POST", "/xero/identity/connect/token", FORM_LIMIT, xh_token_post),
    R("POST", "/xero/identity/connect/revocation", FORM_LIMIT, xh_revocation_post),
    R("GET", "/xero/identity/.well-known/openid-configuration", 0, xh_discovery_get),
    /* api.xero.com/connections */
    R("GET", "/xero/api/{a}", 0, xh_connections_get),
    R("DELETE", "/xero/api/{a}/{b}", 0, xh_connection_delete),
    /* Accounting API */
    R("GET", ACC "/{a}", 0, xh_accounting),
    R("GET", ACC "/{a}/{b}", 0, xh_accounting),
    R("GET", ACC "/{a}/{b}/{c}", 0, xh_accounting),
    R("GET", ACC "/{a}/{b}/{c}/{d}", 0, xh_accounting),
    R("PUT", ACC "/{a}", JSON_LIMIT, xh_accounting),
    R("PUT", ACC "/{a}/{b}", JSON_LIMIT, xh_accounting),
    R("PUT", ACC "/{a}/{b}/{c}", JSON_LIMIT, xh_accounting),
    R("PUT", ACC "/{a}/{b}/{c}/{d}", FILE_LIMIT, xh_accounting),
    R("POST", ACC "/{a}", JSON_LIMIT, xh_accounting),
    R("POST", ACC "/{a}/{b}", JSON_LIMIT, xh_accounting),
    R("POST", ACC "/{a}/{b}/{c}", JSON_LIMIT, xh_accounting),
    R("POST", ACC "/{a}/{b}/{c}/{d}", FILE_LIMIT, xh_accounting),
    /* control API */
    R("GET", CTL "/info", 0, xc_info_get),
    R("PUT", CTL "/settings", JSON_LIMIT, xc_settings_put),
    R("POST", CTL "/reset", JSON_LIMIT, xc_reset_post),
    R("POST", CTL "/users", JSON_LIMIT, xc_users_post),
    R("GET", CTL "/users", 0, xc_users_get),
    R("POST", CTL "/orgs", JSON_LIMIT, xc_orgs_post),
    R("GET", CTL "/orgs", 0, xc_orgs_get),
    R("PUT", CTL "/orgs/{org}/limits", JSON_LIMIT, xc_org_limits_put),
    R("POST", CTL "/orgs/{org}/hold", JSON_LIMIT, xc_org_hold_post),
    R("POST", CTL "/orgs/{org}/contacts", JSON_LIMIT, xc_contacts_post),
    R("POST", CTL "/orgs/{org}/invoices", JSON_LIMIT, xc_invoices_post),
    R("POST", CTL "/orgs/{org}/invoices/bulk", JSON_LIMIT, xc_invoices_bulk_post),
    R("POST", CTL "/apps", JSON_LIMIT, xc_apps_post),
    R("GET", CTL "/apps/{client_id}", 0, xc_app_get),
    R("PUT", CTL "/apps/{client_id}", JSON_LIMIT, xc_app_put),
    R("POST", CTL "/apps/{client_id}/itr", JSON_LIMIT, xc_app_itr_post),
    R("GET", CTL "/connections", 0, xc_connections_get),
    R("DELETE", CTL "/connections/{id}", 0, xc_connection_delete),
    R("POST", CTL "/tokens/expire", JSON_LIMIT, xc_tokens_expire_post),
    R("PUT", CTL "/contacts/{id}", JSON_LIMIT, xc_contact_put),
    R("GET", CTL "/invoices/{id}", 0, xc_invoice_get),
    R("PUT", CTL "/invoices/{id}", JSON_LIMIT, xc_invoice_put),
    R("GET", CTL "/invoices/{id}/history", 0, xc_invoice_history_get),
    R("GET", CTL "/invoices/{id}/attachments", 0, xc_invoice_attachments_get),
    R("GET", CTL "/invoices/{id}/attachments/{name}", 0, xc_invoice_attachment_get),
    R("POST", CTL "/invoices/{id}/{action}", JSON_LIMIT, xc_invoice_action_post),
    R("GET", CTL "/credit-notes/{id}", 0, xc_credit_note_get),
    R("DELETE", CTL "/credit-notes/{id}/allocations/{alloc}", 0, xc_credit_note_allocation_delete),
    R("GET", CTL "/stats", 0, xc_stats_get),
    R("POST", CTL "/stats/reset", JSON_LIMIT, xc_stats_reset_post),
    R("GET", CTL "/faults", 0, xc_faults_get),
    R("PUT", CTL "/faults", JSON_LIMIT, xc_faults_put),
    R("GET", CTL "/webhooks", 0, xc_webhooks_get),
};
