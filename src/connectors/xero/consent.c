/* consent.c - connecting an integration to Xero: the common consent (common/consent.c: state +
 * PKCE, callback, organisation choice, activation, removal) with Xero's OAuth client and its
 * connections as the organisations. Reconnect runs the same consent on the same row: uid,
 * history and fiscal invoices stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xero_internal.h"

enum fh_rc fh_xero_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url)
{
    struct fh_oauth_client oc;
    fh_xero_oauth_client(app, &oc);
    char *redirect = fh_xero_redirect_uri(app);
    enum fh_rc rc = fh_consent_start(app, in, session_hash, &oc, redirect, authorize_url);
    free(redirect);
    return rc;
}

static enum fh_rc client(struct fh_app *app, const struct fh_integ *in, void *cls,
                         struct fh_oauth_client *oc, char *reason, size_t reasonsize)
{
    FH_UNUSED(in);
    FH_UNUSED(cls);
    FH_UNUSED(reason);
    FH_UNUSED(reasonsize);
    fh_xero_oauth_client(app, oc);
    return FH_OK;
}

/* The organisations the new tokens reach: Xero's connections of this authorization. */
static enum fh_rc tenants(struct fh_app *app, const struct fh_integ *in,
                          const struct fh_oauth_tokens *t, void *cls, json_t **out, char *reason,
                          size_t reasonsize)
{
    FH_UNUSED(cls);
    char event[100] = "", why[300];
    fh_jwt_claim(t->access_token, "authentication_event_id", event, sizeof(event));
    if (xero_connections(app, t->access_token, event, out, why, sizeof(why)) != FH_OK) {
        fh_log(FH_LOG_WARN, "xero_connect", "integration %s: %s", in->uid, why);
        fh_strlcpy(reason, "connections_failed", reasonsize);
        return FH_ERR;
    }
    return FH_OK;
}

static const struct fh_consent_ops xero_ops = {
    .partner = "xero",
    .sync_kind = FH_XERO_JOB_SYNC,
    .callback_path = FH_XERO_CALLBACK_PATH,
    .client = client,
    .tenants = tenants,
};

enum fh_consent_result fh_xero_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        char uid[16], char *reason, size_t reasonsize)
{
    return fh_consent_callback(app, &xero_ops, NULL, session_hash, state, code, error, uid, reason,
                               reasonsize);
}
