/* fh_connector.h - what every partner connector shares: an outbound HTTP client with explicit
 * status classes, OAuth 2.0 (authorization code + PKCE S256, token exchange, refresh) with
 * tokens sealed on the integration row and refreshed single-flight, a rate governor kept in the
 * store, the webhook inbox, and job deferral. The design is in docs/internals/connectors.md. */
#ifndef FH_CONNECTOR_H
#define FH_CONNECTOR_H

#include <jansson.h>

#include "fh/fh_http.h"
#include "fh/fh_jobs.h"
#include "fh/fh_json.h"

/* ---- outbound HTTP (common/http.c) ---- */
#define FH_CONN_MAX_RESPONSE (8 * 1024 * 1024)

struct fh_http_request {
    const char *method;         /* "GET", "POST", "PUT", "DELETE" */
    const char *url;            /* https, or http to a loopback host only */
    const char *const *headers; /* "Name: value" lines, NULL-terminated (may be NULL) */
    const char *body;           /* may be NULL */
    size_t body_len;
    const char *basic_user; /* with basic_pass: Authorization: Basic (may be NULL) */
    const char *basic_pass;
    long timeout_ms;     /* whole call (0: 30000) */
    size_t max_response; /* 0: FH_CONN_MAX_RESPONSE */
};

struct fh_http_response {
    long status; /* 0: no HTTP answer */
    char *body;  /* owned, NUL-terminated, may be NULL */
    size_t len;
    char *headers;   /* owned: the response's header lines */
    bool too_large;  /* the answer was cut at max_response */
    char error[256]; /* why there was no answer (no secrets, no bodies) */
};

/* Explicit classes of an answer; every connector maps each one. */
enum fh_http_class {
    FH_HC_OK,           /* 2xx */
    FH_HC_BAD_REQUEST,  /* 400, 422: the request is wrong, retrying cannot help */
    FH_HC_UNAUTHORIZED, /* 401: token expired/invalid or scope missing */
    FH_HC_FORBIDDEN,    /* 403: tenant not connected / not permitted */
    FH_HC_NOT_FOUND,    /* 404 */
    FH_HC_CONFLICT,     /* 409 */
    FH_HC_RATE_LIMITED, /* 429 */
    FH_HC_SERVER,       /* 5xx, 408: transient */
    FH_HC_NO_ANSWER,    /* timeout, refused, reset, cut: transient, outcome unknown */
    FH_HC_OTHER,        /* 1xx, 3xx, other 4xx: refused */
};

/* True when url is https, or http to 127.0.0.0/8, localhost or [::1]. */
bool fh_http_url_allowed(const char *url);
/* One call. Never follows redirects; a POST/PUT body is never re-sent by libcurl on a dead
 * kept-alive connection (the read callback cannot rewind). FH_E_INPUT for a refused URL;
 * otherwise FH_OK with out filled (status 0 when no answer arrived). */
enum fh_rc fh_http_call(const struct fh_http_request *rq, struct fh_http_response *out);
void fh_http_response_free(struct fh_http_response *r);
enum fh_http_class fh_http_classify(const struct fh_http_response *r);
const char *fh_http_class_name(enum fh_http_class c);
/* "<partner> did not answer usefully (HTTP 500, server error)" or "(no answer: <why>)". */
void fh_http_no_use(const char *partner, const struct fh_http_response *r, char *why,
                    size_t whysize);
/* The value of a response header (case-insensitive name) into out; false when absent. */
bool fh_http_header(const struct fh_http_response *r, const char *name, char *out, size_t outsize);
/* Percent-encodes s (RFC 3986 unreserved kept) onto b. */
void fh_url_encode(struct fh_buf *b, const char *s);
/* Frees the pooled handles (at shutdown). */
void fh_http_shutdown(void);

/* ---- OAuth 2.0 (common/oauth2.c) ---- */
#define FH_PKCE_VERIFIER_LEN 43

