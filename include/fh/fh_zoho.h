/* fh_zoho.h - the Zoho Books connector (src/connectors/zoho/).
 *
 * The one contract of DESIGN.md, on the common pieces of fh_connector.h: authorize (consent.c:
 * OAuth per data center, access_type=offline, the organization choice), refresh
 * (common/tokens.c: single flight, Zoho's refresh tokens never rotate), test (client.c), list
 * changes (the sync job: last_modified_time, all pages), fetch (the document job), write back (a
 * comment) and verify webhook (webhook.c: one signed URL per integration). Handlers never call
 * Zoho except Test Connection and the OAuth callback; everything else runs as jobs (jobs.c).
 * docs/internals/connectors.md, docs/api/integrations.md#zoho-books. */
#ifndef FH_ZOHO_H
#define FH_ZOHO_H

#include <jansson.h>

#include "fh/fh_billing.h"
#include "fh/fh_connector.h"

#define FH_ZOHO_TYPE "zoho_books"
#define FH_ZOHO_JOB_INBOX "zoho.inbox"
#define FH_ZOHO_JOB_DOCUMENT "zoho.document"
#define FH_ZOHO_JOB_SYNC "zoho.sync"
#define FH_ZOHO_JOB_POLL "zoho.poll"
#define FH_ZOHO_JOB_WRITEBACK "zoho.writeback"
#define FH_ZOHO_JOB_REVOKE "zoho.revoke"
#define FH_ZOHO_CALLBACK_PATH "/oauth/zoho/callback"
#define FH_ZOHO_WEBHOOK_PATH "/webhooks/zoho/"
#define FH_ZOHO_WEBHOOK_MAX (1024 * 1024)

/* ---- data centers and settings (dc.c) ---- */
struct fh_zoho_dc {
    char id[16];        /* "eu", "com", "com.au", ... as in settings.data_center */
    char location[8];   /* Zoho's name for it in the consent redirect: "eu", "us", "au", ... */
    char accounts[256]; /* its accounts server (no trailing slash) */
    char web[256];      /* Zoho Books' web app of the data center (the View in Zoho link) */
};
/* The data center of an id (by_location: of a consent redirect's location); false if unknown. */
bool fh_zoho_dc(const struct fh_app *app, const char *id, bool by_location, struct fh_zoho_dc *out);
/* The calls a day of a plan name (case-insensitive prefix match in FISCALHUB_ZOHO_DAY_LIMITS;
 * the smallest of the list for an unknown plan). */
int64_t fh_zoho_day_limit(const char *day_limits, const char *plan);
/* Validates Zoho settings from the API and merges them into base (fh_integ_settings_apply). */
enum fh_rc fh_zoho_settings_merge(json_t *base, json_t *in, json_t **out,
                                  struct fh_json_error *err);

/* ---- consent (consent.c) ---- */
/* The consent URL at the accounts server of settings.data_center (caller frees). */
enum fh_rc fh_zoho_connect_start(struct fh_app *app, const struct fh_integ *in,
                                 const char *session_hash, char **authorize_url);
/* The OAuth callback; location and accounts_server as Zoho's redirect named them (may be NULL). */
enum fh_consent_result fh_zoho_callback(struct fh_app *app, const char *session_hash,
                                        const char *state, const char *code, const char *error,
                                        const char *location, const char *accounts_server,
                                        char uid[16], char *reason, size_t reasonsize);

/* ---- Test Connection (client.c): one read-only call, the answer in words ---- */
void fh_zoho_test(struct fh_app *app, const struct fh_integ *in, bool *ok, char *message,
                  size_t msgsize);

/* The organization's taxes (GET /settings/taxes), for the tax mapping: [{"key": tax_id, "name",
 * "rate": tax_percentage}] and {"key": "none"} for lines without tax. FH_E_CONFLICT when the
 * integration is not active, FH_E_RETRY when Zoho did not answer; message says so. */
enum fh_rc fh_zoho_taxes(struct fh_app *app, const struct fh_integ *in, json_t **out, char *message,
                         size_t msgsize);

