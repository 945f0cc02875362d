/* webhooks_zoho_post.c - POST /webhooks/zoho/{key}: the workflow webhook of one Zoho Books
 * integration (its URL carries the integration's random key).
 *
 * Unknown key, or a removed integration: 404 (2000). The X-Zoho-Webhook-Signature header must be
 * hex(HMAC-SHA256(secret, sorted query name+value pairs + raw body)) with the integration's
 * secret, compared in constant time; otherwise 401 (7006). Both as error JSON, nothing stored
 * (Zoho reads only the status; Xero's endpoint answers 401 bare, as Xero requires).
 * A good delivery is committed (an inbox row and its processing job, one transaction) before
 * the empty 200; the work happens later in the zoho.inbox job. Only invoice.invoice_id (or,
 * from a rule on the Credit Notes module, creditnote.creditnote_id) and last_modified_time of
 * the default payload are read, and an invoice's status (a void of a fiscalized invoice is
 * looked at, other changes of one are not): the job fetches the document itself; a delivery
 * without one triggers a sync. The body is never logged. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_zoho.h"

#define MAX_PAIRS 64

struct pairs {
    const char *names[MAX_PAIRS], *values[MAX_PAIRS];
    size_t n;
    bool overflow;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    FH_UNUSED(kind);
    struct pairs *p = cls;
    if (p->n == MAX_PAIRS) {
        p->overflow = true;
        return MHD_NO;
    }
    p->names[p->n] = key ? key : "";
    p->values[p->n++] = value ? value : "";
    return MHD_YES;
}

static bool key_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    return n >= 16 && n <= 64 &&
           strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* The invoice or credit note named by a default payload (an id, or "" when there is none);
 * *voided when it is an invoice whose status is void. */
static void event_of(const struct fh_req *req, bool *credit, bool *voided, char *id, size_t idsize,
                     char *at, size_t atsize)
{
    id[0] = at[0] = '\0';
    json_error_t je;
    json_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &je);
    json_t *inv = json_object_get(j, "invoice");
    *credit = !inv && json_is_object(json_object_get(j, "creditnote"));
    if (*credit)
        inv = json_object_get(j, "creditnote");
    json_t *v = json_object_get(inv, *credit ? "creditnote_id" : "invoice_id");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        snprintf(id, idsize, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        fh_strlcpy(id, json_string_value(v), idsize);
    if (strlen(id) > 19 || strspn(id, "0123456789") != strlen(id))
        id[0] = '\0';
    const char *status = json_string_value(json_object_get(inv, "status"));
    *voided = !*credit && status && strcmp(status, "void") == 0;
    const char *t = json_string_value(json_object_get(inv, "last_modified_time"));
    if (t && strlen(t) < atsize && strspn(t, "0123456789-:T+Z.") == strlen(t))
        fh_strlcpy(at, t, atsize);
    json_decref(j);
}

enum fh_rc fh_api_webhooks_zoho_post(struct fh_req *req)
{
    struct fh_app *app = req->app;
    const char *key = fh_req_param(req, "key");
    int64_t id = 0;
    char org[64], *secret = NULL;
    bool active = false;
    enum fh_rc rc = key_ok(key)
                        ? fh_zoho_webhook_lookup(app, key, &id, org, sizeof(org), &active, &secret)
                        : FH_E_NOTFOUND;
    if (rc == FH_E_NOTFOUND)
        return fh_reply_error(req, FH_EC_NOT_FOUND, "%s", "no Zoho Books webhook has this key");
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not read the webhook");
    struct pairs q = {.n = 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_arg, &q);
    bool good =
        !q.overflow &&
        fh_zoho_webhook_verify(secret, q.names, q.values, q.n, req->body.data ? req->body.data : "",
                               req->body.len, fh_req_header(req, "x-zoho-webhook-signature"));
    fh_conn_wipe(secret);
    if (!good)
        return fh_reply_error(req, FH_EC_WEBHOOK_SIGNATURE, "%s",
                              "X-Zoho-Webhook-Signature is missing or does not match");
    if (!active)
        return fh_reply_empty(req, 200); /* accepted and dropped; polling catches up later */
    char invoice[32], at[48];
    bool credit = false, voided = false;
    event_of(req, &credit, &voided, invoice, sizeof(invoice), at, sizeof(at));
    struct fh_inbox_event ev = {.tenant_id = org,
                                .category = credit ? "creditnote" : "invoice",
                                .event_type = voided ? "void" : "webhook",
                                .resource_id = invoice,
                                .event_at = at[0] ? at : NULL,
                                .integration_id = id};
    if (fh_inbox_commit(app, "zoho", &ev, 1, FH_ZOHO_JOB_INBOX) != FH_OK)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not store the delivery");
    return fh_reply_empty(req, 200);
}
