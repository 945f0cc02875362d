/* ratelimit.c - call limits of the emulated APIs (moved here from the Xero emulator): per
 * tenant (or per app and tenant) a minute window, a day window and a number of calls in
 * flight, and optionally per app a minute window over all tenants. Windows are fixed and start
 * with the first call, so each tenant's minute resets at its own time; the emulator passes
 * their (time-scaled) lengths with each call. A call over a limit is refused and not counted.
 *
 * Precedence when several limits are hit: day, app minute, minute, concurrent. retry_after_s is
 * the rest of the window in (scaled, real) seconds, at least 1, and 0 for concurrent.
 * Per-tenant overrides and "held" in-flight slots make every limit testable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct bucket {
    int64_t min_start, min_count, day_start, day_count;
    int64_t inflight, hold_until, hold_slots;
};

struct override {
    int64_t minute, day, concurrent; /* -1: default */
};

static void key_of(char *key, size_t n, const char *app, const char *tenant)
{
    if (app)
        snprintf(key, n, "%s/%s", app, tenant);
    else
        snprintf(key, n, "%s", tenant);
}

static struct bucket *get(struct sb_map *m, const char *key)
{
    struct bucket *b = sb_map_get(m, key);
    if (!b) {
        b = fh_calloc(1, sizeof(*b));
        sb_map_put(m, key, b);
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

static void effective(struct sb_rl *rl, const char *tenant, const struct sb_rl_ctx *ctx,
                      struct sb_rl_limits *l)
{
    *l = ctx->lim;
    struct override *o = sb_map_get(&rl->overrides, tenant);
    if (o && o->minute >= 0)
        l->minute = o->minute;
    if (o && o->day >= 0)
        l->day = o->day;
    if (o && o->concurrent >= 0)
        l->concurrent = o->concurrent;
}

static int64_t floor0(int64_t v)
{
    return v < 0 ? 0 : v;
}

void sb_rl_acquire(struct sb_rl *rl, const char *app, const char *tenant,
                   const struct sb_rl_ctx *ctx, struct sb_rl_result *r)
{
    char key[160];
    key_of(key, sizeof(key), app, tenant);
    int64_t now = fh_now_ms();
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = get(&rl->buckets, key), *a = app ? get(&rl->apps, app) : NULL;
    struct sb_rl_limits l;
    effective(rl, tenant, ctx, &l);
    roll(&b->min_start, &b->min_count, ctx->minute_ms, now);
    roll(&b->day_start, &b->day_count, ctx->day_ms, now);
    if (a)
        roll(&a->min_start, &a->min_count, ctx->minute_ms, now);
    int64_t held = b->hold_until > now ? b->hold_slots : 0;
    memset(r, 0, sizeof(*r));
    if (b->day_count >= l.day) {
        r->problem = "day";
        r->retry_after_s = secs_left(b->day_start, ctx->day_ms, now);
    } else if (a && a->min_count >= l.app_minute) {
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
        if (a)
            a->min_count++;
        b->inflight++;
    }
    r->day_limit = l.day;
    r->minute_limit = l.minute;
    r->day_left = floor0(l.day - b->day_count);
    r->min_left = floor0(l.minute - b->min_count);
    r->app_min_left = a ? floor0(l.app_minute - a->min_count) : 0;
    r->day_reset_s = secs_left(b->day_start, ctx->day_ms, now);
    r->min_reset_s = secs_left(b->min_start, ctx->minute_ms, now);
    pthread_mutex_unlock(&rl->lock);
}

void sb_rl_release(struct sb_rl *rl, const char *app, const char *tenant)
{
    char key[160];
    key_of(key, sizeof(key), app, tenant);
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = sb_map_get(&rl->buckets, key);
    if (b && b->inflight > 0)
        b->inflight--;
    pthread_mutex_unlock(&rl->lock);
}

void sb_rl_hold(struct sb_rl *rl, const char *app, const char *tenant, int64_t slots, int64_t ms)
{
    char key[160];
    key_of(key, sizeof(key), app, tenant);
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = get(&rl->buckets, key);
    b->hold_slots = slots;
    b->hold_until = fh_now_ms() + ms;
    pthread_mutex_unlock(&rl->lock);
}

void sb_rl_set_override(struct sb_rl *rl, const char *tenant, const struct sb_rl_limits *l)
{
    pthread_mutex_lock(&rl->lock);
    struct override *o = sb_map_get(&rl->overrides, tenant);
    if (!o) {
        o = fh_calloc(1, sizeof(*o));
        sb_map_put(&rl->overrides, tenant, o);
    }
    o->minute = l->minute;
    o->day = l->day;
    o->concurrent = l->concurrent;
    pthread_mutex_unlock(&rl->lock);
}

static json_t *num_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

json_t *sb_rl_override_json(struct sb_rl *rl, const char *tenant)
{
    pthread_mutex_lock(&rl->lock);
    struct override *o = sb_map_get(&rl->overrides, tenant);
    json_t *j =
        json_pack("{s:o, s:o, s:o}", "minute", num_or_null(o ? o->minute : -1), "day",
                  num_or_null(o ? o->day : -1), "concurrent", num_or_null(o ? o->concurrent : -1));
    pthread_mutex_unlock(&rl->lock);
    return j;
}

static void clear(struct sb_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (sb_map_live(m, i))
            free(m->vals[i]);
    sb_map_free(m);
}

void sb_rl_reset(struct sb_rl *rl)
{
    pthread_mutex_lock(&rl->lock);
    clear(&rl->buckets);
    clear(&rl->apps);
    clear(&rl->overrides);
    pthread_mutex_unlock(&rl->lock);
}