/* A new random verifier (43 characters of [A-Za-z0-9_-]) and its S256 challenge. */
void fh_pkce_new(char verifier[FH_PKCE_VERIFIER_LEN + 1], char challenge[FH_PKCE_VERIFIER_LEN + 1]);
/* BASE64URL(SHA-256(verifier)) without padding into out (>= 44 bytes). */
void fh_pkce_challenge(const char *verifier, char *out, size_t outsize);

struct fh_oauth_client {
    const char *partner; /* "Xero", "Zoho": names the partner in sentences for people */
    const char *authorize_url, *token_url, *revoke_url;
    const char *client_id, *client_secret; /* secret NULL: a PKCE-only public client */
    const char *scopes;
    const char *authorize_extra; /* appended to the consent URL's query as is, or NULL */
    bool secret_in_body; /* client_id and client_secret as form fields (Zoho), not HTTP Basic */
    long timeout_ms;
};
/* The consent URL (caller frees). */
char *fh_oauth_authorize_url(const struct fh_oauth_client *c, const char *redirect_uri,
                             const char *state, const char *challenge);

struct fh_oauth_tokens {
    char *access_token, *refresh_token; /* owned; wipe with fh_oauth_tokens_free */
    int64_t expires_in_s;
    char scope[512];
    char api_domain[256]; /* Zoho: the API host of the user's data center ("" when absent) */
};
void fh_oauth_tokens_free(struct fh_oauth_tokens *t);

/* A token endpoint's error may come with HTTP 4xx or, as Zoho does, with HTTP 200: an answer
 * with an "error" field is an error whatever its status. */
enum fh_oauth_result {
    FH_OAUTH_OK,
    FH_OAUTH_INVALID_GRANT, /* the code or refresh token is refused for good (invalid_grant,
                               Zoho's invalid_code): re-consent */
    FH_OAUTH_REFUSED,       /* invalid_client, unauthorized_client, ...: configuration */
    FH_OAUTH_TRANSIENT,     /* no answer, 5xx, 429, unreadable answer: try again later */
};
/* grant_type=authorization_code with the PKCE verifier. why: a sentence for people. */
enum fh_oauth_result fh_oauth_exchange(const struct fh_oauth_client *c, const char *code,
                                       const char *redirect_uri, const char *verifier,
                                       struct fh_oauth_tokens *out, char *why, size_t whysize);
enum fh_oauth_result fh_oauth_refresh(const struct fh_oauth_client *c, const char *refresh_token,
                                      struct fh_oauth_tokens *out, char *why, size_t whysize);
/* POST token=<token> to the revocation endpoint; FH_OK on 200. */
enum fh_rc fh_oauth_revoke(const struct fh_oauth_client *c, const char *token);
/* One claim (string) of a JWT's payload, unverified (routing hints only); false if absent. */
bool fh_jwt_claim(const char *jwt, const char *claim, char *out, size_t outsize);

/* ---- tokens on the integration row, refreshed single-flight (common/tokens.c) ---- */
struct fh_conn_token {
    char *access_token; /* owned; wipe with fh_conn_token_free */
    int64_t version;    /* token_version it belongs to */
    char tenant_id[64];
    char api_domain[256]; /* as the token endpoint last named it ("" when it never did) */
};
void fh_conn_token_free(struct fh_conn_token *t);

enum fh_token_result {
    FH_TOKEN_OK,
    FH_TOKEN_INACTIVE, /* the integration is not active (removed, inactive, pending) */
    FH_TOKEN_WAIT,     /* someone else is refreshing, or the partner is down: *retry_at */
    FH_TOKEN_ERROR,    /* store failure */
};
/* Stores a fresh token pair (consent): sealed, version + 1, lease cleared. Joins a transaction. */
enum fh_rc fh_conn_tokens_store(struct fh_app *app, int64_t integration_id,
                                const struct fh_oauth_tokens *t, int64_t now);
/* A usable access token of the integration. When it is due (or stale_version >= 0 and the token
 * of that version was refused), exactly one caller across threads and processes refreshes:
 * it holds the row's refresh lease, calls the token endpoint, and commits the rotated refresh
 * token with the new access token before anyone uses it. Others wait for the new version.
 * invalid_grant makes the integration inactive with the reason. */
