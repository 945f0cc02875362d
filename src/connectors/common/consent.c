/* consent.c - connecting an integration to an OAuth partner, whoever the partner is: the
 * consent (authorization code + PKCE S256 + state), the callback, the choice among several
 * organisations, activation (which queues the first sync) and removal (which queues the
 * revocation). A partner adds its OAuth client and the way to list the organisations its tokens
 * reach (struct fh_consent_ops): Xero's connections, Zoho's organizations.
 *
 * The state is 32 random bytes (base64url) given to the browser; the store keeps only its
 * SHA-256, bound to the session's token hash and the integration, with the sealed PKCE verifier,
 * a 10-minute expiry and used_at. The callback consumes it with one UPDATE ... WHERE
 * used_at IS NULL AND expires_at > now AND session_hash = ?, so a state works once, only in the
 * session that started it, and a bad one changes nothing. Reconnect runs the same consent on
 * the same row: uid, history and fiscal invoices stay. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

#define STATE_TTL_MS (10LL * 60 * 1000)

char *fh_public_url(const struct fh_app *app, const char *path)
{
    const char *u = app->cfg->public_url;
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        n--;
    return fh_asprintf("%.*s%s", (int)n, u, path);
}

enum fh_rc fh_consent_start(struct fh_app *app, const struct fh_integ *in, const char *session_hash,
                            const struct fh_oauth_client *oc, const char *redirect_uri,
                            char **authorize_url)
{
    char state[48], hash[65], verifier[FH_PKCE_VERIFIER_LEN + 1],
        challenge[FH_PKCE_VERIFIER_LEN + 1];
    fh_random_token(32, state, sizeof(state));
    fh_sha256_hex(state, strlen(state), hash);
    fh_pkce_new(verifier, challenge);
    char *sealed = fh_secret_seal(app->master_key, verifier, strlen(verifier));
    sodium_memzero(verifier, sizeof(verifier));
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PT(hash),   FH_PI(in->id), FH_PT(session_hash),
                           FH_PT(sealed), FH_PI(now),    FH_PI(now + STATE_TTL_MS)};
    int qs =
        fh_store_exec(app->store,
                      "INSERT INTO oauth_states (state_hash, integration_id, session_hash, "
                      "verifier_sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                      p, FH_ARRAY_LEN(p), NULL);
    free(sealed);
    struct fh_param d[] = {FH_PI(now - 24LL * 3600 * 1000)};
    fh_store_exec(app->store, "DELETE FROM oauth_states WHERE expires_at < $1", d, 1, NULL);
    if (qs <= 0)
        return qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
    *authorize_url = fh_oauth_authorize_url(oc, redirect_uri, state, challenge);
    return FH_OK;
}

struct consume_ctx {
    const char *hash, *session;
    int64_t now, integration_id;
    char *verifier_sealed;
};

static int consume_tx(struct fh_store *st, void *cls)
{
    struct consume_ctx *c = cls;
    struct fh_param p[] = {FH_PT(c->hash), FH_PT(c->session), FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "UPDATE oauth_states SET used_at = $3 WHERE state_hash = $1 AND "
                           "session_hash = $2 AND used_at IS NULL AND expires_at > $3 "
                           "RETURNING integration_id, verifier_sealed",
                           p, 3, &rows);
    free(c->verifier_sealed);
    c->verifier_sealed = NULL;
    if (qs > 0) {
        c->integration_id = fh_rows_i64(&rows, 0, 0, 0);
        c->verifier_sealed = fh_strdup(fh_rows_get(&rows, 0, 1));
    }
    fh_rows_free(&rows);
    return qs;
}

struct activate_ctx {
    struct fh_app *app;
    int64_t id, now, cursor;
    const char *tenant, *name, *conn, *plan, *sync_kind;
};

static int activate_tx(struct fh_store *st, void *cls)
{
    struct activate_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id),  FH_PT(c->tenant), FH_PT(c->name), FH_PT(c->conn),
                           FH_PI(c->now), FH_PI(c->cursor), FH_PT(c->plan)};
    /* The cursor starts at the consent (less settings.backfill_days) the first time only. */
    int qs = fh_events_integration_update(
        st, c->id, /* with its status event */
        "UPDATE integrations SET status = 'active', status_reason = NULL, "
        "tenant_id = $2, tenant_name = $3, connection_id = $4, tenants = NULL, "
        "tenant_plan = $7, connected_at = $5, updated_at = $5, "
        "removed_at = NULL, "
        "backfill_state = CASE WHEN sync_cursor IS NULL THEN 'pending' ELSE "
        "backfill_state END, "
        "sync_cursor = COALESCE(sync_cursor, $6) "
        "WHERE id = $1 AND status <> 'removed'",
        p, FH_ARRAY_LEN(p), c->now);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    char key[96], payload[96];
    snprintf(key, sizeof(key), "%s:%lld:connect:%lld", c->sync_kind, (long long)c->id,
             (long long)c->now);
    snprintf(payload, sizeof(payload), "{\"integration_id\":%lld,\"mode\":\"backfill\"}",
             (long long)c->id);
    struct fh_enqueue e = {.kind = c->sync_kind, .ukey = key, .payload = payload};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    return fh_rc_qs(rc);
}

