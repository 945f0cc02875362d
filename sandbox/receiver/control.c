/* control.c - the receiver's control API (no authentication: the sandbox is for tests and demos).
 *
 *   GET    /receiver/control/hooks          every hook with its counters
 *   PUT    /receiver/control/hooks/{name}   configure (creates it): {secret, tolerance_s,
 *          reject_invalid, fail_status, fail_for_ms, fail_count, slow_ms, slow_for_ms,
 *          slow_count}; a field left out keeps its value, secret null forgets the secret
 *   GET    /receiver/control/hooks/{name}   configuration (never the secret), counters, the
 *          requests as received and "events": the accepted ones deduplicated by event id
 *   DELETE /receiver/control/hooks/{name}   forgets the hook
 *   POST   /receiver/control/reset          forgets every hook */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_json.h"
#include "receiver_internal.h"

static json_t *time_json(int64_t ms)
{
    char t[32];
    fh_time_fmt(ms, t, sizeof(t));
    return json_string(t);
}

static json_t *hook_summary(const struct rcv_hook *h)
{
    int64_t now = fh_now_ms();
    return json_pack("{s:s, s:b, s:I, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "name", h->name, "has_secret", h->secret != NULL, "tolerance_s",
                     (json_int_t)h->tolerance_s, "reject_invalid", h->reject_invalid, "fail_status",
                     (int)h->fail_status, "fail_ms_left",
                     (json_int_t)(h->fail_until > now ? h->fail_until - now : 0), "fail_count",
                     (json_int_t)h->fail_count, "slow_ms", (json_int_t)h->slow_ms, "slow_ms_left",
                     (json_int_t)(h->slow_until > now ? h->slow_until - now : 0), "slow_count",
                     (json_int_t)h->slow_count, "requests", (json_int_t)h->requests, "accepted",
                     (json_int_t)h->accepted, "failed", (json_int_t)h->failed, "rejected",
                     (json_int_t)h->rejected, "duplicates", (json_int_t)h->duplicates);
}

static json_t *record_json(const struct rcv_record *r)
{
    return json_pack("{s:o, s:i, s:s, s:s, s:s, s:o, s:o, s:b, s:O, s:s}", "received_at",
                     time_json(r->received_at), "status", (int)r->status, "outcome", r->outcome,
                     "event_id", r->event_id, "type", r->type, "signature_valid",
                     r->signature < 0 ? json_null() : json_boolean(r->signature == 1),
                     "signature_error",
                     r->signature == 0 ? json_string(r->signature_error) : json_null(), "duplicate",
                     r->duplicate, "headers", r->headers ? r->headers : json_null(), "body",
                     r->body ? r->body : "");
}

/* The accepted requests grouped by event id, in order of first arrival. */
static json_t *events_json(const struct rcv_hook *h)
{
    json_t *list = json_array(), *index = json_object();
    for (size_t i = 0; i < h->nrecs; i++) {
        const struct rcv_record *r = rcv_record_at(h, i);
        if (strcmp(r->outcome, "accepted") != 0 || !r->event_id[0])
            continue;
        json_t *e = json_object_get(index, r->event_id);
        if (e) {
            json_object_set_new(
                e, "accepted",
                json_integer(json_integer_value(json_object_get(e, "accepted")) + 1));
            if (r->signature == 0)
                json_object_set_new(e, "signature_valid", json_false());
            continue;
        }
        e = json_pack("{s:s, s:s, s:i, s:o, s:o}", "event_id", r->event_id, "type", r->type,
                      "accepted", 1, "first_received_at", time_json(r->received_at),
                      "signature_valid",
                      r->signature < 0 ? json_null() : json_boolean(r->signature == 1));
        json_object_set(index, r->event_id, e);
        json_array_append_new(list, e);
    }
    json_decref(index);
    return list;
}

enum fh_rc rcv_control_list(struct fh_req *req)
{
    json_t *list = json_array();
    pthread_mutex_lock(&rcv_lock);
    size_t n;
    struct rcv_hook **all = rcv_hooks(&n);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, hook_summary(all[i]));
    pthread_mutex_unlock(&rcv_lock);
    return fh_reply_json(req, 200, json_pack("{s:o}", "hooks", list));
}

static const char *name_or_reply(struct fh_req *req)
{
    const char *name = fh_req_param(req, "name");
    if (rcv_name_ok(name))
        return name;
    fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "name must be 1 to 64 of [A-Za-z0-9_-]");
    return NULL;
}

