/* stats.c - counters for tests and benchmarks: one JSON tree per emulator under its own lock,
 *   {"calls": {"GET /Invoices": n, ...}, "rate_limited": {"minute": n, ...},
 *    "tenants": {"<id>": {"calls": n, "rate_limited": n}}, ..., "total_calls": n}
 * The emulator names its groups once (they are always present, maybe empty). */
#include "common.h"

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

void sb_stat_add(struct sb_stats *s, const char *grp, const char *key, int64_t n)
{
    pthread_mutex_lock(&s->lock);
    if (!s->tree)
        s->tree = json_object();
    add(group(s->tree, grp), key, n);
    pthread_mutex_unlock(&s->lock);
}

void sb_stat_sub(struct sb_stats *s, const char *grp, const char *sub, const char *key, int64_t n)
{
    pthread_mutex_lock(&s->lock);
    if (!s->tree)
        s->tree = json_object();
    add(group(group(s->tree, grp), sub), key, n);
    pthread_mutex_unlock(&s->lock);
}

void sb_stat_set(struct sb_stats *s, const char *grp, const char *key, int64_t v)
{
    pthread_mutex_lock(&s->lock);
    if (!s->tree)
        s->tree = json_object();
    json_object_set_new(group(s->tree, grp), key, json_integer(v));
    pthread_mutex_unlock(&s->lock);
}

json_t *sb_stats_json(struct sb_stats *s)
{
    pthread_mutex_lock(&s->lock);
    json_t *copy = s->tree ? json_deep_copy(s->tree) : json_object();
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; s->groups && s->groups[i]; i++)
        group(copy, s->groups[i]);
    json_t *calls = group(copy, "calls"), *v;
    const char *k;
    int64_t total = 0;
    json_object_foreach(calls, k, v) total += json_integer_value(v);
    json_object_set_new(copy, "total_calls", json_integer(total));
    return copy;
}

void sb_stats_reset(struct sb_stats *s)
{
    pthread_mutex_lock(&s->lock);
    json_decref(s->tree);
    s->tree = NULL;
    pthread_mutex_unlock(&s->lock);
}
