/* api.h - handlers of the route table (routes.c); one endpoint per file, named
 * <resource>_<verb>.c. */
#ifndef FH_API_H
#define FH_API_H

#include "fh/fh_http.h"

enum fh_rc fh_api_healthz_get(struct fh_req *req);
enum fh_rc fh_api_readyz_get(struct fh_req *req);
enum fh_rc fh_api_metrics_get(struct fh_req *req);
enum fh_rc fh_api_auth_signup_post(struct fh_req *req);
enum fh_rc fh_api_auth_login_post(struct fh_req *req);
enum fh_rc fh_api_auth_logout_post(struct fh_req *req);
enum fh_rc fh_api_me_get(struct fh_req *req);
enum fh_rc fh_api_orgs_get(struct fh_req *req);
enum fh_rc fh_api_orgs_post(struct fh_req *req);
enum fh_rc fh_api_orgs_patch(struct fh_req *req);
enum fh_rc fh_api_members_get(struct fh_req *req);
enum fh_rc fh_api_members_post(struct fh_req *req);
enum fh_rc fh_api_members_delete(struct fh_req *req);
enum fh_rc fh_api_integrations_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoices_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoices_post(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_get(struct fh_req *req);
enum fh_rc fh_api_fiscal_invoice_retry_post(struct fh_req *req);
enum fh_rc fh_api_certificates_get(struct fh_req *req);
enum fh_rc fh_api_certificates_post(struct fh_req *req);
enum fh_rc fh_api_certificates_revoke_post(struct fh_req *req);

/* Sets the session cookie and replies with the me object (sign-up, log-in). */
enum fh_rc fh_api_start_session_or_reply(struct fh_req *req, int64_t user_id, unsigned int status);
/* Replies 503 for a retryable store failure, 500 otherwise. */
enum fh_rc fh_api_store_failed(struct fh_req *req, enum fh_rc rc, const char *what);

#endif
