/* fh_events.h - outgoing events (Custom / Webhook integrations), the lifecycle of the two
 * integration types this module owns (Custom Integration, Custom / Webhook), and the public
 * API's view of fiscal invoices.
 *
 * An event is created in the SAME transaction as the change it reports (an invoice reaching
 * signed or failed, an integration's status changing): the hooks below join the caller's
 * transaction, so an event can never be lost, nor emitted for a change that did not commit. The
 * event row holds the JSON body exactly as it is sent and a stable id ("evt_..."); one delivery
 * row per subscribed endpoint, and one durable job per delivery attempt, carry it out. Each POST
 * is signed: "Fiscalhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." +
 * body)>". Failed deliveries are retried with exponential backoff until the retry window
 * (FISCALHUB_WEBHOOK_RETRY_SECONDS, 24 h) has passed, then the delivery is failed; Redeliver
 * sends the same event (same id) again. Design: top of src/events/events.c and deliver.c;
 * formats: docs/api/webhooks.md. */
#ifndef FH_EVENTS_H
#define FH_EVENTS_H

#include <jansson.h>

#include "fh/fh_http.h"
#include "fh/fh_jobs.h"
#include "fh/fh_json.h"

#define FH_EVENT_INVOICE_FISCALIZED "invoice.fiscalized"
#define FH_EVENT_INVOICE_FAILED "invoice.failed"
#define FH_EVENT_INTEGRATION_STATUS "integration.status_changed"
#define FH_WEBHOOK_JOB_KIND "webhook.deliver"
#define FH_CUSTOM_SWEEP_JOB_KIND "custom.sweep"
#define FH_WEBHOOK_SECRET_SIZE 64   /* "whsec_" + 43 characters */
#define FH_WEBHOOK_SIG_SIZE 96      /* "t=<10 digits>,v1=<64 hex>" */
#define FH_WEBHOOK_EXCERPT_MAX 1024 /* bytes of a response kept in the delivery log */
#define FH_WEBHOOK_MAX_HEADERS 10

/* ---- hooks: each joins the caller's transaction; returns >= 0, or FH_QS_SOFT / FH_QS_HARD
 * (the caller then rolls back, so the change and its event commit together or not at all) ---- */
/* The fiscal invoice reached "signed" (invoice.fiscalized) or "failed" (invoice.failed): an event
 * for every active Custom / Webhook integration of the invoice's certificate that subscribes. */
int fh_events_invoice_outcome(struct fh_store *st, int64_t invoice_id, int64_t now);
/* The integration's status changed from previous (NULL when unknown or new): an
 * integration.status_changed event for every active endpoint of the organization that
 * subscribes. */
int fh_events_integration_changed(struct fh_store *st, int64_t integration_id, const char *previous,
                                  int64_t now);
/* Runs sql (an UPDATE of the integration's row, params p) in a transaction (or the caller's)
 * and, when it changed the integration's status, the event above. For the places where a
 * status changes: one call instead of the fh_store_exec. Returns what the UPDATE returned. */
int fh_events_integration_update(struct fh_store *st, int64_t integration_id, const char *sql,
                                 const struct fh_param *p, size_t n, int64_t now);

/* ---- the integration types "custom" and "webhook" (src/events/lifecycle.c) ---- */
/* Creates an active Custom Integration tied to certificate cert_id; uid receives its uid.
 * FH_E_LIMIT (nothing created) when the organization has no free seat (fh_billing_seat_claim_tx,
 * in the same transaction); the same for fh_webhook_integration_create. */
enum fh_rc fh_custom_integration_create(struct fh_app *app, int64_t org_id, int64_t cert_id,
                                        char uid[16]);
/* Validates a webhook endpoint configuration {url, headers: [{name, value}], events: [...]}.
 * With create, url and events are required and a header value may not be null (null keeps the
 * stored value of that header on update). FH_E_INPUT with err naming the field, prefixed with
 * prefix ("settings." when the object is the integration's settings, else ""). */
enum fh_rc fh_webhook_config_check(json_t *cfg, bool create, const char *prefix,
                                   struct fh_json_error *err);
/* Creates an active Custom / Webhook integration with its endpoint (cfg checked) in one
 * transaction; secret receives the signing secret (shown once). */
enum fh_rc fh_webhook_integration_create(struct fh_app *app, int64_t org_id, int64_t cert_id,
                                         json_t *cfg, char uid[16],
                                         char secret[FH_WEBHOOK_SECRET_SIZE]);
/* Replaces the endpoint's url / events / headers (those given; cfg checked with create false).
 * FH_E_INPUT with err for a header value null that names no stored header. */
enum fh_rc fh_webhook_update(struct fh_app *app, int64_t integration_id, json_t *cfg,
                             struct fh_json_error *err);
