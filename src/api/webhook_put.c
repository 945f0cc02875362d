/* webhook_put.c - PUT /api/orgs/{org}/integrations/{uid}/webhook: changes the endpoint of a
 * Custom / Webhook integration (the Configure dialog). Each of url, events and headers is
 * replaced when given and kept when left out; in headers, a value of null keeps the stored value
 * of that header, so the dialog can change one header without knowing the others' values. */
#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_webhook_put(struct fh_req *req)
{
    struct fh_json_error err = {0};
    const char *ct = fh_req_header(req, "Content-Type");
    if (!ct || !fh_starts_with(ct, "application/json"))
        return fh_reply_error(req, FH_EC_CONTENT_TYPE, "Content-Type is %s", ct ? ct : "missing");
    json_t *root = NULL;
    if (fh_json_parse(req->body.data ? req->body.data : "", req->body.len, &root, &err) != FH_OK)
        return fh_reply_error(req, err.ec, "%s", err.detail);
    enum fh_rc rc;
    struct fh_integ in = {0};
    if (!json_is_object(root)) {
        rc = fh_reply_error(req, FH_EC_JSON_NOT_OBJECT, "%s", "the body must be a JSON object");
    } else if (fh_webhook_config_check(root, false, "", &err) != FH_OK) {
        rc = fh_reply_error(req, err.ec, "%s", err.detail);
    } else if (fh_api_integ_typed_or_reply(req, "webhook", &in) != FH_OK) {
        rc = FH_ERR;
    } else {
        rc = fh_webhook_update(req->app, in.id, root, &err);
        json_t *o = NULL;
        if (rc == FH_E_INPUT)
            rc = fh_reply_error(req, err.ec, "%s", err.detail);
        else if (rc == FH_OK && fh_webhook_endpoint_json(req->app->store, in.id, &o) == FH_OK)
            rc = fh_reply_json(req, 200, o);
        else
            rc = fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc, "cannot change the endpoint");
        if (rc == FH_OK)
            fh_log(FH_LOG_INFO, "webhook_changed", "org %s integration %s", req->org.code, in.uid);
        fh_integ_free(&in);
    }
    json_decref(root);
    return rc;
}
