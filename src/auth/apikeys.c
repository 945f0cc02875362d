/* apikeys.c - API keys of Custom Integrations: creation (the secret is returned once, only its
 * SHA-256 is stored), listing, revocation, and the authentication of public API requests.
 *
 * Authentication is HTTP Basic: Client ID as user name, secret as password. Every request looks
 * the key up (one indexed SELECT joining the integration, its organization and certificate), so
 * revoking a key, or removing its integration, takes effect on the next request. The secret's
 * SHA-256 is compared in constant time; a plain hash is right here because the secret is 32
 * random bytes, not a password. last_used_at is written only when the stored value is older than
 * a minute, so a busy key costs one UPDATE a minute, not one per request.
 *
 * Rate limiting: one token bucket per key in this process (a hash table under a mutex, bounded:
 * idle full buckets are dropped when it grows large). Several fiscalhub processes each apply the
 * limit, so the effective limit scales with the number of fronts; that is documented. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "fh/fh_apikeys.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"

#define UNITS_PER_TOKEN 60000
#define CLIENT_ID_MAX 47
#define SECRET_MAX 127

/* ---- token bucket ---- */

int64_t fh_bucket_take(struct fh_bucket *b, int64_t per_minute, int64_t burst, int64_t now)
{
    int64_t cap = burst * UNITS_PER_TOKEN;
    if (b->last_ms == 0 || now < b->last_ms) {
        b->units = b->last_ms == 0 ? cap : b->units;
        b->last_ms = now;
    }
    int64_t elapsed = now - b->last_ms;
    if (elapsed > 0) {
        int64_t room = cap - b->units;
        /* avoid overflow: past the time to fill up, the bucket is simply full */
        b->units = elapsed >= room / (per_minute > 0 ? per_minute : 1) + 1
                       ? cap
                       : b->units + elapsed * per_minute;
        if (b->units > cap)
            b->units = cap;
        b->last_ms = now;
    }
    if (b->units >= UNITS_PER_TOKEN) {
        b->units -= UNITS_PER_TOKEN;
        return 0;
    }
    int64_t missing = UNITS_PER_TOKEN - b->units;
    return (missing + per_minute - 1) / per_minute;
}

struct rl_entry {
    int64_t key_id;
    struct fh_bucket b;
    struct rl_entry *next;
};

enum { RL_SLOTS = 1024, RL_MAX = 50000 };
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl_entry *rl_table[RL_SLOTS];
static size_t rl_count;

/* Drops buckets that have refilled completely: they behave exactly like new ones. */
static void rl_sweep(int64_t per_minute, int64_t burst, int64_t now)
{
    int64_t full_after = burst * UNITS_PER_TOKEN / per_minute + 1;
    for (size_t i = 0; i < RL_SLOTS; i++) {
        for (struct rl_entry **p = &rl_table[i]; *p;) {
            if (now - (*p)->b.last_ms > full_after) {
                struct rl_entry *dead = *p;
                *p = dead->next;
                free(dead);
                rl_count--;
            } else {
                p = &(*p)->next;
            }
        }
    }
}

/* 0 when the key may make a request now, else the wait in ms. */
static int64_t rate_check(int64_t key_id, int64_t per_minute, int64_t burst, int64_t now)
{
    pthread_mutex_lock(&rl_lock);
    size_t slot = (size_t)((uint64_t)key_id * 0x9E3779B97F4A7C15ULL >> 54) % RL_SLOTS;
    struct rl_entry *e = rl_table[slot];
    while (e && e->key_id != key_id)
        e = e->next;
    if (!e) {
        if (rl_count >= RL_MAX)
            rl_sweep(per_minute, burst, now);
        e = fh_calloc(1, sizeof(*e));
        e->key_id = key_id;
        e->next = rl_table[slot];
        rl_table[slot] = e;
        rl_count++;
    }
    int64_t wait = fh_bucket_take(&e->b, per_minute, burst, now);
    pthread_mutex_unlock(&rl_lock);
    return wait;
}

/* ---- Authorization: Basic ---- */

