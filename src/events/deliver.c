/* deliver.c - the "webhook.deliver" job: one POST of one event to one endpoint.
 *
 * Each attempt is its own job (unique key "webhook:<delivery>:<attempt>", payload {delivery_id,
 * attempt}). An attempt:
 *   1. Loads the delivery. Not pending: done. attempts = n - 1: go on. attempts = n with the
 *      attempt row unfinished: an earlier run of this job died during the call - its outcome is
 *      unknown, recorded as such and handled like no answer (retry). Anything else: stale, done.
 *   2. Commits "attempt n begun" (delivery attempts = n, guarded by attempts = n - 1, and the
 *      attempt row with its start time) BEFORE sending, so the log counts every POST that may
 *      have reached the receiver, even when the worker dies mid-call.
 *   3. POSTs the stored body with Fiscalhub-Signature (a fresh timestamp per attempt), the event
 *      id and type, and the custom headers. The connectors' HTTP client never lets libcurl re-send
 *      a POST on its own (the body cannot be rewound), so one attempt is at most one POST.
 *   4. Commits the outcome in one transaction: the attempt row (status, latency, an excerpt of at
 *      most 1 KiB of the answer), the delivery (delivered on 2xx; otherwise retried, or failed
 *      once the retry window has passed) and, when retrying, the next attempt's job at
 *      now + backoff (doubling from FISCALHUB_WEBHOOK_BACKOFF_MS up to _MAX_MS, +-25 % jitter).
 * Timeouts, connection errors, cut answers and every non-2xx status are retried; redirects are
 * not followed. A receiver may see an event more than once (a lost answer, a Redeliver): it
 * dedupes by the event id, which never changes. Nothing here logs the URL, a header value or the
 * body.
 *
 * An endpoint gets at most FISCALHUB_WEBHOOK_ENDPOINT_CONCURRENCY POSTs at a time from this
 * process (by default half the FISCALHUB_WORKERS, at least 1), so an endpoint that does not
 * answer holds some of the workers, never all of them.
 * An attempt whose endpoint is busy is not begun: while every POST in flight to it is young
 * (YOUNG_MS), the worker looks again every SPIN_MS for a while (a fast endpoint frees its slot in
 * a moment); otherwise its job goes back to the queue with no attempt spent (fh_job_release), due
 * when the POSTs ahead of it would have timed out (at most WAIT_MAX_MS), and the end of each POST
 * brings the oldest waiting job forward (fh_job_wake), to the head of the queue: the slot it frees
 * goes to that job, not to one that came later. Who waits is known only to the process that put
 * them back: a process that starts its workers makes every waiting delivery due
 * (fh_webhook_wake_waiting), so none waits out its time after a restart. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

#define MAX_RESPONSE (1024 * 1024)
#define DELIVER_MAX_ATTEMPTS 10

void fh_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                          char out[FH_WEBHOOK_SIG_SIZE])
{
    char ts[24];
    int tn = snprintf(ts, sizeof(ts), "%lld.", (long long)t);
    size_t n = (size_t)tn + len;
    char *msg = fh_malloc(n + 1);
    memcpy(msg, ts, (size_t)tn);
    memcpy(msg + tn, body, len);
    uint8_t mac[32];
    fh_hmac_sha256(secret, strlen(secret), msg, n, mac);
    free(msg);
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, FH_WEBHOOK_SIG_SIZE, "t=%lld,v1=%s", (long long)t, hex);
}

int64_t fh_webhook_backoff(int n, int64_t base_ms, int64_t max_ms)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < n && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    int64_t spread = d / 2;
    if (spread > (int64_t)UINT32_MAX - 1)
        spread = (int64_t)UINT32_MAX - 1;
    return d - d / 4 + (spread > 0 ? (int64_t)fh_random_uniform((uint32_t)spread + 1) : 0);
}

char *fh_webhook_excerpt(const char *text, size_t len, size_t max)
{
    struct fh_buf b;
    fh_buf_init(&b, max + 1);
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && n == 1 && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n')
            ok = false;
        const char *piece = ok ? (const char *)p + i : "?";
        size_t plen = ok ? n : 1;
        if (b.len + plen > max)
            break;
        fh_buf_append(&b, piece, plen);
        i += ok ? n : 1;
    }
    return fh_buf_steal(&b);
}

/* ---- one attempt ---- */

