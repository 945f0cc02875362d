/* control.c - the Xero emulator's control API for tests and demos: settings, reset, sandbox
 * users, organisations and apps, connections and tokens "from Xero's side", limits, faults,
 * statistics and webhook state (every endpoint is described in docs/internals/xero-sandbox.md;
 * documents are in control_docs.c). JSON in and out; errors are {"error": "..."}. No
 * authentication: the sandbox listens on 127.0.0.1 by default and exists for tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xero_internal.h"

static json_t *settings_json(void)
{
    const struct x_settings *s = &xs.set;
    return json_pack(
        "{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:b, s:b, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:I}",
        "time_scale", (json_int_t)s->time_scale, "grace_replay", s->grace_same ? "same" : "new",
        "code_lifetime_s", (json_int_t)s->code_lifetime_s, "access_lifetime_s",
        (json_int_t)s->access_lifetime_s, "grace_s", (json_int_t)s->grace_s, "refresh_idle_s",
        (json_int_t)s->refresh_idle_s, "max_invoices", (json_int_t)s->max_invoices, "limits",
        "minute", (json_int_t)s->lim_minute, "day", (json_int_t)s->lim_day, "concurrent",
        (json_int_t)s->lim_concurrent, "app_minute", (json_int_t)s->lim_app_minute,
        "require_accept_json", s->require_accept_json, "require_state", s->require_state,
        "max_attachments", (json_int_t)s->max_attachments, "max_attachment_bytes",
        (json_int_t)s->max_attachment_bytes, "webhook_timeout_ms",
        (json_int_t)s->webhook_timeout_ms, "itr_rounds", (json_int_t)s->itr_rounds, "batch_max",
        (json_int_t)s->batch_max, "batch_delay_ms", (json_int_t)s->batch_delay_ms, "idempotency_s",
        (json_int_t)s->idempotency_s, "latency_ms", (json_int_t)s->latency_ms);
}

enum fh_rc xc_info_get(struct fh_req *req)
{
    xs_lock();
    const char *u = xs.set.public_url;
    json_t *apps = json_array();
    for (size_t i = 0; i < xs.app_list.n; i++)
        json_array_append_new(apps, xs_app_json(xs.app_list.v[i], true));
    json_t *j = json_pack("{s:{s:s, s:s++, s:s++, s:s++}, s:o, s:o, s:I, s:I, s:I}", "base_urls",
                          "login", u, "identity", u, "/identity", "", "api", u, "/api", "",
                          "accounting", u, "/api.xro/2.0", "", "settings", settings_json(), "apps",
                          apps, "users", (json_int_t)xs.user_list.n, "orgs",
                          (json_int_t)xs.org_list.n, "documents", (json_int_t)xs.ndocs);
    xs_unlock();
    return sb_json(req, 200, j);
}

enum fh_rc xc_settings_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    xs_lock();
    struct x_settings *s = &xs.set;
    json_t *lim = json_object_get(body, "limits");
    const struct sb_num_setting top[] = {
        {"time_scale", &s->time_scale, 1, 86400},
        {"code_lifetime_s", &s->code_lifetime_s, 1, 86400},
        {"access_lifetime_s", &s->access_lifetime_s, 1, 86400 * 30},
        {"grace_s", &s->grace_s, 0, 86400 * 30},
        {"refresh_idle_s", &s->refresh_idle_s, 1, 86400 * 365},
        {"max_invoices", &s->max_invoices, 1, 2000000},
        {"max_attachments", &s->max_attachments, 0, 1000},
        {"max_attachment_bytes", &s->max_attachment_bytes, 1, 25 << 20},
        {"webhook_timeout_ms", &s->webhook_timeout_ms, 100, 60000},
        {"itr_rounds", &s->itr_rounds, 1, 10},
        {"batch_max", &s->batch_max, 1, 1000},
        {"batch_delay_ms", &s->batch_delay_ms, 0, 60000},
        {"idempotency_s", &s->idempotency_s, 0, 86400},
        {"latency_ms", &s->latency_ms, 0, 60000}};
    const struct sb_num_setting lims[] = {{"minute", &s->lim_minute, 0, 1000000},
                                          {"day", &s->lim_day, 0, 100000000},
                                          {"concurrent", &s->lim_concurrent, 0, 10000},
                                          {"app_minute", &s->lim_app_minute, 0, 100000000}};
    const char *grace = sbj_str(body, "grace_replay");
    json_t *aj = json_object_get(body, "require_accept_json"),
           *rs = json_object_get(body, "require_state");
    if ((grace && strcmp(grace, "same") != 0 && strcmp(grace, "new") != 0) ||
        (aj && !json_is_boolean(aj)) || (rs && !json_is_boolean(rs)) ||
        (lim && !json_is_object(lim)))
        snprintf(err, sizeof(err),
                 "grace_replay is same|new; require_* are booleans; limits is an object");
    else if (sb_apply_numbers(body, top, FH_ARRAY_LEN(top), err, sizeof(err)) == FH_OK && lim)
        sb_apply_numbers(lim, lims, FH_ARRAY_LEN(lims), err, sizeof(err));
    if (!err[0]) {
        if (grace)
            s->grace_same = strcmp(grace, "same") == 0;
        if (aj)
            s->require_accept_json = json_is_true(aj);
        if (rs)
            s->require_state = json_is_true(rs);
        wh_settings(s);
    }
    json_t *out = err[0] ? NULL : settings_json();
    xs_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc xc_reset_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    xs_lock();
    xs_reset(!json_is_false(json_object_get(body, "demo")));
    wh_settings(&xs.set);
    xs_unlock();
    json_decref(body);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

/* ---- users and organisations ---- */
static enum fh_rc link_orgs(struct x_user *u, json_t *orgs, char *err, size_t errsize)
{
    if (orgs && !json_is_array(orgs)) {
        snprintf(err, errsize, "orgs must be an array of tenant ids");
        return FH_E_INPUT;
    }
    size_t i;
    json_t *v;
    json_array_foreach(orgs, i, v)
    {
        struct x_org *o = xs_org(json_string_value(v));
        if (!o) {
            snprintf(err, errsize, "orgs[%zu] is not a tenant id", i);
            return FH_E_INPUT;
        }
        bool has = false;
        for (size_t k = 0; k < u->orgs.n; k++)
            has = has || u->orgs.v[k] == o;
        if (!has)
            sb_vec_push(&u->orgs, o);
    }
    return FH_OK;
}

