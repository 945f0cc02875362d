/* governor.c - the rate governor every partner call goes through.
 *
 * Partners publish fixed windows (Xero: per tenant 60 calls a minute and 5,000 a day, 5 in
 * flight, and 10,000 a minute for the whole app; Zoho Books: per organization 100 a minute, a
 * day by plan, 5 or 10 in flight). The minute and day windows live in the store
 * (`rate_windows`, one row per scope "<partner>:<tenant>:min" / ":day" and "<partner>:app:min")
 * so that every fiscalhub process sharing a store counts together; a reservation is one short
 * transaction that checks all three scopes and counts the call in each. Calls in flight are rows
 * of `rate_calls` (scope "<partner>:<tenant>"), inserted by the reservation and deleted when the
 * call ends, so the in-flight limit holds across processes too. A row names its process
 * (holder: host name, PID namespace and PID); a process that died during its call leaves its rows
 * until the call's timeout has passed, except that a process on the same host and PID namespace
 * sees that the holder is gone and deletes them at once (a restart after a crash does not wait
 * for its predecessor's calls). On PostgreSQL the reservation takes a transaction-level advisory
 * lock on the scope first, so that two processes never both count the last free slot; SQLite
 * runs one writer at a time.
 *
 * The partner's view wins: every answer's remaining-quota headers (Xero's X-MinLimit-Remaining /
 * X-DayLimit-Remaining / X-AppMinLimit-Remaining, Zoho's X-Rate-Limit-Remaining for the day) raise
 * our count to (limit - remaining), so our windows never believe in more room than the partner
 * has; a day left at 0 blocks the day window until the partner's reset (Zoho's
 * X-Rate-Limit-Reset); a 429 sets blocked_until = now + Retry-After (a whole window without one)
 * on the window X-Rate-Limit-Problem names. A caller that may not call gets the earliest allowed
 * time and defers its job to then (work waits, it never fails for a rate limit). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fh/fh_connector.h"

enum { CONCURRENT_WAIT_MS = 100, DEFAULT_CALL_MS = 120000, CALL_MARGIN_MS = 5000 };

/* This process as a holder of calls: "<host> <pid namespace>:<pid>" ("pid:[4026531836]" is what
 * /proc/self/ns/pid links to; without it the namespace is "?", which no other holder matches). */
static char holder[200];
static size_t holder_place; /* the length of "<host> <pid namespace>:" */
static pthread_once_t holder_once = PTHREAD_ONCE_INIT;

static void holder_init(void)
{
    char host[100] = "", ns[64] = "?";
    if (gethostname(host, sizeof(host) - 1) != 0)
        fh_strlcpy(host, "?", sizeof(host));
    ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    ns[n > 0 ? n : 1] = '\0';
    int k = snprintf(holder, sizeof(holder), "%s %s:", host, ns);
    holder_place = k > 0 && (size_t)k < sizeof(holder) ? (size_t)k : 0;
    snprintf(holder + holder_place, sizeof(holder) - holder_place, "%ld", (long)getpid());
}

/* True when h names another process of this host and PID namespace that no longer exists. */
static bool holder_gone(const char *h)
{
    if (!h || holder_place == 0 || strncmp(h, holder, holder_place) != 0 || strchr(h, '?'))
        return false;
    int64_t pid;
    if (!fh_parse_i64(h + holder_place, &pid) || pid <= 1 || pid == (int64_t)getpid())
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
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
    const char *scope; /* "<partner>:<tenant>": the calls in flight */
    int64_t concurrent, call_ms;
    struct window w[3];
    int64_t now, wait_until, call_id;
};

/* The calls of c->scope in flight, after dropping the expired ones and those of processes known
 * to be gone: -1 on store error. */
static int64_t in_flight(struct fh_store *st, const struct acquire_ctx *c)
{
    struct fh_param p[] = {FH_PT(c->scope), FH_PI(c->now)};
    if (fh_store_backend(st) == FH_STORE_PG &&
        fh_store_exec(st, "SELECT pg_advisory_xact_lock(hashtext($1))", p, 1, NULL) < 0)
        return -1;
    if (fh_store_exec(st, "DELETE FROM rate_calls WHERE scope = $1 AND expires_at <= $2", p, 2,
                      NULL) < 0)
        return -1;
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT id, holder FROM rate_calls WHERE scope = $1", p, 1, &rows);
    if (qs < 0) {
        fh_rows_free(&rows);
        return -1;
    }
    int64_t n = 0;
    for (int i = 0; i < qs; i++) {
        if (!holder_gone(fh_rows_get(&rows, (size_t)i, 1))) {
            n++;
            continue;
        }
        struct fh_param d[] = {FH_PI(fh_rows_i64(&rows, (size_t)i, 0, 0))};
        if (fh_store_exec(st, "DELETE FROM rate_calls WHERE id = $1", d, 1, NULL) < 0) {
            n = -1;
            break;
        }
    }
    fh_rows_free(&rows);
    return n;
}

static int acquire_tx(struct fh_store *st, void *cls)
{
    struct acquire_ctx *c = cls;
    c->wait_until = 0;
    int64_t flying = in_flight(st, c);
    if (flying < 0)
        return -1;
    if (flying >= c->concurrent) {
        c->wait_until = c->now + CONCURRENT_WAIT_MS;
        return 0;
    }
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
    struct fh_param p[] = {FH_PT(c->scope), FH_PT(holder),
                           FH_PI(c->now + c->call_ms + CALL_MARGIN_MS)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st, "INSERT INTO rate_calls (scope, holder, expires_at) VALUES ($1, $2, $3) RETURNING id",
        p, 3, &rows);
    if (qs <= 0)
        return qs < 0 ? qs : -1;
    c->call_id = fh_rows_i64(&rows, 0, 0, 0);
    fh_rows_free(&rows);
    return 1;
}

enum fh_rc fh_gov_acquire(struct fh_store *st, const char *partner, const char *tenant,
                          const struct fh_gov_limits *l, int64_t now, int64_t *wait_until,
                          struct fh_gov_ticket *t)
{
    memset(t, 0, sizeof(*t));
    pthread_once(&holder_once, holder_init);
    char scope[100];
    snprintf(scope, sizeof(scope), "%s:%s", partner, tenant);
    struct acquire_ctx c = {.scope = scope,
                            .concurrent = l->concurrent > 0 ? l->concurrent : 5,
                            .call_ms = l->call_ms > 0 ? l->call_ms : DEFAULT_CALL_MS,
                            .now = now};
    windows_of(partner, tenant, l, c.w);
    int qs = fh_store_run_tx(st, acquire_tx, &c);
    if (qs < 0)
        return FH_ERR;
    if (c.wait_until) {
        *wait_until = c.wait_until;
        return FH_E_RETRY;
    }
    t->call_id = c.call_id;
    t->held = true;
    return FH_OK;
}

void fh_gov_release(struct fh_store *st, struct fh_gov_ticket *t)
{
    if (!t || !t->held)
        return;
    t->held = false;
    struct fh_param p[] = {FH_PI(t->call_id)};
    if (fh_store_exec(st, "DELETE FROM rate_calls WHERE id = $1", p, 1, NULL) < 0)
        fh_log(FH_LOG_WARN, "rate_governor",
               "store error ending call %lld: it counts as in flight until it expires",
               (long long)t->call_id);
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
