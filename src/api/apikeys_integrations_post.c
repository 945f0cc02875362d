/* apikeys_integrations_post.c - POST /api/orgs/{org}/integrations for the two types without a
 * consent step (the shared handler, integrations_post.c, hands them over): "custom" (Custom
 * Integration: API keys) and "webhook" (Custom / Webhook: settings {url, headers, events}). Both
 * are active at once. A webhook's reply carries its signing secret, shown this once. Also the
 * lookup of an integration of one of these types for their own endpoints. */
#include <sodium.h>
#include <string.h>

#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_integ_typed_or_reply(struct fh_req *req, const char *type, struct fh_integ *out)
{
    if (fh_api_integ_or_reply(req, out) != FH_OK)
        return FH_ERR;
    if (strcmp(out->type, type) != 0) {
        fh_reply_error(req, FH_EC_INTEGRATION_WRONG_TYPE, "integration %s is of type %s, not %s",
                       out->uid, out->type, type);
        fh_integ_free(out);
        return FH_ERR;
    }
    return FH_OK;
}

static enum fh_rc reply_created(struct fh_req *req, const char *uid, const char *type,
                                const char *secret)
{
    json_t *o = NULL;
    enum fh_rc rc = fh_integ_list_json(req->app->store, req->org.id, uid, fh_now_ms(), &o);
    if (rc != FH_OK || !o)
        return fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc, "cannot read the integration");
    if (strcmp(type, "webhook") == 0) {
        struct fh_integ in;
        json_t *ep = NULL;
        if (fh_integ_load(req->app->store, req->org.id, uid, &in) == FH_OK) {
            fh_webhook_endpoint_json(req->app->store, in.id, &ep);
            fh_integ_free(&in);
        }
        json_object_set_new(o, "webhook", ep ? ep : json_null());
        json_object_set_new(o, "signing_secret", json_string(secret));
    }
    return fh_reply_json(req, 201, o);
}

enum fh_rc fh_api_integrations_post_own(struct fh_req *req, const char *type, const char *cert_uid,
                                        json_t *settings)
{
    struct fh_json_error err;
    if (strcmp(type, "custom") == 0 && json_object_size(settings) > 0)
        return fh_reply_error(req, FH_EC_JSON_UNKNOWN_FIELD, "unknown field settings.%.60s",
                              json_object_iter_key(json_object_iter(settings)));
    if (strcmp(type, "webhook") == 0 &&
        fh_webhook_config_check(settings, true, "settings.", &err) != FH_OK)
        return fh_reply_error(req, err.ec, "%s", err.detail);
    int64_t cert_id = 0;
    if (fh_api_integ_cert_or_reply(req, cert_uid, &cert_id) != FH_OK)
        return FH_ERR;
    char uid[16] = "", secret[FH_WEBHOOK_SECRET_SIZE] = "";
    enum fh_rc rc =
        strcmp(type, "custom") == 0
            ? fh_custom_integration_create(req->app, req->org.id, cert_id, uid)
            : fh_webhook_integration_create(req->app, req->org.id, cert_id, settings, uid, secret);
    if (rc == FH_E_LIMIT)
        return fh_api_seat_refused(req);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot create the integration");
    fh_log(FH_LOG_INFO, "integration_created", "org %s integration %s (%s)", req->org.code, uid,
           type);
    rc = reply_created(req, uid, type, secret);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}
