/* store.c - the emulator's memory: signed invoices, counters per UID, and statistics.
 *
 * Locking: `reset_lock` (a writer-preferring rwlock) is held for reading by every invoice
 * creation and for writing by reset, so reset never interleaves with a half-made invoice.
 * Each UID has its own mutex, held for the whole creation of one invoice (counters, signature,
 * store), so one taxpayer's invoices are numbered strictly in sequence while different UIDs sign
 * in parallel; a RequestId seen again under that mutex finds the stored result, so concurrent
 * POSTs of one RequestId create one invoice. `lock` guards the tables and is only held briefly.
 * Order: reset_lock, then a UID mutex, then lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsdc_internal.h"

/* ---- a string -> int64 hash map (open addressing, FNV-1a) ---- */
struct map {
    size_t cap, n;
    char **keys;
    int64_t *vals;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t slot_of(const struct map *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void map_put(struct map *m, const char *key, int64_t val);

static void map_grow(struct map *m)
{
    struct map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->keys = fh_calloc(m->cap, sizeof(*m->keys));
    m->vals = fh_calloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t s = slot_of(m, old.keys[i]);
            m->keys[s] = old.keys[i];
            m->vals[s] = old.vals[i];
            m->n++;
        }
    free(old.keys);
    free(old.vals);
}

static void map_put(struct map *m, const char *key, int64_t val)
{
    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    size_t s = slot_of(m, key);
    if (!m->keys[s]) {
        m->keys[s] = fh_strdup(key);
        m->n++;
    }
    m->vals[s] = val;
}

static bool map_get(const struct map *m, const char *key, int64_t *val)
{
    if (m->cap == 0)
        return false;
    size_t s = slot_of(m, key);
    if (!m->keys[s])
        return false;
    *val = m->vals[s];
    return true;
}

static void map_clear(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ---- state ---- */
struct tp_slot {
    pthread_mutex_t lock;
    struct vsdc_counters c;
};

static const char *const stat_names[] = {
    "posts_received", "gets_received", "invoices_created",     "stored_results_returned",
    "rejected_400",   "rejected_pac",  "rejected_cert",        "faults_error_5xx",
    "faults_timeout", "faults_reset",  "faults_lost_response", "faults_cut_response",
    "tls_handshakes", "tls_resumed",
};

static struct {
    pthread_mutex_t lock;
    pthread_rwlock_t reset_lock;
    struct map tps;        /* uid -> struct tp_slot * */
    struct map by_request; /* "uid/requestId" -> index + 1 */
    struct map by_number;  /* fiscal invoiceNumber -> index + 1 */
    struct map by_counter; /* "uid/totalCounter" -> index + 1 */
    struct map posts;      /* "uid/requestId" -> POSTs */
    struct map handshakes; /* uid -> completed TLS handshakes */
    struct vsdc_invoice **inv;
    size_t ninv, cap;
    int64_t stats[FH_ARRAY_LEN(stat_names)];
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

void vsdc_store_init(void)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&st.reset_lock, &a);
    pthread_rwlockattr_destroy(&a);
}

static void invoice_free(struct vsdc_invoice *inv)
{
    free(inv->pos_number);
    free(inv->result_json);
    free(inv->request_json);
    free(inv);
}

/* Call with lock held. */
static void clear_invoices(void)
{
    for (size_t i = 0; i < st.ninv; i++)
        invoice_free(st.inv[i]);
    free(st.inv);
    st.inv = NULL;
    st.ninv = st.cap = 0;
    map_clear(&st.by_request);
    map_clear(&st.by_number);
    map_clear(&st.by_counter);
    map_clear(&st.posts);
    map_clear(&st.handshakes);
    memset(st.stats, 0, sizeof(st.stats));
}

void vsdc_store_free(void)
{
    pthread_mutex_lock(&st.lock);
    clear_invoices();
    for (size_t i = 0; i < st.tps.cap; i++)
        if (st.tps.keys[i]) {
            struct tp_slot *t = (struct tp_slot *)(intptr_t)st.tps.vals[i];
            pthread_mutex_destroy(&t->lock);
            free(t);
        }
    map_clear(&st.tps);
    pthread_mutex_unlock(&st.lock);
    pthread_rwlock_destroy(&st.reset_lock);
}

void vsdc_store_reset(void)
{
    pthread_rwlock_wrlock(&st.reset_lock);
    pthread_mutex_lock(&st.lock);
    clear_invoices();
    for (size_t i = 0; i < st.tps.cap; i++)
        if (st.tps.keys[i])
            memset(&((struct tp_slot *)(intptr_t)st.tps.vals[i])->c, 0,
                   sizeof(struct vsdc_counters));
    pthread_mutex_unlock(&st.lock);
    vsdc_faults_reset();
    pthread_rwlock_unlock(&st.reset_lock);
}

void *vsdc_store_enter(const char *uid)
{
    pthread_rwlock_rdlock(&st.reset_lock);
    pthread_mutex_lock(&st.lock);
    int64_t v;
    struct tp_slot *t;
    if (map_get(&st.tps, uid, &v)) {
        t = (struct tp_slot *)(intptr_t)v;
    } else {
        t = fh_calloc(1, sizeof(*t));
        pthread_mutex_init(&t->lock, NULL);
        map_put(&st.tps, uid, (int64_t)(intptr_t)t);
    }
    pthread_mutex_unlock(&st.lock);
    pthread_mutex_lock(&t->lock);
    return t;
}

void vsdc_store_leave(void *token)
{
    pthread_mutex_unlock(&((struct tp_slot *)token)->lock);
    pthread_rwlock_unlock(&st.reset_lock);
}

struct vsdc_counters *vsdc_store_counters(void *token)
{
    return &((struct tp_slot *)token)->c;
}

static void key_of(char *out, size_t size, const char *uid, const char *rest)
{
    snprintf(out, size, "%s/%s", uid, rest);
}

enum fh_rc vsdc_store_find(const char *uid, const char *request_id, char **json)
{
    char key[64];
    key_of(key, sizeof(key), uid, request_id);
    int64_t idx;
    pthread_mutex_lock(&st.lock);
    bool found = map_get(&st.by_request, key, &idx);
    if (found)
        *json = fh_strdup(st.inv[idx - 1]->result_json);
    pthread_mutex_unlock(&st.lock);
    return found ? FH_OK : FH_E_NOTFOUND;
}

void vsdc_store_add(struct vsdc_invoice *inv)
{
    char key[64];
    pthread_mutex_lock(&st.lock);
    if (st.ninv == st.cap) {
        st.cap = st.cap ? st.cap * 2 : 256;
        st.inv = fh_realloc(st.inv, st.cap * sizeof(*st.inv));
    }
    st.inv[st.ninv++] = inv;
    int64_t idx = (int64_t)st.ninv;
    if (inv->request_id[0]) {
        key_of(key, sizeof(key), inv->uid, inv->request_id);
        map_put(&st.by_request, key, idx);
    }
    map_put(&st.by_number, inv->invoice_number, idx);
    char counter[16];
    snprintf(counter, sizeof(counter), "%u", inv->total_counter);
    key_of(key, sizeof(key), inv->uid, counter);
    map_put(&st.by_counter, key, idx);
    st.stats[2]++; /* invoices_created */
    pthread_mutex_unlock(&st.lock);
}

void vsdc_store_count_post(const char *uid, const char *request_id)
{
    char key[64];
    key_of(key, sizeof(key), uid, request_id);
    pthread_mutex_lock(&st.lock);
    int64_t n = 0;
    map_get(&st.posts, key, &n);
    map_put(&st.posts, key, n + 1);
    pthread_mutex_unlock(&st.lock);
}

void vsdc_stat_inc(const char *name)
{
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < FH_ARRAY_LEN(stat_names); i++)
        if (strcmp(stat_names[i], name) == 0)
            st.stats[i]++;
    pthread_mutex_unlock(&st.lock);
}