enum fh_rc fh_basic_auth_parse(const char *header, char *user, size_t usersize, char *pass,
                               size_t passsize)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return FH_E_INPUT;
    const char *b64 = header + 6;
    while (*b64 == ' ')
        b64++;
    size_t n = strlen(b64);
    while (n > 0 && b64[n - 1] == ' ')
        n--;
    if (n == 0 || n > 512)
        return FH_E_INPUT;
    unsigned char raw[400];
    size_t len = 0;
    if (sodium_base642bin(raw, sizeof(raw) - 1, b64, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 &&
        sodium_base642bin(raw, sizeof(raw) - 1, b64, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        return FH_E_INPUT;
    raw[len] = '\0';
    if (memchr(raw, '\0', len))
        return FH_E_INPUT;
    char *colon = strchr((char *)raw, ':');
    if (!colon)
        return FH_E_INPUT;
    *colon = '\0';
    bool ok = fh_strlcpy(user, (char *)raw, usersize) && fh_strlcpy(pass, colon + 1, passsize);
    sodium_memzero(raw, sizeof(raw));
    return ok ? FH_OK : FH_E_INPUT;
}

static enum fh_rc unauthorized(struct fh_req *req, const char *detail)
{
    fh_reply_error_header(req, FH_EC_API_KEY_INVALID, "WWW-Authenticate",
                          "Basic realm=\"fiscalhub API\", charset=\"UTF-8\"", "%s", detail);
    return FH_ERR;
}

struct key_row {
    int64_t id, revoked_at, last_used_at;
    char hash[65];
    char integ_status[16], integ_type[24];
};

static int load_key(struct fh_req *req, const char *client_id, struct key_row *k)
{
    struct fh_param p[] = {FH_PT(client_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT k.id, k.secret_hash, k.revoked_at, k.last_used_at, i.id, "
                           "i.org_id, i.uid, i.status, i.type, i.certificate_id, c.uid, o.code "
                           "FROM api_keys k JOIN integrations i ON i.id = k.integration_id "
                           "JOIN organizations o ON o.id = i.org_id "
                           "LEFT JOIN certificates c ON c.id = i.certificate_id "
                           "WHERE k.client_id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        struct fh_apikey_info *a = &req->apikey;
        k->id = fh_rows_i64(&rows, 0, 0, 0);
        fh_strlcpy(k->hash, fh_rows_get(&rows, 0, 1) ?: "", sizeof(k->hash));
        k->revoked_at = fh_rows_i64(&rows, 0, 2, 0);
        k->last_used_at = fh_rows_i64(&rows, 0, 3, 0);
        a->key_id = k->id;
        a->integration_id = fh_rows_i64(&rows, 0, 4, 0);
        a->org_id = fh_rows_i64(&rows, 0, 5, 0);
        fh_strlcpy(a->integration_uid, fh_rows_get(&rows, 0, 6) ?: "", sizeof(a->integration_uid));
        fh_strlcpy(k->integ_status, fh_rows_get(&rows, 0, 7) ?: "", sizeof(k->integ_status));
        fh_strlcpy(k->integ_type, fh_rows_get(&rows, 0, 8) ?: "", sizeof(k->integ_type));
        a->certificate_id = fh_rows_i64(&rows, 0, 9, 0);
        fh_strlcpy(a->certificate_uid, fh_rows_get(&rows, 0, 10) ?: "", sizeof(a->certificate_uid));
        fh_strlcpy(a->org_code, fh_rows_get(&rows, 0, 11) ?: "", sizeof(a->org_code));
        fh_strlcpy(a->client_id, client_id, sizeof(a->client_id));
    }
    fh_rows_free(&rows);
    return qs;
}

/* Best effort: at most one write a minute per key. */
static void touch_key(struct fh_req *req, const struct key_row *k, int64_t now)
{
    if (k->last_used_at && now - k->last_used_at < FH_APIKEY_USED_EVERY_MS)
        return;
    struct fh_param p[] = {FH_PI(k->id), FH_PI(now), FH_PI(now - FH_APIKEY_USED_EVERY_MS)};
    fh_store_exec(req->app->store,
                  "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND "
                  "(last_used_at IS NULL OR last_used_at < $3)",
                  p, 3, NULL);
}

static enum fh_rc rate_limit_or_reply(struct fh_req *req, int64_t now)
{
    const struct fh_config *cfg = req->app->cfg;
    int64_t per_minute = cfg && cfg->api_rate_per_minute > 0 ? cfg->api_rate_per_minute : 600;
    int64_t burst = cfg && cfg->api_rate_burst > 0 ? cfg->api_rate_burst : 60;
    int64_t wait = rate_check(req->apikey.key_id, per_minute, burst, now);
    if (wait == 0)
        return FH_OK;
    char secs[24], detail[160];
    snprintf(secs, sizeof(secs), "%lld", (long long)((wait + 999) / 1000));
    snprintf(detail, sizeof(detail), "API key %s: at most %lld requests a minute (%lld at once)",
             req->apikey.client_id, (long long)per_minute, (long long)burst);
    fh_reply_error_header(req, FH_EC_API_RATE_LIMITED, "Retry-After", secs, "%s", detail);
    return FH_ERR;
}

enum fh_rc fh_apikey_auth_or_reply(struct fh_req *req)
{
    char client_id[CLIENT_ID_MAX + 1], secret[SECRET_MAX + 1];
    const char *h = fh_req_header(req, "Authorization");
    if (!h)
        return unauthorized(req, "Authorization header missing");
    if (fh_basic_auth_parse(h, client_id, sizeof(client_id), secret, sizeof(secret)) != FH_OK)
        return unauthorized(req, "Authorization must be Basic base64(client_id:secret)");
    struct key_row k;
    memset(&k, 0, sizeof(k));
    int qs = load_key(req, client_id, &k);
    char hash[65];
    fh_sha256_hex(secret, strlen(secret), hash);
    sodium_memzero(secret, sizeof(secret));
    if (qs < 0)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "API key lookup failed"), FH_ERR;
    bool match = fh_const_eq(hash, qs > 0 ? k.hash : "-");
    if (qs == 0 || !match) {
        memset(&req->apikey, 0, sizeof(req->apikey));
        return unauthorized(req, "unknown Client ID or wrong secret");
    }
    if (k.revoked_at)
        return unauthorized(req, "this API key is revoked");
    if (strcmp(k.integ_status, "active") != 0 || strcmp(k.integ_type, "custom") != 0)
        return unauthorized(req, "the key's integration is no longer active");
    int64_t now = fh_now_ms();
    if (rate_limit_or_reply(req, now) != FH_OK)
        return FH_ERR;
    touch_key(req, &k, now);
    req->has_apikey = true;
    return FH_OK;
}

/* ---- keys ---- */

#define KEY_COLS "client_id, label, created_at, last_used_at, revoked_at"

static json_t *key_json(const struct fh_rows *r, size_t i)
{
    bool revoked = fh_rows_get(r, i, 4) != NULL;
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "client_id", fh_rows_get(r, i, 0) ?: "",
                     "label", fh_rows_get(r, i, 1) ?: "", "status", revoked ? "revoked" : "active",
                     "created_at", fh_json_time_cell(r, i, 2), "last_used_at",
                     fh_json_time_cell(r, i, 3), "revoked_at", fh_json_time_cell(r, i, 4));
}

struct create_ctx {
    int64_t integration_id, user_id, now;
    const char *label, *client_id, *hash;
    bool full;
    json_t *key;
};

static int create_tx(struct fh_store *st, void *cls)
{
    struct create_ctx *c = cls;
    c->full = false;
    struct fh_param q[] = {FH_PI(c->integration_id)};
    struct fh_rows rows;
    /* Keys of one integration are made one at a time, so two cannot both count the last free
     * place (PostgreSQL's row lock; SQLite writes one transaction at a time). */
    int qs = fh_store_exec(st,
                           fh_store_sql(st, "SELECT id FROM integrations WHERE id = $1",
                                        "SELECT id FROM integrations WHERE id = $1 FOR UPDATE"),
                           q, 1, NULL);
    if (qs < 0)
        return qs;
    qs = fh_store_exec(st,
                       "SELECT COUNT(*) FROM api_keys WHERE integration_id = $1 AND "
                       "revoked_at IS NULL",
                       q, 1, &rows);
    int64_t active = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return qs;
    if (active >= FH_APIKEY_MAX_ACTIVE) {
        c->full = true;
        return 0;
    }
    struct fh_param p[] = {FH_PI(c->integration_id),
                           FH_PT(c->client_id),
                           FH_PT(c->hash),
                           FH_PT(c->label),
                           c->user_id ? FH_PI(c->user_id) : FH_PNULL,
                           FH_PI(c->now)};
    qs = fh_store_exec(st,
                       "INSERT INTO api_keys (integration_id, client_id, secret_hash, label, "
                       "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
                       "RETURNING " KEY_COLS,
                       p, FH_ARRAY_LEN(p), &rows);
    if (qs > 0) {
        json_decref(c->key);
        c->key = key_json(&rows, 0);
    }
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_apikey_create(struct fh_store *st, int64_t integration_id, const char *label,
                            int64_t user_id, int64_t now, json_t **key,
                            char secret[FH_APIKEY_SECRET_SIZE])
{
    char client_id[40], token[48], hash[65];
    memcpy(client_id, "ck_", 3);
    fh_random_token(16, client_id + 3, sizeof(client_id) - 3);
    memcpy(secret, "cs_", 3);
    fh_random_token(32, token, sizeof(token));
    fh_strlcpy(secret + 3, token, FH_APIKEY_SECRET_SIZE - 3);
    sodium_memzero(token, sizeof(token));
    fh_sha256_hex(secret, strlen(secret), hash);
    struct create_ctx c = {.integration_id = integration_id,
                           .user_id = user_id,
                           .now = now,
                           .label = label,
                           .client_id = client_id,
                           .hash = hash};
    int qs = fh_store_run_tx(st, create_tx, &c);
    if (qs <= 0 || c.full) {
        json_decref(c.key);
        sodium_memzero(secret, FH_APIKEY_SECRET_SIZE);
        return c.full ? FH_E_LIMIT : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
    }
    *key = c.key;
    return FH_OK;
}

enum fh_rc fh_apikey_list_json(struct fh_store *st, int64_t integration_id, json_t **out)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT " KEY_COLS " FROM api_keys WHERE integration_id = $1 "
                           "ORDER BY id DESC",
                           p, 1, &rows);
    if (qs >= 0) {
        *out = json_array();
        for (size_t i = 0; i < rows.nrows; i++)
            json_array_append_new(*out, key_json(&rows, i));
    }
    fh_rows_free(&rows);
    return fh_qs_rc(qs);
}

enum fh_rc fh_apikey_revoke(struct fh_store *st, int64_t integration_id, const char *client_id,
                            int64_t now, json_t **out)
{
    struct fh_param p[] = {FH_PI(integration_id), FH_PT(client_id), FH_PI(now)};
    int qs = fh_store_exec(st,
                           "UPDATE api_keys SET revoked_at = $3 WHERE integration_id = $1 AND "
                           "client_id = $2 AND revoked_at IS NULL",
                           p, 3, NULL);
    if (qs < 0)
        return fh_qs_rc(qs);
    struct fh_rows rows;
    qs = fh_store_exec(st,
                       "SELECT " KEY_COLS " FROM api_keys WHERE integration_id = $1 AND "
                       "client_id = $2",
                       p, 2, &rows);
    if (qs > 0)
        *out = key_json(&rows, 0);
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

int fh_apikey_revoke_all(struct fh_store *st, int64_t integration_id, int64_t now)
{
    struct fh_param p[] = {FH_PI(integration_id), FH_PI(now)};
    return fh_store_exec(st,
                         "UPDATE api_keys SET revoked_at = $2 WHERE integration_id = $1 AND "
                         "revoked_at IS NULL",
                         p, 2, NULL);
}
