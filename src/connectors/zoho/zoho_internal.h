/* zoho_internal.h - pieces shared by the files of src/connectors/zoho/:
 *   dc.c       data centers, the OAuth client and rate limits of a connection, settings
 *   consent.c  the consent per data center, the organizations, the refresh-token rule
 *   client.c   Books API calls (token, governor, status and envelope mapping), test, revoke
 *   webhook.c  the per-integration webhook: key, secret, rotation, signature, setup text
 *   map.c      Zoho invoices -> the canonical invoice; the fiscalize rule
 *   process.c  one Zoho invoice -> fh_fiscal_submit + its write-back job
 *   credit.c   one Zoho credit note -> a Refund of the invoice it credits
 *   jobs.c     inbox, document, write-back, revoke jobs
 *   sync.c     the sync (last_modified_time, pages) and poll jobs */
#ifndef FH_ZOHO_INTERNAL_H
#define FH_ZOHO_INTERNAL_H

#include "fh/fh_zoho.h"

/* The OAuth client of a data center (its strings live in the struct). */
struct zoho_client {
    struct fh_oauth_client oc;
    char authorize[320], token[320], revoke[320];
};
void zoho_client_init(const struct fh_app *app, const struct fh_zoho_dc *dc,
                      struct zoho_client *zc);

/* What a connected integration's calls need: its data center, organization and plan. */
struct zoho_conn {
    struct fh_zoho_dc dc;
    char org[64], plan[40];
};
/* FH_OK, FH_E_NOTFOUND (no usable data center: not connected), FH_E_RETRY / FH_ERR. */
enum fh_rc zoho_conn_load(struct fh_app *app, int64_t integration_id, struct zoho_conn *out);
void zoho_limits(const struct fh_app *app, const char *plan, struct fh_gov_limits *out);

enum zoho_outcome {
    Z_OK,
    Z_WAIT,      /* rate limit or a refresh elsewhere: *retry_at */
    Z_INACTIVE,  /* the integration is not active (or just became inactive) */
    Z_NOT_FOUND, /* 404 */
    Z_REFUSED,   /* 4xx or a non-zero code: retrying cannot help */
    Z_TRANSIENT, /* 5xx, no answer, store trouble: retry with backoff */
};

struct zoho_call {
    const char *method;
    const char *path;  /* after {api_domain}/books/v3: "/invoices/123" */
    const char *query; /* more query parameters, encoded: "page=2&per_page=200", or NULL */
    const char *body;  /* JSON (or content_type) or NULL */
    size_t body_len;   /* 0: strlen(body) */
    const char *content_type; /* NULL: application/json */
    const char *what;         /* for messages: "invoice" */
};

/* Sends c to {api_domain}/books/v3{path}?{query} with the token (no governor, no retry; query
 * replaces c->query): the organizations list of the consent, and zoho_api's sending. */
void zoho_send(struct fh_app *app, const char *api_domain, const char *access_token,
               const struct zoho_call *c, const char *query, struct fh_http_response *out);
/* One Books API call for the integration, organization_id added (see client.c for the status
 * mapping). *out holds the parsed answer (an object, or NULL) for every outcome; why a
 * sentence without secrets. */
enum zoho_outcome zoho_api(struct fh_app *app, int64_t integration_id, const struct zoho_call *c,
                           json_t **out, int64_t *retry_at, char *why, size_t whysize);
/* Revokes a removed integration's refresh token at its data center. */
enum fh_rc zoho_revoke(struct fh_app *app, int64_t integration_id, char *why, size_t whysize);

/* A Zoho id: 1..19 digits, as a string or a JSON integer, into out; false otherwise. */
bool zoho_id(json_t *v, char *out, size_t outsize);
/* The unique source key of an invoice: "zoho:<organization_id>:<invoice_id>". */
void zoho_source_key(const char *org, const char *invoice_id, char *out, size_t outsize);
/* The unique source key of a credit note: "zoho:<organization_id>:CN:<creditnote_id>". */
void zoho_credit_key(const char *org, const char *creditnote_id, char *out, size_t outsize);
/* The document's page in Zoho Books (View in Zoho; caller frees; NULL: no data center). */
char *zoho_view_url(struct fh_app *app, const struct fh_integ *in, bool credit_note,
                    const char *doc_id);
