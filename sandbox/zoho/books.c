/* books.c - the front of the Books API v3 (https://www.zohoapis.<dc>/books/v3 becomes
 * /zoho/apis/<dc>/books/v3): the sandbox route table sends every path there and this file
 * routes it, then checks in this order (specs/zoho-books.md §2.1-2.2, §3):
 *   fault injection
 *   -> Authorization: Zoho-oauthtoken <token>      missing or malformed: 401 code 14
 *   -> the token: known, unexpired, of this DC     else 401 code 57
 *   -> the operation's scope                       else 401 code 57
 *   -> organization_id (query; every call but /organizations): missing 400 code 2; not one of
 *      the user's organizations in this DC (or not the consented one, restrict_to_chosen_org)
 *      400 code 6041
 *   -> forced 429s, then the organization's limits: per minute (100), per day (by plan), in
 *      flight (free 5, paid 10): 429 with {"code": rate_limit_code, "message": ...}
 *   -> the endpoint (books_inv.c).
 * Every answer is the Books envelope {"code": 0, "message": "success", ...} or an error
 * {"code": n, "message": "..."} (GET /invoices/{id}/attachment answers the file itself); every
 * call counted against an organization's limits carries X-Rate-Limit-Limit,
 * X-Rate-Limit-Remaining (the day's) and X-Rate-Limit-Reset (seconds).
 *
 * Routes (the table below): GET /organizations[/{id}]; GET /invoices, /invoices/{id},
 * /invoices/{id}/comments, /invoices/{id}/payments; POST /invoices/{id}/comments; PUT
 * /invoice/{id}/customfields; POST and GET /invoices/{id}/attachment; GET /creditnotes,
 * /creditnotes/{id}, /creditnotes/{id}/invoices; DELETE
 * /creditnotes/{id}/invoices/{creditnote_invoice_id}; POST /creditnotes/{id}/comments; GET
 * /contacts/{id}; GET /settings/taxes. POST /invoices/{id}/attachment has a route of its own in
 * zoho.c (zh_books_upload) for its larger body limit; it takes multipart/form-data, split into
 * parts by sb_multipart (../common/multipart.c). The DELETE has four segments, one more than
 * the catch-all patterns (the sandbox's router takes four path parameters, {dc} among them), so
 * it has a route of its own too (zh_books_cn_credit_delete). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zoho_internal.h"

#define NOT_AUTHORIZED "You are not authorized to perform this operation"

struct zbk_route {
    const char *method;
    const char *seg[4];      /* "*" matches one segment */
    const char *module, *op; /* the scope ZohoBooks.<module>.<op> */
    const char *name;        /* for the statistics */
    bool org;                /* needs organization_id (and counts against its limits) */
    enum fh_rc (*fn)(struct books_ctx *c);
};

static const struct zbk_route routes[] = {
    {"GET", {"organizations"}, "settings", "READ", "GET /organizations", false, zbk_orgs_get},
    {"GET",
     {"organizations", "*"},
     "settings",
     "READ",
     "GET /organizations/{id}",
     false,
     zbk_org_get},
    {"GET", {"invoices"}, "invoices", "READ", "GET /invoices", true, zbk_invoices_get},
    {"GET", {"invoices", "*"}, "invoices", "READ", "GET /invoices/{id}", true, zbk_invoice_get},
    {"GET",
     {"invoices", "*", "comments"},
     "invoices",
     "READ",
     "GET /invoices/{id}/comments",
     true,
     zbk_comments_get},
    {"POST",
     {"invoices", "*", "comments"},
     "invoices",
     "CREATE",
     "POST /invoices/{id}/comments",
     true,
     zbk_comments_post},
    {"POST",
     {"invoices", "*", "attachment"},
     "invoices",
     "CREATE",
     "POST /invoices/{id}/attachment",
     true,
     zbk_attachment_post},
    {"GET",
     {"invoices", "*", "attachment"},
     "invoices",
     "READ",
     "GET /invoices/{id}/attachment",
     true,
     zbk_attachment_get},
    {"GET",
     {"invoices", "*", "payments"},
     "invoices",
     "READ",
     "GET /invoices/{id}/payments",
     true,
     zbk_payments_get},
    {"PUT",
     {"invoice", "*", "customfields"},
     "invoices",
     "UPDATE",
     "PUT /invoice/{id}/customfields",
     true,
     zbk_customfields_put},
    {"GET", {"creditnotes"}, "creditnotes", "READ", "GET /creditnotes", true, zbk_creditnotes_get},
    {"GET",
     {"creditnotes", "*"},
     "creditnotes",
     "READ",
     "GET /creditnotes/{id}",
     true,
     zbk_creditnote_get},
    {"GET",
     {"creditnotes", "*", "invoices"},
     "creditnotes",
     "READ",
     "GET /creditnotes/{id}/invoices",
     true,
     zbk_cn_invoices_get},
    {"DELETE",
     {"creditnotes", "*", "invoices", "*"},
     "creditnotes",
     "DELETE",
     "DELETE /creditnotes/{id}/invoices/{creditnote_invoice_id}",
     true,
     zbk_cn_credit_delete},
    {"POST",
     {"creditnotes", "*", "comments"},
     "creditnotes",
     "CREATE",
     "POST /creditnotes/{id}/comments",
     true,
     zbk_cn_comments_post},
    {"GET", {"contacts", "*"}, "contacts", "READ", "GET /contacts/{id}", true, zbk_contact_get},
    {"GET", {"settings", "taxes"}, "settings", "READ", "GET /settings/taxes", true, zbk_taxes_get},
};