enum fh_rc xc_users_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *email = sbj_str(body, "email"), *pw = sbj_str(body, "password");
    char err[200] = "";
    json_t *out = NULL;
    unsigned status = 400;
    xs_lock();
    if (!email || !strchr(email, '@') || strlen(email) > 200 || !pw || !*pw || strlen(pw) > 200) {
        snprintf(err, sizeof(err), "email and password are required");
    } else if (xs_user(email)) {
        snprintf(err, sizeof(err), "a user with that email exists");
        status = 409;
    } else {
        json_t *orgs = json_object_get(body, "orgs"), *v;
        size_t i;
        bool known = json_is_array(orgs) || !orgs;
        json_array_foreach(orgs, i, v) known = known && xs_org(json_string_value(v));
        if (!known) {
            snprintf(err, sizeof(err), "orgs must be an array of existing tenant ids");
        } else {
            struct x_user *u =
                xs_user_add(email, pw, sbj_str(body, "first_name"), sbj_str(body, "last_name"));
            link_orgs(u, orgs, err, sizeof(err));
            out = xs_user_json(u);
        }
    }
    xs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, status, "%s", err);
}

enum fh_rc xc_users_get(struct fh_req *req)
{
    xs_lock();
    json_t *arr = json_array();
    for (size_t i = 0; i < xs.user_list.n; i++)
        json_array_append_new(arr, xs_user_json(xs.user_list.v[i]));
    xs_unlock();
    return sb_json(req, 200, arr);
}

