/* integrations_connect_post.c - POST /api/orgs/{org}/integrations/{uid}/connect: starts (or
 * resumes, or re-runs for Reconnect) the Xero or Zoho Books consent of an integration. Answers
 * the consent URL the browser goes to; the state in it is bound to this session and this
 * integration, expires in 10 minutes and works once. Nothing else changes until the callback. */
#include <string.h>

#include "api.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_connect_post(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    int64_t cert_id = 0;
    bool zoho = strcmp(in.type, FH_ZOHO_TYPE) == 0;
    if (strcmp(in.type, "xero") != 0 && !zoho) {
        rc = fh_reply_error(req, FH_EC_INTEGRATION_TYPE, "integration %s is of type %s", in.uid,
                            in.type);
    } else if (fh_api_integ_cert_or_reply(req, in.certificate_uid, &cert_id) != FH_OK) {
        rc = FH_ERR;
    } else {
        char *url = NULL;
        rc = zoho ? fh_zoho_connect_start(req->app, &in, req->session.token_hash, &url)
                  : fh_xero_connect_start(req->app, &in, req->session.token_hash, &url);
        if (rc != FH_OK)
            rc = fh_api_store_failed(req, rc, "cannot start the consent");
        else
            rc = fh_reply_json(req, 200, json_pack("{s:s}", "authorize_url", url));
        free(url);
    }
    fh_integ_free(&in);
    return rc;
}
