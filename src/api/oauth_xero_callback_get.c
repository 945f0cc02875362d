/* oauth_xero_callback_get.c - GET /oauth/xero/callback?code=&state= (or &error=): where Xero's
 * consent sends the browser back. Needs the session that started the consent. Exchanges the code
 * (one of the two synchronous partner calls a handler may make, with reading the connections),
 * stores the tokens sealed, and redirects to the portal:
 *   one organisation   302 /integrations?connected=<uid>     (the integration is active)
 *   several            302 /integrations/<uid>/tenant        (the user picks one)
 *   refused or failed  302 /integrations?error=<code>&uid=<uid>  (nothing else changes)
 * An unknown, expired, reused or foreign state changes nothing and redirects to
 *                      302 /integrations?error=state_invalid   (the user may simply have taken
 *                                                               too long on the consent page) */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "fh/fh_connector.h"
#include "fh/fh_xero.h"

static enum fh_rc redirect(struct fh_req *req, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Location", location);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return fh_http_queue(req, 302, resp);
}

enum fh_rc fh_api_oauth_xero_callback_get(struct fh_req *req)
{
    char uid[16], reason[64] = "";
    enum fh_xero_cb_result r = fh_xero_callback(
        req->app, req->session.token_hash, fh_req_query(req, "state"), fh_req_query(req, "code"),
        fh_req_query(req, "error"), uid, reason, sizeof(reason));
    struct fh_buf loc;
    fh_buf_init(&loc, 512);
    enum fh_rc rc;
    switch (r) {
    case FH_XERO_CB_ACTIVE:
        fh_buf_appendf(&loc, "/integrations?connected=%s", uid);
        rc = redirect(req, loc.data);
        break;
    case FH_XERO_CB_PICK:
        fh_buf_appendf(&loc, "/integrations/%s/tenant", uid);
        rc = redirect(req, loc.data);
        break;
    case FH_XERO_CB_ERROR:
        fh_buf_appendf(&loc, "/integrations?error=");
        fh_url_encode(&loc, reason);
        fh_buf_appendf(&loc, "&uid=%s", uid);
        rc = redirect(req, loc.data);
        break;
    case FH_XERO_CB_BAD_STATE:
        fh_log(FH_LOG_INFO, "oauth_state", "%s",
               "state is unknown, expired, already used or from another session");
        rc = redirect(req, "/integrations?error=state_invalid");
        break;
    default:
        rc = fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not store the connection");
        break;
    }
    fh_buf_free(&loc);
    return rc;
}
