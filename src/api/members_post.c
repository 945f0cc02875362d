/* members_post.c - POST /api/orgs/{org}/members: gives a person a role in the organization.
 * A user of the same tenant is added as is; a new email creates a user in the organization's
 * tenant with the name and initial password given (self-hosted installs have no mail server to
 * send invitations through). An email registered in another tenant is refused, so a user
 * always belongs to exactly one tenant. Only an owner may grant the owner role. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"

static const char *const roles[] = {"viewer", "member", "admin", "owner", NULL};

struct add_ctx {
    int64_t org_id, tenant_id, now;
    const char *email, *name, *hash, *role;
    int64_t user_id;
    enum fh_ec fail; /* 0: ok */
    char *user_name;
};

static int add_tx(struct fh_store *st, void *cls)
{
    struct add_ctx *c = cls;
    struct fh_param up[] = {FH_PT(c->email)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT id, tenant_id, name FROM users WHERE email = $1", up, 1, &rows);
    if (qs < 0)
        return qs;
    if (qs > 0) {
        c->user_id = fh_rows_i64(&rows, 0, 0, 0);
        int64_t tenant = fh_rows_i64(&rows, 0, 1, 0);
        free(c->user_name);
        c->user_name = fh_strdup(fh_rows_get(&rows, 0, 2));
        fh_rows_free(&rows);
        if (tenant != c->tenant_id) {
            c->fail = FH_EC_AUTH_EMAIL_TAKEN;
            return FH_QS_HARD;
        }
    } else {
        fh_rows_free(&rows);
        if (!c->hash || !c->name) {
            c->fail = FH_EC_JSON_FIELD_MISSING;
            return FH_QS_HARD;
        }
        struct fh_param ip[] = {FH_PI(c->tenant_id), FH_PT(c->email), FH_PT(c->name), FH_PT(c->hash),
                                FH_PI(c->now)};
        qs =
            fh_store_exec(st,
                          "INSERT INTO users (tenant_id, email, name, password_hash, created_at) "
                          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
                          ip, 5, &rows);
        c->user_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
        fh_rows_free(&rows);
        if (qs == 0) /* a concurrent request made the user: the retry finds it */
            return FH_QS_SOFT;
        if (qs < 0)
            return qs;
        free(c->user_name);
        c->user_name = fh_strdup(c->name);
    }
    struct fh_param mp[] = {FH_PI(c->org_id), FH_PI(c->user_id), FH_PT(c->role), FH_PI(c->now)};
    qs = fh_store_exec(st,
                       "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) "
                       "ON CONFLICT (org_id, user_id) DO NOTHING",
                       mp, 4, NULL);
    if (qs == 0) {
        c->fail = FH_EC_MEMBER_EXISTS;
        return FH_QS_HARD;
    }
    return qs;
}

static enum fh_rc add_member_or_reply(struct fh_req *req, struct add_ctx *c)
{
    int qs = fh_store_run_tx(req->app->store, add_tx, c);
    switch (c->fail) {
    case FH_EC_AUTH_EMAIL_TAKEN:
        return fh_reply_error(req, FH_EC_AUTH_EMAIL_TAKEN, "%s belongs to another tenant", c->email);
    case FH_EC_JSON_FIELD_MISSING:
        return fh_reply_error(req, FH_EC_JSON_FIELD_MISSING, "%s",
                              "name and password are required for a new user");
    case FH_EC_MEMBER_EXISTS:
        return fh_reply_error(req, FH_EC_MEMBER_EXISTS, "%s is already a member", c->email);
    default:
        break;
    }
    if (qs < 0)
        return fh_api_store_failed(req, fh_qs_rc(qs), "cannot add the member");
    return fh_reply_json(req, 201, json_pack("{s:I, s:s, s:s, s:s}", "user_id", (json_int_t)c->user_id,
                                             "email", c->email, "name", c->user_name, "role", c->role));
}

enum fh_rc fh_api_members_post(struct fh_req *req)
{
    const char *email = NULL, *role_s = NULL, *name = NULL, *password = NULL;
    struct fh_jspec spec[] = {
        {.name = "email", .type = FH_J_STRING, .min = 1, .max = 254, .out = &email},
        {.name = "role", .type = FH_J_ENUM, .choices = roles, .out = &role_s},
        {.name = "name", .type = FH_J_STRING, .optional = true, .min = 1, .max = 100, .out = &name},
        {.name = "password", .type = FH_J_STRING, .optional = true, .min = 10, .max = 200, .out = &password},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    enum fh_role role = FH_ROLE_VIEWER;
    fh_role_parse(role_s, &role);
    char norm[256], hash[128];
    struct add_ctx c = {.org_id = req->org.id, .tenant_id = req->org.tenant_id, .now = fh_now_ms(),
                        .email = norm, .name = name, .role = role_s};
    if (!fh_email_normalize(email, norm, sizeof(norm))) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "email is not a valid address");
        goto out;
    }
    if (role == FH_ROLE_OWNER && req->org.role != FH_ROLE_OWNER) {
        rc = fh_reply_error(req, FH_EC_AUTH_FORBIDDEN_ROLE, "%s", "only an owner may grant the owner role");
        goto out;
    }
    if (password) {
        if (fh_password_hash(password, hash, sizeof(hash)) != FH_OK) {
            rc = fh_reply_error(req, FH_EC_INTERNAL, "%s", "password hashing failed");
            goto out;
        }
        c.hash = hash;
    }
    rc = add_member_or_reply(req, &c);
out:
    free(c.user_name);
    json_decref(root);
    return rc;
}
