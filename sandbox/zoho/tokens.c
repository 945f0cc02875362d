/* tokens.c - Zoho's token rules (specs/zoho-books.md §1.2-1.3):
 *   - a consent (grant) is one user's permission to one client, with the scopes asked for;
 *   - grant codes live code_lifetime_s (120 s) and work once, at the DC that issued them;
 *   - access tokens live access_lifetime_s (3600 s); a refresh token keeps at most
 *     access_per_refresh (10) of them alive, minting one more invalidates the oldest;
 *   - refresh tokens never expire and never rotate; a user keeps at most refresh_cap (20) per
 *     client, issuing one more silently invalidates the oldest and its access tokens;
 *   - a refresh token mints at most mint_limit (10) access tokens per mint_window_s (600 s).
 * Durations are divided by the time scale. Everything here runs under zs.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zoho_internal.h"

#define CODES_SWEEP 2000
#define ACCESS_SWEEP 20000

static void new_token(char out[Z_TOKEN])
{
    char a[40], b[40];
    sb_hex(16, a, sizeof(a), false);
    sb_hex(16, b, sizeof(b), false);
    snprintf(out, Z_TOKEN, "1000.%s.%s", a, b);
}

static void grant_key(const struct z_user *u, const struct z_client *c, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", u->id, c->client_id);
}

struct z_grant *ztok_grant(struct z_user *u, struct z_client *c)
{
    char key[96];
    grant_key(u, c, key, sizeof(key));
    return sb_map_get(&zs.grants, key);
}

struct z_grant *ztok_grant_make(struct z_user *u, struct z_client *c)
{
    struct z_grant *g = ztok_grant(u, c);
    if (g)
        return g;
    char key[96];
    grant_key(u, c, key, sizeof(key));
    g = fh_calloc(1, sizeof(*g));
    g->user = u;
    g->client = c;
    g->scope = fh_strdup("");
    sb_map_put(&zs.grants, key, g);
    return g;
}

size_t ztok_live_refresh(const struct z_grant *g)
{
    return g->refresh.n;
}

static void sweep_codes(int64_t now)
{
    for (size_t i = 0; i < zs.codes.cap; i++) {
        struct z_code *c = sb_map_live(&zs.codes, i) ? zs.codes.vals[i] : NULL;
        if (c && c->expires_ms < now) {
            sb_map_del(&zs.codes, c->code);
            free(c->redirect_uri);
            free(c);
        }
    }
}

struct z_code *ztok_code_new(struct z_grant *g, const struct z_dc *dc, const char *redirect_uri,
                             bool offline)
{
    int64_t now = z_now_ms();
    if (zs.codes.n > CODES_SWEEP)
        sweep_codes(now);
    struct z_code *c = fh_calloc(1, sizeof(*c));
    new_token(c->code);
    c->grant = g;
    c->dc = dc;
    c->redirect_uri = fh_strdup(redirect_uri);
    c->offline = offline;
    c->expires_ms = now + z_scaled(zs.set.code_lifetime_s * 1000);
    sb_map_put(&zs.codes, c->code, c);
    return c;
}

void ztok_access_revoke(struct z_access *a)
{
    sb_vec_remove(a->refresh ? &a->refresh->access : &a->grant->online, a);
    sb_map_del(&zs.access, a->token);
    free(a);
}

void ztok_refresh_revoke(struct z_refresh *r)
{
    while (r->access.n)
        ztok_access_revoke(r->access.v[0]);
    sb_vec_free(&r->access);
    sb_vec_remove(&r->grant->refresh, r);
    sb_map_del(&zs.refresh, r->token);
    free(r);
}

struct z_refresh *ztok_refresh_new(struct z_grant *g, const struct z_dc *dc)
{
    while ((int64_t)g->refresh.n >= zs.set.refresh_cap && g->refresh.n) {
        ztok_refresh_revoke(g->refresh.v[0]); /* the oldest, silently */
        sb_stat_add(&z_stats, "identity", "refresh_tokens_evicted", 1);
    }
    struct z_refresh *r = fh_calloc(1, sizeof(*r));
    new_token(r->token);
    r->grant = g;
    r->dc = dc;
    r->created_ms = z_now_ms();
    sb_vec_push(&g->refresh, r);
    sb_map_put(&zs.refresh, r->token, r);
    sb_stat_add(&z_stats, "identity", "refresh_tokens_issued", 1);
    return r;
}

static void sweep_access(int64_t now)
{
    for (size_t i = 0; i < zs.access.cap; i++) {
        struct z_access *a = sb_map_live(&zs.access, i) ? zs.access.vals[i] : NULL;
        if (a && a->expires_ms < now)
            ztok_access_revoke(a);
    }
}

