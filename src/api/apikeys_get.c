/* apikeys_get.c - GET /api/orgs/{org}/integrations/{uid}/api-keys: the API keys of a Custom
 * Integration, newest first (label, Client ID, status, created, last used, revoked; never a
 * secret). */
#include "api.h"
#include "fh/fh_apikeys.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_apikeys_get(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "custom", &in) != FH_OK)
        return FH_ERR;
    json_t *list = NULL;
    enum fh_rc rc = fh_apikey_list_json(req->app->store, in.id, &list);
    fh_integ_free(&in);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list the API keys");
    return fh_reply_json(req, 200, json_pack("{s:o}", "api_keys", list));
}
