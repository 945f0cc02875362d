/* governor.c - the rate governor every partner call goes through.
 *
 * Partners publish fixed windows (Xero: per tenant 60 calls a minute and 5,000 a day, 5 in
 * flight, and 10,000 a minute for the whole app; Zoho Books: per organization 100 a minute, a
 * day by plan, 5 or 10 in flight). The minute and day windows live in the store
 * (`rate_windows`, one row per scope "<partner>:<tenant>:min" / ":day" and "<partner>:app:min")
 * so that every fiscalhub process sharing a store counts together; a reservation is one short
 * transaction that checks all three scopes and counts the call in each. The in-flight limit is
 * counted per process (calls are short; a process runs few workers).
 *
 * The partner's view wins: every answer's remaining-quota headers (Xero's X-MinLimit-Remaining /
 * X-DayLimit-Remaining / X-AppMinLimit-Remaining, Zoho's X-Rate-Limit-Remaining for the day) raise
 * our count to (limit - remaining), so our windows never believe in more room than the partner
 * has; a day left at 0 blocks the day window until the partner's reset (Zoho's
 * X-Rate-Limit-Reset); a 429 sets blocked_until = now + Retry-After (a whole window without one)
 * on the window X-Rate-Limit-Problem names. A caller that may not call gets the earliest allowed
 * time and defers its job to then (work waits, it never fails for a rate limit). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_connector.h"

enum { MAX_INFLIGHT_SCOPES = 256, CONCURRENT_WAIT_MS = 100 };

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char scope[80];
    int64_t n;
} inflight[MAX_INFLIGHT_SCOPES];

static bool inflight_take(const char *scope, int64_t limit)
{
    pthread_mutex_lock(&inflight_lock);
    int free_slot = -1, found = -1;
    for (int i = 0; i < MAX_INFLIGHT_SCOPES; i++) {
        if (inflight[i].n > 0 && strcmp(inflight[i].scope, scope) == 0)
            found = i;
        else if (inflight[i].n == 0 && free_slot < 0)
            free_slot = i;
    }
    bool ok = false;
    if (found >= 0 && inflight[found].n < limit) {
        inflight[found].n++;
        ok = true;
    } else if (found < 0 && free_slot >= 0) {
        fh_strlcpy(inflight[free_slot].scope, scope, sizeof(inflight[free_slot].scope));
        inflight[free_slot].n = 1;
        ok = true;
    }
    pthread_mutex_unlock(&inflight_lock);
    return ok;
}

static void inflight_give(const char *scope)
{
    pthread_mutex_lock(&inflight_lock);
    for (int i = 0; i < MAX_INFLIGHT_SCOPES; i++) {
        if (inflight[i].n > 0 && strcmp(inflight[i].scope, scope) == 0) {
            inflight[i].n--;
            break;
        }
    }
    pthread_mutex_unlock(&inflight_lock);
}

struct window {
    char scope[100];
    int64_t len_ms, limit;
};

static void windows_of(const char *partner, const char *tenant, const struct fh_gov_limits *l,
                       struct window w[3])
{
    int64_t scale = l->time_scale > 0 ? l->time_scale : 1;
    /* Windows are 2% longer than the partner's: ours start at our reservation, the partner's at
     * the call's arrival a moment later, so ours must not end first. */
    snprintf(w[0].scope, sizeof(w[0].scope), "%s:%s:min", partner, tenant);
    w[0].len_ms = 60000 / scale * 51 / 50;
    w[0].limit = l->minute;
    snprintf(w[1].scope, sizeof(w[1].scope), "%s:%s:day", partner, tenant);
    w[1].len_ms = 86400000 / scale * 51 / 50;
    w[1].limit = l->day;
    snprintf(w[2].scope, sizeof(w[2].scope), "%s:app:min", partner);
    w[2].len_ms = 60000 / scale * 51 / 50;
    w[2].limit = l->app_minute;
}

struct acquire_ctx {
    struct window w[3];
    int64_t now, wait_until;
};

static int acquire_tx(struct fh_store *st, void *cls)
{
    struct acquire_ctx *c = cls;
    c->wait_until = 0;
    for (int i = 0; i < 3; i++) {
        struct fh_param p[] = {FH_PT(c->w[i].scope)};
        struct fh_rows rows;
        int qs = fh_store_exec(
            st,
            fh_store_sql(
                st, "SELECT window_start, calls, blocked_until FROM rate_windows WHERE scope = $1",
                "SELECT window_start, calls, blocked_until FROM rate_windows WHERE scope = $1 "
                "FOR UPDATE"),
            p, 1, &rows);
        if (qs < 0)
            return qs;
        if (qs > 0) {
            int64_t start = fh_rows_i64(&rows, 0, 0, 0), calls = fh_rows_i64(&rows, 0, 1, 0);
            int64_t blocked = fh_rows_i64(&rows, 0, 2, 0), end = start + c->w[i].len_ms;
            if (blocked > c->now && blocked > c->wait_until)
                c->wait_until = blocked;
            if (end > c->now && calls >= c->w[i].limit && end > c->wait_until)
                c->wait_until = end;
        }
        fh_rows_free(&rows);
    }
    if (c->wait_until)
        return 0;
    for (int i = 0; i < 3; i++) {
        struct fh_param p[] = {FH_PT(c->w[i].scope), FH_PI(c->now), FH_PI(c->w[i].len_ms)};
        int qs =
            fh_store_exec(st,
                          "INSERT INTO rate_windows (scope, window_start, calls, blocked_until) "
                          "VALUES ($1, $2, 1, 0) "
                          "ON CONFLICT (scope) DO UPDATE SET "
                          "calls = CASE WHEN rate_windows.window_start + $3 <= $2 THEN 1 ELSE "
                          "rate_windows.calls + 1 END, "
                          "window_start = CASE WHEN rate_windows.window_start + $3 <= $2 THEN $2 "
                          "ELSE rate_windows.window_start END",
                          p, FH_ARRAY_LEN(p), NULL);
        if (qs < 0)
            return qs;
    }
    return 1;
}

