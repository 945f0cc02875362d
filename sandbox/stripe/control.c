/* control.c - the Stripe emulator's control API for tests and demos: info (base URLs, the demo
 * account's keys, settings), settings, reset, statistics, faults, webhook endpoints, events
 * (list, resend) and forged deliveries. Buyer-side objects (products, prices, sessions,
 * subscriptions, invoices) are in control_objects.c. JSON in and out; errors are
 * {"error": "..."}. No authentication: the sandbox listens on 127.0.0.1 by default and exists
 * for tests. Every endpoint is described in docs/internals/stripe-sandbox.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe_internal.h"

static json_t *settings_json(const struct stp_settings *s)
{
    return json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "time_scale",
                     (json_int_t)s->time_scale, "public_url", s->public_url, "webhook_timeout_ms",
                     (json_int_t)s->webhook_timeout_ms, "webhook_attempts",
                     (json_int_t)s->webhook_attempts, "retry_base_s", (json_int_t)s->retry_base_s,
                     "stale_age_s", (json_int_t)s->stale_age_s, "session_lifetime_s",
                     (json_int_t)s->session_lifetime_s, "portal_lifetime_s",
                     (json_int_t)s->portal_lifetime_s, "max_objects", (json_int_t)s->max_objects);
}

enum fh_rc stp_c_info_get(struct fh_req *req)
{
    stp_lock();
    const struct stp_settings *s = &stp.set;
    json_t *j = json_pack(
        "{s:{s:s, s:s+, s:s+}, s:{s:s, s:s, s:s}, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
        "base_urls", "api", s->public_url, "checkout", s->public_url, "/c/pay/", "portal",
        s->public_url, "/p/session/", "account", "id", s->account_id, "secret_key", s->secret_key,
        "publishable_key", s->publishable_key, "api_version", STP_API_VERSION, "settings",
        settings_json(s), "counts", "products", (json_int_t)stp.product_list.n, "prices",
        (json_int_t)stp.price_list.n, "sessions", (json_int_t)stp.session_list.n, "customers",
        (json_int_t)stp.customer_list.n, "subscriptions", (json_int_t)stp.sub_list.n, "invoices",
        (json_int_t)stp.invoice_list.n);
    stp_unlock();
    json_object_set_new(j, "webhook_endpoints", stp_wh_json(NULL));
    return sb_json(req, 200, j);
}

enum fh_rc stp_c_settings_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200] = "";
    stp_lock();
    struct stp_settings *s = &stp.set;
    const struct sb_num_setting ns[] = {
        {"time_scale", &s->time_scale, 1, 10000000},
        {"webhook_timeout_ms", &s->webhook_timeout_ms, 100, 60000},
        {"webhook_attempts", &s->webhook_attempts, 1, 20},
        {"retry_base_s", &s->retry_base_s, 1, 7 * STP_DAY_S},
        {"stale_age_s", &s->stale_age_s, 301, 30 * STP_DAY_S},
        {"session_lifetime_s", &s->session_lifetime_s, 1, STP_DAY_S},
        {"portal_lifetime_s", &s->portal_lifetime_s, 1, STP_DAY_S},
        {"max_objects", &s->max_objects, 10, 10000000}};
    const char *key = sbj_str(body, "secret_key");
    if (json_object_get(body, "secret_key") &&
        (!key || !fh_starts_with(key, "sk_test_") || strlen(key) < 12 || strlen(key) > 120))
        snprintf(err, sizeof(err), "secret_key must be sk_test_... of 12 to 120 characters");
    else if (sb_apply_numbers(body, ns, FH_ARRAY_LEN(ns), err, sizeof(err)) == FH_OK && key)
        fh_strlcpy(s->secret_key, key, sizeof(s->secret_key));
    if (!err[0])
        stp_wh_settings(s);
    json_t *out = err[0] ? NULL : settings_json(s);
    stp_unlock();
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc stp_c_reset_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    stp_lock();
    stp_reset(!json_is_false(json_object_get(body, "demo")));
    stp_wh_settings(&stp.set);
    stp_unlock();
    sb_stats_reset(&stp_stats);
    sb_faults_reset(&stp_faults);
    json_decref(body);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

enum fh_rc stp_c_stats_get(struct fh_req *req)
{
    json_t *j = sb_stats_json(&stp_stats);
    stp_lock();
    json_object_set_new(j, "objects", json_integer((json_int_t)stp.nobjects));
    stp_unlock();
    return sb_json(req, 200, j);
}

enum fh_rc stp_c_stats_reset_post(struct fh_req *req)
{
    sb_stats_reset(&stp_stats);
    return sb_json(req, 200, json_pack("{s:b}", "reset", 1));
}

enum fh_rc stp_c_faults_get(struct fh_req *req)
{
    return sb_json(req, 200, sb_faults_json(&stp_faults));
}

enum fh_rc stp_c_faults_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    enum fh_rc rc = sb_faults_set(&stp_faults, body, err, sizeof(err));
    json_decref(body);
    return rc == FH_OK ? sb_json(req, 200, sb_faults_json(&stp_faults))
                       : sb_cerr(req, 400, "%s", err);
}

/* ---- webhook endpoints ---- */
enum fh_rc stp_c_endpoints_get(struct fh_req *req)
{
    return sb_json(req, 200, json_pack("{s:o}", "data", stp_wh_json(NULL)));
}

