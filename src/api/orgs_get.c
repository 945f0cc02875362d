/* orgs_get.c - GET /api/orgs/{org}: the organization, the caller's role and permissions. */
#include "api.h"
#include "fh/fh_auth.h"

enum fh_rc fh_api_orgs_reply(struct fh_req *req, unsigned int status);

enum fh_rc fh_api_orgs_reply(struct fh_req *req, unsigned int status)
{
    struct fh_param p[] = {FH_PI(req->org.id)};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT o.code, o.name, t.code FROM organizations o "
                           "JOIN tenants t ON t.id = o.tenant_id WHERE o.id = $1",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_api_store_failed(req, FH_E_RETRY, "cannot read the organization");
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "code", fh_rows_get(&rows, 0, 0), "name",
                          fh_rows_get(&rows, 0, 1), "tenant_code", fh_rows_get(&rows, 0, 2), "role",
                          fh_role_name(req->org.role), "permissions", fh_role_permissions_json(req->org.role));
    fh_rows_free(&rows);
    return fh_reply_json(req, status, o);
}

enum fh_rc fh_api_orgs_get(struct fh_req *req)
{
    return fh_api_orgs_reply(req, 200);
}
