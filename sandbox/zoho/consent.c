/* consent.c - the accounts server's authorization step (GET /oauth/v2/auth, specs/zoho-books.md
 * §1.1-1.2): server-rendered pages without scripts whose forms post back: check the request,
 * log in (a sandbox user), pick the Books organization, Accept or Reject, then redirect to
 * redirect_uri with state, code, location and accounts-server (or error=access_denied).
 *
 * Multi-DC: any DC's accounts server takes the log-in; the code belongs to the user's DC and
 * the redirect names that DC (location=eu, accounts-server=<sandbox>/zoho/accounts/eu), where
 * it must be exchanged. access_type=offline asks for a refresh token: one comes only when the
 * user has no live refresh token for the client yet, or with prompt=consent. A returning user
 * (a consent covering the scopes, no prompt=consent) is redirected without the consent page.
 * A bad client_id, redirect_uri, response_type or scope shows an error page, never redirects.
 * Grant codes are limited per client (grant_limit per grant_window_s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "zoho_internal.h"

#define SESSION_COOKIE "zoho_sandbox_session"
#define REQUEST_TTL_MS (30 * 60000LL)
#define SESSION_TTL_MS (12 * 3600000LL)
#define SWEEP_AT 5000

struct authreq {
    char id[48], csrf[48], client_id[48], user_id[Z_ID];
    const struct z_dc *dc; /* the accounts server the request came to */
    char *redirect_uri, *scope, *state;
    bool offline, prompt_consent;
    int64_t expires_ms;
};

struct session {
    char id[48], user_id[Z_ID];
    int64_t expires_ms;
};

static const struct sb_page_style style = {
    .site = "Zoho Accounts",
    .brand = "zoho",
    .css = "/zoho/static/consent.css",
    .note = "This is fiscalhub's offline Zoho emulator, not Zoho.",
};

static void authreq_free(struct authreq *r)
{
    free(r->redirect_uri);
    free(r->scope);
    free(r->state);
    free(r);
}

static void sweep(int64_t now, bool all)
{
    for (size_t i = 0; i < zs.authreqs.cap; i++) {
        struct authreq *r = sb_map_live(&zs.authreqs, i) ? zs.authreqs.vals[i] : NULL;
        if (r && (all || r->expires_ms < now)) {
            sb_map_del(&zs.authreqs, r->id);
            authreq_free(r);
        }
    }
    for (size_t i = 0; i < zs.sessions.cap; i++) {
        struct session *s = sb_map_live(&zs.sessions, i) ? zs.sessions.vals[i] : NULL;
        if (s && (all || s->expires_ms < now)) {
            sb_map_del(&zs.sessions, s->id);
            free(s);
        }
    }
}

void zconsent_free_all(void)
{
    sweep(0, true);
    sb_map_free(&zs.authreqs);
    sb_map_free(&zs.sessions);
}

/* ---- pages ---- */
static enum fh_rc error_page(struct fh_req *req, const char *error, const char *desc)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    sb_page_start(&b, &style, "Sorry, something went wrong");
    fh_buf_appendf(&b, "<p class=\"error\">Error: <code>");
    sb_html_esc(&b, error);
    fh_buf_appendf(&b, "</code></p><p>");
    sb_html_esc(&b, desc);
    fh_buf_appendf(&b, "</p>");
    sb_stat_add(&z_stats, "authorize_errors", error, 1);
    return sb_page_send(req, &style, 400, &b, NULL);
}

static enum fh_rc login_page(struct fh_req *req, const struct authreq *r, const char *problem,
                             const char *email)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    sb_page_start(&b, &style, "Sign in to access Zoho Books");
    sb_page_alert(&b, problem);
    fh_buf_appendf(&b, "<form method=\"post\" action=\"/zoho/accounts/%s/oauth/v2/auth/login\">",
                   r->dc->id);
    sb_page_hidden(&b, "request", r->id);
    sb_page_hidden(&b, "csrf", r->csrf);
    fh_buf_appendf(&b, "<label for=\"email\">Email address</label><input id=\"email\" "
                       "name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"");
    sb_html_esc(&b, email ? email : "");
    fh_buf_appendf(
        &b, "\"><label for=\"password\">Password</label><input id=\"password\" name=\"password\" "
            "type=\"password\" autocomplete=\"current-password\" required>"
            "<button type=\"submit\">Sign in</button></form>");
    return sb_page_send(req, &style, problem ? 401 : 200, &b, NULL);
}