struct dl {
    int64_t id, window_start, integration_id;
    int attempts, round;
    char status[16], integ_status[16], event_id[48], type[48];
    char *body, *url, *headers_sealed, *secret_sealed;
};

static void dl_free(struct dl *d)
{
    free(d->body);
    free(d->url);
    free(d->headers_sealed);
    free(d->secret_sealed);
}

static char *dup_or_null(const char *s)
{
    return s ? fh_strdup(s) : NULL;
}

static int dl_load(struct fh_store *st, int64_t id, struct dl *d)
{
    memset(d, 0, sizeof(*d));
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows r;
    int qs = fh_store_exec(st,
                           "SELECT d.status, d.attempts, d.redeliveries, d.window_start, "
                           "e.event_id, e.type, e.body, w.url, w.headers_sealed, w.secret_sealed, "
                           "i.status, d.integration_id FROM webhook_deliveries d "
                           "JOIN webhook_events e ON e.id = d.event_row "
                           "JOIN integrations i ON i.id = d.integration_id "
                           "LEFT JOIN webhook_endpoints w ON w.integration_id = d.integration_id "
                           "WHERE d.id = $1",
                           p, 1, &r);
    if (qs > 0) {
        d->id = id;
        fh_strlcpy(d->status, fh_rows_get(&r, 0, 0) ?: "", sizeof(d->status));
        d->attempts = (int)fh_rows_i64(&r, 0, 1, 0);
        d->round = (int)fh_rows_i64(&r, 0, 2, 0);
        d->window_start = fh_rows_i64(&r, 0, 3, 0);
        fh_strlcpy(d->event_id, fh_rows_get(&r, 0, 4) ?: "", sizeof(d->event_id));
        fh_strlcpy(d->type, fh_rows_get(&r, 0, 5) ?: "", sizeof(d->type));
        d->body = fh_strdup(fh_rows_get(&r, 0, 6) ?: "");
        d->url = dup_or_null(fh_rows_get(&r, 0, 7));
        d->headers_sealed = dup_or_null(fh_rows_get(&r, 0, 8));
        d->secret_sealed = dup_or_null(fh_rows_get(&r, 0, 9));
        fh_strlcpy(d->integ_status, fh_rows_get(&r, 0, 10) ?: "", sizeof(d->integ_status));
        d->integration_id = fh_rows_i64(&r, 0, 11, 0);
    }
    fh_rows_free(&r);
    return qs;
}

struct outcome {
    long http_status; /* 0: no answer */
    int64_t latency_ms;
    char error[300];
    char *excerpt;
};

struct begin_ctx {
    int64_t id, now;
    int n, round;
};

static int begin_tx(struct fh_store *st, void *cls)
{
    struct begin_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->n), FH_PI(c->now), FH_PI(c->round)};
    int qs = fh_store_exec(st,
                           "UPDATE webhook_deliveries SET attempts = $2, last_attempt_at = $3, "
                           "next_attempt_at = NULL, updated_at = $3 WHERE id = $1 AND "
                           "status = 'pending' AND attempts = $2 - 1",
                           p, 3, NULL);
    if (qs <= 0)
        return qs;
    qs = fh_store_exec(st,
                       "INSERT INTO webhook_attempts (delivery_id, attempt, round, started_at) "
                       "VALUES ($1, $2, $4, $3)",
                       p, 4, NULL);
    return qs < 0 ? qs : 1;
}

struct finish_ctx {
    struct fh_app *app;
    const struct dl *d;
    const struct outcome *o;
    int n;
    int64_t now;
    bool *final;
};

