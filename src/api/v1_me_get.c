/* v1_me_get.c - GET /api/v1/me: what the API key is: its Client ID, its Custom Integration, the
 * certificate that signs its invoices, the organization, and the rate limit that applies. A cheap
 * call for a client to check its credentials. */
#include "api.h"
#include "fh/fh_cert.h"

enum fh_rc fh_api_v1_me_get(struct fh_req *req)
{
    const struct fh_apikey_info *k = &req->apikey;
    json_t *certs = NULL;
    enum fh_rc rc =
        fh_cert_list_json(req->app->store, k->org_id, k->certificate_uid, fh_now_ms(), &certs);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the certificate");
    json_t *cert = json_array_get(certs, 0);
    json_t *c = cert ? json_pack("{s:O, s:O, s:O, s:O, s:O}", "uid", json_object_get(cert, "uid"),
                                 "taxpayer", json_object_get(cert, "taxpayer"), "location",
                                 json_object_get(cert, "location"), "status",
                                 json_object_get(cert, "status"), "expires_at",
                                 json_object_get(cert, "expires_at"))
                     : json_null();
    json_decref(certs);
    const struct fh_config *cfg = req->app->cfg;
    return fh_reply_json(req, 200,
                         json_pack("{s:s, s:{s:s, s:s}, s:o, s:s, s:{s:I, s:I}}", "client_id",
                                   k->client_id, "integration", "uid", k->integration_uid, "type",
                                   "custom", "certificate", c, "organization", k->org_code,
                                   "rate_limit", "per_minute",
                                   (json_int_t)(cfg ? cfg->api_rate_per_minute : 600), "burst",
                                   (json_int_t)(cfg ? cfg->api_rate_burst : 60)));
}