static void scope_list(struct fh_buf *b, const char *scope)
{
    fh_buf_appendf(b, "<ul class=\"scopes\">");
    for (const char *p = scope; *p;) {
        size_t n = strcspn(p, ",");
        char *one = fh_strndup(p, n);
        fh_buf_appendf(b, "<li><code>");
        sb_html_esc(b, one);
        fh_buf_appendf(b, "</code> %s</li>",
                       strstr(one, ".READ") ? "View your Zoho Books data"
                                            : "View and change your Zoho Books data");
        free(one);
        p += n + (p[n] == ',');
    }
    fh_buf_appendf(b, "</ul>");
}

static enum fh_rc consent_page(struct fh_req *req, const struct authreq *r, const char *problem)
{
    struct z_client *c = zs_client(r->client_id);
    struct z_user *u = zs_user(r->user_id);
    struct fh_buf b;
    fh_buf_init(&b, 256 * 1024);
    char title[300];
    snprintf(title, sizeof(title), "%s would like to access your Zoho Books data",
             c ? c->name : "An application");
    sb_page_start(&b, &style, title);
    fh_buf_appendf(&b, "<p>Signed in as <strong>");
    sb_html_esc(&b, u ? u->email : "?");
    fh_buf_appendf(&b, "</strong> (data centre <code>%s</code>)</p>", u ? u->dc->location : "?");
    sb_page_alert(&b, problem);
    scope_list(&b, r->scope);
    fh_buf_appendf(&b, "<form method=\"post\" action=\"/zoho/accounts/%s/oauth/v2/auth/consent\">",
                   r->dc->id);
    sb_page_hidden(&b, "request", r->id);
    sb_page_hidden(&b, "csrf", r->csrf);
    fh_buf_appendf(&b, "<fieldset><legend>Choose the organization</legend>");
    for (size_t i = 0; u && i < u->orgs.n; i++) {
        const struct z_org *o = u->orgs.v[i];
        fh_buf_appendf(&b,
                       "<label class=\"org\"><input type=\"radio\" name=\"org\" value=\"%s\"%s> ",
                       o->id, i == 0 ? " checked" : "");
        sb_html_esc(&b, o->name);
        fh_buf_appendf(&b, "</label>");
    }
    if (!u || u->orgs.n == 0)
        fh_buf_appendf(&b, "<p>You have no Zoho Books organization in this sandbox.</p>");
    fh_buf_appendf(&b, "</fieldset><div class=\"actions\">"
                       "<button type=\"submit\" name=\"action\" value=\"accept\">Accept</button>"
                       "<button type=\"submit\" name=\"action\" value=\"reject\" "
                       "class=\"secondary\">Reject</button></div></form>");
    return sb_page_send(req, &style, problem ? 400 : 200, &b, NULL);
}

