/* webhooks.c - Xero's webhook sender (specs/xero.md §4), one background thread with libcurl.
 *
 * Per app: one URL, one signing key, the categories it subscribes to (INVOICE and CONTACT by
 * default; CREDITNOTE on request) and a queue of events with sequence numbers of its own.
 * Bodies are {"events":[...],"firstEventSequence":n,"lastEventSequence":m,"entropy":"..."}
 * and carry x-xero-signature = base64(HMAC-SHA256(key bytes, raw body)).
 *
 * Intent to receive runs when a URL is set or changed (and on request): itr_rounds pairs of an
 * empty-events body, one correctly and one wrongly signed, in random order; the receiver must
 * answer 200 and 401 respectively within webhook_timeout_ms (5 s). Only then are events sent.
 * Events wait in the queue meanwhile (and while disabled), at most 10,000 per app.
 *
 * Delivery: events that arrive within batch_delay_ms go out together (at most batch_max).
 * Anything but 200 is a failure: the same body is retried at once, then every 15 minutes, and
 * after 24 hours of failures the subscription is disabled [S]; all three durations are divided
 * by the time scale. The thread (a ../common/worker.c worker; wh.w.lock is its lock) never takes
 * xs.lock; it works on copies made under wh.w.lock and drops a result when the subscription
 * changed meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

#define QUEUE_MAX 10000
#define LOG_MAX 50
#define RETRY_MS (15 * 60000LL)
#define GIVE_UP_MS (24 * 3600000LL)

enum sub_status { S_NONE, S_ITR_PENDING, S_ACTIVE, S_ITR_FAILED, S_DISABLED };
static const char *const status_names[] = {"none", "itr_pending", "active", "itr_failed",
                                           "disabled"};
static const char *const cat_names[] = {"INVOICE", "CONTACT", "CREDITNOTE"};

struct sub {
    char client_id[40];
    char *url, *key;
    unsigned cats;
    enum sub_status status;
    uint64_t gen;
    bool itr_requested;
    char **queue; /* serialized events, oldest first */
    int64_t *seqs;
    size_t qn, qcap;
    int64_t next_seq, first_pending_ms;
    char *batch; /* body in flight (retries resend it) */
    size_t batch_n;
    int attempts;
    int64_t retry_at, first_fail_ms;
    json_t *itr, *log;
    int64_t delivered, ok, failed, dropped;
};

static int64_t step(void);

static struct {
    struct sb_worker w;
    struct sb_vec subs;
    int64_t scale, timeout_ms, itr_rounds, batch_max, batch_delay_ms;
} wh = {.w = SB_WORKER_INIT(step),
        .scale = 1,
        .timeout_ms = 5000,
        .itr_rounds = 1,
        .batch_max = 50,
        .batch_delay_ms = 100};

static int64_t scaled(int64_t ms)
{
    int64_t v = ms / (wh.scale > 0 ? wh.scale : 1);
    return v > 0 ? v : 1;
}

static struct sub *find(const char *client_id)
{
    for (size_t i = 0; i < wh.subs.n; i++)
        if (strcmp(((struct sub *)wh.subs.v[i])->client_id, client_id) == 0)
            return wh.subs.v[i];
    return NULL;
}

static void clear_queue(struct sub *s)
{
    for (size_t i = 0; i < s->qn; i++)
        free(s->queue[i]);
    s->qn = 0;
    free(s->batch);
    s->batch = NULL;
    s->batch_n = 0;
    s->attempts = 0;
    s->first_fail_ms = 0;
}

static void sub_free(struct sub *s)
{
    clear_queue(s);
    free(s->queue);
    free(s->seqs);
    free(s->url);
    free(s->key);
    json_decref(s->itr);
    json_decref(s->log);
    free(s);
}

void wh_settings(const struct x_settings *st)
{
    pthread_mutex_lock(&wh.w.lock);
    wh.scale = st->time_scale;
    wh.timeout_ms = st->webhook_timeout_ms;
    wh.itr_rounds = st->itr_rounds;
    wh.batch_max = st->batch_max;
    wh.batch_delay_ms = st->batch_delay_ms;
    sb_worker_wake(&wh.w);
    pthread_mutex_unlock(&wh.w.lock);
}

static unsigned parse_cats(json_t *cats, unsigned dflt)
{
    if (!json_is_array(cats))
        return dflt;
    unsigned m = 0;
    size_t i;
    json_t *v;
    json_array_foreach(cats, i, v)
    {
        for (size_t k = 0; k < FH_ARRAY_LEN(cat_names); k++)
            if (json_is_string(v) && strcmp(json_string_value(v), cat_names[k]) == 0)
                m |= 1u << k;
    }
    return m;
}

