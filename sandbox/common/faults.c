/* faults.c - fault injection for the emulators' APIs (moved here from the Xero emulator), like
 * the V-SDC emulator's: each request draws one number from a seeded splitmix64 generator and
 * compares it with the cumulative probabilities below; a queue `next` of named faults
 * overrides the draw for the next requests one by one (deterministic tests).
 *   error_5xx  answer status_5xx (500) with the partner's error body
 *   timeout    hold the connection timeout_ms (5000) without answering, then reset it
 *   reset      reset the connection (TCP RST) at once
 *   slow       wait slow_ms (1000), then answer normally
 *   cut        answer normally, but a 200's body only in its first half (the Content-Length
 *              saying so): a client sees an answer that does not parse
 * Forced 429s: force_429 {count, problem, retry_after, <tenant key>} answers the next `count`
 * API calls (of that tenant, or of any) with 429 whatever the counters say. Requests of the
 * identity (token) endpoints draw only with apply_to_identity. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"

static const char *const names[] = {"none", "error_5xx", "timeout", "reset", "slow", "cut"};

/* Set by a cut fault on the thread that runs the request's handler; sb_send cuts its answer. */
static _Thread_local bool cut_reply;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void defaults(struct sb_faults *f)
{
    memset(f->p, 0, sizeof(f->p));
    f->seed = f->state = (uint64_t)time(NULL);
    f->timeout_ms = 5000;
    f->slow_ms = 1000;
    f->status_5xx = 500;
    f->identity = false;
    f->nnext = f->inext = 0;
    f->f429_count = 0;
}

void sb_faults_reset(struct sb_faults *f)
{
    pthread_mutex_lock(&f->lock);
    defaults(f);
    pthread_mutex_unlock(&f->lock);
}

void sb_faults_draw(struct sb_faults *f, bool identity, struct sb_fault_draw *d)
{
    cut_reply = false; /* a request's own draw decides */
    pthread_mutex_lock(&f->lock);
    d->kind = SBF_NONE;
    d->status = f->status_5xx;
    d->ms = 0;
    if (!identity || f->identity) {
        if (f->inext < f->nnext) {
            d->kind = f->next[f->inext++];
        } else {
            double r = (double)(splitmix(&f->state) >> 11) * 0x1.0p-53, acc = 0;
            for (int k = SBF_5XX; k <= SBF_CUT && d->kind == SBF_NONE; k++) {
                acc += f->p[k];
                if (r < acc)
                    d->kind = (enum sb_fault)k;
            }
        }
    }
    d->ms = d->kind == SBF_TIMEOUT ? f->timeout_ms : d->kind == SBF_SLOW ? f->slow_ms : 0;
    pthread_mutex_unlock(&f->lock);
}

bool sb_faults_take_429(struct sb_faults *f, const char *tenant, const char **problem,
                        int64_t *retry_after_s)
{
    pthread_mutex_lock(&f->lock);
    bool due = f->f429_count > 0 && (!f->f429_tenant[0] || strcmp(f->f429_tenant, tenant) == 0);
    if (due) {
        f->f429_count--;
        *problem = f->problems[0];
        for (size_t i = 0; f->problems[i]; i++)
            if (strcmp(f->f429_problem, f->problems[i]) == 0)
                *problem = f->problems[i];
        *retry_after_s = strcmp(*problem, "concurrent") == 0 ? 0 : f->f429_retry;
    }
    pthread_mutex_unlock(&f->lock);
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

static enum fh_rc parse_next(json_t *arr, enum sb_fault *out, size_t *n, char *err, size_t errsize)
{
    *n = 0;
    if (!arr)
        return FH_OK;
    if (!json_is_array(arr) || json_array_size(arr) > SB_FAULT_NEXT_MAX) {
        snprintf(err, errsize, "next must be an array of at most %d fault names",
                 SB_FAULT_NEXT_MAX);
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
            snprintf(err, errsize,
                     "next[%zu] must be one of none, error_5xx, timeout, reset, slow, cut", i);
            return FH_E_INPUT;
        }
        out[(*n)++] = (enum sb_fault)k;
    }
    return FH_OK;
}

static bool problem_known(const struct sb_faults *f, const char *p)
{
    for (size_t i = 0; f->problems[i]; i++)
        if (strcmp(p, f->problems[i]) == 0)
            return true;
    return false;
}