struct z_access *ztok_access_new(struct z_grant *g, struct z_refresh *r, const struct z_dc *dc)
{
    int64_t now = z_now_ms();
    if (zs.access.n > ACCESS_SWEEP)
        sweep_access(now);
    struct sb_vec *list = r ? &r->access : &g->online;
    for (size_t i = list->n; i-- > 0;) /* expired tokens are not active */
        if (((struct z_access *)list->v[i])->expires_ms < now)
            ztok_access_revoke(list->v[i]);
    while ((int64_t)list->n >= zs.set.access_per_refresh && list->n) {
        ztok_access_revoke(list->v[0]);
        sb_stat_add(&z_stats, "identity", "access_tokens_evicted", 1);
    }
    struct z_access *a = fh_calloc(1, sizeof(*a));
    new_token(a->token);
    a->grant = g;
    a->refresh = r;
    a->dc = dc;
    a->expires_ms = now + z_scaled(zs.set.access_lifetime_s * 1000);
    sb_vec_push(list, a);
    sb_map_put(&zs.access, a->token, a);
    return a;
}

void ztok_grant_drop(struct z_grant *g)
{
    while (g->refresh.n)
        ztok_refresh_revoke(g->refresh.v[0]);
    while (g->online.n)
        ztok_access_revoke(g->online.v[0]);
    for (size_t i = 0; i < zs.codes.cap; i++) {
        struct z_code *c = sb_map_live(&zs.codes, i) ? zs.codes.vals[i] : NULL;
        if (c && c->grant == g) {
            sb_map_del(&zs.codes, c->code);
            free(c->redirect_uri);
            free(c);
        }
    }
    char key[96];
    grant_key(g->user, g->client, key, sizeof(key));
    sb_map_del(&zs.grants, key);
    sb_vec_free(&g->refresh);
    sb_vec_free(&g->online);
    free(g->scope);
    free(g);
}

/* "ZohoBooks.invoices.READ,ZohoBooks.settings.READ": a module's operation is granted by
 * itself, by <module>.ALL, or by ZohoBooks.fullaccess.all when accepted. */
bool ztok_has_scope(const char *granted, const char *module, const char *op)
{
    char want[96], all[96];
    snprintf(want, sizeof(want), "ZohoBooks.%s.%s", module, op);
    snprintf(all, sizeof(all), "ZohoBooks.%s.ALL", module);
    for (const char *p = granted; p && *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        char one[96];
        fh_strlcpy(one, p, n + 1 < sizeof(one) ? n + 1 : sizeof(one));
        if (n && (strcasecmp(one, want) == 0 || strcasecmp(one, all) == 0 ||
                  (zs.set.accept_fullaccess && strcasecmp(one, "ZohoBooks.fullaccess.all") == 0)))
            return true;
        p += n;
    }
    return false;
}

size_t ztok_expire_access(const char *client_id, const char *user_id)
{
    size_t n = 0;
    int64_t past = z_now_ms() - 1;
    for (size_t i = 0; i < zs.access.cap; i++) {
        struct z_access *a = sb_map_live(&zs.access, i) ? zs.access.vals[i] : NULL;
        if (!a || (client_id && strcmp(a->grant->client->client_id, client_id) != 0) ||
            (user_id && a->grant->user != zs_user(user_id)) || a->expires_ms < past)
            continue;
        a->expires_ms = past;
        n++;
    }
    return n;
}

static json_t *refresh_json(const struct z_refresh *r)
{
    char hint[16];
    fh_strlcpy(hint, r->token, 14);
    return json_pack("{s:s++, s:s, s:I, s:I, s:I}", "token_hint", hint, "...", "", "dc", r->dc->id,
                     "created_ms", (json_int_t)r->created_ms, "access_tokens",
                     (json_int_t)r->access.n, "minted_in_window", (json_int_t)r->mint_count);
}

json_t *ztok_grants_json(const char *client_id, const char *user_id)
{
    json_t *arr = json_array();
    struct z_user *only = user_id ? zs_user(user_id) : NULL;
    for (size_t i = 0; i < zs.grants.cap; i++) {
        struct z_grant *g = sb_map_live(&zs.grants, i) ? zs.grants.vals[i] : NULL;
        if (!g || (client_id && strcmp(g->client->client_id, client_id) != 0) ||
            (user_id && g->user != only))
            continue;
        json_t *rs = json_array();
        for (size_t k = 0; k < g->refresh.n; k++)
            json_array_append_new(rs, refresh_json(g->refresh.v[k]));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:o, s:I}", "user_id", g->user->id,
                           "email", g->user->email, "client_id", g->client->client_id, "scope",
                           g->scope, "organization_id", sbj_nullable(g->org ? g->org->id : NULL),
                           "refresh_token_count", (json_int_t)g->refresh.n, "refresh_tokens", rs,
                           "online_access_tokens", (json_int_t)g->online.n));
    }
    return arr;
}

void ztok_free_all(void)
{
    for (size_t i = 0; i < zs.grants.cap; i++) {
        if (!sb_map_live(&zs.grants, i))
            continue;
        ztok_grant_drop(zs.grants.vals[i]);
    }
    sweep_codes(INT64_MAX); /* codes of no grant (none expected) */
    sb_map_free(&zs.grants);
    sb_map_free(&zs.codes);
    sb_map_free(&zs.access);
    sb_map_free(&zs.refresh);
}
