/* client.c - calls to Zoho Books: every API call goes through zoho_api(), which gets the
 * integration's access token (single-flight refresh at its data center's accounts server),
 * reserves the call with the rate governor (per organization: the minute, the plan's day, the
 * calls in flight), sends it to the api_domain Zoho named with the token, with
 * organization_id and "Authorization: Zoho-oauthtoken", feeds the quota headers back to the
 * governor, and maps each answer explicitly (specs/zoho-books.md §2.2):
 *
 *   2xx, code 0         ok (a 2xx with another code: refused)
 *   401 (code 14, 57)   the token was refused: refresh once (stale version) and repeat; a second
 *                       401 is a missing scope or a dead consent: refused, reconnect
 *   400 code 6041       the user no longer belongs to the organization: inactive, Reconnect
 *   400, 405, 3xx ...   refused: the request is wrong, retrying cannot help
 *   404                 not found (code 1002: the invoice was deleted)
 *   429                 wait: Zoho sends no Retry-After, the governor blocks the window
 *   5xx, 408, timeout   transient: the job retries with backoff
 *
 * Also: Test Connection and revocation. Nothing here logs a token, a URL's query or a body. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "zoho_internal.h"

void zoho_send(struct fh_app *app, const char *api_domain, const char *access_token,
               const struct zoho_call *c, const char *query, struct fh_http_response *out)
{
    char *url = fh_asprintf("%s/books/v3%s%s%s", api_domain, c->path, query && query[0] ? "?" : "",
                            query ? query : "");
    char *auth = fh_asprintf("Authorization: Zoho-oauthtoken %s", access_token);
    char *ctype = c->body ? fh_asprintf("Content-Type: %s",
                                        c->content_type ? c->content_type : "application/json")
                          : NULL;
    const char *hdrs[] = {auth, "Accept: application/json", ctype, NULL};
    struct fh_http_request rq = {.method = c->method,
                                 .url = url,
                                 .headers = hdrs,
                                 .body = c->body,
                                 .body_len =
                                     c->body ? c->body_len ? c->body_len : strlen(c->body) : 0,
                                 .timeout_ms = app->cfg->zoho_timeout_ms};
    if (fh_http_call(&rq, out) != FH_OK)
        out->status = 0; /* a refused URL: no answer */
    sodium_memzero(auth, strlen(auth));
    free(auth);
    free(ctype);
    free(url);
}

/* Reserves a call; short waits are slept through, longer ones returned. */
static enum zoho_outcome reserve(struct fh_app *app, const struct fh_gov_limits *l, const char *org,
                                 struct fh_gov_ticket *t, int64_t *retry_at)
{
    for (int i = 0; i < 20; i++) {
        int64_t now = fh_now_ms(), wait_until = 0;
        enum fh_rc rc = fh_gov_acquire(app->store, "zoho", org, l, now, &wait_until, t);
        if (rc == FH_OK)
            return Z_OK;
        if (rc != FH_E_RETRY)
            return Z_TRANSIENT;
        if (wait_until - now > 300) {
            *retry_at = wait_until;
            return Z_WAIT;
        }
        fh_sleep_ms(wait_until - now > 0 ? wait_until - now : 10);
    }
    *retry_at = fh_now_ms() + 500;
    return Z_WAIT;
}

static enum zoho_outcome map_answer(struct fh_app *app, int64_t id, const struct zoho_call *c,
                                    const struct fh_http_response *r, json_t *j, const char *org,
                                    char *why, size_t whysize)
{
    enum fh_http_class hc = fh_http_classify(r);
    json_int_t code = json_integer_value(json_object_get(j, "code"));
    const char *what = c->what ? c->what : "request";
    switch (hc) {
    case FH_HC_OK:
        if (!j) { /* cut short or not JSON: unread, not empty (a write-back's look must not
                     take it for "not written"); the next answer is likely whole */
            snprintf(why, whysize, "Zoho's answer to the %s could not be read", what);
            return Z_TRANSIENT;
        }
        if (code == 0)
            return Z_OK;
        snprintf(why, whysize, "Zoho answered the %s with code %lld", what, (long long)code);
        return Z_REFUSED;
    case FH_HC_NOT_FOUND:
        snprintf(why, whysize, "Zoho has no such %s (404, code %lld)", what, (long long)code);
        return Z_NOT_FOUND;
    case FH_HC_SERVER:
    case FH_HC_NO_ANSWER:
        fh_http_no_use("Zoho", r, why, whysize);
        return Z_TRANSIENT;
    default:
        break;
    }
    if (r->status == 400 && code == 6041) {
        char reason[200];
        snprintf(reason, sizeof(reason),
                 "Zoho Books no longer lets the connected user see organization %.30s (6041); "
                 "reconnect.",
                 org);
        fh_conn_deactivate(app->store, id, reason, fh_now_ms());
        snprintf(why, whysize, "%s", reason);
        return Z_INACTIVE;
    }
    const char *msg = json_string_value(json_object_get(j, "message"));
    snprintf(why, whysize, "Zoho refused the %s (HTTP %ld, code %lld)%s%.200s", what, r->status,
             (long long)code, msg && *msg ? ": " : "", msg ? msg : "");
    return Z_REFUSED;
}

