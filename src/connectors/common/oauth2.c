/* oauth2.c - OAuth 2.0 for confidential web apps: the consent URL with PKCE (S256) and state,
 * the code exchange and the refresh (form body; the client authenticates with HTTP Basic, or
 * with form fields where the partner wants them, as Zoho does), revocation, and every answer of
 * the token endpoint put in one of four results (ok, invalid_grant, refused, transient). An
 * answer with an "error" field is an error whatever its HTTP status: Zoho says most of its
 * refusals with HTTP 200. Tokens are never logged; error text keeps only the endpoint's error
 * code. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"

void fh_pkce_challenge(const char *verifier, char *out, size_t outsize)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, outsize, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void fh_pkce_new(char verifier[FH_PKCE_VERIFIER_LEN + 1], char challenge[FH_PKCE_VERIFIER_LEN + 1])
{
    fh_random_token(32, verifier, FH_PKCE_VERIFIER_LEN + 1); /* 32 bytes -> 43 characters */
    fh_pkce_challenge(verifier, challenge, FH_PKCE_VERIFIER_LEN + 1);
}

char *fh_oauth_authorize_url(const struct fh_oauth_client *c, const char *redirect_uri,
                             const char *state, const char *challenge)
{
    struct fh_buf b;
    fh_buf_init(&b, 16384);
    fh_buf_appendf(&b, "%s%sresponse_type=code&client_id=", c->authorize_url,
                   strchr(c->authorize_url, '?') ? "&" : "?");
    fh_url_encode(&b, c->client_id);
    fh_buf_appendf(&b, "&redirect_uri=");
    fh_url_encode(&b, redirect_uri);
    fh_buf_appendf(&b, "&scope=");
    fh_url_encode(&b, c->scopes ? c->scopes : "");
    fh_buf_appendf(&b, "&state=");
    fh_url_encode(&b, state);
    fh_buf_appendf(&b, "&code_challenge=");
    fh_url_encode(&b, challenge);
    fh_buf_appendf(&b, "&code_challenge_method=S256");
    if (c->authorize_extra && c->authorize_extra[0])
        fh_buf_appendf(&b, "&%s", c->authorize_extra);
    return fh_buf_steal(&b);
}

void fh_oauth_tokens_free(struct fh_oauth_tokens *t)
{
    if (!t)
        return;
    if (t->access_token) {
        sodium_memzero(t->access_token, strlen(t->access_token));
        free(t->access_token);
    }
    if (t->refresh_token) {
        sodium_memzero(t->refresh_token, strlen(t->refresh_token));
        free(t->refresh_token);
    }
    memset(t, 0, sizeof(*t));
}

/* The api_domain of a token answer when it is a usable base URL (no path, query or user). */
static void api_domain(json_t *j, char *out, size_t outsize)
{
    const char *d = json_string_value(json_object_get(j, "api_domain"));
    out[0] = '\0';
    if (!d || strlen(d) >= outsize || !fh_http_url_allowed(d))
        return;
    const char *host = strstr(d, "://") + 3;
    if (strpbrk(host, "?#@ \"'<>\\"))
        return;
    fh_strlcpy(out, d, outsize);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/') /* callers append "/books/v3" */
        out[--n] = '\0';
}

/* Reads a token endpoint answer without an error into out. */
static enum fh_oauth_result parse_tokens(json_t *j, struct fh_oauth_tokens *out, char *why,
                                         size_t whysize)
{
    const char *at = json_string_value(json_object_get(j, "access_token"));
    const char *rt = json_string_value(json_object_get(j, "refresh_token"));
    json_t *exp = json_object_get(j, "expires_in");
    if (!at || !at[0] || strlen(at) > 16384 || (rt && strlen(rt) > 4096)) {
        snprintf(why, whysize, "the token endpoint answered without a usable access token");
        return FH_OAUTH_TRANSIENT;
    }
    out->access_token = fh_strdup(at);
    out->refresh_token = rt && rt[0] ? fh_strdup(rt) : NULL;
    out->expires_in_s = json_is_integer(exp) ? json_integer_value(exp) : 1800;
    if (out->expires_in_s <= 0 || out->expires_in_s > 86400 * 365)
        out->expires_in_s = 1800;
    const char *scope = json_string_value(json_object_get(j, "scope"));
    fh_strlcpy(out->scope, scope ? scope : "", sizeof(out->scope));
    api_domain(j, out->api_domain, sizeof(out->api_domain));
    return FH_OAUTH_OK;
}

