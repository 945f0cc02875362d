/* control.c - the V-SDC emulator's control API for tests and demos, and the verification page,
 * on the sandbox's plain HTTP port (every endpoint is described in
 * docs/internals/vsdc-sandbox.md). The control API has no authentication: the sandbox listens
 * on 127.0.0.1 by default and exists for tests. */
#include <microhttpd.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_json.h"
#include "vsdc_internal.h"

/* JSON with exact 4-decimal amounts (fh_reply_json would print 17 digits). */
static enum fh_rc reply(struct fh_req *req, unsigned int status, json_t *j)
{
    char *text = vsdc_json_text(j);
    json_decref(j);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, status, resp);
}

static enum fh_rc reply_text(struct fh_req *req, unsigned int status, const char *ctype, char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, status, resp);
}

/* Parses an optional JSON object body (empty: an empty object); replies 400 on failure. */
static json_t *body_or_reply(struct fh_req *req)
{
    if (req->body.len == 0)
        return json_object();
    json_t *root = NULL;
    struct fh_json_error err;
    if (fh_json_parse(req->body.data, req->body.len, &root, &err) != FH_OK) {
        fh_reply_error(req, err.ec, "%s", err.detail);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        fh_reply_error(req, FH_EC_JSON_NOT_OBJECT, "%s", "expected a JSON object");
        return NULL;
    }
    return root;
}

static char *pem_of(X509 *x)
{
    BIO *m = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(m, x);
    char *data;
    long len = BIO_get_mem_data(m, &data);
    char *out = fh_strndup(data, (size_t)len);
    BIO_free(m);
    return out;
}

static enum fh_rc info_get(struct fh_req *req)
{
    const struct vsdc_settings *s = &vsdc_ctx.set;
    char ca[600], signer[600];
    snprintf(ca, sizeof(ca), "%s/ca.pem", vsdc_ctx.pki.dir);
    snprintf(signer, sizeof(signer), "%s/signer.pem", vsdc_ctx.pki.dir);
    return reply(req, 200,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}",
                           "vsdc_url", s->vsdc_url, "verify_root", s->verify_root, "data_dir",
                           vsdc_ctx.pki.dir, "ca_file", ca, "signer_file", signer, "signer_uid",
                           vsdc_ctx.pki.signer_uid, "signed_by", s->o.signed_by, "pac_check",
                           s->o.pac_check, "timezone", s->o.timezone, "language", s->o.language,
                           "strict_amounts", s->o.strict_amounts, "max_items",
                           (json_int_t)s->o.max_items, "bad_pac_status",
                           (json_int_t)s->o.bad_pac_status));
}

static enum fh_rc ca_get(struct fh_req *req)
{
    return reply_text(req, 200, "application/x-pem-file", pem_of(vsdc_ctx.pki.ca));
}

static enum fh_rc signer_get(struct fh_req *req)
{
    return reply_text(req, 200, "application/x-pem-file", pem_of(vsdc_ctx.pki.signer));
}

static enum fh_rc faults_get(struct fh_req *req)
{
    return reply(req, 200, vsdc_faults_json());
}

static enum fh_rc faults_put(struct fh_req *req)
{
    json_t *cfg = body_or_reply(req);
    if (!cfg)
        return FH_ERR;
    char err[200];
    enum fh_rc rc = vsdc_faults_set(cfg, err, sizeof(err));
    json_decref(cfg);
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", err);
    return reply(req, 200, vsdc_faults_json());
}

static enum fh_rc stats_get(struct fh_req *req)
{
    return reply(req, 200, vsdc_store_stats_json());
}

static enum fh_rc invoices_get(struct fh_req *req)
{
    const char *uid = fh_req_query(req, "uid");
    const char *off = fh_req_query(req, "offset"), *lim = fh_req_query(req, "limit");
    int64_t offset = 0, limit = 100;
    if ((off && (!fh_parse_i64(off, &offset) || offset < 0)) ||
        (lim && (!fh_parse_i64(lim, &limit) || limit < 1 || limit > 10000)))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "offset >= 0, limit 1..10000");
    return reply(req, 200, vsdc_store_list_json(uid, (size_t)offset, (size_t)limit));
}

static enum fh_rc invoice_get(struct fh_req *req)
{
    json_t *o = vsdc_store_get_json(fh_req_param(req, "number"));
    if (!o)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no invoice %.60s",
                              fh_req_param(req, "number"));
    return reply(req, 200, o);
}

