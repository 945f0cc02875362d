/* billing_key_activate_post.c - POST /api/orgs/{org}/billing/keys/activate {key}: redeems the
 * key once (concurrent attempts: exactly one wins, the others get 9002) and changes the plan in
 * the same transaction; invoices on hold are released right after. */
#include "api.h"

enum fh_rc fh_api_billing_key_activate_post(struct fh_req *req)
{
    return fh_api_billing_key_or_reply(req, true);
}
