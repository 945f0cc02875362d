/* consent.c - the authorize step (login.xero.com/identity/connect/authorize): server-rendered
 * pages without scripts whose forms post back, following Xero's flow: check the request, log in
 * (a sandbox user), pick one or more organisations, Allow access or Cancel, then redirect to
 * redirect_uri with code, scope, state and session_state (or error=access_denied).
 *
 * Like Xero, a bad client_id, redirect_uri, response_type or scope is shown as an error page
 * and never redirected. A pending request is a random id plus a CSRF token kept here; the
 * log-in sets a session cookie (Path=/xero/identity) so a later consent skips the log-in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

#define SESSION_COOKIE "xero_sandbox_session"
#define REQUEST_TTL_MS (30 * 60000LL)
#define SESSION_TTL_MS (12 * 3600000LL)
#define MAX_ORGS 64

struct authreq {
    char id[48], csrf[48];
    char client_id[40];
    char *redirect_uri, *scope, *state, *challenge, *nonce;
    char user_id[X_ID]; /* after log-in */
    int64_t expires_ms;
};

struct session {
    char id[48], user_id[X_ID];
    int64_t expires_ms;
};

static const char *const known_scopes[] = {"openid",
                                           "profile",
                                           "email",
                                           "offline_access",
                                           "accounting.transactions",
                                           "accounting.transactions.read",
                                           "accounting.contacts",
                                           "accounting.contacts.read",
                                           "accounting.settings",
                                           "accounting.settings.read",
                                           "accounting.attachments",
                                           "accounting.attachments.read",
                                           "accounting.reports.read",
                                           "accounting.journals.read",
                                           "accounting.budgets.read",
                                           "accounting.reports.tenninetynine.read",
                                           "paymentservices",
                                           "accounting.invoices",
                                           "accounting.invoices.read",
                                           "accounting.payments",
                                           "accounting.payments.read",
                                           "accounting.banktransactions",
                                           "accounting.banktransactions.read",
                                           "accounting.manualjournals",
                                           "accounting.manualjournals.read",
                                           "accounting.classicexpenses",
                                           "accounting.classicexpenses.read",
                                           NULL};

static void authreq_free(struct authreq *r)
{
    free(r->redirect_uri);
    free(r->scope);
    free(r->state);
    free(r->challenge);
    free(r->nonce);
    free(r);
}

void consent_free_all(void)
{
    for (size_t i = 0; i < xs.authreqs.cap; i++)
        if (sb_map_live(&xs.authreqs, i))
            authreq_free(xs.authreqs.vals[i]);
    for (size_t i = 0; i < xs.sessions.cap; i++)
        if (sb_map_live(&xs.sessions, i))
            free(xs.sessions.vals[i]);
    sb_map_free(&xs.authreqs);
    sb_map_free(&xs.sessions);
}

static void sweep(int64_t now)
{
    for (size_t i = 0; i < xs.authreqs.cap; i++) {
        struct authreq *r = sb_map_live(&xs.authreqs, i) ? xs.authreqs.vals[i] : NULL;
        if (r && r->expires_ms < now) {
            sb_map_del(&xs.authreqs, r->id);
            authreq_free(r);
        }
    }
    for (size_t i = 0; i < xs.sessions.cap; i++) {
        struct session *s = sb_map_live(&xs.sessions, i) ? xs.sessions.vals[i] : NULL;
        if (s && s->expires_ms < now) {
            sb_map_del(&xs.sessions, s->id);
            free(s);
        }
    }
}

/* ---- pages ---- */
static const struct sb_page_style style = {
    .site = "Xero",
    .brand = "xero",
    .css = "/xero/identity/static/consent.css",
    .note = "This is fiscalhub's offline Xero emulator, not Xero.",
};

static void page_start(struct fh_buf *b, const char *title)
{
    sb_page_start(b, &style, title);
}

static enum fh_rc page_send(struct fh_req *req, unsigned int status, struct fh_buf *b,
                            const char *cookie)
{
    return sb_page_send(req, &style, status, b, cookie);
}

