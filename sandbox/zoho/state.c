/* state.c - the Zoho emulator's memory: one mutex over everything (zs.lock), the settings, the
 * data centres, sandbox users, organizations and API clients, reset and the demo data.
 *
 * Lock order: zs.lock, then the locks of z_rl, z_faults, z_stats (../common/) and of the
 * webhook worker (webhooks.c), which never take zs.lock themselves. Objects live until reset;
 * handlers look them up by id under the lock and never keep pointers past unlocking. Every
 * collection is bounded (users, organizations, clients, invoices and credit notes together,
 * tokens per consent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "zoho_internal.h"

struct z_state zs = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct fh_zoho_opts opts;
static int64_t next_org = 60010000001LL;

void zs_lock(void)
{
    pthread_mutex_lock(&zs.lock);
}

void zs_unlock(void)
{
    pthread_mutex_unlock(&zs.lock);
}

void zs_new_id(char out[Z_ID])
{
    snprintf(out, Z_ID, "%lld", (long long)zs.next_id++);
}

/* ---- data centres (specs/zoho-books.md §1.1; UK's host names are a guess there) ---- */
static const struct z_dc dcs[] = {
    {"com", "us", "https://accounts.zoho.com"},
    {"eu", "eu", "https://accounts.zoho.eu"},
    {"in", "in", "https://accounts.zoho.in"},
    {"com.au", "au", "https://accounts.zoho.com.au"},
    {"jp", "jp", "https://accounts.zoho.jp"},
    {"ca", "ca", "https://accounts.zohocloud.ca"},
    {"com.cn", "cn", "https://accounts.zoho.com.cn"},
    {"sa", "sa", "https://accounts.zoho.sa"},
    {"uk", "uk", "https://accounts.zoho.uk"},
};

const struct z_dc *z_dc_list(size_t *n)
{
    *n = FH_ARRAY_LEN(dcs);
    return dcs;
}

const struct z_dc *z_dc_by_id(const char *id)
{
    for (size_t i = 0; id && i < FH_ARRAY_LEN(dcs); i++)
        if (strcmp(dcs[i].id, id) == 0)
            return &dcs[i];
    return NULL;
}

const struct z_dc *z_dc_by_location(const char *location)
{
    for (size_t i = 0; location && i < FH_ARRAY_LEN(dcs); i++)
        if (strcmp(dcs[i].location, location) == 0)
            return &dcs[i];
    return NULL;
}

void z_accounts_url(const struct z_dc *dc, char *out, size_t n)
{
    snprintf(out, n, "%s/accounts/%s", zs.set.public_url, dc->id);
}

void z_api_domain(const struct z_dc *dc, char *out, size_t n)
{
    snprintf(out, n, "%s/apis/%s", zs.set.public_url, dc->id);
}

/* ---- plans (specs/zoho-books.md §3) ---- */
static const struct {
    const char *name;
    int64_t day;
} plans[] = {{"free", 1000},     {"standard", 2000}, {"professional", 5000},
             {"premium", 10000}, {"elite", 10000},   {"ultimate", 10000}};

const char *z_plan_name(enum z_plan p)
{
    return plans[p].name;
}

bool z_plan_parse(const char *s, enum z_plan *out)
{
    for (size_t i = 0; s && i < FH_ARRAY_LEN(plans); i++) {
        if (strcmp(plans[i].name, s) == 0) {
            *out = (enum z_plan)i;
            return true;
        }
    }
    return false;
}

int64_t zs_day_limit(const struct z_org *o)
{
    return zs.set.day_limit > 0 ? zs.set.day_limit : plans[o->plan].day;
}

int64_t zs_concurrency(const struct z_org *o)
{
    return o->plan == ZP_FREE ? zs.set.conc_free : zs.set.conc_paid;
}