static bool int_field(json_t *cfg, const char *name, int64_t lo, int64_t hi, int64_t *out,
                      char *why, size_t whysize)
{
    json_t *v = json_object_get(cfg, name);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(why, whysize, "%s must be an integer from %lld to %lld", name, (long long)lo,
                 (long long)hi);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* Applies cfg to h (rcv_lock held); false with why on a bad value (nothing applied then). */
static bool configure(struct rcv_hook *h, json_t *cfg, char *why, size_t whysize)
{
    int64_t tol = h->tolerance_s, status = h->fail_status, fail_for = -1,
            fail_count = h->fail_count;
    int64_t slow = h->slow_ms, slow_for = -1, slow_count = h->slow_count;
    json_t *secret = json_object_get(cfg, "secret"),
           *reject = json_object_get(cfg, "reject_invalid");
    if (!int_field(cfg, "tolerance_s", 0, 86400, &tol, why, whysize) ||
        !int_field(cfg, "fail_status", 100, 599, &status, why, whysize) ||
        !int_field(cfg, "fail_for_ms", 0, 3600000, &fail_for, why, whysize) ||
        !int_field(cfg, "fail_count", 0, 1000000, &fail_count, why, whysize) ||
        !int_field(cfg, "slow_ms", 0, 60000, &slow, why, whysize) ||
        !int_field(cfg, "slow_for_ms", 0, 3600000, &slow_for, why, whysize) ||
        !int_field(cfg, "slow_count", 0, 1000000, &slow_count, why, whysize))
        return false;
    if (secret && !json_is_null(secret) &&
        (!json_is_string(secret) || json_string_length(secret) == 0)) {
        snprintf(why, whysize, "secret must be a non-empty string or null");
        return false;
    }
    if (reject && !json_is_boolean(reject)) {
        snprintf(why, whysize, "reject_invalid must be true or false");
        return false;
    }
    int64_t now = fh_now_ms();
    if (secret) {
        free(h->secret);
        h->secret = json_is_string(secret) ? fh_strdup(json_string_value(secret)) : NULL;
    }
    if (reject)
        h->reject_invalid = json_is_true(reject);
    h->tolerance_s = tol;
    h->fail_status = (unsigned int)status;
    h->fail_count = fail_count;
    if (fail_for >= 0)
        h->fail_until = now + fail_for;
    h->slow_ms = slow;
    h->slow_count = slow_count;
    if (slow_for >= 0)
        h->slow_until = now + slow_for;
    return true;
}

enum fh_rc rcv_control_put(struct fh_req *req)
{
    const char *name = name_or_reply(req);
    if (!name)
        return FH_ERR;
    json_t *cfg = NULL;
    struct fh_json_error err;
    if (req->body.len == 0) {
        cfg = json_object();
    } else if (fh_json_parse(req->body.data, req->body.len, &cfg, &err) != FH_OK) {
        return fh_reply_error(req, err.ec, "%s", err.detail);
    }
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        return fh_reply_error(req, FH_EC_JSON_NOT_OBJECT, "%s", "expected a JSON object");
    }
    char why[160] = "";
    pthread_mutex_lock(&rcv_lock);
    struct rcv_hook *h = rcv_hook_get(name, true);
    bool ok = h && configure(h, cfg, why, sizeof(why));
    json_t *out = ok ? hook_summary(h) : NULL;
    pthread_mutex_unlock(&rcv_lock);
    json_decref(cfg);
    if (!h)
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "too many hooks; reset the receiver");
    if (!ok)
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", why);
    return fh_reply_json(req, 200, out);
}

enum fh_rc rcv_control_get(struct fh_req *req)
{
    const char *name = name_or_reply(req);
    if (!name)
        return FH_ERR;
    pthread_mutex_lock(&rcv_lock);
    struct rcv_hook *h = rcv_hook_get(name, false);
    json_t *out = NULL;
    if (h) {
        json_t *reqs = json_array();
        for (size_t i = 0; i < h->nrecs; i++)
            json_array_append_new(reqs, record_json(rcv_record_at(h, i)));
        out = hook_summary(h);
        json_object_set_new(out, "requests", reqs);
        json_object_set_new(out, "events", events_json(h));
    }
    pthread_mutex_unlock(&rcv_lock);
    if (!out)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no hook %s", name);
    return fh_reply_json(req, 200, out);
}

enum fh_rc rcv_control_delete(struct fh_req *req)
{
    const char *name = name_or_reply(req);
    if (!name)
        return FH_ERR;
    pthread_mutex_lock(&rcv_lock);
    bool found = rcv_hook_delete(name);
    pthread_mutex_unlock(&rcv_lock);
    if (!found)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no hook %s", name);
    return fh_reply_empty(req, 204);
}

enum fh_rc rcv_control_reset(struct fh_req *req)
{
    pthread_mutex_lock(&rcv_lock);
    rcv_hooks_clear();
    pthread_mutex_unlock(&rcv_lock);
    return fh_reply_empty(req, 204);
}
