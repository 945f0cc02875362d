/* me_get.c - GET /api/me: the signed-in user, tenant, organizations with roles and
 * permissions, and the session's CSRF token. */
#include "api.h"
#include "fh/fh_auth.h"

enum fh_rc fh_api_me_get(struct fh_req *req)
{
    json_t *me = NULL;
    enum fh_rc rc = fh_me_json(req->app->store, req->session.user_id, req->session.csrf_token, &me);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc == FH_ERR ? FH_E_RETRY : rc, "cannot read the account");
    return fh_reply_json(req, 200, me);
}
