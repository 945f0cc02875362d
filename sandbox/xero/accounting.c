/* accounting.c - the front of the Accounting API (https://api.xero.com/api.xro/2.0 becomes
 * /xero/api.xro/2.0): the sandbox route table sends every path there, and this file routes it
 * case-insensitively (Xero's paths are PascalCase, clients send any case), then checks in
 * Xero's order:
 *   fault injection -> Authorization: Bearer (401 problem JSON: TokenExpired... or
 *   AuthenticationUnsuccessful) -> scope of the operation (401 AuthorizationUnsuccessful) ->
 *   xero-tenant-id connected to the token (403 AuthenticationUnsuccessful) -> forced 429 and
 *   the rate limits (429 + X-Rate-Limit-Problem + Retry-After) -> Idempotency-Key -> handler
 *   (a due lost_response fault lets the handler do its work, then resets the connection instead
 *   of answering: the client's retry meets the result of the first attempt; a due stale_response
 *   fault holds a read's answer, rendered under the lock, for its ms after the lock is released,
 *   so what happens meanwhile is not in it: a client acting on a snapshot older than a change).
 * Every response that passed the tenant check carries X-DayLimit-Remaining,
 * X-MinLimit-Remaining and X-AppMinLimit-Remaining. Unknown paths and ids get Xero's plain-text
 * 404. Without Accept: application/json Xero answers XML; the emulator answers a small XML
 * stand-in so a client that forgets the header notices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

#define TX_READ                                                                                    \
    "accounting.transactions accounting.transactions.read accounting.invoices "                    \
    "accounting.invoices.read"
#define TX_WRITE "accounting.transactions accounting.invoices"
#define PAY_READ                                                                                   \
    "accounting.transactions accounting.transactions.read accounting.payments "                    \
    "accounting.payments.read"
#define CONTACTS_READ "accounting.contacts accounting.contacts.read"
#define SETTINGS_READ "accounting.settings accounting.settings.read"
#define ATT_READ "accounting.attachments accounting.attachments.read"
#define ATT_WRITE "accounting.attachments"
#define NOT_FOUND "The resource you're looking for cannot be found"

static enum fh_rc organisation_get(struct acc_ctx *c);
static enum fh_rc taxrates_get(struct acc_ctx *c);
static enum fh_rc accounts_get(struct acc_ctx *c);

struct acc_route {
    const char *method;
    const char *seg[4]; /* "*" matches one segment */
    const char *scopes; /* any of these */
    const char *name;   /* for the statistics */
    enum fh_rc (*fn)(struct acc_ctx *c);
    bool raw; /* answers bytes, not JSON */
};