static enum fh_rc error_page(struct fh_req *req, const char *error, const char *desc)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    page_start(&b, "Sorry, something went wrong");
    fh_buf_appendf(&b, "<p class=\"error\">Error: <code>");
    sb_html_esc(&b, error);
    fh_buf_appendf(&b, "</code></p><p>Error description: ");
    sb_html_esc(&b, desc);
    fh_buf_appendf(&b, "</p>");
    sb_stat_add(&x_stats, "authorize_errors", error, 1);
    return page_send(req, 400, &b, NULL);
}

static enum fh_rc login_page(struct fh_req *req, const struct authreq *r, const char *problem,
                             const char *email)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    page_start(&b, "Log in to Xero");
    sb_page_alert(&b, problem);
    fh_buf_appendf(&b, "<form method=\"post\" action=\"/xero/identity/connect/authorize/login\">");
    sb_page_hidden(&b, "request", r->id);
    sb_page_hidden(&b, "csrf", r->csrf);
    fh_buf_appendf(&b, "<label for=\"email\">Email address</label><input id=\"email\" "
                       "name=\"email\" type=\"email\" "
                       "autocomplete=\"username\" required value=\"");
    sb_html_esc(&b, email ? email : "");
    fh_buf_appendf(
        &b, "\"><label for=\"password\">Password</label><input id=\"password\" name=\"password\" "
            "type=\"password\" autocomplete=\"current-password\" required>"
            "<button type=\"submit\">Log in</button></form>");
    return page_send(req, problem ? 401 : 200, &b, NULL);
}

static const char *scope_words(const char *s)
{
    if (strcmp(s, "offline_access") == 0)
        return "Keep access while you are not using the app";
    if (strcmp(s, "openid") == 0 || strcmp(s, "profile") == 0 || strcmp(s, "email") == 0)
        return "Your name and email address";
    if (strstr(s, ".read"))
        return "View your business data";
    return "View and manage your business data";
}

static void consent_scopes(struct fh_buf *b, const char *scope)
{
    fh_buf_appendf(b, "<ul class=\"scopes\">");
    for (const char *p = scope; *p;) {
        size_t n = strcspn(p, " ");
        char *one = fh_strndup(p, n);
        fh_buf_appendf(b, "<li><code>");
        sb_html_esc(b, one);
        fh_buf_appendf(b, "</code> %s</li>", scope_words(one));
        free(one);
        p += n;
        while (*p == ' ')
            p++;
    }
    fh_buf_appendf(b, "</ul>");
}

static enum fh_rc consent_page(struct fh_req *req, const struct authreq *r, const char *problem,
                               const char *cookie)
{
    struct x_app *app = xs_app(r->client_id);
    struct x_user *u = xs_user(r->user_id);
    struct fh_buf b;
    fh_buf_init(&b, 256 * 1024);
    char title[300];
    snprintf(title, sizeof(title), "%s wants to access your Xero data", app ? app->name : "An app");
    page_start(&b, title);
    fh_buf_appendf(&b, "<p>Logged in as <strong>");
    sb_html_esc(&b, u ? u->email : "?");
    fh_buf_appendf(&b, "</strong></p>");
    sb_page_alert(&b, problem);
    consent_scopes(&b, r->scope);
    fh_buf_appendf(&b,
                   "<form method=\"post\" action=\"/xero/identity/connect/authorize/consent\">");
    sb_page_hidden(&b, "request", r->id);
    sb_page_hidden(&b, "csrf", r->csrf);
    fh_buf_appendf(&b, "<fieldset><legend>Select the organisations to connect</legend>");
    for (size_t i = 0; u && i < u->orgs.n; i++) {
        const struct x_org *o = u->orgs.v[i];
        fh_buf_appendf(
            &b, "<label class=\"org\"><input type=\"checkbox\" name=\"org\" value=\"%s\"%s> ",
            o->id, u->orgs.n == 1 ? " checked" : "");
        sb_html_esc(&b, o->name);
        fh_buf_appendf(&b, "</label>");
    }
    if (!u || u->orgs.n == 0)
        fh_buf_appendf(&b, "<p>You have no organisations in this sandbox.</p>");
    fh_buf_appendf(&b,
                   "</fieldset><div class=\"actions\">"
                   "<button type=\"submit\" name=\"action\" value=\"allow\">Allow access</button>"
                   "<button type=\"submit\" name=\"action\" value=\"cancel\" "
                   "class=\"secondary\">Cancel</button>"
                   "</div></form>");
    return page_send(req, problem ? 400 : 200, &b, cookie);
}

