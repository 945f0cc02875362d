/* consent.c - connecting an integration to Xero: the OAuth consent (authorization code + PKCE
 * S256 + state), the callback, the choice among several organisations, activation (which queues
 * the first backfill) and removal (which queues the revocation).
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

#include "fh/fh_crypto.h"
#include "fh/fh_events.h"
#include "xero_internal.h"

#define STATE_TTL_MS (10LL * 60 * 1000)

enum fh_rc fh_xero_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url)
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
    struct fh_oauth_client oc;
    fh_xero_oauth_client(app, &oc);
    char *redirect = fh_xero_redirect_uri(app);
    *authorize_url = fh_oauth_authorize_url(&oc, redirect, state, challenge);
    free(redirect);
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
    const char *tenant, *name, *conn;
};

static int activate_tx(struct fh_store *st, void *cls)
{
    struct activate_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id),   FH_PT(c->tenant), FH_PT(c->name),
                           FH_PT(c->conn), FH_PI(c->now),    FH_PI(c->cursor)};
    /* The cursor starts at the consent (less settings.backfill_days) the first time only. */
    int qs = fh_events_integration_update(st, c->id, /* with its status event */
                           "UPDATE integrations SET status = 'active', status_reason = NULL, "
                           "tenant_id = $2, tenant_name = $3, connection_id = $4, tenants = NULL, "
                           "connected_at = $5, updated_at = $5, removed_at = NULL, "
                           "backfill_state = CASE WHEN sync_cursor IS NULL THEN 'pending' ELSE "
                           "backfill_state END, "
                           "sync_cursor = COALESCE(sync_cursor, $6) "
                           "WHERE id = $1 AND status <> 'removed'",
                           p, FH_ARRAY_LEN(p), c->now);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    char key[64], payload[96];
    snprintf(key, sizeof(key), "xero.sync:%lld:connect:%lld", (long long)c->id, (long long)c->now);
    snprintf(payload, sizeof(payload), "{\"integration_id\":%lld,\"mode\":\"backfill\"}",
             (long long)c->id);
    struct fh_enqueue e = {.kind = FH_XERO_JOB_SYNC, .ukey = key, .payload = payload};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : rc == FH_E_RETRY ? FH_QS_SOFT : FH_QS_HARD;
}

enum fh_rc fh_xero_activate(struct fh_app *app, int64_t integration_id, const char *tenant_id,
                            const char *tenant_name, const char *connection_id, int64_t now)
{
    struct fh_integ in;
    enum fh_rc rc = fh_integ_load_id(app->store, integration_id, &in);
    if (rc != FH_OK)
        return rc;
    int64_t days = json_integer_value(json_object_get(in.settings, "backfill_days"));
    fh_integ_free(&in);
    struct activate_ctx c = {.app = app,
                             .id = integration_id,
                             .now = now,
                             .cursor = now - days * 86400000LL,
                             .tenant = tenant_id,
                             .name = tenant_name,
                             .conn = connection_id};
    int qs = fh_store_run_tx(app->store, activate_tx, &c);
    return qs > 0 ? FH_OK : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
}

/* After the token exchange: the organisations, then active or a choice. */
static enum fh_xero_cb_result connect_tenants(struct fh_app *app, int64_t id,
                                              const struct fh_oauth_tokens *t, char *reason,
                                              size_t reasonsize)
{
    char event[100] = "";
    fh_jwt_claim(t->access_token, "authentication_event_id", event, sizeof(event));
    json_t *tenants = NULL;
    char why[300];
    if (xero_connections(app, t->access_token, event, &tenants, why, sizeof(why)) != FH_OK) {
        fh_log(FH_LOG_WARN, "xero_connect", "integration %lld: %s", (long long)id, why);
        fh_strlcpy(reason, "connections_failed", reasonsize);
        return FH_XERO_CB_ERROR;
    }
    int64_t now = fh_now_ms();
    if (fh_conn_tokens_store(app, id, t, now) != FH_OK) {
        json_decref(tenants);
        fh_strlcpy(reason, "store_failed", reasonsize);
        return FH_XERO_CB_STORE;
    }
    size_t n = json_array_size(tenants);
    struct fh_integ in;
    bool had = fh_integ_load_id(app->store, id, &in) == FH_OK;
    json_t *pick = NULL;
    for (size_t i = 0; i < n && had; i++) { /* a reconnect keeps its organisation when offered */
        json_t *te = json_array_get(tenants, i);
        if (n == 1 ||
            strcmp(json_string_value(json_object_get(te, "tenant_id")), in.tenant_id) == 0)
            pick = te;
    }
    if (had)
        fh_integ_free(&in);
    enum fh_xero_cb_result res;
    if (n == 0) {
        fh_strlcpy(reason, "no_organisation", reasonsize);
        res = FH_XERO_CB_ERROR;
    } else if (pick) {
        res = fh_xero_activate(app, id, json_string_value(json_object_get(pick, "tenant_id")),
                               json_string_value(json_object_get(pick, "name")),
                               json_string_value(json_object_get(pick, "connection_id")),
                               now) == FH_OK
                  ? FH_XERO_CB_ACTIVE
                  : FH_XERO_CB_STORE;
    } else {
        char *text = json_dumps(tenants, JSON_COMPACT);
        struct fh_param p[] = {FH_PI(id), FH_PT(text), FH_PI(now)};
        int qs = fh_store_exec(
            app->store, "UPDATE integrations SET tenants = $2, updated_at = $3 WHERE id = $1", p, 3,
            NULL);
        free(text);
        res = qs > 0 ? FH_XERO_CB_PICK : FH_XERO_CB_STORE;
    }
    json_decref(tenants);
    return res;
}

