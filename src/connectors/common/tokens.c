/* tokens.c - OAuth tokens on the integration row, and the single-flight refresh.
 *
 * The access and refresh tokens are sealed under the master key (fh_secret_seal) in
 * integrations.access_sealed / refresh_sealed; access_expires_at holds the time the access token
 * is due for refresh (its expiry less a margin of a tenth of its lifetime, at most 60 s), and
 * token_version counts the pairs stored.
 *
 * Single flight across threads AND processes (several fiscalhub workers may share one
 * PostgreSQL store): a caller that finds the token due (or refused with 401 at version v) takes
 * the row's refresh lease with one compare-and-swap UPDATE
 *     ... SET refresh_lease_until = now + LEASE, refresh_lease_owner = me
 *     WHERE id = ? AND token_version = v AND status = 'active'
 *       AND (refresh_lease_until IS NULL OR refresh_lease_until <= now)
 * Exactly one caller per version can win it. The winner calls the token endpoint and commits
 * the rotated refresh token together with the new access token (version v + 1, lease cleared)
 * before anyone uses the new access token; everybody else polls the row until the version moves
 * and then uses the new token. A winner that dies leaves the lease to expire; the next winner
 * replays the old refresh token, which Xero accepts within its 30-minute grace window (Zoho's
 * refresh tokens do not rotate: a refresh answer without one keeps the stored one).
 * invalid_grant (Zoho: invalid_code) turns the integration inactive with the reason shown to
 * people and forgets the dead refresh token, so the next consent knows it must ask for one.
 * The api_domain a token answer names (Zoho) is kept with the tokens: every call goes there. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

enum {
    LEASE_MS = 30000,    /* a refresh call is bounded by the client timeout, far below */
    POLL_MS = 25,        /* while someone else refreshes */
    WAIT_MAX_MS = 15000, /* then give up this run; the job waits */
    MARGIN_MAX_MS = 60000,
};

void fh_conn_token_free(struct fh_conn_token *t)
{
    if (!t)
        return;
    if (t->access_token) {
        sodium_memzero(t->access_token, strlen(t->access_token));
        free(t->access_token);
    }
    memset(t, 0, sizeof(*t));
}

char *fh_conn_open(const struct fh_app *app, const char *sealed)
{
    uint8_t *p = NULL;
    size_t n = 0;
    if (!sealed || fh_secret_open(app->master_key, sealed, &p, &n) != FH_OK)
        return NULL;
    return (char *)p;
}

void fh_conn_wipe(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

void fh_conn_tokens_forget(struct fh_store *st, int64_t integration_id)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    fh_store_exec(st,
                  "UPDATE integrations SET access_sealed = NULL, refresh_sealed = NULL "
                  "WHERE id = $1 AND status = 'removed'",
                  p, 1, NULL);
}

static int64_t due_at(int64_t now, int64_t expires_in_s)
{
    int64_t life = expires_in_s * 1000, margin = life / 10;
    return now + life - (margin > MARGIN_MAX_MS ? MARGIN_MAX_MS : margin);
}

enum fh_rc fh_conn_tokens_store(struct fh_app *app, int64_t integration_id,
                                const struct fh_oauth_tokens *t, int64_t now)
{
    char *access = fh_secret_seal(app->master_key, t->access_token, strlen(t->access_token));
    char *refresh = t->refresh_token ? fh_secret_seal(app->master_key, t->refresh_token,
                                                      strlen(t->refresh_token))
                                     : NULL;
    const char *domain = t->api_domain[0] ? t->api_domain : NULL;
    struct fh_param p[] = {FH_PI(integration_id),
                           FH_PT(access),
                           FH_PT(refresh),
                           FH_PI(due_at(now, t->expires_in_s)),
                           FH_PI(now),
                           FH_PT(domain)};
    int qs = fh_store_exec(app->store,
                           "UPDATE integrations SET access_sealed = $2, "
                           "refresh_sealed = COALESCE($3, refresh_sealed), access_expires_at = $4, "
                           "api_domain = COALESCE($6, api_domain), "
                           "token_version = token_version + 1, refresh_lease_until = NULL, "
                           "refresh_lease_owner = NULL, updated_at = $5 WHERE id = $1",
                           p, FH_ARRAY_LEN(p), NULL);
    free(access);
    free(refresh);
    return fh_qs_found_rc(qs);
}

enum fh_rc fh_conn_deactivate(struct fh_store *st, int64_t integration_id, const char *reason,
                              int64_t now)
{
    struct fh_param p[] = {FH_PI(integration_id), FH_PT(reason), FH_PI(now)};
    int qs = fh_events_integration_update(/* with its integration.status_changed event */
                                          st, integration_id,
                                          "UPDATE integrations SET status = 'inactive', "
                                          "status_reason = $2, "
                                          "refresh_lease_until = NULL, refresh_lease_owner = NULL, "
                                          "updated_at = $3 "
                                          "WHERE id = $1 AND status = 'active'",
                                          p, FH_ARRAY_LEN(p), now);
    if (qs > 0)
        fh_log(FH_LOG_WARN, "integration_inactive", "integration %lld: %s",
               (long long)integration_id, reason);
    return qs > 0 ? FH_OK : qs == 0 ? FH_E_NOTFOUND : FH_ERR;
}

