/* accounts.c - the accounts server's token endpoints (specs/zoho-books.md §1.2-1.4), one per
 * data centre under /zoho/accounts/{dc}/:
 *   POST /oauth/v2/token          authorization_code and refresh_token grants
 *   POST /oauth/v2/token/revoke   ?token=  (refresh or access token)
 *   POST /oauth/v2/revoke/token   ?token=&token_type=  with Basic client authentication
 *   GET  /oauth/serverinfo        the locations and their accounts servers
 * Parameters come from the urlencoded body or, as Zoho accepts both, from the query string.
 * Failures are Zoho's: HTTP 200 (token_error_status: 400) with {"error": "invalid_code"} and
 * friends; the mint throttle answers {"error":"Access Denied","error_description":...,
 * "status":"failure"}. A grant code or refresh token works only at the DC that issued it, and
 * each DC checks the client's secret there (dc_secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "zoho_internal.h"

#define THROTTLED "You have made too many requests continuously. Please try again after some time."

struct tok_req {
    char *grant_type, *client_id, *client_secret, *redirect_uri, *code, *refresh_token, *token,
        *token_type;
};

static char *param(struct fh_req *req, const char *name)
{
    char *v = sb_form_get(req->body.data, req->body.len, name);
    const char *q = v ? NULL : fh_req_query(req, name);
    return v ? v : q ? fh_strdup(q) : NULL;
}

static void tr_parse(struct fh_req *req, struct tok_req *t)
{
    t->grant_type = param(req, "grant_type");
    t->client_id = param(req, "client_id");
    t->client_secret = param(req, "client_secret");
    t->redirect_uri = param(req, "redirect_uri");
    t->code = param(req, "code");
    t->refresh_token = param(req, "refresh_token");
    t->token = param(req, "token");
    t->token_type = param(req, "token_type");
}

static void tr_free(struct tok_req *t)
{
    free(t->grant_type);
    free(t->client_id);
    free(t->client_secret);
    free(t->redirect_uri);
    free(t->code);
    free(t->refresh_token);
    free(t->token);
    free(t->token_type);
}

static enum fh_rc token_error(struct fh_req *req, const char *error)
{
    sb_stat_add(&z_stats, "token_errors", error, 1);
    json_t *j = strcmp(error, "Access Denied") == 0
                    ? json_pack("{s:s, s:s, s:s}", "error", error, "error_description", THROTTLED,
                                "status", "failure")
                    : json_pack("{s:s}", "error", error);
    return sb_json(req, (unsigned int)zs.set.token_error_status, j);
}

static json_t *token_body(const struct z_access *a, const struct z_refresh *r)
{
    char domain[320];
    z_api_domain(a->dc, domain, sizeof(domain));
    int64_t secs = (a->expires_ms - z_now_ms() + 500) / 1000;
    json_t *j = json_pack("{s:s}", "access_token", a->token);
    if (r)
        json_object_set_new(j, "refresh_token", json_string(r->token));
    json_object_set_new(j, "api_domain", json_string(domain));
    json_object_set_new(j, "token_type", json_string("Bearer"));
    json_object_set_new(j, "expires_in", json_integer(secs > 0 ? secs : 1));
    return j;
}

static enum fh_rc code_grant(struct fh_req *req, struct tok_req *t, struct z_client *c,
                             const struct z_dc *dc)
{
    struct z_code *code = sb_map_get(&zs.codes, t->code);
    if (!code || code->expires_ms < z_now_ms() || code->grant->client != c || code->dc != dc)
        return token_error(req, "invalid_code");
    if (!t->redirect_uri || strcmp(t->redirect_uri, code->redirect_uri) != 0)
        return token_error(req, "invalid_redirect_uri");
    struct z_grant *g = code->grant;
    struct z_refresh *r = code->offline ? ztok_refresh_new(g, dc) : NULL;
    struct z_access *a = ztok_access_new(g, r, dc);
    sb_map_del(&zs.codes, code->code); /* single use */
    free(code->redirect_uri);
    free(code);
    sb_stat_add(&z_stats, "identity", "code_exchanges", 1);
    return sb_json(req, 200, token_body(a, r));
}

static enum fh_rc refresh_grant(struct fh_req *req, struct tok_req *t, struct z_client *c,
                                const struct z_dc *dc)
{
    struct z_refresh *r = sb_map_get(&zs.refresh, t->refresh_token);
    if (!r || r->grant->client != c || r->dc != dc)
        return token_error(req, "invalid_code");
    if (!z_window_take(&r->mint_start, &r->mint_count, zs.set.mint_window_s, zs.set.mint_limit)) {
        sb_stat_add(&z_stats, "identity", "refresh_throttled", 1);
        return token_error(req, "Access Denied");
    }
    struct z_access *a = ztok_access_new(r->grant, r, dc);
    sb_stat_add(&z_stats, "identity", "refreshes", 1);
    return sb_json(req, 200, token_body(a, NULL));
}