static void default_settings(struct z_settings *s, const char *public_url)
{
    memset(s, 0, sizeof(*s));
    s->time_scale = opts.time_scale > 0 ? opts.time_scale : 1;
    fh_strlcpy(s->public_url, public_url, sizeof(s->public_url));
    s->code_lifetime_s = 120;
    s->access_lifetime_s = 3600;
    s->refresh_cap = 20;
    s->access_per_refresh = 10;
    s->mint_limit = 10;
    s->mint_window_s = 600;
    s->grant_limit = 10;
    s->grant_window_s = 600;
    s->token_error_status = 200;
    s->accept_fullaccess = true;
    s->lim_minute = 100;
    s->day_limit = opts.day_limit;
    s->conc_free = 5;
    s->conc_paid = 10;
    s->rate_limit_code = 44;
    s->customfield_fires_edit = true;
    s->payment_fires_edit = true;
    s->max_attachments = 5;
    s->max_attachment_bytes = 10 * 1024 * 1024;
    s->webhook_timeout_ms = 10000;
    s->webhook_retry_s = 300;
    s->max_invoices = opts.max_invoices > 0 ? opts.max_invoices : 100000;
}

const char *z_secret_at(const struct z_client *c, const struct z_dc *dc)
{
    const char *s = sbj_str(c->dc_secrets, dc->id);
    return s ? s : c->secret;
}

/* ---- users ---- */
static void lower(char *out, size_t n, const char *s)
{
    fh_strlcpy(out, s, n);
    for (char *p = out; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
}

struct z_user *zs_user(const char *id_or_email)
{
    if (!id_or_email)
        return NULL;
    struct z_user *u = sb_map_get(&zs.users, id_or_email);
    char key[256];
    lower(key, sizeof(key), id_or_email);
    return u ? u : sb_map_get(&zs.users_by_email, key);
}

bool zs_user_has_org(const struct z_user *u, const struct z_org *o)
{
    for (size_t i = 0; u && i < u->orgs.n; i++)
        if (u->orgs.v[i] == o)
            return true;
    return false;
}

enum fh_rc zs_link(struct z_user *u, struct z_org *o, char *err, size_t errsize)
{
    if (u->dc != o->dc) {
        snprintf(err, errsize, "organization %s is in data centre %s, the user in %s", o->id,
                 o->dc->id, u->dc->id);
        return FH_E_CONFLICT;
    }
    if (!zs_user_has_org(u, o))
        sb_vec_push(&u->orgs, o);
    return FH_OK;
}

static const struct z_dc *dc_of(json_t *spec, const char *dflt)
{
    const char *d = sbj_str(spec, "dc");
    if (!d)
        return z_dc_by_id(dflt);
    const struct z_dc *dc = z_dc_by_id(d);
    return dc ? dc : z_dc_by_location(d);
}

/* Checks that every id of orgs (users) names an organization (user) in dc. */
static bool all_in_dc(json_t *list, bool orgs, const struct z_dc *dc, char *err, size_t errsize)
{
    size_t i;
    json_t *v;
    if (list && !json_is_array(list)) {
        snprintf(err, errsize, "%s must be an array of ids", orgs ? "orgs" : "users");
        return false;
    }
    json_array_foreach(list, i, v)
    {
        const char *id = json_string_value(v);
        const struct z_org *o = orgs ? zs_org(id) : NULL;
        const struct z_user *u = orgs ? NULL : zs_user(id);
        if ((orgs && (!o || o->dc != dc)) || (!orgs && (!u || u->dc != dc))) {
            snprintf(err, errsize, "%s[%zu] is not %s in data centre %s", orgs ? "orgs" : "users",
                     i, orgs ? "an organization" : "a user", dc->id);
            return false;
        }
    }
    return true;
}

struct z_user *zs_user_add(json_t *spec, char *err, size_t errsize)
{
    const char *email = sbj_str(spec, "email"), *password = sbj_str(spec, "password");
    const char *name = sbj_str(spec, "name");
    const struct z_dc *dc = dc_of(spec, "com");
    json_t *orgs = json_object_get(spec, "orgs");
    if (!email || !strchr(email, '@') || strlen(email) > 200 || !password || !*password ||
        strlen(password) > 200 || !dc || (orgs && !json_is_array(orgs))) {
        snprintf(err, errsize,
                 "email, password (1..200 characters), dc (a data centre id or "
                 "location) and orgs (an array of ids) are needed");
        return NULL;
    }
    if (zs_user(email) || zs.user_list.n >= Z_MAX_USERS) {
        snprintf(err, errsize, "a user with that email exists (or there are too many users)");
        return NULL;
    }
    if (!all_in_dc(orgs, true, dc, err, errsize))
        return NULL;
    struct z_user *u = fh_calloc(1, sizeof(*u));
    zs_new_id(u->id);
    u->email = fh_strdup(email);
    u->password = fh_strdup(password);
    u->name = fh_strdup(name ? name : "Sandbox User");
    u->dc = dc;
    sb_map_put(&zs.users, u->id, u);
    char key[256];
    lower(key, sizeof(key), email);
    sb_map_put(&zs.users_by_email, key, u);
    sb_vec_push(&zs.user_list, u);
    size_t i;
    json_t *v;
    json_array_foreach(orgs, i, v) zs_link(u, zs_org(json_string_value(v)), err, errsize);
    return u;
}

json_t *zs_user_json(const struct z_user *u)
{
    json_t *orgs = json_array();
    for (size_t i = 0; i < u->orgs.n; i++)
        json_array_append_new(orgs, json_string(((struct z_org *)u->orgs.v[i])->id));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "user_id", u->id, "email", u->email, "name",
                     u->name, "dc", u->dc->id, "location", u->dc->location, "orgs", orgs);
}