/* The next attempt's job, or failed when the retry window has passed. */
static int schedule_next(struct fh_store *st, struct finish_ctx *c, const char *status_sql)
{
    const struct fh_config *cfg = c->app->cfg;
    int64_t window = cfg && cfg->webhook_retry_ms > 0 ? cfg->webhook_retry_ms : 86400000LL;
    bool give_up = c->now - c->d->window_start >= window;
    int64_t next = c->now + fh_webhook_backoff(c->n, cfg ? cfg->webhook_backoff_ms : 30000,
                                               cfg ? cfg->webhook_backoff_max_ms : 3600000);
    struct fh_param p[] = {FH_PI(c->d->id), FH_PI(c->n), FH_PI(c->now),
                           give_up ? FH_PNULL : FH_PI(next), FH_PT(give_up ? "failed" : "pending")};
    int qs = fh_store_exec(st, status_sql, p, FH_ARRAY_LEN(p), NULL);
    if (qs <= 0 || give_up) {
        *c->final = give_up;
        return qs;
    }
    char key[64], payload[80];
    snprintf(key, sizeof(key), "webhook:%lld:%d", (long long)c->d->id, c->n + 1);
    snprintf(payload, sizeof(payload), "{\"delivery_id\":%lld,\"attempt\":%d}", (long long)c->d->id,
             c->n + 1);
    struct fh_enqueue e = {.kind = FH_WEBHOOK_JOB_KIND,
                           .ukey = key,
                           .payload = payload,
                           .run_at = next,
                           .max_attempts = DELIVER_MAX_ATTEMPTS};
    enum fh_rc rc = fh_job_enqueue(st, NULL, &e, NULL, NULL);
    return fh_rc_qs(rc);
}

static int finish_tx(struct fh_store *st, void *cls)
{
    struct finish_ctx *c = cls;
    const struct outcome *o = c->o;
    bool ok = o->http_status >= 200 && o->http_status < 300;
    struct fh_param a[] = {FH_PI(c->d->id),      FH_PI(c->n),
                           FH_PI(c->now),        o->http_status ? FH_PI(o->http_status) : FH_PNULL,
                           FH_PI(o->latency_ms), o->error[0] ? FH_PT(o->error) : FH_PNULL,
                           FH_PT(o->excerpt)};
    int qs = fh_store_exec(st,
                           "UPDATE webhook_attempts SET finished_at = $3, http_status = $4, "
                           "latency_ms = $5, error = $6, response_excerpt = $7 WHERE "
                           "delivery_id = $1 AND attempt = $2 AND finished_at IS NULL",
                           a, FH_ARRAY_LEN(a), NULL);
    if (qs <= 0) /* 0: another run recorded this attempt already */
        return qs;
    qs = fh_store_exec(st,
                       "UPDATE webhook_deliveries SET last_http_status = $4, last_latency_ms = $5, "
                       "last_error = $6, last_response = $7, updated_at = $3 "
                       "WHERE id = $1 AND attempts = $2",
                       a, FH_ARRAY_LEN(a), NULL);
    if (qs <= 0)
        return qs;
    if (ok) {
        *c->final = true;
        return fh_store_exec(st,
                             "UPDATE webhook_deliveries SET status = 'delivered', "
                             "delivered_at = $3, next_attempt_at = NULL WHERE id = $1 AND "
                             "attempts = $2 AND status = 'pending'",
                             a, 3, NULL);
    }
    return schedule_next(st, c,
                         "UPDATE webhook_deliveries SET status = $5, next_attempt_at = $4, "
                         "updated_at = $3 WHERE id = $1 AND attempts = $2 AND status = 'pending'");
}

static enum fh_rc finish(struct fh_app *app, const struct dl *d, int n, const struct outcome *o,
                         char *err, size_t errsize)
{
    bool final = false;
    struct finish_ctx c = {.app = app, .d = d, .o = o, .n = n, .now = fh_now_ms(), .final = &final};
    int qs = fh_store_run_tx(app->store, finish_tx, &c);
    if (qs < 0) { /* the job runs again: attempt n is found begun and unfinished */
        snprintf(err, errsize, "store error while recording delivery %lld attempt %d",
                 (long long)d->id, n);
        return FH_E_RETRY;
    }
    fh_log(FH_LOG_INFO, "webhook_delivery", "delivery %lld (%s %s) attempt %d: %ld in %lld ms%s",
           (long long)d->id, d->type, d->event_id, n, o->http_status, (long long)o->latency_ms,
           final ? (o->http_status >= 200 && o->http_status < 300 ? ", delivered" : ", failed")
                 : "");
    return FH_OK;
}

