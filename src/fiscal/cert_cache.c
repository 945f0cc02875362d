/* cert_cache.c - opened certificate secrets kept between V-SDC calls.
 *
 * Opening a certificate's secrets (base64 and secretbox over a PFX of a few KiB, its password
 * and its PAC) for every attempt cost the worker about 7% of its CPU in the fiscalization
 * benchmark. This cache keeps the opened values of at most CACHE_MAX certificates, the least
 * recently used going first.
 *
 * Secrets stay in locked memory: each entry is one sodium_malloc block (guard pages, mlock'ed,
 * read-only once filled, wiped by sodium_free) holding the master key it was opened with, the
 * PFX, the password and the PAC. Nothing of it is copied out: fh_cert_secret_load hands out
 * pointers into the block with a reference, and fh_cert_secret_free gives the reference back.
 *
 * An entry is found by certificate id and stamp, the stamp being the sealed cells' nonces
 * ("v1:" and the first 32 base64 characters, i.e. the 24 random nonce bytes drawn by every
 * fh_secret_seal). Whatever changes a certificate's secrets changes its stamp: revocation erases
 * the sealed cells (no stamp, nothing cached), sealing anew draws new nonces. The stamp is read
 * from the row on every load, so a change made by another process is seen at once. The master
 * key must match too (compared in constant time), so a different key never opens a cached value.
 * fh_cert_revoke also drops the entry at once. A dropped or evicted entry is wiped when its last
 * holder releases it. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "fiscal_internal.h"

enum { CACHE_MAX = 32 };

struct entry {
    int64_t id;
    char stamp[FISCAL_CERT_STAMP_SIZE];
    char fingerprint[65];
    uint8_t *block; /* sodium_malloc: master key | PFX | password NUL | PAC NUL */
    size_t pfx_len, pw_off, pac_off;
    unsigned refs; /* holders outside the table */
    bool live;     /* in the table */
    uint64_t used; /* last use, for eviction */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table[CACHE_MAX];
static uint64_t clock_tick;

static void entry_free(struct entry *e)
{
    sodium_free(e->block);
    sodium_memzero(e, sizeof(*e));
    free(e);
}

/* Under lock: takes e out of the table; freed now unless someone holds it. */
static void drop_at(size_t i)
{
    struct entry *e = table[i];
    table[i] = NULL;
    e->live = false;
    if (e->refs == 0)
        entry_free(e);
}

static void point_into(struct entry *e, struct fh_cert_secret *out)
{
    out->pfx = e->block + FH_MASTER_KEY_BYTES;
    out->pfx_len = e->pfx_len;
    out->password = (char *)e->block + e->pw_off;
    out->pac = (char *)e->block + e->pac_off;
    fh_strlcpy(out->fingerprint, e->fingerprint, sizeof(out->fingerprint));
    out->held = e;
}

bool fiscal_cert_cache_get(int64_t id, const char *stamp, const uint8_t key[FH_MASTER_KEY_BYTES],
                           struct fh_cert_secret *out)
{
    bool hit = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_MAX && !hit; i++) {
        struct entry *e = table[i];
        if (!e || e->id != id)
            continue;
        if (strcmp(e->stamp, stamp) != 0 || sodium_memcmp(e->block, key, FH_MASTER_KEY_BYTES)) {
            drop_at(i); /* replaced, or another master key: never served again */
            continue;
        }
        e->refs++;
        e->used = ++clock_tick;
        point_into(e, out);
        hit = true;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

/* A new entry with copies of s's secrets, or NULL when no locked memory could be had. */
static struct entry *entry_new(int64_t id, const char *stamp,
                               const uint8_t key[FH_MASTER_KEY_BYTES],
                               const struct fh_cert_secret *s)
{
    size_t pw = strlen(s->password), pac = strlen(s->pac);
    size_t size = FH_MASTER_KEY_BYTES + s->pfx_len + pw + 1 + pac + 1;
    uint8_t *block = sodium_malloc(size);
    if (!block)
        return NULL;
    struct entry *e = fh_calloc(1, sizeof(*e));
    e->id = id;
    fh_strlcpy(e->stamp, stamp, sizeof(e->stamp));
    fh_strlcpy(e->fingerprint, s->fingerprint, sizeof(e->fingerprint));
    e->block = block;
    e->pfx_len = s->pfx_len;
    e->pw_off = FH_MASTER_KEY_BYTES + s->pfx_len;
    e->pac_off = e->pw_off + pw + 1;
    memcpy(block, key, FH_MASTER_KEY_BYTES);
    memcpy(block + FH_MASTER_KEY_BYTES, s->pfx, s->pfx_len);
    memcpy(block + e->pw_off, s->password, pw + 1);
    memcpy(block + e->pac_off, s->pac, pac + 1);
    sodium_mprotect_readonly(block);
    return e;
}

/* Under lock: the slot for a new entry, evicting the least recently used one if full. */
static size_t free_slot(void)
{
    size_t lru = 0;
    for (size_t i = 0; i < CACHE_MAX; i++) {
        if (!table[i])
            return i;
        if (table[i]->used < table[lru]->used)
            lru = i;
    }
    drop_at(lru);
    return lru;
}

void fiscal_cert_cache_put(int64_t id, const char *stamp, const uint8_t key[FH_MASTER_KEY_BYTES],
                           struct fh_cert_secret *s)
{
    if (s->held || !s->pfx || !s->password || !s->pac || !stamp[0])
        return;
    struct entry *e = entry_new(id, stamp, key, s);
    if (!e)
        return; /* no locked memory: s keeps its own copies */
    sodium_memzero(s->pfx, s->pfx_len);
    sodium_memzero(s->password, strlen(s->password));
    sodium_memzero(s->pac, strlen(s->pac));
    free(s->pfx);
    free(s->password);
    free(s->pac);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_MAX; i++)
        if (table[i] && table[i]->id == id)
            drop_at(i); /* an older stamp, or one put by another thread meanwhile */
    size_t i = free_slot();
    table[i] = e;
    e->live = true;
    e->refs = 1;
    e->used = ++clock_tick;
    point_into(e, s);
    pthread_mutex_unlock(&lock);
}

void fiscal_cert_cache_release(void *held)
{
    struct entry *e = held;
    pthread_mutex_lock(&lock);
    e->refs--;
    if (e->refs == 0 && !e->live)
        entry_free(e);
    pthread_mutex_unlock(&lock);
}

void fiscal_cert_cache_forget(int64_t id)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_MAX; i++)
        if (table[i] && table[i]->id == id)
            drop_at(i);
    pthread_mutex_unlock(&lock);
}

void fh_cert_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_MAX; i++)
        if (table[i])
            drop_at(i);
    pthread_mutex_unlock(&lock);
}

size_t fh_cert_cache_count(void)
{
    size_t n = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < CACHE_MAX; i++)
        n += table[i] != NULL;
    pthread_mutex_unlock(&lock);
    return n;
}