enum fh_token_result fh_conn_token_get(struct fh_app *app, const struct fh_oauth_client *oc,
                                       int64_t integration_id, int64_t stale_version,
                                       struct fh_conn_token *out, int64_t *retry_at);
/* The plaintext of a sealed secret (caller frees with fh_conn_wipe); NULL when absent or it
 * does not open. */
char *fh_conn_open(const struct fh_app *app, const char *sealed);
/* Zeroes and frees s (may be NULL). */
void fh_conn_wipe(char *s);
/* After the revocation: erases the sealed tokens of a removed integration. */
void fh_conn_tokens_forget(struct fh_store *st, int64_t integration_id);
/* Marks an active integration inactive with a reason for people (FH_OK when it changed). */
enum fh_rc fh_conn_deactivate(struct fh_store *st, int64_t integration_id, const char *reason,
                              int64_t now);

/* ---- rate governor (common/governor.c) ---- */
struct fh_gov_limits {
    int64_t minute, day, app_minute, concurrent;
    int64_t time_scale; /* divides the windows (sandbox time scale) */
    int64_t call_ms;    /* the longest a call takes (its timeout): a call in flight expires after */
    /* The partner's headers that report what is left in its minute / day / app-minute window
     * (NULL: not reported), and the seconds until its day ends. */
    const char *minute_left_header, *day_left_header, *app_left_header, *day_reset_header;
};
/* A reserved call, in flight for every process sharing the store until released. */
struct fh_gov_ticket {
    int64_t call_id;
    bool held;
};
/* Reserves one call for (partner, tenant): FH_OK, or FH_E_RETRY with *wait_until (Unix ms) the
 * earliest time a call may be made. FH_ERR on store failure. */
enum fh_rc fh_gov_acquire(struct fh_store *st, const char *partner, const char *tenant,
                          const struct fh_gov_limits *l, int64_t now, int64_t *wait_until,
                          struct fh_gov_ticket *t);
void fh_gov_release(struct fh_store *st, struct fh_gov_ticket *t);
/* Reads the answer's remaining-quota headers (l's names; a day left at 0 blocks the day window
 * for day_reset_header's seconds) and, on 429, Retry-After and X-Rate-Limit-Problem, and blocks
 * the windows they name. Returns the wait (ms) a 429 asks. */
int64_t fh_gov_observe(struct fh_store *st, const char *partner, const char *tenant,
                       const struct fh_gov_limits *l, const struct fh_http_response *r,
                       int64_t now);

/* ---- webhook inbox (common/inbox.c) ---- */
struct fh_inbox_event {
    const char *tenant_id, *category, *event_type, *resource_id, *event_at;
    int64_t integration_id; /* the integration a delivery was addressed to (0: by tenant) */
};
/* In one transaction: the events as inbox rows and one processing job (kind, unique key from
 * the first row id). FH_OK only once committed. */
enum fh_rc fh_inbox_commit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind);
/* The same without waiting: queues the delivery (n > 0; ev and its strings must stay valid
 * until done is called) and returns; done(cls, rc) is called once, on the committer's thread,
 * with FH_OK once committed, else FH_E_RETRY or FH_ERR. FH_ERR at once (done never called) when
 * the delivery cannot be queued. */
enum fh_rc fh_inbox_submit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind, void (*done)(void *cls, enum fh_rc rc),
                           void *cls);
/* An inbox row as the processing job reads it (strings borrowed; integration_id 0 when none). */
struct fh_inbox_row {
    int64_t id, integration_id;
    const char *tenant_id, *category, *event_type, *resource_id, *event_at; /* event_at: NULL */
};
/* Runs fn on every unprocessed row of source, oldest first, each in a transaction of its own
 * that also marks the row processed; fn returns what a transaction body returns (> 0 or 0 to
 * commit, FH_QS_* to fail). The body of a source's inbox job. */
enum fh_rc fh_inbox_drain(struct fh_app *app, const char *source,
                          int (*fn)(struct fh_store *st, const struct fh_inbox_row *r, void *cls),
                          void *cls, char *err, size_t errsize);