/* The request's header lines (each allocated; the array NULL-terminated). */
static char **header_lines(struct fh_app *app, const struct dl *d, int n, const char *sig)
{
    size_t max = FH_WEBHOOK_MAX_HEADERS + 8, k = 0;
    char **h = fh_calloc(max, sizeof(*h));
    h[k++] = fh_strdup("Content-Type: application/json");
    h[k++] = fh_asprintf("Fiscalhub-Event-Id: %s", d->event_id);
    h[k++] = fh_asprintf("Fiscalhub-Event-Type: %s", d->type);
    h[k++] = fh_asprintf("Fiscalhub-Delivery: %lld-%d", (long long)d->id, n);
    h[k++] = fh_asprintf("Fiscalhub-Signature: %s", sig);
    uint8_t *plain = NULL;
    size_t len = 0;
    if (d->headers_sealed &&
        fh_secret_open(app->master_key, d->headers_sealed, &plain, &len) == FH_OK) {
        json_t *list = json_loadb((const char *)plain, len, 0, NULL);
        sodium_memzero(plain, len);
        free(plain);
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            const char *name = json_string_value(json_object_get(e, "name"));
            const char *value = json_string_value(json_object_get(e, "value"));
            if (name && value && k + 1 < max)
                h[k++] = fh_asprintf("%s: %s", name, value);
        }
        json_decref(list);
    }
    return h;
}

static void header_lines_free(char **h)
{
    for (size_t i = 0; h && h[i]; i++) {
        sodium_memzero(h[i], strlen(h[i]));
        free(h[i]);
    }
    free(h);
}

static void post(struct fh_app *app, const struct dl *d, int n, const char *secret,
                 struct outcome *o)
{
    char sig[FH_WEBHOOK_SIG_SIZE];
    fh_webhook_signature(secret, fh_now_ms() / 1000, d->body, strlen(d->body), sig);
    char **headers = header_lines(app, d, n, sig);
    const struct fh_config *cfg = app->cfg;
    struct fh_http_request rq = {
        .method = "POST",
        .url = d->url,
        .headers = (const char *const *)headers,
        .body = d->body,
        .body_len = strlen(d->body),
        .timeout_ms = cfg && cfg->webhook_timeout_ms ? (long)cfg->webhook_timeout_ms : 10000L,
        .max_response = MAX_RESPONSE};
    struct fh_http_response r;
    int64_t t0 = fh_mono_ms();
    enum fh_rc rc = fh_http_call(&rq, &r);
    o->latency_ms = fh_mono_ms() - t0;
    header_lines_free(headers);
    o->http_status = r.status;
    if (rc != FH_OK)
        snprintf(o->error, sizeof(o->error), "%s", r.error);
    else if (r.status == 0)
        snprintf(o->error, sizeof(o->error), "no answer: %s",
                 r.too_large ? "the answer was larger than 1 MiB" : r.error);
    else if (r.status < 200 || r.status >= 300)
        snprintf(o->error, sizeof(o->error), "HTTP %ld", r.status);
    o->excerpt = fh_webhook_excerpt(r.body, r.len, FH_WEBHOOK_EXCERPT_MAX);
    fh_http_response_free(&r);
}

/* ---- POSTs in flight per endpoint (this process) ---- */

enum {
    WAIT_FIRST = 64,
    WAIT_MAX = 65536,
    WAIT_MAX_MS = 30000,
    MAX_SLOTS = 256, /* the largest FISCALHUB_WEBHOOK_ENDPOINT_CONCURRENCY */
    YOUNG_MS = 250,  /* POSTs in flight this long or less will likely end soon */
    SPIN_MS = 5,     /* a busy endpoint whose POSTs are all young: look again after this */
    SPIN_TIMES = 50, /* ... up to this many times before the job waits in the queue */
};

