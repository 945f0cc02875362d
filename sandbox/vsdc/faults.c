/* faults.c - fault injection for POST /api/v3/invoices (and GET when asked): each request draws
 * one number from a seeded splitmix64 generator and compares it with the cumulative
 * probabilities of error_5xx, timeout, reset and lost_response; a queue `next` of named faults,
 * when set, overrides the draw for the next POSTs one by one, which makes tests deterministic.
 *
 * `uid` scopes that queue to one client certificate. api.c passes each draw the caller's UID
 * (the SERIALNUMBER of the certificate its mTLS connection was made with, tls_server.c): with a
 * scope, only that certificate's POSTs take from `next`, every other certificate draws as if the
 * queue were empty, so a test's fault cannot be taken by another certificate's POST (a
 * background retry of an earlier test). The probabilities apply to every certificate either way.
 *
 *   error_5xx      answer status_5xx (500) with {"message":"An error has occurred."}; nothing
 *                  signed
 *   timeout        hold the connection timeout_ms (5000) without answering, then close; nothing
 *                  signed
 *   reset          close the connection at once with a TCP RST; nothing signed
 *   lost_response  sign and store the invoice, then close without answering
 * latency_ms (0) delays every POST before it is handled, like a V-SDC that is 100-300 ms away.
 * abrupt_refusal (false) closes a connection whose handshake failed as soon as the alert is
 * written, unread bytes and all (a TCP reset), instead of draining it first (tls_server.c): a
 * TLS 1.3 client that already sent its request then often fails on the write and never reads
 * the alert. */
#include <string.h>
#include <time.h>

#include "vsdc_internal.h"

#define NEXT_MAX 64

static const char *const names[] = {"none",  "error_5xx",     "timeout",
                                    "reset", "lost_response", "cut_response"};

static struct {
    pthread_mutex_t lock;
    double p[6]; /* by enum vsdc_fault; p[0] unused */
    uint64_t seed, state;
    int64_t timeout_ms, latency_ms;
    int status_5xx;
    bool apply_to_get, abrupt_refusal;
    enum vsdc_fault next[NEXT_MAX];
    size_t nnext, inext;
    char uid[VSDC_UID_LEN + 1]; /* the certificate `next` is for; "" = every certificate */
} f = {.lock = PTHREAD_MUTEX_INITIALIZER, .timeout_ms = 5000, .status_5xx = 500};

const char *vsdc_fault_name(enum vsdc_fault k)
{
    return names[k];
}

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
    f.latency_ms = 0;
    f.status_5xx = 500;
    f.apply_to_get = false;
    f.abrupt_refusal = false;
    f.nnext = f.inext = 0;
    f.uid[0] = '\0';
}

void vsdc_faults_reset(void)
{
    pthread_mutex_lock(&f.lock);
    defaults();
    pthread_mutex_unlock(&f.lock);
}

void vsdc_faults_draw(const char *uid, bool post, struct vsdc_fault_decision *d)
{
    pthread_mutex_lock(&f.lock);
    d->kind = VSDC_FAULT_NONE;
    d->status = f.status_5xx;
    d->hold_ms = f.timeout_ms;
    d->latency_ms = post ? f.latency_ms : 0;
    if (post && f.inext < f.nnext && (!f.uid[0] || strcmp(f.uid, uid) == 0)) {
        d->kind = f.next[f.inext++];
    } else if (post || f.apply_to_get) {
        double r = (double)(splitmix(&f.state) >> 11) * 0x1.0p-53, acc = 0;
        for (int k = VSDC_FAULT_5XX; k <= VSDC_FAULT_CUT && d->kind == VSDC_FAULT_NONE; k++) {
            acc += f.p[k];
            if (r < acc)
                d->kind = (enum vsdc_fault)k;
        }
    }
    pthread_mutex_unlock(&f.lock);
}

static enum fh_rc parse_next(json_t *arr, enum vsdc_fault *out, size_t *n, char *err,
                             size_t errsize)
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
            snprintf(err, errsize,
                     "next[%zu] must be one of none, error_5xx, timeout, reset, lost_response, "
                     "cut_response",
                     i);
            return FH_E_INPUT;
        }
        out[(*n)++] = (enum vsdc_fault)k;
    }
    return FH_OK;
}