static const char *tstr(json_t *tenant, const char *k)
{
    return json_string_value(json_object_get(tenant, k));
}

enum fh_rc fh_integ_activate(struct fh_app *app, int64_t integration_id, json_t *tenant,
                             const char *sync_kind, int64_t now)
{
    struct fh_integ in;
    enum fh_rc rc = fh_integ_load_id(app->store, integration_id, &in);
    if (rc != FH_OK)
        return rc;
    int64_t days = json_integer_value(json_object_get(in.settings, "backfill_days"));
    fh_integ_free(&in);
    const char *name = tstr(tenant, "name");
    struct activate_ctx c = {.app = app,
                             .id = integration_id,
                             .now = now,
                             .cursor = now - days * 86400000LL,
                             .tenant = tstr(tenant, "tenant_id"),
                             .name = name ? name : tstr(tenant, "tenant_id"),
                             .conn = tstr(tenant, "connection_id"),
                             .plan = tstr(tenant, "plan"),
                             .sync_kind = sync_kind};
    int qs = fh_store_run_tx(app->store, activate_tx, &c);
    return qs > 0 ? FH_OK : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
}

/* After the token exchange: the organisations, then active or a choice. */
static enum fh_consent_result connect_tenants(struct fh_app *app, const struct fh_consent_ops *ops,
                                              void *cls, const struct fh_integ *in,
                                              const struct fh_oauth_tokens *t, char *reason,
                                              size_t reasonsize)
{
    json_t *tenants = NULL;
    if (ops->tenants(app, in, t, cls, &tenants, reason, reasonsize) != FH_OK)
        return FH_CONSENT_ERROR;
    int64_t now = fh_now_ms();
    if (fh_conn_tokens_store(app, in->id, t, now) != FH_OK) {
        json_decref(tenants);
        fh_strlcpy(reason, "store_failed", reasonsize);
        return FH_CONSENT_STORE;
    }
    size_t n = json_array_size(tenants), i;
    json_t *te, *pick = NULL;
    json_array_foreach(tenants, i, te)
    { /* a reconnect keeps its organisation when offered */
        if (n == 1 ||
            strcmp(tstr(te, "tenant_id") ? tstr(te, "tenant_id") : "", in->tenant_id) == 0)
            pick = te;
    }
    enum fh_consent_result res;
    if (n == 0) {
        fh_strlcpy(reason, "no_organisation", reasonsize);
        res = FH_CONSENT_ERROR;
    } else if (pick) {
        res = fh_integ_activate(app, in->id, pick, ops->sync_kind, now) == FH_OK ? FH_CONSENT_ACTIVE
                                                                                 : FH_CONSENT_STORE;
    } else {
        char *text = json_dumps(tenants, JSON_COMPACT);
        struct fh_param p[] = {FH_PI(in->id), FH_PT(text), FH_PI(now)};
        int qs = fh_store_exec(
            app->store, "UPDATE integrations SET tenants = $2, updated_at = $3 WHERE id = $1", p, 3,
            NULL);
        free(text);
        res = qs > 0 ? FH_CONSENT_PICK : FH_CONSENT_STORE;
    }
    json_decref(tenants);
    return res;
}

