/* stats.c - counters for tests and benchmarks: calls per endpoint, per tenant, 429s per limit,
 * token events, webhook deliveries, injected faults. One JSON tree under its own lock:
 *   {"calls": {"GET /Invoices": n, ...}, "rate_limited": {"minute": n, ...},
 *    "tenants": {"<tenantId>": {"calls": n, "rate_limited": n}}, "identity": {...}, ...} */
#include <pthread.h>

#include "xero_internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *tree;

static json_t *group(json_t *parent, const char *name)
{
    json_t *g = json_object_get(parent, name);
    if (!g) {
        g = json_object();
        json_object_set_new(parent, name, g);
    }
    return g;
}

static void add(json_t *g, const char *key, int64_t n)
{
    json_t *v = json_object_get(g, key);
    json_object_set_new(g, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

void stat_add(const char *grp, const char *key, int64_t n)
{
    pthread_mutex_lock(&lock);
    if (!tree)
        tree = json_object();
    add(group(tree, grp), key, n);
    pthread_mutex_unlock(&lock);
}

void stat_tenant(const char *tenant, const char *key, int64_t n)
{
    pthread_mutex_lock(&lock);
    if (!tree)
        tree = json_object();
    add(group(group(tree, "tenants"), tenant), key, n);
    pthread_mutex_unlock(&lock);
}

json_t *stats_json(void)
{
    pthread_mutex_lock(&lock);
    json_t *copy = tree ? json_deep_copy(tree) : json_object();
    pthread_mutex_unlock(&lock);
    static const char *const groups[] = {"calls",    "rate_limited", "tenants",
                                         "identity", "webhooks",     "faults"};
    for (size_t i = 0; i < FH_ARRAY_LEN(groups); i++)
        group(copy, groups[i]);
    json_t *calls = json_object_get(copy, "calls"), *v;
    const char *k;
    int64_t total = 0;
    json_object_foreach(calls, k, v) total += json_integer_value(v);
    json_object_set_new(copy, "total_calls", json_integer(total));
    return copy;
}

void stats_reset(void)
{
    pthread_mutex_lock(&lock);
    json_decref(tree);
    tree = NULL;
    pthread_mutex_unlock(&lock);
}