enum fh_rc xc_orgs_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    json_t *out = NULL, *users = json_object_get(body, "users");
    xs_lock();
    if (users && !json_is_array(users)) {
        snprintf(err, sizeof(err), "users must be an array of user ids or emails");
    } else {
        struct x_org *o = xs_org_add(body, err, sizeof(err));
        size_t i;
        json_t *v;
        json_array_foreach(users, i, v)
        {
            struct x_user *u = o ? xs_user(json_string_value(v)) : NULL;
            if (u)
                sb_vec_push(&u->orgs, o);
        }
        out = o ? xs_org_json(o) : NULL;
    }
    xs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc xc_orgs_get(struct fh_req *req)
{
    xs_lock();
    json_t *arr = json_array();
    for (size_t i = 0; i < xs.org_list.n; i++)
        json_array_append_new(arr, xs_org_json(xs.org_list.v[i]));
    xs_unlock();
    return sb_json(req, 200, arr);
}

static bool limit_field(json_t *body, const char *key, int64_t *out)
{
    json_t *v = json_object_get(body, key);
    *out = -1;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = json_integer_value(v);
    return true;
}

enum fh_rc xc_org_limits_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    struct sb_rl_limits l = {0};
    bool ok = limit_field(body, "minute", &l.minute) && limit_field(body, "day", &l.day) &&
              limit_field(body, "concurrent", &l.concurrent);
    json_decref(body);
    if (!ok)
        return sb_cerr(req, 400,
                       "minute, day and concurrent are whole numbers >= 0 or null (the default)");
    xs_lock();
    struct x_org *o = xs_org(fh_req_param(req, "org"));
    if (o)
        sb_rl_set_override(&x_rl, o->id, &l);
    json_t *out = o ? xs_org_json(o) : NULL;
    xs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no organisation with that tenant id");
}

enum fh_rc xc_org_hold_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *client = sbj_str(body, "client_id");
    json_t *slots = json_object_get(body, "slots"), *ms = json_object_get(body, "ms");
    enum fh_rc rc;
    xs_lock();
    struct x_org *o = xs_org(fh_req_param(req, "org"));
    if (!o || !xs_app(client))
        rc = sb_cerr(req, 404, "unknown organisation or client_id");
    else if (!json_is_integer(slots) || !json_is_integer(ms) || json_integer_value(slots) < 0 ||
             json_integer_value(ms) < 0 || json_integer_value(ms) > 600000)
        rc = sb_cerr(req, 400, "slots (>= 0) and ms (0..600000) are required");
    else {
        sb_rl_hold(&x_rl, client, o->id, json_integer_value(slots), json_integer_value(ms));
        rc = sb_json(req, 200,
                     json_pack("{s:I, s:I}", "slots", (json_int_t)json_integer_value(slots), "ms",
                               (json_int_t)json_integer_value(ms)));
    }
    xs_unlock();
    json_decref(body);
    return rc;
}

/* ---- apps ---- */
static json_t *app_full(const struct x_app *a)
{
    json_t *j = xs_app_json(a, true);
    json_object_set_new(j, "webhook", wh_json(a->client_id));
    return j;
}

enum fh_rc xc_apps_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    xs_lock();
    struct x_app *a = xs_app_add(body, err, sizeof(err));
    json_t *out = a ? app_full(a) : NULL;
    xs_unlock();
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc xc_app_get(struct fh_req *req)
{
    xs_lock();
    struct x_app *a = xs_app(fh_req_param(req, "client_id"));
    json_t *out = a ? app_full(a) : NULL;
    xs_unlock();
    return out ? sb_json(req, 200, out) : sb_cerr(req, 404, "no app with that client_id");
}