enum fh_rc fh_gov_acquire(struct fh_store *st, const char *partner, const char *tenant,
                          const struct fh_gov_limits *l, int64_t now, int64_t *wait_until,
                          struct fh_gov_ticket *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->scope, sizeof(t->scope), "%s:%s", partner, tenant);
    if (!inflight_take(t->scope, l->concurrent > 0 ? l->concurrent : 5)) {
        *wait_until = now + CONCURRENT_WAIT_MS;
        return FH_E_RETRY;
    }
    struct acquire_ctx c = {.now = now};
    windows_of(partner, tenant, l, c.w);
    int qs = fh_store_run_tx(st, acquire_tx, &c);
    if (qs < 0 || c.wait_until) {
        inflight_give(t->scope);
        if (qs < 0)
            return FH_ERR;
        *wait_until = c.wait_until;
        return FH_E_RETRY;
    }
    t->held = true;
    return FH_OK;
}

void fh_gov_release(struct fh_gov_ticket *t)
{
    if (t && t->held) {
        inflight_give(t->scope);
        t->held = false;
    }
}

/* Raises a window's count to limit - remaining (the partner's own view). */
static void sync_remaining(struct fh_store *st, const struct window *w, const char *remaining,
                           int64_t now)
{
    int64_t rem;
    if (!fh_parse_i64(remaining, &rem) || rem < 0)
        return;
    int64_t used = w->limit - rem;
    if (used <= 0)
        return;
    struct fh_param p[] = {FH_PT(w->scope), FH_PI(now), FH_PI(used), FH_PI(w->len_ms)};
    fh_store_exec(st,
                  "INSERT INTO rate_windows (scope, window_start, calls, blocked_until) "
                  "VALUES ($1, $2, $3, 0) ON CONFLICT (scope) DO UPDATE SET "
                  "calls = CASE WHEN rate_windows.window_start + $4 <= $2 THEN $3 "
                  "WHEN rate_windows.calls < $3 THEN $3 ELSE rate_windows.calls END, "
                  "window_start = CASE WHEN rate_windows.window_start + $4 <= $2 THEN $2 "
                  "ELSE rate_windows.window_start END",
                  p, FH_ARRAY_LEN(p), NULL);
}

static void block(struct fh_store *st, const struct window *w, int64_t until, int64_t now)
{
    struct fh_param p[] = {FH_PT(w->scope), FH_PI(now), FH_PI(until)};
    fh_store_exec(st,
                  "INSERT INTO rate_windows (scope, window_start, calls, blocked_until) "
                  "VALUES ($1, $2, 0, $3) ON CONFLICT (scope) DO UPDATE SET "
                  "blocked_until = CASE WHEN rate_windows.blocked_until < $3 THEN $3 "
                  "ELSE rate_windows.blocked_until END",
                  p, FH_ARRAY_LEN(p), NULL);
}

int64_t fh_gov_observe(struct fh_store *st, const char *partner, const char *tenant,
                       const struct fh_gov_limits *l, const struct fh_http_response *r, int64_t now)
{
    struct window w[3];
    windows_of(partner, tenant, l, w);
    const char *const hdr[3] = {l->minute_left_header, l->day_left_header, l->app_left_header};
    char v[32];
    for (int i = 0; i < 3; i++)
        if (hdr[i] && fh_http_header(r, hdr[i], v, sizeof(v)))
            sync_remaining(st, &w[i], v, now);
    int64_t left = -1, reset = -1;
    if (l->day_left_header && l->day_reset_header && /* the day is over: wait for its end */
        fh_http_header(r, l->day_left_header, v, sizeof(v)) && fh_parse_i64(v, &left) &&
        left == 0 && fh_http_header(r, l->day_reset_header, v, sizeof(v)) &&
        fh_parse_i64(v, &reset) && reset > 0 && reset <= 86400)
        block(st, &w[1], now + reset * 1000, now);
    if (r->status != 429)
        return 0;
    int64_t secs = -1, wait;
    if (fh_http_header(r, "Retry-After", v, sizeof(v)) && !fh_parse_i64(v, &secs))
        secs = -1;
    char problem[32] = "";
    fh_http_header(r, "X-Rate-Limit-Problem", problem, sizeof(problem));
    int which = 0; /* minute */
    if (strcasecmp(problem, "day") == 0 || (!problem[0] && secs > 60))
        which = 1;
    else if (strcasecmp(problem, "appminute") == 0)
        which = 2;
    if (strcasecmp(problem, "concurrent") == 0)
        wait = secs > 0 ? secs * 1000 : 1000;
    else
        wait = secs >= 0 ? secs * 1000 : w[which].len_ms;
    if (wait < 50)
        wait = 50;
    if (strcasecmp(problem, "concurrent") != 0)
        block(st, &w[which], now + wait, now);
    fh_log(FH_LOG_WARN, "rate_limited", "%s tenant %.40s: 429 (%s), waiting %lld ms", partner,
           tenant, problem[0] ? problem : "unnamed", (long long)wait);
    return wait;
}
