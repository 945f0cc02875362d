/* fh_connector.h - what every partner connector shares: an outbound HTTP client with explicit
 * status classes, OAuth 2.0 (authorization code + PKCE S256, token exchange, refresh) with
 * tokens sealed on the integration row and refreshed single-flight, a rate governor kept in the
 * store, the webhook inbox, and job deferral. The design is in docs/internals/connectors.md. */
#ifndef FH_CONNECTOR_H
#define FH_CONNECTOR_H

#include <jansson.h>

#include "fh/fh_http.h"
#include "fh/fh_jobs.h"

/* ---- outbound HTTP (common/http.c) ---- */
#define FH_CONN_MAX_RESPONSE (8 * 1024 * 1024)

struct fh_http_request {
    const char *method;         /* "GET", "POST", "PUT", "DELETE" */
    const char *url;            /* https, or http to a loopback host only */
    const char *const *headers; /* "Name: value" lines, NULL-terminated (may be NULL) */
    const char *body;           /* may be NULL */
    size_t body_len;
    const char *basic_user; /* with basic_pass: Authorization: Basic (may be NULL) */
    const char *basic_pass;
    long timeout_ms;     /* whole call (0: 30000) */
    size_t max_response; /* 0: FH_CONN_MAX_RESPONSE */
};

struct fh_http_response {
    long status; /* 0: no HTTP answer */
    char *body;  /* owned, NUL-terminated, may be NULL */
    size_t len;
    char *headers;   /* owned: the response's header lines */
    bool too_large;  /* the answer was cut at max_response */
    char error[256]; /* why there was no answer (no secrets, no bodies) */
};

/* Explicit classes of an answer; every connector maps each one. */
enum fh_http_class {
    FH_HC_OK,           /* 2xx */
    FH_HC_BAD_REQUEST,  /* 400, 422: the request is wrong, retrying cannot help */
    FH_HC_UNAUTHORIZED, /* 401: token expired/invalid or scope missing */
    FH_HC_FORBIDDEN,    /* 403: tenant not connected / not permitted */
    FH_HC_NOT_FOUND,    /* 404 */
    FH_HC_CONFLICT,     /* 409 */
    FH_HC_RATE_LIMITED, /* 429 */
    FH_HC_SERVER,       /* 5xx, 408: transient */
    FH_HC_NO_ANSWER,    /* timeout, refused, reset, cut: transient, outcome unknown */
    FH_HC_OTHER,        /* 1xx, 3xx, other 4xx: refused */
};

/* True when url is https, or http to 127.0.0.0/8, localhost or [::1]. */
bool fh_http_url_allowed(const char *url);
/* One call. Never follows redirects; a POST/PUT body is never re-sent by libcurl on a dead
 * kept-alive connection (the read callback cannot rewind). FH_E_INPUT for a refused URL;
 * otherwise FH_OK with out filled (status 0 when no answer arrived). */
enum fh_rc fh_http_call(const struct fh_http_request *rq, struct fh_http_response *out);
void fh_http_response_free(struct fh_http_response *r);
enum fh_http_class fh_http_classify(const struct fh_http_response *r);
const char *fh_http_class_name(enum fh_http_class c);
/* The value of a response header (case-insensitive name) into out; false when absent. */
bool fh_http_header(const struct fh_http_response *r, const char *name, char *out, size_t outsize);
/* Percent-encodes s (RFC 3986 unreserved kept) onto b. */
void fh_url_encode(struct fh_buf *b, const char *s);
/* Frees the pooled handles (at shutdown). */
void fh_http_shutdown(void);

/* ---- OAuth 2.0 (common/oauth2.c) ---- */
#define FH_PKCE_VERIFIER_LEN 43

/* A new random verifier (43 characters of [A-Za-z0-9_-]) and its S256 challenge. */
void fh_pkce_new(char verifier[FH_PKCE_VERIFIER_LEN + 1], char challenge[FH_PKCE_VERIFIER_LEN + 1]);
/* BASE64URL(SHA-256(verifier)) without padding into out (>= 44 bytes). */
void fh_pkce_challenge(const char *verifier, char *out, size_t outsize);

struct fh_oauth_client {
    const char *authorize_url, *token_url, *revoke_url;
    const char *client_id, *client_secret; /* secret NULL: a PKCE-only public client */
    const char *scopes;
    long timeout_ms;
};
/* The consent URL (caller frees). */
char *fh_oauth_authorize_url(const struct fh_oauth_client *c, const char *redirect_uri,
                             const char *state, const char *challenge);

struct fh_oauth_tokens {
    char *access_token, *refresh_token; /* owned; wipe with fh_oauth_tokens_free */
    int64_t expires_in_s;
    char scope[512];
};
void fh_oauth_tokens_free(struct fh_oauth_tokens *t);

