/* request.c - authorization of each request by its route's auth class: the session cookie,
 * the Origin (when sent) and the CSRF header on state-changing methods, then membership of the
 * organization named in the path and the route's permission. An organization the caller is not a
 * member of is answered exactly like one that does not exist (404), so codes of other tenants
 * reveal nothing. */
#include <string.h>

#include "fh/fh_apikeys.h"
#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Same-origin check for requests without a session and for state-changing ones with a session:
 * an Origin header, when sent, must name this server (the Host the request came to, or the
 * configured public origin). */
static bool origin_ok(const struct fh_req *req)
{
    const char *origin = fh_req_header(req, "Origin");
    if (!origin)
        return true;
    if (req->app->public_origin && strcmp(origin, req->app->public_origin) == 0)
        return true;
    const char *host = fh_req_header(req, "Host");
    const char *sep = strstr(origin, "://");
    return host && sep && strcmp(sep + 3, host) == 0;
}

static enum fh_rc bad_origin(struct fh_req *req)
{
    fh_reply_error(req, FH_EC_AUTH_BAD_ORIGIN, "Origin %.100s is not this server",
                   fh_req_header(req, "Origin"));
    return FH_ERR;
}

static enum fh_rc load_session(struct fh_req *req)
{
    const char *token = fh_req_cookie(req, FH_SESSION_COOKIE);
    if (!token || strlen(token) > 128)
        return FH_E_NOTFOUND;
    fh_sha256_hex(token, strlen(token), req->session.token_hash);
    struct fh_param p[] = {FH_PT(req->session.token_hash), FH_PI(fh_now_ms())};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT s.user_id, u.tenant_id, u.email, s.csrf_token FROM sessions s "
                           "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
                           p, 2, &rows);
    if (qs > 0) {
        req->session.user_id = fh_rows_i64(&rows, 0, 0, 0);
        req->session.tenant_id = fh_rows_i64(&rows, 0, 1, 0);
        fh_strlcpy(req->session.email, fh_rows_get(&rows, 0, 2), sizeof(req->session.email));
        fh_strlcpy(req->session.csrf_token, fh_rows_get(&rows, 0, 3), sizeof(req->session.csrf_token));
        req->has_session = true;
    }
    fh_rows_free(&rows);
    return qs < 0 ? FH_ERR : qs == 0 ? FH_E_NOTFOUND : FH_OK;
}

static enum fh_rc load_org_or_reply(struct fh_req *req)
{
    const char *code = fh_req_param(req, "org");
    if (!code)
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "route has no {org}"), FH_ERR;
    struct fh_param p[] = {FH_PT(code), FH_PI(req->session.user_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT o.id, o.tenant_id, o.code, m.role FROM organizations o "
                           "JOIN memberships m ON m.org_id = o.id WHERE o.code = $1 AND m.user_id = $2",
                           p, 2, &rows);
    if (qs > 0) {
        req->org.id = fh_rows_i64(&rows, 0, 0, 0);
        req->org.tenant_id = fh_rows_i64(&rows, 0, 1, 0);
        fh_strlcpy(req->org.code, fh_rows_get(&rows, 0, 2), sizeof(req->org.code));
        fh_role_parse(fh_rows_get(&rows, 0, 3), &req->org.role);
        req->has_org = true;
    }
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "organization lookup failed"), FH_ERR;
    if (qs == 0)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no organization %.40s", code), FH_ERR;
    if (!fh_role_has(req->org.role, req->route->perm))
        return fh_reply_error(req, FH_EC_AUTH_FORBIDDEN_ROLE, "your role is %s",
                              fh_role_name(req->org.role)),
               FH_ERR;
    return FH_OK;
}

enum fh_rc fh_auth_request_or_reply(struct fh_req *req)
{
    enum fh_auth_class ac = req->route->auth;
    if (ac == FH_AUTH_NONE)
        return FH_OK;
    if (ac == FH_AUTH_NO_SESSION_JSON)
        return origin_ok(req) ? FH_OK : bad_origin(req);
    if (ac == FH_AUTH_API_KEY) /* no session, no CSRF: src/auth/apikeys.c */
        return fh_apikey_auth_or_reply(req);
    enum fh_rc rc = load_session(req);
    if (rc == FH_ERR)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "session lookup failed"), FH_ERR;
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_AUTH_REQUIRED, "%s", "no valid session cookie"), FH_ERR;
    if (unsafe_method(req->method)) {
        if (!origin_ok(req)) /* SameSite and the token stand behind it */
            return bad_origin(req);
        const char *csrf = fh_req_header(req, "X-CSRF-Token");
        if (!csrf || !fh_const_eq(csrf, req->session.csrf_token))
            return fh_reply_error(req, FH_EC_AUTH_CSRF, "%s",
                                  csrf ? "X-CSRF-Token does not match the session" : "X-CSRF-Token header missing"),
                   FH_ERR;
    }
    if (ac == FH_AUTH_ORG)
        return load_org_or_reply(req);
    return FH_OK;
}
