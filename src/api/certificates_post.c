/* certificates_post.c - POST /api/orgs/{org}/certificates: uploads a TaxCore taxpayer
 * certificate, {"pfx_base64", "password", "pac"}. Everything is validated before anything is
 * written (PAC format, size, PKCS#12 structure, password, key match, validity, UID and TaxCore
 * extensions); then the PFX, password and PAC are stored sealed under the master key. The
 * decoded PFX and the secrets in the request are wiped before the handler returns; none of them
 * is ever logged or echoed in an error. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_cert.h"
#include "fh/fh_json.h"

#define PFX_BASE64_MAX (100 * 1024)
#define PASSWORD_MAX 128

static enum fh_ec pfx_error_ec(enum fh_pfx_error e)
{
    switch (e) {
    case FH_PFX_TOO_LARGE:
        return FH_EC_CERT_TOO_LARGE;
    case FH_PFX_NOT_PKCS12:
    case FH_PFX_NO_MAC:
    case FH_PFX_UNSUPPORTED:
        return FH_EC_CERT_NOT_PKCS12;
    case FH_PFX_BAD_PASSWORD:
        return FH_EC_CERT_BAD_PASSWORD;
    case FH_PFX_NO_CERT:
    case FH_PFX_NO_KEY:
    case FH_PFX_KEY_MISMATCH:
        return FH_EC_CERT_KEY_MISMATCH;
    case FH_PFX_EXPIRED:
        return FH_EC_CERT_EXPIRED;
    case FH_PFX_NOT_YET_VALID:
        return FH_EC_CERT_NOT_YET_VALID;
    case FH_PFX_NO_TAXCORE:
    case FH_PFX_NO_VSDC_URL:
    case FH_PFX_NO_UID:
    case FH_PFX_BAD_FIELD:
        return FH_EC_CERT_NOT_TAXCORE;
    case FH_PFX_OK:
        break;
    }
    return FH_EC_INTERNAL;
}

static enum fh_rc pfx_error_reply(struct fh_req *req, enum fh_pfx_error e,
                                  const struct fh_cert_info *info)
{
    char when[32];
    switch (e) {
    case FH_PFX_EXPIRED:
        fh_time_fmt(info->not_after_ms, when, sizeof(when));
        return fh_reply_error(req, FH_EC_CERT_EXPIRED, "the certificate expired at %s", when);
    case FH_PFX_NOT_YET_VALID:
        fh_time_fmt(info->not_before_ms, when, sizeof(when));
        return fh_reply_error(req, FH_EC_CERT_NOT_YET_VALID, "the certificate is valid from %s",
                              when);
    default:
        return fh_reply_error(req, pfx_error_ec(e), "%s", fh_pfx_error_str(e));
    }
}

/* Decodes standard base64 (padding optional, whitespace and line breaks ignored) into a new
 * buffer the caller wipes and frees. */
static bool base64_decode(const char *b64, uint8_t **out, size_t *len)
{
    size_t n = strlen(b64);
    uint8_t *bin = fh_malloc(n / 4 * 3 + 3);
    const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
                            sodium_base64_VARIANT_ORIGINAL_NO_PADDING};
    for (size_t i = 0; i < FH_ARRAY_LEN(variants); i++) {
        const char *end = NULL;
        if (sodium_base642bin(bin, n / 4 * 3 + 3, b64, n, " \t\r\n", len, &end, variants[i]) == 0 &&
            end == b64 + n) {
            *out = bin;
            return true;
        }
    }
    free(bin);
    return false;
}

static enum fh_rc store_or_reply(struct fh_req *req, const struct fh_cert_info *info,
                                 const uint8_t *pfx, size_t pfx_len, const char *password,
                                 const char *pac)
{
    struct fh_app *app = req->app;
    int64_t now = fh_now_ms(), id = 0;
    bool was_revoked = false;
    enum fh_rc rc = fh_cert_insert(app->store, app->master_key, req->org.id, info, pfx, pfx_len,
                                   password, pac, now, &id, &was_revoked);
    if (rc == FH_E_CONFLICT)
        return fh_reply_error(req, FH_EC_CERT_EXISTS,
                              was_revoked
                                  ? "certificate %s was revoked in this organization"
                                  : "certificate %s is already uploaded to this organization",
                              info->uid);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot store the certificate");
    json_t *list = NULL;
    rc = fh_cert_list_json(app->store, req->org.id, info->uid, now, &list);
    if (rc != FH_OK || json_array_size(list) != 1) {
        json_decref(list);
        return fh_api_store_failed(req, rc == FH_OK ? FH_ERR : rc,
                                   "cannot read the stored certificate");
    }
    fh_log(FH_LOG_INFO, "certificate_added", "org %s certificate %s (id %lld)", req->org.code,
           info->uid, (long long)id);
    json_t *item = json_incref(json_array_get(list, 0));
    json_decref(list);
    return fh_reply_json(req, 201, item);
}

static void wipe_string(const char *s)
{
    if (s)
        sodium_memzero((char *)s, strlen(s));
}

enum fh_rc fh_api_certificates_post(struct fh_req *req)
{
    const char *pfx_b64 = NULL, *password = NULL, *pac = NULL;
    struct fh_jspec spec[] = {
        {.name = "pfx_base64",
         .type = FH_J_STRING,
         .min = 1,
         .max = PFX_BASE64_MAX,
         .out = &pfx_b64},
        {.name = "password", .type = FH_J_STRING, .max = PASSWORD_MAX, .out = &password},
        {.name = "pac", .type = FH_J_STRING, .out = &pac},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    uint8_t *pfx = NULL;
    size_t pfx_len = 0;
    enum fh_rc rc;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK) {
        pfx_b64 = password = pac = NULL; /* they pointed into the document, freed already */
        rc = FH_ERR;
        goto out;
    }
    if (!fh_pac_valid(pac)) {
        rc =
            fh_reply_error(req, FH_EC_CERT_BAD_PAC, "pac must be %d letters or digits", FH_PAC_LEN);
        goto out;
    }
    if (!base64_decode(pfx_b64, &pfx, &pfx_len)) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "pfx_base64 is not valid base64");
        goto out;
    }
    struct fh_cert_info info;
    enum fh_pfx_error perr;
    if (fh_pfx_inspect(pfx, pfx_len, password, fh_now_ms(), &info, &perr) != FH_OK) {
        rc = pfx_error_reply(req, perr, &info);
        goto out;
    }
    rc = store_or_reply(req, &info, pfx, pfx_len, password, pac);
out:
    if (pfx) {
        sodium_memzero(pfx, pfx_len);
        free(pfx);
    }
    wipe_string(password);
    wipe_string(pac);
    wipe_string(pfx_b64);
    if (req->body.data)
        sodium_memzero(req->body.data, req->body.len);
    json_decref(root);
    return rc;
}