void wh_configure(const char *client_id, const char *url, const char *key, json_t *categories)
{
    pthread_mutex_lock(&wh.w.lock);
    struct sub *s = find(client_id);
    if (!s) {
        s = fh_calloc(1, sizeof(*s));
        fh_strlcpy(s->client_id, client_id, sizeof(s->client_id));
        s->cats = 3; /* INVOICE, CONTACT */
        s->next_seq = 1;
        s->log = json_array();
        sb_vec_push(&wh.subs, s);
    }
    bool changed = (url == NULL) != (s->url == NULL) || (url && strcmp(url, s->url) != 0);
    free(s->url);
    free(s->key);
    s->url = url ? fh_strdup(url) : NULL;
    s->key = key ? fh_strdup(key) : NULL;
    s->cats = parse_cats(categories, s->cats);
    s->gen++;
    if (!url) {
        s->status = S_NONE;
        clear_queue(s);
    } else if (changed || s->status == S_NONE) {
        s->status = S_ITR_PENDING;
        s->itr_requested = true;
        free(s->batch);
        s->batch = NULL;
        s->batch_n = 0;
        s->attempts = 0;
    }
    sb_worker_wake(&wh.w);
    pthread_mutex_unlock(&wh.w.lock);
}

void wh_run_itr(const char *client_id)
{
    pthread_mutex_lock(&wh.w.lock);
    struct sub *s = find(client_id);
    if (s && s->url) {
        s->status = S_ITR_PENDING;
        s->itr_requested = true;
        s->gen++;
        sb_worker_wake(&wh.w);
    }
    pthread_mutex_unlock(&wh.w.lock);
}

void wh_enqueue(const char *client_id, const char *category, const char *type,
                const char *resource_url, const char *resource_id, const char *tenant, json_t *data)
{
    char when[40];
    x_iso(x_now_ms(), 3, false, when, sizeof(when));
    pthread_mutex_lock(&wh.w.lock);
    struct sub *s = find(client_id);
    unsigned bit = 0;
    for (size_t k = 0; k < FH_ARRAY_LEN(cat_names); k++)
        if (strcmp(category, cat_names[k]) == 0)
            bit = 1u << k;
    if (!s || s->status == S_NONE || !(s->cats & bit))
        goto out;
    if (s->qn >= QUEUE_MAX) {
        s->dropped++;
        sb_stat_add(&x_stats, "webhooks", "events_dropped", 1);
        goto out;
    }
    json_t *e =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "resourceUrl", resource_url, "resourceId",
                  resource_id, "eventDateUtc", when, "eventType", type, "eventCategory", category,
                  "tenantId", tenant, "tenantType", "ORGANISATION");
    if (data)
        json_object_set(e, "data", data);
    if (s->qn == s->qcap) {
        s->qcap = s->qcap ? s->qcap * 2 : 64;
        s->queue = fh_realloc(s->queue, s->qcap * sizeof(char *));
        s->seqs = fh_realloc(s->seqs, s->qcap * sizeof(int64_t));
    }
    if (s->qn == 0)
        s->first_pending_ms = x_now_ms();
    s->queue[s->qn] = json_dumps(e, JSON_COMPACT);
    s->seqs[s->qn++] = s->next_seq++;
    json_decref(e);
    sb_worker_wake(&wh.w);
out:
    pthread_mutex_unlock(&wh.w.lock);
}

/* ---- HTTP ---- */
static void post(const char *url, const char *body, const char *signature, int64_t timeout_ms,
                 struct sb_post_result *r)
{
    char sig[128];
    snprintf(sig, sizeof(sig), "x-xero-signature: %s", signature);
    const char *const hdrs[] = {"Content-Type: application/json; charset=utf-8", sig,
                                "User-Agent: Xero-Webhooks (fiscalhub-sandbox)", NULL};
    sb_post(url, body, strlen(body), hdrs, timeout_ms, r);
}

static char *sign(const char *key, const char *body)
{
    uint8_t mac[32];
    fh_hmac_sha256(key, strlen(key), body, strlen(body), mac);
    return sb_b64(mac, sizeof(mac), false);
}

static void log_entry(struct sub *s, json_t *e)
{
    char when[40];
    x_iso(x_now_ms(), 3, true, when, sizeof(when));
    json_object_set_new(e, "at", json_string(when));
    json_array_append_new(s->log, e);
    while (json_array_size(s->log) > LOG_MAX)
        json_array_remove(s->log, 0);
}

