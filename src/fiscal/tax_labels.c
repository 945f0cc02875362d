/* tax_labels.c - the tax labels a certificate's V-SDC defines now (currentTaxRates of its
 * GET /api/v3/status, cached per certificate by taxcore/cache.c), for mapping a partner's taxes
 * to labels. The certificate must be usable: its secrets open the mutual TLS connection. */
#include <stdio.h>
#include <string.h>

#include "fh/fh_cert.h"
#include "fiscal_internal.h"

enum fh_rc fh_fiscal_tax_labels(struct fh_app *app, int64_t cert_id, json_t **out, char *err,
                                size_t errsize)
{
    *out = NULL;
    struct fh_cert_secret cert;
    enum fh_rc rc = fh_cert_secret_load(app->store, app->master_key, cert_id, &cert);
    if (rc != FH_OK) {
        snprintf(err, errsize, "the certificate could not be read");
        return rc == FH_E_NOTFOUND ? FH_E_NOTFOUND : FH_E_RETRY;
    }
    if (strcmp(cert.status, "active") != 0 || !cert.pfx || cert.not_after_ms <= fh_now_ms()) {
        snprintf(err, errsize, "certificate %s is %s", cert.uid,
                 strcmp(cert.status, "active") != 0 ? cert.status : "expired");
        fh_cert_secret_free(&cert);
        return FH_E_CONFLICT;
    }
    struct fh_tc_settings tcs;
    fiscal_tc_settings(app, &tcs);
    json_t *status = NULL;
    rc = fh_tc_status_cached(&tcs, &cert, &status);
    if (rc != FH_OK) {
        snprintf(err, errsize, "the V-SDC of certificate %s did not answer its status request",
                 cert.uid);
        fh_cert_secret_free(&cert);
        return FH_E_RETRY;
    }
    fh_cert_secret_free(&cert);
    json_t *cur = json_object_get(status, "currentTaxRates");
    json_t *labels = json_array();
    size_t i, k;
    json_t *cat, *rate;
    json_array_foreach(json_object_get(cur, "taxCategories"), i, cat)
    {
        json_t *type = json_object_get(cat, "categoryType");
        json_array_foreach(json_object_get(cat, "taxRates"), k, rate)
        {
            json_t *label = json_object_get(rate, "label"), *value = json_object_get(rate, "rate");
            if (!json_is_string(label) || !json_is_number(value))
                continue;
            json_array_append_new(
                labels, json_pack("{s:O, s:O, s:O*, s:O*}", "label", label, "rate", value,
                                  "category", json_object_get(cat, "name"), "category_type",
                                  json_is_integer(type) || json_is_string(type) ? type : NULL));
        }
    }
    *out =
        json_pack("{s:o, s:O*, s:O*}", "labels", labels, "valid_from",
                  json_object_get(cur, "validFrom"), "group_id", json_object_get(cur, "groupId"));
    json_decref(status);
    return FH_OK;
}
