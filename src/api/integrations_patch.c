/* integrations_patch.c - PATCH /api/orgs/{org}/integrations/{uid} {"settings": {...}}: changes
 * settings (the fiscalization trigger, the tax mapping, ...). Given fields replace the stored
 * ones; the rest stay. Invoices already fiscalized are never touched. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integrations_patch(struct fh_req *req)
{
    json_t *settings = NULL, *root = NULL, *merged = NULL;
    struct fh_jspec spec[] = {
        {.name = "settings", .type = FH_J_OBJECT, .out = &settings},
        FH_JSPEC_END,
    };
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_integ in;
    if (fh_api_integ_or_reply(req, &in) != FH_OK) {
        json_decref(root);
        return FH_ERR;
    }
    struct fh_json_error err;
    enum fh_rc rc;
    if ((strcmp(in.type, FH_ZOHO_TYPE) == 0
             ? fh_zoho_settings_merge(in.settings, settings, &merged, &err)
             : fh_integ_settings_merge(in.settings, settings, &merged, &err)) != FH_OK) {
        rc = fh_reply_error(req, err.ec, "%s", err.detail);
    } else {
        char *text = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
        struct fh_param p[] = {FH_PI(in.id), FH_PT(text), FH_PI(fh_now_ms())};
        int qs = fh_store_exec(
            req->app->store, "UPDATE integrations SET settings = $2, updated_at = $3 WHERE id = $1",
            p, 3, NULL);
        free(text);
        rc = qs > 0 ? fh_api_integ_reply(req, 200, in.uid)
                    : fh_api_store_failed(req, qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR,
                                          "cannot change the settings");
    }
    json_decref(merged);
    fh_integ_free(&in);
    json_decref(root);
    return rc;
}