#define WAITING_REASON "waiting: another POST to this endpoint is in flight"

enum take { TAKE_OK, TAKE_SOON, TAKE_WAIT };

struct endpoint {
    int64_t integration_id;
    int64_t inflight;
    int64_t started[MAX_SLOTS]; /* the POSTs in flight: when each began (monotonic ms) */
    int64_t *wait;              /* delivery jobs waiting for a slot, oldest first (a ring of cap) */
    size_t head, nwait, cap;
    struct endpoint *next;
};

/* Appends id to e's ring, growing it up to WAIT_MAX; false when it is full. */
static bool ring_push(struct endpoint *e, int64_t id)
{
    if (e->nwait == e->cap) {
        if (e->cap >= WAIT_MAX)
            return false;
        size_t cap = e->cap ? e->cap * 2 : WAIT_FIRST;
        int64_t *w = fh_calloc(cap, sizeof(*w));
        for (size_t i = 0; i < e->nwait; i++)
            w[i] = e->wait[(e->head + i) % e->cap];
        free(e->wait);
        e->wait = w;
        e->head = 0;
        e->cap = cap;
    }
    e->wait[(e->head + e->nwait++) % e->cap] = id;
    return true;
}

static pthread_mutex_t endpoints_lock = PTHREAD_MUTEX_INITIALIZER;
static struct endpoint *endpoints; /* those with a POST in flight or a job waiting */

static struct endpoint **endpoint_find(int64_t integration_id)
{
    struct endpoint **e = &endpoints;
    while (*e && (*e)->integration_id != integration_id)
        e = &(*e)->next;
    return e;
}

/* Takes a slot of the endpoint (TAKE_OK, *start: its start, for endpoint_give). When none is
 * free: TAKE_SOON if may_spin and every POST in flight began at most YOUNG_MS ago (a fast
 * endpoint: look again shortly), else TAKE_WAIT with job_id recorded as waiting and *ahead
 * saying how many wait before it. */
static enum take endpoint_take(int64_t integration_id, int64_t limit, int64_t job_id, bool may_spin,
                               size_t *ahead, int64_t *start)
{
    int64_t now = fh_mono_ms();
    if (limit <= 0 || limit > MAX_SLOTS)
        limit = limit <= 0 ? 1 : MAX_SLOTS;
    pthread_mutex_lock(&endpoints_lock);
    struct endpoint **ep = endpoint_find(integration_id);
    if (!*ep) {
        *ep = fh_calloc(1, sizeof(**ep));
        (*ep)->integration_id = integration_id;
    }
    struct endpoint *e = *ep;
    enum take t = TAKE_OK;
    if (e->inflight < limit) {
        e->started[e->inflight++] = now;
        *start = now;
    } else {
        int64_t oldest = now;
        for (int64_t i = 0; i < e->inflight; i++)
            oldest = e->started[i] < oldest ? e->started[i] : oldest;
        t = may_spin && now - oldest <= YOUNG_MS ? TAKE_SOON : TAKE_WAIT;
    }
    if (t == TAKE_WAIT) {
        size_t i = 0;
        while (i < e->nwait && e->wait[(e->head + i) % e->cap] != job_id)
            i++;
        if (i == e->nwait)
            ring_push(e, job_id); /* a full ring: it waits for its time */
        *ahead = i;
    }
    pthread_mutex_unlock(&endpoints_lock);
    return t;
}

/* With put_back, gives back the slot taken at start; then takes the oldest waiting job off the
 * ring (0: none). An endpoint with nothing in flight and nobody waiting is forgotten. */