/* The exchange and what follows, once the state was good. */
static enum fh_consent_result exchange(struct fh_app *app, const struct fh_consent_ops *ops,
                                       void *cls, const struct fh_integ *in, const char *code,
                                       const char *verifier, char *reason, size_t reasonsize)
{
    struct fh_oauth_client oc;
    memset(&oc, 0, sizeof(oc));
    if (ops->client(app, in, cls, &oc, reason, reasonsize) != FH_OK)
        return FH_CONSENT_ERROR;
    char *redirect = fh_public_url(app, ops->callback_path);
    struct fh_oauth_tokens t;
    char why[300];
    enum fh_oauth_result r = fh_oauth_exchange(&oc, code, redirect, verifier, &t, why, sizeof(why));
    free(redirect);
    enum fh_consent_result res = FH_CONSENT_ERROR;
    if (r == FH_OAUTH_OK) {
        res = connect_tenants(app, ops, cls, in, &t, reason, reasonsize);
    } else {
        fh_log(FH_LOG_WARN, "oauth_connect", "integration %s: %s", in->uid, why);
        if (r == FH_OAUTH_TRANSIENT)
            snprintf(reason, reasonsize, "%s_unreachable", ops->partner);
        else
            fh_strlcpy(reason, "exchange_failed", reasonsize);
    }
    fh_oauth_tokens_free(&t);
    return res;
}

/* Consumes the state: the integration it was issued for (not removed) and its verifier. */
static enum fh_consent_result take_state(struct fh_app *app, const char *session_hash,
                                         const char *state, struct fh_integ *in, char **sealed)
{
    char hash[65];
    fh_sha256_hex(state, strlen(state), hash);
    struct consume_ctx c = {.hash = hash, .session = session_hash, .now = fh_now_ms()};
    int qs = fh_store_run_tx(app->store, consume_tx, &c);
    if (qs <= 0) {
        free(c.verifier_sealed);
        return qs < 0 ? FH_CONSENT_STORE : FH_CONSENT_BAD_STATE;
    }
    enum fh_rc rc = fh_integ_load_id(app->store, c.integration_id, in);
    if (rc != FH_OK || strcmp(in->status, "removed") == 0) {
        if (rc == FH_OK)
            fh_integ_free(in);
        free(c.verifier_sealed);
        return rc == FH_OK || rc == FH_E_NOTFOUND ? FH_CONSENT_BAD_STATE : FH_CONSENT_STORE;
    }
    *sealed = c.verifier_sealed;
    return FH_CONSENT_ACTIVE;
}

enum fh_consent_result fh_consent_callback(struct fh_app *app, const struct fh_consent_ops *ops,
                                           void *cls, const char *session_hash, const char *state,
                                           const char *code, const char *error, char uid[16],
                                           char *reason, size_t reasonsize)
{
    uid[0] = '\0';
    reason[0] = '\0';
    if (!state || !state[0] || strlen(state) > 100)
        return FH_CONSENT_BAD_STATE;
    struct fh_integ in;
    char *sealed = NULL;
    enum fh_consent_result res = take_state(app, session_hash, state, &in, &sealed);
    if (res != FH_CONSENT_ACTIVE)
        return res;
    fh_strlcpy(uid, in.uid, 16);
    uint8_t *verifier = NULL;
    size_t vlen = 0;
    res = FH_CONSENT_ERROR;
    if (error && error[0]) {
        size_t n = strspn(error, "abcdefghijklmnopqrstuvwxyz_");
        snprintf(reason, reasonsize, "%.*s", (int)(n > 40 ? 40 : n), error);
        if (!reason[0])
            fh_strlcpy(reason, "consent_failed", reasonsize);
    } else if (!code || !code[0] || strlen(code) > 2000) {
        fh_strlcpy(reason, "no_code", reasonsize);
    } else if (fh_secret_open(app->master_key, sealed, &verifier, &vlen) != FH_OK) {
        fh_strlcpy(reason, "state_unreadable", reasonsize);
    } else {
        res = exchange(app, ops, cls, &in, code, (const char *)verifier, reason, reasonsize);
        sodium_memzero(verifier, vlen);
    }
    free(verifier);
    free(sealed);
    fh_integ_free(&in);
    return res;
}