/* ---- GET /identity/connect/authorize ---- */
static const char *check_scope(const struct x_app *app, const char *scope, const char **desc)
{
    if (!scope || !*scope) {
        *desc = "scope is required";
        return "invalid_scope";
    }
    for (const char *p = scope; *p;) {
        size_t n = strcspn(p, " ");
        bool known = false;
        for (size_t i = 0; known_scopes[i] && n; i++)
            known = known || (strlen(known_scopes[i]) == n && strncmp(known_scopes[i], p, n) == 0);
        for (size_t i = 0; known && i < app->denied_scopes.n; i++) {
            if (strlen(app->denied_scopes.v[i]) == n &&
                strncmp(app->denied_scopes.v[i], p, n) == 0) {
                *desc = "Invalid scope for client";
                return "unauthorized_client";
            }
        }
        if (n && !known) {
            *desc = "Invalid scope";
            return "invalid_scope";
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return NULL;
}

static const char *check_request(struct fh_req *req, const struct x_app *app, const char **desc)
{
    const char *redirect = fh_req_query(req, "redirect_uri"),
               *rt = fh_req_query(req, "response_type");
    const char *state = fh_req_query(req, "state"), *ch = fh_req_query(req, "code_challenge");
    const char *method = fh_req_query(req, "code_challenge_method");
    if (!app) {
        *desc = "Unknown client or client not enabled";
        return "unauthorized_client";
    }
    bool registered = false;
    for (size_t i = 0; redirect && i < app->redirect_uris.n; i++)
        registered = registered || strcmp(app->redirect_uris.v[i], redirect) == 0;
    if (!registered) {
        *desc = "Invalid redirect_uri";
        return "invalid_request";
    }
    if (!rt || strcmp(rt, "code") != 0) {
        *desc = "Only response_type=code is supported";
        return "unsupported_response_type";
    }
    const char *bad = check_scope(app, fh_req_query(req, "scope"), desc);
    if (bad)
        return bad;
    if ((xs.set.require_state && (!state || !*state)) || (state && strlen(state) > 2000)) {
        *desc = "state is required (at most 2000 characters)";
        return "invalid_request";
    }
    if ((ch && (strlen(ch) != 43 || !method || strcmp(method, "S256") != 0)) || (!ch && method)) {
        *desc = "code_challenge must be 43 characters of base64url with code_challenge_method=S256";
        return "invalid_request";
    }
    if (!ch && !app->secret) {
        *desc = "code_challenge is required for this client";
        return "invalid_request";
    }
    return NULL;
}

static struct session *session_of(struct fh_req *req)
{
    struct session *s = sb_map_get(&xs.sessions, fh_req_cookie(req, SESSION_COOKIE));
    return s && s->expires_ms > x_now_ms() && xs_user(s->user_id) ? s : NULL;
}

enum fh_rc xh_authorize_get(struct fh_req *req)
{
    xs_lock();
    int64_t now = x_now_ms();
    if (xs.authreqs.n > 5000)
        sweep(now);
    struct x_app *app = xs_app(fh_req_query(req, "client_id"));
    const char *desc = NULL, *error = check_request(req, app, &desc);
    enum fh_rc rc;
    if (error) {
        rc = error_page(req, error, desc);
        goto out;
    }
    struct authreq *r = fh_calloc(1, sizeof(*r));
    fh_random_token(24, r->id, sizeof(r->id));
    fh_random_token(24, r->csrf, sizeof(r->csrf));
    fh_strlcpy(r->client_id, app->client_id, sizeof(r->client_id));
    r->redirect_uri = fh_strdup(fh_req_query(req, "redirect_uri"));
    r->scope = fh_strdup(fh_req_query(req, "scope"));
    const char *state = fh_req_query(req, "state"), *ch = fh_req_query(req, "code_challenge");
    const char *nonce = fh_req_query(req, "nonce");
    r->state = state ? fh_strdup(state) : NULL;
    r->challenge = ch ? fh_strdup(ch) : NULL;
    r->nonce = nonce ? fh_strdup(nonce) : NULL;
    r->expires_ms = now + REQUEST_TTL_MS;
    sb_map_put(&xs.authreqs, r->id, r);
    sb_stat_add(&x_stats, "identity", "authorize_requests", 1);
    struct session *s = session_of(req);
    if (s) {
        fh_strlcpy(r->user_id, s->user_id, sizeof(r->user_id));
        rc = consent_page(req, r, NULL, NULL);
    } else {
        rc = login_page(req, r, NULL, NULL);
    }
out:
    xs_unlock();
    return rc;
}

/* The pending request named by the form, with a matching CSRF token; NULL after an error page. */
static struct authreq *form_request_or_reply(struct fh_req *req)
{
    char *id = sb_form_get(req->body.data, req->body.len, "request");
    char *csrf = sb_form_get(req->body.data, req->body.len, "csrf");
    struct authreq *r = sb_map_get(&xs.authreqs, id);
    bool ok = r && csrf && fh_const_eq(csrf, r->csrf) && r->expires_ms > x_now_ms();
    free(id);
    free(csrf);
    if (!ok) {
        error_page(req, "invalid_request",
                   "This sign-in request has expired or is not valid; start again from the app");
        return NULL;
    }
    return r;
}

enum fh_rc xh_login_post(struct fh_req *req)
{
    xs_lock();
    enum fh_rc rc = FH_OK;
    struct authreq *r = form_request_or_reply(req);
    if (!r)
        goto out;
    char *email = sb_form_get(req->body.data, req->body.len, "email");
    char *password = sb_form_get(req->body.data, req->body.len, "password");
    struct x_user *u = email ? xs_user(email) : NULL;
    if (!u || strchr(email, '@') == NULL || !password || !fh_const_eq(password, u->password)) {
        sb_stat_add(&x_stats, "identity", "login_failures", 1);
        rc = login_page(req, r, "Your email or password is incorrect", email);
    } else {
        struct session *s = fh_calloc(1, sizeof(*s));
        fh_random_token(24, s->id, sizeof(s->id));
        fh_strlcpy(s->user_id, u->id, sizeof(s->user_id));
        s->expires_ms = x_now_ms() + SESSION_TTL_MS;
        sb_map_put(&xs.sessions, s->id, s);
        fh_strlcpy(r->user_id, u->id, sizeof(r->user_id));
        char *cookie = fh_asprintf(SESSION_COOKIE
                                   "=%s; Path=/xero/identity; HttpOnly; SameSite=Lax; Max-Age=%lld",
                                   s->id, SESSION_TTL_MS / 1000);
        char *loc = fh_asprintf("/xero/identity/connect/authorize/consent?request=%s", r->id);
        const char *hdrs[] = {"Location", loc, "Set-Cookie", cookie, NULL};
        rc = sb_send(req, 303, NULL, NULL, 0, hdrs);
        free(cookie);
        free(loc);
    }
    free(email);
    free(password);
out:
    xs_unlock();
    return rc;
}

enum fh_rc xh_consent_get(struct fh_req *req)
{
    xs_lock();
    enum fh_rc rc;
    struct authreq *r = sb_map_get(&xs.authreqs, fh_req_query(req, "request"));
    struct session *s = session_of(req);
    if (!r || r->expires_ms < x_now_ms())
        rc = error_page(req, "invalid_request",
                        "This sign-in request has expired or is not valid; start again");
    else if (!s || strcmp(s->user_id, r->user_id) != 0)
        rc = login_page(req, r, NULL, NULL);
    else
        rc = consent_page(req, r, NULL, NULL);
    xs_unlock();
    return rc;
}

static enum fh_rc redirect_back(struct fh_req *req, const struct authreq *r, const char *code,
                                const char *scope)
{
    struct fh_buf b;
    fh_buf_init(&b, 16 * 1024);
    fh_buf_appendf(&b, "%s%c", r->redirect_uri, strchr(r->redirect_uri, '?') ? '&' : '?');
    if (code) {
        char session_state[48];
        fh_random_token(24, session_state, sizeof(session_state));
        fh_buf_appendf(&b, "code=");
        sb_url_enc(&b, code);
        fh_buf_appendf(&b, "&scope=");
        sb_url_enc(&b, scope);
        if (r->state) {
            fh_buf_appendf(&b, "&state=");
            sb_url_enc(&b, r->state);
        }
        fh_buf_appendf(&b, "&session_state=%s", session_state);
    } else {
        fh_buf_appendf(&b, "error=access_denied");
        if (r->state) {
            fh_buf_appendf(&b, "&state=");
            sb_url_enc(&b, r->state);
        }
    }
    char *loc = fh_buf_steal(&b);
    const char *hdrs[] = {"Location", loc, NULL};
    enum fh_rc rc = sb_send(req, 302, NULL, NULL, 0, hdrs);
    free(loc);
    return rc;
}

static enum fh_rc allow(struct fh_req *req, struct authreq *r, struct x_user *u, struct x_app *app)
{
    char *picked[MAX_ORGS];
    size_t n = sb_form_get_all(req->body.data, req->body.len, "org", picked, MAX_ORGS);
    struct x_org *orgs[MAX_ORGS];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct x_org *o = xs_org(picked[i]);
        bool mine = false;
        for (size_t j = 0; o && j < u->orgs.n; j++)
            mine = mine || u->orgs.v[j] == o;
        if (mine)
            orgs[k++] = o;
        free(picked[i]);
    }
    if (k == 0)
        return consent_page(req, r, "Select at least one organisation to connect", NULL);
    char event[X_ID];
    sb_uuid(event);
    struct x_grant *g = tok_grant(app, u, r->scope);
    for (size_t i = 0; i < k; i++)
        tok_connect(g, orgs[i], event);
    struct x_code *c = tok_code_new(g, r->redirect_uri, g->scope, r->challenge, r->nonce, event);
    sb_stat_add(&x_stats, "identity", "consents", 1);
    return redirect_back(req, r, c->code, g->scope);
}

enum fh_rc xh_consent_post(struct fh_req *req)
{
    xs_lock();
    enum fh_rc rc = FH_OK;
    struct authreq *r = form_request_or_reply(req);
    if (!r)
        goto out;
    struct session *s = session_of(req);
    struct x_user *u = s && strcmp(s->user_id, r->user_id) == 0 ? xs_user(r->user_id) : NULL;
    struct x_app *app = xs_app(r->client_id);
    char *action = sb_form_get(req->body.data, req->body.len, "action");
    if (!u || !app) {
        rc = login_page(req, r, NULL, NULL);
    } else if (action && strcmp(action, "allow") == 0) {
        rc = allow(req, r, u, app);
        if (req->status == 302) {
            sb_map_del(&xs.authreqs, r->id);
            authreq_free(r);
        }
    } else if (action && strcmp(action, "cancel") == 0) {
        sb_stat_add(&x_stats, "identity", "consents_cancelled", 1);
        rc = redirect_back(req, r, NULL, NULL);
        sb_map_del(&xs.authreqs, r->id);
        authreq_free(r);
    } else {
        rc = consent_page(req, r, "Choose Allow access or Cancel", NULL);
    }
    free(action);
out:
    xs_unlock();
    return rc;
}

enum fh_rc xh_consent_css(struct fh_req *req)
{
    return sb_page_css(req, "#13b5ea", "#0078c8");
}