/* ---- organizations ---- */
static const char *str_or(json_t *spec, const char *key, const char *dflt)
{
    const char *v = sbj_str(spec, key);
    return v && *v ? v : dflt;
}

static enum fh_rc org_taxes(struct z_org *o, json_t *taxes, char *err, size_t errsize)
{
    if (!taxes) {
        zm_tax_add(o, "VAT", 200000);
        zm_tax_add(o, "Reduced VAT", 100000);
        zm_tax_add(o, "Zero Rate", 0);
        return FH_OK;
    }
    if (!json_is_array(taxes) || json_array_size(taxes) > 50) {
        snprintf(err, errsize, "taxes must be an array of at most 50 objects");
        return FH_E_INPUT;
    }
    size_t i;
    json_t *t;
    json_array_foreach(taxes, i, t)
    {
        const char *name = sbj_str(t, "tax_name");
        int64_t pct;
        if (!name || !*name || !sbj_money(json_object_get(t, "tax_percentage"), &pct) || pct < 0 ||
            pct > 1000000) {
            snprintf(err, errsize, "taxes[%zu] needs tax_name and tax_percentage (0..100)", i);
            return FH_E_INPUT;
        }
        zm_tax_add(o, name, pct);
    }
    return FH_OK;
}

static enum fh_rc org_check(json_t *spec, const struct z_dc **dc, enum z_plan *plan, int *offset,
                            char *err, size_t errsize)
{
    const char *name = sbj_str(spec, "name"), *id = sbj_str(spec, "id");
    *dc = dc_of(spec, "com");
    *plan = ZP_STANDARD;
    *offset = 0;
    if (!name || !*name || strlen(name) > 200 || !*dc ||
        (sbj_str(spec, "plan") && !z_plan_parse(sbj_str(spec, "plan"), plan)) ||
        (sbj_str(spec, "utc_offset") && !z_parse_offset(sbj_str(spec, "utc_offset"), offset))) {
        snprintf(err, errsize,
                 "name (1..200 characters), dc (com, eu, in, com.au, jp, ca, com.cn, sa, uk), "
                 "plan (free, standard, professional, premium, elite, ultimate) and utc_offset "
                 "(+0100) are needed");
        return FH_E_INPUT;
    }
    if ((id && (strlen(id) < 5 || strlen(id) > 19 || strspn(id, "0123456789") != strlen(id) ||
                zs_org(id))) ||
        zs.org_list.n >= Z_MAX_ORGS) {
        snprintf(err, errsize, "id must be 5..19 digits not used by another organization");
        return FH_E_INPUT;
    }
    return FH_OK;
}