char *fh_consent_redirect(enum fh_consent_result r, const char *uid, const char *reason)
{
    struct fh_buf loc;
    fh_buf_init(&loc, 512);
    switch (r) {
    case FH_CONSENT_ACTIVE:
        fh_buf_appendf(&loc, "/integrations?connected=%s", uid);
        break;
    case FH_CONSENT_PICK:
        fh_buf_appendf(&loc, "/integrations/%s/tenant", uid);
        break;
    case FH_CONSENT_ERROR:
        fh_buf_appendf(&loc, "/integrations?error=");
        fh_url_encode(&loc, reason);
        fh_buf_appendf(&loc, "&uid=%s", uid);
        break;
    case FH_CONSENT_BAD_STATE:
        fh_buf_appendf(&loc, "/integrations?error=state_invalid");
        break;
    default:
        fh_buf_free(&loc);
        return NULL;
    }
    return fh_buf_steal(&loc);
}

enum fh_rc fh_integ_pick_tenant(struct fh_app *app, const struct fh_integ *in,
                                const char *tenant_id, const char *sync_kind)
{
    if (!json_is_array(in->tenants) || json_array_size(in->tenants) == 0)
        return FH_E_CONFLICT;
    size_t i;
    json_t *te;
    json_array_foreach(in->tenants, i, te)
    {
        if (strcmp(tstr(te, "tenant_id") ? tstr(te, "tenant_id") : "", tenant_id) == 0)
            return fh_integ_activate(app, in->id, te, sync_kind, fh_now_ms());
    }
    return FH_E_NOTFOUND;
}

struct remove_ctx {
    struct fh_app *app;
    int64_t id, org_id, now;
    const char *revoke_kind;
};

static int remove_tx(struct fh_store *st, void *cls)
{
    struct remove_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->now)};
    int qs = fh_events_integration_update(
        st, c->id, /* with its status event */
        "UPDATE integrations SET status = 'removed', removed_at = $2, "
        "updated_at = $2, tenants = NULL, refresh_lease_until = NULL, "
        "refresh_lease_owner = NULL WHERE id = $1 AND status <> 'removed'",
        p, 2, c->now);
    if (qs <= 0)
        return qs;
    fh_store_exec(st, "DELETE FROM oauth_states WHERE integration_id = $1", p, 1, NULL);
    char key[96], payload[64];
    snprintf(key, sizeof(key), "%s:%lld:%lld", c->revoke_kind, (long long)c->id, (long long)c->now);
    snprintf(payload, sizeof(payload), "{\"integration_id\":%lld}", (long long)c->id);
    struct fh_enqueue e = {.kind = c->revoke_kind, .ukey = key, .payload = payload};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    return fh_billing_release_soon(st, &c->app->qcfg, c->org_id, c->now); /* a seat is free */
}

enum fh_rc fh_integ_remove(struct fh_app *app, const struct fh_integ *in, const char *revoke_kind)
{
    struct remove_ctx c = {.app = app,
                           .id = in->id,
                           .org_id = in->org_id,
                           .now = fh_now_ms(),
                           .revoke_kind = revoke_kind};
    int qs = fh_store_run_tx(app->store, remove_tx, &c);
    return fh_qs_rc(qs);
}
