/* events.c - Stripe events and their delivery to webhook endpoints.
 *
 * Events: every state change (billing.c) records an event envelope {id: evt_..., object:
 * "event", api_version, created, data: {object, previous_attributes}, livemode: false,
 * pending_webhooks, request, type}, kept in a ring of the last EVENT_MAX (for GET /v1/events and
 * resends; callers hold stp.lock), and queues it for every enabled endpoint listening to its type
 * (enabled_events, "*" for all).
 *
 * Delivery (specs/other-platforms.md §4): one background thread (a ../common/worker.c worker;
 * wh.w.lock is its lock, it never takes stp.lock) POSTs the raw event JSON with
 *   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key = the whole secret string
 *                     including "whsec_", message = "<t>.<body>")>
 * signed afresh at each attempt. Each delivery is independent (no ordering, as at Stripe). A
 * non-2xx answer or no answer is retried after retry_base_s, then twice that, ... (divided by
 * the time scale) until webhook_attempts attempts were made; then the event counts as failed
 * for that endpoint. Forged deliveries (control API) go out once with a signature a verifier
 * must refuse (bad_signature, stale, no_header, no_v1) or accept (multi_v1). Endpoints keep the
 * last LOG_MAX attempts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

#define EVENT_MAX 1000
#define ENDPOINT_MAX 16 /* Stripe's limit per account */
#define QUEUE_MAX 10000
#define LOG_MAX 100

static const char *const forge_names[] = {"none",      "bad_signature", "stale",
                                          "no_header", "no_v1",         "multi_v1"};

/* ---- the event ring (stp.lock) ---- */
struct event {
    char id[STP_ID], type[64];
    int64_t created;
    char *body;
};

static struct {
    struct event *ev[EVENT_MAX];
    size_t head, n; /* ev[(head + i) % EVENT_MAX], oldest first */
} ring;

/* ---- endpoints and deliveries (wh.w.lock) ---- */
struct delivery {
    char event_id[STP_ID], type[64];
    char *body;
    int64_t attempts, next_ms, age_s;
    enum stp_forge forge;
};

struct endpoint {
    char id[STP_ID];
    char *url, *secret, *description;
    json_t *events; /* enabled_events: array of strings */
    bool enabled;
    int64_t created;
    struct sb_vec queue;
    json_t *log;
    int64_t delivered, attempts, failed_attempts, events_failed, forged, dropped;
};

static int64_t step(void);

static struct {
    struct sb_worker w;
    struct sb_vec eps;
    int64_t scale, timeout_ms, max_attempts, retry_base_s;
} wh = {.w = SB_WORKER_INIT(step),
        .scale = 1,
        .timeout_ms = 5000,
        .max_attempts = 3,
        .retry_base_s = 3600};

void stp_sign(const char *secret, int64_t t, const char *body, size_t len, char *out,
              size_t outsize)
{
    char prefix[32];
    int pl = snprintf(prefix, sizeof(prefix), "%lld.", (long long)t);
    char *msg = fh_malloc((size_t)pl + len + 1);
    memcpy(msg, prefix, (size_t)pl);
    memcpy(msg + pl, body, len);
    uint8_t mac[32];
    fh_hmac_sha256(secret, strlen(secret), msg, (size_t)pl + len, mac);
    free(msg);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(out, outsize, "t=%lld,v1=%s", (long long)t, hex);
}

static bool listens(const struct endpoint *e, const char *type)
{
    size_t i;
    json_t *v;
    if (!e->enabled)
        return false;
    json_array_foreach(e->events, i, v)
    {
        const char *s = json_string_value(v);
        if (s && (strcmp(s, "*") == 0 || strcmp(s, type) == 0))
            return true;
    }
    return false;
}

static void delivery_free(struct delivery *d)
{
    free(d->body);
    free(d);
}

/* Caller holds wh.w.lock. */
static bool enqueue(struct endpoint *e, const char *id, const char *type, const char *body,
                    enum stp_forge forge, int64_t age_s)
{
    if (e->queue.n >= QUEUE_MAX) {
        e->dropped++;
        sb_stat_add(&stp_stats, "webhooks", "dropped", 1);
        return false;
    }
    struct delivery *d = fh_calloc(1, sizeof(*d));
    fh_strlcpy(d->event_id, id, sizeof(d->event_id));
    fh_strlcpy(d->type, type, sizeof(d->type));
    d->body = fh_strdup(body);
    d->next_ms = fh_now_ms();
    d->forge = forge;
    d->age_s = age_s;
    sb_vec_push(&e->queue, d);
    sb_worker_wake(&wh.w);
    return true;
}

