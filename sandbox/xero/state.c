/* state.c - the Xero emulator's memory: one mutex over everything (xs.lock), the settings, the
 * sandbox users, organisations (tenants) and apps, the update logs, reset and the demo data.
 *
 * Lock order: xs.lock, then the locks of x_rl, x_faults, x_stats (../common/) and of the
 * webhook worker (webhooks.c), which never take xs.lock themselves. Objects live until reset (or
 * until their owner is removed); handlers look them up by id under the lock and never keep pointers
 * past unlocking. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

struct x_state xs = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct fh_xero_opts opts;

void xs_lock(void)
{
    pthread_mutex_lock(&xs.lock);
}

void xs_unlock(void)
{
    pthread_mutex_unlock(&xs.lock);
}

static void default_settings(struct x_settings *s, const char *public_url)
{
    memset(s, 0, sizeof(*s));
    s->time_scale = opts.time_scale > 0 ? opts.time_scale : 1;
    fh_strlcpy(s->public_url, public_url, sizeof(s->public_url));
    s->grace_same = !opts.grace_replay || strcmp(opts.grace_replay, "new") != 0;
    s->max_invoices = opts.max_invoices > 0 ? opts.max_invoices : 200000;
    s->code_lifetime_s = 300;
    s->access_lifetime_s = 1800;
    s->grace_s = 1800;
    s->refresh_idle_s = 60LL * 86400;
    s->lim_minute = 60;
    s->lim_day = opts.day_limit > 0 ? opts.day_limit : 5000;
    s->lim_concurrent = 5;
    s->lim_app_minute = 10000;
    s->require_accept_json = true;
    s->require_state = true;
    s->max_attachments = 10;
    s->max_attachment_bytes = 10LL * 1024 * 1024;
    s->webhook_timeout_ms = 5000;
    s->itr_rounds = 1;
    s->batch_max = 50;
    s->batch_delay_ms = 100;
    s->idempotency_s = 360;
    s->latency_ms = 0;
}

/* ---- update logs ---- */
static void xlog_compact(struct xlog *log)
{
    size_t w = 0;
    for (size_t i = 0; i < log->n; i++)
        if (xlog_valid(log, i))
            log->e[w++] = log->e[i];
    log->n = w;
}

bool xlog_valid(const struct xlog *log, size_t i)
{
    return log->e[i].rec->seq == log->e[i].seq;
}

void xlog_touch(struct x_org *org, struct xlog *log, struct x_rec *rec, bool is_new)
{
    int64_t now = x_now_ms();
    if (now < org->last_upd_ms)
        now = org->last_upd_ms;
    org->last_upd_ms = now;
    rec->updated_ms = now;
    rec->seq = ++xs.seq;
    if (is_new)
        log->live++;
    if (log->n > 2 * log->live + 1024)
        xlog_compact(log);
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 64;
        log->e = fh_realloc(log->e, log->cap * sizeof(*log->e));
    }
    log->e[log->n++] = (struct xlog_entry){.ms = now, .seq = rec->seq, .rec = rec};
}

