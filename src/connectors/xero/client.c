/* client.c - calls to Xero: every Accounting API call goes through xero_api(), which gets the
 * integration's access token (single-flight refresh), reserves the call with the rate governor,
 * sends it with the tenant header, feeds the answer's limit headers back to the governor, and
 * maps each status explicitly:
 *
 *   2xx                 ok
 *   401                 the token was refused: refresh once (stale version) and repeat; a second
 *                       401 is a scope problem (AuthorizationUnsuccessful): refused
 *   403                 the organisation is no longer connected (disconnected in Xero, revoked):
 *                       the integration turns inactive, Reconnect offered
 *   404                 not found (deleted document, unknown route): plain text from Xero
 *   429                 wait for Retry-After on the window X-Rate-Limit-Problem names
 *   400, 409, 422, 3xx  refused: the request is wrong, retrying cannot help
 *   5xx, 408, timeout   transient: the job retries with backoff
 *
 * Also: the webhook signature, the connections list, Test Connection, and revocation. */
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "xero_internal.h"

void fh_xero_oauth_client(const struct fh_app *app, struct fh_oauth_client *out)
{
    const struct fh_config *c = app->cfg;
    memset(out, 0, sizeof(*out));
    out->partner = "Xero";
    out->authorize_url = c->xero_authorize_url;
    out->token_url = c->xero_token_url;
    out->revoke_url = c->xero_revoke_url;
    out->client_id = c->xero_client_id;
    out->client_secret =
        c->xero_client_secret && c->xero_client_secret[0] ? c->xero_client_secret : NULL;
    out->scopes = c->xero_scopes;
    out->timeout_ms = c->xero_timeout_ms;
}

void fh_xero_limits(const struct fh_app *app, struct fh_gov_limits *out)
{
    out->minute = app->cfg->xero_minute_limit;
    out->day = app->cfg->xero_day_limit;
    out->app_minute = app->cfg->xero_app_minute_limit;
    out->concurrent = app->cfg->xero_concurrent_limit;
    out->time_scale = app->cfg->xero_time_scale;
    out->call_ms = app->cfg->xero_timeout_ms;
    out->minute_left_header = "X-MinLimit-Remaining";
    out->day_left_header = "X-DayLimit-Remaining";
    out->app_left_header = "X-AppMinLimit-Remaining";
    out->day_reset_header = NULL;
}

char *fh_xero_redirect_uri(const struct fh_app *app)
{
    return fh_public_url(app, FH_XERO_CALLBACK_PATH);
}

bool fh_xero_webhook_verify(const char *key, const void *body, size_t len, const char *signature)
{
    if (!key || !key[0] || !signature || strlen(signature) > 100)
        return false;
    uint8_t mac[32];
    fh_hmac_sha256(key, strlen(key), body, len, mac);
    char expect[64];
    sodium_bin2base64(expect, sizeof(expect), mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    return fh_const_eq(expect, signature);
}

/* ---- the Accounting API ---- */

static enum xero_outcome send_once(struct fh_app *app, const struct xero_call *c,
                                   const struct fh_conn_token *tok, struct fh_http_response *out)
{
    char *url = fh_asprintf("%s%s", app->cfg->xero_api_url, c->path);
    char *bearer = fh_asprintf("Authorization: Bearer %s", tok->access_token);
    char tenant[100], idem[200], ims[80], ctype[100];
    snprintf(tenant, sizeof(tenant), "xero-tenant-id: %s", tok->tenant_id);
    const char *hdrs[8];
    size_t n = 0;
    hdrs[n++] = bearer;
    hdrs[n++] = tenant;
    hdrs[n++] = "Accept: application/json";
    if (c->body) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %.80s",
                 c->content_type ? c->content_type : "application/json");
        hdrs[n++] = ctype;
    }
    if (c->idempotency_key) {
        snprintf(idem, sizeof(idem), "Idempotency-Key: %.128s", c->idempotency_key);
        hdrs[n++] = idem;
    }
    if (c->if_modified_since) {
        snprintf(ims, sizeof(ims), "If-Modified-Since: %.40s", c->if_modified_since);
        hdrs[n++] = ims;
    }
    hdrs[n] = NULL;
    struct fh_http_request rq = {.method = c->method,
                                 .url = url,
                                 .headers = hdrs,
                                 .body = c->body,
                                 .body_len =
                                     c->body ? (c->body_len ? c->body_len : strlen(c->body)) : 0,
                                 .timeout_ms = app->cfg->xero_timeout_ms};
    enum fh_rc rc = fh_http_call(&rq, out);
    sodium_memzero(bearer, strlen(bearer));
    free(bearer);
    free(url);
    return rc == FH_OK ? X_OK : X_REFUSED;
}