/* One attempt with a token; true when the token was refused (401). */
static bool attempt(struct fh_app *app, const struct zoho_conn *zc, const struct fh_gov_limits *l,
                    const struct fh_conn_token *tok, const struct zoho_call *c,
                    struct fh_http_response *r, int64_t *wait)
{
    struct fh_buf q;
    fh_buf_init(&q, 8192);
    fh_buf_appendf(&q, "organization_id=");
    fh_url_encode(&q, zc->org);
    if (c->query && c->query[0])
        fh_buf_appendf(&q, "&%s", c->query);
    fh_http_response_free(r);
    zoho_send(app, tok->api_domain, tok->access_token, c, q.data, r);
    fh_buf_free(&q);
    *wait = fh_gov_observe(app->store, "zoho", zc->org, l, r, fh_now_ms());
    return r->status == 401;
}

enum zoho_outcome zoho_api(struct fh_app *app, int64_t integration_id, const struct zoho_call *c,
                           json_t **out, int64_t *retry_at, char *why, size_t whysize)
{
    *out = NULL;
    why[0] = '\0';
    struct zoho_conn zc;
    enum fh_rc rc = zoho_conn_load(app, integration_id, &zc);
    if (rc != FH_OK) {
        snprintf(why, whysize, "%s", rc == FH_E_NOTFOUND ? "not connected" : "store error");
        return rc == FH_E_NOTFOUND ? Z_INACTIVE : Z_TRANSIENT;
    }
    struct zoho_client cl;
    zoho_client_init(app, &zc.dc, &cl);
    struct fh_gov_limits l;
    zoho_limits(app, zc.plan, &l);
    struct fh_http_response r;
    memset(&r, 0, sizeof(r));
    int64_t stale = -1, wait = 0;
    enum zoho_outcome o = Z_REFUSED;
    for (int round = 0; round < 2; round++) {
        struct fh_conn_token tok;
        enum fh_token_result tr =
            fh_conn_token_get(app, &cl.oc, integration_id, stale, &tok, retry_at);
        if (tr == FH_TOKEN_OK && !tok.api_domain[0])
            tr = FH_TOKEN_INACTIVE; /* tokens without their API host: reconnect */
        if (tr != FH_TOKEN_OK) {
            fh_conn_token_free(&tok);
            snprintf(why, whysize, "%s",
                     tr == FH_TOKEN_INACTIVE ? "the integration is not active"
                     : tr == FH_TOKEN_WAIT   ? "waiting for a token refresh"
                                             : "store error");
            o = tr == FH_TOKEN_INACTIVE ? Z_INACTIVE : tr == FH_TOKEN_WAIT ? Z_WAIT : Z_TRANSIENT;
            break;
        }
        struct fh_gov_ticket t;
        o = reserve(app, &l, zc.org, &t, retry_at);
        if (o != Z_OK) {
            fh_conn_token_free(&tok);
            snprintf(why, whysize, "waiting for Zoho's rate limit");
            break;
        }
        bool refused = attempt(app, &zc, &l, &tok, c, &r, &wait);
        fh_gov_release(app->store, &t);
        stale = tok.version;
        fh_conn_token_free(&tok);
        if (refused && round == 0)
            continue; /* refresh (single flight) and repeat once */
        json_error_t je;
        *out = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
        if (refused) {
            snprintf(why, whysize,
                     "Zoho refused the token (401, code %lld): the consent lacks a scope this "
                     "call needs or was withdrawn; reconnect",
                     (long long)json_integer_value(json_object_get(*out, "code")));
            o = Z_REFUSED;
        } else if (r.status == 429) {
            *retry_at = fh_now_ms() + wait;
            snprintf(why, whysize, "Zoho's rate limit (429)");
            o = Z_WAIT;
        } else {
            o = map_answer(app, integration_id, c, &r, *out, zc.org, why, whysize);
        }
        break;
    }
    fh_http_response_free(&r);
    return o;
}

/* ---- calls a user makes from the portal ---- */

