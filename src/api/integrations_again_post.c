/* integrations_again_post.c - POST /api/orgs/{org}/integrations/{uid}/not-fiscalized/retry:
 * Look again. Queues a fresh look at every document of the integration fiscalhub refused (its
 * not_fiscalized list), for when the cause was fixed outside the documents: a valid certificate
 * chosen after a revoked one, a fix in fiscalhub. A document still refused stays listed with
 * its reason (and a new time); one that passes is fiscalized and leaves the list. Repeated
 * requests before those looks ran queue nothing more. 202 {"queued": n}; 400 (7000) for a
 * type that has no partner documents (Custom Integrations). */
#include <string.h>

#include "api.h"

enum fh_rc fh_api_integrations_again_post(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    fh_conn_again_fn again = fh_api_integ_again_fn(&in);
    enum fh_rc rc;
    int64_t queued = 0;
    if (!again)
        rc = fh_reply_error(req, FH_EC_INTEGRATION_TYPE,
                            "%s integrations have no partner documents to look at again",
                            in.type);
    else if ((rc = fh_conn_refused_again(req->app, &in, again, &queued)) != FH_OK)
        rc = fh_api_store_failed(req, rc, "cannot queue the documents");
    else
        rc = fh_reply_json(req, 202, json_pack("{s:I}", "queued", (json_int_t)queued));
    fh_integ_free(&in);
    return rc;
}
