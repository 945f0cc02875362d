/* ratelimit.c - Xero's API limits (specs/xero.md §3): per tenant and app 60 calls per minute,
 * 5,000 per day (a setting; 1,000 on Xero's Starter tier) and 5 in flight; per app 10,000 per
 * minute over all tenants. Windows are fixed and start with the first call, so each tenant's
 * minute resets at its own time; their lengths are divided by the time scale. A call over a
 * limit is answered 429 and is not counted.
 *
 * Precedence when several limits are hit: day, app minute, minute, concurrent. Retry-After is
 * sent for day and minute (Xero's documented cases) and for app minute [I]; its value is the
 * rest of the window in (scaled, real) seconds, at least 1. Per-tenant overrides and
 * "held" concurrency slots (POST /xero/control/orgs/{id}/hold) make every limit testable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xero_internal.h"

struct bucket {
    int64_t min_start, min_count, day_start, day_count;
    int64_t inflight, hold_until, hold_slots;
};

struct override {
    int64_t minute, day, concurrent; /* -1: default */
};

static struct {
    pthread_mutex_t lock;
    struct xmap buckets; /* "client_id/tenant" */
    struct xmap apps;    /* client_id -> struct bucket (min_* only) */
    struct xmap overrides;
} rl = {.lock = PTHREAD_MUTEX_INITIALIZER};

void rl_ctx_from_settings(struct rl_ctx *c)
{
    c->lim.minute = xs.set.lim_minute;
    c->lim.day = xs.set.lim_day;
    c->lim.concurrent = xs.set.lim_concurrent;
    c->lim.app_minute = xs.set.lim_app_minute;
    c->minute_ms = x_scaled(X_MINUTE_MS);
    c->day_ms = x_scaled(X_DAY_MS);
}

static struct bucket *get(struct xmap *m, const char *key)
{
    struct bucket *b = xmap_get(m, key);
    if (!b) {
        b = fh_calloc(1, sizeof(*b));
        xmap_put(m, key, b);
    }
    return b;
}

static void roll(int64_t *start, int64_t *count, int64_t len, int64_t now)
{
    if (*start == 0 || now >= *start + len) {
        *start = now;
        *count = 0;
    }
}

static int64_t secs_left(int64_t start, int64_t len, int64_t now)
{
    int64_t s = (start + len - now + 999) / 1000;
    return s > 0 ? s : 1;
}

static void effective(const char *tenant, const struct rl_ctx *ctx, struct rl_limits *l)
{
    *l = ctx->lim;
    struct override *o = xmap_get(&rl.overrides, tenant);
    if (o && o->minute >= 0)
        l->minute = o->minute;
    if (o && o->day >= 0)
        l->day = o->day;
    if (o && o->concurrent >= 0)
        l->concurrent = o->concurrent;
}

void rl_acquire(const char *client_id, const char *tenant, const struct rl_ctx *ctx,
                struct rl_result *r)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", client_id, tenant);
    int64_t now = x_now_ms();
    pthread_mutex_lock(&rl.lock);
    struct bucket *b = get(&rl.buckets, key), *a = get(&rl.apps, client_id);
    struct rl_limits l;
    effective(tenant, ctx, &l);
    roll(&b->min_start, &b->min_count, ctx->minute_ms, now);
    roll(&b->day_start, &b->day_count, ctx->day_ms, now);
    roll(&a->min_start, &a->min_count, ctx->minute_ms, now);
    int64_t held = b->hold_until > now ? b->hold_slots : 0;
    memset(r, 0, sizeof(*r));
    if (b->day_count >= l.day) {
        r->problem = "day";
        r->retry_after_s = secs_left(b->day_start, ctx->day_ms, now);
    } else if (a->min_count >= l.app_minute) {
        r->problem = "appminute";
        r->retry_after_s = secs_left(a->min_start, ctx->minute_ms, now);
    } else if (b->min_count >= l.minute) {
        r->problem = "minute";
        r->retry_after_s = secs_left(b->min_start, ctx->minute_ms, now);
    } else if (b->inflight + held >= l.concurrent) {
        r->problem = "concurrent";
    } else {
        b->min_count++;
        b->day_count++;
        a->min_count++;
        b->inflight++;
    }
    r->day_left = l.day - b->day_count;
    r->min_left = l.minute - b->min_count;
    r->app_min_left = l.app_minute - a->min_count;
    r->day_left = r->day_left < 0 ? 0 : r->day_left;
    r->min_left = r->min_left < 0 ? 0 : r->min_left;
    r->app_min_left = r->app_min_left < 0 ? 0 : r->app_min_left;
    pthread_mutex_unlock(&rl.lock);
}

void rl_release(const char *client_id, const char *tenant)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", client_id, tenant);
    pthread_mutex_lock(&rl.lock);
    struct bucket *b = xmap_get(&rl.buckets, key);
    if (b && b->inflight > 0)
        b->inflight--;
    pthread_mutex_unlock(&rl.lock);
}

void rl_hold(const char *client_id, const char *tenant, int64_t slots, int64_t ms)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", client_id, tenant);
    pthread_mutex_lock(&rl.lock);
    struct bucket *b = get(&rl.buckets, key);
    b->hold_slots = slots;
    b->hold_until = x_now_ms() + ms;
    pthread_mutex_unlock(&rl.lock);
}

void rl_set_override(const char *tenant, const struct rl_limits *l)
{
    pthread_mutex_lock(&rl.lock);
    struct override *o = xmap_get(&rl.overrides, tenant);
    if (!o) {
        o = fh_calloc(1, sizeof(*o));
        xmap_put(&rl.overrides, tenant, o);
    }
    o->minute = l->minute;
    o->day = l->day;
    o->concurrent = l->concurrent;
    pthread_mutex_unlock(&rl.lock);
}

static json_t *num_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

json_t *rl_override_json(const char *tenant)
{
    pthread_mutex_lock(&rl.lock);
    struct override *o = xmap_get(&rl.overrides, tenant);
    json_t *j =
        json_pack("{s:o, s:o, s:o}", "minute", num_or_null(o ? o->minute : -1), "day",
                  num_or_null(o ? o->day : -1), "concurrent", num_or_null(o ? o->concurrent : -1));
    pthread_mutex_unlock(&rl.lock);
    return j;
}

static void clear(struct xmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (xmap_live(m, i))
            free(m->vals[i]);
    xmap_free(m);
}

void rl_reset(void)
{
    pthread_mutex_lock(&rl.lock);
    clear(&rl.buckets);
    clear(&rl.apps);
    clear(&rl.overrides);
    pthread_mutex_unlock(&rl.lock);
}

void rl_free(void)
{
    rl_reset();
}
