/* control.c - the Zoho emulator's control API for tests and demos: settings, reset, users,
 * organizations (data centre, plan, limits, workflow webhook, custom fields), API clients,
 * consents and tokens "from Zoho's side", statistics, faults (every endpoint is described in
 * docs/internals/zoho-sandbox.md; invoices are in control_inv.c). JSON in and out; errors are
 * {"error": "..."}. No authentication: the sandbox listens on 127.0.0.1 and exists for tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoho_internal.h"

static json_t *settings_json(void)
{
    const struct z_settings *s = &zs.set;
    json_t *j = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "time_scale",
        (json_int_t)s->time_scale, "code_lifetime_s", (json_int_t)s->code_lifetime_s,
        "access_lifetime_s", (json_int_t)s->access_lifetime_s, "refresh_cap",
        (json_int_t)s->refresh_cap, "access_per_refresh", (json_int_t)s->access_per_refresh,
        "mint_limit", (json_int_t)s->mint_limit, "mint_window_s", (json_int_t)s->mint_window_s,
        "grant_limit", (json_int_t)s->grant_limit, "grant_window_s", (json_int_t)s->grant_window_s,
        "token_error_status", (json_int_t)s->token_error_status, "rate_limit_code",
        (json_int_t)s->rate_limit_code, "webhook_timeout_ms", (json_int_t)s->webhook_timeout_ms,
        "webhook_retries", (json_int_t)s->webhook_retries, "webhook_retry_s",
        (json_int_t)s->webhook_retry_s, "max_invoices", (json_int_t)s->max_invoices);
    json_object_set_new(j, "max_attachments", json_integer((json_int_t)s->max_attachments));
    json_object_set_new(j, "max_attachment_bytes",
                        json_integer((json_int_t)s->max_attachment_bytes));
    json_object_set_new(j, "limits",
                        json_pack("{s:I, s:I, s:I, s:I}", "minute", (json_int_t)s->lim_minute,
                                  "day", (json_int_t)s->day_limit, "concurrent_free",
                                  (json_int_t)s->conc_free, "concurrent_paid",
                                  (json_int_t)s->conc_paid));
    const struct {
        const char *k;
        bool v;
    } flags[] = {{"restrict_to_chosen_org", s->restrict_to_chosen_org},
                 {"accept_bearer", s->accept_bearer},
                 {"accept_fullaccess", s->accept_fullaccess},
                 {"sort_by_modified", s->sort_by_modified},
                 {"modified_inclusive", s->modified_inclusive},
                 {"comment_fires_edit", s->comment_fires_edit},
                 {"comment_touches", s->comment_touches},
                 {"customfield_fires_edit", s->customfield_fires_edit},
                 {"payment_fires_edit", s->payment_fires_edit},
                 {"attachment_fires_edit", s->attachment_fires_edit},
                 {"attachment_touches", s->attachment_touches},
                 {"payload_org_id", s->payload_org_id},
                 {"signature_upper", s->signature_upper}};
    for (size_t i = 0; i < FH_ARRAY_LEN(flags); i++)
        json_object_set_new(j, flags[i].k, json_boolean(flags[i].v));
    return j;
}

static json_t *base_urls(void)
{
    size_t n;
    const struct z_dc *dcs = z_dc_list(&n);
    json_t *j = json_object();
    for (size_t i = 0; i < n; i++) {
        char acc[320], api[320];
        z_accounts_url(&dcs[i], acc, sizeof(acc));
        z_api_domain(&dcs[i], api, sizeof(api));
        json_object_set_new(j, dcs[i].id,
                            json_pack("{s:s, s:s, s:s, s:s+, s:s}", "location", dcs[i].location,
                                      "accounts_server", acc, "api_domain", api, "books", api,
                                      "/books/v3", "real_accounts_server", dcs[i].real_accounts));
    }
    return j;
}

enum fh_rc zc_info_get(struct fh_req *req)
{
    zs_lock();
    json_t *clients = json_array();
    for (size_t i = 0; i < zs.client_list.n; i++)
        json_array_append_new(clients, zs_client_json(zs.client_list.v[i]));
    json_t *j = json_pack("{s:o, s:o, s:o, s:I, s:I, s:I}", "data_centres", base_urls(), "settings",
                          settings_json(), "clients", clients, "users", (json_int_t)zs.user_list.n,
                          "orgs", (json_int_t)zs.org_list.n, "invoices", (json_int_t)zs.ninvoices);
    json_object_set_new(j, "creditnotes", json_integer((json_int_t)zs.ncreditnotes));
    zs_unlock();
    return sb_json(req, 200, j);
}

static const char *const flag_keys[] = {
    "restrict_to_chosen_org", "accept_bearer",      "accept_fullaccess", "sort_by_modified",
    "modified_inclusive",     "comment_fires_edit", "comment_touches",   "customfield_fires_edit",
    "payment_fires_edit",     "payload_org_id",     "signature_upper",   "attachment_fires_edit",
    "attachment_touches"};

static bool *flag_field(struct z_settings *s, size_t i)
{
    bool *f[] = {&s->restrict_to_chosen_org, &s->accept_bearer,          &s->accept_fullaccess,
                 &s->sort_by_modified,       &s->modified_inclusive,     &s->comment_fires_edit,
                 &s->comment_touches,        &s->customfield_fires_edit, &s->payment_fires_edit,
                 &s->payload_org_id,         &s->signature_upper,        &s->attachment_fires_edit,
                 &s->attachment_touches};
    return f[i];
}

static enum fh_rc apply_settings(json_t *body, struct z_settings *s, char *err, size_t errsize)
{
    const struct sb_num_setting top[] = {
        {"time_scale", &s->time_scale, 1, 86400},
        {"code_lifetime_s", &s->code_lifetime_s, 1, 86400},
        {"access_lifetime_s", &s->access_lifetime_s, 1, 864000},
        {"refresh_cap", &s->refresh_cap, 1, 1000},
        {"access_per_refresh", &s->access_per_refresh, 1, 1000},
        {"mint_limit", &s->mint_limit, 1, 1000000},
        {"mint_window_s", &s->mint_window_s, 1, 86400},
        {"grant_limit", &s->grant_limit, 1, 1000000},
        {"grant_window_s", &s->grant_window_s, 1, 86400},
        {"token_error_status", &s->token_error_status, 200, 400},
        {"rate_limit_code", &s->rate_limit_code, 0, 1000000},
        {"webhook_timeout_ms", &s->webhook_timeout_ms, 10, 600000},
        {"webhook_retries", &s->webhook_retries, 0, 10},
        {"webhook_retry_s", &s->webhook_retry_s, 1, 86400},
        {"max_invoices", &s->max_invoices, 1, 2000000},
        {"max_attachments", &s->max_attachments, 1, 100},
        {"max_attachment_bytes", &s->max_attachment_bytes, 1, Z_MAX_FILE_BYTES}};
    const struct sb_num_setting lims[] = {{"minute", &s->lim_minute, 0, 1000000},
                                          {"day", &s->day_limit, 0, 100000000},
                                          {"concurrent_free", &s->conc_free, 0, 1000},
                                          {"concurrent_paid", &s->conc_paid, 0, 1000}};
    json_t *lim = json_object_get(body, "limits"),
           *tes = json_object_get(body, "token_error_status");
    for (size_t i = 0; i < FH_ARRAY_LEN(flag_keys); i++) {
        json_t *v = json_object_get(body, flag_keys[i]);
        if (v && !json_is_boolean(v)) {
            snprintf(err, errsize, "%s must be true or false", flag_keys[i]);
            return FH_E_INPUT;
        }
    }
    if ((lim && !json_is_object(lim)) ||
        (tes && json_integer_value(tes) != 200 && json_integer_value(tes) != 400)) {
        snprintf(err, errsize, "limits is an object; token_error_status 200 or 400");
        return FH_E_INPUT;
    }
    if (sb_apply_numbers(body, top, FH_ARRAY_LEN(top), err, errsize) != FH_OK ||
        (lim && sb_apply_numbers(lim, lims, FH_ARRAY_LEN(lims), err, errsize) != FH_OK))
        return FH_E_INPUT;
    for (size_t i = 0; i < FH_ARRAY_LEN(flag_keys); i++)
        if (json_object_get(body, flag_keys[i]))
            *flag_field(s, i) = json_is_true(json_object_get(body, flag_keys[i]));
    return FH_OK;
}

enum fh_rc zc_settings_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    zs_lock();
    struct z_settings s = zs.set; /* all or nothing */
    json_t *out = NULL;
    if (apply_settings(body, &s, err, sizeof(err)) == FH_OK) {
        zs.set = s;
        zwh_settings(&zs.set);
        out = settings_json();
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc zc_reset_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    zs_lock();
    zs_reset(!json_is_false(json_object_get(body, "demo")));
    zs_unlock();
    json_decref(body);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

/* ---- users, organizations, clients ---- */
enum fh_rc zc_users_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    zs_lock();
    struct z_user *u = zs_user_add(body, err, sizeof(err));
    json_t *out = u ? zs_user_json(u) : NULL;
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc zc_users_get(struct fh_req *req)
{
    zs_lock();
    json_t *arr = json_array();
    for (size_t i = 0; i < zs.user_list.n; i++)
        json_array_append_new(arr, zs_user_json(zs.user_list.v[i]));
    zs_unlock();
    return sb_json(req, 200, arr);
}

enum fh_rc zc_orgs_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    zs_lock();
    struct z_org *o = zs_org_add(body, err, sizeof(err));
    json_t *out = o ? zs_org_json(o) : NULL;
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc zc_orgs_get(struct fh_req *req)
{
    zs_lock();
    json_t *arr = json_array();
    for (size_t i = 0; i < zs.org_list.n; i++)
        json_array_append_new(arr, zs_org_json(zs.org_list.v[i]));
    zs_unlock();
    return sb_json(req, 200, arr);
}

static enum fh_rc org_limits(struct z_org *o, json_t *lim, char *err, size_t errsize)
{
    struct sb_rl_limits l = {-1, -1, -1, -1};
    int64_t *f[] = {&l.minute, &l.day, &l.concurrent};
    const char *keys[] = {"minute", "day", "concurrent"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(lim, keys[i]);
        if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0)) {
            snprintf(err, errsize, "limits.%s is a whole number >= 0 or null", keys[i]);
            return FH_E_INPUT;
        }
        *f[i] = json_is_integer(v) ? json_integer_value(v) : -1;
    }
    sb_rl_set_override(&z_rl, o->id, &l);
    return FH_OK;
}

