/* auth_signup_post.c - POST /api/auth/signup: creates a user, a tenant and its first
 * organization (the user is its owner), and starts a session, all in one transaction: a
 * sign-up that fails (a full disk) leaves no account behind that the next try would find taken. */
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"

struct signup_ctx {
    const struct fh_signup *s;
    int64_t now, ttl_ms, user_id;
    enum fh_rc rc;
    char token[64], csrf[64];
};

static int signup_tx(struct fh_store *st, void *cls)
{
    struct signup_ctx *c = cls;
    c->rc = fh_account_create(st, c->s, c->now, &c->user_id);
    if (c->rc == FH_OK)
        c->rc = fh_session_create(st, c->user_id, c->now, c->ttl_ms, c->token, sizeof(c->token),
                                  c->csrf, sizeof(c->csrf));
    return fh_rc_qs(c->rc);
}

enum fh_rc fh_api_auth_signup_post(struct fh_req *req)
{
    const char *email = NULL, *password = NULL, *name = NULL, *company = NULL;
    struct fh_jspec spec[] = {
        {.name = "email", .type = FH_J_STRING, .min = 1, .max = 254, .out = &email},
        {.name = "password", .type = FH_J_STRING, .min = 1, .max = 200, .out = &password},
        {.name = "name", .type = FH_J_STRING, .min = 1, .max = 100, .out = &name},
        {.name = "company", .type = FH_J_STRING, .min = 1, .max = 200, .out = &company},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    char norm[256];
    enum fh_rc rc;
    if (!fh_email_normalize(email, norm, sizeof(norm))) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "email is not a valid address");
        goto out;
    }
    if (strlen(password) < 10) {
        rc = fh_reply_error(req, FH_EC_AUTH_WEAK_PASSWORD, "%s", "password has fewer than 10 characters");
        goto out;
    }
    char hash[128];
    if (fh_password_hash(password, hash, sizeof(hash)) != FH_OK) {
        rc = fh_reply_error(req, FH_EC_INTERNAL, "%s", "password hashing failed");
        goto out;
    }
    struct fh_signup s = {.email = norm, .password_hash = hash, .name = name, .company = company};
    struct signup_ctx c = {.s = &s, .now = fh_now_ms(), .ttl_ms = req->app->cfg->session_ttl_ms};
    int qs = fh_store_run_tx(req->app->store, signup_tx, &c);
    if (c.rc == FH_E_CONFLICT)
        rc = fh_reply_error(req, FH_EC_AUTH_EMAIL_TAKEN, "%s", "email is already registered");
    else if (qs < 0)
        rc = fh_api_store_failed(req, c.rc == FH_OK ? fh_qs_rc(qs) : c.rc,
                                 "cannot create the account");
    else
        rc = fh_api_session_reply(req, c.user_id, c.token, c.csrf, 201);
out:
    json_decref(root);
    return rc;
}
