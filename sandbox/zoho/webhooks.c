/* webhooks.c - Zoho Books workflow webhooks (specs/zoho-books.md §4): per organization one
 * workflow rule on the Invoice module ("created", "edited" or both) whose webhook action POSTs
 * the default payload {"invoice": {...the full record...}} as application/json to the URL.
 * A rule belongs to one module; users who want credit notes too make a second rule on Credit
 * Notes with the same URL and secret. That is modelled as the one rule's "modules" (invoices,
 * creditnotes): a credit note's event POSTs {"creditnote": {...}} the same way, through the
 * same queue, signature, retries and counters.
 *
 * Signature ("secure this webhook", §4.3): with a secret, X-Zoho-Webhook-Signature carries
 * hex(HMAC-SHA256(secret, message)) where message is the URL's query parameters, decoded and
 * sorted by name, written name + value without separators, followed by the raw body. Lower-case
 * hex unless signature_upper. Custom headers of the rule are sent as given.
 *
 * Delivery: asynchronous, one POST per event, in the order of the events, on a ../common/
 * worker thread (wh.w.lock is its lock; the thread never takes zs.lock and works on copies).
 * Any 2xx is a success. A failure is retried webhook_retries times (0: Zoho's default without
 * a retry policy [I]) every webhook_retry_s (scaled), then kept for a replay on request
 * (POST /zoho/control/orgs/{id}/webhook/replay). Queue, failures and logs are bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "zoho_internal.h"

#define QUEUE_MAX 10000
#define FAILED_MAX 100
#define LOG_MAX 50
#define HEADERS_MAX 10

struct delivery {
    char org_id[Z_ID], record_id[Z_ID], event[8];
    const char *id_key; /* "invoice_id" or "creditnote_id" (the log's) */
    char *url, *body, *signature;
    char *headers[HEADERS_MAX + 4]; /* fixed ones, custom ones, NULL */
    int attempts;
    int64_t due_ms;
};

struct hookstate {
    json_t *log;
    struct sb_vec failed; /* struct delivery *, oldest first */
    int64_t sent, ok, failed_n, dropped;
};

static int64_t step(void);

static struct {
    struct sb_worker w;
    struct sb_vec queue;
    struct sb_map orgs; /* org id -> struct hookstate */
    uint64_t gen;
    int64_t timeout_ms, retries, retry_ms;
} wh = {.w = SB_WORKER_INIT(step), .timeout_ms = 10000, .retry_ms = 300000};

static void delivery_free(struct delivery *d)
{
    free(d->url);
    free(d->body);
    free(d->signature);
    for (size_t i = 0; d->headers[i]; i++)
        free(d->headers[i]);
    free(d);
}

static struct hookstate *state_of(const char *org_id)
{
    struct hookstate *h = sb_map_get(&wh.orgs, org_id);
    if (!h) {
        h = fh_calloc(1, sizeof(*h));
        h->log = json_array();
        sb_map_put(&wh.orgs, org_id, h);
    }
    return h;
}

/* ---- the signature ---- */
struct pairs {
    char **k, **v;
    size_t n, cap;
};

static void add_pair(char *key, char *val, void *ud)
{
    struct pairs *p = ud;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->k = fh_realloc(p->k, p->cap * sizeof(char *));
        p->v = fh_realloc(p->v, p->cap * sizeof(char *));
    }
    p->k[p->n] = fh_strdup(key);
    p->v[p->n++] = fh_strdup(val);
}

char *zwh_sign(const char *secret, const char *url, const char *body, bool upper)
{
    struct pairs p = {0};
    const char *q = strchr(url, '?');
    if (q)
        sb_form_each(q + 1, strcspn(q + 1, "#"), add_pair, &p);
    for (size_t i = 1; i < p.n; i++) { /* stable insertion sort by name */
        for (size_t j = i; j > 0 && strcmp(p.k[j - 1], p.k[j]) > 0; j--) {
            char *tk = p.k[j], *tv = p.v[j];
            p.k[j] = p.k[j - 1];
            p.v[j] = p.v[j - 1];
            p.k[j - 1] = tk;
            p.v[j - 1] = tv;
        }
    }
    struct fh_buf b;
    fh_buf_init(&b, (size_t)64 << 20);
    for (size_t i = 0; i < p.n; i++) {
        fh_buf_appendf(&b, "%s%s", p.k[i], p.v[i]);
        free(p.k[i]);
        free(p.v[i]);
    }
    free(p.k);
    free(p.v);
    fh_buf_append(&b, body, strlen(body));
    uint8_t mac[32];
    fh_hmac_sha256(secret, strlen(secret), b.data ? b.data : "", b.len, mac);
    fh_buf_free(&b);
    char *hex = fh_malloc(65);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, upper ? "%02X" : "%02x", mac[i]);
    return hex;
}