struct z_org *zs_org_add(json_t *spec, char *err, size_t errsize)
{
    const struct z_dc *dc;
    enum z_plan plan;
    int offset;
    if (org_check(spec, &dc, &plan, &offset, err, errsize) != FH_OK ||
        !all_in_dc(json_object_get(spec, "users"), false, dc, err, errsize))
        return NULL;
    struct z_org *o = fh_calloc(1, sizeof(*o));
    if (sbj_str(spec, "id"))
        fh_strlcpy(o->id, sbj_str(spec, "id"), sizeof(o->id));
    else
        snprintf(o->id, sizeof(o->id), "%lld", (long long)next_org++);
    o->dc = dc;
    o->plan = plan;
    o->offset_min = offset;
    o->name = fh_strdup(sbj_str(spec, "name"));
    o->currency = fh_strdup(str_or(spec, "currency_code", strcmp(dc->id, "com") ? "EUR" : "USD"));
    o->currency_symbol = fh_strdup(strcmp(o->currency, "EUR") == 0   ? "€"
                                   : strcmp(o->currency, "USD") == 0 ? "$"
                                                                     : o->currency);
    o->time_zone = fh_strdup(str_or(spec, "time_zone", "Etc/UTC"));
    o->email = fh_strdup(str_or(spec, "email", "books@example.com"));
    o->created_ms = z_now_ms();
    o->next_number = 1;
    o->next_cn_number = 1;
    if (org_taxes(o, json_object_get(spec, "taxes"), err, errsize) != FH_OK) {
        zm_free_org(o);
        return NULL;
    }
    zm_cfdef_add(o, "Fiscal reference", "cf_fiscal_reference");
    sb_map_put(&zs.orgs, o->id, o);
    sb_vec_push(&zs.org_list, o);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(spec, "users"), i, v)
        zs_link(zs_user(json_string_value(v)), o, err, errsize);
    return o;
}

struct z_org *zs_org(const char *id)
{
    return id ? sb_map_get(&zs.orgs, id) : NULL;
}