static enum fh_rc parse_429(const struct sb_faults *f, json_t *o, char *err, size_t errsize,
                            double *count, double *retry, const char **problem, const char **tenant)
{
    *count = 0;
    *retry = 60;
    *problem = f->problems[0];
    *tenant = "";
    if (!o)
        return FH_OK;
    const char *p = sbj_str(o, "problem"), *t = sbj_str(o, f->tenant_key);
    size_t tl = t ? strlen(t) : 0;
    if (!json_is_object(o) || !number(o, "count", 0, 1e6, count) ||
        !number(o, "retry_after", 0, 86400, retry) || (p && !problem_known(f, p)) ||
        (t && (f->tenant_len ? tl != f->tenant_len : tl == 0 || tl > 63))) {
        struct fh_buf b;
        fh_buf_init(&b, 1024);
        for (size_t i = 0; f->problems[i]; i++)
            fh_buf_appendf(&b, "%s%s", i ? "|" : "", f->problems[i]);
        snprintf(err, errsize, "force_429 is {count, problem: %s, retry_after, %s}",
                 b.data ? b.data : "", f->tenant_key);
        fh_buf_free(&b);
        return FH_E_INPUT;
    }
    *problem = p ? p : f->problems[0];
    *tenant = t ? t : "";
    return FH_OK;
}

enum fh_rc sb_faults_set(struct sb_faults *f, json_t *cfg, char *err, size_t errsize)
{
    double p[6] = {0}, timeout = 5000, slow = 1000, status = 500, seed = -1, sum = 0, c429, r429;
    for (int k = SBF_5XX; k <= SBF_CUT; k++) {
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
    enum sb_fault next[SB_FAULT_NEXT_MAX];
    size_t nnext;
    const char *problem, *tenant;
    if (ident && !json_is_boolean(ident)) {
        snprintf(err, errsize, "apply_to_identity must be true or false");
        return FH_E_INPUT;
    }
    if (parse_next(json_object_get(cfg, "next"), next, &nnext, err, errsize) != FH_OK ||
        parse_429(f, json_object_get(cfg, "force_429"), err, errsize, &c429, &r429, &problem,
                  &tenant) != FH_OK)
        return FH_E_INPUT;
    pthread_mutex_lock(&f->lock);
    defaults(f);
    memcpy(f->p, p, sizeof(p));
    if (seed >= 0)
        f->seed = f->state = (uint64_t)seed;
    f->timeout_ms = (int64_t)timeout;
    f->slow_ms = (int64_t)slow;
    f->status_5xx = (int)status;
    f->identity = json_is_true(ident);
    memcpy(f->next, next, nnext * sizeof(*next));
    f->nnext = nnext;
    f->f429_count = (int64_t)c429;
    f->f429_retry = (int64_t)r429;
    fh_strlcpy(f->f429_problem, problem, sizeof(f->f429_problem));
    fh_strlcpy(f->f429_tenant, tenant, sizeof(f->f429_tenant));
    pthread_mutex_unlock(&f->lock);
    return FH_OK;
}

json_t *sb_faults_json(struct sb_faults *f)
{
    pthread_mutex_lock(&f->lock);
    json_t *next = json_array();
    for (size_t i = f->inext; i < f->nnext; i++)
        json_array_append_new(next, json_string(names[f->next[i]]));
    json_t *o = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:i, s:b, s:o, s:{s:I, s:s, s:I, s:o}}",
        "error_5xx", f->p[SBF_5XX], "timeout", f->p[SBF_TIMEOUT], "reset", f->p[SBF_RESET], "slow",
        f->p[SBF_SLOW], "cut", f->p[SBF_CUT], "seed", (json_int_t)f->seed, "timeout_ms",
        (json_int_t)f->timeout_ms, "slow_ms", (json_int_t)f->slow_ms, "status_5xx", f->status_5xx,
        "apply_to_identity", f->identity, "next", next, "force_429", "count",
        (json_int_t)f->f429_count, "problem", f->f429_problem[0] ? f->f429_problem : f->problems[0],
        "retry_after", (json_int_t)f->f429_retry, f->tenant_key,
        sbj_nullable(f->f429_tenant[0] ? f->f429_tenant : NULL));
    pthread_mutex_unlock(&f->lock);
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
    sb_send(req, 500, NULL, NULL, 0, NULL); /* never arrives; keeps the server's bookkeeping */
}

bool sb_faults_apply(struct sb_faults *f, struct fh_req *req, const struct sb_fault_draw *d)
{
    if (d->kind == SBF_NONE)
        return false;
    if (f->stats)
        sb_stat_add(f->stats, "faults", names[d->kind], 1);
    switch (d->kind) {
    case SBF_SLOW:
        fh_sleep_ms(d->ms);
        return false;
    case SBF_CUT:
        cut_reply = true;
        return false;
    case SBF_5XX:
        sb_send(req, (unsigned int)d->status, f->ctype_5xx, fh_strdup(f->body_5xx),
                strlen(f->body_5xx), NULL);
        return true;
    case SBF_TIMEOUT:
        fh_sleep_ms(d->ms);
        reset_connection(req);
        return true;
    default:
        reset_connection(req);
        return true;
    }
}

bool sb_faults_cut_reply(void)
{
    bool cut = cut_reply;
    cut_reply = false;
    return cut;
}
