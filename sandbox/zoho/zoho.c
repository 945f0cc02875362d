/* zoho.c - the Zoho Books emulator's settings, life cycle and route table. The design is
 * described in zoho.h, zoho_internal.h and docs/internals/zoho-sandbox.md.
 *
 * Routes: per data centre the accounts server (/zoho/accounts/{dc}/oauth/...), the Books API as
 * catch-all patterns of one to three segments under /zoho/apis/{dc}/books/v3 that books.c
 * routes itself (so unknown paths and methods get Zoho's JSON errors; the file upload POST
 * /invoices/{id}/attachment has a route of its own for its larger body limit, and DELETE
 * /creditnotes/{id}/invoices/{creditnote_invoice_id} one for its fourth segment), the consent
 * pages' stylesheet, and the control API. */
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "zoho_internal.h"

#define FORM_LIMIT (16 * 1024)
#define API_LIMIT (1024 * 1024)
#define JSON_LIMIT (4 * 1024 * 1024)
#define UPLOAD_LIMIT (Z_MAX_FILE_BYTES + 64 * 1024) /* a file and the multipart overhead */

static struct fh_zoho_opts opts;
static bool configured;

static const char *const stat_groups[] = {
    "calls",         "rate_limited", "orgs",   "identity", "token_errors",
    "auth_failures", "webhooks",     "faults", "books",    NULL};
static const char *const rate_problems[] = {"minute", "day", "concurrent", NULL};

struct sb_stats z_stats = SB_STATS_INIT(stat_groups);
struct sb_faults z_faults = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .problems = rate_problems,
    .tenant_key = "organization_id",
    .tenant_len = 0,
    .body_5xx = "{\"code\":1000,\"message\":\"Internal error\"}",
    .ctype_5xx = "application/json;charset=UTF-8",
    .stats = &z_stats,
};
struct sb_rl z_rl = SB_RL_INIT;

void fh_zoho_opts_default(struct fh_zoho_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->time_scale = 1;
    o->max_invoices = 100000;
}

void fh_zoho_configure(const struct fh_zoho_opts *o)
{
    opts = *o;
    configured = true;
}

enum fh_rc fh_zoho_start(const struct fh_sandbox_ctx *ctx)
{
    if (!configured)
        fh_zoho_opts_default(&opts);
    char url[256];
    sb_base_url(ctx, opts.public_url, "zoho", url, sizeof(url));
    zs_init(&opts, url);
    if (zwh_start() != FH_OK)
        return FH_ERR;
    fh_log(FH_LOG_INFO, "zoho", "Zoho Books emulator at %s (time scale %lld)", url,
           (long long)opts.time_scale);
    return FH_OK;
}

void fh_zoho_stop(void)
{
    zwh_stop();
    zs_free();
    sb_rl_reset(&z_rl);
    sb_stats_reset(&z_stats);
    sb_faults_reset(&z_faults);
}

#define R(m, p, lim, h)                                                                            \
    {                                                                                              \
        m, p, lim, FH_AUTH_NONE, FH_PERM_VIEW, h, 0                                                \
    }
#define ACC "/zoho/accounts/{dc}/oauth"
#define API "/zoho/apis/{dc}/books/v3"
#define CTL "/zoho/control"