/* Reserves a call; short waits are slept through, longer ones returned. */
static enum xero_outcome reserve(struct fh_app *app, const char *tenant, struct fh_gov_ticket *t,
                                 int64_t *retry_at)
{
    struct fh_gov_limits l;
    fh_xero_limits(app, &l);
    for (int i = 0; i < 20; i++) {
        int64_t now = fh_now_ms(), wait_until = 0;
        enum fh_rc rc = fh_gov_acquire(app->store, "xero", tenant, &l, now, &wait_until, t);
        if (rc == FH_OK)
            return X_OK;
        if (rc != FH_E_RETRY)
            return X_TRANSIENT;
        if (wait_until - now > 300) {
            *retry_at = wait_until;
            return X_WAIT;
        }
        fh_sleep_ms(wait_until - now > 0 ? wait_until - now : 10);
    }
    *retry_at = fh_now_ms() + 500;
    return X_WAIT;
}

/* "Xero refused the <what> (HTTP 400): <the first validation message>" - Xero's 400 answers
 * name the problem in Elements[].ValidationErrors[].Message (specs/xero.md), which is what a
 * user needs to fix it; the message is cut at 200 bytes. */
static void refusal(const struct xero_call *c, const struct fh_http_response *r, char *why,
                    size_t whysize)
{
    json_error_t je;
    json_t *j = r->body ? json_loadb(r->body, r->len, 0, &je) : NULL;
    json_t *el = json_array_get(json_object_get(j, "Elements"), 0);
    const char *m = json_string_value(
        json_object_get(json_array_get(json_object_get(el, "ValidationErrors"), 0), "Message"));
    if (!m)
        m = json_string_value(json_object_get(j, "Detail"));
    snprintf(why, whysize, "Xero refused the %s (HTTP %ld)%s%.200s", c->what ? c->what : "request",
             r->status, m ? ": " : "", m ? m : "");
    json_decref(j);
}

static enum xero_outcome map_status(struct fh_app *app, const struct xero_call *c,
                                    const struct fh_http_response *r, int64_t id, char *why,
                                    size_t whysize)
{
    enum fh_http_class hc = fh_http_classify(r);
    switch (hc) {
    case FH_HC_OK:
        return X_OK;
    case FH_HC_NOT_FOUND:
        snprintf(why, whysize, "Xero has no %s (404)", c->what ? c->what : "such resource");
        return X_NOT_FOUND;
    case FH_HC_FORBIDDEN:
        fh_conn_deactivate(app->store, id,
                           "Xero refused access to the organisation (403): the connection was "
                           "removed in Xero or the app was disconnected; reconnect.",
                           fh_now_ms());
        snprintf(why, whysize, "Xero refused access to the organisation (403)");
        return X_INACTIVE;
    case FH_HC_RATE_LIMITED:
        return X_WAIT;
    case FH_HC_SERVER:
    case FH_HC_NO_ANSWER:
        fh_http_no_use("Xero", r, why, whysize);
        return X_TRANSIENT;
    default:
        refusal(c, r, why, whysize);
        return X_REFUSED;
    }
}

enum xero_outcome xero_api(struct fh_app *app, int64_t integration_id, const struct xero_call *c,
                           struct fh_http_response *out, int64_t *retry_at, char *why,
                           size_t whysize)
{
    memset(out, 0, sizeof(*out));
    why[0] = '\0';
    struct fh_oauth_client oc;
    fh_xero_oauth_client(app, &oc);
    struct fh_gov_limits l;
    fh_xero_limits(app, &l);
    int64_t stale = -1;
    for (int round = 0; round < 2; round++) {
        struct fh_conn_token tok;
        enum fh_token_result tr =
            fh_conn_token_get(app, &oc, integration_id, stale, &tok, retry_at);
        if (tr != FH_TOKEN_OK) {
            snprintf(why, whysize, "%s",
                     tr == FH_TOKEN_INACTIVE ? "the integration is not active"
                     : tr == FH_TOKEN_WAIT   ? "waiting for a token refresh"
                                             : "store error");
            return tr == FH_TOKEN_INACTIVE ? X_INACTIVE
                   : tr == FH_TOKEN_WAIT   ? X_WAIT
                                           : X_TRANSIENT;
        }
        struct fh_gov_ticket t;
        enum xero_outcome o = reserve(app, tok.tenant_id, &t, retry_at);
        if (o != X_OK) {
            fh_conn_token_free(&tok);
            snprintf(why, whysize, "waiting for the rate limit");
            return o;
        }
        fh_http_response_free(out);
        send_once(app, c, &tok, out);
        fh_gov_release(app->store, &t);
        int64_t wait = fh_gov_observe(app->store, "xero", tok.tenant_id, &l, out, fh_now_ms());
        stale = tok.version;
        fh_conn_token_free(&tok);
        if (out->status == 401 && round == 0)
            continue; /* refresh (single flight) and repeat once */
        if (out->status == 401) {
            snprintf(why, whysize,
                     "Xero refused the token (401%s): the consent lacks a scope "
                     "this call needs; reconnect",
                     out->body && strstr(out->body, "AuthorizationUnsuccessful")
                         ? " AuthorizationUnsuccessful"
                         : "");
            return X_REFUSED;
        }
        if (out->status == 429) {
            *retry_at = fh_now_ms() + wait;
            snprintf(why, whysize, "Xero's rate limit (429)");
        }
        return map_status(app, c, out, integration_id, why, whysize);
    }
    return X_REFUSED;
}