enum fh_rc zbk_reply(struct books_ctx *c, unsigned int status, json_t *j)
{
    char *text = sbj_dumps(j);
    json_decref(j);
    return sb_send(c->req, status, "application/json;charset=UTF-8", text, strlen(text), c->hdrs);
}

enum fh_rc zbk_error(struct books_ctx *c, unsigned int status, int code, const char *msg)
{
    return zbk_reply(c, status, json_pack("{s:i, s:s}", "code", code, "message", msg));
}

/* The route of c->seg; *method_only when the path exists with another method. */
static const struct zbk_route *route_of(struct books_ctx *c, bool *method_only)
{
    *method_only = false;
    for (size_t i = 0; i < FH_ARRAY_LEN(routes); i++) {
        const struct zbk_route *r = &routes[i];
        size_t n = 0;
        while (n < FH_ARRAY_LEN(r->seg) && r->seg[n])
            n++;
        bool ok = n == c->nseg;
        for (size_t k = 0; k < n && ok; k++)
            ok = strcmp(r->seg[k], "*") == 0 || strcmp(r->seg[k], c->seg[k]) == 0;
        if (ok && strcmp(r->method, c->req->method) == 0)
            return r;
        *method_only = *method_only || ok;
    }
    return NULL;
}

struct gate {
    char user[Z_ID], org[Z_ID];
    struct sb_rl_ctx rl;
    int64_t rate_code;
};

/* The access token of the Authorization header; NULL after a 401. Caller holds zs.lock. */
static struct z_access *token_or_reply(struct books_ctx *c, const struct z_dc *dc)
{
    const char *h = fh_req_header(c->req, "Authorization");
    const char *tok = NULL;
    if (h && strncasecmp(h, "Zoho-oauthtoken ", 16) == 0)
        tok = h + 16;
    else if (h && zs.set.accept_bearer && strncasecmp(h, "Bearer ", 7) == 0)
        tok = h + 7;
    if (!tok || !*tok) {
        sb_stat_add(&z_stats, "auth_failures", "malformed", 1);
        zbk_error(c, 401, 14, "Invalid value passed for Authorization");
        return NULL;
    }
    struct z_access *a = sb_map_get(&zs.access, tok);
    if (!a || a->expires_ms < z_now_ms() || a->dc != dc) {
        sb_stat_add(&z_stats, "auth_failures",
                    !a            ? "invalid_token"
                    : a->dc != dc ? "wrong_dc"
                                  : "expired",
                    1);
        zbk_error(c, 401, 57, NOT_AUTHORIZED);
        return NULL;
    }
    return a;
}

static bool org_or_reply(struct books_ctx *c, const struct zbk_route *r, struct z_access *a,
                         const struct z_dc *dc, struct gate *g)
{
    const char *id =
        r->org ? fh_req_query(c->req, "organization_id") : (c->nseg == 2 ? c->seg[1] : NULL);
    if (!r->org && !id)
        return true;
    if (!id || !*id) {
        zbk_error(c, 400, 2, "Invalid value passed for organization_id");
        return false;
    }
    struct z_org *o = zs_org(id);
    bool ok = o && o->dc == dc && zs_user_has_org(a->grant->user, o) &&
              (!zs.set.restrict_to_chosen_org || a->grant->org == o);
    if (!ok) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "This user is not associated with the CompanyID/CompanyName:%.60s.", id);
        sb_stat_add(&z_stats, "auth_failures", "6041", 1);
        zbk_error(c, 400, 6041, msg);
        return false;
    }
    if (r->org) {
        fh_strlcpy(g->org, o->id, sizeof(g->org));
        g->rl.lim.minute = zs.set.lim_minute;
        g->rl.lim.day = zs_day_limit(o);
        g->rl.lim.concurrent = zs_concurrency(o);
        g->rl.minute_ms = z_scaled(Z_MINUTE_MS);
        g->rl.day_ms = z_scaled(Z_DAY_MS);
    }
    return true;
}

/* Token, scope and organization checks; false after a 401/400 answer. */
static bool gate_or_reply(struct books_ctx *c, const struct zbk_route *r, const struct z_dc *dc,
                          struct gate *g)
{
    zs_lock();
    bool ok = false;
    struct z_access *a = token_or_reply(c, dc);
    if (a && !ztok_has_scope(a->grant->scope, r->module, r->op)) {
        sb_stat_add(&z_stats, "auth_failures", "scope", 1);
        zbk_error(c, 401, 57, NOT_AUTHORIZED);
    } else if (a && org_or_reply(c, r, a, dc, g)) {
        fh_strlcpy(g->user, a->grant->user->id, sizeof(g->user));
        g->rate_code = zs.set.rate_limit_code;
        ok = true;
    }
    zs_unlock();
    return ok;
}