size_t xlog_lower_bound(const struct xlog *log, int64_t ms)
{
    size_t lo = 0, hi = log->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->e[mid].ms < ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- users ---- */
struct x_user *xs_user_add(const char *email, const char *password, const char *first,
                           const char *last)
{
    struct x_user *u = fh_calloc(1, sizeof(*u));
    sb_uuid(u->id);
    u->email = fh_strdup(email);
    u->password = fh_strdup(password);
    u->first = fh_strdup(first ? first : "Sandbox");
    u->last = fh_strdup(last ? last : "User");
    sb_map_put(&xs.users, u->id, u);
    char lower[256];
    fh_strlcpy(lower, email, sizeof(lower));
    for (char *p = lower; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    sb_map_put(&xs.users_by_email, lower, u);
    sb_vec_push(&xs.user_list, u);
    return u;
}

struct x_user *xs_user(const char *id_or_email)
{
    if (!id_or_email)
        return NULL;
    struct x_user *u = sb_map_get(&xs.users, id_or_email);
    if (u)
        return u;
    char lower[256];
    fh_strlcpy(lower, id_or_email, sizeof(lower));
    for (char *p = lower; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return sb_map_get(&xs.users_by_email, lower);
}

json_t *xs_user_json(const struct x_user *u)
{
    json_t *orgs = json_array();
    for (size_t i = 0; i < u->orgs.n; i++)
        json_array_append_new(orgs, json_string(((struct x_org *)u->orgs.v[i])->id));
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "user_id", u->id, "email", u->email, "first_name",
                     u->first, "last_name", u->last, "orgs", orgs);
}

/* ---- organisations ---- */
struct rate_def {
    const char *name, *type;
    int64_t rate;
};

static const struct rate_def nz_rates[] = {{"15% GST on Income", "OUTPUT2", 150000},
                                           {"15% GST on Expenses", "INPUT2", 150000},
                                           {"Zero Rated", "ZERORATED", 0},
                                           {"No GST", "NONE", 0}};
static const struct rate_def global_rates[] = {{"Tax on Sales 20%", "TAX001", 200000},
                                               {"Tax on Sales 10%", "TAX002", 100000},
                                               {"Tax on Purchases 20%", "TAX003", 200000},
                                               {"Tax Exempt", "NONE", 0}};

static void add_rate(struct x_org *o, const char *name, const char *type, int64_t rate, bool rev,
                     bool exp)
{
    o->rates = fh_realloc(o->rates, (o->nrates + 1) * sizeof(*o->rates));
    o->rates[o->nrates++] = (struct x_taxrate){fh_strdup(name), fh_strdup(type), rate, rev, exp};
}

static void add_account(struct x_org *o, const char *code, const char *name, const char *type,
                        const char *tax, bool pay)
{
    o->accounts = fh_realloc(o->accounts, (o->naccounts + 1) * sizeof(*o->accounts));
    struct x_account *a = &o->accounts[o->naccounts++];
    sb_uuid(a->id);
    a->code = fh_strdup(code);
    a->name = fh_strdup(name);
    a->type = fh_strdup(type);
    a->tax_type = fh_strdup(tax);
    a->payments = pay;
}

static enum fh_rc org_rates(struct x_org *o, json_t *rates, char *err, size_t errsize)
{
    if (!rates) {
        bool nz = strcmp(o->country, "NZ") == 0;
        const struct rate_def *d = nz ? nz_rates : global_rates;
        size_t n = nz ? FH_ARRAY_LEN(nz_rates) : FH_ARRAY_LEN(global_rates);
        for (size_t i = 0; i < n; i++)
            add_rate(o, d[i].name, d[i].type, d[i].rate, strstr(d[i].type, "IN") != d[i].type,
                     strstr(d[i].type, "OUT") != d[i].type);
        return FH_OK;
    }
    if (!json_is_array(rates) || json_array_size(rates) == 0 || json_array_size(rates) > 100) {
        snprintf(err, errsize, "tax_rates must be an array of 1 to 100 objects");
        return FH_E_INPUT;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rates, i, r)
    {
        const char *name = sbj_str(r, "Name"), *type = sbj_str(r, "TaxType");
        int64_t rate;
        if (!name || !type || !sbj_money(json_object_get(r, "Rate"), &rate) || rate < 0 ||
            rate > 1000000) {
            snprintf(err, errsize, "tax_rates[%zu] needs Name, TaxType and Rate (percent, 0..100)",
                     i);
            return FH_E_INPUT;
        }
        add_rate(o, name, type, rate, !json_is_false(json_object_get(r, "CanApplyToRevenue")),
                 !json_is_false(json_object_get(r, "CanApplyToExpenses")));
    }
    return FH_OK;
}

static void org_accounts(struct x_org *o)
{
    const char *out = o->nrates ? o->rates[0].type : "NONE";
    const char *in = "NONE";
    for (size_t i = 0; i < o->nrates; i++)
        if (o->rates[i].expenses && !o->rates[i].revenue)
            in = o->rates[i].type;
    add_account(o, "090", "Business Bank Account", "BANK", "NONE", true);
    add_account(o, "200", "Sales", "REVENUE", out, false);
    add_account(o, "260", "Other Revenue", "REVENUE", out, false);
    add_account(o, "310", "Cost of Goods Sold", "DIRECTCOSTS", in, false);
    add_account(o, "400", "Advertising", "OVERHEADS", in, false);
}

static const char *str_or(json_t *spec, const char *key, const char *dflt)
{
    const char *v = sbj_str(spec, key);
    return v && *v ? v : dflt;
}

struct x_org *xs_org_add(json_t *spec, char *err, size_t errsize)
{
    const char *name = sbj_str(spec, "name"), *id = sbj_str(spec, "id");
    if (!name || !*name || strlen(name) > 255) {
        snprintf(err, errsize, "name (1..255 characters) is required");
        return NULL;
    }
    if (id && (strlen(id) != 36 || sb_map_get(&xs.orgs, id))) {
        snprintf(err, errsize, "id must be a UUID not used by another organisation");
        return NULL;
    }
    struct x_org *o = fh_calloc(1, sizeof(*o));
    if (id)
        fh_strlcpy(o->id, id, sizeof(o->id));
    else
        sb_uuid(o->id);
    o->name = fh_strdup(name);
    o->legal_name = fh_strdup(str_or(spec, "legal_name", name));
    o->country = fh_strdup(str_or(spec, "country_code", "RS"));
    o->currency =
        fh_strdup(str_or(spec, "base_currency", strcmp(o->country, "NZ") == 0 ? "NZD" : "RSD"));
    o->version =
        fh_strdup(str_or(spec, "version", strcmp(o->country, "NZ") == 0 ? "NZ" : "GLOBAL"));
    o->timezone = fh_strdup(str_or(spec, "timezone",
                                   strcmp(o->country, "NZ") == 0 ? "NEWZEALANDSTANDARDTIME"
                                                                 : "CENTRALEUROPESTANDARDTIME"));
    o->tax_number = fh_strdup(str_or(spec, "tax_number", "101234567"));
    char code[8];
    snprintf(code, sizeof(code), "!%c%c%c%c%c", 'A' + (int)fh_random_uniform(26),
             'a' + (int)fh_random_uniform(26), 'A' + (int)fh_random_uniform(26),
             'a' + (int)fh_random_uniform(26), '0' + (int)fh_random_uniform(10));
    o->short_code = fh_strdup(str_or(spec, "short_code", code));
    o->created_ms = x_now_ms();
    o->next_inv = o->next_cn = 1;
    if (org_rates(o, json_object_get(spec, "tax_rates"), err, errsize) != FH_OK) {
        doc_free_org(o);
        return NULL;
    }
    org_accounts(o);
    sb_map_put(&xs.orgs, o->id, o);
    sb_vec_push(&xs.org_list, o);
    return o;
}

struct x_org *xs_org(const char *id)
{
    return id ? sb_map_get(&xs.orgs, id) : NULL;
}

const struct x_taxrate *xs_taxrate(const struct x_org *org, const char *type)
{
    for (size_t i = 0; type && i < org->nrates; i++)
        if (strcmp(org->rates[i].type, type) == 0)
            return &org->rates[i];
    return NULL;
}

json_t *xs_org_json(const struct x_org *o)
{
    json_t *rates = json_array();
    for (size_t i = 0; i < o->nrates; i++)
        json_array_append_new(rates,
                              json_pack("{s:s, s:s, s:o}", "Name", o->rates[i].name, "TaxType",
                                        o->rates[i].type, "Rate", sbj_num(o->rates[i].rate, 4)));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "tenant_id", o->id,
                     "name", o->name, "country_code", o->country, "base_currency", o->currency,
                     "short_code", o->short_code, "contacts", (json_int_t)o->contacts.live,
                     "invoices", (json_int_t)o->invoices.live, "credit_notes",
                     (json_int_t)o->credits.live, "tax_rates", rates, "limits",
                     sb_rl_override_json(&x_rl, o->id));
}

/* ---- apps ---- */
static bool redirect_ok(const char *u)
{
    if (strchr(u, '*') || strchr(u, '#') || strlen(u) > 2000)
        return false;
    if (fh_starts_with(u, "https://"))
        return strlen(u) > 8;
    return fh_starts_with(u, "http://localhost") || fh_starts_with(u, "http://127.0.0.1") ||
           fh_starts_with(u, "http://[::1]");
}

static enum fh_rc string_list(json_t *arr, struct sb_vec *out, size_t max, const char *what,
                              char *err, size_t errsize)
{
    if (!arr)
        return FH_OK;
    if (!json_is_array(arr) || json_array_size(arr) > max) {
        snprintf(err, errsize, "%s must be an array of at most %zu strings", what, max);
        return FH_E_INPUT;
    }
    for (size_t i = 0; i < out->n; i++)
        free(out->v[i]);
    out->n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) ||
            (strcmp(what, "redirect_uris") == 0 && !redirect_ok(json_string_value(v)))) {
            snprintf(
                err, errsize,
                "%s[%zu] is not allowed (redirect URIs: https, or http on localhost; no wildcards)",
                what, i);
            return FH_E_INPUT;
        }
        sb_vec_push(out, fh_strdup(json_string_value(v)));
    }
    return FH_OK;
}

