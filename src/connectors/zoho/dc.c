/* dc.c - Zoho's data centers, the OAuth client and rate limits of a connection, and the Zoho
 * settings of an integration.
 *
 * Each Zoho account lives in one data center (DC), with its own accounts server and API host
 * (specs/zoho-books.md §1.1). FISCALHUB_ZOHO_ACCOUNTS_URL is either "zoho" - Zoho's accounts
 * servers from the table below - or a base URL the DC id is appended to, the scheme of the
 * sandbox emulator (<sandbox>/zoho/accounts/eu). Only DCs of this table are ever called: the
 * consent redirect names a DC (location, accounts-server) and fiscalhub sends the code and the
 * client secret only to the accounts server it knows for that DC. The API host comes with the
 * tokens (api_domain, common/tokens.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zoho_internal.h"

static const struct {
    const char *id, *location, *accounts, *web;
} dcs[] = {
    {"com", "us", "https://accounts.zoho.com", "https://books.zoho.com"},
    {"eu", "eu", "https://accounts.zoho.eu", "https://books.zoho.eu"},
    {"in", "in", "https://accounts.zoho.in", "https://books.zoho.in"},
    {"com.au", "au", "https://accounts.zoho.com.au", "https://books.zoho.com.au"},
    {"jp", "jp", "https://accounts.zoho.jp", "https://books.zoho.jp"},
    {"ca", "ca", "https://accounts.zohocloud.ca", "https://books.zohocloud.ca"},
    {"com.cn", "cn", "https://accounts.zoho.com.cn", "https://books.zoho.com.cn"},
    {"sa", "sa", "https://accounts.zoho.sa", "https://books.zoho.sa"},
    {"uk", "uk", "https://accounts.zoho.uk", "https://books.zoho.uk"},
};

bool fh_zoho_dc(const struct fh_app *app, const char *id, bool by_location, struct fh_zoho_dc *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; id && i < FH_ARRAY_LEN(dcs); i++) {
        if (strcmp(by_location ? dcs[i].location : dcs[i].id, id) != 0)
            continue;
        fh_strlcpy(out->id, dcs[i].id, sizeof(out->id));
        fh_strlcpy(out->location, dcs[i].location, sizeof(out->location));
        const char *base = app->cfg->zoho_accounts_url;
        if (strcmp(base, "zoho") == 0) {
            fh_strlcpy(out->accounts, dcs[i].accounts, sizeof(out->accounts));
            fh_strlcpy(out->web, dcs[i].web, sizeof(out->web));
            return true;
        }
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            n--;
        snprintf(out->accounts, sizeof(out->accounts), "%.*s/%s", (int)n, base, dcs[i].id);
        size_t w = n >= 9 && strncmp(base + n - 9, "/accounts", 9) == 0 ? n - 9 : n;
        snprintf(out->web, sizeof(out->web), "%.*s/books/%s", (int)w, base, dcs[i].id);
        return true;
    }
    return false;
}

int64_t fh_zoho_day_limit(const char *day_limits, const char *plan)
{
    int64_t smallest = 0;
    const char *p = day_limits ? day_limits : "";
    while (*p) {
        size_t len = strcspn(p, ","), klen = strcspn(p, "=");
        int64_t v = 0;
        char num[24];
        if (klen < len && len - klen - 1 < sizeof(num)) {
            snprintf(num, sizeof(num), "%.*s", (int)(len - klen - 1), p + klen + 1);
            if (!fh_parse_i64(num, &v) || v <= 0)
                v = 0;
        }
        if (v > 0 && (smallest == 0 || v < smallest))
            smallest = v;
        if (v > 0 && plan && klen > 0 && strncasecmp(plan, p, klen) == 0)
            return v; /* "Standard", "standard - annual", ... */
        p += len + (p[len] == ',');
    }
    return smallest > 0 ? smallest : 1000;
}

void zoho_client_init(const struct fh_app *app, const struct fh_zoho_dc *dc, struct zoho_client *zc)
{
    const struct fh_config *c = app->cfg;
    memset(zc, 0, sizeof(*zc));
    snprintf(zc->authorize, sizeof(zc->authorize), "%s/oauth/v2/auth", dc->accounts);
    snprintf(zc->token, sizeof(zc->token), "%s/oauth/v2/token", dc->accounts);
    snprintf(zc->revoke, sizeof(zc->revoke), "%s/oauth/v2/token/revoke", dc->accounts);
    zc->oc.partner = "Zoho";
    zc->oc.authorize_url = zc->authorize;
    zc->oc.token_url = zc->token;
    zc->oc.revoke_url = zc->revoke;
    zc->oc.client_id = c->zoho_client_id;
    zc->oc.client_secret = c->zoho_client_secret;
    zc->oc.scopes = c->zoho_scopes;
    zc->oc.secret_in_body = true;
    zc->oc.timeout_ms = c->zoho_timeout_ms;
}

enum fh_rc zoho_conn_load(struct fh_app *app, int64_t integration_id, struct zoho_conn *out)
{
    memset(out, 0, sizeof(*out));
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT data_center, tenant_id, tenant_plan FROM integrations "
                           "WHERE id = $1",
                           p, 1, &rows);
    bool dc = qs > 0 && fh_zoho_dc(app, fh_rows_get(&rows, 0, 0), false, &out->dc);
    if (qs > 0) {
        const char *org = fh_rows_get(&rows, 0, 1), *plan = fh_rows_get(&rows, 0, 2);
        fh_strlcpy(out->org, org ? org : "", sizeof(out->org));
        fh_strlcpy(out->plan, plan ? plan : "", sizeof(out->plan));
    }
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    return dc ? FH_OK : FH_E_NOTFOUND;
}

void zoho_limits(const struct fh_app *app, const char *plan, struct fh_gov_limits *out)
{
    memset(out, 0, sizeof(*out));
    out->minute = app->cfg->zoho_minute_limit;
    out->day = fh_zoho_day_limit(app->cfg->zoho_day_limits, plan);
    out->app_minute = 1000000; /* Zoho counts per organization only */
    out->concurrent = app->cfg->zoho_concurrent_limit;
    out->time_scale = app->cfg->zoho_time_scale;
    out->call_ms = app->cfg->zoho_timeout_ms;
    out->day_left_header = "X-Rate-Limit-Remaining";
    out->day_reset_header = "X-Rate-Limit-Reset";
}

enum fh_rc fh_zoho_settings_merge(json_t *base, json_t *in, json_t **out, struct fh_json_error *err)
{
    static const char *const centers[] = {"com", "eu",     "in", "com.au", "jp",
                                          "ca",  "com.cn", "sa", "uk",     NULL};
    static const char *const fiscalize[] = {"sent", "paid", NULL};
    static const struct fh_setting_spec zoho[] = {
        {"data_center", FH_SET_ENUM, centers},
        {"fiscalize", FH_SET_ENUM, fiscalize},
        {"tax_mapping", FH_SET_TAX_MAPPING, NULL},
        {"default_label", FH_SET_LABEL, NULL},
        {"backfill_days", FH_SET_DAYS, NULL},
        {"attach_qr", FH_SET_BOOL, NULL},
        {"attach_journal", FH_SET_BOOL, NULL},
        {NULL, FH_SET_BOOL, NULL},
    };
    return fh_integ_settings_apply(zoho, base, in, out, err);
}
