/* tokens.c - grants, connections, authorization codes, access and refresh tokens.
 *
 * A grant is one user's consent to one app (scopes add up over consents). A connection ties a
 * grant to one organisation; every token of the grant sees the grant's current connections,
 * as Xero's /connections does. Access tokens are JWT-shaped strings (HS256 under a key made at
 * reset; Xero's are RS256, nobody verifies them here) looked up by value. Refresh tokens are
 * 64 hex digits, single use: using one records what it returned, so a replay inside the grace
 * window can answer with the same pair. Every lifetime is divided by the time scale. Tokens are
 * never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

#define SWEEP_AT 20000

struct x_grant *tok_grant(struct x_app *app, struct x_user *user, const char *scope)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", app->client_id, user->id);
    struct x_grant *g = sb_map_get(&xs.grants, key);
    if (!g) {
        g = fh_calloc(1, sizeof(*g));
        g->app = app;
        g->user = user;
        g->scope = fh_strdup("");
        sb_map_put(&xs.grants, key, g);
    }
    struct fh_buf b;
    fh_buf_init(&b, 8192);
    fh_buf_appendf(&b, "%s", g->scope);
    for (const char *p = scope; p && *p;) {
        size_t n = strcspn(p, " ");
        char *one = fh_strndup(p, n);
        if (n && !tok_has_scope(b.data ? b.data : "", one))
            fh_buf_appendf(&b, "%s%s", b.len ? " " : "", one);
        free(one);
        p += n;
        while (*p == ' ')
            p++;
    }
    free(g->scope);
    g->scope = b.data ? fh_buf_steal(&b) : fh_strdup("");
    fh_buf_free(&b);
    return g;
}

bool tok_has_scope(const char *scope, const char *want)
{
    size_t wl = strlen(want);
    for (const char *p = scope; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n == wl && strncmp(p, want, n) == 0)
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* ---- connections ---- */
struct x_conn *tok_connect(struct x_grant *g, struct x_org *org, const char *auth_event)
{
    int64_t now = x_now_ms();
    for (size_t i = 0; i < xs.conn_list.n; i++) {
        struct x_conn *c = xs.conn_list.v[i];
        if (c->grant == g && c->org == org) {
            c->updated_ms = now;
            fh_strlcpy(c->auth_event, auth_event, sizeof(c->auth_event));
            return c;
        }
    }
    struct x_conn *c = fh_calloc(1, sizeof(*c));
    sb_uuid(c->id);
    fh_strlcpy(c->auth_event, auth_event, sizeof(c->auth_event));
    c->grant = g;
    c->org = org;
    c->created_ms = c->updated_ms = now;
    sb_map_put(&xs.conns, c->id, c);
    sb_vec_push(&xs.conn_list, c);
    return c;
}

size_t tok_grant_conns(const struct x_grant *g, struct x_conn **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < xs.conn_list.n && n < max; i++)
        if (((struct x_conn *)xs.conn_list.v[i])->grant == g)
            out[n++] = xs.conn_list.v[i];
    return n;
}

static void revoke_refresh_of(const struct x_grant *g)
{
    for (size_t i = 0; i < xs.refresh.cap; i++) {
        if (!sb_map_live(&xs.refresh, i))
            continue;
        struct x_refresh *r = xs.refresh.vals[i];
        if (r->grant == g)
            r->revoked = true;
    }
}

void tok_disconnect(struct x_conn *c, bool xero_side)
{
    struct x_grant *g = c->grant;
    sb_map_del(&xs.conns, c->id);
    sb_vec_remove(&xs.conn_list, c);
    free(c);
    struct x_conn *left[1];
    if (xero_side && tok_grant_conns(g, left, 1) == 0) {
        revoke_refresh_of(g);
        free(g->scope);
        g->scope = fh_strdup("");
    }
}

void tok_revoke_grant(struct x_grant *g)
{
    for (size_t i = xs.conn_list.n; i > 0; i--) {
        struct x_conn *c = xs.conn_list.v[i - 1];
        if (c->grant == g)
            tok_disconnect(c, false);
    }
    revoke_refresh_of(g);
    free(g->scope);
    g->scope = fh_strdup("");
}

json_t *tok_conn_json(const struct x_conn *c)
{
    char created[40], updated[40];
    x_iso(c->created_ms, 7, false, created, sizeof(created));
    x_iso(c->updated_ms, 7, false, updated, sizeof(updated));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", c->id, "authEventId",
                     c->auth_event, "tenantId", c->org->id, "tenantType", "ORGANISATION",
                     "tenantName", c->org->name, "createdDateUtc", created, "updatedDateUtc",
                     updated);
}

