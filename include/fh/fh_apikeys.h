/* fh_apikeys.h - API keys of Custom Integrations and the authentication of the public API.
 *
 * A key belongs to one Custom Integration, which is linked to one certificate: invoices
 * submitted with the key are signed with that certificate and attributed to that integration.
 * The Client ID is public ("ck_" + 16 random bytes, base64url); the secret ("cs_" + 32 random
 * bytes, base64url) is returned once, at creation, and only its SHA-256 is stored. A request
 * authenticates with HTTP Basic (RFC 7617): user name = Client ID, password = secret. The key
 * is looked up on every request, so a revocation takes effect on the next one. last_used_at is
 * written at most once a minute per key. Each key has a token bucket (in memory, per process):
 * FISCALHUB_API_RATE_PER_MINUTE refill, FISCALHUB_API_RATE_BURST capacity; an empty bucket
 * answers 429 with Retry-After. docs/api/public-v1.md. */
#ifndef FH_APIKEYS_H
#define FH_APIKEYS_H

#include <jansson.h>

#include "fh/fh_http.h"

#define FH_APIKEY_MAX_ACTIVE 20  /* active keys per integration */
#define FH_APIKEY_LABEL_MAX 100  /* bytes */
#define FH_APIKEY_SECRET_SIZE 64 /* buffer for "cs_" + 43 characters */
#define FH_APIKEY_USED_EVERY_MS 60000

/* Checks the Authorization header of a FH_AUTH_API_KEY route, the key (not revoked, its
 * integration active) and the key's rate limit; fills req->apikey. On failure replies 401
 * (with WWW-Authenticate) or 429 (with Retry-After) and returns FH_ERR. */
enum fh_rc fh_apikey_auth_or_reply(struct fh_req *req);

/* Creates a key for a Custom Integration; *key (new reference) is the key object of
 * fh_apikey_list_json, secret receives the secret (shown once). FH_E_LIMIT when the integration
 * already has FH_APIKEY_MAX_ACTIVE active keys; FH_E_RETRY / FH_ERR on store failure. */
enum fh_rc fh_apikey_create(struct fh_store *st, int64_t integration_id, const char *label,
                            int64_t user_id, int64_t now, json_t **key,
                            char secret[FH_APIKEY_SECRET_SIZE]);
/* The integration's keys, newest first: [{client_id, label, status, created_at, last_used_at,
 * revoked_at}] (new reference). */
enum fh_rc fh_apikey_list_json(struct fh_store *st, int64_t integration_id, json_t **out);
/* Revokes one key of the integration (already revoked: unchanged) and returns its object.
 * FH_E_NOTFOUND for a client id that is not the integration's. */
enum fh_rc fh_apikey_revoke(struct fh_store *st, int64_t integration_id, const char *client_id,
                            int64_t now, json_t **out);
/* Revokes every active key of an integration; joins the caller's transaction. Returns the
 * statement's result (rows revoked, or FH_QS_SOFT / FH_QS_HARD). */
int fh_apikey_revoke_all(struct fh_store *st, int64_t integration_id, int64_t now);

/* ---- pieces with unit tests ---- */
/* A token bucket in units of 1/60000 token, so a refill of per_minute tokens a minute is exactly
 * per_minute units a millisecond. A new bucket (last_ms 0) starts full. */
struct fh_bucket {
    int64_t units;
    int64_t last_ms;
};
/* Takes one token at now: 0 when allowed, else the milliseconds until a token is available. */
int64_t fh_bucket_take(struct fh_bucket *b, int64_t per_minute, int64_t burst, int64_t now);
/* Parses "Basic base64(user:pass)" (scheme case-insensitive). FH_E_INPUT when malformed or a
 * part does not fit. */
enum fh_rc fh_basic_auth_parse(const char *header, char *user, size_t usersize, char *pass,
                               size_t passsize);

#endif