static enum fh_rc certificates_post(struct fh_req *req)
{
    json_t *root = body_or_reply(req);
    if (!root)
        return FH_ERR;
    struct fh_vsdc_issue_opts o = {
        .days = 365, .vsdc_url = vsdc_ctx.set.vsdc_url, .api_url = vsdc_ctx.set.vsdc_url};
    struct fh_jspec spec[] = {
        {.name = "uid", .type = FH_J_STRING, .optional = true, .max = 8, .out = &o.uid},
        {.name = "tin", .type = FH_J_STRING, .optional = true, .max = 20, .out = &o.tin},
        {.name = "name", .type = FH_J_STRING, .optional = true, .max = 100, .out = &o.name},
        {.name = "location", .type = FH_J_STRING, .optional = true, .max = 100, .out = &o.location},
        {.name = "address", .type = FH_J_STRING, .optional = true, .max = 100, .out = &o.address},
        {.name = "district", .type = FH_J_STRING, .optional = true, .max = 100, .out = &o.district},
        {.name = "vsdc_url", .type = FH_J_STRING, .optional = true, .max = 200, .out = &o.vsdc_url},
        {.name = "api_url", .type = FH_J_STRING, .optional = true, .max = 200, .out = &o.api_url},
        {.name = "days",
         .type = FH_J_INT,
         .optional = true,
         .imin = 1,
         .imax = 3650,
         .out = &o.days},
        {.name = "expired", .type = FH_J_BOOL, .optional = true, .out = &o.expired},
        {.name = "legacy", .type = FH_J_BOOL, .optional = true, .out = &o.legacy},
        {.name = "no_taxcore_ext", .type = FH_J_BOOL, .optional = true, .out = &o.no_taxcore_ext},
        {.name = "key_mismatch", .type = FH_J_BOOL, .optional = true, .out = &o.key_mismatch},
        {.name = "foreign", .type = FH_J_BOOL, .optional = true, .out = &o.foreign},
        FH_JSPEC_END,
    };
    struct fh_json_error jerr;
    if (fh_json_apply(root, spec, &jerr) != FH_OK) {
        json_decref(root);
        return fh_reply_error(req, jerr.ec, "%s", jerr.detail);
    }
    struct vsdc_issued is;
    char err[200] = "";
    enum fh_rc rc = vsdc_issue(&vsdc_ctx.pki, &o, &is, err, sizeof(err));
    if (rc != FH_OK) {
        json_decref(root);
        return fh_reply_error(req,
                              rc == FH_E_INPUT || rc == FH_E_CONFLICT ? FH_EC_JSON_FIELD_INVALID
                                                                      : FH_EC_INTERNAL,
                              "%s", err);
    }
    char *pfx = vsdc_base64(is.pfx, is.pfx_len);
    /* o's strings point into root */
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "uid", is.uid, "pac", is.pac, "password",
                            is.password, "pfx_base64", pfx, "vsdc_url", o.vsdc_url);
    json_decref(root);
    free(pfx);
    vsdc_issued_free(&is);
    return reply(req, 201, out);
}

static enum fh_rc taxpayers_get(struct fh_req *req)
{
    return reply(req, 200, json_pack("{s:o}", "taxpayers", vsdc_registry_list(vsdc_ctx.pki.dir)));
}

static enum fh_rc set_revoked(struct fh_req *req, bool revoked)
{
    const char *uid = fh_req_param(req, "uid");
    enum fh_rc rc = vsdc_uid_valid(uid) ? vsdc_registry_set_revoked(vsdc_ctx.pki.dir, uid, revoked)
                                        : FH_E_NOTFOUND;
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "no certificate with UID %.20s", uid);
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "cannot write the registry");
    return reply(req, 200, json_pack("{s:s, s:b}", "uid", uid, "revoked", revoked));
}

static enum fh_rc revoke_post(struct fh_req *req)
{
    return set_revoked(req, true);
}

static enum fh_rc unrevoke_post(struct fh_req *req)
{
    return set_revoked(req, false);
}

static enum fh_rc reset_post(struct fh_req *req)
{
    vsdc_store_reset();
    return reply(req, 200, json_pack("{s:b}", "reset", 1));
}