struct tok_row {
    bool active;
    char *access_sealed;
    int64_t due, version, lease_until;
    char tenant[64], api_domain[256];
};

static int row_load(struct fh_store *st, int64_t id, struct tok_row *r)
{
    memset(r, 0, sizeof(*r));
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT status, access_sealed, access_expires_at, token_version, "
                           "refresh_lease_until, tenant_id, api_domain FROM integrations "
                           "WHERE id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        const char *status = fh_rows_get(&rows, 0, 0);
        r->active = status && strcmp(status, "active") == 0;
        const char *a = fh_rows_get(&rows, 0, 1);
        r->access_sealed = a ? fh_strdup(a) : NULL;
        r->due = fh_rows_i64(&rows, 0, 2, 0);
        r->version = fh_rows_i64(&rows, 0, 3, 0);
        r->lease_until = fh_rows_i64(&rows, 0, 4, 0);
        const char *t = fh_rows_get(&rows, 0, 5), *d = fh_rows_get(&rows, 0, 6);
        fh_strlcpy(r->tenant, t ? t : "", sizeof(r->tenant));
        fh_strlcpy(r->api_domain, d ? d : "", sizeof(r->api_domain));
    }
    fh_rows_free(&rows);
    return qs;
}

static enum fh_token_result open_access(struct fh_app *app, const struct tok_row *r,
                                        struct fh_conn_token *out)
{
    uint8_t *plain = NULL;
    size_t len = 0;
    if (fh_secret_open(app->master_key, r->access_sealed, &plain, &len) != FH_OK) {
        fh_log(FH_LOG_ERROR, "token_open", "a sealed access token does not open");
        return FH_TOKEN_ERROR;
    }
    out->access_token = (char *)plain;
    out->version = r->version;
    fh_strlcpy(out->tenant_id, r->tenant, sizeof(out->tenant_id));
    fh_strlcpy(out->api_domain, r->api_domain, sizeof(out->api_domain));
    return FH_TOKEN_OK;
}

/* A refresh the token endpoint did not grant: for good (inactive, the dead refresh token
 * forgotten) or for now (the lease given back, *retry_at). */
static enum fh_token_result refused(struct fh_app *app, const char *partner, int64_t id,
                                    const char *owner, enum fh_oauth_result res, const char *why,
                                    int64_t *retry_at)
{
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PI(id), FH_PT(owner)};
    if (res == FH_OAUTH_INVALID_GRANT) {
        char reason[400];
        snprintf(reason, sizeof(reason), "%s; reconnect to %s.", why, partner);
        if (fh_conn_deactivate(app->store, id, reason, now) == FH_OK)
            fh_store_exec(app->store,
                          "UPDATE integrations SET refresh_sealed = NULL WHERE id = $1 AND "
                          "status = 'inactive'",
                          p, 1, NULL);
        return FH_TOKEN_INACTIVE;
    }
    fh_log(FH_LOG_WARN, "token_refresh", "integration %lld: %s", (long long)id, why);
    fh_store_exec(app->store,
                  "UPDATE integrations SET refresh_lease_until = NULL, "
                  "refresh_lease_owner = NULL WHERE id = $1 AND refresh_lease_owner = $2",
                  p, 2, NULL);
    *retry_at = now + (res == FH_OAUTH_REFUSED ? 60000 : 5000);
    return FH_TOKEN_WAIT;
}

