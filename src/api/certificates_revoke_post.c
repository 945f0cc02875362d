/* certificates_revoke_post.c - POST /api/orgs/{org}/certificates/{uid}/revoke: revokes a
 * certificate for good. Its sealed PFX, password and PAC are erased, so it can never sign again,
 * and its UID cannot be uploaded to the organization again. Revoking twice answers the same. */
#include "api.h"
#include "fh/fh_cert.h"

enum fh_rc fh_api_certificates_revoke_post(struct fh_req *req)
{
    const char *uid = fh_req_param(req, "uid");
    if (!uid || !fh_cert_uid_valid(uid))
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM,
                              "uid must be 1..%d letters, digits, - or _", FH_CERT_UID_MAX);
    int64_t now = fh_now_ms();
    enum fh_rc rc = fh_cert_revoke(req->app->store, req->org.id, uid, now);
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no certificate %s in this organization", uid);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot revoke the certificate");
    json_t *list = NULL;
    rc = fh_cert_list_json(req->app->store, req->org.id, uid, now, &list);
    if (rc != FH_OK || json_array_size(list) != 1) {
        json_decref(list);
        return fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc, "cannot read the certificate");
    }
    fh_log(FH_LOG_INFO, "certificate_revoked", "org %s certificate %s", req->org.code, uid);
    json_t *item = json_incref(json_array_get(list, 0));
    json_decref(list);
    return fh_reply_json(req, 200, item);
}