/* "uid": absent or null for every certificate, else a certificate UID (vsdc_uid_valid). */
static enum fh_rc parse_uid(json_t *v, char uid[VSDC_UID_LEN + 1], char *err, size_t errsize)
{
    uid[0] = '\0';
    if (!v || json_is_null(v))
        return FH_OK;
    if (!json_is_string(v) || json_string_length(v) != VSDC_UID_LEN ||
        !vsdc_uid_valid(json_string_value(v))) {
        snprintf(err, errsize, "uid must be null or a certificate UID: %d characters, A-Z or 0-9",
                 VSDC_UID_LEN);
        return FH_E_INPUT;
    }
    memcpy(uid, json_string_value(v), VSDC_UID_LEN + 1);
    return FH_OK;
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

enum fh_rc vsdc_faults_set(json_t *cfg, char *err, size_t errsize)
{
    if (!json_is_object(cfg)) {
        snprintf(err, errsize, "the body must be a JSON object");
        return FH_E_INPUT;
    }
    double p[6] = {0}, timeout = 5000, latency = 0, status = 500, seed = -1;
    double sum = 0;
    for (int k = VSDC_FAULT_5XX; k <= VSDC_FAULT_CUT; k++) {
        if (!number(cfg, names[k], 0, 1, &p[k])) {
            snprintf(err, errsize, "%s must be a probability between 0 and 1", names[k]);
            return FH_E_INPUT;
        }
        sum += p[k];
    }
    if (sum > 1.0 + 1e-9 || !number(cfg, "timeout_ms", 0, 600000, &timeout) ||
        !number(cfg, "latency_ms", 0, 10000, &latency) ||
        !number(cfg, "status_5xx", 500, 599, &status) ||
        !number(cfg, "seed", 0, 9007199254740991.0, &seed)) {
        snprintf(err, errsize,
                 "probabilities must add up to at most 1, timeout_ms 0..600000, latency_ms "
                 "0..10000, status_5xx 500..599, seed >= 0");
        return FH_E_INPUT;
    }
    json_t *atg = json_object_get(cfg, "apply_to_get"),
           *abrupt = json_object_get(cfg, "abrupt_refusal");
    enum vsdc_fault next[NEXT_MAX];
    size_t nnext;
    if ((atg && !json_is_boolean(atg)) || (abrupt && !json_is_boolean(abrupt)) ||
        parse_next(json_object_get(cfg, "next"), next, &nnext, err, errsize) != FH_OK) {
        if ((atg && !json_is_boolean(atg)) || (abrupt && !json_is_boolean(abrupt)))
            snprintf(err, errsize, "apply_to_get and abrupt_refusal must be true or false");
        return FH_E_INPUT;
    }
    char uid[VSDC_UID_LEN + 1];
    if (parse_uid(json_object_get(cfg, "uid"), uid, err, errsize) != FH_OK)
        return FH_E_INPUT;
    pthread_mutex_lock(&f.lock);
    defaults();
    memcpy(f.p, p, sizeof(p));
    if (seed >= 0)
        f.seed = f.state = (uint64_t)seed;
    f.timeout_ms = (int64_t)timeout;
    f.latency_ms = (int64_t)latency;
    f.status_5xx = (int)status;
    f.apply_to_get = json_is_true(atg);
    f.abrupt_refusal = json_is_true(abrupt);
    memcpy(f.next, next, nnext * sizeof(*next));
    f.nnext = nnext;
    memcpy(f.uid, uid, sizeof(uid));
    pthread_mutex_unlock(&f.lock);
    return FH_OK;
}

json_t *vsdc_faults_json(void)
{
    pthread_mutex_lock(&f.lock);
    json_t *next = json_array();
    for (size_t i = f.inext; i < f.nnext; i++)
        json_array_append_new(next, json_string(names[f.next[i]]));
    json_t *uid = f.uid[0] ? json_string(f.uid) : json_null();
    json_t *o = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:i, s:b, s:b, s:o, s:o}", "error_5xx",
        f.p[VSDC_FAULT_5XX], "timeout", f.p[VSDC_FAULT_TIMEOUT], "reset", f.p[VSDC_FAULT_RESET],
        "lost_response", f.p[VSDC_FAULT_LOST], "cut_response", f.p[VSDC_FAULT_CUT], "seed",
        (json_int_t)f.seed, "timeout_ms", (json_int_t)f.timeout_ms, "latency_ms",
        (json_int_t)f.latency_ms, "status_5xx", f.status_5xx, "apply_to_get", f.apply_to_get,
        "abrupt_refusal", f.abrupt_refusal, "next", next, "uid", uid);
    pthread_mutex_unlock(&f.lock);
    return o;
}

bool vsdc_faults_abrupt_refusal(void)
{
    pthread_mutex_lock(&f.lock);
    bool on = f.abrupt_refusal;
    pthread_mutex_unlock(&f.lock);
    return on;
}