void stp_emit(const char *type, json_t *object, json_t *previous)
{
    struct event *ev = fh_calloc(1, sizeof(*ev));
    stp_id("evt_", 24, ev->id);
    fh_strlcpy(ev->type, type, sizeof(ev->type));
    ev->created = stp_now();
    pthread_mutex_lock(&wh.w.lock);
    int pending = 0;
    for (size_t i = 0; i < wh.eps.n; i++)
        pending += listens(wh.eps.v[i], type);
    json_t *data = json_pack("{s:o}", "object", object);
    if (previous)
        json_object_set_new(data, "previous_attributes", previous);
    json_t *env =
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:b, s:i, s:{s:n, s:n}, s:s}", "id", ev->id, "object",
                  "event", "api_version", STP_API_VERSION, "created", (json_int_t)ev->created,
                  "data", data, "livemode", 0, "pending_webhooks", pending, "request", "id",
                  "idempotency_key", "type", type);
    ev->body = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    for (size_t i = 0; i < wh.eps.n; i++)
        if (listens(wh.eps.v[i], type))
            enqueue(wh.eps.v[i], ev->id, type, ev->body, STP_F_NONE, 0);
    pthread_mutex_unlock(&wh.w.lock);
    if (ring.n == EVENT_MAX) {
        free(ring.ev[ring.head]->body);
        free(ring.ev[ring.head]);
        ring.ev[ring.head] = ev;
        ring.head = (ring.head + 1) % EVENT_MAX;
    } else {
        ring.ev[(ring.head + ring.n++) % EVENT_MAX] = ev;
    }
    sb_stat_add(&stp_stats, "events", type, 1);
}

static const struct event *event_find(const char *id)
{
    for (size_t i = 0; i < ring.n; i++) {
        const struct event *ev = ring.ev[(ring.head + i) % EVENT_MAX];
        if (strcmp(ev->id, id) == 0)
            return ev;
    }
    return NULL;
}

json_t *stp_event_get(const char *id)
{
    const struct event *ev = event_find(id);
    return ev ? json_loads(ev->body, 0, NULL) : NULL;
}

json_t *stp_events_list(const char *type, size_t limit, const char *starting_after, bool *has_more)
{
    json_t *data = json_array();
    bool started = starting_after == NULL;
    *has_more = false;
    for (size_t k = ring.n; k-- > 0;) {
        const struct event *ev = ring.ev[(ring.head + k) % EVENT_MAX];
        if (!started) {
            started = strcmp(ev->id, starting_after) == 0;
            continue;
        }
        if (type && strcmp(type, ev->type) != 0)
            continue;
        if (json_array_size(data) == limit) {
            *has_more = true;
            break;
        }
        json_array_append_new(data, json_loads(ev->body, 0, NULL));
    }
    return data;
}

void stp_events_reset(void)
{
    for (size_t i = 0; i < ring.n; i++) {
        struct event *ev = ring.ev[(ring.head + i) % EVENT_MAX];
        free(ev->body);
        free(ev);
    }
    ring.head = ring.n = 0;
}

/* ---- endpoints (control API) ---- */
static struct endpoint *ep_find(const char *id)
{
    for (size_t i = 0; i < wh.eps.n; i++)
        if (strcmp(((struct endpoint *)wh.eps.v[i])->id, id) == 0)
            return wh.eps.v[i];
    return NULL;
}

static void ep_free(struct endpoint *e)
{
    for (size_t i = 0; i < e->queue.n; i++)
        delivery_free(e->queue.v[i]);
    sb_vec_free(&e->queue);
    free(e->url);
    free(e->secret);
    free(e->description);
    json_decref(e->events);
    json_decref(e->log);
    free(e);
}

