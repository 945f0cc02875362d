/* v1_invoice_copy_post.c - POST /api/v1/invoices/{id}/copy: a copy of a signed invoice of the
 * key's integration (invoice type copy, referring to the original; v1_documents.c). */
#include "api.h"

enum fh_rc fh_api_v1_invoice_copy_post(struct fh_req *req)
{
    return fh_api_v1_document_or_reply(req, true);
}
