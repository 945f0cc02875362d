/* identity.c - Xero's identity endpoints: POST /connect/token (authorization_code with PKCE,
 * refresh_token with rotation and the grace window), POST /connect/revocation, the discovery
 * document, and GET/DELETE /connections on the API host (specs/xero.md §1).
 *
 * Client authentication: HTTP Basic or client_id/client_secret in the form, as Xero accepts
 * both; a PKCE app sends only client_id and the code_verifier. Errors are OAuth JSON, HTTP 400
 * ({"error":"invalid_grant"}); a client that failed Basic authentication gets 401 (RFC 6749
 * §5.2). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

struct tok_req {
    char *grant_type, *code, *redirect_uri, *verifier, *refresh_token, *client_id, *client_secret,
        *token;
    char basic_id[128], basic_secret[256];
    bool basic;
};

static void tr_free(struct tok_req *t)
{
    free(t->grant_type);
    free(t->code);
    free(t->redirect_uri);
    free(t->verifier);
    free(t->refresh_token);
    free(t->client_id);
    free(t->client_secret);
    free(t->token);
}

static enum fh_rc oauth_error(struct fh_req *req, unsigned int status, const char *error,
                              const char *desc)
{
    json_t *j = json_pack("{s:s}", "error", error);
    if (desc)
        json_object_set_new(j, "error_description", json_string(desc));
    sb_stat_add(&x_stats, "token_errors", error, 1);
    char *text = sbj_dumps(j);
    json_decref(j);
    static const char *const hdrs[] = {"Pragma", "no-cache", NULL};
    static const char *const basic[] = {"Pragma", "no-cache", "WWW-Authenticate", "Basic", NULL};
    return sb_send(req, status, "application/json; charset=utf-8", text, strlen(text),
                   status == 401 ? basic : hdrs);
}

static bool form_ok(struct fh_req *req)
{
    const char *ct = fh_req_header(req, "Content-Type");
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static bool parse_basic(struct fh_req *req, struct tok_req *t)
{
    int rc = sb_basic_auth(req, t->basic_id, sizeof(t->basic_id), t->basic_secret,
                           sizeof(t->basic_secret));
    t->basic = rc != 0;
    return rc >= 0;
}

static void parse_form(struct fh_req *req, struct tok_req *t)
{
    const char *b = req->body.data;
    size_t n = req->body.len;
    t->grant_type = sb_form_get(b, n, "grant_type");
    t->code = sb_form_get(b, n, "code");
    t->redirect_uri = sb_form_get(b, n, "redirect_uri");
    t->verifier = sb_form_get(b, n, "code_verifier");
    t->refresh_token = sb_form_get(b, n, "refresh_token");
    t->client_id = sb_form_get(b, n, "client_id");
    t->client_secret = sb_form_get(b, n, "client_secret");
    t->token = sb_form_get(b, n, "token");
}

/* Authenticates the client; replies and returns NULL on failure. Caller holds the lock. */
static struct x_app *client_or_reply(struct fh_req *req, struct tok_req *t)
{
    const char *id = t->basic ? t->basic_id : t->client_id;
    const char *secret = t->basic ? t->basic_secret : t->client_secret;
    if (t->basic && t->client_id && strcmp(t->client_id, t->basic_id) != 0) {
        oauth_error(req, 400, "invalid_request", "client_id differs from the Basic credentials");
        return NULL;
    }
    struct x_app *a = xs_app(id);
    bool ok = a && (a->secret ? secret && fh_const_eq(secret, a->secret) : (!secret || !*secret));
    if (!ok) {
        oauth_error(req, t->basic ? 401 : 400, "invalid_client", NULL);
        return NULL;
    }
    return a;
}

static bool verifier_ok(const char *verifier, const char *challenge)
{
    size_t n = strlen(verifier);
    if (n < 43 || n > 128 ||
        strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
        return false;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)verifier, n);
    char *b = sb_b64(h, sizeof(h), true);
    bool eq = fh_const_eq(b, challenge);
    free(b);
    return eq;
}

static enum fh_rc reply_tokens(struct fh_req *req, const char *access, int64_t access_exp,
                               const char *refresh, const char *id_token, const char *scope)
{
    int64_t left = (access_exp - x_now_ms() + 999) / 1000;
    json_t *j = json_object();
    if (id_token)
        json_object_set_new(j, "id_token", json_string(id_token));
    json_object_set_new(j, "access_token", json_string(access));
    json_object_set_new(j, "expires_in", json_integer(left > 0 ? left : 1));
    json_object_set_new(j, "token_type", json_string("Bearer"));
    if (refresh)
        json_object_set_new(j, "refresh_token", json_string(refresh));
    json_object_set_new(j, "scope", json_string(scope));
    char *text = sbj_dumps(j);
    json_decref(j);
    static const char *const hdrs[] = {"Pragma", "no-cache", NULL};
    return sb_send(req, 200, "application/json; charset=utf-8", text, strlen(text), hdrs);
}