static const struct acc_route routes[] = {
    {"GET", {"Invoices"}, TX_READ, "GET /Invoices", acc_invoices_get, false},
    {"GET", {"Invoices", "*"}, TX_READ, "GET /Invoices/{id}", acc_invoice_get, false},
    {"GET",
     {"Invoices", "*", "History"},
     TX_READ,
     "GET /Invoices/{id}/History",
     acc_history_get,
     false},
    {"PUT",
     {"Invoices", "*", "History"},
     TX_WRITE,
     "PUT /Invoices/{id}/History",
     acc_history_put,
     false},
    {"GET",
     {"Invoices", "*", "Attachments"},
     ATT_READ,
     "GET /Invoices/{id}/Attachments",
     acc_attachments_get,
     false},
    {"GET",
     {"Invoices", "*", "Attachments", "*"},
     ATT_READ,
     "GET /Invoices/{id}/Attachments/{name}",
     acc_attachment_get,
     true},
    {"PUT",
     {"Invoices", "*", "Attachments", "*"},
     ATT_WRITE,
     "PUT /Invoices/{id}/Attachments/{name}",
     acc_attachment_put,
     false},
    {"POST",
     {"Invoices", "*", "Attachments", "*"},
     ATT_WRITE,
     "POST /Invoices/{id}/Attachments/{name}",
     acc_attachment_put,
     false},
    {"GET", {"CreditNotes"}, TX_READ, "GET /CreditNotes", acc_credit_notes_get, false},
    {"GET", {"CreditNotes", "*"}, TX_READ, "GET /CreditNotes/{id}", acc_credit_note_get, false},
    {"GET",
     {"CreditNotes", "*", "History"},
     TX_READ,
     "GET /CreditNotes/{id}/History",
     acc_history_get,
     false},
    {"PUT",
     {"CreditNotes", "*", "History"},
     TX_WRITE,
     "PUT /CreditNotes/{id}/History",
     acc_history_put,
     false},
    {"GET",
     {"CreditNotes", "*", "Attachments"},
     ATT_READ,
     "GET /CreditNotes/{id}/Attachments",
     acc_attachments_get,
     false},
    {"GET",
     {"CreditNotes", "*", "Attachments", "*"},
     ATT_READ,
     "GET /CreditNotes/{id}/Attachments/{name}",
     acc_attachment_get,
     true},
    {"PUT",
     {"CreditNotes", "*", "Attachments", "*"},
     ATT_WRITE,
     "PUT /CreditNotes/{id}/Attachments/{name}",
     acc_attachment_put,
     false},
    {"POST",
     {"CreditNotes", "*", "Attachments", "*"},
     ATT_WRITE,
     "POST /CreditNotes/{id}/Attachments/{name}",
     acc_attachment_put,
     false},
    {"GET", {"Contacts"}, CONTACTS_READ, "GET /Contacts", acc_contacts_get, false},
    {"GET", {"Contacts", "*"}, CONTACTS_READ, "GET /Contacts/{id}", acc_contact_get, false},
    {"GET", {"Payments"}, PAY_READ, "GET /Payments", acc_payments_get, false},
    {"GET", {"Payments", "*"}, PAY_READ, "GET /Payments/{id}", acc_payment_get, false},
    {"GET", {"Organisation"}, SETTINGS_READ, "GET /Organisation", organisation_get, false},
    {"GET", {"TaxRates"}, SETTINGS_READ, "GET /TaxRates", taxrates_get, false},
    {"GET", {"Accounts"}, SETTINGS_READ, "GET /Accounts", accounts_get, false},
};

struct idem {
    char hash[65];
    unsigned int status;
    char *ctype, *body;
    size_t len;
    int64_t stored_ms;
};

/* A key counts for idempotency_s (scaled) from its first use, as set now. */
static bool idem_live(const struct idem *e, int64_t now)
{
    return xs.set.idempotency_s > 0 && now - e->stored_ms < x_scaled(xs.set.idempotency_s * 1000);
}

/* ---- replies ---- */
static const char *provider(const struct acc_ctx *c)
{
    return c->app ? c->app->name : "Xero API Partner";
}

static void idem_store(struct acc_ctx *c, unsigned int status, const char *ctype, const char *body,
                       size_t len)
{
    if (!c->idem_key[0] || status >= 500 || xs.set.idempotency_s <= 0)
        return;
    int64_t now = x_now_ms();
    if (xs.idem.n > 10000) {
        for (size_t i = 0; i < xs.idem.cap; i++) {
            struct idem *e = sb_map_live(&xs.idem, i) ? xs.idem.vals[i] : NULL;
            if (e && !idem_live(e, now)) {
                sb_map_del(&xs.idem, xs.idem.keys[i]);
                free(e->ctype);
                free(e->body);
                free(e);
            }
        }
        if (xs.idem.n > 10000)
            return;
    }
    struct idem *e = fh_calloc(1, sizeof(*e));
    fh_strlcpy(e->hash, c->idem_hash, sizeof(e->hash));
    e->status = status;
    e->ctype = fh_strdup(ctype ? ctype : "");
    e->body = fh_malloc(len + 1);
    memcpy(e->body, body ? body : "", len);
    e->len = len;
    e->stored_ms = now;
    struct idem *old = sb_map_get(&xs.idem, c->idem_key);
    if (old) {
        free(old->ctype);
        free(old->body);
        free(old);
    }
    sb_map_put(&xs.idem, c->idem_key, e);
}

