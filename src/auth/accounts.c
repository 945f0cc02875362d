/* accounts.c - store queries for tenants, users, organizations, memberships, sessions and
 * log-in failures. Multi-step changes run in one transaction each. */
#include <string.h>

#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"

struct create_ctx {
    const struct fh_signup *s;
    int64_t now;
    int64_t user_id;
    bool email_taken;
};

/* Inserts a row with a fresh random code, trying again on the (unlikely) code collision. */
static int insert_with_code(struct fh_store *st, const char *sql, const char *prefix,
                            struct fh_param *p, size_t np, size_t code_index, int64_t *id)
{
    for (int tries = 0; tries < 5; tries++) {
        char code[16];
        fh_code_new(prefix, code, sizeof(code));
        p[code_index] = FH_PT(code);
        struct fh_rows rows;
        int qs = fh_store_exec(st, sql, p, np, &rows);
        if (qs > 0)
            *id = fh_rows_i64(&rows, 0, 0, 0);
        fh_rows_free(&rows);
        if (qs != 0)
            return qs;
    }
    return FH_QS_HARD;
}

static int create_tx(struct fh_store *st, void *cls)
{
    struct create_ctx *c = cls;
    int64_t tenant_id = 0, org_id = 0;
    struct fh_param tp[] = {FH_PNULL, FH_PT(c->s->company), FH_PI(c->now)};
    int qs = insert_with_code(st,
                              "INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3) "
                              "ON CONFLICT (code) DO NOTHING RETURNING id",
                              "TN", tp, 3, 0, &tenant_id);
    if (qs < 0)
        return qs;
    struct fh_param up[] = {FH_PI(tenant_id), FH_PT(c->s->email), FH_PT(c->s->name),
                            FH_PT(c->s->password_hash), FH_PI(c->now)};
    struct fh_rows rows;
    qs = fh_store_exec(st,
                       "INSERT INTO users (tenant_id, email, name, password_hash, created_at) "
                       "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
                       up, 5, &rows);
    c->user_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs == 0) {
        c->email_taken = true;
        return FH_QS_HARD; /* roll back the tenant */
    }
    if (qs < 0)
        return qs;
    struct fh_param op[] = {FH_PI(tenant_id), FH_PNULL, FH_PT(c->s->company), FH_PI(c->now)};
    qs = insert_with_code(st,
                          "INSERT INTO organizations (tenant_id, code, name, created_at) "
                          "VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING RETURNING id",
                          "OR", op, 4, 1, &org_id);
    if (qs < 0)
        return qs;
    struct fh_param mp[] = {FH_PI(org_id), FH_PI(c->user_id), FH_PI(c->now)};
    return fh_store_exec(st,
                         "INSERT INTO memberships (org_id, user_id, role, created_at) "
                         "VALUES ($1, $2, 'owner', $3)",
                         mp, 3, NULL);
}

enum fh_rc fh_account_create(struct fh_store *st, const struct fh_signup *s, int64_t now,
                             int64_t *user_id)
{
    struct create_ctx c = {.s = s, .now = now};
    int qs = fh_store_run_tx(st, create_tx, &c);
    if (c.email_taken)
        return FH_E_CONFLICT;
    if (qs < 0)
        return fh_qs_rc(qs);
    *user_id = c.user_id;
    return FH_OK;
}

enum fh_rc fh_session_create(struct fh_store *st, int64_t user_id, int64_t now, int64_t ttl_ms,
                             char *token, size_t tokensize, char *csrf, size_t csrfsize)
{
    char hash[65];
    fh_random_token(32, token, tokensize);
    fh_random_token(24, csrf, csrfsize);
    fh_sha256_hex(token, strlen(token), hash);
    struct fh_param p[] = {FH_PT(hash), FH_PI(user_id), FH_PT(csrf), FH_PI(now), FH_PI(now + ttl_ms)};
    int qs = fh_store_exec(st,
                           "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                           "VALUES ($1, $2, $3, $4, $5)",
                           p, 5, NULL);
    /* Expired sessions of this user are swept on every new log-in. */
    struct fh_param sp[] = {FH_PI(user_id), FH_PI(now)};
    fh_store_exec(st, "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2", sp, 2, NULL);
    return qs == 1 ? FH_OK : FH_ERR;
}

enum fh_rc fh_session_delete(struct fh_store *st, const char *token_hash)
{
    struct fh_param p[] = {FH_PT(token_hash)};
    return fh_store_exec(st, "DELETE FROM sessions WHERE token_hash = $1", p, 1, NULL) >= 0 ? FH_OK
                                                                                           : FH_ERR;
}

struct password_ctx {
    int64_t user_id;
    const char *hash, *keep;
};

