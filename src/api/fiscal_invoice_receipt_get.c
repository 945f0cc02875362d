/* fiscal_invoice_receipt_get.c - GET /api/orgs/{org}/fiscal-invoices/{id}/receipt: a signed
 * invoice's fiscal receipt as a PDF (the journal and the QR code, fh_fiscal_receipt_pdf), shown in
 * place as "fiscal-<number>.pdf"; 409 (6007) before it is signed. Another tenant's id is 404. */
#include "api.h"

enum fh_rc fh_api_fiscal_invoice_receipt_get(struct fh_req *req)
{
    json_t *o = fh_api_fiscal_invoice_or_reply(req);
    return o ? fh_api_reply_receipt(req, o, json_string_value(json_object_get(o, "journal")))
             : FH_ERR;
}
