/* billing_key_validate_post.c - POST /api/orgs/{org}/billing/keys/validate {key}: read-only;
 * what the key is (product, tier, seats, months) and what activating it would do to the plan
 * (starts, extends or replaces, with the resulting start and expiry). */
#include "api.h"

enum fh_rc fh_api_billing_key_validate_post(struct fh_req *req)
{
    return fh_api_billing_key_or_reply(req, false);
}
