/* v1_invoices_post.c - POST /api/v1/invoices: submits a canonical invoice for fiscalization with
 * an API key. It is signed with the certificate of the key's Custom Integration and attributed to
 * that integration. Body: {"invoice": {...}, "source_id"?, "source_ref"?, "source_url"?,
 * "source_tax_total"?}.
 * 202 with the invoice (pending) when new; 200 with the stored invoice when source_id was
 * submitted before; an Idempotency-Key makes a retry answer exactly what the first call did
 * (v1_common.c). docs/api/public-v1.md. */
#include "api.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"

enum fh_rc fh_api_v1_invoices_post(struct fh_req *req)
{
    struct fh_v1_doc doc = {0};
    const char *tax = NULL;
    struct fh_jspec spec[] = {
        {.name = "invoice", .type = FH_J_OBJECT, .out = &doc.invoice},
        {.name = "source_id",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = FH_FISCAL_SOURCE_ID_MAX,
         .out = &doc.source_id},
        {.name = "source_ref",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 200,
         .out = &doc.source_ref},
        {.name = "source_url",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 2000,
         .out = &doc.source_url},
        {.name = "source_tax_total",
         .type = FH_J_STRING,
         .optional = true,
         .min = 1,
         .max = 40,
         .out = &tax},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc = FH_ERR;
    if (fh_api_v1_source_ok_or_reply(req, doc.source_id, doc.source_url) &&
        fh_api_source_tax_or_reply(req, tax, &doc.has_source_tax, &doc.source_tax))
        rc = fh_api_v1_submit_or_reply(req, &doc);
    json_decref(root);
    return rc;
}