/* One read-only GET a user asked for (Test Connection, the tax mapping's taxes): the answer's
 * JSON (an empty object when Zoho sent none), or NULL with the sentence in message - the
 * integration not active, Zoho's refusal or rate limit, no answer; *inactive says whether the
 * integration is (now) not active. */
static json_t *user_get(struct fh_app *app, const struct fh_integ *in, const char *path,
                        const char *query, const char *what, bool *inactive, char *message,
                        size_t msgsize)
{
    *inactive = fh_integ_not_active(in, "Zoho Books", message, msgsize);
    if (*inactive)
        return NULL;
    struct zoho_call c = {.method = "GET", .path = path, .query = query, .what = what};
    json_t *j = NULL;
    int64_t retry_at = 0;
    char why[300];
    enum zoho_outcome o = zoho_api(app, in->id, &c, &j, &retry_at, why, sizeof(why));
    if (o == Z_OK)
        return j ? j : json_object();
    json_decref(j);
    *inactive = o == Z_INACTIVE;
    fh_integ_call_failed(app->store, in->id,
                         o == Z_INACTIVE ? FH_CALL_INACTIVE
                         : o == Z_WAIT   ? FH_CALL_WAIT
                                         : FH_CALL_OTHER,
                         "Zoho", retry_at, why, message, msgsize);
    return NULL;
}

void fh_zoho_test(struct fh_app *app, const struct fh_integ *in, bool *ok, char *message,
                  size_t msgsize)
{
    bool inactive;
    json_t *j =
        user_get(app, in, "/invoices", "per_page=1", "invoice list", &inactive, message, msgsize);
    *ok = j != NULL;
    const char *dc = json_string_value(json_object_get(in->settings, "data_center"));
    if (j)
        snprintf(message, msgsize,
                 "Connected to the Zoho Books organization \"%.200s\" (data center %s).",
                 in->tenant_name, dc ? dc : "com");
    json_decref(j);
}

/* ---- taxes (the tax mapping's left side) ---- */

enum fh_rc fh_zoho_taxes(struct fh_app *app, const struct fh_integ *in, json_t **out, char *message,
                         size_t msgsize)
{
    *out = NULL;
    bool inactive;
    json_t *j =
        user_get(app, in, "/settings/taxes", "per_page=200", "taxes", &inactive, message, msgsize);
    json_t *taxes = json_object_get(j, "taxes");
    if (!json_is_array(taxes)) {
        if (j)
            snprintf(message, msgsize, "Zoho Books answered, but not with its taxes; try again.");
        json_decref(j);
        return inactive ? FH_E_CONFLICT : FH_E_RETRY;
    }
    *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(taxes, i, t)
    {
        json_t *id = json_object_get(t, "tax_id"), *name = json_object_get(t, "tax_name");
        json_t *rate = json_object_get(t, "tax_percentage");
        if (!json_is_string(id))
            continue;
        json_array_append_new(*out, json_pack("{s:O, s:O, s:O}", "key", id, "name",
                                              json_is_string(name) ? name : id, "rate",
                                              json_is_number(rate) ? rate : json_null()));
        if (json_array_size(*out) >= FH_TAX_MAPPING_MAX - 1)
            break;
    }
    /* lines without a tax are looked up under "none" (map.c) */
    json_array_append_new(
        *out, json_pack("{s:s, s:s, s:n}", "key", "none", "name", "Lines without tax", "rate"));
    json_decref(j);
    return FH_OK;
}

/* ---- revocation (Remove) ---- */

enum fh_rc zoho_revoke(struct fh_app *app, int64_t integration_id, char *why, size_t whysize)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT refresh_sealed, data_center FROM integrations "
                           "WHERE id = $1 AND status = 'removed'",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs < 0 ? FH_E_RETRY : FH_OK; /* reconnected meanwhile, or gone */
    }
    struct fh_zoho_dc dc;
    bool known = fh_zoho_dc(app, fh_rows_get(&rows, 0, 1), false, &dc);
    char *rt = fh_conn_open(app, fh_rows_get(&rows, 0, 0));
    fh_rows_free(&rows);
    enum fh_rc rc = FH_OK;
    if (rt && known) {
        struct zoho_client zc;
        zoho_client_init(app, &dc, &zc);
        if (fh_oauth_revoke(&zc.oc, rt) == FH_E_RETRY) {
            snprintf(why, whysize, "Zoho did not answer the revocation");
            rc = FH_E_RETRY; /* an already dead token (400) counts as revoked */
        }
    }
    fh_conn_wipe(rt);
    if (rc == FH_OK) /* the sealed tokens are of no use any more */
        fh_conn_tokens_forget(app->store, integration_id);
    return rc;
}
