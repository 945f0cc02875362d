/* fh_xero.h - the Xero connector (src/connectors/xero/) and the integration rows the API shows.
 *
 * The connector implements the one contract of DESIGN.md: authorize (consent.c), refresh
 * (common/tokens.c), test (client.c), list changes (sync job), fetch (document job), write back
 * (write-back job) and verify webhook (client.c). Handlers never call Xero except Test Connection
 * and the OAuth callback; everything else runs as jobs (jobs.c). docs/internals/connectors.md. */
#ifndef FH_XERO_CONNECTOR_H
#define FH_XERO_CONNECTOR_H

#include <jansson.h>

#include "fh/fh_connector.h"
#include "fh/fh_json.h"

#define FH_XERO_JOB_INBOX "xero.inbox"
#define FH_XERO_JOB_DOCUMENT "xero.document"
#define FH_XERO_JOB_SYNC "xero.sync"
#define FH_XERO_JOB_POLL "xero.poll"
#define FH_XERO_JOB_WRITEBACK "xero.writeback"
#define FH_XERO_JOB_REVOKE "xero.revoke"
#define FH_XERO_CALLBACK_PATH "/oauth/xero/callback"
#define FH_XERO_WEBHOOK_MAX (1024 * 1024)

/* ---- integration rows (common/integ.c) ---- */
struct fh_integ {
    int64_t id, org_id, certificate_id;
    char uid[16], type[24], status[16];
    char certificate_uid[16];
    char tenant_id[64], tenant_name[256], connection_id[64];
    json_t *settings; /* owned object */
    json_t *tenants;  /* owned array or NULL: tenants to pick from */
    int64_t sync_cursor, created_at;
};
void fh_integ_free(struct fh_integ *in);
/* By organization and uid (removed ones included); FH_E_NOTFOUND, FH_E_RETRY, FH_ERR. */
enum fh_rc fh_integ_load(struct fh_store *st, int64_t org_id, const char *uid,
                         struct fh_integ *out);
enum fh_rc fh_integ_load_id(struct fh_store *st, int64_t id, struct fh_integ *out);
/* The integration objects of docs/api/integrations.md: all of an organization (removed ones
 * left out) or, with uid, that one (*out is then the object, or NULL when there is none). */
enum fh_rc fh_integ_list_json(struct fh_store *st, int64_t org_id, const char *uid, int64_t now,
                              json_t **out);
/* The trigger setting ("payment" default, or "approval"). */
const char *fh_integ_trigger(const struct fh_integ *in);
/* Validates a settings object from the API and merges it into base (new reference in *out);
 * FH_E_INPUT with err set on a bad value. */
enum fh_rc fh_integ_settings_merge(json_t *base, json_t *in, json_t **out,
                                   struct fh_json_error *err);

/* ---- Xero settings from the configuration (client.c) ---- */
void fh_xero_oauth_client(const struct fh_app *app, struct fh_oauth_client *out);
void fh_xero_limits(const struct fh_app *app, struct fh_gov_limits *out);
/* FISCALHUB_PUBLIC_URL + FH_XERO_CALLBACK_PATH; caller frees. */
char *fh_xero_redirect_uri(const struct fh_app *app);
/* x-xero-signature check: base64(HMAC-SHA256(key, raw body)), constant-time compare. */
bool fh_xero_webhook_verify(const char *key, const void *body, size_t len, const char *signature);

/* ---- consent (consent.c) ---- */
/* Stores a new state (bound to the session's token hash and the integration, single use,
 * 10 minutes) with its PKCE verifier and returns the consent URL (caller frees). */
enum fh_rc fh_xero_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url);

enum fh_xero_cb_result {
    FH_XERO_CB_ACTIVE,    /* one organisation: active; redirect to the list */
    FH_XERO_CB_PICK,      /* several: the user picks one */
    FH_XERO_CB_ERROR,     /* consent refused or failed: code names why, stays as it was */
    FH_XERO_CB_BAD_STATE, /* unknown, expired, reused or another session's state */
    FH_XERO_CB_STORE,     /* store failure */
};
/* The OAuth callback: consumes the state, exchanges the code, reads the connections, stores the
 * sealed tokens. uid receives the integration's uid (when the state was good); code a short
 * reason ("access_denied", "exchange_failed", "no_organisation", ...). */
enum fh_xero_cb_result fh_xero_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        char uid[16], char *reason, size_t reasonsize);
/* Picks one of the authorized organisations: active. FH_E_NOTFOUND for a tenant not offered,
 * FH_E_CONFLICT when there is nothing to pick. */
enum fh_rc fh_xero_pick_tenant(struct fh_app *app, const struct fh_integ *in,
                               const char *tenant_id);
/* Activation after consent: status active, tenant, backfill queued. Joins a transaction. */
enum fh_rc fh_xero_activate(struct fh_app *app, int64_t integration_id, const char *tenant_id,
                            const char *tenant_name, const char *connection_id, int64_t now);
/* Remove: status removed, sync stopped, tokens kept sealed until the revoke job used them. */
enum fh_rc fh_xero_remove(struct fh_app *app, const struct fh_integ *in);

/* ---- Test Connection (client.c): one read-only call, the answer in words ---- */
void fh_xero_test(struct fh_app *app, const struct fh_integ *in, bool *ok, char *message,
                  size_t msgsize);

/* ---- jobs (jobs.c); cls is the struct fh_app ---- */
enum fh_rc fh_xero_job_inbox(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                             size_t errsize);
enum fh_rc fh_xero_job_document(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                                size_t errsize);
enum fh_rc fh_xero_job_sync(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize);
enum fh_rc fh_xero_job_poll(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize);
enum fh_rc fh_xero_job_writeback(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize);
enum fh_rc fh_xero_job_revoke(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                              size_t errsize);

/* ---- mapping (map.c), pure functions ---- */
enum fh_xero_decision { FH_XERO_FISCALIZE, FH_XERO_SKIP };
/* Whether an invoice (Xero JSON) is due under trigger ("payment" / "approval"); why says why
 * not. */
enum fh_xero_decision fh_xero_decide_invoice(json_t *inv, const char *trigger, char *why,
                                             size_t whysize);
/* The canonical invoice (docs/api/fiscal-invoices.md) of a Xero invoice or credit note; for a
 * credit note (refund) pass the original's V-SDC number and time. settings: the integration's
 * (tax_mapping, default_label). FH_E_INPUT with why set when it cannot be mapped. */
enum fh_rc fh_xero_map(json_t *doc, json_t *settings, const char *ref_number, const char *ref_time,
                       json_t **canonical, char *why, size_t whysize);
/* "/Date(1552326816230+0000)/" or an ISO date-time -> Unix ms; false when unreadable. */
bool fh_xero_date(const char *s, int64_t *ms);

#endif