/* True when a fiscal invoice of the organization already has that key (store errors: true,
 * with *failed set, so nothing is fiscalized twice by mistake). */
bool zoho_fiscalized(struct fh_store *st, int64_t org_id, const char *key, bool *failed);

enum zoho_process_result {
    ZP_DONE,
    ZP_RETRY,
    ZP_FAILED,
    ZP_WAIT,          /* a rate limit or a refresh elsewhere: *retry_at */
    ZP_WAIT_ORIGINAL, /* the credited invoice is not signed yet (the wait is recorded) */
};
/* fh_conn_submit of an invoice's or credit note's canonical form (doc: its detail, for the tax
 * check), with its View in Zoho link and its write-back job (a comment on the document). */
enum zoho_process_result zoho_submit(struct fh_app *app, const struct fh_integ *in, json_t *doc,
                                     bool credit_note, const char *doc_id, const char *key,
                                     const char *number, json_t *canonical, char *why,
                                     size_t whysize);
/* Decides and, when due, fiscalizes one fetched invoice detail of the integration (idempotent:
 * the source key), and queues its write-back. A void invoice whose sale was fiscalized becomes
 * the sale's Refund (ZP_WAIT_ORIGINAL while the sale is not signed; the wait is recorded under
 * the void's key). */
enum zoho_process_result zoho_process(struct fh_app *app, const struct fh_integ *in, json_t *inv,
                                      char *why, size_t whysize);
/* Fetches one credit note (and, when it does not name its invoice, the invoices it credits) and,
 * when it is open or closed and credits an invoice, fiscalizes it as a Refund of that invoice's
 * fiscal invoice (credit.c); ZP_WAIT_ORIGINAL while that is not signed or does not exist yet. */
enum zoho_process_result zoho_credit_note(struct fh_app *app, const struct fh_integ *in,
                                          const char *creditnote_id, int64_t *retry_at, char *why,
                                          size_t whysize);
/* What a document job looks at: an invoice (fiscalized when due), a credit note, or a voided
 * invoice whose sale was fiscalized (its refund). */
enum zoho_doc { ZOHO_DOC_INVOICE, ZOHO_DOC_CREDIT_NOTE, ZOHO_DOC_VOID };
/* The source key of a voided invoice's refund: "zoho:<organization_id>:VOID:<invoice_id>". */
void zoho_void_key(const char *org, const char *invoice_id, char *out, size_t outsize);
/* A void of the invoice is still to be fiscalized: its sale has a fiscal invoice, its refund
 * none (store errors: false, with *failed set). */
bool zoho_void_open(struct fh_store *st, int64_t org_id, const char *org, const char *invoice_id,
                    bool *failed);
/* Queues a document job for an invoice, credit note or void (unique per integration, kind,
 * document and version; the payload names invoice_id or creditnote_id, a void's "void": true),
 * due at
 * run_at (0: now). delivery (the webhook's inbox row; 0 for a sync) is a change that happened
 * after any earlier delivery: when that version's job has already begun, another one is queued,
 * for Zoho's version (last_modified_time) has whole seconds and a change within the same second
 * keeps it. Joins a transaction. */
enum fh_rc zoho_queue_document(struct fh_store *st, const struct fh_queue_cfg *q,
                               int64_t integration_id, enum zoho_doc kind, const char *doc_id,
                               const char *version, int64_t run_at, int64_t delivery);

/* The job's answer to an outcome that is not Z_OK (Z_INACTIVE / Z_NOT_FOUND: done). */
enum fh_rc zoho_finish(struct fh_app *app, const struct fh_job *job, json_t *p,
                       enum zoho_outcome o, int64_t retry_at, const char *why, char *err,
                       size_t errsize);

#endif
