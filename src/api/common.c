/* common.c - small pieces shared by several handlers. */
#include "api.h"
#include "fh/fh_auth.h"

enum fh_rc fh_api_store_failed(struct fh_req *req, enum fh_rc rc, const char *what)
{
    if (rc == FH_E_RETRY)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", what);
    return fh_reply_error(req, FH_EC_INTERNAL, "%s", what);
}

enum fh_rc fh_api_start_session_or_reply(struct fh_req *req, int64_t user_id, unsigned int status)
{
    struct fh_app *app = req->app;
    char token[64], csrf[64];
    enum fh_rc rc = fh_session_create(app->store, user_id, fh_now_ms(), app->cfg->session_ttl_ms, token,
                                      sizeof(token), csrf, sizeof(csrf));
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot create a session");
    json_t *me = NULL;
    rc = fh_me_json(app->store, user_id, csrf, &me);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the account");
    fh_req_set_cookie(req, FH_SESSION_COOKIE, token, app->cfg->session_ttl_ms / 1000);
    return fh_reply_json(req, status, me);
}