void vsdc_store_count_handshake(const char *uid, bool resumed)
{
    pthread_mutex_lock(&st.lock);
    int64_t n = 0;
    map_get(&st.handshakes, uid, &n);
    map_put(&st.handshakes, uid, n + 1);
    pthread_mutex_unlock(&st.lock);
    vsdc_stat_inc("tls_handshakes");
    if (resumed)
        vsdc_stat_inc("tls_resumed");
}

static json_t *summary(const struct vsdc_invoice *inv)
{
    char when[32];
    fh_time_fmt(inv->sdc_ms, when, sizeof(when));
    return json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:i, s:I, s:o, s:s}", "invoice_number",
                     inv->invoice_number, "uid", inv->uid, "request_id",
                     inv->request_id[0] ? inv->request_id : NULL, "pos_invoice_number",
                     inv->pos_number, "invoice_type", inv->invoice_type, "transaction_type",
                     inv->transaction_type, "total_counter", (json_int_t)inv->total_counter,
                     "total_amount", vsdc_json_money(inv->total_amount), "sdc_time", when);
}

/* POS invoiceNumbers that produced more than one fiscal invoice of the same (invoiceType,
 * transactionType); copies are reprints by design and are left out. Call with lock held. */
static json_t *duplicate_pos_numbers(void)
{
    struct map seen = {0};
    json_t *dups = json_array(), *byk = json_object();
    for (size_t i = 0; i < st.ninv; i++) {
        const struct vsdc_invoice *inv = st.inv[i];
        if (!inv->pos_number || inv->invoice_type == VSDC_COPY)
            continue;
        char *key = fh_asprintf("%s\x1f%d\x1f%d\x1f%s", inv->uid, inv->invoice_type,
                                inv->transaction_type, inv->pos_number);
        int64_t n = 0;
        map_get(&seen, key, &n);
        map_put(&seen, key, n + 1);
        json_t *e = json_object_get(byk, key);
        if (!e) {
            e = json_pack("{s:s, s:s, s:i, s:i, s:[]}", "uid", inv->uid, "pos_invoice_number",
                          inv->pos_number, "invoice_type", inv->invoice_type, "transaction_type",
                          inv->transaction_type, "fiscal_invoice_numbers");
            json_object_set_new(byk, key, e);
        }
        json_array_append_new(json_object_get(e, "fiscal_invoice_numbers"),
                              json_string(inv->invoice_number));
        if (n + 1 == 2)
            json_array_append(dups, e);
        free(key);
    }
    map_clear(&seen);
    json_decref(byk);
    return dups;
}