enum fh_rc xc_app_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    enum fh_rc rc;
    xs_lock();
    struct x_app *a = xs_app(fh_req_param(req, "client_id"));
    if (!a)
        rc = sb_cerr(req, 404, "no app with that client_id");
    else if (xs_app_update(a, body, err, sizeof(err)) != FH_OK)
        rc = sb_cerr(req, 400, "%s", err);
    else
        rc = sb_json(req, 200, app_full(a));
    xs_unlock();
    json_decref(body);
    return rc;
}

enum fh_rc xc_app_itr_post(struct fh_req *req)
{
    xs_lock();
    struct x_app *a = xs_app(fh_req_param(req, "client_id"));
    bool ok = a && a->webhook_url;
    if (ok)
        wh_run_itr(a->client_id);
    xs_unlock();
    return ok ? sb_json(req, 202, json_pack("{s:b}", "started", 1))
              : sb_cerr(req, 404, "no app with that client_id and a webhook URL");
}

enum fh_rc xc_webhooks_get(struct fh_req *req)
{
    json_t *j = wh_json(fh_req_query(req, "client_id"));
    return json_is_null(j) ? sb_cerr(req, 404, "no webhook for that client_id")
                           : sb_json(req, 200, j);
}

/* ---- connections and tokens ---- */
enum fh_rc xc_connections_get(struct fh_req *req)
{
    const char *client = fh_req_query(req, "client_id"), *tenant = fh_req_query(req, "tenant_id");
    xs_lock();
    json_t *arr = json_array();
    for (size_t i = 0; i < xs.conn_list.n; i++) {
        const struct x_conn *c = xs.conn_list.v[i];
        if ((!client || strcmp(client, c->grant->app->client_id) == 0) &&
            (!tenant || strcmp(tenant, c->org->id) == 0))
            json_array_append_new(arr, tok_conn_control_json(c));
    }
    xs_unlock();
    return sb_json(req, 200, arr);
}

enum fh_rc xc_connection_delete(struct fh_req *req)
{
    xs_lock();
    struct x_conn *c = sb_map_get(&xs.conns, fh_req_param(req, "id"));
    if (c) {
        tok_disconnect(c, true);
        sb_stat_add(&x_stats, "identity", "disconnected_by_xero", 1);
    }
    xs_unlock();
    return c ? sb_send(req, 204, NULL, NULL, 0, NULL)
             : sb_cerr(req, 404, "no connection with that id");
}

static bool grant_matches(const struct x_grant *g, const char *client, const struct x_user *u)
{
    return (!client || strcmp(client, g->app->client_id) == 0) && (!u || g->user == u);
}

enum fh_rc xc_tokens_expire_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *client = sbj_str(body, "client_id"), *user = sbj_str(body, "user");
    bool access = !json_is_false(json_object_get(body, "access")),
         refresh = json_is_true(json_object_get(body, "refresh"));
    bool grace = json_is_true(json_object_get(body, "grace"));
    int64_t n_access = 0, n_refresh = 0, n_grace = 0, now = x_now_ms();
    xs_lock();
    struct x_user *u = user ? xs_user(user) : NULL;
    for (size_t i = 0; access && i < xs.access.cap; i++) {
        struct x_access *a = sb_map_live(&xs.access, i) ? xs.access.vals[i] : NULL;
        if (a && grant_matches(a->grant, client, u) && a->expires_ms > now) {
            a->expires_ms = now - 1;
            n_access++;
        }
    }
    for (size_t i = 0; (refresh || grace) && i < xs.refresh.cap; i++) {
        struct x_refresh *r = sb_map_live(&xs.refresh, i) ? xs.refresh.vals[i] : NULL;
        if (!r || !grant_matches(r->grant, client, u))
            continue;
        if (refresh && !r->used_ms && r->expires_ms > now) {
            r->expires_ms = now - 1;
            n_refresh++;
        }
        if (grace && r->used_ms) {
            r->used_ms = now - x_scaled(xs.set.grace_s * 1000) - 1;
            n_grace++;
        }
    }
    xs_unlock();
    json_decref(body);
    if (user && !u)
        return sb_cerr(req, 404, "no user %s", user);
    return sb_json(req, 200,
                   json_pack("{s:I, s:I, s:I}", "access_expired", (json_int_t)n_access,
                             "refresh_expired", (json_int_t)n_refresh, "grace_ended",
                             (json_int_t)n_grace));
}