/* ---- queueing (callers hold zs.lock) ---- */
/* The delivery of record (taken), the detail of an invoice or a credit note: module is the
 * payload's key ("invoice", "creditnote"). */
static struct delivery *delivery_new(const struct z_org *o, const char *module, const char *id,
                                     enum z_event ev, json_t *record)
{
    struct delivery *d = fh_calloc(1, sizeof(*d));
    fh_strlcpy(d->org_id, o->id, sizeof(d->org_id));
    fh_strlcpy(d->record_id, id, sizeof(d->record_id));
    d->id_key = strcmp(module, "invoice") == 0 ? "invoice_id" : "creditnote_id";
    fh_strlcpy(d->event, ev == ZE_CREATE ? "create" : "edit", sizeof(d->event));
    json_t *payload = json_pack("{s:o}", module, record);
    if (zs.set.payload_org_id)
        json_object_set_new(payload, "organization_id", json_string(o->id));
    d->body = sbj_dumps(payload);
    json_decref(payload);
    d->url = fh_strdup(o->hook.url);
    if (o->hook.secret)
        d->signature = zwh_sign(o->hook.secret, d->url, d->body, zs.set.signature_upper);
    size_t n = 0;
    const char *k;
    json_t *v;
    d->headers[n++] = fh_strdup("Content-Type: application/json;charset=UTF-8");
    d->headers[n++] = fh_strdup("User-Agent: ZohoBooks-Webhook (fiscalhub-sandbox)");
    if (d->signature)
        d->headers[n++] = fh_asprintf("X-Zoho-Webhook-Signature: %s", d->signature);
    json_object_foreach(o->hook.headers, k, v) d->headers[n++] =
        fh_asprintf("%s: %s", k, json_string_value(v));
    return d;
}

static bool covers(const struct z_webhook *hk, bool creditnote, enum z_event ev)
{
    return hk->url && (creditnote ? hk->creditnotes : hk->invoices) &&
           (ev == ZE_CREATE ? hk->on_create : hk->on_edit);
}

static void enqueue(struct delivery *d)
{
    d->due_ms = z_now_ms();
    pthread_mutex_lock(&wh.w.lock);
    if (wh.queue.n >= QUEUE_MAX) {
        state_of(d->org_id)->dropped++;
        sb_stat_add(&z_stats, "webhooks", "dropped", 1);
        delivery_free(d);
    } else {
        sb_vec_push(&wh.queue, d);
        sb_stat_add(&z_stats, "webhooks", "queued", 1);
        sb_worker_wake(&wh.w);
    }
    pthread_mutex_unlock(&wh.w.lock);
}

void zwh_fire(struct z_invoice *inv, enum z_event ev)
{
    if (covers(&inv->org->hook, false, ev))
        enqueue(delivery_new(inv->org, "invoice", inv->id, ev, zr_invoice(inv, true)));
}

void zwh_fire_cn(struct z_creditnote *cn, enum z_event ev)
{
    if (covers(&cn->org->hook, true, ev))
        enqueue(delivery_new(cn->org, "creditnote", cn->id, ev, zr_creditnote(cn, true)));
}

void zwh_fire_credit_deleted(struct z_creditnote *cn, struct z_invoice *inv)
{
    zwh_fire_cn(cn, ZE_EDIT);
    if (zs.set.payment_fires_edit)
        zwh_fire(inv, ZE_EDIT);
}