enum fh_rc xs_app_update(struct x_app *a, json_t *spec, char *err, size_t errsize)
{
    const char *name = sbj_str(spec, "name");
    json_t *url = json_object_get(spec, "webhook_url"), *key = json_object_get(spec, "webhook_key");
    if ((url && !json_is_string(url) && !json_is_null(url)) || (key && !json_is_string(key))) {
        snprintf(err, errsize, "webhook_url must be a string or null, webhook_key a string");
        return FH_E_INPUT;
    }
    if (json_is_string(url) && !fh_starts_with(json_string_value(url), "http://") &&
        !fh_starts_with(json_string_value(url), "https://")) {
        snprintf(err, errsize, "webhook_url must be an http(s) URL");
        return FH_E_INPUT;
    }
    if (string_list(json_object_get(spec, "redirect_uris"), &a->redirect_uris, 50, "redirect_uris",
                    err, errsize) ||
        string_list(json_object_get(spec, "denied_scopes"), &a->denied_scopes, 100, "denied_scopes",
                    err, errsize))
        return FH_E_INPUT;
    if (name) {
        free(a->name);
        a->name = fh_strdup(name);
    }
    if (json_is_string(key)) {
        free(a->webhook_key);
        a->webhook_key = fh_strdup(json_string_value(key));
    }
    if (url || json_is_string(key) || json_object_get(spec, "webhook_categories")) {
        if (url) {
            free(a->webhook_url);
            a->webhook_url = json_is_string(url) ? fh_strdup(json_string_value(url)) : NULL;
        }
        if (!a->webhook_key) {
            char k[90];
            fh_random_token(48, k, sizeof(k));
            a->webhook_key = fh_strdup(k);
        }
        wh_configure(a->client_id, a->webhook_url, a->webhook_key,
                     json_object_get(spec, "webhook_categories"));
    }
    return FH_OK;
}

