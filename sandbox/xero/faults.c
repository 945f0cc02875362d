/* faults.c - fault injection for the Accounting API, /connections and (when asked) the token
 * endpoint, like the V-SDC emulator's: each request draws one number from a seeded splitmix64
 * generator and compares it with the cumulative probabilities below; a queue `next` of named
 * faults overrides the draw for the next requests one by one (deterministic tests).
 *   error_5xx  answer status_5xx (500) with Xero's plain-text error
 *   timeout    hold the connection timeout_ms (5000) without answering, then reset it
 *   reset      reset the connection (TCP RST) at once
 *   slow       wait slow_ms (1000), then answer normally
 * Forced 429s: force_429 {count, problem, retry_after, tenant_id} answers the next `count`
 * Accounting calls (of that tenant, or of any) with 429 whatever the counters say. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "xero_internal.h"

#define NEXT_MAX 64

static const char *const names[] = {"none", "error_5xx", "timeout", "reset", "slow"};

static struct {
    pthread_mutex_t lock;
    double p[5];
    uint64_t seed, state;
    int64_t timeout_ms, slow_ms;
    int status_5xx;
    bool identity;
    enum x_fault next[NEXT_MAX];
    size_t nnext, inext;
    int64_t f429_count, f429_retry;
    char f429_problem[16], f429_tenant[X_ID];
} f = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void defaults(void)
{
    memset(f.p, 0, sizeof(f.p));
    f.seed = f.state = (uint64_t)time(NULL);
    f.timeout_ms = 5000;
    f.slow_ms = 1000;
    f.status_5xx = 500;
    f.identity = false;
    f.nnext = f.inext = 0;
    f.f429_count = 0;
}

void faults_reset(void)
{
    pthread_mutex_lock(&f.lock);
    defaults();
    pthread_mutex_unlock(&f.lock);
}

void faults_draw(bool identity, struct x_fault_draw *d)
{
    pthread_mutex_lock(&f.lock);
    d->kind = XF_NONE;
    d->status = f.status_5xx;
    d->ms = 0;
    if (!identity || f.identity) {
        if (f.inext < f.nnext) {
            d->kind = f.next[f.inext++];
        } else {
            double r = (double)(splitmix(&f.state) >> 11) * 0x1.0p-53, acc = 0;
            for (int k = XF_5XX; k <= XF_SLOW && d->kind == XF_NONE; k++) {
                acc += f.p[k];
                if (r < acc)
                    d->kind = (enum x_fault)k;
            }
        }
    }
    d->ms = d->kind == XF_TIMEOUT ? f.timeout_ms : d->kind == XF_SLOW ? f.slow_ms : 0;
    pthread_mutex_unlock(&f.lock);
}

bool faults_take_429(const char *tenant, const char **problem, int64_t *retry_after_s)
{
    static const char *const problems[] = {"minute", "day", "appminute", "concurrent"};
    pthread_mutex_lock(&f.lock);
    bool due = f.f429_count > 0 && (!f.f429_tenant[0] || strcmp(f.f429_tenant, tenant) == 0);
    if (due) {
        f.f429_count--;
        *problem = problems[0];
        for (size_t i = 0; i < FH_ARRAY_LEN(problems); i++)
            if (strcmp(f.f429_problem, problems[i]) == 0)
                *problem = problems[i];
        *retry_after_s = strcmp(*problem, "concurrent") == 0 ? 0 : f.f429_retry;
    }
    pthread_mutex_unlock(&f.lock);
    return due;
}

static bool number(json_t *cfg, const char *key, double lo, double hi, double *out)
{
    json_t *v = json_object_get(cfg, key);
    if (!v)
        return true;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return false;
    *out = json_number_value(v);
    return true;
}

static enum fh_rc parse_next(json_t *arr, enum x_fault *out, size_t *n, char *err, size_t errsize)
{
    *n = 0;
    if (!arr)
        return FH_OK;
    if (!json_is_array(arr) || json_array_size(arr) > NEXT_MAX) {
        snprintf(err, errsize, "next must be an array of at most %d fault names", NEXT_MAX);
        return FH_E_INPUT;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        int k = -1;
        for (int j = 0; j < (int)FH_ARRAY_LEN(names) && json_is_string(v); j++)
            if (strcmp(json_string_value(v), names[j]) == 0)
                k = j;
        if (k < 0) {
            snprintf(err, errsize, "next[%zu] must be one of none, error_5xx, timeout, reset, slow",
                     i);
            return FH_E_INPUT;
        }
        out[(*n)++] = (enum x_fault)k;
    }
    return FH_OK;
}

static enum fh_rc parse_429(json_t *o, char *err, size_t errsize, double *count, double *retry,
                            const char **problem, const char **tenant)
{
    *count = 0;
    *retry = 60;
    *problem = "minute";
    *tenant = "";
    if (!o)
        return FH_OK;
    const char *p = xj_str(o, "problem"), *t = xj_str(o, "tenant_id");
    if (!json_is_object(o) || !number(o, "count", 0, 1e6, count) ||
        !number(o, "retry_after", 0, 86400, retry) ||
        (p && strcmp(p, "minute") && strcmp(p, "day") && strcmp(p, "appminute") &&
         strcmp(p, "concurrent")) ||
        (t && strlen(t) != 36)) {
        snprintf(err, errsize,
                 "force_429 is {count, problem: minute|day|appminute|concurrent, retry_after, "
                 "tenant_id}");
        return FH_E_INPUT;
    }
    *problem = p ? p : "minute";
    *tenant = t ? t : "";
    return FH_OK;
}

enum fh_rc faults_set(json_t *cfg, char *err, size_t errsize)
{
    double p[5] = {0}, timeout = 5000, slow = 1000, status = 500, seed = -1, sum = 0, c429, r429;
    for (int k = XF_5XX; k <= XF_SLOW; k++) {
        if (!number(cfg, names[k], 0, 1, &p[k])) {
            snprintf(err, errsize, "%s must be a probability between 0 and 1", names[k]);
            return FH_E_INPUT;
        }
        sum += p[k];
    }
    if (sum > 1.0 + 1e-9 || !number(cfg, "timeout_ms", 0, 600000, &timeout) ||
        !number(cfg, "slow_ms", 0, 600000, &slow) ||
        !number(cfg, "status_5xx", 500, 599, &status) ||
        !number(cfg, "seed", 0, 9007199254740991.0, &seed)) {
        snprintf(err, errsize,
                 "probabilities add up to at most 1; timeout_ms, slow_ms 0..600000; status_5xx "
                 "500..599");
        return FH_E_INPUT;
    }
    json_t *ident = json_object_get(cfg, "apply_to_identity");
    enum x_fault next[NEXT_MAX];
    size_t nnext;
    const char *problem, *tenant;
    if (ident && !json_is_boolean(ident)) {
        snprintf(err, errsize, "apply_to_identity must be true or false");
        return FH_E_INPUT;
    }
    if (parse_next(json_object_get(cfg, "next"), next, &nnext, err, errsize) != FH_OK ||
        parse_429(json_object_get(cfg, "force_429"), err, errsize, &c429, &r429, &problem,
                  &tenant) != FH_OK)
        return FH_E_INPUT;
    pthread_mutex_lock(&f.lock);
    defaults();
    memcpy(f.p, p, sizeof(p));
    if (seed >= 0)
        f.seed = f.state = (uint64_t)seed;
    f.timeout_ms = (int64_t)timeout;
    f.slow_ms = (int64_t)slow;
    f.status_5xx = (int)status;
    f.identity = json_is_true(ident);
    memcpy(f.next, next, nnext * sizeof(*next));
    f.nnext = nnext;
    f.f429_count = (int64_t)c429;
    f.f429_retry = (int64_t)r429;
    fh_strlcpy(f.f429_problem, problem, sizeof(f.f429_problem));
    fh_strlcpy(f.f429_tenant, tenant, sizeof(f.f429_tenant));
    pthread_mutex_unlock(&f.lock);
    return FH_OK;
}

json_t *faults_json(void)
{
    pthread_mutex_lock(&f.lock);
    json_t *next = json_array();
    for (size_t i = f.inext; i < f.nnext; i++)
        json_array_append_new(next, json_string(names[f.next[i]]));
    json_t *o = json_pack(
        "{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:i, s:b, s:o, s:{s:I, s:s, s:I, s:o}}", "error_5xx",
        f.p[XF_5XX], "timeout", f.p[XF_TIMEOUT], "reset", f.p[XF_RESET], "slow", f.p[XF_SLOW],
        "seed", (json_int_t)f.seed, "timeout_ms", (json_int_t)f.timeout_ms, "slow_ms",
        (json_int_t)f.slow_ms, "status_5xx", f.status_5xx, "apply_to_identity", f.identity, "next",
        next, "force_429", "count", (json_int_t)f.f429_count, "problem", f.f429_problem,
        "retry_after", (json_int_t)f.f429_retry, "tenant_id",
        xj_nullable(f.f429_tenant[0] ? f.f429_tenant : NULL));
    pthread_mutex_unlock(&f.lock);
    return o;
}

/* Resets the TCP connection under the request: connect(AF_UNSPEC) makes Linux send a RST while
 * the descriptor stays valid for libmicrohttpd, which then fails to write and closes it. */
static void reset_connection(struct fh_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        struct sockaddr sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_family = AF_UNSPEC;
        if (connect(ci->connect_fd, &sa, sizeof(sa)) != 0)
            shutdown(ci->connect_fd, SHUT_RDWR);
    }
    x_send(req, 500, NULL, NULL, 0, NULL); /* never arrives; keeps the server's bookkeeping */
}

bool faults_apply(struct fh_req *req, const struct x_fault_draw *d)
{
    static const char msg[] =
        "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
        "for current service status.";
    if (d->kind == XF_NONE)
        return false;
    stat_add("faults", names[d->kind], 1);
    switch (d->kind) {
    case XF_SLOW:
        fh_sleep_ms(d->ms);
        return false;
    case XF_5XX:
        x_send(req, (unsigned int)d->status, "text/plain; charset=utf-8", fh_strdup(msg),
               strlen(msg), NULL);
        return true;
    case XF_TIMEOUT:
        fh_sleep_ms(d->ms);
        reset_connection(req);
        return true;
    default:
        reset_connection(req);
        return true;
    }
}