json_t *zs_org_json(const struct z_org *o)
{
    json_t *cfs = json_array();
    for (size_t i = 0; i < o->cfdefs.n; i++) {
        const struct z_cfdef *d = o->cfdefs.v[i];
        json_array_append_new(cfs, json_pack("{s:s, s:s, s:s}", "customfield_id", d->id, "label",
                                             d->label, "api_name", d->api_name));
    }
    json_t *taxes = json_array();
    for (size_t i = 0; i < o->taxes.n; i++)
        json_array_append_new(taxes, zr_tax(o->taxes.v[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:o, s:o, s:o}",
                     "organization_id", o->id, "name", o->name, "dc", o->dc->id, "plan",
                     z_plan_name(o->plan), "currency_code", o->currency, "day_limit",
                     (json_int_t)zs_day_limit(o), "concurrency", (json_int_t)zs_concurrency(o),
                     "invoices", (json_int_t)o->invoices.n, "creditnotes",
                     (json_int_t)o->creditnotes.n, "time_zone", o->time_zone, "utc_offset_minutes",
                     (json_int_t)o->offset_min, "taxes", taxes, "custom_fields", cfs, "limits",
                     sb_rl_override_json(&z_rl, o->id));
}

/* ---- clients ---- */
static bool uri_ok(const char *u)
{
    return (fh_starts_with(u, "https://") || fh_starts_with(u, "http://")) && strlen(u) > 8 &&
           strlen(u) <= 2000 && !strchr(u, '#') && !strchr(u, '*');
}

enum fh_rc zs_client_update(struct z_client *c, json_t *spec, char *err, size_t errsize)
{
    json_t *uris = json_object_get(spec, "redirect_uris"),
           *dcs_ = json_object_get(spec, "dc_secrets");
    const char *name = sbj_str(spec, "name"), *secret = sbj_str(spec, "client_secret");
    size_t i;
    json_t *v;
    const char *k;
    bool ok = (!uris || (json_is_array(uris) && json_array_size(uris) <= 20)) &&
              (!dcs_ || json_is_object(dcs_)) && (!secret || (*secret && strlen(secret) < 200));
    json_array_foreach(uris, i, v) ok = ok && json_is_string(v) && uri_ok(json_string_value(v));
    json_object_foreach(dcs_, k, v) ok = ok && z_dc_by_id(k) && json_is_string(v);
    if (!ok) {
        snprintf(err, errsize,
                 "redirect_uris: at most 20 http(s) URLs without fragments; "
                 "dc_secrets: {<dc id>: secret}; client_secret: a string");
        return FH_E_INPUT;
    }
    if (uris) {
        for (size_t j = 0; j < c->redirect_uris.n; j++)
            free(c->redirect_uris.v[j]);
        c->redirect_uris.n = 0;
        json_array_foreach(uris, i, v)
            sb_vec_push(&c->redirect_uris, fh_strdup(json_string_value(v)));
    }
    if (dcs_) {
        json_decref(c->dc_secrets);
        c->dc_secrets = json_deep_copy(dcs_);
    }
    if (name) {
        free(c->name);
        c->name = fh_strdup(name);
    }
    if (secret) {
        free(c->secret);
        c->secret = fh_strdup(secret);
    }
    return FH_OK;
}

static void client_free(struct z_client *c)
{
    for (size_t i = 0; i < c->redirect_uris.n; i++)
        free(c->redirect_uris.v[i]);
    sb_vec_free(&c->redirect_uris);
    json_decref(c->dc_secrets);
    free(c->secret);
    free(c->name);
    free(c);
}

struct z_client *zs_client_add(json_t *spec, char *err, size_t errsize)
{
    const char *id = sbj_str(spec, "client_id");
    if ((id && (strlen(id) < 8 || strlen(id) > 47 || zs_client(id))) ||
        zs.client_list.n >= Z_MAX_CLIENTS) {
        snprintf(err, errsize, "client_id must have 8..47 characters and be unused");
        return NULL;
    }
    struct z_client *c = fh_calloc(1, sizeof(*c));
    if (id) {
        fh_strlcpy(c->client_id, id, sizeof(c->client_id));
    } else {
        char h[40];
        sb_hex(15, h, sizeof(h), true);
        snprintf(c->client_id, sizeof(c->client_id), "1000.%s", h);
    }
    char s[90];
    sb_hex(21, s, sizeof(s), false);
    c->secret = fh_strdup(s);
    c->name = fh_strdup("Sandbox Client");
    c->dc_secrets = json_object();
    if (zs_client_update(c, spec, err, errsize) != FH_OK) {
        client_free(c);
        return NULL;
    }
    sb_map_put(&zs.clients, c->client_id, c);
    sb_vec_push(&zs.client_list, c);
    return c;
}

struct z_client *zs_client(const char *client_id)
{
    return client_id ? sb_map_get(&zs.clients, client_id) : NULL;
}

json_t *zs_client_json(const struct z_client *c)
{
    json_t *uris = json_array();
    for (size_t i = 0; i < c->redirect_uris.n; i++)
        json_array_append_new(uris, json_string(c->redirect_uris.v[i]));
    return json_pack("{s:s, s:s, s:s, s:o, s:O}", "client_id", c->client_id, "client_secret",
                     c->secret, "name", c->name, "redirect_uris", uris, "dc_secrets",
                     c->dc_secrets);
}

/* ---- reset, demo, life cycle ---- */
static void free_everything(void)
{
    ztok_free_all();
    zconsent_free_all();
    for (size_t i = 0; i < zs.client_list.n; i++)
        client_free(zs.client_list.v[i]);
    for (size_t i = 0; i < zs.user_list.n; i++) {
        struct z_user *u = zs.user_list.v[i];
        free(u->email);
        free(u->password);
        free(u->name);
        sb_vec_free(&u->orgs);
        free(u);
    }
    for (size_t i = 0; i < zs.org_list.n; i++)
        zm_free_org(zs.org_list.v[i]);
    sb_vec_free(&zs.client_list);
    sb_vec_free(&zs.user_list);
    sb_vec_free(&zs.org_list);
    sb_map_free(&zs.clients);
    sb_map_free(&zs.users);
    sb_map_free(&zs.users_by_email);
    sb_map_free(&zs.orgs);
    sb_map_free(&zs.invoices);
    sb_map_free(&zs.contacts);
    sb_map_free(&zs.creditnotes);
    zs.ninvoices = 0;
    zs.ncreditnotes = 0;
}

static void demo_invoice(struct z_org *o, const char *customer, const char *item, double rate,
                         const char *tax, bool sent)
{
    char err[200];
    json_t *spec = json_pack("{s:s, s:s, s:[{s:s, s:f, s:i, s:s}]}", "customer_name", customer,
                             "status", sent ? "sent" : "draft", "line_items", "name", item, "rate",
                             rate, "quantity", 1, "tax_name", tax);
    if (!zm_invoice_add(o, spec, err, sizeof(err)))
        fh_log(FH_LOG_WARN, "zoho", "demo invoice: %s", err);
    json_decref(spec);
}

static json_t *split_list(const char *list)
{
    json_t *arr = json_array();
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char *one = fh_strndup(p, n);
        json_array_append_new(arr, json_string(one));
        free(one);
        p += n + (p[n] == ',');
    }
    return arr;
}

