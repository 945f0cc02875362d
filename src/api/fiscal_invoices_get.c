/* fiscal_invoices_get.c - GET /api/orgs/{org}/fiscal-invoices: the organization's fiscal
 * invoices, newest first, filtered by status, integration, creation date and the tax check's
 * flag, paged; or, with
 * format=csv, all of those that match as a CSV file (oldest first). */
#include <string.h>

#include "api.h"
#include "fh/fh_fiscal.h"

/* One page of the CSV export (1,000 invoices of at most a few KiB each) fits many times over. */
#define CSV_PIECE_MAX (32u << 20)

static bool query_int(struct fh_req *req, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    const char *v = fh_req_query(req, name);
    if (!v)
        return true;
    return fh_parse_i64(v, out) && *out >= lo && *out <= hi;
}

/* from / to: a date (whole UTC day; to includes that day) or an RFC 3339 date-time. */
static bool query_time(struct fh_req *req, const char *name, bool end, int64_t *out)
{
    const char *v = fh_req_query(req, name);
    return !v || fh_fiscal_time_bound(v, end, out) == FH_OK;
}

static enum fh_rc csv_fill(void *cls, struct fh_buf *out, bool *end)
{
    return fh_fiscal_csv_next(cls, out, end);
}

static void csv_done(void *cls)
{
    fh_fiscal_csv_free(cls);
}

/* format=csv: every invoice that matches (paging ignored), oldest first, as a file streamed a
 * page at a time. A store error on the first page is an error reply; a later one cuts the file
 * short (fh_reply_download). */
static enum fh_rc reply_csv(struct fh_req *req, const struct fh_fiscal_filter *f)
{
    struct fh_fiscal_csv *csv = fh_fiscal_csv_open(req->app->store, req->org.id, f);
    char day[32], name[96];
    fh_time_fmt(fh_now_ms(), day, sizeof(day));
    day[10] = '\0';
    snprintf(name, sizeof(name), "fiscal-invoices-%s-%s.csv", req->org.code, day);
    enum fh_rc rc = fh_reply_download(req, "text/csv; charset=utf-8", name, csv_fill, csv_done, csv,
                                      CSV_PIECE_MAX);
    return rc == FH_OK ? rc : fh_api_store_failed(req, rc, "cannot export fiscal invoices");
}

enum fh_rc fh_api_fiscal_invoices_get(struct fh_req *req)
{
    struct fh_fiscal_filter f = {.page = 1, .page_size = 50};
    f.status = fh_req_query(req, "status");
    f.integration_uid = fh_req_query(req, "integration");
    if (f.status && strcmp(f.status, "pending") != 0 && strcmp(f.status, "signed") != 0 &&
        strcmp(f.status, "failed") != 0 && strcmp(f.status, "on_hold") != 0)
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "status must be pending, on_hold, signed or failed");
    if (f.integration_uid && (strlen(f.integration_uid) == 0 || strlen(f.integration_uid) > 64))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "integration must be an integration uid");
    if (!query_int(req, "page", 1, 1000000, &f.page))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "page must be an integer from 1");
    if (!query_int(req, "page_size", 1, 200, &f.page_size))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "page_size must be 1 to 200");
    if (!query_time(req, "from", false, &f.from_ms))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "from must be a date (2026-11-21) or an RFC 3339 date-time");
    if (!query_time(req, "to", true, &f.to_ms))
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s",
                              "to must be a date (2026-11-21) or an RFC 3339 date-time");
    if (!fh_api_tax_mismatch_or_reply(req, &f.tax_mismatch))
        return FH_ERR;
    const char *format = fh_req_query(req, "format");
    if (format && strcmp(format, "csv") == 0)
        return reply_csv(req, &f);
    if (format && strcmp(format, "json") != 0)
        return fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "format must be json or csv");
    json_t *o = NULL;
    enum fh_rc rc = fh_fiscal_list_json(req->app->store, req->org.id, &f, &o);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot list fiscal invoices");
    return fh_reply_json(req, 200, o);
}
