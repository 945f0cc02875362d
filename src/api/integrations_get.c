/* integrations_get.c - GET /api/orgs/{org}/integrations: the organization's integrations,
 * setups left pending, and connection/invoice usage against the plan (the free trial until a
 * subscription exists: 1 connection, 50 invoices a month). */
#include <string.h>

#include "api.h"

#define TRIAL_CONNECTIONS 1
#define TRIAL_INVOICES 50

static const char *type_name(const char *type)
{
    static const char *const names[][2] = {
        {"xero", "Xero"}, {"zoho_books", "Zoho Books"}, {"webhook", "Custom / Webhook"},
        {"custom", "Custom Integration"},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(names); i++) {
        if (strcmp(type, names[i][0]) == 0)
            return names[i][1];
    }
    return type;
}

enum fh_rc fh_api_integrations_get(struct fh_req *req)
{
    struct fh_param p[] = {FH_PI(req->org.id)};
    struct fh_rows rows;
    int qs = fh_store_exec(req->app->store,
                           "SELECT uid, type, status, created_at FROM integrations WHERE org_id = $1 "
                           "ORDER BY created_at, id",
                           p, 1, &rows);
    if (qs < 0)
        return fh_api_store_failed(req, FH_E_RETRY, "cannot list integrations");
    json_t *list = json_array(), *pending = json_array();
    int64_t active = 0;
    for (size_t i = 0; i < rows.nrows; i++) {
        const char *status = fh_rows_get(&rows, i, 2);
        char created[32];
        fh_time_fmt(fh_rows_i64(&rows, i, 3, 0), created, sizeof(created));
        json_t *item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "uid", fh_rows_get(&rows, i, 0), "type",
                                 fh_rows_get(&rows, i, 1), "type_name", type_name(fh_rows_get(&rows, i, 1)),
                                 "status", status, "created_at", created, "invoices_this_month", 0);
        if (strcmp(status, "pending") == 0) {
            json_array_append_new(pending, item);
            continue;
        }
        active += strcmp(status, "active") == 0;
        json_array_append_new(list, item);
    }
    fh_rows_free(&rows);
    json_t *usage = json_pack("{s:I, s:i, s:i, s:i, s:b, s:n}", "active_connections", (json_int_t)active,
                              "connection_limit", TRIAL_CONNECTIONS, "invoices_this_month", 0,
                              "invoice_limit", TRIAL_INVOICES, "trial", 1, "expires_at");
    return fh_reply_json(req, 200, json_pack("{s:o, s:o, s:o}", "integrations", list, "pending", pending,
                                             "usage", usage));
}
