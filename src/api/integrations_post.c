/* integrations_post.c - POST /api/orgs/{org}/integrations: starts an integration setup. The
 * integration is "pending" until its consent is given (POST .../connect, then the OAuth
 * callback). It is tied to one of the organization's active certificates, which signs its
 * invoices. Also the lookup shared by the other integration endpoints. */
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_billing.h"
#include "fh/fh_cert.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_integ_or_reply(struct fh_req *req, struct fh_integ *out)
{
    const char *uid = fh_req_param(req, "uid");
    if (!uid || strlen(uid) > 15)
        return fh_reply_error(req, FH_EC_BAD_PATH_PARAM, "%s", "uid must look like IN-XXXXXX"),
               FH_ERR;
    enum fh_rc rc = fh_integ_load(req->app->store, req->org.id, uid, out);
    if (rc == FH_OK && strcmp(out->status, "removed") == 0) {
        fh_integ_free(out);
        rc = FH_E_NOTFOUND;
    }
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no integration %s in this organization", uid),
               FH_ERR;
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the integration"), FH_ERR;
    return FH_OK;
}

fh_conn_again_fn fh_api_integ_again_fn(const struct fh_integ *in)
{
    if (strcmp(in->type, "xero") == 0)
        return fh_xero_look_again;
    if (strcmp(in->type, FH_ZOHO_TYPE) == 0)
        return fh_zoho_look_again;
    return NULL;
}

enum fh_rc fh_api_integ_reply(struct fh_req *req, unsigned int status, const char *uid)
{
    json_t *o = NULL;
    enum fh_rc rc = fh_integ_list_json(req->app->store, req->org.id, uid, fh_now_ms(), &o);
    if (rc != FH_OK || !o)
        return fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc, "cannot read the integration");
    return fh_reply_json(req, status, o);
}

/* The certificate must be the organization's, active and not expired. */
enum fh_rc fh_api_integ_cert_or_reply(struct fh_req *req, const char *cert_uid, int64_t *cert_id)
{
    if (!cert_uid || !fh_cert_uid_valid(cert_uid))
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                              "certificate_uid must be 1 to 15 letters, digits, '-' or '_'"),
               FH_ERR;
    json_t *list = NULL;
    enum fh_rc rc = fh_cert_list_json(req->app->store, req->org.id, cert_uid, fh_now_ms(), &list);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the certificate"), FH_ERR;
    const char *st = json_string_value(json_object_get(json_array_get(list, 0), "status"));
    char status[16] = "";
    fh_strlcpy(status, st ? st : "", sizeof(status)); /* st lives in list */
    bool found = st != NULL, active = found && strcmp(status, "active") == 0;
    json_decref(list);
    if (!found)
        return fh_reply_error(req, FH_EC_FISCAL_CERT_UNKNOWN,
                              "no certificate %s in this organization", cert_uid),
               FH_ERR;
    if (!active)
        return fh_reply_error(req, FH_EC_INTEGRATION_CERT, "certificate %s is %s", cert_uid,
                              status),
               FH_ERR;
    rc = fh_cert_find(req->app->store, req->org.id, cert_uid, cert_id);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the certificate"), FH_ERR;
    return FH_OK;
}

struct insert_ctx {
    const struct fh_config *cfg;
    int64_t org_id, cert_id, now;
    const char *type, *settings;
    char uid[16];
    enum fh_ec refused; /* no seat was free (the insert did not happen) */
};

static int insert_tx(struct fh_store *st, void *cls)
{
    struct insert_ctx *c = cls;
    int sq = fh_billing_seat_claim_tx(st, c->cfg, c->org_id, &c->refused);
    if (sq <= 0)
        return sq;
    fh_code_new("IN", c->uid, sizeof(c->uid));
    struct fh_param p[] = {FH_PI(c->org_id), FH_PT(c->uid),     FH_PT(c->type),
                           FH_PI(c->now),    FH_PI(c->cert_id), FH_PT(c->settings)};
    return fh_store_exec(
        st,
        "INSERT INTO integrations (org_id, uid, type, status, created_at, "
        "certificate_id, settings, updated_at, sync_tier) VALUES ($1, $2, $3, "
        "'pending', $4, $5, $6, $4, " FH_SYNC_TIER_SQL("$1") ") "
                                                             "ON CONFLICT (uid) DO NOTHING",
        p, FH_ARRAY_LEN(p), NULL);
}

enum fh_rc fh_api_integrations_post(struct fh_req *req)
{
    static const char *const types[] = {"xero", "zoho_books", "webhook", "custom", NULL};
    const char *type = NULL, *cert_uid = NULL;
    json_t *settings = NULL, *root = NULL;
    struct fh_jspec spec[] = {
        {.name = "type", .type = FH_J_ENUM, .choices = types, .out = &type},
        {.name = "certificate_uid", .type = FH_J_STRING, .min = 1, .max = 15, .out = &cert_uid},
        {.name = "settings", .type = FH_J_OBJECT, .optional = true, .out = &settings},
        FH_JSPEC_END,
    };
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    json_t *merged = NULL;
    int64_t cert_id = 0;
    /* every type takes a seat: refused (402, nothing created) when none is free; the insert's
     * transaction checks again, so a concurrent creation cannot take the same seat */
    if (fh_billing_seat_check_or_reply(req) != FH_OK) {
        json_decref(root);
        return FH_ERR;
    }
    if (strcmp(type, "custom") == 0 || strcmp(type, "webhook") == 0) { /* no consent step */
        rc = fh_api_integrations_post_own(req, type, cert_uid, settings);
        goto out;
    }
    bool zoho = strcmp(type, FH_ZOHO_TYPE) == 0;
    if (strcmp(type, "xero") != 0 && !zoho) {
        rc = fh_reply_error(req, FH_EC_INTEGRATION_TYPE, "type %s is created elsewhere", type);
        goto out;
    }
    struct fh_json_error err;
    if ((zoho ? fh_zoho_settings_merge(NULL, settings, &merged, &err)
              : fh_integ_settings_merge(NULL, settings, &merged, &err)) != FH_OK) {
        rc = fh_reply_error(req, err.ec, "%s", err.detail);
        goto out;
    }
    if (fh_api_integ_cert_or_reply(req, cert_uid, &cert_id) != FH_OK) {
        rc = FH_ERR;
        goto out;
    }
    char *text = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
    struct insert_ctx c = {.cfg = req->app->cfg,
                           .org_id = req->org.id,
                           .cert_id = cert_id,
                           .now = fh_now_ms(),
                           .type = type,
                           .settings = text};
    int qs = 0;
    for (int i = 0; i < 5 && qs == 0 && !c.refused; i++)
        qs = fh_store_run_tx(req->app->store, insert_tx, &c);
    free(text);
    if (c.refused) {
        rc = fh_api_seat_refused(req);
        goto out;
    }
    if (qs <= 0) {
        rc = fh_api_store_failed(req, qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR,
                                 "cannot create the integration");
        goto out;
    }
    fh_log(FH_LOG_INFO, "integration_created", "org %s integration %s (%s)", req->org.code, c.uid,
           type);
    struct fh_integ in;
    if (zoho && fh_integ_load(req->app->store, req->org.id, c.uid, &in) == FH_OK) {
        fh_zoho_webhook_ensure(req->app, in.id); /* else made when the setup is first read */
        fh_integ_free(&in);
    }
    rc = fh_api_integ_reply(req, 201, c.uid);
out:
    json_decref(merged);
    json_decref(root);
    return rc;
}