/* ---- jobs that wait (common/defer.c) ---- */
/* Re-enqueues job as a successor due at run_at (same kind, payload - or new_payload when not
 * NULL, borrowed - with "defer" counted up, key "<key>~<n>"), so the caller can complete this
 * run: a wait costs no attempt. Idempotent when the run is repeated. */
enum fh_rc fh_job_defer(struct fh_app *app, const struct fh_job *job, json_t *new_payload,
                        int64_t run_at);

/* ---- what job handlers share (common/jobs.c) ---- */
struct fh_integ;
/* The job's payload object (new reference; {} when it is not an object). */
json_t *fh_job_payload(const struct fh_job *job);
/* The payload (*p, new reference) and the integration of payload.integration_id (*in) when it is
 * active and of type; false when there is nothing to do (*rc the job's answer: FH_OK, or
 * FH_E_RETRY on a store error; *p released). Removing an integration stops its jobs this way. */
bool fh_job_begin(struct fh_app *app, const struct fh_job *job, const char *type, json_t **p,
                  struct fh_integ *in, enum fh_rc *rc);
/* fh_job_defer with payload p; FH_E_RETRY (err set) when even that fails. */
enum fh_rc fh_job_defer_or_retry(struct fh_app *app, const struct fh_job *job, json_t *p,
                                 int64_t at, char *err, size_t errsize);
/* A partner document to fiscalize, and the write-back job that follows. */
struct fh_conn_doc {
    const struct fh_integ *in;
    const char *source_key, *source_ref, *source_url; /* ref and url may be NULL */
    const char *writeback_kind, *writeback_prefix; /* the job and its key "<prefix>:<fiscal id>" */
    json_t *writeback_payload; /* borrowed; integration_id and fiscal_id are added */
    /* the tax total the document states (ten-thousandths), when known: the V-SDC's is checked
     * against it once signed (src/fiscal/tax_check.c) */
    bool has_source_tax;
    int64_t source_tax;
};
enum fh_conn_submit_result { FH_SUBMIT_DONE, FH_SUBMIT_RETRY, FH_SUBMIT_FAILED };
/* fh_fiscal_submit (idempotent by source key) and the write-back job (idempotent by key). */
enum fh_conn_submit_result fh_conn_submit(struct fh_app *app, const struct fh_conn_doc *d,
                                          json_t *canonical, char *why, size_t whysize);
/* ---- a credit note and the invoice it credits (common/credit.c) ---- */
enum fh_conn_original {
    FH_ORIGINAL_SIGNED, /* number and time filled */
    FH_ORIGINAL_WAIT,   /* pending, on hold, or failed (a retry may sign it); a credit note also
                           while it has no fiscal invoice (yet) */
    FH_ORIGINAL_NONE,   /* nothing to refund (a void of an invoice never fiscalized) */
    FH_ORIGINAL_ERROR,  /* store error */
};
/* The document that waits for an original invoice's signature: its integration, source key and
 * number (shown on the original while it waits: fh_fiscal_wait_begin). */
struct fh_conn_waiter {
    struct fh_app *app;
    const struct fh_integ *in;
    const char *key, *ref;
    int64_t changed_at; /* when the document last changed at the partner (ms; 0: unknown) */
};
/* The credited invoice's V-SDC number and time by its source key (SIGNED); WAIT while it is not
 * signed or has no fiscal invoice yet, why saying which. The wait is shown on the original while
 * WAIT, and ended otherwise. */
enum fh_conn_original fh_conn_credited(const struct fh_conn_waiter *w, const char *original_key,
                                       char *number, size_t nsize, char *time, size_t tsize,
                                       char *why, size_t whysize);
/* The Refund cancelling the signed normal sale under original_key (its invoice was voided at
 * the source): *refund (new reference) is the signed canonical invoice as a refund referencing
 * it, with FH_ORIGINAL_SIGNED. FH_ORIGINAL_WAIT while the sale is pending or failed (the wait
 * shown as for a credit note), also within 10 minutes of the void (w->changed_at, else the first
 * look) when the invoice has no fiscal invoice (a fiscalization that read it just before the void
 * may still submit it);
 * FH_ORIGINAL_NONE when there is nothing to cancel (never fiscalized, or not a normal sale). */