static char *entropy(void)
{
    char *e = fh_malloc(21);
    for (int i = 0; i < 20; i++)
        e[i] = (char)('A' + fh_random_uniform(26));
    e[20] = '\0';
    return e;
}

/* ---- intent to receive (called unlocked, with copies) ---- */
static json_t *itr_check(const char *url, const char *key, bool good, int64_t timeout_ms,
                         bool *pass)
{
    char *ent = entropy();
    char *body = fh_asprintf(
        "{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,\"entropy\":\"%s\"}", ent);
    char wrong[48];
    fh_random_token(24, wrong, sizeof(wrong));
    char *sig = sign(good ? key : wrong, body);
    struct sb_post_result r;
    post(url, body, sig, timeout_ms, &r);
    long want = good ? 200 : 401;
    bool ok = r.status == want;
    *pass = *pass && ok;
    json_t *j = json_pack("{s:s, s:i, s:i, s:I, s:b, s:b}", "signature", good ? "valid" : "invalid",
                          "expected", (int)want, "status", (int)r.status, "ms", (json_int_t)r.ms,
                          "ok", ok, "body_empty", r.body_len == 0);
    if (r.error[0])
        json_object_set_new(j, "error", json_string(r.error));
    free(ent);
    free(body);
    free(sig);
    return j;
}

static void run_itr(struct sub *s)
{
    char *url = fh_strdup(s->url), *key = fh_strdup(s->key ? s->key : "");
    char id[40];
    fh_strlcpy(id, s->client_id, sizeof(id));
    uint64_t gen = s->gen;
    int64_t rounds = wh.itr_rounds, timeout = wh.timeout_ms;
    s->itr_requested = false;
    pthread_mutex_unlock(&wh.w.lock);
    bool pass = true;
    json_t *checks = json_array();
    for (int64_t i = 0; i < rounds; i++) {
        bool good_first = fh_random_uniform(2) == 0;
        json_array_append_new(checks, itr_check(url, key, good_first, timeout, &pass));
        json_array_append_new(checks, itr_check(url, key, !good_first, timeout, &pass));
    }
    free(url);
    free(key);
    pthread_mutex_lock(&wh.w.lock);
    s = find(id);
    if (!s || s->gen != gen) {
        json_decref(checks);
        return;
    }
    char when[40];
    x_iso(x_now_ms(), 3, true, when, sizeof(when));
    json_decref(s->itr);
    s->itr = json_pack("{s:b, s:s, s:o}", "passed", pass, "at", when, "checks", checks);
    s->status = pass ? S_ACTIVE : S_ITR_FAILED;
    s->first_pending_ms = x_now_ms();
    log_entry(s, json_pack("{s:s, s:b}", "kind", "intent_to_receive", "ok", pass));
    sb_stat_add(&x_stats, "webhooks", pass ? "itr_passed" : "itr_failed", 1);
}

/* ---- event delivery ---- */
static void build_batch(struct sub *s)
{
    size_t n = s->qn < (size_t)wh.batch_max ? s->qn : (size_t)wh.batch_max;
    struct fh_buf b;
    fh_buf_init(&b, (size_t)64 << 20);
    fh_buf_appendf(&b, "{\"events\":[");
    for (size_t i = 0; i < n; i++)
        fh_buf_appendf(&b, "%s%s", i ? "," : "", s->queue[i]);
    char *ent = entropy();
    fh_buf_appendf(&b,
                   "],\"firstEventSequence\":%lld,\"lastEventSequence\":%lld,\"entropy\":\"%s\"}",
                   (long long)s->seqs[0], (long long)s->seqs[n - 1], ent);
    free(ent);
    s->batch = fh_buf_steal(&b);
    fh_buf_free(&b);
    s->batch_n = n;
    s->retry_at = 0;
}

