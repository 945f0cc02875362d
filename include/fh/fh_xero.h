/* fh_xero.h - the Xero connector (src/connectors/xero/); integration rows are in fh_connector.h.
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

/* ---- Xero settings from the configuration (client.c) ---- */
void fh_xero_oauth_client(const struct fh_app *app, struct fh_oauth_client *out);
void fh_xero_limits(const struct fh_app *app, struct fh_gov_limits *out);
/* FISCALHUB_PUBLIC_URL + FH_XERO_CALLBACK_PATH; caller frees. */
char *fh_xero_redirect_uri(const struct fh_app *app);
/* x-xero-signature check: base64(HMAC-SHA256(key, raw body)), constant-time compare. */
bool fh_xero_webhook_verify(const char *key, const void *body, size_t len, const char *signature);

/* ---- consent (consent.c, on common/consent.c) ---- */
/* The consent URL of a new state for the integration (caller frees). */
enum fh_rc fh_xero_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url);
/* The OAuth callback (fh_consent_callback with Xero's client and connections). */
enum fh_consent_result fh_xero_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        char uid[16], char *reason, size_t reasonsize);

/* ---- Test Connection (client.c): one read-only call, the answer in words ---- */
void fh_xero_test(struct fh_app *app, const struct fh_integ *in, bool *ok, char *message,
                  size_t msgsize);

/* The organisation's active tax rates a sales line can carry (GET /TaxRates), for the tax
 * mapping: [{"key": TaxType, "name", "rate": EffectiveRate}]. FH_E_CONFLICT when the integration
 * is not active, FH_E_RETRY when Xero did not answer (rate limit included); message says so. */
enum fh_rc fh_xero_taxes(struct fh_app *app, const struct fh_integ *in, json_t **out, char *message,
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
/* The tax total an invoice or credit note states (TotalTax), in ten-thousandths, for the tax
 * check (src/fiscal/tax_check.c); false when it has none that can be read. */
bool fh_xero_tax_total(json_t *doc, int64_t *tax);
/* fh_conn_again_fn: a xero.document job for the refused invoice or credit note doc_id. */
enum fh_rc fh_xero_look_again(struct fh_app *app, const struct fh_integ *in, const char *kind,
                              const char *doc_id, int64_t seen_at);

#endif