/* ---- GET /oauth/v2/auth ---- */
static bool scope_ok(const char *scope)
{
    if (!scope || !*scope || strlen(scope) > 2000)
        return false;
    for (const char *p = scope; *p;) {
        size_t n = strcspn(p, ",");
        char *one = fh_strndup(p, n);
        char *d1 = strchr(one, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        bool ok =
            n > 0 && d1 && d2 && d1 > one && d2 > d1 + 1 && d2[1] && !strchr(d2 + 1, '.') &&
            strspn(one, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.") == n;
        free(one);
        if (!ok)
            return false;
        p += n + (p[n] == ',');
    }
    return true;
}

static const char *check_request(struct fh_req *req, const struct z_client *c, const char **desc)
{
    const char *redirect = fh_req_query(req, "redirect_uri"),
               *rt = fh_req_query(req, "response_type");
    const char *at = fh_req_query(req, "access_type"), *state = fh_req_query(req, "state");
    const char *prompt = fh_req_query(req, "prompt");
    if (!c) {
        *desc = "The client_id is not registered with this sandbox";
        return "invalid_client";
    }
    bool registered = false;
    for (size_t i = 0; redirect && i < c->redirect_uris.n; i++)
        registered = registered || strcmp(c->redirect_uris.v[i], redirect) == 0;
    if (!registered) {
        *desc = "The redirect_uri does not match the client's registration";
        return "invalid_redirect_uri";
    }
    if (!rt || strcmp(rt, "code") != 0) {
        *desc = "Only response_type=code is supported";
        return "unsupported_response_type";
    }
    if (!scope_ok(fh_req_query(req, "scope"))) {
        *desc = "scope must be a comma-separated list like ZohoBooks.invoices.READ";
        return "invalid_scope";
    }
    if ((at && strcmp(at, "offline") != 0 && strcmp(at, "online") != 0) ||
        (prompt && strcmp(prompt, "consent") != 0 && strcmp(prompt, "none") != 0) ||
        (state && strlen(state) > 2000)) {
        *desc = "access_type is online or offline, prompt consent; state at most 2000 characters";
        return "invalid_request";
    }
    return NULL;
}

static struct session *session_of(struct fh_req *req)
{
    struct session *s = sb_map_get(&zs.sessions, fh_req_cookie(req, SESSION_COOKIE));
    return s && s->expires_ms > z_now_ms() && zs_user(s->user_id) ? s : NULL;
}

static bool covered(const char *granted, const char *wanted)
{
    for (const char *p = wanted; *p;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (const char *q = granted; *q && !found;) {
            size_t m = strcspn(q, ",");
            found = m == n && strncasecmp(p, q, n) == 0;
            q += m + (q[m] == ',');
        }
        if (!found)
            return false;
        p += n + (p[n] == ',');
    }
    return true;
}

static void scope_union(struct z_grant *g, const char *wanted)
{
    for (const char *p = wanted; *p;) {
        size_t n = strcspn(p, ",");
        char *one = fh_strndup(p, n);
        if (!covered(g->scope, one)) {
            char *s = fh_asprintf("%s%s%s", g->scope, *g->scope ? "," : "", one);
            free(g->scope);
            g->scope = s;
        }
        free(one);
        p += n + (p[n] == ',');
    }
}

static enum fh_rc redirect_back(struct fh_req *req, const struct authreq *r, const char *code,
                                const struct z_dc *dc)
{
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024);
    fh_buf_appendf(&b, "%s%c", r->redirect_uri, strchr(r->redirect_uri, '?') ? '&' : '?');
    if (r->state) {
        fh_buf_appendf(&b, "state=");
        sb_url_enc(&b, r->state);
        fh_buf_appendf(&b, "&");
    }
    if (code) {
        char server[320];
        z_accounts_url(dc, server, sizeof(server));
        fh_buf_appendf(&b, "code=");
        sb_url_enc(&b, code);
        fh_buf_appendf(&b, "&location=%s&accounts-server=", dc->location);
        sb_url_enc(&b, server);
    } else {
        fh_buf_appendf(&b, "error=access_denied");
    }
    char *loc = fh_buf_steal(&b);
    const char *hdrs[] = {"Location", loc, NULL};
    enum fh_rc rc = sb_send(req, 302, NULL, NULL, 0, hdrs);
    free(loc);
    return rc;
}

static void drop_request(struct authreq *r)
{
    sb_map_del(&zs.authreqs, r->id);
    authreq_free(r);
}

/* Issues the grant code and redirects (the request is consumed); an error page when the
 * client is over its grant-code limit. */
static enum fh_rc approve(struct fh_req *req, struct authreq *r, struct z_user *u,
                          struct z_client *c, struct z_org *org)
{
    if (!z_window_take(&c->grant_start, &c->grant_count, zs.set.grant_window_s,
                       zs.set.grant_limit)) {
        sb_stat_add(&z_stats, "identity", "grant_codes_throttled", 1);
        return error_page(req, "Access Denied",
                          "You have made too many requests continuously. Please try again "
                          "after some time.");
    }
    struct z_grant *g = ztok_grant_make(u, c);
    scope_union(g, r->scope);
    if (org)
        g->org = org;
    bool refresh = r->offline && (r->prompt_consent || ztok_live_refresh(g) == 0);
    struct z_code *code = ztok_code_new(g, u->dc, r->redirect_uri, refresh);
    sb_stat_add(&z_stats, "identity", "grant_codes", 1);
    enum fh_rc rc = redirect_back(req, r, code->code, u->dc);
    drop_request(r);
    return rc;
}

/* After the log-in: straight back for a returning user, else the consent page. */
static enum fh_rc after_login(struct fh_req *req, struct authreq *r)
{
    struct z_user *u = zs_user(r->user_id);
    struct z_client *c = zs_client(r->client_id);
    struct z_grant *g = u && c ? ztok_grant(u, c) : NULL;
    if (g && !r->prompt_consent && covered(g->scope, r->scope)) {
        sb_stat_add(&z_stats, "identity", "consents_skipped", 1);
        return approve(req, r, u, c, g->org);
    }
    return consent_page(req, r, NULL);
}

static struct authreq *authreq_new(struct fh_req *req, const struct z_client *c,
                                   const struct z_dc *dc)
{
    struct authreq *r = fh_calloc(1, sizeof(*r));
    fh_random_token(24, r->id, sizeof(r->id));
    fh_random_token(24, r->csrf, sizeof(r->csrf));
    fh_strlcpy(r->client_id, c->client_id, sizeof(r->client_id));
    r->dc = dc;
    r->redirect_uri = fh_strdup(fh_req_query(req, "redirect_uri"));
    r->scope = fh_strdup(fh_req_query(req, "scope"));
    const char *state = fh_req_query(req, "state"), *at = fh_req_query(req, "access_type");
    const char *prompt = fh_req_query(req, "prompt");
    r->state = state ? fh_strdup(state) : NULL;
    r->offline = at && strcmp(at, "offline") == 0;
    r->prompt_consent = prompt && strcmp(prompt, "consent") == 0;
    r->expires_ms = z_now_ms() + REQUEST_TTL_MS;
    sb_map_put(&zs.authreqs, r->id, r);
    return r;
}

/* Pending requests and sessions are bounded: expired ones go first, then new ones wait. */
static bool crowded(void)
{
    if (zs.authreqs.n + zs.sessions.n > SWEEP_AT)
        sweep(z_now_ms(), false);
    return zs.authreqs.n + zs.sessions.n > 4 * SWEEP_AT;
}

enum fh_rc zh_auth_get(struct fh_req *req)
{
    const struct z_dc *dc = z_dc_by_id(fh_req_param(req, "dc"));
    if (!dc)
        return sb_cerr(req, 404, "no such data centre in this sandbox");
    zs_lock();
    struct z_client *c = zs_client(fh_req_query(req, "client_id"));
    const char *desc = NULL, *error = check_request(req, c, &desc);
    enum fh_rc rc;
    if (!error && crowded()) {
        error = "temporarily_unavailable";
        desc = "Too many sign-ins are pending in this sandbox; try again later";
    }
    if (error) {
        rc = error_page(req, error, desc);
    } else {
        struct authreq *r = authreq_new(req, c, dc);
        sb_stat_add(&z_stats, "identity", "authorize_requests", 1);
        struct session *s = session_of(req);
        if (s)
            fh_strlcpy(r->user_id, s->user_id, sizeof(r->user_id));
        rc = s ? after_login(req, r) : login_page(req, r, NULL, NULL);
    }
    zs_unlock();
    return rc;
}

/* The pending request named by the form, with a matching CSRF token; NULL after an error page. */
static struct authreq *form_request_or_reply(struct fh_req *req)
{
    char *id = sb_form_get(req->body.data, req->body.len, "request");
    char *csrf = sb_form_get(req->body.data, req->body.len, "csrf");
    struct authreq *r = sb_map_get(&zs.authreqs, id);
    bool ok = r && csrf && fh_const_eq(csrf, r->csrf) && r->expires_ms > z_now_ms();
    free(id);
    free(csrf);
    if (!ok) {
        error_page(req, "invalid_request",
                   "This sign-in request has expired or is not valid; start again from the app");
        return NULL;
    }
    return r;
}

static enum fh_rc logged_in(struct fh_req *req, struct authreq *r, struct z_user *u)
{
    struct session *s = fh_calloc(1, sizeof(*s));
    fh_random_token(24, s->id, sizeof(s->id));
    fh_strlcpy(s->user_id, u->id, sizeof(s->user_id));
    s->expires_ms = z_now_ms() + SESSION_TTL_MS;
    sb_map_put(&zs.sessions, s->id, s);
    fh_strlcpy(r->user_id, u->id, sizeof(r->user_id));
    char *cookie =
        fh_asprintf(SESSION_COOKIE "=%s; Path=/zoho/accounts; HttpOnly; SameSite=Lax; Max-Age=%lld",
                    s->id, SESSION_TTL_MS / 1000);
    char *loc = fh_asprintf("/zoho/accounts/%s/oauth/v2/auth/consent?request=%s", r->dc->id, r->id);
    const char *hdrs[] = {"Location", loc, "Set-Cookie", cookie, NULL};
    enum fh_rc rc = sb_send(req, 303, NULL, NULL, 0, hdrs);
    free(cookie);
    free(loc);
    return rc;
}

enum fh_rc zh_login_post(struct fh_req *req)
{
    zs_lock();
    enum fh_rc rc = FH_OK;
    struct authreq *r = form_request_or_reply(req);
    if (r) {
        char *email = sb_form_get(req->body.data, req->body.len, "email");
        char *password = sb_form_get(req->body.data, req->body.len, "password");
        struct z_user *u = email && strchr(email, '@') ? zs_user(email) : NULL;
        if (crowded()) {
            rc = error_page(req, "temporarily_unavailable", "Too many sessions; try again later");
        } else if (!u || !password || !fh_const_eq(password, u->password)) {
            sb_stat_add(&z_stats, "identity", "login_failures", 1);
            rc = login_page(req, r, "Invalid email address or password", email);
        } else {
            rc = logged_in(req, r, u);
        }
        free(email);
        free(password);
    }
    zs_unlock();
    return rc;
}

enum fh_rc zh_consent_get(struct fh_req *req)
{
    zs_lock();
    enum fh_rc rc;
    struct authreq *r = sb_map_get(&zs.authreqs, fh_req_query(req, "request"));
    struct session *s = session_of(req);
    if (!r || r->expires_ms < z_now_ms())
        rc = error_page(req, "invalid_request",
                        "This sign-in request has expired or is not valid; start again");
    else if (!s || strcmp(s->user_id, r->user_id) != 0)
        rc = login_page(req, r, NULL, NULL);
    else
        rc = after_login(req, r);
    zs_unlock();
    return rc;
}

static enum fh_rc accept(struct fh_req *req, struct authreq *r, struct z_user *u,
                         struct z_client *c)
{
    char *picked = sb_form_get(req->body.data, req->body.len, "org");
    struct z_org *o = zs_org(picked);
    free(picked);
    if (u->orgs.n && (!o || !zs_user_has_org(u, o)))
        return consent_page(req, r, "Choose one of your organizations");
    sb_stat_add(&z_stats, "identity", "consents", 1);
    return approve(req, r, u, c, o);
}

enum fh_rc zh_consent_post(struct fh_req *req)
{
    zs_lock();
    enum fh_rc rc = FH_OK;
    struct authreq *r = form_request_or_reply(req);
    if (!r)
        goto out;
    struct session *s = session_of(req);
    struct z_user *u = s && strcmp(s->user_id, r->user_id) == 0 ? zs_user(r->user_id) : NULL;
    struct z_client *c = zs_client(r->client_id);
    char *action = sb_form_get(req->body.data, req->body.len, "action");
    if (!u || !c) {
        rc = login_page(req, r, NULL, NULL);
    } else if (action && strcmp(action, "accept") == 0) {
        rc = accept(req, r, u, c);
    } else if (action && strcmp(action, "reject") == 0) {
        sb_stat_add(&z_stats, "identity", "consents_rejected", 1);
        rc = redirect_back(req, r, NULL, u->dc);
        drop_request(r);
    } else {
        rc = consent_page(req, r, "Choose Accept or Reject");
    }
    free(action);
out:
    zs_unlock();
    return rc;
}

enum fh_rc zh_css_get(struct fh_req *req)
{
    return sb_page_css(req, "#e42527", "#1a73e8");
}