static void demo_client(void)
{
    char err[200];
    const char *uris = opts.demo_redirect_uris ? opts.demo_redirect_uris
                                               : "http://127.0.0.1:8080/oauth/zoho/callback,"
                                                 "http://localhost:8080/oauth/zoho/callback";
    json_t *c = json_pack(
        "{s:s, s:s, s:s, s:o}", "name", "fiscalhub (sandbox demo)", "client_id",
        opts.demo_client_id ? opts.demo_client_id : "1000.FISCALHUBSANDBOXDEMOCLIENT01",
        "client_secret",
        opts.demo_client_secret ? opts.demo_client_secret : "sandbox-demo-zoho-client-secret",
        "redirect_uris", split_list(uris));
    if (!zs_client_add(c, err, sizeof(err)))
        fh_log(FH_LOG_WARN, "zoho", "demo client: %s", err);
    json_decref(c);
}

static struct z_org *demo_org(const char *id, const char *name, const char *dc, const char *plan,
                              const char *offset, const char *tz)
{
    char err[200];
    json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name, "dc", dc,
                          "plan", plan, "utc_offset", offset, "time_zone", tz);
    struct z_org *o = zs_org_add(s, err, sizeof(err));
    json_decref(s);
    return o;
}

static void demo(void)
{
    char err[200];
    const char *pw = opts.demo_password ? opts.demo_password : "sandbox";
    json_t *s1 = json_pack("{s:s, s:s, s:s, s:s}", "email", "demo@example.com", "password", pw,
                           "name", "Demo User", "dc", "eu");
    json_t *s2 = json_pack("{s:s, s:s, s:s, s:s}", "email", "demo-us@example.com", "password", pw,
                           "name", "Demo User (US)", "dc", "com");
    struct z_user *eu = zs_user_add(s1, err, sizeof(err)), *us = zs_user_add(s2, err, sizeof(err));
    json_decref(s1);
    json_decref(s2);
    struct z_org *a =
        demo_org("20090000001", "Demo Company (EU)", "eu", "standard", "+0100", "Europe/Belgrade");
    struct z_org *b =
        demo_org("20090000002", "Demo Trading (EU)", "eu", "free", "+0100", "Europe/Belgrade");
    struct z_org *c =
        demo_org("20090000003", "Demo Inc (US)", "com", "professional", "-0800", "PST");
    zs_link(eu, a, err, sizeof(err));
    zs_link(eu, b, err, sizeof(err));
    zs_link(us, c, err, sizeof(err));
    demo_client();
    demo_invoice(a, "Kafeterija d.o.o.", "Espresso machine service", 12000.0, "VAT", true);
    demo_invoice(a, "Knjizara Plato", "Books", 3450.5, "Reduced VAT", true);
    demo_invoice(a, "Kafeterija d.o.o.", "Coffee beans, 5 kg", 8400.0, "VAT", false);
    demo_invoice(c, "Ridgeway University", "Consulting", 500.0, "VAT", true);
    if (opts.demo_webhook_url) {
        json_t *w = json_pack("{s:s, s:s, s:[s, s]}", "url", opts.demo_webhook_url, "secret",
                              opts.demo_webhook_secret ? opts.demo_webhook_secret
                                                       : "sandboxdemowebhooksecret1",
                              "events", "create", "edit");
        if (zwh_configure(a, w, err, sizeof(err)) != FH_OK)
            fh_log(FH_LOG_WARN, "zoho", "demo webhook: %s", err);
        json_decref(w);
    }
}

void zs_reset(bool with_demo)
{
    free_everything();
    zwh_reset();
    sb_rl_reset(&z_rl);
    sb_faults_reset(&z_faults);
    sb_stats_reset(&z_stats);
    zs.next_id = 460000000010001LL;
    next_org = 60010000001LL;
    char url[256];
    fh_strlcpy(url, zs.set.public_url, sizeof(url));
    default_settings(&zs.set, url);
    zwh_settings(&zs.set);
    if (with_demo)
        demo();
}

void zs_init(const struct fh_zoho_opts *o, const char *public_url)
{
    opts = *o;
    zs_lock();
    default_settings(&zs.set, public_url);
    zs_reset(true);
    zs_unlock();
}

void zs_free(void)
{
    zs_lock();
    free_everything();
    zs_unlock();
}