/* The OAuth "error" code of an answer, or "" when there is none: only [a-z_] of the partner's
 * text (it is shown to people and logged), letters lower-cased and spaces as '_' (Zoho's
 * throttle says "Access Denied"). */
static void oauth_error(json_t *j, char *out, size_t outsize)
{
    const char *e = json_string_value(json_object_get(j, "error"));
    size_t n = 0;
    for (const char *p = e ? e : ""; *p && n + 1 < outsize && n < 40; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p == ' ' ? '_' : *p;
        if ((ch >= 'a' && ch <= 'z') || ch == '_')
            out[n++] = ch;
    }
    out[n] = '\0';
}

/* A refusal: for good (the grant is dead), for now (throttled) or for configuration. */
static enum fh_oauth_result refusal(const struct fh_oauth_client *c, const char *form,
                                    const char *code, enum fh_http_class hc, char *why,
                                    size_t whysize)
{
    bool refresh = strstr(form, "refresh_token=") != NULL;
    snprintf(why, whysize, "%s refused the %s (%s)", c->partner ? c->partner : "The partner",
             refresh ? "refresh token" : "authorization code",
             code[0] ? code : fh_http_class_name(hc));
    if (strcmp(code, "invalid_grant") == 0 || strcmp(code, "invalid_code") == 0 ||
        strcmp(code, "invalid_token") == 0)
        return FH_OAUTH_INVALID_GRANT;
    if (strcmp(code, "access_denied") == 0) /* Zoho: too many requests in a row */
        return FH_OAUTH_TRANSIENT;
    return FH_OAUTH_REFUSED;
}

/* The client's credentials as form fields, unless HTTP Basic carries them. */
static void form_client(struct fh_buf *f, const struct fh_oauth_client *c)
{
    if (!c->client_secret || c->secret_in_body) {
        fh_buf_appendf(f, "&client_id=");
        fh_url_encode(f, c->client_id);
    }
    if (c->client_secret && c->secret_in_body) {
        fh_buf_appendf(f, "&client_secret=");
        fh_url_encode(f, c->client_secret);
    }
}

static enum fh_oauth_result token_call(const struct fh_oauth_client *c, const char *form,
                                       struct fh_oauth_tokens *out, char *why, size_t whysize)
{
    memset(out, 0, sizeof(*out));
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
                          "Accept: application/json", NULL};
    struct fh_http_request rq = {.method = "POST",
                                 .url = c->token_url,
                                 .headers = hdrs,
                                 .body = form,
                                 .body_len = strlen(form),
                                 .basic_user =
                                     c->client_secret && !c->secret_in_body ? c->client_id : NULL,
                                 .basic_pass = c->secret_in_body ? NULL : c->client_secret,
                                 .timeout_ms = c->timeout_ms,
                                 .max_response = 64 * 1024};
    struct fh_http_response r;
    if (fh_http_call(&rq, &r) != FH_OK) {
        snprintf(why, whysize, "the token endpoint URL is not allowed (https only)");
        fh_http_response_free(&r);
        return FH_OAUTH_REFUSED;
    }
    enum fh_http_class hc = fh_http_classify(&r);
    enum fh_oauth_result res;
    char code[48];
    json_error_t je;
    json_t *j = r.body && (hc == FH_HC_OK || hc == FH_HC_BAD_REQUEST || hc == FH_HC_UNAUTHORIZED ||
                           hc == FH_HC_FORBIDDEN)
                    ? json_loadb(r.body, r.len, 0, &je)
                    : NULL;
    oauth_error(j, code, sizeof(code));
    switch (hc) {
    case FH_HC_OK:
        res =
            code[0] ? refusal(c, form, code, hc, why, whysize) : parse_tokens(j, out, why, whysize);
        break;
    case FH_HC_BAD_REQUEST:
    case FH_HC_UNAUTHORIZED:
    case FH_HC_FORBIDDEN:
        res = refusal(c, form, code, hc, why, whysize);
        break;
    case FH_HC_RATE_LIMITED:
    case FH_HC_SERVER:
    case FH_HC_NO_ANSWER:
        res = FH_OAUTH_TRANSIENT;
        snprintf(why, whysize, "the token endpoint did not answer usefully (%s%s%.100s)",
                 fh_http_class_name(hc), r.error[0] ? ": " : "", r.error);
        break;
    default:
        res = FH_OAUTH_REFUSED;
        snprintf(why, whysize, "the token endpoint answered HTTP %ld", r.status);
        break;
    }
    json_decref(j);
    fh_http_response_free(&r);
    return res;
}

