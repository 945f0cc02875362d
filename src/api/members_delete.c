/* members_delete.c - DELETE /api/orgs/{org}/members/{user_id}: removes a membership. The last
 * owner cannot be removed, and only an owner may remove an owner. */
#include <string.h>

#include "api.h"

struct del_ctx {
    int64_t org_id, user_id;
    bool caller_is_owner;
    enum fh_ec fail;
};

static int del_tx(struct fh_store *st, void *cls)
{
    struct del_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->org_id), FH_PI(c->user_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2", p, 2, &rows);
    bool target_owner = qs > 0 && strcmp(fh_rows_get(&rows, 0, 0), "owner") == 0;
    fh_rows_free(&rows);
    if (qs <= 0) {
        c->fail = qs == 0 ? FH_EC_NOT_FOUND : 0;
        return FH_QS_HARD;
    }
    if (target_owner) {
        if (!c->caller_is_owner) {
            c->fail = FH_EC_AUTH_FORBIDDEN_ROLE;
            return FH_QS_HARD;
        }
        qs = fh_api_owners_locked(st, c->org_id);
        if (qs < 0)
            return qs;
        if (qs <= 1) {
            c->fail = FH_EC_MEMBER_LAST_OWNER;
            return FH_QS_HARD;
        }
    }
    return fh_store_exec(st, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", p, 2, NULL);
}

enum fh_rc fh_api_members_delete(struct fh_req *req)
{
    int64_t uid;
    if (!fh_parse_i64(fh_req_param(req, "user_id"), &uid) || uid <= 0)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "user_id must be a positive integer");
    struct del_ctx c = {.org_id = req->org.id, .user_id = uid, .caller_is_owner = req->org.role == FH_ROLE_OWNER};
    int qs = fh_store_run_tx(req->app->store, del_tx, &c);
    if (c.fail == FH_EC_NOT_FOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "user %lld is not a member", (long long)uid);
    if (c.fail == FH_EC_AUTH_FORBIDDEN_ROLE)
        return fh_reply_error(req, FH_EC_AUTH_FORBIDDEN_ROLE, "%s", "only an owner may remove an owner");
    if (c.fail == FH_EC_MEMBER_LAST_OWNER)
        return fh_reply_error(req, FH_EC_MEMBER_LAST_OWNER, "%s", "add another owner first");
    if (qs < 0)
        return fh_api_store_failed(req, FH_E_RETRY, "cannot remove the member");
    return fh_reply_empty(req, 204);
}