enum fh_conn_original fh_conn_void_refund(const struct fh_conn_waiter *w, const char *original_key,
                                          json_t **refund, char *why, size_t whysize);
/* What waits for an original: a credit note, or a voided invoice's refund. */
enum fh_conn_waiting { FH_CONN_CREDIT, FH_CONN_VOID };
/* The next look of a waiting document: after as long as it has waited so far, 2 s to 15 min;
 * when its original has no fiscal invoice, a credit note's during its first minute, then only at
 * the 30-day give-up, a void's only when its 10-minute window ends (the original's signature
 * wakes either before). */
int64_t fh_conn_wait_gap_ms(enum fh_conn_waiting doc, int64_t waited_ms, bool original_exists);
/* Parks the job of the document whose source key is waiting_key until its original is signed
 * (or the gap above passes); after 30 days FH_ERR with why (FH_OK when the original never got a
 * fiscal invoice: nothing to refund). The handler returns the result. */
enum fh_rc fh_conn_wait_original(struct fh_app *app, const struct fh_integ *in,
                                 const struct fh_job *job, enum fh_conn_waiting doc,
                                 const char *waiting_key, const char *why, char *err,
                                 size_t errsize);

/* A document the mapping or the submission refused (common/refused.c): kept under its source key
 * with its number and why, for the integration's not_fiscalized warning; a later refusal
 * replaces the reason. */
struct fh_conn_refusal {
    const char *key;    /* the document's source key */
    const char *ref;    /* its number (the partner's id when NULL or empty) */
    const char *kind;   /* "invoice" | "credit_note" */
    const char *doc_id; /* the partner's id: the document can be looked at again */
    const char *url;    /* the document's page at the partner (may be NULL) */
    const char *why;
};
void fh_conn_refused(struct fh_store *st, const struct fh_integ *in,
                     const struct fh_conn_refusal *r);
/* Queues a look at one refused document (its kind and partner id; seen_at: when it was last
 * refused, so that repeated requests before that look make one job). */
typedef enum fh_rc (*fh_conn_again_fn)(struct fh_app *app, const struct fh_integ *in,
                                       const char *kind, const char *doc_id, int64_t seen_at);
/* Looks again at every refused document of the integration that has a partner id (with again,
 * the connector's); *queued counts them. For when the cause was outside the documents (the
 * certificate), which no edit of theirs would bring back. */
enum fh_rc fh_conn_refused_again(struct fh_app *app, const struct fh_integ *in,
                                 fh_conn_again_fn again, int64_t *queued);
/* The document needs nothing more (fiscalized, or not to be fiscalized): its refusal, if any,
 * goes. */
void fh_conn_settled(struct fh_store *st, const struct fh_integ *in, const char *key);
/* What a write-back job finds: its fiscal invoice signed (out filled), nothing to write
 * (failed or gone), still pending (fh_writeback_wait), or a store error. */
enum fh_writeback_state { FH_WB_SIGNED, FH_WB_NONE, FH_WB_PENDING, FH_WB_ERROR };
struct fh_writeback_fiscal {
    char *number, *url, *result; /* owned; url and result may be NULL */
    char *tax_warning; /* owned; the tax check's sentence when the VAT differs (else NULL) */
};
/* The note or comment a write-back leaves on the source document (caller frees): "Fiscalized by
 * fiscalhub: fiscal invoice <number>. Verify: <url>", and the tax check's warning when the
 * V-SDC's VAT differs from the document's. A retried write-back finds it by
 * FH_WRITEBACK_MARKER. */
#define FH_WRITEBACK_MARKER "fiscal invoice %.80s."
char *fh_writeback_text(const struct fh_writeback_fiscal *f);
/* Where an earlier attempt's write shows, for a write-back retried (fh_writeback_retried): the
 * partner's answer to GET path, its object (NULL: the top level), an array collection whose
 * entries' field contains (or, exact, is) text, e.g. Xero's "HistoryRecords" / "Details". */
