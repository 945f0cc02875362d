/* api.c - the Stripe API front (/stripe/v1/...): every request passes, in order,
 *   statistics ("METHOD /v1/<pattern>"), fault injection (5xx, timeouts, resets, slow, forced
 *   429 rate_limit), the secret key (Authorization: Bearer sk_test_..., or Basic with the key
 *   as user name), routing by method and path segments (an unknown one is Stripe's 404
 *   "Unrecognized request URL"), the parameters (params.c; 400 on unknown ones), the
 *   Idempotency-Key (a POST replayed with the same key and body gets the first answer again;
 *   with another body a 400 idempotency_error), then the endpoint (api_*.c).
 * Answers carry Request-Id and Stripe-Version headers; errors are Stripe's
 *   {"error": {"type", "code", "param", "message", "doc_url"}}. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "stripe_internal.h"

#define IDEM_MAX 1000
#define IDEM_TTL_S STP_DAY_S

static enum fh_rc send_body(struct stp_call *c, unsigned int status, char *text, bool replayed)
{
    const char *ver = fh_req_header(c->req, "Stripe-Version");
    const char *key = fh_req_header(c->req, "Idempotency-Key");
    const char *hdrs[9] = {"Request-Id", c->request_id, "Stripe-Version",
                           ver && strlen(ver) < 40 ? ver : STP_API_VERSION};
    size_t n = 4;
    if (key && *key && strlen(key) <= 255) {
        hdrs[n++] = "Idempotency-Key";
        hdrs[n++] = key;
    }
    if (replayed) {
        hdrs[n++] = "Idempotent-Replayed";
        hdrs[n++] = "true";
    }
    hdrs[n] = NULL;
    return sb_send(c->req, status, "application/json", text, strlen(text), hdrs);
}

/* ---- idempotency (stp.lock) ---- */
static void idem_store(const struct stp_call *c, unsigned int status, const char *text)
{
    if (!c->idem_key[0])
        return;
    stp_lock();
    if (!sb_map_get(&stp.idem, c->idem_key)) {
        if (stp.idem.n >= IDEM_MAX) { /* forget the oldest */
            size_t oldest = SIZE_MAX;
            for (size_t i = 0; i < stp.idem.cap; i++)
                if (sb_map_live(&stp.idem, i) &&
                    (oldest == SIZE_MAX || ((struct stp_idem *)stp.idem.vals[i])->at <
                                               ((struct stp_idem *)stp.idem.vals[oldest])->at))
                    oldest = i;
            struct stp_idem *e = sb_map_del(&stp.idem, stp.idem.keys[oldest]);
            free(e->body);
            free(e);
        }
        struct stp_idem *e = fh_calloc(1, sizeof(*e));
        memcpy(e->hash, c->idem_hash, sizeof(e->hash));
        e->status = status;
        e->body = fh_strdup(text);
        e->at = stp_now();
        sb_map_put(&stp.idem, c->idem_key, e);
    }
    stp_unlock();
}

/* True when the request was answered from (or refused by) the idempotency cache. */
static bool idem_replay_or_reply(struct stp_call *c)
{
    const char *key = fh_req_header(c->req, "Idempotency-Key");
    if (strcmp(c->req->method, "POST") != 0 || !key || !*key)
        return false;
    if (strlen(key) > 255) {
        stp_error(c, 400, NULL, NULL, NULL,
                  "Invalid idempotency key: it must be at most 255 characters long.");
        return true;
    }
    char *text = NULL;
    unsigned int status = 0;
    bool conflict = false;
    struct fh_buf b;
    fh_buf_init(&b, (size_t)1 << 20);
    fh_buf_appendf(&b, "%s\n", c->req->path);
    fh_buf_append(&b, c->req->body.data ? c->req->body.data : "", c->req->body.len);
    fh_sha256_hex(b.data, b.len, c->idem_hash);
    fh_buf_free(&b);
    stp_lock();
    struct stp_idem *e = sb_map_get(&stp.idem, key);
    if (e && stp_now() - e->at > IDEM_TTL_S) {
        sb_map_del(&stp.idem, key);
        free(e->body);
        free(e);
        e = NULL;
    }
    if (e && strcmp(e->hash, c->idem_hash) != 0)
        conflict = true;
    else if (e)
        text = fh_strdup(e->body), status = e->status;
    stp_unlock();
    if (conflict) {
        stp_error(c, 400, "idempotency_error", NULL, NULL,
                  "Keys for idempotent requests can only be used with the same parameters they "
                  "were first used with. Try using a key other than '%s' if you meant to execute "
                  "a different request.",
                  key);
        return true;
    }
    if (text) {
        sb_stat_add(&stp_stats, "api", "idempotent_replays", 1);
        send_body(c, status, text, true);
        return true;
    }
    fh_strlcpy(c->idem_key, key, sizeof(c->idem_key));
    return false;
}

/* ---- replies ---- */
enum fh_rc stp_reply(struct stp_call *c, unsigned int status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    idem_store(c, status, text);
    return send_body(c, status, text, false);
}