enum fh_oauth_result {
    FH_OAUTH_OK,
    FH_OAUTH_INVALID_GRANT, /* the code or refresh token is refused for good: re-consent */
    FH_OAUTH_REFUSED,       /* invalid_client, unauthorized_client, ...: configuration */
    FH_OAUTH_TRANSIENT,     /* no answer, 5xx, 429, unreadable answer: try again later */
};
/* grant_type=authorization_code with the PKCE verifier. why: a sentence for people. */
enum fh_oauth_result fh_oauth_exchange(const struct fh_oauth_client *c, const char *code,
                                       const char *redirect_uri, const char *verifier,
                                       struct fh_oauth_tokens *out, char *why, size_t whysize);
enum fh_oauth_result fh_oauth_refresh(const struct fh_oauth_client *c, const char *refresh_token,
                                      struct fh_oauth_tokens *out, char *why, size_t whysize);
/* POST token=<token> to the revocation endpoint; FH_OK on 200. */
enum fh_rc fh_oauth_revoke(const struct fh_oauth_client *c, const char *token);
/* One claim (string) of a JWT's payload, unverified (routing hints only); false if absent. */
bool fh_jwt_claim(const char *jwt, const char *claim, char *out, size_t outsize);

/* ---- tokens on the integration row, refreshed single-flight (common/tokens.c) ---- */
struct fh_conn_token {
    char *access_token; /* owned; wipe with fh_conn_token_free */
    int64_t version;    /* token_version it belongs to */
    char tenant_id[64];
};
void fh_conn_token_free(struct fh_conn_token *t);

enum fh_token_result {
    FH_TOKEN_OK,
    FH_TOKEN_INACTIVE, /* the integration is not active (removed, inactive, pending) */
    FH_TOKEN_WAIT,     /* someone else is refreshing, or the partner is down: *retry_at */
    FH_TOKEN_ERROR,    /* store failure */
};
/* Stores a fresh token pair (consent): sealed, version + 1, lease cleared. Joins a transaction. */
enum fh_rc fh_conn_tokens_store(struct fh_app *app, int64_t integration_id,
                                const struct fh_oauth_tokens *t, int64_t now);
/* A usable access token of the integration. When it is due (or stale_version >= 0 and the token
 * of that version was refused), exactly one caller across threads and processes refreshes:
 * it holds the row's refresh lease, calls the token endpoint, and commits the rotated refresh
 * token with the new access token before anyone uses it. Others wait for the new version.
 * invalid_grant makes the integration inactive with the reason. */
enum fh_token_result fh_conn_token_get(struct fh_app *app, const struct fh_oauth_client *oc,
                                       int64_t integration_id, int64_t stale_version,
                                       struct fh_conn_token *out, int64_t *retry_at);
/* Marks an active integration inactive with a reason for people (FH_OK when it changed). */
enum fh_rc fh_conn_deactivate(struct fh_store *st, int64_t integration_id, const char *reason,
                              int64_t now);

/* ---- rate governor (common/governor.c) ---- */
struct fh_gov_limits {
    int64_t minute, day, app_minute, concurrent;
    int64_t time_scale; /* divides the windows (sandbox time scale) */
};
/* A reserved call; release it after the call (concurrency is per process). */
struct fh_gov_ticket {
    char scope[80];
    bool held;
};
/* Reserves one call for (partner, tenant): FH_OK, or FH_E_RETRY with *wait_until (Unix ms) the
 * earliest time a call may be made. FH_ERR on store failure. */
enum fh_rc fh_gov_acquire(struct fh_store *st, const char *partner, const char *tenant,
                          const struct fh_gov_limits *l, int64_t now, int64_t *wait_until,
                          struct fh_gov_ticket *t);
void fh_gov_release(struct fh_gov_ticket *t);
/* Reads the answer's X-*Limit-Remaining headers and, on 429, Retry-After and
 * X-Rate-Limit-Problem, and blocks the windows they name. Returns the wait (ms) a 429 asks. */
int64_t fh_gov_observe(struct fh_store *st, const char *partner, const char *tenant,
                       const struct fh_gov_limits *l, const struct fh_http_response *r,
                       int64_t now);

/* ---- webhook inbox (common/inbox.c) ---- */
struct fh_inbox_event {
    const char *tenant_id, *category, *event_type, *resource_id, *event_at;
};
/* In one transaction: the events as inbox rows and one processing job (kind, unique key from
 * the first row id). FH_OK only once committed. */
enum fh_rc fh_inbox_commit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind);

/* ---- jobs that wait (common/defer.c) ---- */
/* Re-enqueues job as a successor due at run_at (same kind, payload - or new_payload when not
 * NULL, borrowed - with "defer" counted up, key "<key>~<n>"), so the caller can complete this
 * run: a wait costs no attempt. Idempotent when the run is repeated. */
enum fh_rc fh_job_defer(struct fh_app *app, const struct fh_job *job, json_t *new_payload,
                        int64_t run_at);

#endif