static void app_free(struct x_app *a)
{
    for (size_t i = 0; i < a->redirect_uris.n; i++)
        free(a->redirect_uris.v[i]);
    for (size_t i = 0; i < a->denied_scopes.n; i++)
        free(a->denied_scopes.v[i]);
    sb_vec_free(&a->redirect_uris);
    sb_vec_free(&a->denied_scopes);
    free(a->secret);
    free(a->name);
    free(a->webhook_url);
    free(a->webhook_key);
    free(a);
}

struct x_app *xs_app_add(json_t *spec, char *err, size_t errsize)
{
    const char *id = sbj_str(spec, "client_id");
    json_t *secret = json_object_get(spec, "client_secret");
    bool pkce = json_is_true(json_object_get(spec, "pkce"));
    if (id && (strlen(id) < 8 || strlen(id) > 39 || sb_map_get(&xs.apps, id))) {
        snprintf(err, errsize, "client_id must have 8..39 characters and be unused");
        return NULL;
    }
    if ((secret && !json_is_string(secret)) || (pkce && secret)) {
        snprintf(err, errsize, "client_secret must be a string, and a PKCE app has none");
        return NULL;
    }
    struct x_app *a = fh_calloc(1, sizeof(*a));
    if (id)
        fh_strlcpy(a->client_id, id, sizeof(a->client_id));
    else
        sb_hex(16, a->client_id, sizeof(a->client_id), true);
    if (!pkce) {
        char s[72];
        fh_random_token(36, s, sizeof(s));
        a->secret = fh_strdup(secret ? json_string_value(secret) : s);
    }
    a->name = fh_strdup("Sandbox App");
    a->created_ms = x_now_ms();
    json_t *check = json_deep_copy(spec); /* validate everything before the app exists */
    json_object_del(check, "webhook_url");
    json_object_del(check, "webhook_key");
    json_object_del(check, "webhook_categories");
    json_t *url = json_object_get(spec, "webhook_url");
    bool bad_url = url && !json_is_null(url) &&
                   (!json_is_string(url) || (!fh_starts_with(json_string_value(url), "http://") &&
                                             !fh_starts_with(json_string_value(url), "https://")));
    enum fh_rc rc = bad_url ? FH_E_INPUT : xs_app_update(a, check, err, errsize);
    json_decref(check);
    if (bad_url)
        snprintf(err, errsize, "webhook_url must be an http(s) URL");
    if (rc != FH_OK) {
        app_free(a);
        return NULL;
    }
    sb_map_put(&xs.apps, a->client_id, a);
    sb_vec_push(&xs.app_list, a);
    xs_app_update(a, spec, err, errsize); /* the webhook part, now that the app is registered */
    return a;
}

