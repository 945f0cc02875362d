/* receive.c - POST /receiver/hooks/{name}: what a customer's webhook endpoint does with a
 * fiscalhub event, plus the injected faults.
 *
 * In order: a hook told to fail answers its status (503 by default) while the failure lasts
 * (a time, or a number of requests); a slow hook waits first; a hook with a secret checks
 * Fiscalhub-Signature ("t=<unix>,v1=<hex>"; any v1 may match) with its own HMAC-SHA256 over
 * "<t>.<raw body>" and the timestamp against its tolerance, and answers 400 to a forgery or a
 * replay; otherwise 200 {"received": true, "duplicate": ...} - duplicate when an event with the
 * same "id" was accepted before, which is how a receiver dedupes. Every request is recorded. */
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "receiver_internal.h"

pthread_mutex_t rcv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcv_hook *hooks[RCV_MAX_HOOKS];
static size_t nhooks;

bool rcv_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n <= RCV_NAME_MAX &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

struct rcv_hook *rcv_hook_get(const char *name, bool create)
{
    for (size_t i = 0; i < nhooks; i++)
        if (strcmp(hooks[i]->name, name) == 0)
            return hooks[i];
    if (!create || nhooks == RCV_MAX_HOOKS)
        return NULL;
    struct rcv_hook *h = fh_calloc(1, sizeof(*h));
    fh_strlcpy(h->name, name, sizeof(h->name));
    h->tolerance_s = 300;
    h->reject_invalid = true;
    h->fail_status = 503;
    h->recs = fh_calloc(RCV_MAX_RECORDS, sizeof(*h->recs));
    hooks[nhooks++] = h;
    return h;
}

static void record_clear(struct rcv_record *r)
{
    json_decref(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void rcv_hook_free(struct rcv_hook *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < RCV_MAX_RECORDS; i++)
        record_clear(&h->recs[i]);
    free(h->recs);
    free(h->secret);
    free(h);
}

void rcv_hooks_clear(void)
{
    for (size_t i = 0; i < nhooks; i++)
        rcv_hook_free(hooks[i]);
    nhooks = 0;
}

bool rcv_hook_delete(const char *name)
{
    for (size_t i = 0; i < nhooks; i++) {
        if (strcmp(hooks[i]->name, name) == 0) {
            rcv_hook_free(hooks[i]);
            hooks[i] = hooks[--nhooks];
            hooks[nhooks] = NULL;
            return true;
        }
    }
    return false;
}

struct rcv_hook **rcv_hooks(size_t *n)
{
    *n = nhooks;
    return hooks;
}

const struct rcv_record *rcv_record_at(const struct rcv_hook *h, size_t i)
{
    return &h->recs[(h->first + i) % RCV_MAX_RECORDS];
}

/* A new record at the end of the ring (the oldest is dropped when full). */
static struct rcv_record *record_new(struct rcv_hook *h)
{
    struct rcv_record *r;
    if (h->nrecs == RCV_MAX_RECORDS) {
        r = &h->recs[h->first];
        record_clear(r);
        h->first = (h->first + 1) % RCV_MAX_RECORDS;
    } else {
        r = &h->recs[(h->first + h->nrecs++) % RCV_MAX_RECORDS];
    }
    return r;
}

/* ---- signature ---- */

/* Checks "t=<unix>,v1=<hex>[,v1=...]" against secret; why says what failed. */
static bool signature_ok(const char *header, const char *secret, const char *body, size_t len,
                         int64_t tolerance_s, char *why, size_t whysize)
{
    if (!header) {
        snprintf(why, whysize, "no Fiscalhub-Signature header");
        return false;
    }
    long long t = -1;
    char v1[8][65];
    size_t nv = 0;
    for (const char *p = header; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 2 && strncmp(p, "t=", 2) == 0) {
            char num[24];
            snprintf(num, sizeof(num), "%.*s", (int)(n - 2 < 20 ? n - 2 : 20), p + 2);
            int64_t x;
            t = fh_parse_i64(num, &x) ? x : -1;
        } else if (n == 67 && strncmp(p, "v1=", 3) == 0 && nv < 8) {
            memcpy(v1[nv], p + 3, 64);
            v1[nv++][64] = '\0';
        }
        p += n + (p[n] == ',');
    }
    if (t < 0 || nv == 0) {
        snprintf(why, whysize, "malformed Fiscalhub-Signature");
        return false;
    }
    long long now = (long long)(fh_now_ms() / 1000);
    if (now - t > tolerance_s || t - now > tolerance_s) {
        snprintf(why, whysize, "timestamp %lld is outside the %llds tolerance", t,
                 (long long)tolerance_s);
        return false;
    }
    char prefix[24];
    int pn = snprintf(prefix, sizeof(prefix), "%lld.", t);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    unsigned char *msg = fh_malloc((size_t)pn + len + 1);
    memcpy(msg, prefix, (size_t)pn);
    memcpy(msg + pn, body, len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)pn + len, mac, &maclen);
    free(msg);
    char hex[65];
    for (unsigned int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    for (size_t i = 0; i < nv; i++)
        if (CRYPTO_memcmp(hex, v1[i], 64) == 0)
            return true;
    snprintf(why, whysize, "no v1 signature matches");
    return false;
}