static bool fault_or_dc(struct fh_req *req, const struct z_dc **dc)
{
    *dc = z_dc_by_id(fh_req_param(req, "dc"));
    if (!*dc) {
        sb_json(req, 404, json_pack("{s:s}", "error", "no such data centre in this sandbox"));
        return true;
    }
    struct sb_fault_draw d;
    sb_faults_draw(&z_faults, true, &d);
    return sb_faults_apply(&z_faults, req, &d);
}

enum fh_rc zh_token_post(struct fh_req *req)
{
    const struct z_dc *dc;
    sb_stat_add(&z_stats, "calls", "POST /oauth/v2/token", 1);
    if (fault_or_dc(req, &dc))
        return FH_OK;
    struct tok_req t;
    memset(&t, 0, sizeof(t));
    tr_parse(req, &t);
    zs_lock();
    enum fh_rc rc;
    struct z_client *c = zs_client(t.client_id);
    if (!c)
        rc = token_error(req, "invalid_client");
    else if (!t.client_secret || !fh_const_eq(t.client_secret, z_secret_at(c, dc)))
        rc = token_error(req, "invalid_client_secret");
    else if (t.grant_type && strcmp(t.grant_type, "authorization_code") == 0)
        rc = code_grant(req, &t, c, dc);
    else if (t.grant_type && strcmp(t.grant_type, "refresh_token") == 0)
        rc = refresh_grant(req, &t, c, dc);
    else
        rc = token_error(req, "unsupported_grant_type");
    zs_unlock();
    tr_free(&t);
    return rc;
}

/* Revokes t->token if it is one of client's (any client when NULL) at dc; false if unknown. */
static bool revoke(const char *token, const char *type, const struct z_client *client,
                   const struct z_dc *dc)
{
    struct z_refresh *r =
        type && strcmp(type, "access_token") == 0 ? NULL : sb_map_get(&zs.refresh, token);
    struct z_access *a =
        r || (type && strcmp(type, "refresh_token") == 0) ? NULL : sb_map_get(&zs.access, token);
    if (r && r->dc == dc && (!client || r->grant->client == client)) {
        struct z_grant *g = r->grant;
        ztok_refresh_revoke(r);
        if (ztok_live_refresh(g) == 0)
            ztok_grant_drop(g); /* the consent goes with its last refresh token */
        return true;
    }
    if (a && a->dc == dc && (!client || a->grant->client == client)) {
        ztok_access_revoke(a);
        return true;
    }
    return false;
}

static enum fh_rc revoke_answer(struct fh_req *req, bool ok)
{
    sb_stat_add(&z_stats, "identity", ok ? "revocations" : "revocations_invalid", 1);
    if (ok)
        return sb_json(req, 200, json_pack("{s:s}", "status", "success"));
    return sb_json(req, 400,
                   json_pack("{s:s, s:s}", "status", "failure", "error", "invalid_token"));
}

enum fh_rc zh_revoke_post(struct fh_req *req)
{
    const struct z_dc *dc;
    sb_stat_add(&z_stats, "calls", "POST /oauth/v2/token/revoke", 1);
    if (fault_or_dc(req, &dc))
        return FH_OK;
    char *token = param(req, "token");
    zs_lock();
    bool ok = token && revoke(token, NULL, NULL, dc);
    enum fh_rc rc = revoke_answer(req, ok);
    zs_unlock();
    free(token);
    return rc;
}

enum fh_rc zh_revoke2_post(struct fh_req *req)
{
    const struct z_dc *dc;
    sb_stat_add(&z_stats, "calls", "POST /oauth/v2/revoke/token", 1);
    if (fault_or_dc(req, &dc))
        return FH_OK;
    char id[128], secret[256];
    int basic = sb_basic_auth(req, id, sizeof(id), secret, sizeof(secret));
    char *token = param(req, "token"), *type = param(req, "token_type");
    zs_lock();
    struct z_client *c = basic == 1 ? zs_client(id) : NULL;
    enum fh_rc rc;
    if (!c || !fh_const_eq(secret, z_secret_at(c, dc))) {
        sb_stat_add(&z_stats, "token_errors", "invalid_client", 1);
        rc = sb_json(req, 401,
                     json_pack("{s:s, s:s}", "status", "failure", "error", "invalid_client"));
    } else {
        rc = revoke_answer(req, token && revoke(token, type, c, dc));
    }
    zs_unlock();
    free(token);
    free(type);
    return rc;
}

enum fh_rc zh_serverinfo_get(struct fh_req *req)
{
    size_t n;
    const struct z_dc *dcs = z_dc_list(&n);
    json_t *loc = json_object();
    zs_lock();
    for (size_t i = 0; i < n; i++) {
        char url[320];
        z_accounts_url(&dcs[i], url, sizeof(url));
        json_object_set_new(loc, dcs[i].location, json_string(url));
    }
    zs_unlock();
    return sb_json(req, 200, json_pack("{s:s, s:o}", "result", "success", "locations", loc));
}