static int64_t endpoint_next(int64_t integration_id, bool put_back, int64_t start)
{
    pthread_mutex_lock(&endpoints_lock);
    struct endpoint **ep = endpoint_find(integration_id), *e = *ep;
    int64_t id = 0;
    if (e) {
        for (int64_t i = 0; put_back && i < e->inflight; i++) {
            if (e->started[i] == start) {
                e->started[i] = e->started[--e->inflight];
                break;
            }
        }
        if (e->nwait > 0) {
            id = e->wait[e->head];
            e->head = (e->head + 1) % e->cap;
            e->nwait--;
        }
        if (e->inflight == 0 && e->nwait == 0) {
            *ep = e->next;
            free(e->wait);
            free(e);
        }
    }
    pthread_mutex_unlock(&endpoints_lock);
    return id;
}

/* Gives the slot taken at start back and brings the oldest job still waiting for it forward. */
static void endpoint_give(struct fh_app *app, int64_t integration_id, int64_t start)
{
    int64_t now = fh_now_ms();
    for (int64_t id = endpoint_next(integration_id, true, start); id > 0;
         id = endpoint_next(integration_id, false, 0))
        if (fh_job_wake(app->store, id, FH_WEBHOOK_JOB_KIND, 0, now) != FH_E_NOTFOUND)
            break; /* woken, or the store failed: the job runs at its time */
}

/* The endpoint is busy: the job waits, without an attempt, until the POSTs ahead of it would
 * have timed out (or until a slot is given back first). */
static enum fh_rc wait_for_endpoint(struct fh_app *app, const struct fh_job *job, size_t ahead,
                                    char *err, size_t errsize)
{
    int64_t t = app->cfg && app->cfg->webhook_timeout_ms ? app->cfg->webhook_timeout_ms : 10000;
    int64_t wait = t * (int64_t)(ahead + 1);
    if (wait > WAIT_MAX_MS)
        wait = WAIT_MAX_MS;
    wait += (int64_t)fh_random_uniform((uint32_t)(t / 4 + 1));
    int64_t now = fh_now_ms();
    if (fh_job_release(app->store, job->id, job->lease_owner, now + wait, WAITING_REASON, now) !=
        FH_OK) {
        snprintf(err, errsize, "could not put the delivery back to wait for its endpoint");
        return FH_E_RETRY;
    }
    return FH_LATER;
}

/* Opens the secret and sends; the outcome is recorded whatever happens. */
static enum fh_rc attempt_now(struct fh_app *app, const struct dl *d, int n, char *err,
                              size_t errsize)
{
    struct begin_ctx b = {.id = d->id, .now = fh_now_ms(), .n = n, .round = d->round};
    int qs = fh_store_run_tx(app->store, begin_tx, &b);
    if (qs < 0) {
        snprintf(err, errsize, "store error while starting delivery %lld", (long long)d->id);
        return FH_E_RETRY;
    }
    if (qs == 0) /* another run took this attempt */
        return FH_OK;
    struct outcome o = {0};
    uint8_t *secret = NULL;
    size_t len = 0;
    if (!d->secret_sealed ||
        fh_secret_open(app->master_key, d->secret_sealed, &secret, &len) != FH_OK) {
        snprintf(o.error, sizeof(o.error),
                 "the signing secret cannot be opened (master key changed?)");
        o.excerpt = fh_strdup("");
    } else {
        post(app, d, n, (const char *)secret, &o);
        sodium_memzero(secret, len);
        free(secret);
    }
    enum fh_rc rc = finish(app, d, n, &o, err, errsize);
    free(o.excerpt);
    return rc;
}

/* attempt_now once the endpoint has a free slot. */
static enum fh_rc attempt(struct fh_app *app, const struct fh_job *job, const struct dl *d, int n,
                          char *err, size_t errsize)
{
    int64_t limit = app->cfg ? app->cfg->webhook_endpoint_concurrency : 1;
    if (limit <= 0) /* half the workers that run webhook deliveries */
        limit = app->cfg && app->cfg->workers > 1 ? app->cfg->workers / 2 : 1;
    size_t ahead = 0;
    int64_t start = 0;
    enum take t;
    for (int i = 0; (t = endpoint_take(d->integration_id, limit, job->id, i < SPIN_TIMES, &ahead,
                                       &start)) == TAKE_SOON;
         i++)
        fh_sleep_ms(SPIN_MS); /* a fast endpoint: its slot is free again in a moment */
    if (t == TAKE_WAIT)
        return wait_for_endpoint(app, job, ahead, err, errsize);
    enum fh_rc rc = attempt_now(app, d, n, err, errsize);
    endpoint_give(app, d->integration_id, start);
    return rc;
}

