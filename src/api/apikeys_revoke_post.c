/* apikeys_revoke_post.c - POST /api/orgs/{org}/integrations/{uid}/api-keys/{client_id}/revoke:
 * revokes a key for good; the next request made with it gets 401. Revoking twice answers the
 * same object (the first revoked_at). */
#include <string.h>

#include "api.h"
#include "fh/fh_apikeys.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_apikeys_revoke_post(struct fh_req *req)
{
    const char *client_id = fh_req_param(req, "client_id");
    if (!client_id || strlen(client_id) < 4 || strlen(client_id) > 47 ||
        !fh_starts_with(client_id, "ck_"))
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "client_id must look like ck_...");
    struct fh_integ in;
    if (fh_api_integ_typed_or_reply(req, "custom", &in) != FH_OK)
        return FH_ERR;
    json_t *key = NULL;
    enum fh_rc rc = fh_apikey_revoke(req->app->store, in.id, client_id, fh_now_ms(), &key);
    if (rc == FH_E_NOTFOUND) {
        rc = fh_reply_error(req, FH_EC_NOT_FOUND, "no API key %.47s in integration %s", client_id,
                            in.uid);
    } else if (rc != FH_OK) {
        rc = fh_api_store_failed(req, rc, "cannot revoke the API key");
    } else {
        fh_log(FH_LOG_INFO, "api_key_revoked", "org %s integration %s key %.47s", req->org.code,
               in.uid, client_id);
        rc = fh_reply_json(req, 200, key);
    }
    fh_integ_free(&in);
    return rc;
}
