/* orgs_patch.c - PATCH /api/orgs/{org}: renames the organization (owners only). */
#include "api.h"
#include "fh/fh_json.h"

enum fh_rc fh_api_orgs_reply(struct fh_req *req, unsigned int status);

enum fh_rc fh_api_orgs_patch(struct fh_req *req)
{
    const char *name = NULL;
    struct fh_jspec spec[] = {
        {.name = "name", .type = FH_J_STRING, .min = 1, .max = 200, .out = &name},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_param p[] = {FH_PT(name), FH_PI(req->org.id)};
    int qs = fh_store_exec(req->app->store, "UPDATE organizations SET name = $1 WHERE id = $2", p, 2, NULL);
    json_decref(root);
    if (qs < 0)
        return fh_api_store_failed(req, FH_E_RETRY, "cannot rename the organization");
    return fh_api_orgs_reply(req, 200);
}
