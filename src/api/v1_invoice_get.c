/* v1_invoice_get.c - GET /api/v1/invoices/{id}: one invoice of the key's integration with its
 * canonical invoice and, once signed, the fiscal result (counters, the V-SDC's signature, the
 * journal, tax items, the QR code). Another integration's or tenant's id answers 404 like a
 * missing one. */
#include "api.h"
#include "fh/fh_events.h"

json_t *fh_api_v1_invoice_or_reply(struct fh_req *req, bool with_qr)
{
    int64_t id = 0;
    if (!fh_api_v1_id_or_reply(req, &id))
        return NULL;
    json_t *o = NULL;
    enum fh_rc rc =
        fh_public_invoice_get(req->app->store, req->apikey.integration_id, id, with_qr, &o);
    if (rc == FH_E_NOTFOUND)
        fh_reply_error(req, FH_EC_NOT_FOUND, "no invoice %lld", (long long)id);
    else if (rc != FH_OK)
        fh_api_store_failed(req, rc, "cannot read the invoice");
    return rc == FH_OK ? o : NULL;
}

enum fh_rc fh_api_v1_invoice_get(struct fh_req *req)
{
    json_t *o = fh_api_v1_invoice_or_reply(req, true);
    return o ? fh_reply_json(req, 200, o) : FH_ERR;
}
