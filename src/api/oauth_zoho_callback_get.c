/* oauth_zoho_callback_get.c - GET /oauth/zoho/callback?code=&state=&location=&accounts-server=
 * (or &error=): where Zoho's consent sends the browser back. Needs the session that started the
 * consent. Exchanges the code at the accounts server fiscalhub knows for the data center Zoho
 * named (location; a different accounts-server is refused), reads the user's Books
 * organizations, stores the tokens sealed and redirects to the portal like the Xero callback
 * (fh_api_consent_reply): /integrations?connected=<uid>, /integrations/<uid>/tenant,
 * /integrations?error=<code>&uid=<uid>, or /integrations?error=state_invalid. */
#include "api.h"
#include "fh/fh_zoho.h"

enum fh_rc fh_api_oauth_zoho_callback_get(struct fh_req *req)
{
    char uid[16], reason[64] = "";
    enum fh_consent_result r = fh_zoho_callback(
        req->app, req->session.token_hash, fh_req_query(req, "state"), fh_req_query(req, "code"),
        fh_req_query(req, "error"), fh_req_query(req, "location"),
        fh_req_query(req, "accounts-server"), uid, reason, sizeof(reason));
    return fh_api_consent_reply(req, r, uid, reason);
}