/* ---- the sender (worker thread, wh.w.lock held) ---- */
static void record(struct delivery *d, const struct sb_post_result *r)
{
    struct hookstate *h = state_of(d->org_id);
    bool ok = r->status >= 200 && r->status < 300;
    char when[40];
    z_timestamp(z_now_ms(), 0, when, sizeof(when));
    json_t *e = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:I}", "at", when, "event", d->event,
                          d->id_key, d->record_id, "attempt", d->attempts, "status", (int)r->status,
                          "ok", ok, "ms", (json_int_t)r->ms);
    if (r->error[0])
        json_object_set_new(e, "error", json_string(r->error));
    json_array_append_new(h->log, e);
    while (json_array_size(h->log) > LOG_MAX)
        json_array_remove(h->log, 0);
    h->sent++;
    sb_stat_add(&z_stats, "webhooks", "sent", 1);
    if (ok) {
        h->ok++;
        sb_stat_add(&z_stats, "webhooks", "delivered", 1);
        delivery_free(d);
        return;
    }
    h->failed_n++;
    sb_stat_add(&z_stats, "webhooks", "failed", 1);
    if (d->attempts <= wh.retries) {
        d->due_ms = z_now_ms() + wh.retry_ms;
        sb_vec_push(&wh.queue, d);
        return;
    }
    if (h->failed.n >= FAILED_MAX) {
        struct delivery *old = h->failed.v[0];
        sb_vec_remove(&h->failed, old);
        delivery_free(old);
    }
    sb_vec_push(&h->failed, d);
}

static int64_t step(void)
{
    int64_t now = z_now_ms(), wait = 1000;
    struct delivery *d = NULL;
    for (size_t i = 0; i < wh.queue.n && !d; i++) {
        struct delivery *q = wh.queue.v[i];
        if (q->due_ms <= now)
            d = q;
        else if (q->due_ms - now < wait)
            wait = q->due_ms - now;
    }
    if (!d)
        return wait;
    sb_vec_remove(&wh.queue, d);
    d->attempts++;
    uint64_t gen = wh.gen;
    int64_t timeout = wh.timeout_ms;
    pthread_mutex_unlock(&wh.w.lock);
    struct sb_post_result r;
    sb_post(d->url, d->body, strlen(d->body), (const char *const *)d->headers, timeout, &r);
    pthread_mutex_lock(&wh.w.lock);
    if (gen != wh.gen) /* reset meanwhile */
        delivery_free(d);
    else
        record(d, &r);
    return 0;
}

/* ---- configuration and state ---- */
static bool secret_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 12 && n <= 50 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

/* An array of the names a and b, one of them at least and nothing else (events: create, edit;
 * modules: invoices, creditnotes): *has_a and *has_b say which it holds. Absent: true, the flags
 * left as they are (the defaults). */
static bool names_ok(json_t *list, const char *a, const char *b, bool *has_a, bool *has_b)
{
    if (!list)
        return true;
    *has_a = *has_b = false;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        *has_a = *has_a || (s && strcmp(s, a) == 0);
        *has_b = *has_b || (s && strcmp(s, b) == 0);
        if (!s || (strcmp(s, a) != 0 && strcmp(s, b) != 0))
            return false;
    }
    return json_is_array(list) && (*has_a || *has_b);
}

static bool headers_ok(json_t *h)
{
    const char *k;
    json_t *v;
    if (!h)
        return true;
    if (!json_is_object(h) || json_object_size(h) > HEADERS_MAX)
        return false;
    json_object_foreach(h, k, v)
    {
        const char *s = json_string_value(v);
        if (!s || !*k || strlen(k) > 100 || strlen(s) > 1000 || strpbrk(k, ":\r\n ") ||
            strpbrk(s, "\r\n"))
            return false;
    }
    return true;
}

enum fh_rc zwh_configure(struct z_org *o, json_t *spec, char *err, size_t errsize)
{
    json_t *url = json_object_get(spec, "url"), *secret = json_object_get(spec, "secret");
    json_t *headers = json_object_get(spec, "headers");
    bool create = true, edit = true, invoices = true, creditnotes = false; /* the defaults */
    const char *u = json_string_value(url);
    if (!json_is_null(url) &&
        (!u || strlen(u) > 5000 ||
         (!fh_starts_with(u, "http://") && !fh_starts_with(u, "https://")) ||
         (secret && !json_is_null(secret) &&
          (!json_is_string(secret) || !secret_ok(json_string_value(secret)))) ||
         !names_ok(json_object_get(spec, "events"), "create", "edit", &create, &edit) ||
         !names_ok(json_object_get(spec, "modules"), "invoices", "creditnotes", &invoices,
                   &creditnotes) ||
         !headers_ok(headers))) {
        snprintf(err, errsize,
                 "url (http(s), <= 5000) or null; secret 12..50 letters and digits; "
                 "events [\"create\", \"edit\"]; modules [\"invoices\", \"creditnotes\"]; "
                 "headers {name: value} (<= 10)");
        return FH_E_INPUT;
    }
    free(o->hook.url);
    free(o->hook.secret);
    json_decref(o->hook.headers);
    memset(&o->hook, 0, sizeof(o->hook));
    if (json_is_null(url))
        return FH_OK;
    o->hook.url = fh_strdup(u);
    o->hook.secret = json_is_string(secret) ? fh_strdup(json_string_value(secret)) : NULL;
    o->hook.on_create = create;
    o->hook.on_edit = edit;
    o->hook.invoices = invoices;
    o->hook.creditnotes = creditnotes;
    o->hook.headers = headers ? json_deep_copy(headers) : json_object();
    return FH_OK;
}