json_t *vsdc_store_stats_json(void)
{
    json_t *o = json_object(), *posts = json_array(), *dup_ids = json_array();
    json_t *hs = json_object();
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < FH_ARRAY_LEN(stat_names); i++)
        json_object_set_new(o, stat_names[i], json_integer(st.stats[i]));
    for (size_t i = 0; i < st.handshakes.cap; i++)
        if (st.handshakes.keys[i])
            json_object_set_new(hs, st.handshakes.keys[i], json_integer(st.handshakes.vals[i]));
    for (size_t i = 0; i < st.posts.cap; i++) {
        if (!st.posts.keys[i])
            continue;
        const char *k = st.posts.keys[i];
        int64_t idx = 0;
        bool stored = map_get(&st.by_request, k, &idx);
        json_t *e =
            json_pack("{s:s%, s:s, s:I, s:s?}", "uid", k, (size_t)VSDC_UID_LEN, "request_id",
                      k + VSDC_UID_LEN + 1, "posts", (json_int_t)st.posts.vals[i], "invoice_number",
                      stored ? st.inv[idx - 1]->invoice_number : NULL);
        json_array_append(posts, e);
        if (st.posts.vals[i] > 1)
            json_array_append(dup_ids, e);
        json_decref(e);
    }
    json_t *dup_numbers = duplicate_pos_numbers();
    pthread_mutex_unlock(&st.lock);
    json_object_set_new(o, "tls_handshakes_by_uid", hs);
    json_object_set_new(o, "posts_by_request_id", posts);
    json_object_set_new(o, "duplicate_request_ids", dup_ids);
    json_object_set_new(o, "duplicate_pos_invoice_numbers", dup_numbers);
    json_object_set_new(o, "faults", vsdc_faults_json());
    return o;
}

json_t *vsdc_store_list_json(const char *uid, size_t offset, size_t limit)
{
    json_t *arr = json_array();
    size_t total = 0;
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < st.ninv; i++) {
        if (uid && strcmp(uid, st.inv[i]->uid) != 0)
            continue;
        if (total >= offset && json_array_size(arr) < limit)
            json_array_append_new(arr, summary(st.inv[i]));
        total++;
    }
    pthread_mutex_unlock(&st.lock);
    return json_pack("{s:I, s:o}", "total", (json_int_t)total, "invoices", arr);
}

json_t *vsdc_store_get_json(const char *invoice_number)
{
    char *result = NULL, *request = NULL;
    int64_t idx;
    pthread_mutex_lock(&st.lock);
    if (map_get(&st.by_number, invoice_number, &idx)) {
        result = fh_strdup(st.inv[idx - 1]->result_json);
        request = fh_strdup(st.inv[idx - 1]->request_json);
    }
    pthread_mutex_unlock(&st.lock);
    if (!result)
        return NULL;
    json_t *o = json_pack("{s:o*, s:o*}", "request", json_loads(request, JSON_DECODE_ANY, NULL),
                          "result", json_loads(result, 0, NULL));
    free(result);
    free(request);
    return o;
}

enum fh_rc vsdc_store_find_by_counter(const char *uid, uint32_t total_counter, char **result,
                                      char **request)
{
    char key[64], counter[16];
    snprintf(counter, sizeof(counter), "%u", total_counter);
    key_of(key, sizeof(key), uid, counter);
    int64_t idx;
    pthread_mutex_lock(&st.lock);
    bool found = map_get(&st.by_counter, key, &idx);
    if (found) {
        *result = fh_strdup(st.inv[idx - 1]->result_json);
        *request = fh_strdup(st.inv[idx - 1]->request_json);
    }
    pthread_mutex_unlock(&st.lock);
    return found ? FH_OK : FH_E_NOTFOUND;
}