/* ---- connections ---- */

enum fh_rc xero_connections(struct fh_app *app, const char *access_token, const char *auth_event,
                            json_t **out, char *why, size_t whysize)
{
    struct fh_buf u;
    fh_buf_init(&u, 4096);
    fh_buf_appendf(&u, "%s", app->cfg->xero_connections_url);
    if (auth_event && auth_event[0]) {
        fh_buf_appendf(&u, "?authEventId=");
        fh_url_encode(&u, auth_event);
    }
    char *bearer = fh_asprintf("Authorization: Bearer %s", access_token);
    const char *hdrs[] = {bearer, "Accept: application/json", NULL};
    struct fh_http_request rq = {.method = "GET",
                                 .url = u.data,
                                 .headers = hdrs,
                                 .timeout_ms = app->cfg->xero_timeout_ms,
                                 .max_response = 1 << 20};
    struct fh_http_response r;
    fh_http_call(&rq, &r);
    sodium_memzero(bearer, strlen(bearer));
    free(bearer);
    fh_buf_free(&u);
    enum fh_http_class hc = fh_http_classify(&r);
    json_error_t je;
    json_t *j = hc == FH_HC_OK && r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
    fh_http_response_free(&r);
    if (!json_is_array(j)) {
        json_decref(j);
        snprintf(why, whysize, "Xero's connections list could not be read (%s)",
                 fh_http_class_name(hc));
        return hc == FH_HC_SERVER || hc == FH_HC_NO_ANSWER || hc == FH_HC_OK ? FH_E_RETRY : FH_ERR;
    }
    *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(j, i, c)
    {
        const char *type = json_string_value(json_object_get(c, "tenantType"));
        const char *tid = json_string_value(json_object_get(c, "tenantId"));
        const char *cid = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(c, "tenantName"));
        if (!type || strcmp(type, "ORGANISATION") != 0 || !tid || !cid || strlen(tid) > 60 ||
            strlen(cid) > 60)
            continue; /* only organisations serve the Accounting API */
        json_array_append_new(*out, json_pack("{s:s, s:s, s:s}", "tenant_id", tid, "name",
                                              name ? name : tid, "connection_id", cid));
        if (json_array_size(*out) >= 50)
            break;
    }
    json_decref(j);
    return FH_OK;
}

/* ---- Test Connection ---- */

/* One read-only GET a user asked for (Test Connection, the tax mapping's taxes): the answer's
 * JSON, or NULL with the sentence in message - the integration not active, Xero's refusal or
 * rate limit, no usable answer; *inactive says whether the integration is (now) not active. */
static json_t *user_get(struct fh_app *app, const struct fh_integ *in, const char *path,
                        const char *what, bool *inactive, char *message, size_t msgsize)
{
    *inactive = fh_integ_not_active(in, "Xero", message, msgsize);
    if (*inactive)
        return NULL;
    struct xero_call c = {.method = "GET", .path = path, .what = what};
    struct fh_http_response r;
    int64_t retry_at = 0;
    char why[300];
    enum xero_outcome o = xero_api(app, in->id, &c, &r, &retry_at, why, sizeof(why));
    json_error_t je;
    json_t *j = o == X_OK && r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
    fh_http_response_free(&r);
    if (o == X_OK && !j)
        snprintf(message, msgsize, "Xero answered, but not with its %s; try again.", what);
    else if (o != X_OK)
        fh_integ_call_failed(app->store, in->id,
                             o == X_INACTIVE ? FH_CALL_INACTIVE
                             : o == X_WAIT   ? FH_CALL_WAIT
                                             : FH_CALL_OTHER,
                             "Xero", retry_at, why, message, msgsize);
    *inactive = o == X_INACTIVE;
    return j;
}