void idem_free_all(void)
{
    for (size_t i = 0; i < xs.idem.cap; i++) {
        struct idem *e = sb_map_live(&xs.idem, i) ? xs.idem.vals[i] : NULL;
        if (e) {
            free(e->ctype);
            free(e->body);
            free(e);
        }
    }
    sb_map_free(&xs.idem);
}

enum fh_rc acc_reply_raw(struct acc_ctx *c, unsigned int status, const char *ctype, char *body,
                         size_t len)
{
    idem_store(c, status, ctype, body, len);
    if (c->lost) { /* done and remembered, but the answer never arrives */
        free(body);
        sb_stat_add(&x_stats, "faults", "lost_response", 1);
        struct sb_fault_draw d = {.kind = SBF_RESET};
        sb_faults_apply(&x_faults, c->req, &d);
        return FH_OK;
    }
    if (c->stale_ms > 0 && !c->held.body) { /* sent by run_handler, after the lock */
        c->held.status = status;
        c->held.ctype = ctype ? fh_strdup(ctype) : NULL;
        c->held.body = body;
        c->held.len = len;
        return FH_OK;
    }
    if (c->cut && status == 200 && len > 1) {
        sb_stat_add(&x_stats, "faults", "cut_response", 1);
        len /= 2; /* the Content-Length says so: a whole message of half an answer */
    }
    char corr[X_ID];
    sb_uuid(corr);
    c->hdrs[c->nhdrs] = "Xero-Correlation-Id";
    c->hdrs[c->nhdrs + 1] = corr;
    c->hdrs[c->nhdrs + 2] = NULL;
    return sb_send(c->req, status, ctype, body, len, c->hdrs);
}

static char *xml_standin(const struct acc_ctx *c)
{
    char id[X_ID], when[40];
    sb_uuid(id);
    x_iso(x_now_ms(), 3, false, when, sizeof(when));
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    fh_buf_appendf(
        &b,
        "<Response xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><Id>%s</Id><Status>OK"
        "</Status><ProviderName>",
        id);
    sb_html_esc(&b, provider(c));
    fh_buf_appendf(&b,
                   "</ProviderName><DateTimeUTC>%s</DateTimeUTC><!-- fiscalhub-sandbox answers "
                   "JSON only when the "
                   "request sends Accept: application/json, as Xero does --></Response>",
                   when);
    return fh_buf_steal(&b);
}

enum fh_rc acc_reply(struct acc_ctx *c, unsigned int status, json_t *j)
{
    char *text = c->xml && status == 200 ? xml_standin(c) : sbj_dumps(j);
    json_decref(j);
    return acc_reply_raw(c, status,
                         c->xml && status == 200 ? "text/xml; charset=utf-8"
                                                 : "application/json; charset=utf-8",
                         text, strlen(text));
}

enum fh_rc acc_not_found(struct acc_ctx *c)
{
    return acc_reply_raw(c, 404, "text/plain; charset=utf-8", fh_strdup(NOT_FOUND),
                         strlen(NOT_FOUND));
}

enum fh_rc acc_validation(struct acc_ctx *c, json_t *element, const char *message)
{
    if (!element)
        element = json_object();
    json_object_set_new(element, "ValidationErrors", json_pack("[{s:s}]", "Message", message));
    json_t *j =
        json_pack("{s:i, s:s, s:s, s:[o]}", "ErrorNumber", 10, "Type", "ValidationException",
                  "Message", "A validation exception occurred", "Elements", element);
    char *text = sbj_dumps(j);
    json_decref(j);
    return acc_reply_raw(c, 400, "application/json; charset=utf-8", text, strlen(text));
}