static void delivered(struct sub *s, const struct sb_post_result *r, int64_t first, int64_t last)
{
    bool ok = r->status == 200;
    json_t *e =
        json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:I}", "kind", "events", "ok", ok, "status",
                  (int)r->status, "ms", (json_int_t)r->ms, "events", (json_int_t)s->batch_n,
                  "first_sequence", (json_int_t)first, "last_sequence", (json_int_t)last);
    if (r->error[0])
        json_object_set_new(e, "error", json_string(r->error));
    log_entry(s, e);
    int64_t now = x_now_ms();
    if (ok) {
        for (size_t i = 0; i < s->batch_n; i++)
            free(s->queue[i]);
        memmove(s->queue, s->queue + s->batch_n, (s->qn - s->batch_n) * sizeof(char *));
        memmove(s->seqs, s->seqs + s->batch_n, (s->qn - s->batch_n) * sizeof(int64_t));
        s->qn -= s->batch_n;
        s->delivered += (int64_t)s->batch_n;
        s->ok++;
        sb_stat_add(&x_stats, "webhooks", "deliveries_ok", 1);
        sb_stat_add(&x_stats, "webhooks", "events_delivered", (int64_t)s->batch_n);
        free(s->batch);
        s->batch = NULL;
        s->batch_n = 0;
        s->attempts = 0;
        s->first_fail_ms = 0;
        return;
    }
    s->failed++;
    sb_stat_add(&x_stats, "webhooks", "deliveries_failed", 1);
    if (!s->first_fail_ms)
        s->first_fail_ms = now;
    s->attempts++;
    s->retry_at = s->attempts == 1 ? now : now + scaled(RETRY_MS);
    if (now - s->first_fail_ms >= scaled(GIVE_UP_MS)) {
        s->status = S_DISABLED;
        sb_stat_add(&x_stats, "webhooks", "disabled", 1);
    }
}

static void deliver(struct sub *s)
{
    if (!s->batch)
        build_batch(s);
    char *url = fh_strdup(s->url), *body = fh_strdup(s->batch),
         *sig = sign(s->key ? s->key : "", s->batch);
    char id[40];
    fh_strlcpy(id, s->client_id, sizeof(id));
    uint64_t gen = s->gen;
    int64_t first = s->seqs[0], last = s->seqs[s->batch_n - 1], timeout = wh.timeout_ms;
    pthread_mutex_unlock(&wh.w.lock);
    struct sb_post_result r;
    post(url, body, sig, timeout, &r);
    free(url);
    free(body);
    free(sig);
    pthread_mutex_lock(&wh.w.lock);
    s = find(id);
    if (s && s->gen == gen && s->batch)
        delivered(s, &r, first, last);
}

/* One piece of work, or the time until the next one is due (ms). */
static int64_t step(void)
{
    int64_t now = x_now_ms(), wait = 1000;
    for (size_t i = 0; i < wh.subs.n; i++) {
        struct sub *s = wh.subs.v[i];
        if (s->itr_requested && s->url) {
            run_itr(s);
            return 0;
        }
        if (s->status != S_ACTIVE || (s->qn == 0 && !s->batch))
            continue;
        int64_t due = s->batch ? s->retry_at : s->first_pending_ms + wh.batch_delay_ms;
        if (now >= due) {
            deliver(s);
            return 0;
        }
        wait = due - now < wait ? due - now : wait;
    }
    return wait;
}

json_t *wh_json(const char *client_id)
{
    pthread_mutex_lock(&wh.w.lock);
    json_t *all = json_array();
    for (size_t i = 0; i < wh.subs.n; i++) {
        struct sub *s = wh.subs.v[i];
        if (client_id && strcmp(client_id, s->client_id) != 0)
            continue;
        json_t *cats = json_array();
        for (size_t k = 0; k < FH_ARRAY_LEN(cat_names); k++)
            if (s->cats & (1u << k))
                json_array_append_new(cats, json_string(cat_names[k]));
        json_array_append_new(
            all, json_pack("{s:s, s:o, s:s, s:o, s:O, s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:O}",
                           "client_id", s->client_id, "url", sbj_nullable(s->url), "status",
                           status_names[s->status], "categories", cats, "intent_to_receive",
                           s->itr ? s->itr : json_null(), "queued", (json_int_t)s->qn,
                           "events_delivered", (json_int_t)s->delivered, "deliveries_ok",
                           (json_int_t)s->ok, "deliveries_failed", (json_int_t)s->failed,
                           "events_dropped", (json_int_t)s->dropped, "attempts", s->attempts,
                           "next_sequence", (json_int_t)s->next_seq, "log", s->log));
    }
    pthread_mutex_unlock(&wh.w.lock);
    if (client_id) {
        json_t *one = json_incref(json_array_get(all, 0));
        json_decref(all);
        return one ? one : json_null();
    }
    return all;
}

void wh_reset(void)
{
    pthread_mutex_lock(&wh.w.lock);
    for (size_t i = 0; i < wh.subs.n; i++)
        sub_free(wh.subs.v[i]);
    sb_vec_free(&wh.subs);
    pthread_mutex_unlock(&wh.w.lock);
}

enum fh_rc wh_start(void)
{
    return sb_worker_start(&wh.w, "xero");
}

void wh_stop(void)
{
    sb_worker_stop(&wh.w);
    wh_reset();
}
