/* xero_internal.h - pieces shared by the files of src/connectors/xero/:
 *   client.c   Accounting API calls (token, governor, status mapping), connections, test, revoke
 *   consent.c  the OAuth consent: state + PKCE, callback, tenant choice, activation, removal
 *   map.c      Xero documents -> the canonical invoice; the trigger rules
 *   process.c  one Xero document -> fh_fiscal_submit + its write-back job
 *   jobs.c     the job handlers (inbox, document, sync, poll, write-back, revoke) */
#ifndef FH_XERO_INTERNAL_H
#define FH_XERO_INTERNAL_H

#include "fh/fh_xero.h"

enum xero_outcome {
    X_OK,
    X_WAIT,      /* rate limit or a refresh elsewhere: *retry_at */
    X_INACTIVE,  /* the integration is not active (or just became inactive) */
    X_NOT_FOUND, /* 404 */
    X_REFUSED,   /* 4xx: retrying cannot help */
    X_TRANSIENT, /* 5xx, no answer, store trouble: retry with backoff */
};

struct xero_call {
    const char *method;
    const char *path;         /* after the API base: "/Invoices/<id>" (with its query) */
    const char *body;         /* JSON (or content_type) or NULL */
    size_t body_len;          /* 0: strlen(body) */
    const char *content_type; /* NULL: application/json */
    const char *idempotency_key;
    const char *if_modified_since; /* "2026-01-01T00:00:00" or NULL */
    const char *what;              /* for messages: "invoice" */
};

/* One Accounting API call for the integration (see client.c for the status mapping). out holds
 * the answer for X_OK (and the others, for diagnosis); why a sentence without secrets. */
enum xero_outcome xero_api(struct fh_app *app, int64_t integration_id, const struct xero_call *c,
                           struct fh_http_response *out, int64_t *retry_at, char *why,
                           size_t whysize);
/* GET connections with a fresh access token: *out is an array of {tenant_id, name,
 * connection_id} (organisations only). */
enum fh_rc xero_connections(struct fh_app *app, const char *access_token, const char *auth_event,
                            json_t **out, char *why, size_t whysize);
/* Disconnects a removed integration at Xero (DELETE connection, revoke the refresh token). */
enum fh_rc xero_revoke(struct fh_app *app, int64_t integration_id, char *why, size_t whysize);

enum xero_doc_kind { XERO_INVOICE, XERO_CREDIT_NOTE };
/* The source key of a document of the integration's tenant that can wait for an invoice's
 * signature: a credit note "xero:<tenant>:CN:<id>", a voided invoice's refund
 * "xero:<tenant>:VOID:<id>". */
void xero_waiting_key(const struct fh_integ *in, enum xero_doc_kind kind, const char *id, char *out,
                      size_t size);
enum xero_process_result { XP_DONE, XP_WAIT, XP_RETRY, XP_FAILED };
/* Decides and, when due, fiscalizes one fetched document of the integration (idempotent:
 * fh_fiscal_submit's source key "xero:<tenant>:<id>"), and queues its write-back. */
enum xero_process_result xero_process(struct fh_app *app, const struct fh_integ *in,
                                      enum xero_doc_kind kind, json_t *doc, int64_t *retry_at,
                                      char *why, size_t whysize);

#endif
