/* billing_key_common.c - the body and reply shared by Validate and Activate of an activation
 * key (billing_key_validate_post.c, billing_key_activate_post.c). Each refusal has its own
 * code: 9012 malformed, 9000 mistyped (check character), 9004 a POS key, 9001 unknown, 9002
 * already used, 9003 past its redemption window, 9011 a card-paid plan still running. The key
 * itself is never logged or echoed: replies show it masked. */
#include "api.h"
#include "fh/fh_billing.h"
#include "fh/fh_json.h"

static json_t *time_json(int64_t ms)
{
    char t[32];
    fh_time_fmt(ms, t, sizeof(t));
    return json_string(t);
}

static json_t *key_json(struct fh_req *req, const char *typed, const struct fh_key_info *k)
{
    char canon[FH_BILLING_KEY_LEN + 1], masked[24];
    fh_key_check(typed, canon);
    snprintf(masked, sizeof(masked), "INT-****-****-%.4s", canon + 14);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:o, s:o}", "product",
                     "integrations", "key", masked, "tier", fh_tier_name(k->tier), "tier_name",
                     fh_tier_label(k->tier), "seats", (json_int_t)k->seats, "months",
                     (json_int_t)k->months, "invoice_limit",
                     (json_int_t)fh_tier_invoice_limit(req->app->cfg, k->tier), "redeem_by",
                     time_json(k->redeem_by), "effect", k->effect, "starts_at",
                     time_json(k->starts_at), "expires_at", time_json(k->expires_at));
}

enum fh_rc fh_api_billing_key_or_reply(struct fh_req *req, bool activate)
{
    const char *typed = NULL;
    struct fh_jspec spec[] = {
        {.name = "key", .type = FH_J_STRING, .min = 1, .max = 64, .out = &typed},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_key_info k;
    enum fh_ec ec = 0;
    char detail[200] = "";
    enum fh_rc rc = fh_key_redeem(req->app, req->org.id, req->session.user_id, typed, activate, &k,
                                  &ec, detail, sizeof(detail));
    if (rc == FH_E_INPUT) {
        rc = fh_reply_error(req, ec, "%s", detail);
    } else if (rc != FH_OK) {
        rc = fh_api_store_failed(req, rc, "cannot check the key");
    } else {
        json_t *o = key_json(req, typed, &k);
        json_t *billing = NULL;
        if (activate && fh_billing_json(req->app, req->org.id, &billing) == FH_OK)
            json_object_set_new(o, "billing", billing);
        rc = fh_reply_json(req, 200, o);
    }
    json_decref(root);
    return rc;
}