/* ---- small endpoints ---- */
static enum fh_rc organisation_get(struct acc_ctx *c)
{
    return acc_reply(c, 200,
                     r_envelope(provider(c), "Organisations", json_pack("[o]", r_org(c->org))));
}

static enum fh_rc taxrates_get(struct acc_ctx *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->org->nrates; i++)
        json_array_append_new(arr, r_taxrate(&c->org->rates[i]));
    return acc_reply(c, 200, r_envelope(provider(c), "TaxRates", arr));
}

static enum fh_rc accounts_get(struct acc_ctx *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->org->naccounts; i++)
        json_array_append_new(arr, r_account(&c->org->accounts[i]));
    return acc_reply(c, 200, r_envelope(provider(c), "Accounts", arr));
}

/* ---- the pipeline ---- */
static const struct acc_route *route_of(struct fh_req *req, struct acc_ctx *c)
{
    static const char *const names[] = {"a", "b", "c", "d"};
    c->nseg = 0;
    for (size_t i = 0; i < 4 && fh_req_param(req, names[i]); i++)
        c->seg[c->nseg++] = fh_req_param(req, names[i]);
    for (size_t i = 0; i < FH_ARRAY_LEN(routes); i++) {
        const struct acc_route *r = &routes[i];
        size_t n = 0;
        while (n < 4 && r->seg[n])
            n++;
        if (n != c->nseg || strcmp(r->method, req->method) != 0)
            continue;
        bool ok = true;
        for (size_t k = 0; k < n && ok; k++)
            ok = strcmp(r->seg[k], "*") == 0 || strcasecmp(r->seg[k], c->seg[k]) == 0;
        if (ok)
            return r;
    }
    return NULL;
}

