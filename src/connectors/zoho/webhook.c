/* webhook.c - the workflow webhook of a Zoho Books integration.
 *
 * Zoho Books has no app-level webhooks: the user adds a workflow rule with a webhook action in
 * each organization, pointing at a URL we give and secured with a secret we give
 * (specs/zoho-books.md §4). So every integration has its own URL, FISCALHUB_PUBLIC_URL +
 * /webhooks/zoho/<key> (key: 24 random bytes, base64url), which says which integration a
 * delivery is for before anything is trusted, and its own secret (24 random letters and digits;
 * Zoho takes 12-50 alphanumerics), sealed at rest like the tokens. A delivery is genuine when
 * X-Zoho-Webhook-Signature = hex(HMAC-SHA256(secret, message)), message = the URL's query
 * parameters decoded and sorted by name (stable), each written name then value, followed by the
 * raw body - compared in constant time.
 *
 * Rotation replaces the secret at once (the old one may have leaked, so no overlap) and clears
 * webhooks_seen_at: the integration polls until a delivery signed with the new secret arrives,
 * which covers what Zoho sends with the old one until the user has entered the new one. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_crypto.h"
#include "zoho_internal.h"

#define SECRET_LEN 24

static void new_secret(char out[SECRET_LEN + 1])
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < SECRET_LEN; i++)
        out[i] = alnum[fh_random_uniform(sizeof(alnum) - 1)];
    out[SECRET_LEN] = '\0';
}

enum fh_rc fh_zoho_webhook_ensure(struct fh_app *app, int64_t integration_id)
{
    char key[48], secret[SECRET_LEN + 1];
    fh_random_token(24, key, sizeof(key));
    new_secret(secret);
    char *sealed = fh_secret_seal(app->master_key, secret, strlen(secret));
    sodium_memzero(secret, sizeof(secret));
    struct fh_param p[] = {FH_PI(integration_id), FH_PT(key), FH_PT(sealed), FH_PI(fh_now_ms())};
    int qs = fh_store_exec(app->store,
                           "UPDATE integrations SET webhook_key = $2, webhook_secret_sealed = $3, "
                           "webhook_rotated_at = $4, sync_mode = COALESCE(sync_mode, 'polling') "
                           "WHERE id = $1 AND webhook_key IS NULL",
                           p, FH_ARRAY_LEN(p), NULL);
    free(sealed);
    return fh_qs_rc(qs);
}

enum fh_rc fh_zoho_webhook_rotate(struct fh_app *app, int64_t integration_id)
{
    enum fh_rc rc = fh_zoho_webhook_ensure(app, integration_id);
    if (rc != FH_OK)
        return rc;
    char secret[SECRET_LEN + 1];
    new_secret(secret);
    char *sealed = fh_secret_seal(app->master_key, secret, strlen(secret));
    sodium_memzero(secret, sizeof(secret));
    struct fh_param p[] = {FH_PI(integration_id), FH_PT(sealed), FH_PI(fh_now_ms())};
    int qs = fh_store_exec(app->store,
                           "UPDATE integrations SET webhook_secret_sealed = $2, "
                           "webhook_rotated_at = $3, webhooks_seen_at = NULL, "
                           "sync_mode = CASE WHEN sync_mode IS NULL THEN NULL ELSE 'polling' END "
                           "WHERE id = $1",
                           p, FH_ARRAY_LEN(p), NULL);
    free(sealed);
    return fh_qs_found_rc(qs);
}

enum fh_rc fh_zoho_webhook_lookup(struct fh_app *app, const char *key, int64_t *integration_id,
                                  char *org_id, size_t org_size, bool *active, char **secret)
{
    *secret = NULL;
    struct fh_param p[] = {FH_PT(key)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT id, tenant_id, status, webhook_secret_sealed FROM integrations "
                           "WHERE webhook_key = $1 AND type = 'zoho_books' AND status <> 'removed'",
                           p, 1, &rows);
    if (qs > 0) {
        *integration_id = fh_rows_i64(&rows, 0, 0, 0);
        fh_strlcpy(org_id, fh_rows_get(&rows, 0, 1) ? fh_rows_get(&rows, 0, 1) : "", org_size);
        *active = strcmp(fh_rows_get(&rows, 0, 2), "active") == 0;
        *secret = fh_conn_open(app, fh_rows_get(&rows, 0, 3));
    }
    fh_rows_free(&rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    return qs > 0 && *secret ? FH_OK : FH_E_NOTFOUND;
}

bool fh_zoho_webhook_verify(const char *secret, const char *const *names, const char *const *values,
                            size_t n, const void *body, size_t len, const char *signature)
{
    if (!secret || !secret[0] || !signature || strlen(signature) != 64 || n > 64)
        return false;
    size_t order[64];
    for (size_t i = 0; i < n; i++) { /* stable insertion sort by name */
        size_t j = i;
        for (; j > 0 && strcmp(names[order[j - 1]], names[i]) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    struct fh_buf m;
    fh_buf_init(&m, (size_t)FH_ZOHO_WEBHOOK_MAX + 64 * 1024);
    for (size_t i = 0; i < n; i++)
        fh_buf_appendf(&m, "%s%s", names[order[i]], values[order[i]]);
    bool fits = fh_buf_append(&m, body, len) == FH_OK;
    uint8_t mac[32];
    fh_hmac_sha256(secret, strlen(secret), m.data ? m.data : "", m.len, mac);
    fh_buf_free(&m);
    char expect[65], got[65];
    for (size_t i = 0; i < 32; i++)
        snprintf(expect + 2 * i, 3, "%02x", mac[i]);
    for (size_t i = 0; i < 64; i++) /* Zoho writes lower case; accept either */
        got[i] =
            signature[i] >= 'A' && signature[i] <= 'F' ? (char)(signature[i] + 32) : signature[i];
    got[64] = '\0';
    return fits && fh_const_eq(expect, got);
}

