/* auth_logout_post.c - POST /api/auth/logout: ends the session and clears the cookie. */
#include "api.h"
#include "fh/fh_auth.h"

enum fh_rc fh_api_auth_logout_post(struct fh_req *req)
{
    enum fh_rc rc = fh_session_delete(req->app->store, req->session.token_hash);
    if (rc != FH_OK)
        return fh_api_store_failed(req, FH_E_RETRY, "cannot end the session");
    fh_req_set_cookie(req, FH_SESSION_COOKIE, NULL, 0);
    return fh_reply_empty(req, 204);
}