void fh_xero_test(struct fh_app *app, const struct fh_integ *in, bool *ok, char *message,
                  size_t msgsize)
{
    bool inactive;
    json_t *j = user_get(app, in, "/Organisation", "organisation", &inactive, message, msgsize);
    json_t *org = json_array_get(json_object_get(j, "Organisations"), 0);
    const char *name = json_string_value(json_object_get(org, "Name"));
    *ok = name != NULL;
    if (name)
        snprintf(message, msgsize, "Connected to the Xero organisation \"%.200s\".", name);
    else if (j)
        snprintf(message, msgsize, "Xero answered, but not with an organisation.");
    json_decref(j);
}

/* ---- tax rates (the tax mapping's left side) ---- */

enum fh_rc fh_xero_taxes(struct fh_app *app, const struct fh_integ *in, json_t **out, char *message,
                         size_t msgsize)
{
    *out = NULL;
    bool inactive;
    json_t *j = user_get(app, in, "/TaxRates", "tax rates", &inactive, message, msgsize);
    json_t *rates = json_object_get(j, "TaxRates");
    if (!json_is_array(rates)) {
        if (j)
            snprintf(message, msgsize, "Xero answered, but not with its tax rates; try again.");
        json_decref(j);
        return inactive ? FH_E_CONFLICT : FH_E_RETRY;
    }
    *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(rates, i, t)
    {
        const char *status = json_string_value(json_object_get(t, "Status"));
        json_t *type = json_object_get(t, "TaxType"), *name = json_object_get(t, "Name");
        json_t *rate = json_object_get(t, "EffectiveRate");
        if ((status && strcmp(status, "ACTIVE") != 0) ||
            json_is_false(json_object_get(t, "CanApplyToRevenue")) || !json_is_string(type))
            continue; /* only what a sales invoice line can carry */
        json_array_append_new(*out, json_pack("{s:O, s:O, s:O}", "key", type, "name",
                                              json_is_string(name) ? name : type, "rate",
                                              json_is_number(rate) ? rate : json_null()));
        if (json_array_size(*out) >= FH_TAX_MAPPING_MAX)
            break;
    }
    json_decref(j);
    return FH_OK;
}

/* ---- revocation (Remove) ---- */

static long delete_connection(struct fh_app *app, const char *access, const char *conn_id)
{
    char *url = fh_asprintf("%s/%s", app->cfg->xero_connections_url, conn_id);
    char *bearer = fh_asprintf("Authorization: Bearer %s", access);
    const char *hdrs[] = {bearer, NULL};
    struct fh_http_request rq = {.method = "DELETE",
                                 .url = url,
                                 .headers = hdrs,
                                 .timeout_ms = app->cfg->xero_timeout_ms,
                                 .max_response = 65536};
    struct fh_http_response r;
    fh_http_call(&rq, &r);
    long status = r.status;
    sodium_memzero(bearer, strlen(bearer));
    free(bearer);
    free(url);
    fh_http_response_free(&r);
    return status;
}

enum fh_rc xero_revoke(struct fh_app *app, int64_t integration_id, char *why, size_t whysize)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT access_sealed, refresh_sealed, connection_id FROM integrations "
                           "WHERE id = $1 AND status = 'removed'",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs < 0 ? FH_E_RETRY : FH_OK; /* reconnected meanwhile, or gone */
    }
    char *access = fh_conn_open(app, fh_rows_get(&rows, 0, 0));
    char *refresh = fh_conn_open(app, fh_rows_get(&rows, 0, 1));
    char conn[64];
    fh_strlcpy(conn, fh_rows_get(&rows, 0, 2) ? fh_rows_get(&rows, 0, 2) : "", sizeof(conn));
    fh_rows_free(&rows);
    struct fh_oauth_client oc;
    fh_xero_oauth_client(app, &oc);
    long status = access && conn[0] ? delete_connection(app, access, conn) : 0;
    if (status == 401 && refresh) {
        struct fh_oauth_tokens t;
        char w[200];
        if (fh_oauth_refresh(&oc, refresh, &t, w, sizeof(w)) == FH_OAUTH_OK) {
            status = delete_connection(app, t.access_token, conn);
            if (t.refresh_token) {
                fh_conn_wipe(refresh);
                refresh = fh_strdup(t.refresh_token);
            }
        }
        fh_oauth_tokens_free(&t);
    }
    enum fh_rc rc = FH_OK;
    if (status == 0 && access && conn[0]) {
        snprintf(why, whysize, "Xero did not answer the disconnect");
        rc = FH_E_RETRY;
    }
    if (rc == FH_OK && refresh && fh_oauth_revoke(&oc, refresh) == FH_E_RETRY) {
        snprintf(why, whysize, "Xero did not answer the revocation");
        rc = FH_E_RETRY;
    }
    fh_conn_wipe(access);
    fh_conn_wipe(refresh);
    if (rc == FH_OK) /* the sealed tokens are of no use any more */
        fh_conn_tokens_forget(app->store, integration_id);
    return rc;
}