enum fh_rc zc_org_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    const char *plan = sbj_str(body, "plan"), *name = sbj_str(body, "name");
    json_t *lim = json_object_get(body, "limits"), *out = NULL;
    enum z_plan p = o ? o->plan : ZP_FREE;
    if (!o)
        snprintf(err, sizeof(err), "no such organization");
    else if ((plan && !z_plan_parse(plan, &p)) || (name && (!*name || strlen(name) > 200)) ||
             (lim && !json_is_object(lim)))
        snprintf(err, sizeof(err),
                 "plan (free, standard, professional, premium, elite, "
                 "ultimate), name, limits {minute, day, concurrent}");
    else if (!lim || org_limits(o, lim, err, sizeof(err)) == FH_OK) {
        o->plan = p;
        if (name) {
            free(o->name);
            o->name = fh_strdup(name);
        }
        out = zs_org_json(o);
    }
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, o ? 400 : 404, "%s", err);
}

enum fh_rc zc_org_hold_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    json_t *slots = json_object_get(body, "slots"), *ms = json_object_get(body, "ms");
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    enum fh_rc rc;
    if (!o)
        rc = sb_cerr(req, 404, "no such organization");
    else if (!json_is_integer(slots) || json_integer_value(slots) < 0 || !json_is_integer(ms) ||
             json_integer_value(ms) < 0 || json_integer_value(ms) > 600000)
        rc = sb_cerr(req, 400, "slots (>= 0) and ms (0..600000) are needed");
    else {
        sb_rl_hold(&z_rl, NULL, o->id, json_integer_value(slots), json_integer_value(ms));
        rc = sb_json(req, 200, json_pack("{s:O, s:O}", "slots", slots, "ms", ms));
    }
    zs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc zc_org_webhook_get(struct fh_req *req)
{
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    json_t *out = o ? zwh_org_json(o) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such organization");
}