enum fh_rc stp_error(struct stp_call *c, unsigned int status, const char *type, const char *code,
                     const char *param, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *e =
        json_pack("{s:s, s:s}", "message", msg, "type", type ? type : "invalid_request_error");
    if (!e)
        e = json_pack("{s:s, s:s}", "message", "invalid request", "type", "invalid_request_error");
    if (code && *code) {
        char doc[120] = "https://stripe.com/docs/error-codes/";
        size_t n = strlen(doc);
        for (const char *p = code; *p && n + 1 < sizeof(doc); p++)
            doc[n++] = *p == '_' ? '-' : *p;
        doc[n] = '\0';
        json_object_set_new(e, "code", json_string(code));
        json_object_set_new(e, "doc_url", json_string(doc));
    }
    if (param && *param)
        json_object_set_new(e, "param", json_string(param));
    json_t *j = json_pack("{s:o}", "error", e);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    sb_stat_add(&stp_stats, "api", status >= 500 ? "errors_5xx" : "errors_4xx", 1);
    return send_body(c, status, text, false);
}

enum fh_rc stp_missing(struct stp_call *c, const char *what, const char *id)
{
    return stp_error(c, 404, NULL, "resource_missing", "id", "No such %s: '%s'", what, id);
}

enum fh_rc stp_perror(struct stp_call *c, const struct stp_perr *e)
{
    return stp_error(c, 400, NULL, e->code, e->param, "%s", e->message);
}

/* ---- authentication ---- */
static void mask(const char *key, char *out, size_t n)
{
    size_t len = strlen(key);
    if (len <= 12) {
        snprintf(out, n, "%s", len > 4 ? "****" : key);
        return;
    }
    size_t pre = fh_starts_with(key, "sk_test_") || fh_starts_with(key, "sk_live_") ? 8 : 3;
    snprintf(out, n, "%.*s%s%s", (int)pre, key, "****************************", key + len - 4);
}

static bool auth_or_reply(struct stp_call *c)
{
    const char *h = fh_req_header(c->req, "Authorization");
    char key[256] = "", secret[8];
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        fh_strlcpy(key, h + 7, sizeof(key));
    else if (h && sb_basic_auth(c->req, key, sizeof(key), secret, sizeof(secret)) < 0)
        key[0] = '\0';
    if (!key[0]) {
        stp_error(c, 401, NULL, NULL, NULL,
                  "You did not provide an API key. You need to provide your API key in the "
                  "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                  "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
                  "details, or we can help at https://support.stripe.com/.");
        return false;
    }
    stp_lock();
    bool ok = fh_const_eq(key, stp.set.secret_key);
    stp_unlock();
    if (!ok) {
        char masked[64];
        mask(key, masked, sizeof(masked));
        sb_stat_add(&stp_stats, "api", "bad_keys", 1);
        stp_error(c, 401, NULL, NULL, NULL, "Invalid API Key provided: %s", masked);
    }
    return ok;
}

/* ---- routing ---- */
static bool seg_match(const char *pattern, const struct stp_call *c)
{
    size_t i = 0;
    const char *p = pattern;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (i >= c->nseg)
            return false;
        if (!(n == 1 && *p == '*') && (strlen(c->seg[i]) != n || strncmp(p, c->seg[i], n) != 0))
            return false;
        i++;
        p += n + (slash ? 1 : 0);
    }
    return i == c->nseg;
}

static bool faults_or_reply(struct stp_call *c)
{
    const char *problem;
    int64_t retry;
    if (sb_faults_take_429(&stp_faults, stp.set.account_id, &problem, &retry)) {
        sb_stat_add(&stp_stats, "faults", "rate_limit", 1);
        stp_error(c, 429, NULL, "rate_limit", NULL,
                  "Too many requests hit the API too quickly. We recommend an exponential "
                  "backoff of your requests.");
        return true;
    }
    struct sb_fault_draw d;
    sb_faults_draw(&stp_faults, false, &d);
    return sb_faults_apply(&stp_faults, c->req, &d);
}

enum fh_rc stp_api(struct fh_req *req)
{
    struct stp_call c;
    memset(&c, 0, sizeof(c));
    c.req = req;
    stp_id("req_", 14, c.request_id);
    char path[512];
    fh_strlcpy(path, req->path + strlen("/stripe/v1/"), sizeof(path));
    for (char *p = path; *p && c.nseg < FH_ARRAY_LEN(c.seg);) {
        char *slash = strchr(p, '/');
        c.seg[c.nseg++] = p;
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    const struct stp_endpoint *ep = NULL;
    for (size_t i = 0; i < stp_nendpoints && !ep; i++)
        if (strcmp(stp_endpoints[i].method, req->method) == 0 &&
            seg_match(stp_endpoints[i].path, &c))
            ep = &stp_endpoints[i];
    char label[80];
    snprintf(label, sizeof(label), "%s /v1/%s", req->method, ep ? ep->path : "(unknown)");
    sb_stat_add(&stp_stats, "calls", label, 1);
    if (faults_or_reply(&c) || !auth_or_reply(&c))
        return FH_OK;
    if (!ep)
        return stp_error(&c, 404, NULL, NULL, NULL,
                         "Unrecognized request URL (%s: %s). Please see https://stripe.com/docs "
                         "or we can help at https://support.stripe.com/.",
                         req->method, req->path + strlen("/stripe"));
    struct stp_perr perr;
    bool post = strcmp(req->method, "POST") == 0;
    c.params = stp_params(req, post ? (req->body.data ? req->body.data : "") : NULL,
                          post ? req->body.len : 0, ep->spec, &perr);
    if (!c.params)
        return stp_perror(&c, &perr);
    if (!idem_replay_or_reply(&c))
        ep->fn(&c);
    json_decref(c.params);
    return FH_OK;
}
