/* integrations_tenants_get.c - GET /api/orgs/{org}/integrations/{uid}/tenants: the Xero
 * organisations the last consent authorized (when there were several, for the user to pick one)
 * and the one selected. */
#include "api.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_integrations_tenants_get(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    json_t *list = json_array();
    size_t i;
    json_t *te;
    json_array_foreach(in.tenants, i, te) json_array_append_new(
        list, json_pack("{s:O, s:O}", "tenant_id", json_object_get(te, "tenant_id"), "name",
                        json_object_get(te, "name")));
    json_t *sel = in.tenant_id[0]
                      ? json_pack("{s:s, s:s}", "tenant_id", in.tenant_id, "name", in.tenant_name)
                      : json_null();
    fh_integ_free(&in);
    return fh_reply_json(req, 200, json_pack("{s:o, s:o}", "tenants", list, "selected", sel));
}
