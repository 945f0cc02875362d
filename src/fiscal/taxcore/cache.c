/* cache.c - the V-SDC's status (tax rates, labels) and environment parameters, per certificate,
 * in memory for a few minutes.
 *
 * Tax rates change rarely and every process can ask again, so nothing is stored: a small list
 * under a mutex maps (certificate id, which document) to the parsed JSON and when it was
 * fetched. A miss fetches outside the lock (two threads may fetch at once; the later one wins),
 * so a slow V-SDC never blocks readers of other certificates. Used to explain a 2310 refusal
 * with the labels the V-SDC does define. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "taxcore.h"

enum { TTL_MS = 5 * 60 * 1000, MAX_ENTRIES = 256 };

struct entry {
    int64_t cert_id;
    enum fh_tc_call which;
    int64_t fetched_mono;
    json_t *doc;
    struct entry *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *cache_head;
static size_t cache_n;

static json_t *lookup(int64_t cert_id, enum fh_tc_call which, int64_t now)
{
    json_t *doc = NULL;
    pthread_mutex_lock(&cache_lock);
    for (struct entry *e = cache_head; e; e = e->next)
        if (e->cert_id == cert_id && e->which == which && now - e->fetched_mono < TTL_MS)
            doc = json_incref(e->doc);
    pthread_mutex_unlock(&cache_lock);
    return doc;
}

static void store(int64_t cert_id, enum fh_tc_call which, int64_t now, json_t *doc)
{
    pthread_mutex_lock(&cache_lock);
    struct entry **p = &cache_head;
    while (*p && !((*p)->cert_id == cert_id && (*p)->which == which))
        p = &(*p)->next;
    struct entry *e = *p;
    if (!e) {
        if (cache_n >= MAX_ENTRIES) { /* full: start over rather than track ages */
            pthread_mutex_unlock(&cache_lock);
            fh_tc_cache_clear();
            pthread_mutex_lock(&cache_lock);
        }
        e = fh_calloc(1, sizeof(*e));
        e->cert_id = cert_id;
        e->which = which;
        e->next = cache_head;
        cache_head = e;
        cache_n++;
    }
    json_decref(e->doc);
    e->doc = json_incref(doc);
    e->fetched_mono = now;
    pthread_mutex_unlock(&cache_lock);
}

void fh_tc_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    struct entry *e = cache_head;
    cache_head = NULL;
    cache_n = 0;
    pthread_mutex_unlock(&cache_lock);
    while (e) {
        struct entry *next = e->next;
        json_decref(e->doc);
        free(e);
        e = next;
    }
}

static enum fh_rc cached(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                         enum fh_tc_call which, json_t **out)
{
    int64_t now = fh_mono_ms();
    *out = lookup(cert->id, which, now);
    if (*out)
        return FH_OK;
    struct fh_tc_reply r;
    fh_tc_call(s, cert, which, NULL, NULL, &r);
    json_t *doc = r.outcome == FH_TC_OK ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    enum fh_rc rc = r.outcome == FH_TC_REJECTED ? FH_ERR : FH_E_RETRY;
    fh_tc_reply_free(&r);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return rc;
    }
    store(cert->id, which, now, doc);
    *out = doc;
    return FH_OK;
}

enum fh_rc fh_tc_status_cached(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                               json_t **out)
{
    return cached(s, cert, FH_TC_GET_STATUS, out);
}

enum fh_rc fh_tc_env_cached(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                            json_t **out)
{
    return cached(s, cert, FH_TC_GET_ENV, out);
}

void fh_tc_status_labels(json_t *status, char *out, size_t outsize)
{
    struct fh_buf b;
    fh_buf_init(&b, outsize > 0 ? outsize - 1 : 0);
    json_t *cats = json_object_get(json_object_get(status, "currentTaxRates"), "taxCategories");
    size_t i, k;
    json_t *cat, *rate;
    json_array_foreach(cats, i, cat)
    {
        json_array_foreach(json_object_get(cat, "taxRates"), k, rate)
        {
            const char *label = json_string_value(json_object_get(rate, "label"));
            if (label)
                fh_buf_appendf(&b, "%s%s", b.len ? ", " : "", label);
        }
    }
    fh_strlcpy(out, b.data ? b.data : "", outsize);
    fh_buf_free(&b);
}