/* {url, events, headers: [{name}], created_at, updated_at} (values never). FH_E_NOTFOUND. */
enum fh_rc fh_webhook_endpoint_json(struct fh_store *st, int64_t integration_id, json_t **out);
/* Remove for both types: status removed, every API key revoked, the status event, a release of
 * the organization's invoices on hold (a seat is free) - one transaction. Pending deliveries of a
 * removed endpoint fail at their next attempt. */
enum fh_rc fh_custom_integration_remove(struct fh_app *app, int64_t org_id, int64_t integration_id);

/* ---- deliveries (src/events/deliveries.c) ---- */
/* The endpoint's deliveries, newest first, after cursor (NULL: from the newest), at most limit:
 * {"deliveries": [...], "next_cursor": "..." | null}. FH_E_INPUT for a malformed cursor. */
enum fh_rc fh_webhook_deliveries_json(struct fh_store *st, int64_t integration_id,
                                      const char *cursor, int64_t limit, json_t **out);
/* One delivery with its attempts (the delivery log). FH_E_NOTFOUND. */
enum fh_rc fh_webhook_delivery_json(struct fh_store *st, int64_t integration_id,
                                    int64_t delivery_id, json_t **out);
/* Sends the delivery's event again (same event id): FH_E_NOTFOUND, FH_E_CONFLICT while it is
 * still pending. */
enum fh_rc fh_webhook_redeliver(struct fh_app *app, int64_t integration_id, int64_t delivery_id);

/* ---- jobs; cls is the struct fh_app ---- */
enum fh_rc fh_webhook_job_deliver(void *cls, struct fh_store *st, const struct fh_job *job,
                                  char *err, size_t errsize);
/* Makes every delivery that waits for its endpoint (fh_job_release by a process that may be
 * gone, so nobody would wake it) due now; run when a process starts its workers. The endpoint's
 * limit then lets one go and puts the others back in line. */
enum fh_rc fh_webhook_wake_waiting(struct fh_store *st);
/* Hourly: forgets Idempotency-Keys past their TTL and events (with their deliveries and log)
 * past FISCALHUB_WEBHOOK_LOG_DAYS that are no longer pending. */
enum fh_rc fh_custom_job_sweep(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                               size_t errsize);

/* ---- pieces with unit tests ---- */
/* "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>" into out. */
void fh_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                          char out[FH_WEBHOOK_SIG_SIZE]);
/* Delay before attempt n + 1 after n failed: base * 2^(n-1), capped at max, +-25 % jitter. */
int64_t fh_webhook_backoff(int n, int64_t base_ms, int64_t max_ms);
/* At most max bytes of text as valid UTF-8 without control characters (other than tab and
 * newline); caller frees. */
char *fh_webhook_excerpt(const char *text, size_t len, size_t max);
/* Opaque cursors of the public API and the delivery log: encode an id, decode (false when
 * malformed). */
void fh_cursor_encode(int64_t id, char *out, size_t outsize);
bool fh_cursor_decode(const char *cursor, int64_t *id);
/* One page of a cursor-paged list, from rows read newest first with LIMIT limit + 1 (an id in
 * column 0): {"<name>": [item(rows, i) for the first limit rows], "next_cursor": the cursor of
 * the last one shown, or null when there is no further row}. */
json_t *fh_cursor_page(const struct fh_rows *rows, int64_t limit, const char *name,
                       json_t *(*item)(const struct fh_rows *rows, size_t i));

/* ---- the public API's view of fiscal invoices (src/events/invoice_json.c) ---- */
struct fh_public_filter {
    int64_t integration_id;   /* required: a key sees its integration's invoices */
    const char *status;       /* NULL: any */
    const char *invoice_type; /* NULL: any */
    const char *source_id;    /* NULL: any */
    int64_t from_ms, to_ms;   /* created_at in [from, to); 0: open */
    bool tax_mismatch;        /* only invoices the tax check flagged */
    int64_t before_id;        /* cursor: ids below this; 0: from the newest */
    int64_t limit;            /* 1..100 */
};
/* {"invoices": [summary...], "next_cursor"}: newest first (by id), stable under inserts. */
enum fh_rc fh_public_invoice_list(struct fh_store *st, const struct fh_public_filter *f,
                                  json_t **out);
/* The details of invoice id (summary + transaction_type, canonical invoice and the fiscal
 * result); integration_id > 0 scopes it (another integration's id: FH_E_NOTFOUND). with_qr
 * adds the QR code GIF. */
enum fh_rc fh_public_invoice_get(struct fh_store *st, int64_t integration_id, int64_t id,
                                 bool with_qr, json_t **out);
/* The source key of a public API submission: "custom:<integration uid>:<source_id>", or a random
 * one ("custom:<uid>!<random>") when there is no source_id. */
void fh_public_source_key(const char *integration_uid, const char *source_id, char *out,
                          size_t outsize);

#endif