/* ---- the webhook of an integration (webhook.c) ---- */
/* Gives the integration its webhook key and secret when it has none yet (idempotent). */
enum fh_rc fh_zoho_webhook_ensure(struct fh_app *app, int64_t integration_id);
/* A new secret; the old one stops at once; polling until a delivery signs with the new one. */
enum fh_rc fh_zoho_webhook_rotate(struct fh_app *app, int64_t integration_id);
/* The Webhook Setup object of docs/api/integrations.md (new reference in *out); the secret only
 * when show_secret. */
enum fh_rc fh_zoho_webhook_json(struct fh_app *app, int64_t integration_id, bool show_secret,
                                json_t **out);
/* The integration a delivery URL's key names and its opened secret (caller wipes and frees):
 * FH_OK, FH_E_NOTFOUND (unknown key or removed integration), FH_E_RETRY / FH_ERR. */
enum fh_rc fh_zoho_webhook_lookup(struct fh_app *app, const char *key, int64_t *integration_id,
                                  char *org_id, size_t org_size, bool *active, char **secret);
/* X-Zoho-Webhook-Signature: hex(HMAC-SHA256(secret, sorted query name+value pairs + raw body)),
 * hex of either case, compared in constant time. names/values: the decoded query pairs in URL
 * order (n of them). */
bool fh_zoho_webhook_verify(const char *secret, const char *const *names, const char *const *values,
                            size_t n, const void *body, size_t len, const char *signature);

/* ---- jobs (jobs.c, sync.c); cls is the struct fh_app ---- */
enum fh_rc fh_zoho_job_inbox(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                             size_t errsize);
enum fh_rc fh_zoho_job_document(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                                size_t errsize);
enum fh_rc fh_zoho_job_sync(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize);
enum fh_rc fh_zoho_job_poll(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                            size_t errsize);
enum fh_rc fh_zoho_job_writeback(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize);
enum fh_rc fh_zoho_job_revoke(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                              size_t errsize);
/* How often the poll job runs (it decides per integration whether a sync is due). */
int64_t fh_zoho_poll_tick_ms(const struct fh_app *app);
/* How often an integration of the tier polls in polling mode: the tier's interval, at least
 * FISCALHUB_ZOHO_MIN_POLL_SECONDS (Zoho counts calls a day), or FISCALHUB_ZOHO_POLL_SECONDS when
 * set. */
int64_t fh_zoho_poll_ms(const struct fh_config *cfg, enum fh_tier tier);

/* ---- mapping (map.c), pure functions ---- */
/* Whether a Zoho invoice (list row or detail) is due under fiscalize ("sent" / "paid"); why
 * says why not. */
bool fh_zoho_due(json_t *inv, const char *fiscalize, char *why, size_t whysize);
/* The canonical invoice (docs/api/fiscal-invoices.md) of a Zoho invoice detail; settings: the
 * integration's (tax_mapping, default_label). FH_E_INPUT with why set when it cannot be
 * mapped. */
enum fh_rc fh_zoho_map(json_t *inv, json_t *settings, json_t **canonical, char *why,
                       size_t whysize);
/* The tax total an invoice states (tax_total), in ten-thousandths, for the tax check
 * (src/fiscal/tax_check.c). False when it has none, and when an invoice-level discount or a
 * negative adjustment is spread over the lines (fh_zoho_map): the lines' totals then differ from
 * what Zoho computed its tax on, so the totals cannot be compared. */
bool fh_zoho_tax_total(json_t *inv, int64_t *tax);
/* Zoho's "2026-04-23T14:15:00+0100" (also "+01:00", "Z", fractions) -> Unix ms. */
bool fh_zoho_time(const char *s, int64_t *ms);
/* fh_conn_again_fn: a zoho.document job for the refused invoice doc_id. */
enum fh_rc fh_zoho_look_again(struct fh_app *app, const struct fh_integ *in, const char *kind,
                              const char *doc_id, int64_t seen_at);

#endif
