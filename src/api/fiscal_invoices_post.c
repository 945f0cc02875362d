/* fiscal_invoices_post.c - POST /api/orgs/{org}/fiscal-invoices: submits a canonical invoice for
 * fiscalization (docs/api/fiscal-invoices.md). The source_id makes the call idempotent: the same
 * source_id again answers 200 with the invoice already stored, never a second one. 202 for a new
 * invoice: it is stored and its job queued; the V-SDC is reached by a worker, not here. */
#include <string.h>

#include "api.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"

/* Printable ASCII without spaces: ids of the caller's own documents. */
static bool source_id_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return s[0] != '\0';
}

static enum fh_rc reply_submitted(struct fh_req *req, const struct fh_fiscal_submit_out *out)
{
    return fh_reply_json(req, out->created ? 202 : 200,
                         json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)out->id, "request_id",
                                   out->request_id, "status", out->status, "created",
                                   out->created));
}

enum fh_rc fh_api_fiscal_invoices_post(struct fh_req *req)
{
    const char *cert_uid = NULL, *source_id = NULL, *source_ref = NULL, *source_url = NULL,
               *source_tax = NULL;
    json_t *invoice = NULL;
    struct fh_jspec spec[] = {
        {.name = "certificate_uid", .type = FH_J_STRING, .min = 1, .max = 15, .out = &cert_uid},
        {.name = "source_id",
         .type = FH_J_STRING,
         .min = 1,
         .max = FH_FISCAL_SOURCE_ID_MAX,
         .out = &source_id},
        {.name = "invoice", .type = FH_J_OBJECT, .out = &invoice},
        {.name = "source_ref",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 200,
         .out = &source_ref},
        {.name = "source_url",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 2000,
         .out = &source_url},
        {.name = "source_tax_total",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 40,
         .out = &source_tax},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    if (!source_id_ok(source_id)) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                            "source_id must be printable ASCII without spaces");
        goto out;
    }
    if (source_url && !fh_starts_with(source_url, "https://") &&
        !fh_starts_with(source_url, "http://")) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                            "source_url must be an http(s) URL");
        goto out;
    }
    bool has_tax;
    int64_t tax;
    if (!fh_api_source_tax_or_reply(req, source_tax, &has_tax, &tax)) {
        rc = FH_ERR;
        goto out;
    }
    char key[FH_FISCAL_SOURCE_ID_MAX + 8];
    snprintf(key, sizeof(key), "api:%s", source_id);
    struct fh_fiscal_submit_in in = {.org_id = req->org.id,
                                     .certificate_uid = cert_uid,
                                     .source_key = key,
                                     .source_ref = source_ref,
                                     .source_url = source_url,
                                     .invoice = invoice,
                                     .has_source_tax = has_tax,
                                     .source_tax = tax};
    struct fh_fiscal_submit_out out;
    struct fh_json_error err;
    rc = fh_fiscal_submit(req->app, &in, &out, &err);
    if (rc == FH_E_INPUT)
        rc = fh_reply_error(req, err.ec, "%s", err.detail);
    else if (rc != FH_OK)
        rc = fh_api_store_failed(req, rc, "cannot store the invoice");
    else
        rc = reply_submitted(req, &out);
out:
    json_decref(root);
    return rc;
}