enum fh_xero_cb_result fh_xero_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        char uid[16], char *reason, size_t reasonsize)
{
    uid[0] = '\0';
    if (!state || !state[0] || strlen(state) > 100)
        return FH_XERO_CB_BAD_STATE;
    char hash[65];
    fh_sha256_hex(state, strlen(state), hash);
    struct consume_ctx c = {.hash = hash, .session = session_hash, .now = fh_now_ms()};
    int qs = fh_store_run_tx(app->store, consume_tx, &c);
    if (qs <= 0) {
        free(c.verifier_sealed);
        return qs < 0 ? FH_XERO_CB_STORE : FH_XERO_CB_BAD_STATE;
    }
    struct fh_integ in;
    enum fh_rc rc = fh_integ_load_id(app->store, c.integration_id, &in);
    if (rc != FH_OK || strcmp(in.status, "removed") == 0) {
        if (rc == FH_OK)
            fh_integ_free(&in);
        free(c.verifier_sealed);
        return rc == FH_OK || rc == FH_E_NOTFOUND ? FH_XERO_CB_BAD_STATE : FH_XERO_CB_STORE;
    }
    fh_strlcpy(uid, in.uid, 16);
    fh_integ_free(&in);
    uint8_t *verifier = NULL;
    size_t vlen = 0;
    enum fh_xero_cb_result res = FH_XERO_CB_ERROR;
    if (error && error[0]) {
        size_t n = strspn(error, "abcdefghijklmnopqrstuvwxyz_");
        snprintf(reason, reasonsize, "%.*s", (int)(n > 40 ? 40 : n), error);
        if (!reason[0])
            fh_strlcpy(reason, "consent_failed", reasonsize);
    } else if (!code || !code[0] || strlen(code) > 2000) {
        fh_strlcpy(reason, "no_code", reasonsize);
    } else if (fh_secret_open(app->master_key, c.verifier_sealed, &verifier, &vlen) != FH_OK) {
        fh_strlcpy(reason, "state_unreadable", reasonsize);
    } else {
        struct fh_oauth_client oc;
        fh_xero_oauth_client(app, &oc);
        char *redirect = fh_xero_redirect_uri(app);
        struct fh_oauth_tokens t;
        char why[300];
        enum fh_oauth_result r =
            fh_oauth_exchange(&oc, code, redirect, (const char *)verifier, &t, why, sizeof(why));
        free(redirect);
        if (r == FH_OAUTH_OK) {
            res = connect_tenants(app, c.integration_id, &t, reason, reasonsize);
        } else {
            fh_log(FH_LOG_WARN, "xero_connect", "integration %s: %s", uid, why);
            fh_strlcpy(reason, r == FH_OAUTH_TRANSIENT ? "xero_unreachable" : "exchange_failed",
                       reasonsize);
        }
        fh_oauth_tokens_free(&t);
        sodium_memzero(verifier, vlen);
    }
    free(verifier);
    free(c.verifier_sealed);
    return res;
}

enum fh_rc fh_xero_pick_tenant(struct fh_app *app, const struct fh_integ *in, const char *tenant_id)
{
    if (!json_is_array(in->tenants) || json_array_size(in->tenants) == 0)
        return FH_E_CONFLICT;
    size_t i;
    json_t *te;
    json_array_foreach(in->tenants, i, te)
    {
        if (strcmp(json_string_value(json_object_get(te, "tenant_id")) ?: "", tenant_id) == 0)
            return fh_xero_activate(
                app, in->id, tenant_id, json_string_value(json_object_get(te, "name")),
                json_string_value(json_object_get(te, "connection_id")), fh_now_ms());
    }
    return FH_E_NOTFOUND;
}

struct remove_ctx {
    struct fh_app *app;
    int64_t id, now;
};

static int remove_tx(struct fh_store *st, void *cls)
{
    struct remove_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->now)};
    int qs = fh_events_integration_update(st, c->id, /* with its status event */
                           "UPDATE integrations SET status = 'removed', removed_at = $2, "
                           "updated_at = $2, tenants = NULL, refresh_lease_until = NULL, "
                           "refresh_lease_owner = NULL WHERE id = $1 AND status <> 'removed'",
                           p, 2, c->now);
    if (qs <= 0)
        return qs;
    fh_store_exec(st, "DELETE FROM oauth_states WHERE integration_id = $1", p, 1, NULL);
    char key[64], payload[64];
    snprintf(key, sizeof(key), "xero.revoke:%lld:%lld", (long long)c->id, (long long)c->now);
    snprintf(payload, sizeof(payload), "{\"integration_id\":%lld}", (long long)c->id);
    struct fh_enqueue e = {.kind = FH_XERO_JOB_REVOKE, .ukey = key, .payload = payload};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : rc == FH_E_RETRY ? FH_QS_SOFT : FH_QS_HARD;
}

enum fh_rc fh_xero_remove(struct fh_app *app, const struct fh_integ *in)
{
    struct remove_ctx c = {.app = app, .id = in->id, .now = fh_now_ms()};
    int qs = fh_store_run_tx(app->store, remove_tx, &c);
    return qs >= 0 ? FH_OK : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
}
