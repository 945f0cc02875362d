/* orgs_post.c - POST /api/orgs: creates another organization in the caller's tenant, with the
 * caller as its owner. Only a user who owns an organization of the tenant may do this. */
#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_json.h"

struct org_ctx {
    int64_t user_id, tenant_id, now;
    const char *name;
    char code[16];
    bool not_owner;
};

static int create_tx(struct fh_store *st, void *cls)
{
    struct org_ctx *c = cls;
    struct fh_param op[] = {FH_PI(c->user_id), FH_PI(c->tenant_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id "
                           "WHERE m.user_id = $1 AND o.tenant_id = $2 AND m.role = 'owner' LIMIT 1",
                           op, 2, &rows);
    fh_rows_free(&rows);
    if (qs <= 0) {
        c->not_owner = qs == 0;
        return FH_QS_HARD;
    }
    for (int tries = 0; tries < 5; tries++) {
        fh_code_new("OR", c->code, sizeof(c->code));
        struct fh_param p[] = {FH_PI(c->tenant_id), FH_PT(c->code), FH_PT(c->name), FH_PI(c->now)};
        qs = fh_store_exec(st,
                           "INSERT INTO organizations (tenant_id, code, name, created_at) VALUES ($1, $2, $3, $4) "
                           "ON CONFLICT (code) DO NOTHING RETURNING id",
                           p, 4, &rows);
        int64_t org_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
        fh_rows_free(&rows);
        if (qs < 0)
            return qs;
        if (qs == 0)
            continue;
        struct fh_param mp[] = {FH_PI(org_id), FH_PI(c->user_id), FH_PI(c->now)};
        return fh_store_exec(st,
                             "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
                             mp, 3, NULL);
    }
    return FH_QS_HARD;
}

enum fh_rc fh_api_orgs_post(struct fh_req *req)
{
    const char *name = NULL;
    struct fh_jspec spec[] = {
        {.name = "name", .type = FH_J_STRING, .min = 1, .max = 200, .out = &name},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct org_ctx c = {.user_id = req->session.user_id, .tenant_id = req->session.tenant_id,
                        .now = fh_now_ms(), .name = name};
    int qs = fh_store_run_tx(req->app->store, create_tx, &c);
    enum fh_rc rc;
    if (c.not_owner)
        rc = fh_reply_error(req, FH_EC_AUTH_FORBIDDEN_ROLE, "%s",
                            "only an owner of an organization of this tenant may create organizations");
    else if (qs < 0)
        rc = fh_api_store_failed(req, fh_qs_rc(qs), "cannot create the organization");
    else
        rc = fh_reply_json(req, 201, json_pack("{s:s, s:s, s:s, s:o}", "code", c.code, "name", name, "role",
                                               "owner", "permissions", fh_role_permissions_json(FH_ROLE_OWNER)));
    json_decref(root);
    return rc;
}