json_t *tok_conn_control_json(const struct x_conn *c)
{
    json_t *j = tok_conn_json(c);
    json_object_set_new(j, "client_id", json_string(c->grant->app->client_id));
    json_object_set_new(j, "user_id", json_string(c->grant->user->id));
    json_object_set_new(j, "user_email", json_string(c->grant->user->email));
    json_object_set_new(j, "scope", json_string(c->grant->scope));
    return j;
}

/* ---- codes ---- */
static void sweep_codes(int64_t now)
{
    for (size_t i = 0; i < xs.codes.cap; i++) {
        if (!sb_map_live(&xs.codes, i))
            continue;
        struct x_code *c = xs.codes.vals[i];
        if (c->expires_ms < now) {
            sb_map_del(&xs.codes, c->code);
            free(c->redirect_uri);
            free(c->scope);
            free(c->challenge);
            free(c->nonce);
            free(c);
        }
    }
}

struct x_code *tok_code_new(struct x_grant *g, const char *redirect_uri, const char *scope,
                            const char *challenge, const char *nonce, const char *auth_event)
{
    int64_t now = x_now_ms();
    if (xs.codes.n > SWEEP_AT)
        sweep_codes(now);
    struct x_code *c = fh_calloc(1, sizeof(*c));
    fh_random_token(32, c->code, sizeof(c->code));
    fh_strlcpy(c->auth_event, auth_event, sizeof(c->auth_event));
    c->grant = g;
    c->redirect_uri = fh_strdup(redirect_uri);
    c->scope = fh_strdup(scope);
    c->challenge = challenge ? fh_strdup(challenge) : NULL;
    c->nonce = nonce ? fh_strdup(nonce) : NULL;
    c->expires_ms = now + x_scaled(xs.set.code_lifetime_s * 1000);
    sb_map_put(&xs.codes, c->code, c);
    return c;
}

/* ---- JWTs ---- */
static char *jwt(json_t *payload)
{
    static const char header[] =
        "{\"alg\":\"HS256\",\"kid\":\"fiscalhub-sandbox\",\"typ\":\"JWT\"}";
    char *body = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    char *h = sb_b64(header, strlen(header), true), *p = sb_b64(body, strlen(body), true);
    char *signing = fh_asprintf("%s.%s", h, p);
    uint8_t mac[32];
    fh_hmac_sha256(xs.jwt_key, sizeof(xs.jwt_key), signing, strlen(signing), mac);
    char *s = sb_b64(mac, sizeof(mac), true);
    char *out = fh_asprintf("%s.%s", signing, s);
    free(body);
    free(h);
    free(p);
    free(signing);
    free(s);
    return out;
}

static json_t *scope_array(const char *scope)
{
    json_t *a = json_array();
    for (const char *p = scope; *p;) {
        size_t n = strcspn(p, " ");
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return a;
}

static char *access_jwt(const struct x_grant *g, const char *scope, const char *auth_event,
                        int64_t now, int64_t exp)
{
    char jti[40], session[40];
    sb_hex(16, jti, sizeof(jti), false);
    sb_hex(16, session, sizeof(session), false);
    json_t *p = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o}", "nbf",
        (json_int_t)(now / 1000), "exp", (json_int_t)(exp / 1000), "iss", xs.set.public_url, "aud",
        "https://identity.xero.com/resources", "client_id", g->app->client_id, "sub", g->user->id,
        "auth_time", (json_int_t)(now / 1000), "xero_userid", g->user->id, "global_session_id",
        session, "jti", jti, "authentication_event_id", auth_event, "scope", scope_array(scope));
    return jwt(p);
}

static char *id_jwt(const struct x_grant *g, const char *nonce, int64_t now)
{
    json_t *p = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "nbf",
                          (json_int_t)(now / 1000), "exp", (json_int_t)(now / 1000 + 300), "iat",
                          (json_int_t)(now / 1000), "iss", xs.set.public_url, "aud",
                          g->app->client_id, "sub", g->user->id, "xero_userid", g->user->id,
                          "email", g->user->email, "given_name", g->user->first, "family_name",
                          g->user->last, "preferred_username", g->user->email);
    if (nonce)
        json_object_set_new(p, "nonce", json_string(nonce));
    return jwt(p);
}