static enum fh_rc tax_groups_get(struct fh_req *req)
{
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&vsdc_ctx.groups_lock);
    for (size_t i = 0; i < vsdc_ctx.groups.n; i++)
        json_array_append_new(arr, vsdc_tax_group_json(&vsdc_ctx.groups.groups[i]));
    pthread_rwlock_unlock(&vsdc_ctx.groups_lock);
    return reply(req, 200, arr);
}

static enum fh_rc tax_groups_put(struct fh_req *req)
{
    json_t *root = NULL;
    struct fh_json_error jerr;
    if (fh_json_parse(req->body.data ? req->body.data : "", req->body.len, &root, &jerr) != FH_OK)
        return fh_reply_error(req, jerr.ec, "%s", jerr.detail);
    char err[200] = "";
    pthread_rwlock_wrlock(&vsdc_ctx.groups_lock);
    enum fh_rc rc = vsdc_tax_groups_from_json(root, &vsdc_ctx.groups, err, sizeof(err));
    pthread_rwlock_unlock(&vsdc_ctx.groups_lock);
    json_decref(root);
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", err);
    return tax_groups_get(req);
}

enum fh_rc vsdc_verify_get(struct fh_req *req);
enum fh_rc vsdc_cert_page_get(struct fh_req *req);
enum fh_rc vsdc_cert_page_post(struct fh_req *req);
enum fh_rc vsdc_page_css(struct fh_req *req);

const struct fh_route fh_vsdc_routes[FH_VSDC_NROUTES] = {
    {"GET", "/vsdc/control/info", 0, FH_AUTH_NONE, FH_PERM_VIEW, info_get, 0},
    {"GET", "/vsdc/control/ca.pem", 0, FH_AUTH_NONE, FH_PERM_VIEW, ca_get, 0},
    {"GET", "/vsdc/control/signer.pem", 0, FH_AUTH_NONE, FH_PERM_VIEW, signer_get, 0},
    {"GET", "/vsdc/control/faults", 0, FH_AUTH_NONE, FH_PERM_VIEW, faults_get, 0},
    {"PUT", "/vsdc/control/faults", 16 * 1024, FH_AUTH_NONE, FH_PERM_VIEW, faults_put, 0},
    {"POST", "/vsdc/control/faults", 16 * 1024, FH_AUTH_NONE, FH_PERM_VIEW, faults_put, 0},
    {"GET", "/vsdc/control/stats", 0, FH_AUTH_NONE, FH_PERM_VIEW, stats_get, 0},
    {"GET", "/vsdc/control/invoices", 0, FH_AUTH_NONE, FH_PERM_VIEW, invoices_get, 0},
    {"GET", "/vsdc/control/invoices/{number}", 0, FH_AUTH_NONE, FH_PERM_VIEW, invoice_get, 0},
    {"POST", "/vsdc/control/certificates", 16 * 1024, FH_AUTH_NONE, FH_PERM_VIEW, certificates_post,
     0},
    {"GET", "/vsdc/control/taxpayers", 0, FH_AUTH_NONE, FH_PERM_VIEW, taxpayers_get, 0},
    {"POST", "/vsdc/control/taxpayers/{uid}/revoke", 1024, FH_AUTH_NONE, FH_PERM_VIEW, revoke_post,
     0},
    {"POST", "/vsdc/control/taxpayers/{uid}/unrevoke", 1024, FH_AUTH_NONE, FH_PERM_VIEW,
     unrevoke_post, 0},
    {"POST", "/vsdc/control/reset", 1024, FH_AUTH_NONE, FH_PERM_VIEW, reset_post, 0},
    {"GET", "/vsdc/control/tax-groups", 0, FH_AUTH_NONE, FH_PERM_VIEW, tax_groups_get, 0},
    {"PUT", "/vsdc/control/tax-groups", 256 * 1024, FH_AUTH_NONE, FH_PERM_VIEW, tax_groups_put, 0},
    {"GET", "/vsdc/v/", 0, FH_AUTH_NONE, FH_PERM_VIEW, vsdc_verify_get, 0},
    {"GET", "/vsdc/certificates/new", 0, FH_AUTH_NONE, FH_PERM_VIEW, vsdc_cert_page_get, 0},
    {"POST", "/vsdc/certificates/new", 4096, FH_AUTH_NONE, FH_PERM_VIEW, vsdc_cert_page_post, 0},
    {"GET", "/vsdc/static/page.css", 0, FH_AUTH_NONE, FH_PERM_VIEW, vsdc_page_css, 0},
};