static bool any_scope(const char *granted, const char *wanted)
{
    for (const char *p = wanted; *p;) {
        size_t n = strcspn(p, " ");
        char one[64];
        fh_strlcpy(one, p, n + 1 < sizeof(one) ? n + 1 : sizeof(one));
        if (tok_has_scope(granted, one))
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* The limits of one call from the settings (Xero's, specs/xero.md §3: per tenant and app 60 a
 * minute, 5,000 a day, 5 in flight; per app 10,000 a minute); caller holds xs.lock. */
static void rl_ctx_from_settings(struct sb_rl_ctx *c)
{
    c->lim.minute = xs.set.lim_minute;
    c->lim.day = xs.set.lim_day;
    c->lim.concurrent = xs.set.lim_concurrent;
    c->lim.app_minute = xs.set.lim_app_minute;
    c->minute_ms = x_scaled(X_MINUTE_MS);
    c->day_ms = x_scaled(X_DAY_MS);
}

struct gate {
    char client_id[40], tenant[X_ID];
    struct sb_rl_ctx rl;
    bool require_json;
    int64_t latency_ms;
};

/* Token, scope and tenant checks; false after a 401/403 reply. */
static bool gate_or_reply(struct fh_req *req, const struct acc_route *r, struct gate *g)
{
    xs_lock();
    struct x_access *a;
    enum x_bearer b = tok_bearer(req, &a);
    const char *tenant = fh_req_header(req, "xero-tenant-id");
    bool ok = false;
    if (b == XB_EXPIRED) {
        char when[40], detail[80];
        x_iso(a->expires_ms, 0, false, when, sizeof(when));
        snprintf(detail, sizeof(detail), "TokenExpired: token expired at %.2s/%.2s/%.4s %.8s",
                 when + 5, when + 8, when, when + 11);
        x_problem(req, 401, detail, NULL);
    } else if (b != XB_OK) {
        x_problem(req, 401, "AuthenticationUnsuccessful", NULL);
    } else if (!any_scope(a->scope, r->scopes)) {
        x_problem(req, 401, "AuthorizationUnsuccessful", NULL);
    } else {
        struct x_conn *conns[256];
        size_t n = tok_grant_conns(a->grant, conns, FH_ARRAY_LEN(conns));
        for (size_t i = 0; tenant && i < n && !ok; i++)
            ok = strcasecmp(conns[i]->org->id, tenant) == 0;
        if (!ok) {
            x_problem(req, 403, "AuthenticationUnsuccessful", NULL);
        } else {
            fh_strlcpy(g->client_id, a->grant->app->client_id, sizeof(g->client_id));
            for (size_t i = 0; i < n; i++)
                if (strcasecmp(conns[i]->org->id, tenant) == 0)
                    fh_strlcpy(g->tenant, conns[i]->org->id, sizeof(g->tenant));
            rl_ctx_from_settings(&g->rl);
            g->require_json = xs.set.require_accept_json;
            g->latency_ms = xs.set.latency_ms;
        }
    }
    if (!ok)
        sb_stat_add(&x_stats, "auth_failures", req->status == 403 ? "403" : "401", 1);
    xs_unlock();
    return ok;
}

static void rate_headers(struct acc_ctx *c, const struct sb_rl_result *rr)
{
    snprintf(c->hv[0], sizeof(c->hv[0]), "%lld", (long long)rr->day_left);
    snprintf(c->hv[1], sizeof(c->hv[1]), "%lld", (long long)rr->min_left);
    snprintf(c->hv[2], sizeof(c->hv[2]), "%lld", (long long)rr->app_min_left);
    const char *h[] = {"X-DayLimit-Remaining",    c->hv[0], "X-MinLimit-Remaining", c->hv[1],
                       "X-AppMinLimit-Remaining", c->hv[2]};
    memcpy(c->hdrs, h, sizeof(h));
    c->nhdrs = 6;
    c->hdrs[6] = NULL;
}

static enum fh_rc too_many(struct acc_ctx *c, const struct gate *g, const char *problem,
                           int64_t retry)
{
    snprintf(c->hv[3], sizeof(c->hv[3]), "%lld", (long long)retry);
    c->hdrs[c->nhdrs++] = "X-Rate-Limit-Problem";
    c->hdrs[c->nhdrs++] = problem;
    if (retry > 0) {
        c->hdrs[c->nhdrs++] = "Retry-After";
        c->hdrs[c->nhdrs++] = c->hv[3];
    }
    c->hdrs[c->nhdrs] = NULL;
    sb_stat_add(&x_stats, "rate_limited", problem, 1);
    sb_stat_sub(&x_stats, "tenants", g->tenant, "rate_limited", 1);
    return acc_reply_raw(c, 429, NULL, NULL, 0);
}

/* Idempotency-Key on PUT/POST: a repeat within 6 minutes replays the first answer; the same key
 * with another request is a 400. True when the request was answered here. */
static bool idempotent_replay(struct acc_ctx *c, const struct gate *g)
{
    const char *key = fh_req_header(c->req, "Idempotency-Key");
    if (!key || strcmp(c->req->method, "GET") == 0 || strlen(key) > 128)
        return false;
    snprintf(c->idem_key, sizeof(c->idem_key), "%s/%s/%s", g->client_id, g->tenant, key);
    struct fh_buf b;
    fh_buf_init(&b, (size_t)64 << 20);
    fh_buf_appendf(&b, "%s %s\n", c->req->method, c->req->path);
    fh_buf_append(&b, c->req->body.data ? c->req->body.data : "", c->req->body.len);
    fh_sha256_hex(b.data ? b.data : "", b.len, c->idem_hash);
    fh_buf_free(&b);
    struct idem *e = sb_map_get(&xs.idem, c->idem_key);
    if (!e || !idem_live(e, x_now_ms()))
        return false;
    c->idem_key[0] = '\0'; /* never store the replay itself */
    if (strcmp(e->hash, c->idem_hash) != 0) {
        json_t *j = json_pack("{s:s++}", "Message", "Idempotency Key: ", key,
                              " is used with a different request.");
        sb_stat_add(&x_stats, "idempotency", "conflicts", 1);
        acc_reply(c, 400, j);
        return true;
    }
    sb_stat_add(&x_stats, "idempotency", "replays", 1);
    char *body = fh_malloc(e->len + 1);
    memcpy(body, e->body, e->len);
    acc_reply_raw(c, e->status, e->ctype[0] ? e->ctype : NULL, body, e->len);
    return true;
}

/* A path fault (xs.lock held): due for the next requests (reads or writes) whose path contains
 * its path. */
static bool take_path_fault(struct x_path_fault *f, const struct fh_req *req, bool reads)
{
    if (f->count <= 0 || (strcmp(req->method, "GET") == 0) != reads || !strstr(req->path, f->path))
        return false;
    if (f->status[0]) { /* the document the fault's path ends with, in that status */
        const char *id = strrchr(f->path, '/');
        const struct x_doc *d = sb_map_get(&xs.docs, id ? id + 1 : f->path);
        if (!d || strcmp(x_status_name(d->status), f->status) != 0)
            return false;
    }
    f->count--;
    return true;
}

static void run_handler(struct acc_ctx *c, const struct acc_route *r, const struct gate *g)
{
    xs_lock();
    c->lost = take_path_fault(&xs.lost, c->req, false);
    c->stale_ms = take_path_fault(&xs.stale, c->req, true) ? xs.stale.ms : 0;
    c->cut = take_path_fault(&xs.cut, c->req, true);
    if (c->stale_ms > 0)
        sb_stat_add(&x_stats, "faults", "stale_response", 1);
    c->org = xs_org(g->tenant);
    c->app = xs_app(g->client_id);
    if (!c->org || !c->app)
        x_problem(c->req, 403, "AuthenticationUnsuccessful", c->hdrs);
    else if (!idempotent_replay(c, g))
        r->fn(c);
    xs_unlock();
    if (c->held.body) {
        struct timespec ts = {c->stale_ms / 1000, (c->stale_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
        c->stale_ms = 0;
        acc_reply_raw(c, c->held.status, c->held.ctype, c->held.body, c->held.len);
        free(c->held.ctype);
    }
}

enum fh_rc xh_accounting(struct fh_req *req)
{
    struct acc_ctx c;
    memset(&c, 0, sizeof(c));
    c.req = req;
    const struct acc_route *r = route_of(req, &c);
    if (!r) {
        sb_stat_add(&x_stats, "calls", "unknown", 1);
        return acc_not_found(&c);
    }
    sb_stat_add(&x_stats, "calls", r->name, 1);
    struct sb_fault_draw d;
    sb_faults_draw(&x_faults, false, &d);
    if (sb_faults_apply(&x_faults, req, &d))
        return FH_OK;
    struct gate g;
    memset(&g, 0, sizeof(g));
    if (!gate_or_reply(req, r, &g))
        return FH_OK;
    sb_stat_sub(&x_stats, "tenants", g.tenant, "calls", 1);
    struct sb_rl_result rr;
    const char *problem;
    int64_t retry;
    if (sb_faults_take_429(&x_faults, g.tenant, &problem, &retry)) {
        memset(&rr, 0, sizeof(rr));
        rate_headers(&c, &rr);
        return too_many(&c, &g, problem, retry);
    }
    sb_rl_acquire(&x_rl, g.client_id, g.tenant, &g.rl, &rr);
    rate_headers(&c, &rr);
    if (rr.problem)
        return too_many(&c, &g, rr.problem, rr.retry_after_s);
    const char *accept = fh_req_header(req, "Accept");
    c.xml = g.require_json && !r->raw && !(accept && strcasestr(accept, "application/json"));
    if (g.latency_ms > 0) /* in flight meanwhile (the concurrent limit counts it) */
        fh_sleep_ms(g.latency_ms);
    run_handler(&c, r, &g);
    sb_rl_release(&x_rl, g.client_id, g.tenant);
    return FH_OK;
}
