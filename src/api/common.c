/* common.c - small pieces shared by several handlers. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_billing.h"
#include "fh/fh_connector.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_money.h"

bool fh_api_source_tax_or_reply(struct fh_req *req, const char *s, bool *has, int64_t *tax)
{
    *has = false;
    *tax = 0;
    if (!s)
        return true;
    if (fh_money_parse(s, tax) != FH_OK || *tax < 0 || *tax >= FH_FISCAL_AMOUNT_MAX) {
        fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s",
                       "source_tax_total must be a decimal string >= 0 with at most 4 decimals, "
                       "below 100 billion");
        return false;
    }
    *has = true;
    return true;
}

bool fh_api_tax_mismatch_or_reply(struct fh_req *req, bool *only)
{
    const char *v = fh_req_query(req, "tax_mismatch");
    *only = v && strcmp(v, "true") == 0;
    if (!v || *only || strcmp(v, "false") == 0)
        return true;
    fh_reply_error(req, FH_EC_BAD_QUERY_PARAM, "%s", "tax_mismatch must be true or false");
    return false;
}

enum fh_rc fh_api_store_failed(struct fh_req *req, enum fh_rc rc, const char *what)
{
    if (rc == FH_E_RETRY)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", what);
    return fh_reply_error(req, FH_EC_INTERNAL, "%s", what);
}

enum fh_rc fh_api_reply_receipt(struct fh_req *req, json_t *o, const char *journal)
{
    const char *status = json_string_value(json_object_get(o, "status"));
    const char *number = json_string_value(json_object_get(o, "invoice_number"));
    if (!status || strcmp(status, "signed") != 0 || !number || !journal || !*journal) {
        long long id = (long long)json_integer_value(json_object_get(o, "id"));
        enum fh_rc rc =
            status && strcmp(status, "signed") == 0
                ? fh_reply_error(req, FH_EC_FISCAL_NO_RECEIPT,
                                 "the V-SDC returned no journal for invoice %lld", id)
                : fh_reply_error(req, FH_EC_FISCAL_NO_RECEIPT, "invoice %lld is %s, not signed", id,
                                 status ? status : "unknown");
        json_decref(o);
        return rc;
    }
    size_t len = 0;
    uint8_t *pdf = fh_fiscal_receipt_pdf(
        number, json_string_value(json_object_get(o, "verification_url")), journal, &len);
    char name[120];
    fh_fiscal_receipt_name(number, name, sizeof(name));
    json_decref(o);
    if (!pdf)
        return fh_reply_error(req, FH_EC_INTERNAL, "%s", "cannot make the receipt");
    return fh_reply_file(req, "application/pdf", true, name, pdf, len);
}

int fh_api_owners_locked(struct fh_store *st, int64_t org_id)
{
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        fh_store_sql(st, "SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner'",
                     "SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner' "
                     "FOR UPDATE"),
        p, 1, &rows);
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_api_seat_refused(struct fh_req *req)
{
    if (fh_billing_seat_check_or_reply(req) != FH_OK)
        return FH_ERR; /* replied: 9005 or 9006 with the figures */
    return fh_reply_error(req, FH_EC_BILLING_SEATS_FULL, "%s",
                          "no seat was free when the integration was to be created; nothing was "
                          "created");
}

enum fh_rc fh_api_start_session_or_reply(struct fh_req *req, int64_t user_id, unsigned int status)
{
    struct fh_app *app = req->app;
    char token[64], csrf[64];
    enum fh_rc rc = fh_session_create(app->store, user_id, fh_now_ms(), app->cfg->session_ttl_ms, token,
                                      sizeof(token), csrf, sizeof(csrf));
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot create a session");
    return fh_api_session_reply(req, user_id, token, csrf, status);
}

enum fh_rc fh_api_session_reply(struct fh_req *req, int64_t user_id, const char *token,
                                const char *csrf, unsigned int status)
{
    struct fh_app *app = req->app;
    json_t *me = NULL;
    enum fh_rc rc = fh_me_json(app->store, user_id, csrf, &me);
    if (rc != FH_OK)
        return fh_api_store_failed(req, rc, "cannot read the account");
    fh_req_set_cookie(req, FH_SESSION_COOKIE, token, app->cfg->session_ttl_ms / 1000);
    return fh_reply_json(req, status, me);
}

enum fh_rc fh_api_consent_reply(struct fh_req *req, enum fh_consent_result r, const char *uid,
                                const char *reason)
{
    char *location = fh_consent_redirect(r, uid, reason);
    if (!location)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not store the connection");
    if (r == FH_CONSENT_BAD_STATE)
        fh_log(FH_LOG_INFO, "oauth_state", "%s",
               "state is unknown, expired, already used or from another session");
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Location", location);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    free(location);
    return fh_http_queue(req, 302, resp);
}
