/* me_password_post.c - POST /api/me/password: changes the caller's password. The current
 * password is checked like a log-in and its failures count toward the same per-email limit, so
 * a session left open cannot be used to guess it. Every other session of the user ends; this
 * one stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"

/* true when password is the caller's; otherwise the reply is sent and *rc is its result. */
static bool current_ok_or_reply(struct fh_req *req, const char *password, enum fh_rc *rc)
{
    struct fh_store *st = req->app->store;
    const struct fh_config *cfg = req->app->cfg;
    char key[300];
    snprintf(key, sizeof(key), "email:%s", req->session.email);
    int64_t now = fh_now_ms();
    enum fh_rc lrc = fh_login_check(st, key, cfg->login_max_failures, cfg->login_window_ms, now);
    if (lrc == FH_E_LIMIT) {
        *rc = fh_reply_error(req, FH_EC_AUTH_RATE_LIMITED, "%s", "too many failed attempts");
        return false;
    }
    int64_t id = 0;
    char *hash = NULL;
    if (lrc == FH_OK)
        lrc = fh_user_by_email(st, req->session.email, &id, &hash);
    if (lrc != FH_OK) {
        free(hash);
        *rc = fh_api_store_failed(req, FH_E_RETRY, "user lookup failed");
        return false;
    }
    bool ok = id == req->session.user_id && fh_password_verify(hash, password);
    free(hash);
    if (!ok) {
        fh_login_failed(st, key, cfg->login_window_ms, now);
        *rc = fh_reply_error(req, FH_EC_AUTH_WRONG_PASSWORD, "%s",
                             "current_password is not your password");
        return false;
    }
    fh_login_clear(st, key);
    return true;
}

enum fh_rc fh_api_me_password_post(struct fh_req *req)
{
    const char *current = NULL, *next = NULL;
    struct fh_jspec spec[] = {
        {.name = "current_password", .type = FH_J_STRING, .min = 1, .max = 200, .out = &current},
        {.name = "new_password", .type = FH_J_STRING, .min = 1, .max = 200, .out = &next},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    char hash[128];
    if (strlen(next) < 10)
        rc = fh_reply_error(req, FH_EC_AUTH_WEAK_PASSWORD, "%s",
                            "new_password has fewer than 10 characters");
    else if (!current_ok_or_reply(req, current, &rc))
        ; /* replied */
    else if (fh_password_hash(next, hash, sizeof(hash)) != FH_OK)
        rc = fh_reply_error(req, FH_EC_INTERNAL, "%s", "password hashing failed");
    else if (fh_password_set(req->app->store, req->session.user_id, hash,
                             req->session.token_hash) != FH_OK)
        rc = fh_api_store_failed(req, FH_E_RETRY, "cannot change the password");
    else
        rc = fh_reply_empty(req, 204);
    json_decref(root);
    return rc;
}