static json_t *ep_json(const struct endpoint *e)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:O, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:O}",
                     "id", e->id, "object", "webhook_endpoint", "url", e->url, "secret", e->secret,
                     "description", sbj_nullable(e->description), "enabled_events", e->events,
                     "status", e->enabled ? "enabled" : "disabled", "created",
                     (json_int_t)e->created, "queued", (json_int_t)e->queue.n, "delivered",
                     (json_int_t)e->delivered, "attempts", (json_int_t)e->attempts,
                     "failed_attempts", (json_int_t)e->failed_attempts, "events_failed",
                     (json_int_t)e->events_failed, "forged", (json_int_t)e->forged, "dropped",
                     (json_int_t)e->dropped, "log", e->log);
}

static bool secret_ok(const char *s)
{
    size_t n = strlen(s);
    if (!fh_starts_with(s, "whsec_") || n < 8 || n > 128)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

/* Validates spec (all members optional unless creating); applies it to e when apply. */
static bool ep_check(json_t *spec, bool creating, char *err, size_t errsize)
{
    json_t *url = json_object_get(spec, "url"), *secret = json_object_get(spec, "secret"),
           *events = json_object_get(spec, "enabled_events"),
           *desc = json_object_get(spec, "description"), *status = json_object_get(spec, "status");
    bool ok = true;
    if ((creating || url) && (!json_is_string(url) || json_string_length(url) > 2048 ||
                              (!fh_starts_with(json_string_value(url), "http://") &&
                               !fh_starts_with(json_string_value(url), "https://"))))
        ok = false;
    if (secret && (!json_is_string(secret) || !secret_ok(json_string_value(secret))))
        ok = false;
    if (desc && (!json_is_string(desc) || json_string_length(desc) > 5000))
        ok = false;
    if (status && (!json_is_string(status) || (strcmp(json_string_value(status), "enabled") != 0 &&
                                               strcmp(json_string_value(status), "disabled") != 0)))
        ok = false;
    size_t i;
    json_t *v;
    if (events &&
        (!json_is_array(events) || json_array_size(events) == 0 || json_array_size(events) > 100))
        ok = false;
    json_array_foreach(events, i, v) ok = ok && json_is_string(v) && json_string_length(v) < 64;
    if (!ok)
        snprintf(err, errsize,
                 "url is an http(s) URL; secret whsec_... (8-128 printable characters); "
                 "enabled_events a non-empty array of event types or \"*\"; status "
                 "enabled|disabled; description a string");
    return ok;
}

static void ep_apply(struct endpoint *e, json_t *spec)
{
    const char *url = sbj_str(spec, "url"), *secret = sbj_str(spec, "secret"),
               *desc = sbj_str(spec, "description"), *status = sbj_str(spec, "status");
    json_t *events = json_object_get(spec, "enabled_events");
    if (url) {
        free(e->url);
        e->url = fh_strdup(url);
    }
    if (secret) {
        free(e->secret);
        e->secret = fh_strdup(secret);
    }
    if (desc) {
        free(e->description);
        e->description = fh_strdup(desc);
    }
    if (status)
        e->enabled = strcmp(status, "enabled") == 0;
    if (events) {
        json_decref(e->events);
        e->events = json_deep_copy(events);
    }
}

json_t *stp_wh_add(json_t *spec, char *err, size_t errsize)
{
    if (!ep_check(spec, true, err, errsize))
        return NULL;
    pthread_mutex_lock(&wh.w.lock);
    json_t *out = NULL;
    if (wh.eps.n >= ENDPOINT_MAX) {
        snprintf(err, errsize, "at most %d webhook endpoints (Stripe's limit)", ENDPOINT_MAX);
    } else {
        struct endpoint *e = fh_calloc(1, sizeof(*e));
        stp_id("we_", 24, e->id);
        char secret[STP_ID];
        stp_id("whsec_", 32, secret);
        e->secret = fh_strdup(secret);
        e->events = json_pack("[s]", "*");
        e->enabled = true;
        e->created = stp_now();
        e->log = json_array();
        ep_apply(e, spec);
        sb_vec_push(&wh.eps, e);
        out = ep_json(e);
    }
    pthread_mutex_unlock(&wh.w.lock);
    return out;
}

json_t *stp_wh_update(const char *id, json_t *spec, char *err, size_t errsize, bool *found)
{
    *found = false;
    if (!ep_check(spec, false, err, errsize))
        return NULL;
    pthread_mutex_lock(&wh.w.lock);
    struct endpoint *e = ep_find(id);
    json_t *out = NULL;
    if (e) {
        *found = true;
        ep_apply(e, spec);
        out = ep_json(e);
    }
    pthread_mutex_unlock(&wh.w.lock);
    if (!out)
        snprintf(err, errsize, "no webhook endpoint %s", id);
    return out;
}

bool stp_wh_delete(const char *id)
{
    pthread_mutex_lock(&wh.w.lock);
    struct endpoint *e = ep_find(id);
    if (e) {
        sb_vec_remove(&wh.eps, e);
        ep_free(e);
    }
    pthread_mutex_unlock(&wh.w.lock);
    return e != NULL;
}

json_t *stp_wh_json(const char *id)
{
    pthread_mutex_lock(&wh.w.lock);
    json_t *out = NULL;
    if (id) {
        struct endpoint *e = ep_find(id);
        out = e ? ep_json(e) : NULL;
    } else {
        out = json_array();
        for (size_t i = 0; i < wh.eps.n; i++)
            json_array_append_new(out, ep_json(wh.eps.v[i]));
    }
    pthread_mutex_unlock(&wh.w.lock);
    return out;
}

enum fh_rc stp_wh_send(const char *endpoint, const char *event_id, const char *body,
                       enum stp_forge forge, int64_t age_s, char *err, size_t errsize, int *queued)
{
    *queued = 0;
    char id[STP_ID], type[64] = "";
    if (event_id) {
        const struct event *ev = event_find(event_id);
        if (!ev) {
            snprintf(err, errsize, "no event %s among the last %d", event_id, EVENT_MAX);
            return FH_E_NOTFOUND;
        }
        body = ev->body;
        fh_strlcpy(type, ev->type, sizeof(type));
    }
    json_t *j = json_loads(body, 0, NULL);
    fh_strlcpy(id, sbj_str(j, "id") ? sbj_str(j, "id") : "evt_unknown", sizeof(id));
    if (!type[0])
        fh_strlcpy(type, sbj_str(j, "type") ? sbj_str(j, "type") : "unknown", sizeof(type));
    json_decref(j);
    pthread_mutex_lock(&wh.w.lock);
    struct endpoint *one = endpoint ? ep_find(endpoint) : NULL;
    for (size_t i = 0; i < wh.eps.n; i++) {
        struct endpoint *e = wh.eps.v[i];
        if ((one && e != one) || (!one && !e->enabled))
            continue;
        *queued += enqueue(e, id, type, body, forge, age_s);
    }
    pthread_mutex_unlock(&wh.w.lock);
    if (endpoint && !one) {
        snprintf(err, errsize, "no webhook endpoint %s", endpoint);
        return FH_E_NOTFOUND;
    }
    return FH_OK;
}

/* ---- sending (the worker thread) ---- */
static void signature(const char *secret, const struct delivery *d, char *out, size_t n)
{
    int64_t now = stp_now();
    size_t len = strlen(d->body);
    char sig[128], wrong[STP_ID];
    switch (d->forge) {
    case STP_F_BAD_SIG:
        stp_id("whsec_", 32, wrong);
        stp_sign(wrong, now, d->body, len, sig, sizeof(sig));
        break;
    case STP_F_STALE:
        stp_sign(secret, now - d->age_s, d->body, len, sig, sizeof(sig));
        break;
    case STP_F_NO_V1: /* the same MAC under a scheme name verifiers must ignore */
        stp_sign(secret, now, d->body, len, sig, sizeof(sig));
        memcpy(strstr(sig, ",v1=") + 2, "0", 1);
        break;
    case STP_F_MULTI_V1: /* a stale secret's signature first, then the right one */
        stp_id("whsec_", 32, wrong);
        stp_sign(wrong, now, d->body, len, sig, sizeof(sig));
        snprintf(out, n, "%s,", sig);
        stp_sign(secret, now, d->body, len, sig, sizeof(sig));
        snprintf(out + strlen(out), n - strlen(out), "%s", strstr(sig, "v1="));
        return;
    default:
        stp_sign(secret, now, d->body, len, sig, sizeof(sig));
    }
    snprintf(out, n, "%s", sig);
}

static void record(struct endpoint *e, struct delivery *d, const struct sb_post_result *r)
{
    bool ok = r->status >= 200 && r->status < 300;
    json_t *entry = json_pack("{s:s, s:s, s:I, s:i, s:b, s:I, s:o, s:I}", "event", d->event_id,
                              "type", d->type, "attempt", (json_int_t)d->attempts, "status",
                              (int)r->status, "ok", ok, "ms", (json_int_t)r->ms, "forged",
                              d->forge ? json_string(forge_names[d->forge]) : json_null(), "at",
                              (json_int_t)stp_now());
    if (r->error[0])
        json_object_set_new(entry, "error", json_string(r->error));
    json_array_append_new(e->log, entry);
    while (json_array_size(e->log) > LOG_MAX)
        json_array_remove(e->log, 0);
    e->attempts++;
    sb_stat_add(&stp_stats, "webhooks", "attempts", 1);
    if (d->forge) {
        e->forged++;
        sb_stat_add(&stp_stats, "webhooks", "forged_sent", 1);
    } else if (ok) {
        e->delivered++;
        sb_stat_add(&stp_stats, "webhooks", "delivered", 1);
    } else {
        e->failed_attempts++;
        sb_stat_add(&stp_stats, "webhooks", "failed_attempts", 1);
    }
}

/* Sends d (taken out of e's queue) with the lock released; requeues or frees it. */
static void deliver(struct endpoint *e, struct delivery *d)
{
    char id[STP_ID], sig[300], hdr[340];
    fh_strlcpy(id, e->id, sizeof(id));
    char *url = fh_strdup(e->url);
    signature(e->secret, d, sig, sizeof(sig));
    snprintf(hdr, sizeof(hdr), "Stripe-Signature: %s", sig);
    const char *const hdrs[] = {"Content-Type: application/json; charset=utf-8",
                                "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                                "Cache-Control: no-cache", d->forge == STP_F_NO_HEADER ? NULL : hdr,
                                NULL};
    int64_t timeout = wh.timeout_ms;
    d->attempts++;
    pthread_mutex_unlock(&wh.w.lock);
    struct sb_post_result r;
    sb_post(url, d->body, strlen(d->body), hdrs, timeout, &r);
    free(url);
    pthread_mutex_lock(&wh.w.lock);
    e = ep_find(id);
    if (!e) { /* removed or reset meanwhile */
        delivery_free(d);
        return;
    }
    record(e, d, &r);
    bool ok = r.status >= 200 && r.status < 300;
    if (ok || d->forge) {
        delivery_free(d);
    } else if (d->attempts >= wh.max_attempts) {
        e->events_failed++;
        sb_stat_add(&stp_stats, "webhooks", "events_failed", 1);
        delivery_free(d);
    } else {
        int64_t backoff = wh.retry_base_s * 1000 << (d->attempts - 1 < 20 ? d->attempts - 1 : 20);
        d->next_ms = fh_now_ms() + sb_scaled(backoff, wh.scale);
        sb_vec_push(&e->queue, d);
    }
}

/* One delivery, or the time until the next one is due (ms). */
static int64_t step(void)
{
    int64_t now = fh_now_ms(), wait = 1000;
    for (size_t i = 0; i < wh.eps.n; i++) {
        struct endpoint *e = wh.eps.v[i];
        for (size_t k = 0; k < e->queue.n; k++) {
            struct delivery *d = e->queue.v[k];
            if (d->next_ms <= now) {
                sb_vec_remove(&e->queue, d);
                deliver(e, d);
                return 0;
            }
            if (d->next_ms - now < wait)
                wait = d->next_ms - now;
        }
    }
    return wait;
}

void stp_wh_settings(const struct stp_settings *s)
{
    pthread_mutex_lock(&wh.w.lock);
    wh.scale = s->time_scale;
    wh.timeout_ms = s->webhook_timeout_ms;
    wh.max_attempts = s->webhook_attempts;
    wh.retry_base_s = s->retry_base_s;
    sb_worker_wake(&wh.w);
    pthread_mutex_unlock(&wh.w.lock);
}

void stp_wh_reset(void)
{
    pthread_mutex_lock(&wh.w.lock);
    for (size_t i = 0; i < wh.eps.n; i++)
        ep_free(wh.eps.v[i]);
    sb_vec_free(&wh.eps);
    pthread_mutex_unlock(&wh.w.lock);
}

enum fh_rc stp_wh_start(void)
{
    return sb_worker_start(&wh.w, "stripe");
}

void stp_wh_stop(void)
{
    sb_worker_stop(&wh.w);
    stp_wh_reset();
}
