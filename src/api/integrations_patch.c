/* integrations_patch.c - PATCH /api/orgs/{org}/integrations/{uid} {"settings": {...},
 * "certificate_uid": "..."}: changes settings (the fiscalization trigger, the tax mapping, ...;
 * given fields replace the stored ones, the rest stay) and/or the certificate the integration
 * signs with (another active, unexpired certificate of the organization: a renewal). Both in
 * one UPDATE. Invoices already received keep the certificate they were submitted with, and
 * fiscalized ones are never touched; documents refused before are looked at again when the
 * certificate changes. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

/* Whether the change gives taxes other labels: the tax mapping, the default label, or the
 * certificate (its V-SDC may define other rates). The integration's tax-mismatch warning then
 * counts only invoices signed after it (fh_integ_list_json). */
static bool tax_mapping_changed(const struct fh_integ *in, json_t *merged, int64_t cert_id)
{
    static const char *const keys[] = {"tax_mapping", "default_label"};
    if (cert_id != in->certificate_id)
        return true;
    for (size_t i = 0; merged && i < FH_ARRAY_LEN(keys); i++) {
        json_t *a = json_object_get(in->settings, keys[i]), *b = json_object_get(merged, keys[i]);
        if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
            return true;
    }
    return false;
}

/* Documents refused because of the old certificate (revoked, expired) are looked at again:
 * nothing in them would change to bring them back. Best effort (the list stays, and Look again
 * does the same). */
static void certificate_changed(struct fh_req *req, const struct fh_integ *in, const char *uid)
{
    fh_log(FH_LOG_INFO, "integration_certificate", "org %s integration %s now signs with %s",
           req->org.code, in->uid, uid);
    fh_conn_again_fn again = fh_api_integ_again_fn(in);
    int64_t queued = 0;
    if (again && fh_conn_refused_again(req->app, in, again, &queued) != FH_OK)
        fh_log(FH_LOG_WARN, "integration_certificate",
               "integration %s: cannot queue its refused documents again", in->uid);
}

enum fh_rc fh_api_integrations_patch(struct fh_req *req)
{
    json_t *settings = NULL, *root = NULL, *merged = NULL;
    const char *cert_uid = NULL;
    struct fh_jspec spec[] = {
        {.name = "settings", .type = FH_J_OBJECT, .optional = true, .out = &settings},
        {.name = "certificate_uid",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 15,
         .out = &cert_uid},
        FH_JSPEC_END,
    };
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    if (!settings && !cert_uid) {
        json_decref(root);
        return fh_reply_error(req, FH_EC_JSON_FIELD_MISSING, "%s",
                              "settings or certificate_uid is required");
    }
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK) {
        json_decref(root);
        return FH_ERR;
    }
    struct fh_json_error err;
    enum fh_rc rc = FH_OK;
    int64_t cert_id = in.certificate_id;
    if (settings && (strcmp(in.type, FH_ZOHO_TYPE) == 0
                         ? fh_zoho_settings_merge(in.settings, settings, &merged, &err)
                         : fh_integ_settings_merge(in.settings, settings, &merged, &err)) != FH_OK)
        rc = fh_reply_error(req, err.ec, "%s", err.detail);
    else if (cert_uid && fh_api_integ_cert_or_reply(req, cert_uid, &cert_id) != FH_OK)
        rc = FH_ERR;
    if (rc == FH_OK) {
        char *text = json_dumps(merged ? merged : in.settings, JSON_COMPACT | JSON_SORT_KEYS);
        struct fh_param p[] = {FH_PI(in.id), FH_PT(text), FH_PI(fh_now_ms()), FH_PI(cert_id),
                               FH_PI(tax_mapping_changed(&in, merged, cert_id))};
        int qs = fh_store_exec(req->app->store,
                               "UPDATE integrations SET settings = $2, updated_at = $3, "
                               "certificate_id = $4, tax_mapping_at = CASE WHEN $5 = 1 THEN $3 "
                               "ELSE tax_mapping_at END WHERE id = $1",
                               p, FH_ARRAY_LEN(p), NULL);
        free(text);
        if (qs > 0 && cert_id != in.certificate_id)
            certificate_changed(req, &in, cert_uid);
        rc = qs > 0 ? fh_api_integ_reply(req, 200, in.uid)
                    : fh_api_store_failed(req, qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR,
                                          "cannot change the integration");
    }
    json_decref(merged);
    fh_integ_free(&in);
    json_decref(root);
    return rc;
}