/* ---- statistics and faults ---- */
enum fh_rc xc_stats_get(struct fh_req *req)
{
    json_t *s = sb_stats_json(&x_stats);
    json_object_set_new(s, "webhook_subscriptions", wh_json(NULL));
    return sb_json(req, 200, s);
}

enum fh_rc xc_stats_reset_post(struct fh_req *req)
{
    sb_stats_reset(&x_stats);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

/* The common faults and the Xero emulator's own lost_response {count, path},
 * stale_response {count, path, ms, status} and cut_response {count, path}. */
static json_t *faults_json(void)
{
    json_t *j = sb_faults_json(&x_faults);
    xs_lock();
    json_object_set_new(
        j, "lost_response",
        json_pack("{s:I, s:s}", "count", (json_int_t)xs.lost.count, "path", xs.lost.path));
    json_object_set_new(j, "stale_response",
                        json_pack("{s:I, s:s, s:I, s:s}", "count", (json_int_t)xs.stale.count,
                                  "path", xs.stale.path, "ms", (json_int_t)xs.stale.ms, "status",
                                  xs.stale.status));
    json_object_set_new(
        j, "cut_response",
        json_pack("{s:I, s:s}", "count", (json_int_t)xs.cut.count, "path", xs.cut.path));
    xs_unlock();
    return j;
}

enum fh_rc xc_faults_get(struct fh_req *req)
{
    return sb_json(req, 200, faults_json());
}

/* One path fault of a faults PUT (absent: none); false with err when it is malformed. */
static bool path_fault(json_t *body, const char *name, bool with_ms, struct x_path_fault *out,
                       char *err, size_t errsize)
{
    json_t *f = json_object_get(body, name), *count = json_object_get(f, "count"),
           *ms = json_object_get(f, "ms");
    const char *path = sbj_str(f, "path"), *status = sbj_str(f, "status");
    memset(out, 0, sizeof(*out));
    if (!f)
        return true;
    if (!json_is_object(f) || !json_is_integer(count) || json_integer_value(count) < 0 ||
        json_integer_value(count) > 1000000 || (json_object_get(f, "path") && !path) ||
        (path && strlen(path) > 127) ||
        (with_ms &&
         (!json_is_integer(ms) || json_integer_value(ms) < 1 || json_integer_value(ms) > 60000 ||
          (json_object_get(f, "status") && (!status || strlen(status) > 15)))) ||
        (!with_ms && json_object_get(f, "status"))) {
        snprintf(err, errsize, "%s is {count: 0..1000000, path: text%s}", name,
                 with_ms ? ", ms: 1..60000, status?: a document Status" : "");
        return false;
    }
    out->count = json_integer_value(count);
    fh_strlcpy(out->path, path ? path : "", sizeof(out->path));
    out->ms = with_ms ? json_integer_value(ms) : 0;
    fh_strlcpy(out->status, status ? status : "", sizeof(out->status));
    return true;
}

enum fh_rc xc_faults_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    struct x_path_fault lost, stale, cut;
    enum fh_rc rc = FH_E_INPUT;
    if (path_fault(body, "lost_response", false, &lost, err, sizeof(err)) &&
        path_fault(body, "stale_response", true, &stale, err, sizeof(err)) &&
        path_fault(body, "cut_response", false, &cut, err, sizeof(err)))
        rc = sb_faults_set(&x_faults, body, err, sizeof(err));
    if (rc == FH_OK) {
        xs_lock();
        xs.lost = lost;
        xs.stale = stale;
        xs.cut = cut;
        xs_unlock();
    }
    json_decref(body);
    return rc == FH_OK ? sb_json(req, 200, faults_json()) : sb_cerr(req, 400, "%s", err);
}
