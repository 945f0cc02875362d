/* consent.c - connecting an integration to Zoho Books: the common consent (common/consent.c)
 * at the accounts server of the integration's data center, with access_type=offline, and the
 * user's Books organizations as the organisations to pick from.
 *
 * Refresh tokens: Zoho's never rotate and a user has at most 20 per client (the 21st silently
 * evicts the oldest, and the integration using it dies). So fiscalhub asks for one only when
 * the integration holds none - its first consent, or after Zoho refused the stored one
 * (common/tokens.c forgets a refused refresh token): then prompt=consent, the only way Zoho
 * issues a refresh token to a user who already has one for the client. A Reconnect while the
 * stored one works omits prompt, gets an access token only and keeps the stored refresh token.
 *
 * Multi-DC: the consent starts at settings.data_center's accounts server; Zoho sends the user
 * back with location and accounts-server of the DC the account really lives in, and the code
 * works only there. fiscalhub exchanges it at the accounts server it knows for that location
 * (never at a URL the browser brought), refuses an accounts-server that differs, and records
 * the DC with the tokens (refresh and revoke go there) and in the settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

static const char *data_center_of(const struct fh_integ *in)
{
    const char *dc = json_string_value(json_object_get(in->settings, "data_center"));
    return dc ? dc : "com";
}

enum fh_rc fh_zoho_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url)
{
    struct fh_zoho_dc dc;
    if (!fh_zoho_dc(app, data_center_of(in), false, &dc))
        return FH_E_INPUT;
    struct fh_param p[] = {FH_PI(in->id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT id FROM integrations WHERE id = $1 AND refresh_sealed IS NULL",
                           p, 1, &rows);
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    struct zoho_client zc;
    zoho_client_init(app, &dc, &zc);
    zc.oc.authorize_extra = qs > 0 ? "access_type=offline&prompt=consent" : "access_type=offline";
    char *redirect = fh_public_url(app, FH_ZOHO_CALLBACK_PATH);
    enum fh_rc rc = fh_consent_start(app, in, session_hash, &zc.oc, redirect, authorize_url);
    free(redirect);
    return rc;
}

struct callback_ctx {
    const char *location, *accounts_server;
    struct fh_zoho_dc dc;
    struct zoho_client zc;
};

static bool same_url(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && a[na - 1] == '/')
        na--;
    while (nb > 0 && b[nb - 1] == '/')
        nb--;
    return na == nb && strncmp(a, b, na) == 0;
}

static enum fh_rc client(struct fh_app *app, const struct fh_integ *in, void *cls,
                         struct fh_oauth_client *oc, char *reason, size_t reasonsize)
{
    struct callback_ctx *c = cls;
    bool known = c->location && c->location[0] ? fh_zoho_dc(app, c->location, true, &c->dc)
                                               : fh_zoho_dc(app, data_center_of(in), false, &c->dc);
    if (!known || (c->accounts_server && c->accounts_server[0] &&
                   !same_url(c->accounts_server, c->dc.accounts))) {
        fh_log(FH_LOG_WARN, "zoho_connect",
               "integration %s: Zoho named a data center we do not "
               "know (location %.20s)",
               in->uid, c->location ? c->location : "-");
        fh_strlcpy(reason, "unknown_data_center", reasonsize);
        return FH_E_INPUT;
    }
    zoho_client_init(app, &c->dc, &c->zc);
    *oc = c->zc.oc;
    return FH_OK;
}

/* The organizations of an answer of GET /organizations, as tenants. */
static json_t *organizations(json_t *j)
{
    json_t *list = json_array(), *o;
    size_t i;
    json_array_foreach(json_object_get(j, "organizations"), i, o)
    {
        char id[32];
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *plan = json_string_value(json_object_get(o, "plan_name"));
        if (!zoho_id(json_object_get(o, "organization_id"), id, sizeof(id)))
            continue;
        json_t *t = json_pack("{s:s, s:s}", "tenant_id", id, "name",
                              name && name[0] && strlen(name) < 200 ? name : id);
        if (plan && strlen(plan) < 40)
            json_object_set_new(t, "plan", json_string(plan));
        json_array_append_new(list, t);
        if (json_array_size(list) >= 50)
            break;
    }
    return list;
}

/* Records the data center the tokens belong to (column and settings). */
static enum fh_rc record_dc(struct fh_app *app, const struct fh_integ *in, const char *dc)
{
    json_t *s = json_deep_copy(in->settings);
    json_object_set_new(s, "data_center", json_string(dc));
    char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(s);
    struct fh_param p[] = {FH_PI(in->id), FH_PT(dc), FH_PT(text)};
    int qs = fh_store_exec(app->store,
                           "UPDATE integrations SET data_center = $2, settings = $3 WHERE id = $1",
                           p, 3, NULL);
    free(text);
    return qs > 0 ? FH_OK : FH_ERR;
}

static bool has_refresh_token(struct fh_app *app, int64_t id)
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        app->store, "SELECT id FROM integrations WHERE id = $1 AND refresh_sealed IS NOT NULL", p,
        1, &rows);
    fh_rows_free(&rows);
    return qs > 0;
}

static enum fh_rc tenants(struct fh_app *app, const struct fh_integ *in,
                          const struct fh_oauth_tokens *t, void *cls, json_t **out, char *reason,
                          size_t reasonsize)
{
    struct callback_ctx *c = cls;
    if (!t->refresh_token && !has_refresh_token(app, in->id)) {
        fh_strlcpy(reason, "no_refresh_token", reasonsize);
        return FH_ERR;
    }
    struct fh_http_response r;
    memset(&r, 0, sizeof(r));
    struct zoho_call orgs = {.method = "GET", .path = "/organizations"};
    if (t->api_domain[0])
        zoho_send(app, t->api_domain, t->access_token, &orgs, NULL, &r);
    json_error_t je;
    json_t *j =
        fh_http_classify(&r) == FH_HC_OK && r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
    bool ok = json_is_array(json_object_get(j, "organizations")) &&
              json_integer_value(json_object_get(j, "code")) == 0;
    if (!ok)
        fh_log(FH_LOG_WARN, "zoho_connect",
               "integration %s: the organizations could not be read "
               "(%s, HTTP %ld)",
               in->uid, t->api_domain[0] ? "api_domain" : "no api_domain", r.status);
    *out = ok ? organizations(j) : NULL;
    json_decref(j);
    fh_http_response_free(&r);
    if (!ok || record_dc(app, in, c->dc.id) != FH_OK) {
        json_decref(*out);
        *out = NULL;
        fh_strlcpy(reason, ok ? "store_failed" : "organizations_failed", reasonsize);
        return FH_ERR;
    }
    return FH_OK;
}

static const struct fh_consent_ops zoho_ops = {
    .partner = "zoho",
    .sync_kind = FH_ZOHO_JOB_SYNC,
    .callback_path = FH_ZOHO_CALLBACK_PATH,
    .client = client,
    .tenants = tenants,
};

enum fh_consent_result fh_zoho_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        const char *location, const char *accounts_server,
                                        char uid[16], char *reason, size_t reasonsize)
{
    struct callback_ctx c = {.location = location, .accounts_server = accounts_server};
    enum fh_consent_result r = fh_consent_callback(app, &zoho_ops, &c, session_hash, state, code,
                                                   error, uid, reason, reasonsize);
    if (r == FH_CONSENT_ERROR && strcmp(reason, "no_organisation") == 0)
        fh_strlcpy(reason, "no_organization", reasonsize);
    return r;
}
