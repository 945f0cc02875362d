/* taxcore.h - the TaxCore V-SDC client (internal to src/fiscal/): one call at a time over a pool
 * of libcurl handles keyed by certificate, every outcome classified explicitly.
 *
 *   FH_TC_OK        200 with a readable body
 *   FH_TC_NONE      404 on GET /api/v3/invoices/{requestId}: the V-SDC has no such invoice
 *   FH_TC_REJECTED  a definite refusal (400 with modelState, 401/403, other 4xx, the TLS peer
 *                   refusing our certificate, a malformed V-SDC URL): nothing was signed, and
 *                   sending the same again cannot succeed
 *   FH_TC_UNKNOWN   408/429/5xx, timeouts, resets, TLS failures, cut or oversized responses:
 *                   the request may or may not have been signed (transient)
 */
#ifndef FH_TAXCORE_H
#define FH_TAXCORE_H

#include <jansson.h>

#include "fh/fh_cert.h"
#include "fh/fh_common.h"

#define FH_TC_MAX_RESPONSE (1024 * 1024)

struct fh_tc_settings {
    const char *ca_file;         /* CA bundle for the V-SDC's server certificate; NULL: system */
    long timeout_ms;             /* whole call */
    long connect_timeout_ms;     /* TCP + TLS handshake */
    const char *accept_language; /* NULL or "": header not sent */
};

enum fh_tc_call { FH_TC_POST_INVOICE, FH_TC_GET_INVOICE, FH_TC_GET_STATUS, FH_TC_GET_ENV };
enum fh_tc_outcome { FH_TC_OK, FH_TC_NONE, FH_TC_REJECTED, FH_TC_UNKNOWN };

struct fh_tc_reply {
    enum fh_tc_outcome outcome;
    long http_status; /* 0 when no HTTP answer arrived */
    char *body;       /* owned, NUL-terminated (may be NULL) */
    size_t len;
    /* FH_TC_OK on an invoice call: the answer's top-level invoiceNumber and sdcDateTime (never
     * NULL then) and verificationUrl (NULL when absent), owned */
    char *invoice_number, *sdc_time, *verification_url;
    char reason[600]; /* for REJECTED / UNKNOWN: a sentence for users, no secrets */
    bool cert_refused; /* REJECTED because the V-SDC refused the certificate or its PAC (a TLS
                          alert about our certificate, 401, 403), not the invoice */
};
void fh_tc_reply_free(struct fh_tc_reply *r);

/* One V-SDC call with cert (active, with its secrets). request_id: the RequestId (header on POST,
 * path on GET invoice); body: the JSON text for POST. Never fails: the outcome says it all. */
void fh_tc_call(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                enum fh_tc_call call, const char *request_id, const char *body,
                struct fh_tc_reply *out);
/* Closes every pooled handle. */
void fh_tc_pool_shutdown(void);

/* errors.c: the outcome of an HTTP answer (status, body) to call. */
void fh_tc_classify_http(enum fh_tc_call call, long status, const char *body, size_t len,
                         struct fh_tc_reply *out);
/* The canonical field name for a V-SDC property path ("payment[1].amount" ->
 * "payments[1].amount", "items[0].unitPrice" -> "items[0].unit_price"). */
void fh_tc_property_canonical(const char *property, char *out, size_t outsize);

/* cache.c: GET /api/v3/status of the certificate's V-SDC, cached per certificate for ttl. New
 * reference in *out. FH_E_RETRY when the V-SDC could not answer. */
enum fh_rc fh_tc_status_cached(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                               json_t **out);
/* The same for GET /api/v3/environment-parameters. */
enum fh_rc fh_tc_env_cached(const struct fh_tc_settings *s, const struct fh_cert_secret *cert,
                            json_t **out);
/* The labels of currentTaxRates in a status document, "A, B, F" (empty if none). */
void fh_tc_status_labels(json_t *status, char *out, size_t outsize);
void fh_tc_cache_clear(void);

#endif
