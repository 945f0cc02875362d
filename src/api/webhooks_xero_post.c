/* webhooks_xero_post.c - POST /webhooks/xero: Xero's signed webhook deliveries.
 *
 * The x-xero-signature header must be base64(HMAC-SHA256(FISCALHUB_XERO_WEBHOOK_KEY, raw body)),
 * compared in constant time; otherwise 401 with an empty body (the intent-to-receive check sends
 * good and bad signatures and wants exactly 200 / 401). A good delivery's events are committed
 * as inbox rows with their processing job in one transaction before the empty 200; the work
 * happens later in the xero.inbox job, so the answer comes well within Xero's 5 seconds. While
 * the inbox's committer writes the delivery, the connection is suspended rather than holding an
 * HTTP thread, so the deliveries of every connection in flight share one commit. The body is
 * never logged. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fh/fh_xero.h"

#define MAX_EVENTS 1000

static bool field_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

/* A delivery being committed: the parsed body (the events' strings point into it). */
struct delivery {
    json_t *json;
    struct fh_inbox_event *ev;
    enum fh_rc rc; /* set by the committer before it resumes the request */
};

static void delivery_free(void *p)
{
    struct delivery *d = p;
    json_decref(d->json);
    free(d->ev);
    free(d);
}

static void committed(void *cls, enum fh_rc rc)
{
    struct fh_req *req = cls;
    ((struct delivery *)req->state)->rc = rc;
    fh_req_resume(req);
}

static void answer(struct fh_req *req)
{
    if (((struct delivery *)req->state)->rc != FH_OK)
        fh_reply_error(req, FH_EC_STORE_UNAVAILABLE, "%s", "could not store the events");
    else
        fh_reply_empty(req, 200);
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
    struct delivery *d = fh_calloc(1, sizeof(*d));
    d->json = j;
    d->ev = fh_calloc(json_array_size(events) + 1, sizeof(*d->ev));
    size_t n = 0, i;
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
        d->ev[n++] = x;
    }
    if (n == 0) {
        delivery_free(d);
        return fh_reply_empty(req, 200);
    }
    fh_req_suspend(req, answer, d, delivery_free);
    if (fh_inbox_submit(app, "xero", d->ev, n, FH_XERO_JOB_INBOX, committed, req) != FH_OK) {
        d->rc = FH_ERR;
        fh_req_resume(req);
    }
    return FH_OK;
}
