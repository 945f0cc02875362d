/* v1_invoice_receipt_get.c - GET /api/v1/invoices/{id}/receipt: a signed invoice's fiscal
 * receipt as a PDF (the journal and the QR code, ready to print), "fiscal-<number>.pdf"; 409
 * (6007) before it is signed. Another integration's or tenant's id answers 404. */
#include "api.h"

enum fh_rc fh_api_v1_invoice_receipt_get(struct fh_req *req)
{
    json_t *o = fh_api_v1_invoice_or_reply(req, false);
    if (!o)
        return FH_ERR;
    json_t *result = json_object_get(o, "result");
    return fh_api_reply_receipt(req, o, json_string_value(json_object_get(result, "journal")));
}