static enum fh_rc issue_and_reply(struct fh_req *req, struct x_grant *g, const char *scope,
                                  const char *auth_event, const char *nonce, struct x_refresh *used)
{
    struct x_issue is;
    tok_issue(g, scope, auth_event, nonce, &is);
    if (used) {
        used->used_ms = x_now_ms();
        free(used->next_access);
        free(used->next_refresh);
        free(used->next_id_token);
        used->next_access = fh_strdup(is.access->token);
        used->next_access_exp = is.access->expires_ms;
        used->next_refresh = is.refresh ? fh_strdup(is.refresh->token) : NULL;
        used->next_id_token = is.id_token ? fh_strdup(is.id_token) : NULL;
    }
    enum fh_rc rc = reply_tokens(req, is.access->token, is.access->expires_ms,
                                 is.refresh ? is.refresh->token : NULL, is.id_token, scope);
    free(is.id_token);
    return rc;
}

static enum fh_rc code_grant(struct fh_req *req, struct tok_req *t, struct x_app *app)
{
    if (!t->code || !t->redirect_uri)
        return oauth_error(req, 400, "invalid_request", "code and redirect_uri are required");
    struct x_code *c = sb_map_get(&xs.codes, t->code);
    if (!c || c->used || c->expires_ms < x_now_ms() || c->grant->app != app ||
        strcmp(c->redirect_uri, t->redirect_uri) != 0)
        return oauth_error(req, 400, "invalid_grant", NULL);
    if (c->challenge && (!t->verifier || !verifier_ok(t->verifier, c->challenge)))
        return oauth_error(req, 400, "invalid_grant", NULL);
    if (!c->challenge && !app->secret)
        return oauth_error(req, 400, "invalid_grant", NULL);
    c->used = true;
    sb_stat_add(&x_stats, "identity", "code_exchanges", 1);
    return issue_and_reply(req, c->grant, c->scope, c->auth_event, c->nonce, NULL);
}

static enum fh_rc refresh_grant(struct fh_req *req, struct tok_req *t, struct x_app *app)
{
    if (!t->refresh_token)
        return oauth_error(req, 400, "invalid_request", "refresh_token is required");
    struct x_refresh *r = sb_map_get(&xs.refresh, t->refresh_token);
    int64_t now = x_now_ms();
    if (!r || r->revoked || r->grant->app != app || r->expires_ms < now)
        return oauth_error(req, 400, "invalid_grant", NULL);
    if (r->used_ms) {
        if (now - r->used_ms > x_scaled(xs.set.grace_s * 1000))
            return oauth_error(req, 400, "invalid_grant", NULL);
        sb_stat_add(&x_stats, "identity", "refresh_replays", 1);
        if (xs.set.grace_same && r->next_access)
            return reply_tokens(req, r->next_access, r->next_access_exp, r->next_refresh,
                                r->next_id_token, r->scope);
        sb_stat_add(&x_stats, "identity", "refreshes", 1);
        return issue_and_reply(req, r->grant, r->scope, r->auth_event, NULL, NULL);
    }
    sb_stat_add(&x_stats, "identity", "refreshes", 1);
    return issue_and_reply(req, r->grant, r->scope, r->auth_event, NULL, r);
}

/* identity: the token endpoint (faults only with apply_to_identity); otherwise an API call. */
static bool fault_or_continue(struct fh_req *req, bool identity)
{
    struct sb_fault_draw d;
    sb_faults_draw(&x_faults, identity, &d);
    return sb_faults_apply(&x_faults, req, &d);
}

enum fh_rc xh_token_post(struct fh_req *req)
{
    if (fault_or_continue(req, true))
        return FH_OK;
    if (!form_ok(req))
        return oauth_error(req, 400, "invalid_request",
                           "send the body as application/x-www-form-urlencoded");
    struct tok_req t;
    memset(&t, 0, sizeof(t));
    parse_form(req, &t);
    enum fh_rc rc;
    if (!parse_basic(req, &t)) {
        rc = oauth_error(req, 401, "invalid_client", NULL);
        goto out;
    }
    xs_lock();
    struct x_app *app = client_or_reply(req, &t);
    if (!app)
        rc = FH_OK;
    else if (!t.grant_type)
        rc = oauth_error(req, 400, "invalid_request", "grant_type is required");
    else if (strcmp(t.grant_type, "authorization_code") == 0)
        rc = code_grant(req, &t, app);
    else if (strcmp(t.grant_type, "refresh_token") == 0)
        rc = refresh_grant(req, &t, app);
    else
        rc = oauth_error(req, 400, "unsupported_grant_type", NULL);
    xs_unlock();
out:
    tr_free(&t);
    return rc;
}

