/* fh_auth.h - accounts (users, tenants, organizations, memberships), sessions, CSRF, roles and
 * log-in rate limiting. Session tokens are random and stored only as SHA-256 hashes. */
#ifndef FH_AUTH_H
#define FH_AUTH_H

#include <jansson.h>

#include "fh/fh_http.h"

#define FH_SESSION_COOKIE "fh_session"

/* Checks the route's auth class for req: session cookie, CSRF header on unsafe methods,
 * organization membership and permission. Fills req->session / req->org. On failure replies
 * (401, 403, 404) and returns FH_ERR. */
enum fh_rc fh_auth_request_or_reply(struct fh_req *req);

const char *fh_role_name(enum fh_role role);
bool fh_role_parse(const char *s, enum fh_role *out);
bool fh_role_has(enum fh_role role, enum fh_perm perm);
/* JSON array of the permission names the role grants (new reference). */
json_t *fh_role_permissions_json(enum fh_role role);

/* Lowercases and checks an email address; false when it is not plausible. */
bool fh_email_normalize(const char *in, char *out, size_t outsize);

/* Human-readable code "<prefix>-XXXXXX" from an unambiguous alphabet (no 0/O, 1/I/L). */
void fh_code_new(const char *prefix, char *out, size_t outsize);

struct fh_signup {
    const char *email; /* normalized */
    const char *password_hash;
    const char *name;
    const char *company;
};
/* Creates tenant, user, organization and owner membership in one transaction.
 * FH_E_CONFLICT: the email is taken (nothing written). */
enum fh_rc fh_account_create(struct fh_store *st, const struct fh_signup *s, int64_t now,
                             int64_t *user_id);

/* Creates a session; token (the cookie value) and csrf are written to the out buffers
 * (>= 64 bytes each). */
enum fh_rc fh_session_create(struct fh_store *st, int64_t user_id, int64_t now, int64_t ttl_ms,
                             char *token, size_t tokensize, char *csrf, size_t csrfsize);
enum fh_rc fh_session_delete(struct fh_store *st, const char *token_hash);
/* Gives user_id the password hash and ends every session of theirs but keep_token_hash's (NULL:
 * all), in one transaction. FH_E_NOTFOUND: no such user. */
enum fh_rc fh_password_set(struct fh_store *st, int64_t user_id, const char *hash,
                           const char *keep_token_hash);

/* Log-in rate limiting: FH_E_LIMIT when key has too many failures in the current window. */
enum fh_rc fh_login_check(struct fh_store *st, const char *key, int max_failures, int64_t window_ms,
                          int64_t now);
enum fh_rc fh_login_failed(struct fh_store *st, const char *key, int64_t window_ms, int64_t now);
enum fh_rc fh_login_clear(struct fh_store *st, const char *key);

/* Looks up a user for log-in: id and password hash (caller frees *hash). FH_E_NOTFOUND. */
enum fh_rc fh_user_by_email(struct fh_store *st, const char *email, int64_t *id, char **hash);

/* The "me" object of docs/api/portal.md for user_id (new reference), csrf included. */
enum fh_rc fh_me_json(struct fh_store *st, int64_t user_id, const char *csrf, json_t **out);

#endif
