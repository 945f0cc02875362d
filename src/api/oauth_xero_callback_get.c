/* oauth_xero_callback_get.c - GET /oauth/xero/callback?code=&state= (or &error=): where Xero's
 * consent sends the browser back. Needs the session that started the consent. Exchanges the code
 * (one of the two synchronous partner calls a handler may make, with reading the connections),
 * stores the tokens sealed, and redirects to the portal (fh_api_consent_reply):
 *   one organisation   302 /integrations?connected=<uid>     (the integration is active)
 *   several            302 /integrations/<uid>/tenant        (the user picks one)
 *   refused or failed  302 /integrations?error=<code>&uid=<uid>  (nothing else changes)
 * An unknown, expired, reused or foreign state changes nothing and redirects to
 *                      302 /integrations?error=state_invalid   (the user may simply have taken
 *                                                               too long on the consent page) */
#include "api.h"
#include "fh/fh_xero.h"

enum fh_rc fh_api_oauth_xero_callback_get(struct fh_req *req)
{
    char uid[16], reason[64] = "";
    enum fh_consent_result r = fh_xero_callback(
        req->app, req->session.token_hash, fh_req_query(req, "state"), fh_req_query(req, "code"),
        fh_req_query(req, "error"), uid, reason, sizeof(reason));
    return fh_api_consent_reply(req, r, uid, reason);
}
