/* integrations_tax_mapping_get.c - GET /api/orgs/{org}/integrations/{uid}/tax-mapping: what the
 * portal's Tax mapping dialog needs: the partner's taxes (Xero's tax rates, Zoho Books' taxes;
 * one read-only partner call), the labels the V-SDC of the integration's certificate defines
 * now (its cached status), and the mapping and default label in force. */
#include <string.h>

#include "api.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_tax_mapping_get(struct fh_req *req)
{
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK)
        return FH_ERR;
    bool xero = strcmp(in.type, "xero") == 0, zoho = strcmp(in.type, FH_ZOHO_TYPE) == 0;
    enum fh_rc rc;
    if (!xero && !zoho) {
        rc = fh_reply_error(req, FH_EC_INTEGRATION_TYPE,
                            "a tax mapping belongs to Xero and Zoho Books integrations, not to %s",
                            in.type);
        fh_integ_free(&in);
        return rc;
    }
    char msg[600];
    json_t *vsdc = NULL, *taxes = NULL;
    rc = fh_fiscal_tax_labels(req->app, in.certificate_id, &vsdc, msg, sizeof(msg));
    if (rc != FH_OK) {
        enum fh_ec ec = rc == FH_E_CONFLICT   ? FH_EC_FISCAL_CERT_INACTIVE
                        : rc == FH_E_NOTFOUND ? FH_EC_INTEGRATION_CERT
                                              : FH_EC_FISCAL_VSDC_UNREACHABLE;
        fh_integ_free(&in);
        return fh_reply_error(req, ec, "%s", msg);
    }
    rc = xero ? fh_xero_taxes(req->app, &in, &taxes, msg, sizeof(msg))
              : fh_zoho_taxes(req->app, &in, &taxes, msg, sizeof(msg));
    if (rc != FH_OK) {
        json_decref(vsdc);
        fh_integ_free(&in);
        return fh_reply_error(
            req, rc == FH_E_CONFLICT ? FH_EC_INTEGRATION_STATE : FH_EC_PARTNER_UNREACHABLE, "%s",
            msg);
    }
    json_t *mapping = json_object_get(in.settings, "tax_mapping");
    json_t *label = json_object_get(in.settings, "default_label");
    json_object_set_new(vsdc, "partner_taxes", taxes);
    json_object_set_new(vsdc, "tax_mapping",
                        json_is_object(mapping) ? json_deep_copy(mapping) : json_object());
    json_object_set_new(vsdc, "default_label",
                        json_is_string(label) ? json_copy(label) : json_string("A"));
    fh_integ_free(&in);
    return fh_reply_json(req, 200, vsdc);
}