/* The refresh itself, by the lease holder; returns the new token in out. */
static enum fh_token_result do_refresh(struct fh_app *app, const struct fh_oauth_client *oc,
                                       int64_t id, int64_t version, const char *owner,
                                       struct fh_conn_token *out, int64_t *retry_at)
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT refresh_sealed, tenant_id, api_domain FROM integrations "
                           "WHERE id = $1",
                           p, 1, &rows);
    uint8_t *rt = NULL;
    size_t rtlen = 0;
    char tenant[64] = "", domain[256] = "";
    bool opened = qs > 0 && fh_rows_get(&rows, 0, 0) &&
                  fh_secret_open(app->master_key, fh_rows_get(&rows, 0, 0), &rt, &rtlen) == FH_OK;
    if (qs > 0 && fh_rows_get(&rows, 0, 1))
        fh_strlcpy(tenant, fh_rows_get(&rows, 0, 1), sizeof(tenant));
    if (qs > 0 && fh_rows_get(&rows, 0, 2))
        fh_strlcpy(domain, fh_rows_get(&rows, 0, 2), sizeof(domain));
    fh_rows_free(&rows);
    int64_t now = fh_now_ms();
    const char *partner = oc->partner ? oc->partner : "partner";
    if (!opened) {
        char reason[120];
        snprintf(reason, sizeof(reason), "The stored %s refresh token is missing; reconnect.",
                 partner);
        fh_conn_deactivate(app->store, id, reason, now);
        return qs < 0 ? FH_TOKEN_ERROR : FH_TOKEN_INACTIVE;
    }
    struct fh_oauth_tokens t;
    char why[300];
    enum fh_oauth_result res = fh_oauth_refresh(oc, (const char *)rt, &t, why, sizeof(why));
    sodium_memzero(rt, rtlen);
    free(rt);
    now = fh_now_ms();
    if (res != FH_OAUTH_OK)
        return refused(app, partner, id, owner, res, why, retry_at);
    /* commit the rotated refresh token with the access token, only while we hold the lease */
    char *access = fh_secret_seal(app->master_key, t.access_token, strlen(t.access_token));
    char *refresh = t.refresh_token
                        ? fh_secret_seal(app->master_key, t.refresh_token, strlen(t.refresh_token))
                        : NULL;
    if (t.api_domain[0])
        fh_strlcpy(domain, t.api_domain, sizeof(domain));
    struct fh_param u[] = {FH_PI(id),      FH_PT(owner),
                           FH_PI(version), FH_PT(access),
                           FH_PT(refresh), FH_PI(due_at(now, t.expires_in_s)),
                           FH_PI(now),     FH_PT(domain[0] ? domain : NULL)};
    qs = fh_store_exec(app->store,
                       "UPDATE integrations SET access_sealed = $4, "
                       "refresh_sealed = COALESCE($5, refresh_sealed), access_expires_at = $6, "
                       "api_domain = COALESCE($8, api_domain), "
                       "token_version = token_version + 1, refresh_lease_until = NULL, "
                       "refresh_lease_owner = NULL, updated_at = $7 "
                       "WHERE id = $1 AND refresh_lease_owner = $2 AND token_version = $3",
                       u, FH_ARRAY_LEN(u), NULL);
    free(access);
    free(refresh);
    if (qs <= 0) { /* not stored: nobody may use it; the grace window covers the replay */
        fh_oauth_tokens_free(&t);
        *retry_at = now + 1000;
        return qs < 0 ? FH_TOKEN_WAIT : FH_TOKEN_WAIT;
    }
    fh_log(FH_LOG_INFO, "token_refreshed", "integration %lld: version %lld", (long long)id,
           (long long)(version + 1));
    out->access_token = t.access_token;
    t.access_token = NULL;
    out->version = version + 1;
    fh_strlcpy(out->tenant_id, tenant, sizeof(out->tenant_id));
    fh_strlcpy(out->api_domain, domain, sizeof(out->api_domain));
    fh_oauth_tokens_free(&t);
    return FH_TOKEN_OK;
}

static bool take_lease(struct fh_store *st, int64_t id, int64_t version, const char *owner,
                       int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(version), FH_PT(owner), FH_PI(now),
                           FH_PI(now + LEASE_MS)};
    int qs =
        fh_store_exec(st,
                      "UPDATE integrations SET refresh_lease_until = $5, refresh_lease_owner = $3 "
                      "WHERE id = $1 AND token_version = $2 AND status = 'active' AND "
                      "(refresh_lease_until IS NULL OR refresh_lease_until <= $4)",
                      p, FH_ARRAY_LEN(p), NULL);
    return qs > 0;
}

enum fh_token_result fh_conn_token_get(struct fh_app *app, const struct fh_oauth_client *oc,
                                       int64_t integration_id, int64_t stale_version,
                                       struct fh_conn_token *out, int64_t *retry_at)
{
    memset(out, 0, sizeof(*out));
    char owner[80];
    char rnd[24];
    fh_random_token(12, rnd, sizeof(rnd));
    snprintf(owner, sizeof(owner), "%ld:%s", (long)getpid(), rnd);
    int64_t start = fh_mono_ms();
    for (;;) {
        struct tok_row r;
        int qs = row_load(app->store, integration_id, &r);
        int64_t now = fh_now_ms();
        enum fh_token_result res = FH_TOKEN_WAIT;
        if (qs < 0)
            res = FH_TOKEN_ERROR;
        else if (qs == 0 || !r.active)
            res = FH_TOKEN_INACTIVE;
        else if (r.access_sealed && r.due > now && r.version > stale_version)
            res = open_access(app, &r, out);
        else if ((r.lease_until <= now) &&
                 take_lease(app->store, integration_id, r.version, owner, now))
            res = do_refresh(app, oc, integration_id, r.version, owner, out, retry_at);
        else if (fh_mono_ms() - start > WAIT_MAX_MS)
            *retry_at = now + 1000; /* someone else is still at it: this job waits */
        else
            res = (enum fh_token_result) - 1; /* poll again */
        free(r.access_sealed);
        if ((int)res >= 0)
            return res;
        fh_sleep_ms(POLL_MS);
    }
}