enum fh_rc xh_revocation_post(struct fh_req *req)
{
    if (!form_ok(req))
        return oauth_error(req, 400, "invalid_request",
                           "send the body as application/x-www-form-urlencoded");
    struct tok_req t;
    memset(&t, 0, sizeof(t));
    parse_form(req, &t);
    enum fh_rc rc = FH_OK;
    if (!parse_basic(req, &t)) {
        rc = oauth_error(req, 401, "invalid_client", NULL);
        goto out;
    }
    xs_lock();
    struct x_app *app = client_or_reply(req, &t);
    if (app && !t.token) {
        rc = oauth_error(req, 400, "invalid_request", "token is required");
    } else if (app) {
        struct x_refresh *r = sb_map_get(&xs.refresh, t.token);
        if (r && r->grant->app == app) {
            tok_revoke_grant(r->grant);
            sb_stat_add(&x_stats, "identity", "revocations", 1);
        }
        rc = sb_send(req, 200, NULL, NULL, 0, NULL);
    }
    xs_unlock();
out:
    tr_free(&t);
    return rc;
}

enum fh_rc xh_discovery_get(struct fh_req *req)
{
    xs_lock();
    const char *u = xs.set.public_url;
    json_t *j = json_pack(
        "{s:s, s:s++, s:s++, s:s++, s:s++, s:[s], s:[s], s:[s,s], s:[s,s]}", "issuer", u,
        "authorization_endpoint", u, "/identity/connect/authorize", "", "token_endpoint", u,
        "/identity/connect/token", "", "revocation_endpoint", u, "/identity/connect/revocation", "",
        "connections_endpoint", u, "/api/connections", "", "response_types_supported", "code",
        "code_challenge_methods_supported", "S256", "grant_types_supported", "authorization_code",
        "refresh_token", "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post");
    xs_unlock();
    return sb_json(req, 200, j);
}

/* ---- /connections (case-insensitive, like Xero's) ---- */
static struct x_grant *bearer_grant_or_reply(struct fh_req *req)
{
    struct x_access *a;
    enum x_bearer b = tok_bearer(req, &a);
    if (b == XB_OK)
        return a->grant;
    if (b == XB_EXPIRED) {
        char when[40], detail[80];
        x_iso(a->expires_ms, 0, false, when, sizeof(when));
        snprintf(detail, sizeof(detail), "TokenExpired: token expired at %.2s/%.2s/%.4s %.8s",
                 when + 5, when + 8, when, when + 11);
        x_problem(req, 401, detail, NULL);
    } else {
        x_problem(req, 401, "AuthenticationUnsuccessful", NULL);
    }
    return NULL;
}

enum fh_rc xh_connections_get(struct fh_req *req)
{
    if (!sb_ieq(fh_req_param(req, "a"), "connections")) {
        static const char msg[] = "The resource you're looking for cannot be found";
        return sb_send(req, 404, "text/plain; charset=utf-8", fh_strdup(msg), strlen(msg), NULL);
    }
    if (fault_or_continue(req, false))
        return FH_OK;
    xs_lock();
    sb_stat_add(&x_stats, "calls", "GET /connections", 1);
    struct x_grant *g = bearer_grant_or_reply(req);
    if (!g) {
        xs_unlock();
        return FH_OK;
    }
    const char *event = fh_req_query(req, "authEventId");
    json_t *arr = json_array();
    for (size_t i = 0; i < xs.conn_list.n; i++) {
        struct x_conn *c = xs.conn_list.v[i];
        if (c->grant == g && (!event || strcmp(event, c->auth_event) == 0))
            json_array_append_new(arr, tok_conn_json(c));
    }
    xs_unlock();
    return sb_json(req, 200, arr);
}

enum fh_rc xh_connection_delete(struct fh_req *req)
{
    if (!sb_ieq(fh_req_param(req, "a"), "connections")) {
        static const char msg[] = "The resource you're looking for cannot be found";
        return sb_send(req, 404, "text/plain; charset=utf-8", fh_strdup(msg), strlen(msg), NULL);
    }
    xs_lock();
    sb_stat_add(&x_stats, "calls", "DELETE /connections", 1);
    struct x_grant *g = bearer_grant_or_reply(req);
    enum fh_rc rc = FH_OK;
    if (g) {
        struct x_conn *c = sb_map_get(&xs.conns, fh_req_param(req, "b"));
        if (!c || c->grant != g) {
            rc = sb_send(req, 404, NULL, NULL, 0, NULL);
        } else {
            tok_disconnect(c, false);
            rc = sb_send(req, 204, NULL, NULL, 0, NULL);
        }
    }
    xs_unlock();
    return rc;
}