static int password_tx(struct fh_store *st, void *cls)
{
    struct password_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->user_id), FH_PT(c->hash)};
    int qs = fh_store_exec(st, "UPDATE users SET password_hash = $2 WHERE id = $1", p, 2, NULL);
    if (qs <= 0)
        return qs;
    struct fh_param s[] = {FH_PI(c->user_id), FH_PT(c->keep ? c->keep : "")};
    int sq = fh_store_exec(st, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", s, 2,
                           NULL);
    return sq < 0 ? sq : qs;
}

enum fh_rc fh_password_set(struct fh_store *st, int64_t user_id, const char *hash,
                           const char *keep_token_hash)
{
    struct password_ctx c = {.user_id = user_id, .hash = hash, .keep = keep_token_hash};
    int qs = fh_store_run_tx(st, password_tx, &c);
    return qs < 0 ? FH_ERR : qs == 0 ? FH_E_NOTFOUND : FH_OK;
}

enum fh_rc fh_login_check(struct fh_store *st, const char *key, int max_failures, int64_t window_ms,
                          int64_t now)
{
    struct fh_param p[] = {FH_PT(key), FH_PI(now - window_ms)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT failures FROM login_failures WHERE key = $1 AND window_start > $2",
                           p, 2, &rows);
    int64_t failures = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return FH_ERR;
    return failures >= max_failures ? FH_E_LIMIT : FH_OK;
}

enum fh_rc fh_login_failed(struct fh_store *st, const char *key, int64_t window_ms, int64_t now)
{
    struct fh_param p[] = {FH_PT(key), FH_PI(now), FH_PI(now - window_ms)};
    int qs = fh_store_exec(
        st,
        "INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        "failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END, "
        "window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END",
        p, 3, NULL);
    return qs >= 0 ? FH_OK : FH_ERR;
}

enum fh_rc fh_login_clear(struct fh_store *st, const char *key)
{
    struct fh_param p[] = {FH_PT(key)};
    return fh_store_exec(st, "DELETE FROM login_failures WHERE key = $1", p, 1, NULL) >= 0 ? FH_OK : FH_ERR;
}

enum fh_rc fh_user_by_email(struct fh_store *st, const char *email, int64_t *id, char **hash)
{
    struct fh_param p[] = {FH_PT(email)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT id, password_hash FROM users WHERE email = $1", p, 1, &rows);
    enum fh_rc rc = qs < 0 ? FH_ERR : qs == 0 ? FH_E_NOTFOUND : FH_OK;
    if (rc == FH_OK) {
        *id = fh_rows_i64(&rows, 0, 0, 0);
        *hash = fh_strdup(fh_rows_get(&rows, 0, 1));
    }
    fh_rows_free(&rows);
    return rc;
}

enum fh_rc fh_me_json(struct fh_store *st, int64_t user_id, const char *csrf, json_t **out)
{
    struct fh_param p[] = {FH_PI(user_id)};
    struct fh_rows u, o;
    int qs = fh_store_exec(st,
                           "SELECT u.id, u.email, u.name, t.code, t.name FROM users u "
                           "JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1",
                           p, 1, &u);
    if (qs <= 0) {
        fh_rows_free(&u);
        return qs == 0 ? FH_E_NOTFOUND : FH_ERR;
    }
    qs = fh_store_exec(st,
                       "SELECT o.code, o.name, m.role FROM memberships m "
                       "JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.id",
                       p, 1, &o);
    if (qs < 0) {
        fh_rows_free(&u);
        return FH_ERR;
    }
    json_t *orgs = json_array();
    for (size_t i = 0; i < o.nrows; i++) {
        enum fh_role role = FH_ROLE_VIEWER;
        fh_role_parse(fh_rows_get(&o, i, 2), &role);
        json_array_append_new(orgs, json_pack("{s:s, s:s, s:s, s:o}", "code", fh_rows_get(&o, i, 0),
                                              "name", fh_rows_get(&o, i, 1), "role", fh_role_name(role),
                                              "permissions", fh_role_permissions_json(role)));
    }
    *out = json_pack("{s:{s:I, s:s, s:s}, s:{s:s, s:s}, s:o, s:s}", "user", "id",
                     (json_int_t)fh_rows_i64(&u, 0, 0, 0), "email", fh_rows_get(&u, 0, 1), "name",
                     fh_rows_get(&u, 0, 2), "tenant", "code", fh_rows_get(&u, 0, 3), "name",
                     fh_rows_get(&u, 0, 4), "orgs", orgs, "csrf_token", csrf);
    fh_rows_free(&u);
    fh_rows_free(&o);
    return *out ? FH_OK : FH_ERR;
}