struct fh_writeback_mark {
    const char *path, *object, *collection, *field, *text;
    bool exact;
};
/* True when answer (the GET of m->path) holds the mark. */
bool fh_writeback_mark_found(json_t *answer, const struct fh_writeback_mark *m);
/* The V-SDC's QR code of f (its answer's verificationQRCode, a base64 GIF) as bytes (caller
 * frees), or NULL when the answer has none. */
uint8_t *fh_writeback_qr_gif(const struct fh_writeback_fiscal *f, size_t *len);
/* The fiscal receipt of f as a PDF (caller frees; fh_fiscal_receipt_pdf), or NULL when the
 * answer has no journal. */
uint8_t *fh_writeback_journal_pdf(const struct fh_writeback_fiscal *f, size_t *len);
enum fh_writeback_state fh_writeback_fiscal(struct fh_store *st, json_t *p, int64_t integration_id,
                                            struct fh_writeback_fiscal *out);
void fh_writeback_fiscal_free(struct fh_writeback_fiscal *f);
/* A write-back whose fiscal invoice is still pending waits: the same job goes back to ready
 * without spending an attempt (fh_job_release) and the transaction that signs or fails the
 * invoice makes it due at once (src/fiscal/rows.c, through fiscal_invoices.writeback_job);
 * FH_WRITEBACK_WAIT_MS is the next look if that wake is missed. Returns FH_LATER (the handler's
 * result), or FH_E_RETRY with err set. */
#define FH_WRITEBACK_WAIT_MS (5 * 60 * 1000)
/* True when an earlier run of this write-back may have written already, so each write must first
 * check the document: a later attempt, or a job revived after it failed (attempts reset by
 * fh_job_retry_dead, its last error kept), or any run while a recovery after a restore lasts
 * (the write may have been done after the backup). Waiting for the signature is not a run. */
bool fh_writeback_retried(struct fh_store *st, const struct fh_job *job);
enum fh_rc fh_writeback_wait(struct fh_app *app, const struct fh_job *job, int64_t fiscal_id,
                             char *err, size_t errsize);
/* A connector's write-back of a signed fiscal invoice f (the partner's calls): returns the
 * handler's result, err set on failure; it may record steps done in the job's payload p (kept by
 * fh_job_defer_or_retry). */
typedef enum fh_rc (*fh_writeback_fn)(struct fh_app *app, const struct fh_integ *in,
                                      const struct fh_job *job, json_t *p,
                                      const struct fh_writeback_fiscal *f, char *err,
                                      size_t errsize);
/* The handler of a write-back job of an integration of type: fh_job_begin, then the job's
 * fiscal invoice (fh_writeback_fiscal): write when it is signed, nothing when there is none to
 * write, fh_writeback_wait while it is pending, a retry on a store error. */
enum fh_rc fh_writeback_job(struct fh_app *app, struct fh_store *st, const struct fh_job *job,
                            const char *type, fh_writeback_fn write, char *err, size_t errsize);
/* Queues a sync job (kind, key "<kind>:<id>:poll:<slot>") for each integration id in column 0
 * of due, unless one is still waiting or running; commits 100 a transaction. */
enum fh_rc fh_integ_polls_enqueue(struct fh_app *app, struct fh_store *st,
                                  const struct fh_rows *due, const char *kind, int64_t slot);
/* One tick of a partner's poll (every fh_sync_poll_tick_ms): for each tier, the active
 * integrations of type whose last sync is older than the tier's interval (override_ms, the
 * partner's setting, when > 0; fh_sync_poll_ms; else at least floor_ms, the partner's own
 * bound) less half a tick get a sync of kind. One synced
 * within that (a backfill or a catch-up that just ended) is covered; never synced counts as
 * synced at 0. webhook_ms > 0: one in webhook mode (sync_mode) is due only when its last sync is
 * older than that too. The due rows come from the integrations_poll index, so the work follows
 * the due integrations, not all of them (bench/footprint.mjs). */
enum fh_rc fh_integ_poll_tick(struct fh_app *app, struct fh_store *st, const char *type,
                              const char *kind, int64_t override_ms, int64_t floor_ms,
                              int64_t webhook_ms, int64_t now, int64_t slot);