struct x_app *xs_app(const char *client_id)
{
    return client_id ? sb_map_get(&xs.apps, client_id) : NULL;
}

json_t *xs_app_json(const struct x_app *a, bool secret)
{
    json_t *uris = json_array(), *denied = json_array();
    for (size_t i = 0; i < a->redirect_uris.n; i++)
        json_array_append_new(uris, json_string(a->redirect_uris.v[i]));
    for (size_t i = 0; i < a->denied_scopes.n; i++)
        json_array_append_new(denied, json_string(a->denied_scopes.v[i]));
    json_t *j = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "client_id", a->client_id, "name",
                          a->name, "pkce", a->secret == NULL, "redirect_uris", uris,
                          "denied_scopes", denied, "webhook_url", sbj_nullable(a->webhook_url));
    if (secret) {
        json_object_set_new(j, "client_secret", sbj_nullable(a->secret));
        json_object_set_new(j, "webhook_key", sbj_nullable(a->webhook_key));
    }
    return j;
}

/* ---- reset, demo, life cycle ---- */
static void free_everything(void)
{
    tok_free_all();
    doc_free_all();
    for (size_t i = 0; i < xs.app_list.n; i++)
        app_free(xs.app_list.v[i]);
    for (size_t i = 0; i < xs.user_list.n; i++) {
        struct x_user *u = xs.user_list.v[i];
        free(u->email);
        free(u->password);
        free(u->first);
        free(u->last);
        sb_vec_free(&u->orgs);
        free(u);
    }
    for (size_t i = 0; i < xs.org_list.n; i++)
        doc_free_org(xs.org_list.v[i]);
    sb_vec_free(&xs.app_list);
    sb_vec_free(&xs.user_list);
    sb_vec_free(&xs.org_list);
    sb_map_free(&xs.apps);
    sb_map_free(&xs.users);
    sb_map_free(&xs.users_by_email);
    sb_map_free(&xs.orgs);
}