enum fh_oauth_result fh_oauth_exchange(const struct fh_oauth_client *c, const char *code,
                                       const char *redirect_uri, const char *verifier,
                                       struct fh_oauth_tokens *out, char *why, size_t whysize)
{
    struct fh_buf f;
    fh_buf_init(&f, 16384);
    fh_buf_appendf(&f, "grant_type=authorization_code&code=");
    fh_url_encode(&f, code);
    fh_buf_appendf(&f, "&redirect_uri=");
    fh_url_encode(&f, redirect_uri);
    fh_buf_appendf(&f, "&code_verifier=");
    fh_url_encode(&f, verifier);
    form_client(&f, c);
    enum fh_oauth_result res = token_call(c, f.data, out, why, whysize);
    sodium_memzero(f.data, f.len);
    fh_buf_free(&f);
    return res;
}

enum fh_oauth_result fh_oauth_refresh(const struct fh_oauth_client *c, const char *refresh_token,
                                      struct fh_oauth_tokens *out, char *why, size_t whysize)
{
    struct fh_buf f;
    fh_buf_init(&f, 16384);
    fh_buf_appendf(&f, "grant_type=refresh_token&refresh_token=");
    fh_url_encode(&f, refresh_token);
    form_client(&f, c);
    enum fh_oauth_result res = token_call(c, f.data, out, why, whysize);
    sodium_memzero(f.data, f.len);
    fh_buf_free(&f);
    return res;
}

enum fh_rc fh_oauth_revoke(const struct fh_oauth_client *c, const char *token)
{
    struct fh_buf f;
    fh_buf_init(&f, 16384);
    fh_buf_appendf(&f, "token=");
    fh_url_encode(&f, token);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct fh_http_request rq = {.method = "POST",
                                 .url = c->revoke_url,
                                 .headers = hdrs,
                                 .body = f.data,
                                 .body_len = f.len,
                                 .basic_user = c->client_id,
                                 .basic_pass = c->client_secret,
                                 .timeout_ms = c->timeout_ms,
                                 .max_response = 64 * 1024};
    struct fh_http_response r;
    enum fh_rc rc = fh_http_call(&rq, &r);
    enum fh_http_class hc = fh_http_classify(&r);
    sodium_memzero(f.data, f.len);
    fh_buf_free(&f);
    fh_http_response_free(&r);
    if (rc != FH_OK)
        return FH_E_INPUT;
    if (hc == FH_HC_OK)
        return FH_OK;
    return hc == FH_HC_SERVER || hc == FH_HC_NO_ANSWER || hc == FH_HC_RATE_LIMITED ? FH_E_RETRY
                                                                                   : FH_ERR;
}

bool fh_jwt_claim(const char *jwt, const char *claim, char *out, size_t outsize)
{
    const char *a = jwt ? strchr(jwt, '.') : NULL;
    const char *b = a ? strchr(a + 1, '.') : NULL;
    if (!b || (size_t)(b - a) > 8192)
        return false;
    uint8_t payload[8192];
    size_t len = 0;
    if (sodium_base642bin(payload, sizeof(payload), a + 1, (size_t)(b - a - 1), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    json_error_t je;
    json_t *j = json_loadb((const char *)payload, len, 0, &je);
    const char *v = json_string_value(json_object_get(j, claim));
    bool ok = v && fh_strlcpy(out, v, outsize);
    json_decref(j);
    return ok;
}
