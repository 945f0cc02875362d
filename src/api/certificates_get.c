/* certificates_get.c - GET /api/orgs/{org}/certificates: the organization's taxpayer
 * certificates, public fields only (never the PFX, password or PAC). */
#include "api.h"
#include "fh/fh_cert.h"

enum fh_rc fh_api_certificates_get(struct fh_req *req)
{
    json_t *list = NULL;
    enum fh_rc rc = fh_cert_list_json(req->app->store, req->org.id, NULL, fh_now_ms(), &list);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list certificates");
    return fh_reply_json(req, 200, json_pack("{s:o}", "certificates", list));
}
