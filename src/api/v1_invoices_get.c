/* v1_invoices_get.c - GET /api/v1/invoices: the key's integration's invoices, newest first,
 * filtered by status, invoice_type, source_id, creation time (from, to) and the tax check's flag
 * (tax_mismatch=true), paged by an opaque
 * cursor that stays valid while new invoices arrive (?limit=1..100, default 50). */
#include <string.h>

#include "api.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"

static bool one_of(const char *v, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return true;
    return false;
}

/* from / to: a date (whole UTC day; to includes it) or an RFC 3339 date-time. */
static bool query_time(struct fh_req *req, const char *name, bool end, int64_t *out)
{
    const char *v = fh_req_query(req, name);
    return !v || fh_fiscal_time_bound(v, end, out) == FH_OK;
}

static enum fh_rc filter_or_reply(struct fh_req *req, struct fh_public_filter *f)
{
    static const char *const statuses[] = {"pending", "on_hold", "signed", "failed", NULL};
    static const char *const types[] = {"normal", "advance", "proforma", "copy", "training", NULL};
    f->status = fh_req_query(req, "status");
    f->invoice_type = fh_req_query(req, "invoice_type");
    f->source_id = fh_req_query(req, "source_id");
    const char *limit = fh_req_query(req, "limit"), *cursor = fh_req_query(req, "cursor");
    if (f->status && !one_of(f->status, statuses))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "status must be pending, on_hold, signed or failed"),
               FH_ERR;
    if (f->invoice_type && !one_of(f->invoice_type, types))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "invoice_type must be normal, advance, proforma, copy or training"),
               FH_ERR;
    if (f->source_id &&
        (strlen(f->source_id) == 0 || strlen(f->source_id) > FH_FISCAL_SOURCE_ID_MAX))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "source_id must be 1 to %d characters",
                              FH_FISCAL_SOURCE_ID_MAX),
               FH_ERR;
    if (limit && (!fh_parse_i64(limit, &f->limit) || f->limit < 1 || f->limit > 100))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "limit must be 1 to 100"), FH_ERR;
    if (cursor && !fh_cursor_decode(cursor, &f->before_id))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "cursor must be a next_cursor this API returned"),
               FH_ERR;
    if (!query_time(req, "from", false, &f->from_ms))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "from must be a date (2026-11-21) or an RFC 3339 date-time"),
               FH_ERR;
    if (!query_time(req, "to", true, &f->to_ms))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "to must be a date (2026-11-21) or an RFC 3339 date-time"),
               FH_ERR;
    return fh_api_tax_mismatch_or_reply(req, &f->tax_mismatch) ? FH_OK : FH_ERR;
}

enum fh_rc fh_api_v1_invoices_get(struct fh_req *req)
{
    struct fh_public_filter f = {.integration_id = req->apikey.integration_id, .limit = 50};
    if (filter_or_reply(req, &f) != FH_OK)
        return FH_ERR;
    json_t *o = NULL;
    enum fh_rc rc = fh_public_invoice_list(req->app->store, &f, &o);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list invoices");
    return fh_reply_json(req, 200, o);
}