enum fh_rc stp_c_endpoints_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    json_t *out = stp_wh_add(body, err, sizeof(err));
    json_decref(body);
    return out ? sb_json(req, 201, out) : sb_cerr(req, 400, "%s", err);
}

enum fh_rc stp_c_endpoint_get(struct fh_req *req)
{
    json_t *out = stp_wh_json(fh_req_param(req, "id"));
    return out ? sb_json(req, 200, out)
               : sb_cerr(req, 404, "no webhook endpoint %s", fh_req_param(req, "id"));
}

enum fh_rc stp_c_endpoint_put(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[300];
    bool found;
    json_t *out = stp_wh_update(fh_req_param(req, "id"), body, err, sizeof(err), &found);
    json_decref(body);
    return out ? sb_json(req, 200, out) : sb_cerr(req, found ? 400 : 404, "%s", err);
}

enum fh_rc stp_c_endpoint_delete(struct fh_req *req)
{
    return stp_wh_delete(fh_req_param(req, "id"))
               ? sb_json(req, 200,
                         json_pack("{s:s, s:b}", "id", fh_req_param(req, "id"), "deleted", 1))
               : sb_cerr(req, 404, "no webhook endpoint %s", fh_req_param(req, "id"));
}

/* ---- events ---- */
enum fh_rc stp_c_events_get(struct fh_req *req)
{
    const char *type = fh_req_query(req, "type"), *lim = fh_req_query(req, "limit");
    int64_t limit = 100;
    if (lim && (!fh_parse_i64(lim, &limit) || limit < 1 || limit > 1000))
        return sb_cerr(req, 400, "limit is 1..1000");
    bool more;
    stp_lock();
    json_t *data = stp_events_list(type, (size_t)limit, NULL, &more);
    stp_unlock();
    return sb_json(req, 200, json_pack("{s:o, s:b}", "data", data, "has_more", more));
}

static enum fh_rc sent_reply(struct fh_req *req, enum fh_rc rc, const char *err, int queued,
                             json_t *event)
{
    if (rc != FH_OK) {
        json_decref(event);
        return sb_cerr(req, rc == FH_E_NOTFOUND ? 404 : 400, "%s", err);
    }
    json_t *j = json_pack("{s:i}", "queued", queued);
    if (event)
        json_object_set_new(j, "event", event);
    return sb_json(req, 200, j);
}

