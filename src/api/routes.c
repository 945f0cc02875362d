/* routes.c - the one static route table: method, path pattern, body limit, auth class,
 * permission, handler. Order matters only between patterns that could both match. */
#include "fh/fh_api.h"

#include "api.h"

#define KB 1024

static const struct fh_route routes[] = {
    {"GET", "/healthz", 0, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_healthz_get},
    {"GET", "/readyz", 0, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_readyz_get},
    {"GET", "/metrics", 0, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_metrics_get},
    {"POST", "/api/auth/signup", 4 * KB, FH_AUTH_NO_SESSION_JSON, FH_PERM_VIEW, fh_api_auth_signup_post},
    {"POST", "/api/auth/login", 4 * KB, FH_AUTH_NO_SESSION_JSON, FH_PERM_VIEW, fh_api_auth_login_post},
    {"POST", "/api/auth/logout", 0, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_auth_logout_post},
    {"GET", "/api/me", 0, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_me_get},
    {"POST", "/api/me/password", 4 * KB, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_me_password_post},
    {"POST", "/api/orgs", 4 * KB, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_orgs_post},
    {"GET", "/api/orgs/{org}", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_orgs_get},
    {"PATCH", "/api/orgs/{org}", 4 * KB, FH_AUTH_ORG, FH_PERM_ORG, fh_api_orgs_patch},
    {"GET", "/api/orgs/{org}/members", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_members_get},
    {"POST", "/api/orgs/{org}/members", 4 * KB, FH_AUTH_ORG, FH_PERM_MEMBERS, fh_api_members_post},
    {"PATCH", "/api/orgs/{org}/members/{user_id}", 4 * KB, FH_AUTH_ORG, FH_PERM_MEMBERS, fh_api_members_patch},
    {"DELETE", "/api/orgs/{org}/members/{user_id}", 0, FH_AUTH_ORG, FH_PERM_MEMBERS, fh_api_members_delete},
    {"GET", "/api/orgs/{org}/integrations", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_integrations_get},
    {"POST", "/api/orgs/{org}/integrations", 16 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_post},
    {"PATCH", "/api/orgs/{org}/integrations/{uid}", 16 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_patch},
    {"DELETE", "/api/orgs/{org}/integrations/{uid}", 0, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_delete},
    {"POST", "/api/orgs/{org}/integrations/{uid}/connect", 0, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_connect_post},
    {"GET", "/api/orgs/{org}/integrations/{uid}/tenants", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_integrations_tenants_get},
    {"POST", "/api/orgs/{org}/integrations/{uid}/tenant", 4 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_tenant_post},
    {"POST", "/api/orgs/{org}/integrations/{uid}/test", 0, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_integrations_test_post},
    {"GET", "/api/orgs/{org}/integrations/{uid}/tax-mapping", 0, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_integrations_tax_mapping_get},
    {"GET", "/oauth/xero/callback", 0, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_oauth_xero_callback_get},
    {"POST", "/webhooks/xero", 1024 * KB, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_webhooks_xero_post},
    {"GET", "/oauth/zoho/callback", 0, FH_AUTH_SESSION, FH_PERM_VIEW, fh_api_oauth_zoho_callback_get},
    {"POST", "/webhooks/zoho/{key}", 1024 * KB, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_webhooks_zoho_post},
    {"GET", "/api/orgs/{org}/fiscal-invoices", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_fiscal_invoices_get},
    {"POST", "/api/orgs/{org}/fiscal-invoices", 1024 * KB, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_fiscal_invoices_post},
    {"POST", "/api/orgs/{org}/fiscal-invoices/retry", 4 * KB, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_fiscal_invoices_retry_post},
    {"GET", "/api/orgs/{org}/fiscal-invoices/{id}", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_fiscal_invoice_get},
    {"POST", "/api/orgs/{org}/fiscal-invoices/{id}/retry", 0, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_fiscal_invoice_retry_post},
    {"POST", "/api/orgs/{org}/fiscal-invoices/{id}/writeback/retry", 0, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_fiscal_invoice_writeback_retry_post},
    {"GET", "/api/orgs/{org}/certificates", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_certificates_get},
    {"POST", "/api/orgs/{org}/certificates", 100 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_certificates_post},
    {"POST", "/api/orgs/{org}/certificates/{uid}/revoke", 0, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_certificates_revoke_post},
    {"GET", "/api/orgs/{org}/integrations/{uid}/api-keys", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_apikeys_get},
    {"POST", "/api/orgs/{org}/integrations/{uid}/api-keys", 4 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_apikeys_post},
    {"POST", "/api/orgs/{org}/integrations/{uid}/api-keys/{client_id}/revoke", 0, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_apikeys_revoke_post},
    {"GET", "/api/orgs/{org}/integrations/{uid}/webhook", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_integrations_webhook_get},
    {"POST", "/api/orgs/{org}/integrations/{uid}/webhook/rotate", 0, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_integrations_webhook_rotate_post},
    {"PUT", "/api/orgs/{org}/integrations/{uid}/webhook", 32 * KB, FH_AUTH_ORG, FH_PERM_MANAGE_INTEGRATIONS, fh_api_webhook_put},
    {"GET", "/api/orgs/{org}/integrations/{uid}/webhook/deliveries", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_webhook_deliveries_get},
    {"GET", "/api/orgs/{org}/integrations/{uid}/webhook/deliveries/{id}", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_webhook_delivery_get},
    {"POST", "/api/orgs/{org}/integrations/{uid}/webhook/deliveries/{id}/redeliver", 0, FH_AUTH_ORG, FH_PERM_OPERATE, fh_api_webhook_redeliver_post},
    {"GET", "/api/openapi.json", 0, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_openapi_get},
    {"GET", "/api/v1/me", 0, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_me_get},
    {"GET", "/api/v1/invoices", 0, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_invoices_get},
    {"POST", "/api/v1/invoices", 1024 * KB, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_invoices_post},
    {"GET", "/api/v1/invoices/{id}", 0, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_invoice_get},
    {"POST", "/api/v1/invoices/{id}/refund", 1024 * KB, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_invoice_refund_post},
    {"POST", "/api/v1/invoices/{id}/copy", 4 * KB, FH_AUTH_API_KEY, FH_PERM_VIEW, fh_api_v1_invoice_copy_post},
    {"GET", "/api/orgs/{org}/billing", 0, FH_AUTH_ORG, FH_PERM_VIEW, fh_api_billing_get},
    {"POST", "/api/orgs/{org}/billing/keys/validate", 1 * KB, FH_AUTH_ORG, FH_PERM_BILLING, fh_api_billing_key_validate_post},
    {"POST", "/api/orgs/{org}/billing/keys/activate", 1 * KB, FH_AUTH_ORG, FH_PERM_BILLING, fh_api_billing_key_activate_post},
    {"POST", "/api/orgs/{org}/billing/checkout", 1 * KB, FH_AUTH_ORG, FH_PERM_BILLING, fh_api_billing_checkout_post},
    {"POST", "/api/orgs/{org}/billing/portal", 0, FH_AUTH_ORG, FH_PERM_BILLING, fh_api_billing_portal_post},
    {"POST", "/webhooks/stripe", 256 * KB, FH_AUTH_NONE, FH_PERM_VIEW, fh_api_webhooks_stripe_post},
};

const struct fh_route *fh_api_routes(size_t *count)
{
    *count = FH_ARRAY_LEN(routes);
    return routes;
}