static void rate_headers(struct books_ctx *c, const struct sb_rl_result *rr)
{
    snprintf(c->hv[0], sizeof(c->hv[0]), "%lld", (long long)rr->day_limit);
    snprintf(c->hv[1], sizeof(c->hv[1]), "%lld", (long long)rr->day_left);
    snprintf(c->hv[2], sizeof(c->hv[2]), "%lld", (long long)rr->day_reset_s);
    const char *h[] = {"X-Rate-Limit-Limit",
                       c->hv[0],
                       "X-Rate-Limit-Remaining",
                       c->hv[1],
                       "X-Rate-Limit-Reset",
                       c->hv[2],
                       NULL};
    memcpy(c->hdrs, h, sizeof(h));
}

static enum fh_rc too_many(struct books_ctx *c, const struct gate *g, const char *problem)
{
    const char *msg =
        strcmp(problem, "day") == 0
            ? "You have reached the maximum number of API requests allowed for the day."
        : strcmp(problem, "concurrent") == 0
            ? "You have exceeded the maximum number of concurrent API requests allowed."
            : "You have made too many requests per minute. Please try again after some time.";
    sb_stat_add(&z_stats, "rate_limited", problem, 1);
    sb_stat_sub(&z_stats, "orgs", g->org, "rate_limited", 1);
    return zbk_error(c, 429, (int)g->rate_code, msg);
}

static void run_handler(struct books_ctx *c, const struct zbk_route *r, const struct gate *g)
{
    zs_lock();
    c->user = zs_user(g->user);
    c->org = g->org[0] ? zs_org(g->org) : NULL;
    if (!c->user || (g->org[0] && !c->org)) /* reset meanwhile */
        zbk_error(c, 401, 57, NOT_AUTHORIZED);
    else
        r->fn(c);
    zs_unlock();
}

static enum fh_rc limited(struct books_ctx *c, const struct zbk_route *r, const struct gate *g)
{
    struct sb_rl_result rr;
    const char *problem;
    int64_t retry;
    sb_stat_sub(&z_stats, "orgs", g->org, "calls", 1);
    if (sb_faults_take_429(&z_faults, g->org, &problem, &retry)) {
        memset(&rr, 0, sizeof(rr));
        rr.day_limit = g->rl.lim.day;
        rate_headers(c, &rr);
        return too_many(c, g, problem);
    }
    sb_rl_acquire(&z_rl, NULL, g->org, &g->rl, &rr);
    rate_headers(c, &rr);
    if (rr.problem)
        return too_many(c, g, rr.problem);
    run_handler(c, r, g);
    sb_rl_release(&z_rl, NULL, g->org);
    return FH_OK;
}

/* A call with its path's segments after /books/v3 in c->seg. */
static enum fh_rc serve(struct books_ctx *c)
{
    const struct z_dc *dc = z_dc_by_id(fh_req_param(c->req, "dc"));
    bool method_only;
    const struct zbk_route *r = dc ? route_of(c, &method_only) : NULL;
    if (!r) {
        sb_stat_add(&z_stats, "calls", "unknown", 1);
        return dc && method_only ? zbk_error(c, 405, 37, "Method not allowed")
                                 : zbk_error(c, 404, 5, "Invalid URL Passed");
    }
    sb_stat_add(&z_stats, "calls", r->name, 1);
    struct sb_fault_draw d;
    sb_faults_draw(&z_faults, false, &d);
    if (sb_faults_apply(&z_faults, c->req, &d))
        return FH_OK;
    struct gate g;
    memset(&g, 0, sizeof(g));
    if (!gate_or_reply(c, r, dc, &g))
        return FH_OK;
    if (r->org)
        return limited(c, r, &g);
    run_handler(c, r, &g);
    return FH_OK;
}

enum fh_rc zh_books(struct fh_req *req)
{
    static const char *const names[] = {"a", "b", "c"};
    struct books_ctx c;
    memset(&c, 0, sizeof(c));
    c.req = req;
    for (size_t i = 0; i < 3 && fh_req_param(req, names[i]); i++)
        c.seg[c.nseg++] = fh_req_param(req, names[i]);
    return serve(&c);
}

/* Serves a path a route of its own matched: its segments after /books/v3, NULL-terminated. */
static enum fh_rc serve_path(struct fh_req *req, const char *const *seg)
{
    struct books_ctx c;
    memset(&c, 0, sizeof(c));
    c.req = req;
    while (c.nseg < FH_ARRAY_LEN(c.seg) && seg[c.nseg]) {
        c.seg[c.nseg] = seg[c.nseg];
        c.nseg++;
    }
    return serve(&c);
}

enum fh_rc zh_books_upload(struct fh_req *req)
{
    const char *seg[] = {"invoices", fh_req_param(req, "id"), "attachment", NULL};
    return serve_path(req, seg);
}

enum fh_rc zh_books_cn_credit_delete(struct fh_req *req)
{
    const char *seg[] = {"creditnotes", fh_req_param(req, "id"), "invoices",
                         fh_req_param(req, "cid"), NULL};
    return serve_path(req, seg);
}
