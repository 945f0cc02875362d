/* v1_invoice_refund_post.c - POST /api/v1/invoices/{id}/refund: a refund of a signed invoice of
 * the key's integration - all of it, or the items given (v1_documents.c). */
#include "api.h"

enum fh_rc fh_api_v1_invoice_refund_post(struct fh_req *req)
{
    return fh_api_v1_document_or_reply(req, false);
}
