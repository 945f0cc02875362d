/* api.h - handlers of the route table (routes.c); one endpoint per file, named
 * <resource>_<verb>.c. */
#ifndef FH_API_H
#define FH_API_H

#include <jansson.h>

#include "fh/fh_connector.h"
#include "fh/fh_http.h"

enum fh_rc fh_api_healthz_get(struct fh_req *req);
enum fh_rc fh_api_readyz_get(struct fh_req *req);
enum fh_rc fh_api_metrics_get(struct fh_req *req);
enum fh_rc fh_api_auth_signup_post(struct fh_req *req);
enum fh_rc fh_api_auth_login_post(struct fh_req *req);
enum fh_rc fh_api_auth_logout_post(struct fh_req *req);
enum fh_rc fh_api_me_get(struct fh_req *req);
enum fh_rc fh_api_me_password_post(struct fh_req *req);
enum fh_rc fh_api_orgs_get(struct fh_req *req);
enum fh_rc fh_api_orgs_post(struct fh_req *req);
enum fh_rc fh_api_orgs_patch(struct fh_req *req);
enum fh_rc fh_api_members_get(struct fh_req *req);
enum fh_rc fh_api_members_post(struct fh_req *req);
enum fh_rc fh_api_members_patch(struct fh_req *req);
enum fh_rc fh_api_members_delete(struct fh_req *req);
enum fh_rc fh_api_integrations_get(struct fh_req *req);
enum fh_rc fh_api_integrations_post(struct fh_req *req);
enum fh_rc fh_api_integrations_patch(struct fh_req *req);
enum fh_rc fh_api_integrations_delete(struct fh_req *req);
enum fh_rc fh_api_integrations_connect_post(struct fh_req *req);
enum fh_rc fh_api_integrations_tenants_get(struct fh_req *req);
enum fh_rc fh_api_integrations_tenant_post(struct fh_req *req);
enum fh_rc fh_api_integrations_test_post(struct fh_req *req);
enum fh_rc fh_api_integrations_again_post(struct fh_req *req);
enum fh_rc fh_api_integrations_tax_mapping_get(struct fh_req *req);
enum fh_rc fh_api_oauth_xero_callback_get(struct fh_req *req);
enum fh_rc fh_api_webhooks_xero_post(struct fh_req *req);
enum fh_rc fh_api_oauth_zoho_callback_get(struct fh_req *req);
enum fh_rc fh_api_webhooks_zoho_post(struct fh_req *req);
enum fh_rc fh_api_integrations_webhook_get(struct fh_req *req);
enum fh_rc fh_api_integrations_webhook_rotate_post(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoices_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoices_post(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_receipt_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_retry_post(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_writeback_retry_post(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoices_retry_post(struct fh_req *req);
enum fh_rc fh_api_certificates_get(struct fh_req *req);
enum fh_rc fh_api_certificates_post(struct fh_req *req);
enum fh_rc fh_api_certificates_revoke_post(struct fh_req *req);
/* Custom Integration (API keys, public API /api/v1) and Custom / Webhook */
enum fh_rc fh_api_apikeys_get(struct fh_req *req);
enum fh_rc fh_api_apikeys_post(struct fh_req *req);
enum fh_rc fh_api_apikeys_revoke_post(struct fh_req *req);
enum fh_rc fh_api_webhook_get(struct fh_req *req);
enum fh_rc fh_api_webhook_put(struct fh_req *req);
enum fh_rc fh_api_webhook_deliveries_get(struct fh_req *req);
enum fh_rc fh_api_webhook_delivery_get(struct fh_req *req);
enum fh_rc fh_api_webhook_redeliver_post(struct fh_req *req);
enum fh_rc fh_api_openapi_get(struct fh_req *req);
enum fh_rc fh_api_v1_me_get(struct fh_req *req);
enum fh_rc fh_api_v1_invoices_post(struct fh_req *req);
enum fh_rc fh_api_v1_invoices_get(struct fh_req *req);
enum fh_rc fh_api_v1_invoice_get(struct fh_req *req);
enum fh_rc fh_api_v1_invoice_receipt_get(struct fh_req *req);
enum fh_rc fh_api_v1_invoice_refund_post(struct fh_req *req);
enum fh_rc fh_api_v1_invoice_copy_post(struct fh_req *req);
/* Licensing (docs/api/billing.md) */
enum fh_rc fh_api_billing_get(struct fh_req *req);
enum fh_rc fh_api_billing_key_validate_post(struct fh_req *req);
enum fh_rc fh_api_billing_key_activate_post(struct fh_req *req);
enum fh_rc fh_api_billing_checkout_post(struct fh_req *req);
enum fh_rc fh_api_billing_portal_post(struct fh_req *req);
enum fh_rc fh_api_webhooks_stripe_post(struct fh_req *req);
/* Validate (activate false) or Activate an activation key, and reply (billing_key_common.c). */
enum fh_rc fh_api_billing_key_or_reply(struct fh_req *req, bool activate);

/* Sets the session cookie and replies with the me object (sign-up, log-in). */
enum fh_rc fh_api_start_session_or_reply(struct fh_req *req, int64_t user_id, unsigned int status);
/* The same for a session created already (token and csrf from fh_session_create). */
enum fh_rc fh_api_session_reply(struct fh_req *req, int64_t user_id, const char *token,
                                const char *csrf, unsigned int status);
struct fh_integ;
/* The integration {uid} of the request's organization (removed ones answer 404 like unknown
 * ones); replies and returns FH_ERR when there is none. */
enum fh_rc fh_api_integ_or_reply(struct fh_req *req, struct fh_integ *out);
/* The connector's look at a refused document of in (fh_conn_refused_again); NULL for types
 * without partner documents. */
fh_conn_again_fn fh_api_integ_again_fn(const struct fh_integ *in);
/* Replies with the integration object of uid. */
enum fh_rc fh_api_integ_reply(struct fh_req *req, unsigned int status, const char *uid);
/* The organization's certificate cert_uid, active and not expired; else replies (6001/7001). */
enum fh_rc fh_api_integ_cert_or_reply(struct fh_req *req, const char *cert_uid, int64_t *cert_id);
/* POST .../integrations for the types "custom" and "webhook" (apikeys_integrations_post.c). */
enum fh_rc fh_api_integrations_post_own(struct fh_req *req, const char *type, const char *cert_uid,
                                        json_t *settings);
/* fh_api_integ_or_reply, and the integration must be of type; else 409 (8004). */
enum fh_rc fh_api_integ_typed_or_reply(struct fh_req *req, const char *type, struct fh_integ *out);
/* ---- the public API's submitting endpoints (v1_common.c, v1_documents.c) ---- */
struct fh_v1_doc {
    const char *source_id, *source_ref, *source_url; /* may be NULL */
    json_t *invoice;                                 /* canonical invoice (borrowed) */
    bool body_fields; /* the invoice was built from body fields: errors name them unprefixed */
    bool has_source_tax; /* source_tax_total was given (fh_api_source_tax_or_reply) */
    int64_t source_tax;
    int64_t refund_of_id; /* a refund: its sale's id (fh_fiscal_submit_in.refund_of_id) */
};
/* Submits doc for the request's API key under its Idempotency-Key, and replies. */
enum fh_rc fh_api_v1_submit_or_reply(struct fh_req *req, const struct fh_v1_doc *doc);
/* source_id printable ASCII without spaces, source_url http(s); else replies 400. */
bool fh_api_v1_source_ok_or_reply(struct fh_req *req, const char *source_id, const char *source_url);
/* The {id} path parameter, a positive integer; else replies 400. */
bool fh_api_v1_id_or_reply(struct fh_req *req, int64_t *id);
/* Replies with JSON text as is (replayed: adds Idempotent-Replayed: true). */
enum fh_rc fh_api_v1_reply_text(struct fh_req *req, unsigned int status, const char *text,
                                bool replayed);
/* POST /api/v1/invoices/{id}/refund (copy false) and .../copy (copy true). */
enum fh_rc fh_api_v1_document_or_reply(struct fh_req *req, bool copy);
/* The OAuth callback's answer: 302 to the portal path of the outcome (503 for a store
 * failure). */
enum fh_rc fh_api_consent_reply(struct fh_req *req, enum fh_consent_result r, const char *uid,
                                const char *reason);
/* Replies 503 for a retryable store failure, 500 otherwise. */
enum fh_rc fh_api_store_failed(struct fh_req *req, enum fh_rc rc, const char *what);
/* Answers the fiscal receipt (fh_fiscal_receipt_pdf, inline "fiscal-<number>.pdf") of the
 * invoice o (taken: its status, invoice_number, verification_url) with journal (within o);
 * 409 (6007) unless it is signed with a journal. */
enum fh_rc fh_api_reply_receipt(struct fh_req *req, json_t *o, const char *journal);
/* The details of the organization's fiscal invoice {id} (fh_fiscal_get_json; a new reference),
 * or NULL once it answered 400, 404 or a store error. */
json_t *fh_api_fiscal_invoice_or_reply(struct fh_req *req);
/* The details of the API key's invoice {id} (fh_public_invoice_get; a new reference), or NULL
 * once it answered 400, 404 or a store error. */
json_t *fh_api_v1_invoice_or_reply(struct fh_req *req, bool with_qr);
/* A submission's optional source_tax_total (s; NULL: absent), the tax total the caller's
 * document states, a decimal string >= 0 with at most 4 decimals: into *has and *tax. Else
 * replies 400 (1003) and returns false. */
bool fh_api_source_tax_or_reply(struct fh_req *req, const char *s, bool *has, int64_t *tax);
/* The list's tax_mismatch query parameter: "true" sets *only, "false" or absent clears it; else
 * replies 400 (1011) and returns false. */
bool fh_api_tax_mismatch_or_reply(struct fh_req *req, bool *only);
/* Inside a transaction: how many owners the organization has (a negative qs on failure),
 * their memberships locked on PostgreSQL so that two changes cannot both take the last one. */
int fh_api_owners_locked(struct fh_store *st, int64_t org_id);
/* The reply when the transaction creating an integration found no free seat
 * (fh_billing_seat_claim_tx): 402, 9005 or 9006. */
enum fh_rc fh_api_seat_refused(struct fh_req *req);

#endif