const struct fh_route fh_zoho_routes[] = {
    /* accounts servers (accounts.zoho.<dc>) */
    R("GET", ACC "/v2/auth", 0, zh_auth_get),
    R("POST", ACC "/v2/auth/login", FORM_LIMIT, zh_login_post),
    R("GET", ACC "/v2/auth/consent", 0, zh_consent_get),
    R("POST", ACC "/v2/auth/consent", FORM_LIMIT, zh_consent_post),
    R("POST", ACC "/v2/token", FORM_LIMIT, zh_token_post),
    R("POST", ACC "/v2/token/revoke", FORM_LIMIT, zh_revoke_post),
    R("POST", ACC "/v2/revoke/token", FORM_LIMIT, zh_revoke2_post),
    R("GET", ACC "/serverinfo", 0, zh_serverinfo_get),
    R("GET", "/zoho/static/consent.css", 0, zh_css_get),
    /* Books API v3 (www.zohoapis.<dc>/books/v3) */
    R("POST", API "/invoices/{id}/attachment", UPLOAD_LIMIT, zh_books_upload), /* before {a} */
    R("DELETE", API "/creditnotes/{id}/invoices/{cid}", 0, zh_books_cn_credit_delete),
    R("GET", API "/{a}", 0, zh_books),
    R("GET", API "/{a}/{b}", 0, zh_books),
    R("GET", API "/{a}/{b}/{c}", 0, zh_books),
    R("POST", API "/{a}", API_LIMIT, zh_books),
    R("POST", API "/{a}/{b}", API_LIMIT, zh_books),
    R("POST", API "/{a}/{b}/{c}", API_LIMIT, zh_books),
    R("PUT", API "/{a}", API_LIMIT, zh_books),
    R("PUT", API "/{a}/{b}", API_LIMIT, zh_books),
    R("PUT", API "/{a}/{b}/{c}", API_LIMIT, zh_books),
    R("DELETE", API "/{a}", 0, zh_books),
    R("DELETE", API "/{a}/{b}", 0, zh_books),
    R("DELETE", API "/{a}/{b}/{c}", 0, zh_books),
    /* control API */
    R("GET", CTL "/info", 0, zc_info_get),
    R("PUT", CTL "/settings", JSON_LIMIT, zc_settings_put),
    R("POST", CTL "/reset", JSON_LIMIT, zc_reset_post),
    R("POST", CTL "/users", JSON_LIMIT, zc_users_post),
    R("GET", CTL "/users", 0, zc_users_get),
    R("POST", CTL "/orgs", JSON_LIMIT, zc_orgs_post),
    R("GET", CTL "/orgs", 0, zc_orgs_get),
    R("PUT", CTL "/orgs/{org}", JSON_LIMIT, zc_org_put),
    R("POST", CTL "/orgs/{org}/hold", JSON_LIMIT, zc_org_hold_post),
    R("GET", CTL "/orgs/{org}/webhook", 0, zc_org_webhook_get),
    R("PUT", CTL "/orgs/{org}/webhook", JSON_LIMIT, zc_org_webhook_put),
    R("POST", CTL "/orgs/{org}/webhook/replay", JSON_LIMIT, zc_org_webhook_replay_post),
    R("POST", CTL "/orgs/{org}/customfields", JSON_LIMIT, zc_org_customfields_post),
    R("POST", CTL "/orgs/{org}/invoices", JSON_LIMIT, zc_invoices_post),
    R("POST", CTL "/orgs/{org}/invoices/bulk", JSON_LIMIT, zc_invoices_bulk_post),
    R("POST", CTL "/clients", JSON_LIMIT, zc_clients_post),
    R("GET", CTL "/clients/{client_id}", 0, zc_client_get),
    R("PUT", CTL "/clients/{client_id}", JSON_LIMIT, zc_client_put),
    R("GET", CTL "/tokens", 0, zc_tokens_get),
    R("POST", CTL "/tokens/revoke", JSON_LIMIT, zc_tokens_revoke_post),
    R("POST", CTL "/tokens/expire", JSON_LIMIT, zc_tokens_expire_post),
    R("GET", CTL "/invoices/{id}", 0, zc_invoice_get),
    R("PUT", CTL "/invoices/{id}", JSON_LIMIT, zc_invoice_put),
    R("GET", CTL "/invoices/{id}/comments", 0, zc_invoice_comments_get),
    R("POST", CTL "/invoices/{id}/{action}", JSON_LIMIT, zc_invoice_action_post),
    R("POST", CTL "/orgs/{org}/creditnotes", JSON_LIMIT, zc_creditnotes_post),
    R("GET", CTL "/creditnotes/{id}", 0, zc_creditnote_get),
    R("PUT", CTL "/creditnotes/{id}", JSON_LIMIT, zc_creditnote_put),
    R("GET", CTL "/creditnotes/{id}/comments", 0, zc_creditnote_comments_get),
    R("POST", CTL "/creditnotes/{id}/{action}", JSON_LIMIT, zc_creditnote_action_post),
    R("DELETE", CTL "/creditnotes/{id}/invoices/{cid}", 0, zc_creditnote_credit_delete),
    R("GET", CTL "/stats", 0, zc_stats_get),
    R("POST", CTL "/stats/reset", JSON_LIMIT, zc_stats_reset_post),
    R("GET", CTL "/faults", 0, zc_faults_get),
    R("PUT", CTL "/faults", JSON_LIMIT, zc_faults_put),
    R("GET", CTL "/webhooks", 0, zc_webhooks_get),
};