/* ---- the Webhook Setup object ---- */

static json_t *steps(void)
{
    return json_pack(
        "[s, s, s, s, s, s, s]",
        "In Zoho Books, open Settings → Automation → Workflow Rules and click + New Workflow Rule.",
        "Choose the module Invoice, name the rule (e.g. \"fiscalhub\"), workflow type Event Based, "
        "when an invoice is Created or Edited, executed each time; no criteria.",
        "Under Actions choose Type: Webhook → + New Webhook.",
        "Method POST; URL: the webhook URL shown here; Body: Default payload (JSON).",
        "Tick \"I want to secure this webhook\" and enter the secret shown here.",
        "Save the webhook and the rule. fiscalhub polls every 15 minutes until the first signed "
        "delivery arrives.",
        "Add a second rule the same way on the module Credit Notes, with the same webhook (URL and "
        "secret): a credit note applied to a fiscalized invoice becomes its refund at once "
        "instead of at the next poll.");
}

static json_t *when(const struct fh_rows *r, size_t col)
{
    if (!fh_rows_get(r, 0, col))
        return json_null();
    char t[32];
    fh_time_fmt(fh_rows_i64(r, 0, col, 0), t, sizeof(t));
    return json_string(t);
}

enum fh_rc fh_zoho_webhook_json(struct fh_app *app, int64_t integration_id, bool show_secret,
                                json_t **out)
{
    enum fh_rc rc = fh_zoho_webhook_ensure(app, integration_id);
    if (rc != FH_OK)
        return rc;
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT webhook_key, webhook_secret_sealed, webhook_rotated_at, "
                           "sync_mode, webhooks_seen_at, last_polled_at, sync_tier FROM "
                           "integrations WHERE id = $1",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    char path[96];
    snprintf(path, sizeof(path), "%s%s", FH_ZOHO_WEBHOOK_PATH, fh_rows_get(&rows, 0, 0));
    char *url = fh_public_url(app, path);
    char *secret = show_secret ? fh_conn_open(app, fh_rows_get(&rows, 0, 1)) : NULL;
    const char *mode = fh_rows_get(&rows, 0, 3);
    enum fh_tier tier = fh_tier_of_name(fh_rows_get(&rows, 0, 6));
    struct fh_sync_speed speed;
    fh_tier_sync_speed(app->cfg, tier, &speed);
    *out = json_pack("{s:s, s:o, s:b, s:o, s:s, s:[s, s], s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:b}",
                     "url", url, "secret", secret ? json_string(secret) : json_null(),
                     "secret_visible", secret != NULL, "secret_rotated_at", when(&rows, 2),
                     "module", "Invoice", "events", "invoice.create", "invoice.edit", "method",
                     "POST", "payload", "default", "steps", steps(), "sync_mode",
                     mode ? json_string(mode) : json_null(), "webhooks_seen_at", when(&rows, 4),
                     "last_polled_at", when(&rows, 5), "poll_seconds",
                     (json_int_t)(fh_zoho_poll_ms(app->cfg, tier) / 1000),
                     "webhooks_used", speed.webhook_delay_ms >= 0);
    fh_conn_wipe(secret);
    free(url);
    fh_rows_free(&rows);
    return *out ? FH_OK : FH_ERR;
}
