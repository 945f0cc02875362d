/* integrations_test_post.c - POST /api/orgs/{org}/integrations/{uid}/test: Test Connection.
 * One read-only partner call (Xero: GET Organisation), made synchronously; credential, scope,
 * organisation and rate-limit problems come back in words: {"ok": bool, "message"}. */
#include <string.h>

#include "api.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_test_post(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    bool ok = false;
    char msg[600];
    if (strcmp(in.type, "xero") == 0)
        fh_xero_test(req->app, &in, &ok, msg, sizeof(msg));
    else if (strcmp(in.type, FH_ZOHO_TYPE) == 0)
        fh_zoho_test(req->app, &in, &ok, msg, sizeof(msg));
    else
        snprintf(msg, sizeof(msg), "Test Connection is not available for %s integrations.",
                 in.type);
    fh_integ_free(&in);
    return fh_reply_json(req, 200, json_pack("{s:b, s:s}", "ok", ok, "message", msg));
}