/* Marks a pending delivery failed without an attempt (its endpoint is gone). */
static enum fh_rc fail_without_attempt(struct fh_store *st, const struct dl *d, const char *why,
                                       char *err, size_t errsize)
{
    struct fh_param p[] = {FH_PI(d->id), FH_PT(why), FH_PI(fh_now_ms())};
    if (fh_store_exec(
            st,
            "UPDATE webhook_deliveries SET status = 'failed', last_error = $2, "
            "next_attempt_at = NULL, updated_at = $3 WHERE id = $1 AND status = 'pending'",
            p, 3, NULL) < 0) {
        snprintf(err, errsize, "store error while failing delivery %lld", (long long)d->id);
        return FH_E_RETRY;
    }
    return FH_OK;
}

/* Whether attempt n of delivery id was begun and never finished. */
static int unfinished(struct fh_store *st, int64_t id, int n)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(n)};
    return fh_store_exec(st,
                         "SELECT 1 FROM webhook_attempts WHERE delivery_id = $1 AND attempt = $2 "
                         "AND finished_at IS NULL",
                         p, 2, NULL);
}

static enum fh_rc run(struct fh_app *app, struct fh_store *st, const struct fh_job *job,
                      const struct dl *d, int n, char *err, size_t errsize)
{
    if (strcmp(d->status, "pending") != 0)
        return FH_OK;
    if (d->attempts == n) {
        int qs = unfinished(st, d->id, n);
        if (qs < 0) {
            snprintf(err, errsize, "store error while checking delivery %lld", (long long)d->id);
            return FH_E_RETRY;
        }
        if (qs == 0)
            return FH_OK;
        struct outcome o = {.excerpt = fh_strdup("")};
        snprintf(o.error, sizeof(o.error),
                 "outcome unknown: the worker stopped during the call; sending again");
        enum fh_rc rc = finish(app, d, n, &o, err, errsize);
        free(o.excerpt);
        return rc;
    }
    if (d->attempts != n - 1)
        return FH_OK;
    if (strcmp(d->integ_status, "active") != 0 || !d->url)
        return fail_without_attempt(st, d, "the endpoint's integration was removed", err, errsize);
    return attempt(app, job, d, n, err, errsize);
}

enum fh_rc fh_webhook_job_deliver(void *cls, struct fh_store *st, const struct fh_job *job,
                                  char *err, size_t errsize)
{
    json_t *p = json_loads(job->payload, 0, NULL);
    int64_t id = json_integer_value(json_object_get(p, "delivery_id"));
    int n = (int)json_integer_value(json_object_get(p, "attempt"));
    json_decref(p);
    if (id <= 0 || n <= 0) {
        snprintf(err, errsize, "malformed payload");
        return FH_ERR;
    }
    struct dl d;
    int qs = dl_load(st, id, &d);
    enum fh_rc rc = FH_OK;
    if (qs < 0) {
        snprintf(err, errsize, "store error while loading delivery %lld", (long long)id);
        rc = FH_E_RETRY;
    } else if (qs > 0) {
        rc = run(cls, st, job, &d, n, err, errsize);
    }
    dl_free(&d);
    return rc;
}

enum fh_rc fh_webhook_wake_waiting(struct fh_store *st)
{
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PT(FH_WEBHOOK_JOB_KIND), FH_PI(now), FH_PT(WAITING_REASON)};
    int qs = fh_store_exec(st,
                           "UPDATE jobs SET run_at = $2, updated_at = $2 WHERE kind = $1 AND "
                           "state = 'ready' AND run_at > $2 AND last_error = $3",
                           p, FH_ARRAY_LEN(p), NULL);
    return fh_qs_rc(qs);
}