enum fh_rc zc_org_webhook_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such organization";
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    json_t *out = o && zwh_configure(o, body, err, sizeof(err)) == FH_OK ? zwh_org_json(o) : NULL;
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, o ? 400 : 404, "%s", err);
}

enum fh_rc zc_org_webhook_replay_post(struct fh_req *req)
{
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    size_t n = o ? zwh_replay(o->id) : 0;
    zs_unlock();
    return o ? sb_json(req, 202, json_pack("{s:I}", "replayed", (json_int_t)n))
             : sb_cerr(req, 404, "no such organization");
}

enum fh_rc zc_org_customfields_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *label = sbj_str(body, "label"), *api = sbj_str(body, "api_name");
    zs_lock();
    struct z_org *o = zs_org(fh_req_param(req, "org"));
    enum fh_rc rc;
    if (!o) {
        rc = sb_cerr(req, 404, "no such organization");
    } else if (!label || !*label || strlen(label) > 100 ||
               (api && (!fh_starts_with(api, "cf_") || strlen(api) > 100)) || o->cfdefs.n >= 50) {
        rc = sb_cerr(req, 400, "label (1..100), api_name (cf_...), at most 50 fields");
    } else {
        char gen[128];
        snprintf(gen, sizeof(gen), "cf_%s", label);
        for (char *p = gen + 3; *p; p++)
            *p = (*p >= 'A' && *p <= 'Z')                               ? (char)(*p + 32)
                 : (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
                                                                        : '_';
        struct z_cfdef *d = zm_cfdef_add(o, label, api ? api : gen);
        rc = sb_json(req, 201,
                     json_pack("{s:s, s:s, s:s}", "customfield_id", d->id, "label", d->label,
                               "api_name", d->api_name));
    }
    zs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc zc_clients_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    zs_lock();
    struct z_client *c = zs_client_add(body, err, sizeof(err));
    json_t *out = c ? zs_client_json(c) : NULL;
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc zc_client_get(struct fh_req *req)
{
    zs_lock();
    struct z_client *c = zs_client(fh_req_param(req, "client_id"));
    json_t *out = c ? zs_client_json(c) : NULL;
    zs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no such client");
}

enum fh_rc zc_client_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300] = "no such client";
    zs_lock();
    struct z_client *c = zs_client(fh_req_param(req, "client_id"));
    json_t *out =
        c && zs_client_update(c, body, err, sizeof(err)) == FH_OK ? zs_client_json(c) : NULL;
    zs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, c ? 400 : 404, "%s", err);
}