static void demo_invoice(struct x_org *o, const char *contact, const char *desc, const char *tax,
                         double amount, const char *status)
{
    char err[200];
    json_t *spec =
        json_pack("{s:s, s:{s:s}, s:s, s:[{s:s, s:i, s:f, s:s, s:s}]}", "Type", "ACCREC", "Contact",
                  "Name", contact, "Status", status, "LineItems", "Description", desc, "Quantity",
                  1, "UnitAmount", amount, "AccountCode", "200", "TaxType", tax);
    doc_invoice_add(o, spec, false, err, sizeof(err));
    json_decref(spec);
}

static void demo(void)
{
    char err[200];
    struct x_user *u = xs_user_add(
        "demo@example.com", opts.demo_password ? opts.demo_password : "sandbox", "Demo", "User");
    json_t *s1 = json_pack("{s:s, s:s, s:s}", "name", "Demo Company (RS)", "country_code", "RS",
                           "short_code", "!DemRS");
    json_t *s2 = json_pack("{s:s, s:s, s:s}", "name", "Demo Company (NZ)", "country_code", "NZ",
                           "short_code", "!DemNZ");
    struct x_org *rs = xs_org_add(s1, err, sizeof(err)), *nz = xs_org_add(s2, err, sizeof(err));
    json_decref(s1);
    json_decref(s2);
    sb_vec_push(&u->orgs, rs);
    sb_vec_push(&u->orgs, nz);
    json_t *uris = json_array();
    const char *list = opts.demo_redirect_uris ? opts.demo_redirect_uris
                                               : "http://127.0.0.1:8080/oauth/xero/callback,"
                                                 "http://localhost:8080/oauth/xero/callback";
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char *one = fh_strndup(p, n);
        json_array_append_new(uris, json_string(one));
        free(one);
        p += n + (p[n] == ',');
    }
    json_t *app =
        json_pack("{s:s, s:s, s:s, s:o}", "name", "fiscalhub (sandbox demo)", "client_id",
                  opts.demo_client_id ? opts.demo_client_id : "D3A0D3A0D3A0D3A0D3A0D3A0D3A00001",
                  "client_secret",
                  opts.demo_client_secret ? opts.demo_client_secret : "sandbox-demo-client-secret",
                  "redirect_uris", uris);
    if (opts.demo_webhook_url)
        json_object_set_new(app, "webhook_url", json_string(opts.demo_webhook_url));
    if (opts.demo_webhook_key)
        json_object_set_new(app, "webhook_key", json_string(opts.demo_webhook_key));
    if (!xs_app_add(app, err, sizeof(err)))
        fh_log(FH_LOG_WARN, "xero", "demo app: %s", err);
    json_decref(app);
    demo_invoice(rs, "Kafeterija d.o.o.", "Espresso machine service", "TAX001", 12000.0,
                 "AUTHORISED");
    demo_invoice(rs, "Knjizara Plato", "Books", "TAX002", 3450.5, "AUTHORISED");
    demo_invoice(rs, "Kafeterija d.o.o.", "Coffee beans, 5 kg", "TAX001", 8400.0, "DRAFT");
    demo_invoice(nz, "Ridgeway University", "Consulting", "OUTPUT2", 500.0, "AUTHORISED");
}

void xs_reset(bool with_demo)
{
    free_everything();
    wh_reset();
    sb_rl_reset(&x_rl);
    sb_faults_reset(&x_faults);
    memset(&xs.lost, 0, sizeof(xs.lost));
    memset(&xs.stale, 0, sizeof(xs.stale));
    memset(&xs.cut, 0, sizeof(xs.cut));
    sb_stats_reset(&x_stats);
    xs.seq = 0;
    char url[256];
    fh_strlcpy(url, xs.set.public_url, sizeof(url));
    default_settings(&xs.set, url);
    randombytes_buf(xs.jwt_key, sizeof(xs.jwt_key));
    if (with_demo)
        demo();
}

void xs_init(const struct fh_xero_opts *o, const char *public_url)
{
    opts = *o;
    xs_lock();
    default_settings(&xs.set, public_url);
    xs_reset(true);
    xs_unlock();
}

void xs_free(void)
{
    xs_lock();
    free_everything();
    xs_unlock();
}
