/* auth_login_post.c - POST /api/auth/login: checks the password and starts a session.
 * Failures are counted per email and per client address; past the limit the answer is 429
 * until the window ends, whether or not the password is right. An unknown email costs the same
 * hash work as a wrong password, so timing does not reveal which emails exist. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_auth.h"
#include "fh/fh_crypto.h"
#include "fh/fh_json.h"

/* Client addresses get this many times the per-email allowance (offices share addresses). */
#define ADDR_FACTOR 20

static char dummy[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    char pw[32];
    fh_random_token(16, pw, sizeof(pw));
    if (fh_password_hash(pw, dummy, sizeof(dummy)) != FH_OK)
        dummy[0] = '\0';
}

static enum fh_rc limited(struct fh_req *req, const char *email_key, const char *addr_key)
{
    const struct fh_config *cfg = req->app->cfg;
    int64_t now = fh_now_ms();
    enum fh_rc a = fh_login_check(req->app->store, email_key, cfg->login_max_failures, cfg->login_window_ms, now);
    enum fh_rc b = fh_login_check(req->app->store, addr_key, cfg->login_max_failures * ADDR_FACTOR,
                                  cfg->login_window_ms, now);
    if (a == FH_ERR || b == FH_ERR)
        return FH_ERR;
    return a == FH_E_LIMIT || b == FH_E_LIMIT ? FH_E_LIMIT : FH_OK;
}

enum fh_rc fh_api_auth_login_post(struct fh_req *req)
{
    const char *email = NULL, *password = NULL;
    struct fh_jspec spec[] = {
        {.name = "email", .type = FH_J_STRING, .min = 1, .max = 254, .out = &email},
        {.name = "password", .type = FH_J_STRING, .min = 1, .max = 200, .out = &password},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    struct fh_store *st = req->app->store;
    char norm[256], addr[64], email_key[300], addr_key[80];
    enum fh_rc rc;
    if (!fh_email_normalize(email, norm, sizeof(norm)))
        fh_strlcpy(norm, "(invalid)", sizeof(norm));
    fh_req_client_addr(req, addr, sizeof(addr));
    snprintf(email_key, sizeof(email_key), "email:%s", norm);
    snprintf(addr_key, sizeof(addr_key), "addr:%s", addr);
    rc = limited(req, email_key, addr_key);
    if (rc != FH_OK) {
        rc = rc == FH_E_LIMIT ? fh_reply_error(req, FH_EC_AUTH_RATE_LIMITED, "%s", "too many failed attempts")
                              : fh_api_store_failed(req, FH_E_RETRY, "rate-limit lookup failed");
        goto out;
    }
    int64_t user_id = 0;
    char *hash = NULL;
    rc = fh_user_by_email(st, norm, &user_id, &hash);
    if (rc == FH_ERR) {
        rc = fh_api_store_failed(req, FH_E_RETRY, "user lookup failed");
        goto out;
    }
    pthread_once(&dummy_once, dummy_init);
    bool ok = false;
    if (rc == FH_OK)
        ok = fh_password_verify(hash, password);
    else
        fh_password_verify(dummy, password); /* same work, result ignored */
    free(hash);
    int64_t now = fh_now_ms();
    if (!ok) {
        fh_login_failed(st, email_key, req->app->cfg->login_window_ms, now);
        fh_login_failed(st, addr_key, req->app->cfg->login_window_ms, now);
        rc = fh_reply_error(req, FH_EC_AUTH_BAD_CREDENTIALS, "%s", "email or password is wrong");
        goto out;
    }
    fh_login_clear(st, email_key);
    rc = fh_api_start_session_or_reply(req, user_id, 200);
out:
    json_decref(root);
    return rc;
}