/* ---- consents and tokens ---- */
enum fh_rc zc_tokens_get(struct fh_req *req)
{
    zs_lock();
    json_t *arr = ztok_grants_json(fh_req_query(req, "client_id"), fh_req_query(req, "user"));
    zs_unlock();
    return sb_json(req, 200, arr);
}

enum fh_rc zc_tokens_revoke_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *client = sbj_str(body, "client_id"), *user = sbj_str(body, "user");
    zs_lock();
    struct z_user *u = user ? zs_user(user) : NULL;
    size_t n = 0;
    for (size_t i = 0; (!user || u) && i < zs.grants.cap; i++) {
        struct z_grant *g = sb_map_live(&zs.grants, i) ? zs.grants.vals[i] : NULL;
        if (!g || (client && strcmp(g->client->client_id, client) != 0) || (u && g->user != u))
            continue;
        n += g->refresh.n;
        ztok_grant_drop(g);
    }
    zs_unlock();
    json_decref(body);
    sb_stat_add(&z_stats, "identity", "revoked_by_zoho", (int64_t)n);
    return sb_json(req, 200, json_pack("{s:I}", "refresh_tokens_revoked", (json_int_t)n));
}

enum fh_rc zc_tokens_expire_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    zs_lock();
    size_t n = ztok_expire_access(sbj_str(body, "client_id"), sbj_str(body, "user"));
    zs_unlock();
    json_decref(body);
    return sb_json(req, 200, json_pack("{s:I}", "access_tokens_expired", (json_int_t)n));
}

/* ---- stats, faults, webhooks ---- */
static json_t *refresh_per_user(void)
{
    json_t *j = json_object();
    for (size_t i = 0; i < zs.grants.cap; i++) {
        struct z_grant *g = sb_map_live(&zs.grants, i) ? zs.grants.vals[i] : NULL;
        if (!g)
            continue;
        json_t *u = json_object_get(j, g->user->email);
        if (!u) {
            u = json_object();
            json_object_set_new(j, g->user->email, u);
        }
        json_object_set_new(u, g->client->client_id, json_integer((json_int_t)g->refresh.n));
    }
    return j;
}

enum fh_rc zc_stats_get(struct fh_req *req)
{
    json_t *s = sb_stats_json(&z_stats);
    zs_lock();
    json_object_set_new(s, "refresh_tokens_per_user", refresh_per_user());
    zs_unlock();
    return sb_json(req, 200, s);
}

enum fh_rc zc_stats_reset_post(struct fh_req *req)
{
    sb_stats_reset(&z_stats);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

enum fh_rc zc_faults_get(struct fh_req *req)
{
    return sb_json(req, 200, sb_faults_json(&z_faults));
}

enum fh_rc zc_faults_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    enum fh_rc rc = sb_faults_set(&z_faults, body, err, sizeof(err));
    json_decref(body);
    return rc == FH_OK ? sb_json(req, 200, sb_faults_json(&z_faults))
                       : sb_cerr(req, 400, "%s", err);
}

enum fh_rc zc_webhooks_get(struct fh_req *req)
{
    zs_lock();
    json_t *j = json_object();
    for (size_t i = 0; i < zs.org_list.n; i++) {
        const struct z_org *o = zs.org_list.v[i];
        if (o->hook.url)
            json_object_set_new(j, o->id, zwh_org_json(o));
    }
    zs_unlock();
    return sb_json(req, 200, j);
}
