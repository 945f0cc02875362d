/* apikeys_post.c - POST /api/orgs/{org}/integrations/{uid}/api-keys: creates an API key for a
 * Custom Integration. The reply is the only place the secret ever appears: only its SHA-256 is
 * stored (see src/auth/apikeys.c). */
#include <sodium.h>

#include "api.h"
#include "fh/fh_apikeys.h"
#include "fh/fh_json.h"
#include "fh/fh_xero.h"

static bool label_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

enum fh_rc fh_api_apikeys_post(struct fh_req *req)
{
    const char *label = NULL;
    struct fh_jspec spec[] = {
        {.name = "label", .type = FH_J_STRING, .min = 1, .max = FH_APIKEY_LABEL_MAX, .out = &label},
        FH_JSPEC_END,
    };
    json_t *root = NULL;
    if (fh_json_parse_body_or_reply(req, spec, &root) != FH_OK)
        return FH_ERR;
    enum fh_rc rc;
    struct fh_integ in = {0};
    if (!label_ok(label)) {
        rc = fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "label must be one line of text");
        goto out;
    }
    if (fh_api_integ_typed_or_reply(req, "custom", &in) != FH_OK) {
        rc = FH_ERR;
        goto out;
    }
    json_t *key = NULL;
    char secret[FH_APIKEY_SECRET_SIZE];
    rc = fh_apikey_create(req->app->store, in.id, label, req->session.user_id, fh_now_ms(), &key,
                          secret);
    if (rc == FH_E_LIMIT) {
        rc = fh_reply_error(req, FH_EC_API_KEY_LIMIT, "integration %s already has %d active keys",
                            in.uid, FH_APIKEY_MAX_ACTIVE);
    } else if (rc != FH_OK) {
        rc = fh_api_store_failed(req, rc, "cannot create the API key");
    } else {
        fh_log(FH_LOG_INFO, "api_key_created", "org %s integration %s key %s", req->org.code,
               in.uid, json_string_value(json_object_get(key, "client_id")));
        json_object_set_new(key, "client_secret", json_string(secret));
        sodium_memzero(secret, sizeof(secret));
        rc = fh_reply_json(req, 201, key);
    }
    fh_integ_free(&in);
out:
    json_decref(root);
    return rc;
}
