/* members_patch.c - PATCH /api/orgs/{org}/members/{user_id}: changes a member's role. Only an
 * owner may give the owner role or take it away, and the last owner keeps it. */
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_json.h"

static const char *const roles[] = {"viewer", "member", "admin", "owner", NULL};

struct role_ctx {
    int64_t org_id, user_id;
    const char *role;
    bool caller_is_owner;
    enum fh_ec fail;
    json_t *member;
};

/* With the target's current role read: whether the change may go ahead (c->fail set if not). */
static int allowed(struct fh_store *st, struct role_ctx *c, bool target_owner)
{
    bool to_owner = strcmp(c->role, "owner") == 0;
    if (target_owner == to_owner)
        return 1;
    if (!c->caller_is_owner) {
        c->fail = FH_EC_AUTH_FORBIDDEN_ROLE;
        return 0;
    }
    if (!target_owner)
        return 1;
    int qs = fh_api_owners_locked(st, c->org_id);
    if (qs >= 0 && qs <= 1) {
        c->fail = FH_EC_MEMBER_LAST_OWNER;
        return 0;
    }
    return qs < 0 ? qs : 1;
}

static int role_tx(struct fh_store *st, void *cls)
{
    struct role_ctx *c = cls;
    c->fail = 0;
    json_decref(c->member);
    c->member = NULL;
    struct fh_param p[] = {FH_PI(c->org_id), FH_PI(c->user_id), FH_PT(c->role)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        fh_store_sql(st, "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2",
                     "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 FOR UPDATE"),
        p, 2, &rows);
    bool target_owner = qs > 0 && strcmp(fh_rows_get(&rows, 0, 0), "owner") == 0;
    fh_rows_free(&rows);
    if (qs == 0)
        c->fail = FH_EC_NOT_FOUND;
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    int aq = allowed(st, c, target_owner);
    if (aq <= 0)
        return aq < 0 ? aq : FH_QS_HARD;
    qs = fh_store_exec(st, "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2", p,
                       3, NULL);
    if (qs < 0)
        return qs;
    qs = fh_store_exec(st,
                       "SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON "
                       "u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2",
                       p, 2, &rows);
    if (qs > 0)
        c->member =
            json_pack("{s:I, s:s, s:s, s:s}", "user_id", (json_int_t)fh_rows_i64(&rows, 0, 0, 0),
                      "email", fh_rows_get(&rows, 0, 1), "name", fh_rows_get(&rows, 0, 2), "role",
                      fh_rows_get(&rows, 0, 3));
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_api_members_patch(struct fh_req *req)
{
    int64_t uid;
    if (!fh_parse_i64(fh_req_param(req, "user_id"), &uid) || uid <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s",
                              "user_id must be a positive integer");
    const char *role = NULL;
    struct fh_jspec spec[] = {
        {.name = "role", .type = FH_J_ENUM, .choices = roles, .out = &role},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct role_ctx c = {.org_id = req->org.id,
                         .user_id = uid,
                         .role = role,
                         .caller_is_owner = req->org.role == FH_ROLE_OWNER};
    int qs = fh_store_run_tx(req->app->store, role_tx, &c);
    enum fh_rc rc;
    if (c.fail == FH_EC_NOT_FOUND)
        rc = fh_reply_error(req, FH_EC_NOT_FOUND, "user %lld is not a member", (long long)uid);
    else if (c.fail == FH_EC_AUTH_FORBIDDEN_ROLE)
        rc = fh_reply_error(req, FH_EC_AUTH_FORBIDDEN_ROLE, "%s",
                            "only an owner may give or take away the owner role");
    else if (c.fail == FH_EC_MEMBER_LAST_OWNER)
        rc = fh_reply_error(req, FH_EC_MEMBER_LAST_OWNER, "%s", "add another owner first");
    else if (qs < 0 || !c.member)
        rc = fh_api_store_failed(req, FH_E_RETRY, "cannot change the role");
    else
        rc = fh_reply_json(req, 200, json_incref(c.member));
    json_decref(c.member);
    json_decref(root);
    return rc;
}