/* ---- the request ---- */

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    FH_UNUSED(kind);
    char lower[128];
    size_t n = strlen(key) < sizeof(lower) - 1 ? strlen(key) : sizeof(lower) - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
    lower[n] = '\0';
    json_t *v = json_string(value ? value : "");
    json_object_set_new(cls, lower, v ? v : json_string("?"));
    return MHD_YES;
}

static bool active(int64_t *count, int64_t until, int64_t now)
{
    if (*count > 0) {
        (*count)--;
        return true;
    }
    return until > now;
}

static bool accepted_before(const struct rcv_hook *h, const char *event_id)
{
    for (size_t i = 0; event_id[0] && i + 1 < h->nrecs; i++) {
        const struct rcv_record *r = rcv_record_at(h, i);
        if (strcmp(r->outcome, "accepted") == 0 && strcmp(r->event_id, event_id) == 0)
            return true;
    }
    return false;
}

static void parse_event(const char *body, size_t len, struct rcv_record *r)
{
    json_t *ev = json_loadb(body, len, 0, NULL);
    fh_strlcpy(r->event_id, json_string_value(json_object_get(ev, "id")) ?: "",
               sizeof(r->event_id));
    fh_strlcpy(r->type, json_string_value(json_object_get(ev, "type")) ?: "", sizeof(r->type));
    json_decref(ev);
}

/* Decides the answer under the lock; returns the delay to wait before answering. */
static int64_t decide(struct fh_req *req, struct rcv_hook *h, struct rcv_record *r)
{
    int64_t now = fh_now_ms();
    const char *body = req->body.data ? req->body.data : "";
    h->requests++;
    r->received_at = now;
    r->headers = json_object();
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header, r->headers);
    r->body = fh_strndup(body, req->body.len < RCV_MAX_BODY ? req->body.len : RCV_MAX_BODY);
    parse_event(body, req->body.len, r);
    r->signature = -1;
    if (active(&h->fail_count, h->fail_until, now)) {
        h->failed++;
        r->status = h->fail_status;
        fh_strlcpy(r->outcome, "failed", sizeof(r->outcome));
        return 0;
    }
    int64_t delay = active(&h->slow_count, h->slow_until, now) ? h->slow_ms : 0;
    if (h->secret) {
        r->signature =
            signature_ok(fh_req_header(req, "Fiscalhub-Signature"), h->secret, body, req->body.len,
                         h->tolerance_s, r->signature_error, sizeof(r->signature_error));
    }
    if (r->signature == 0 && h->reject_invalid) {
        h->rejected++;
        r->status = 400;
        fh_strlcpy(r->outcome, "rejected", sizeof(r->outcome));
        return delay;
    }
    h->accepted++;
    r->status = 200;
    fh_strlcpy(r->outcome, "accepted", sizeof(r->outcome));
    r->duplicate = accepted_before(h, r->event_id);
    h->duplicates += r->duplicate;
    return delay;
}

enum fh_rc rcv_hook_post(struct fh_req *req)
{
    const char *name = fh_req_param(req, "name");
    if (!rcv_name_ok(name))
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s",
                              "name must be 1 to 64 of [A-Za-z0-9_-]");
    pthread_mutex_lock(&rcv_lock);
    struct rcv_hook *h = rcv_hook_get(name, true);
    if (!h) {
        pthread_mutex_unlock(&rcv_lock);
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "too many hooks; reset the receiver");
    }
    struct rcv_record *r = record_new(h);
    int64_t delay = decide(req, h, r);
    unsigned int status = r->status;
    bool dup = r->duplicate;
    char error[128];
    snprintf(error, sizeof(error), "%s",
             r->signature == 0 ? r->signature_error : "injected failure");
    pthread_mutex_unlock(&rcv_lock);
    if (delay > 0)
        fh_sleep_ms(delay < 60000 ? delay : 60000);
    if (status == 200)
        return fh_reply_json(req, 200, json_pack("{s:b, s:b}", "received", 1, "duplicate", dup));
    return fh_reply_json(req, status, json_pack("{s:s}", "error", error));
}

/* ---- the emulator's table entry ---- */

const struct fh_route fh_receiver_routes[FH_RECEIVER_NROUTES] = {
    {"POST", "/receiver/hooks/{name}", 1024 * 1024, FH_AUTH_NONE, FH_PERM_VIEW, rcv_hook_post, 0},
    {"GET", "/receiver/control/hooks", 0, FH_AUTH_NONE, FH_PERM_VIEW, rcv_control_list, 0},
    {"PUT", "/receiver/control/hooks/{name}", 16 * 1024, FH_AUTH_NONE, FH_PERM_VIEW,
     rcv_control_put, 0},
    {"GET", "/receiver/control/hooks/{name}", 0, FH_AUTH_NONE, FH_PERM_VIEW, rcv_control_get, 0},
    {"DELETE", "/receiver/control/hooks/{name}", 0, FH_AUTH_NONE, FH_PERM_VIEW, rcv_control_delete,
     0},
    {"POST", "/receiver/control/reset", 0, FH_AUTH_NONE, FH_PERM_VIEW, rcv_control_reset, 0},
};

enum fh_rc fh_receiver_start(const struct fh_sandbox_ctx *ctx)
{
    FH_UNUSED(ctx);
    return FH_OK;
}

void fh_receiver_stop(void)
{
    pthread_mutex_lock(&rcv_lock);
    rcv_hooks_clear();
    pthread_mutex_unlock(&rcv_lock);
}