json_t *zwh_org_json(const struct z_org *o)
{
    json_t *events = json_array();
    if (o->hook.on_create)
        json_array_append_new(events, json_string("create"));
    if (o->hook.on_edit)
        json_array_append_new(events, json_string("edit"));
    json_t *modules = json_array();
    if (o->hook.invoices)
        json_array_append_new(modules, json_string("invoices"));
    if (o->hook.creditnotes)
        json_array_append_new(modules, json_string("creditnotes"));
    json_t *j =
        json_pack("{s:o, s:o, s:o, s:o, s:o}", "url", sbj_nullable(o->hook.url), "secret",
                  sbj_nullable(o->hook.secret), "events", events, "modules", modules, "headers",
                  o->hook.headers ? json_deep_copy(o->hook.headers) : json_object());
    pthread_mutex_lock(&wh.w.lock);
    struct hookstate *h = sb_map_get(&wh.orgs, o->id);
    size_t queued = 0;
    for (size_t i = 0; i < wh.queue.n; i++)
        queued += strcmp(((struct delivery *)wh.queue.v[i])->org_id, o->id) == 0;
    json_object_set_new(j, "queued", json_integer((json_int_t)queued));
    json_object_set_new(j, "sent", json_integer(h ? h->sent : 0));
    json_object_set_new(j, "delivered", json_integer(h ? h->ok : 0));
    json_object_set_new(j, "failed", json_integer(h ? h->failed_n : 0));
    json_object_set_new(j, "dropped", json_integer(h ? h->dropped : 0));
    json_object_set_new(j, "replayable", json_integer(h ? (json_int_t)h->failed.n : 0));
    json_object_set_new(j, "log", h ? json_deep_copy(h->log) : json_array());
    pthread_mutex_unlock(&wh.w.lock);
    return j;
}

size_t zwh_replay(const char *org_id)
{
    pthread_mutex_lock(&wh.w.lock);
    struct hookstate *h = sb_map_get(&wh.orgs, org_id);
    size_t n = 0;
    int64_t now = z_now_ms();
    while (h && h->failed.n && wh.queue.n < QUEUE_MAX) {
        struct delivery *d = h->failed.v[0];
        sb_vec_remove(&h->failed, d);
        d->attempts = 0;
        d->due_ms = now;
        sb_vec_push(&wh.queue, d);
        n++;
    }
    sb_stat_add(&z_stats, "webhooks", "replayed", (int64_t)n);
    sb_worker_wake(&wh.w);
    pthread_mutex_unlock(&wh.w.lock);
    return n;
}

void zwh_settings(const struct z_settings *s)
{
    pthread_mutex_lock(&wh.w.lock);
    wh.timeout_ms = s->webhook_timeout_ms;
    wh.retries = s->webhook_retries;
    wh.retry_ms = sb_scaled(s->webhook_retry_s * 1000, s->time_scale);
    sb_worker_wake(&wh.w);
    pthread_mutex_unlock(&wh.w.lock);
}

void zwh_reset(void)
{
    pthread_mutex_lock(&wh.w.lock);
    wh.gen++;
    for (size_t i = 0; i < wh.queue.n; i++)
        delivery_free(wh.queue.v[i]);
    sb_vec_free(&wh.queue);
    for (size_t i = 0; i < wh.orgs.cap; i++) {
        struct hookstate *h = sb_map_live(&wh.orgs, i) ? wh.orgs.vals[i] : NULL;
        if (!h)
            continue;
        for (size_t k = 0; k < h->failed.n; k++)
            delivery_free(h->failed.v[k]);
        sb_vec_free(&h->failed);
        json_decref(h->log);
        free(h);
    }
    sb_map_free(&wh.orgs);
    pthread_mutex_unlock(&wh.w.lock);
}

enum fh_rc zwh_start(void)
{
    return sb_worker_start(&wh.w, "zoho");
}

void zwh_stop(void)
{
    sb_worker_stop(&wh.w);
    zwh_reset();
}