enum fh_rc stp_c_event_resend_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    char err[200];
    int queued;
    stp_lock();
    enum fh_rc rc = stp_wh_send(sbj_str(body, "endpoint"), fh_req_param(req, "id"), NULL,
                                STP_F_NONE, 0, err, sizeof(err), &queued);
    stp_unlock();
    json_decref(body);
    return sent_reply(req, rc, err, queued, NULL);
}

static bool forge_kind(const char *s, enum stp_forge *out)
{
    static const char *const names[] = {"valid",     "bad_signature", "stale",
                                        "no_header", "no_v1",         "multi_v1"};
    for (size_t i = 0; s && i < FH_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum stp_forge)i;
            return true;
        }
    return false;
}

/* A synthetic event envelope: data.object given, or the latest event of that type's object. */
static char *synthetic(const char *type, json_t *object)
{
    bool more;
    json_t *latest = stp_events_list(type, 1, NULL, &more);
    json_t *obj = object ? json_deep_copy(object)
                         : json_deep_copy(json_object_get(
                               json_object_get(json_array_get(latest, 0), "data"), "object"));
    json_decref(latest);
    char id[STP_ID];
    stp_id("evt_", 24, id);
    json_t *env =
        json_pack("{s:s, s:s, s:s, s:I, s:{s:o}, s:b, s:i, s:{s:n, s:n}, s:s}", "id", id, "object",
                  "event", "api_version", STP_API_VERSION, "created", (json_int_t)stp_now(), "data",
                  "object", obj ? obj : json_object(), "livemode", 0, "pending_webhooks", 1,
                  "request", "id", "idempotency_key", "type", type);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    return text;
}

enum fh_rc stp_c_forge_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    enum stp_forge kind;
    const char *type = sbj_str(body, "type"), *event_id = sbj_str(body, "event_id");
    json_t *obj = json_object_get(body, "data_object"), *age = json_object_get(body, "age_s");
    if (!forge_kind(sbj_str(body, "kind"), &kind) || (obj && !json_is_object(obj)) ||
        (type && strlen(type) >= 64) ||
        (age && (!json_is_integer(age) || json_integer_value(age) < 0 ||
                 json_integer_value(age) > 30 * STP_DAY_S))) {
        json_decref(body);
        return sb_cerr(req, 400,
                       "kind is valid|bad_signature|stale|no_header|no_v1|multi_v1; type a "
                       "string; data_object an object; age_s 0..2592000");
    }
    char err[200] = "";
    int queued = 0;
    stp_lock();
    int64_t age_s = age ? json_integer_value(age) : stp.set.stale_age_s;
    char *text = event_id ? NULL : synthetic(type ? type : "checkout.session.completed", obj);
    enum fh_rc rc = stp_wh_send(sbj_str(body, "endpoint"), event_id, text, kind, age_s, err,
                                sizeof(err), &queued);
    json_t *event = text ? json_loads(text, 0, NULL) : event_id ? stp_event_get(event_id) : NULL;
    stp_unlock();
    free(text);
    json_decref(body);
    sb_stat_add(&stp_stats, "webhooks", "forged_requested", rc == FH_OK ? queued : 0);
    return sent_reply(req, rc, err, queued, event);
}

/* Signs payload at t with secret exactly as deliveries are signed (tests check the scheme
 * against specs/other-platforms.md's constructed vector). */
enum fh_rc stp_c_sign_post(struct fh_req *req)
{
    json_t *body = sb_body_or_reply(req);
    if (!body)
        return FH_OK;
    const char *secret = sbj_str(body, "secret"), *payload = sbj_str(body, "payload");
    json_t *t = json_object_get(body, "t");
    if (!secret || !payload || !json_is_integer(t) || json_integer_value(t) < 0) {
        json_decref(body);
        return sb_cerr(req, 400, "secret and payload are strings, t a Unix time");
    }
    char header[300];
    stp_sign(secret, json_integer_value(t), payload,
             json_string_length(json_object_get(body, "payload")), header, sizeof(header));
    json_decref(body);
    return sb_json(req, 200, json_pack("{s:s}", "header", header));
}