static void sweep_tokens(int64_t now)
{
    for (size_t i = 0; i < xs.access.cap; i++) {
        if (!sb_map_live(&xs.access, i))
            continue;
        struct x_access *a = xs.access.vals[i];
        if (a->expires_ms < now) {
            sb_map_del(&xs.access, a->token);
            free(a->token);
            free(a->scope);
            free(a);
        }
    }
    int64_t grace = x_scaled(xs.set.grace_s * 1000);
    for (size_t i = 0; i < xs.refresh.cap; i++) {
        if (!sb_map_live(&xs.refresh, i))
            continue;
        struct x_refresh *r = xs.refresh.vals[i];
        if (r->expires_ms < now || (r->used_ms && r->used_ms + grace < now)) {
            sb_map_del(&xs.refresh, r->token);
            free(r->scope);
            free(r->next_access);
            free(r->next_refresh);
            free(r->next_id_token);
            free(r);
        }
    }
}

void tok_issue(struct x_grant *g, const char *scope, const char *auth_event, const char *nonce,
               struct x_issue *out)
{
    int64_t now = x_now_ms();
    if (xs.access.n > SWEEP_AT || xs.refresh.n > SWEEP_AT)
        sweep_tokens(now);
    memset(out, 0, sizeof(*out));
    struct x_access *a = fh_calloc(1, sizeof(*a));
    a->grant = g;
    a->scope = fh_strdup(scope);
    a->expires_ms = now + x_scaled(xs.set.access_lifetime_s * 1000);
    a->token = access_jwt(g, scope, auth_event, now, a->expires_ms);
    sb_map_put(&xs.access, a->token, a);
    out->access = a;
    if (tok_has_scope(scope, "offline_access")) {
        struct x_refresh *r = fh_calloc(1, sizeof(*r));
        sb_hex(32, r->token, sizeof(r->token), false);
        fh_strlcpy(r->auth_event, auth_event, sizeof(r->auth_event));
        r->grant = g;
        r->scope = fh_strdup(scope);
        r->expires_ms = now + x_scaled(xs.set.refresh_idle_s * 1000);
        sb_map_put(&xs.refresh, r->token, r);
        out->refresh = r;
    }
    if (tok_has_scope(scope, "openid"))
        out->id_token = id_jwt(g, nonce, now);
}

enum x_bearer tok_bearer(struct fh_req *req, struct x_access **out)
{
    *out = NULL;
    const char *h = fh_req_header(req, "Authorization");
    if (!h || !*h)
        return XB_MISSING;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return XB_INVALID;
    h += 7;
    while (*h == ' ')
        h++;
    struct x_access *a = sb_map_get(&xs.access, h);
    if (!a)
        return XB_INVALID;
    *out = a;
    return a->expires_ms <= x_now_ms() ? XB_EXPIRED : XB_OK;
}

enum fh_rc x_problem(struct fh_req *req, unsigned int status, const char *detail,
                     const char *const *hdrs)
{
    char instance[X_ID];
    sb_uuid(instance);
    /* Xero's problem JSON, in its key order */
    json_t *o = json_object();
    json_object_set_new(o, "Type", json_null());
    json_object_set_new(o, "Title", json_string(status == 401 ? "Unauthorized" : "Forbidden"));
    json_object_set_new(o, "Status", json_integer(status));
    json_object_set_new(o, "Detail", json_string(detail));
    json_object_set_new(o, "Instance", json_string(instance));
    json_object_set_new(o, "Extensions", json_object());
    char *text = sbj_dumps(o);
    json_decref(o);
    return sb_send(req, status, "application/json; charset=utf-8", text, strlen(text), hdrs);
}

void tok_free_all(void)
{
    sweep_codes(INT64_MAX);
    sweep_tokens(INT64_MAX);
    sb_map_free(&xs.codes);
    sb_map_free(&xs.access);
    sb_map_free(&xs.refresh);
    for (size_t i = 0; i < xs.conn_list.n; i++)
        free(xs.conn_list.v[i]);
    sb_vec_free(&xs.conn_list);
    sb_map_free(&xs.conns);
    for (size_t i = 0; i < xs.grants.cap; i++) {
        if (!sb_map_live(&xs.grants, i))
            continue;
        struct x_grant *g = xs.grants.vals[i];
        free(g->scope);
        free(g);
    }
    sb_map_free(&xs.grants);
    consent_free_all();
    idem_free_all();
}