/* ---- mapping to the canonical invoice (common/mapping.c) ---- */
/* A JSON amount (integer, number with at most 4 decimals, or decimal string) in ten-thousandths;
 * false when unreadable or beyond +-10^11. */
bool fh_conn_money(json_t *v, int64_t *out);
/* s fit for the canonical invoice: control characters as spaces, at most max bytes (cut at a
 * UTF-8 boundary). Caller frees. */
char *fh_conn_text(const char *s, size_t max);
/* True when a document's exchange rate to the organisation's currency (Xero's CurrencyRate,
 * Zoho's exchange_rate) is absent or 1; else false with why naming its currency and rate: the
 * V-SDC takes amounts in the taxpayer's currency, and fiscalhub converts none. */
bool fh_conn_home_currency(json_t *rate, const char *currency, char *why, size_t whysize);
/* A tax's label: settings.tax_mapping[key1], else [key2] (keys may be NULL), else
 * settings.default_label, else "A". */
const char *fh_conn_label(json_t *settings, const char *key1, const char *key2);
/* A canonical item of a name, a quantity and a tax-included line total: unit price = total /
 * quantity to 4 decimals (so quantity x unit price matches what the customer pays); a quantity
 * with a 4th decimal (the V-SDC takes 3) becomes one unit at the total, named "<name> x <qty>".
 * NULL when qty <= 0 or total < 0. */
json_t *fh_conn_item(const char *name, int64_t qty, int64_t total, const char *label);

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
/* True when a sync job (kind, unique key "<kind>:<integration id>:...") of the integration is
 * waiting or running - a deferred one included; a store error counts as running. */
bool fh_integ_sync_running(struct fh_store *st, const char *kind, int64_t integration_id);
/* The integrations with a sync job of kind waiting or running, read once (one pass over the
 * ready and running jobs) for a poll that checks many integrations: sorted ids in *ids (caller
 * frees), their number in *n. */
enum fh_rc fh_integ_syncs_running(struct fh_store *st, const char *kind, int64_t **ids, size_t *n);
/* A sync run of the (active) integration failed: why (a sentence without secrets) is shown on
 * its row until a sync completes (whose UPDATE clears it); the first failure's time is kept. */
void fh_integ_sync_failed(struct fh_store *st, int64_t integration_id, const char *why,
                          int64_t now);
/* True when id is in the sorted array ids[0..n). */
bool fh_ids_contain(const int64_t *ids, size_t n, int64_t id);
/* A user's read-only partner call (Test Connection, the tax mapping's taxes) on an integration
 * that is not active: true with the sentence (partner: "Xero", "Zoho Books"); false when active. */
bool fh_integ_not_active(const struct fh_integ *in, const char *partner, char *message,
                         size_t msgsize);
/* The sentence for such a call that did not go through: the integration's reason when it is
 * (now) inactive, the partner's rate limit and when to try again, or why. */
enum fh_call_failure { FH_CALL_INACTIVE, FH_CALL_WAIT, FH_CALL_OTHER };
void fh_integ_call_failed(struct fh_store *st, int64_t integration_id, enum fh_call_failure f,
                          const char *partner, int64_t retry_at, const char *why, char *message,
                          size_t msgsize);
/* The Xero trigger setting ("payment" default, or "approval"). */
const char *fh_integ_trigger(const struct fh_integ *in);

/* The most entries settings.tax_mapping holds (and partner taxes the mapping lists). */
#define FH_TAX_MAPPING_MAX 200

/* One setting a type accepts from the API. */
enum fh_setting_kind {
    FH_SET_ENUM,        /* one of choices (NULL-terminated); the first is the default */
    FH_SET_TAX_MAPPING, /* object, partner tax -> one label character, FH_TAX_MAPPING_MAX */
    FH_SET_LABEL,       /* one label character */
    FH_SET_DAYS,        /* integer 0..365 */
    FH_SET_BOOL,
};
struct fh_setting_spec {
    const char *name; /* NULL ends a list */
    enum fh_setting_kind kind;
    const char *const *choices;
};
/* Validates a settings object from the API against specs and merges it into base (new
 * reference in *out; enum settings still missing get their default); FH_E_INPUT with err set
 * (1006 unknown field, 1003 bad value) naming the field. */
