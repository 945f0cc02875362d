/* webhooks_xero_post.c - POST /webhooks/xero: Xero's signed webhook deliveries.
 *
 * The x-xero-signature header must be base64(HMAC-SHA256(FISCALHUB_XERO_WEBHOOK_KEY, raw body)),
 * compared in constant time; otherwise 401 with an empty body (the intent-to-receive check sends
 * good and bad signatures and wants exactly 200 / 401). A good delivery's events are committed
 * as inbox rows with their processing job in one transaction before the empty 200; the work
 * happens later in the xero.inbox job, so the answer comes well within Xero's 5 seconds. The
 * body is never logged. */
#include <string.h>

#include "api.h"
#include "fh/fh_xero.h"

#define MAX_EVENTS 1000

static bool field_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

enum fh_rc fh_api_webhooks_xero_post(struct fh_req *req)
{
    struct fh_app *app = req->app;
    const char *sig = fh_req_header(req, "x-xero-signature");
    if (!fh_xero_webhook_verify(app->cfg->xero_webhook_key, req->body.data ? req->body.data : "",
                                req->body.len, sig))
        return fh_reply_empty(req, 401);
    json_error_t je;
    json_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &je);
    json_t *events = json_object_get(j, "events");
    if (!json_is_array(events) || json_array_size(events) > MAX_EVENTS) {
        json_decref(j);
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "events must be an array");
    }
    size_t n = 0, i;
    struct fh_inbox_event *ev = fh_calloc(json_array_size(events) + 1, sizeof(*ev));
    json_t *e;
    json_array_foreach(events, i, e)
    {
        struct fh_inbox_event x = {
            .tenant_id = json_string_value(json_object_get(e, "tenantId")),
            .category = json_string_value(json_object_get(e, "eventCategory")),
            .event_type = json_string_value(json_object_get(e, "eventType")),
            .resource_id = json_string_value(json_object_get(e, "resourceId")),
            .event_at = json_string_value(json_object_get(e, "eventDateUtc")),
        };
        if (!field_ok(x.tenant_id, 64) || !field_ok(x.category, 32) ||
            !field_ok(x.event_type, 32) || !field_ok(x.resource_id, 64) ||
            (x.event_at && strlen(x.event_at) > 40))
            continue; /* not an event we can act on; Xero must not retry the delivery for it */
        if (strcmp(x.category, "INVOICE") != 0 && strcmp(x.category, "CREDITNOTE") != 0)
            continue;
        ev[n++] = x;
    }
    enum fh_rc rc = fh_inbox_commit(app, "xero", ev, n, FH_XERO_JOB_INBOX);
    free(ev);
    json_decref(j);
    if (rc != FH_OK)
        return fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not store the events");
    return fh_reply_empty(req, 200);
}