enum fh_rc fh_integ_settings_apply(const struct fh_setting_spec *specs, json_t *base, json_t *in,
                                   json_t **out, struct fh_json_error *err);
/* fh_integ_settings_apply with the Xero settings. */
enum fh_rc fh_integ_settings_merge(json_t *base, json_t *in, json_t **out,
                                   struct fh_json_error *err);

/* ---- consent, organisation choice, activation, removal (common/consent.c) ---- */
enum fh_consent_result {
    FH_CONSENT_ACTIVE,    /* one organisation: active; redirect to the list */
    FH_CONSENT_PICK,      /* several: the user picks one */
    FH_CONSENT_ERROR,     /* consent refused or failed: reason names why, stays as it was */
    FH_CONSENT_BAD_STATE, /* unknown, expired, reused or another session's state */
    FH_CONSENT_STORE,     /* store failure */
};
/* What a partner adds to the common consent. */
struct fh_consent_ops {
    const char *partner;       /* "xero": reasons such as "xero_unreachable", log lines */
    const char *sync_kind;     /* the job an activation queues (the first sync) */
    const char *callback_path; /* "/oauth/xero/callback" */
    /* The OAuth client that exchanges this integration's code; cls is the callback's (e.g. the
     * data center Zoho named). Its strings must outlive the call. An error sets reason. */
    enum fh_rc (*client)(struct fh_app *app, const struct fh_integ *in, void *cls,
                         struct fh_oauth_client *oc, char *reason, size_t reasonsize);
    /* After the exchange: the organisations the tokens reach, a new array of {tenant_id, name,
     * connection_id?, plan?} (n <= 50). An error sets reason. */
    enum fh_rc (*tenants)(struct fh_app *app, const struct fh_integ *in,
                          const struct fh_oauth_tokens *t, void *cls, json_t **out, char *reason,
                          size_t reasonsize);
};
/* FISCALHUB_PUBLIC_URL + path (caller frees). */
char *fh_public_url(const struct fh_app *app, const char *path);
/* Stores a new state (bound to the session's token hash and the integration, single use,
 * 10 minutes) with its PKCE verifier and returns oc's consent URL (caller frees). */
enum fh_rc fh_consent_start(struct fh_app *app, const struct fh_integ *in, const char *session_hash,
                            const struct fh_oauth_client *oc, const char *redirect_uri,
                            char **authorize_url);
/* The OAuth callback: consumes the state, exchanges the code, reads the organisations, stores
 * the sealed tokens, then activates (one organisation, or the one a reconnect had) or keeps the
 * list for the user to pick. uid receives the integration's uid (when the state was good);
 * reason a short code ("access_denied", "exchange_failed", "no_organisation", ...). */
enum fh_consent_result fh_consent_callback(struct fh_app *app, const struct fh_consent_ops *ops,
                                           void *cls, const char *session_hash, const char *state,
                                           const char *code, const char *error, char uid[16],
                                           char *reason, size_t reasonsize);
/* The portal path a callback redirects to (caller frees; NULL for FH_CONSENT_STORE). */
char *fh_consent_redirect(enum fh_consent_result r, const char *uid, const char *reason);
/* Activation after consent: status active, tenant (an element of the tenants array), the
 * first sync (sync_kind) queued. */
enum fh_rc fh_integ_activate(struct fh_app *app, int64_t integration_id, json_t *tenant,
                             const char *sync_kind, int64_t now);
/* Picks one of the authorized organisations: active. FH_E_NOTFOUND for a tenant not offered,
 * FH_E_CONFLICT when there is nothing to pick. */
enum fh_rc fh_integ_pick_tenant(struct fh_app *app, const struct fh_integ *in,
                                const char *tenant_id, const char *sync_kind);
/* Remove: status removed, sync stopped, tokens kept sealed until the revoke job (revoke_kind)
 * used them. */
enum fh_rc fh_integ_remove(struct fh_app *app, const struct fh_integ *in, const char *revoke_kind);

#endif
