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

enum { F_TENANT, F_CATEGORY, F_TYPE, F_RESOURCE, F_AT, NFIELDS };
static const char *const event_fields[NFIELDS] = {"tenantId", "eventCategory", "eventType",
                                                  "resourceId", "eventDateUtc"};

/* A delivery being committed: its events, whose strings it owns. */
struct delivery {
    struct fh_inbox_event *ev;
    char *(*strings)[NFIELDS];
    size_t n, cap, seen;
    enum fh_rc rc; /* set by the committer before it resumes the request */
};

static void delivery_free(void *p)
{
    struct delivery *d = p;
    for (size_t i = 0; i < d->n; i++)
        for (int k = 0; k < NFIELDS; k++)
            free(d->strings[i][k]);
    free(d->strings);
    free(d->ev);
    free(d);
}

/* One element of "events": kept when it is an invoice or credit note event we can act on;
 * others are skipped (Xero must not retry a delivery for them). */
static bool take_event(void *cls, char **v)
{
    struct delivery *d = cls;
    if (++d->seen > MAX_EVENTS)
        return false;
    if (!field_ok(v[F_TENANT], 64) || !field_ok(v[F_CATEGORY], 32) || !field_ok(v[F_TYPE], 32) ||
        !field_ok(v[F_RESOURCE], 64) || (v[F_AT] && strlen(v[F_AT]) > 40))
        return true;
    if (strcmp(v[F_CATEGORY], "INVOICE") != 0 && strcmp(v[F_CATEGORY], "CREDITNOTE") != 0)
        return true;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 4;
        d->ev = fh_realloc(d->ev, d->cap * sizeof(*d->ev));
        d->strings = fh_realloc(d->strings, d->cap * sizeof(*d->strings));
    }
    char **keep = d->strings[d->n];
    for (int k = 0; k < NFIELDS; k++) {
        keep[k] = v[k];
        v[k] = NULL;
    }
    d->ev[d->n++] = (struct fh_inbox_event){.tenant_id = keep[F_TENANT],
                                            .category = keep[F_CATEGORY],
                                            .event_type = keep[F_TYPE],
                                            .resource_id = keep[F_RESOURCE],
                                            .event_at = keep[F_AT]};
    return true;
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
    const char *body = req->body.data ? req->body.data : "";
    if (!fh_xero_webhook_verify(app->cfg->xero_webhook_key, body, req->body.len, sig))
        return fh_reply_empty(req, 401);
    /* the body is checked and its events picked without building it (src/json/pick.c) */
    struct delivery *d = fh_calloc(1, sizeof(*d));
    enum fh_rc rc =
        fh_json_pick_each(body, req->body.len, "events", event_fields, NFIELDS, take_event, d);
    if (rc != FH_OK) {
        delivery_free(d);
        if (rc == FH_E_INPUT)
            return fh_reply_error(req, FH_EC_JSON_MALFORMED, "%s", "the body is not a JSON object");
        if (rc == FH_E_LIMIT)
            return fh_reply_error(req, FH_EC_JSON_ARRAY_TOO_LONG, "events holds more than %d",
                                  MAX_EVENTS);
        return fh_reply_error(req, FH_EC_JSON_FIELD_INVALID, "%s", "events must be an array");
    }
    if (d->n == 0) {
        delivery_free(d);
        return fh_reply_empty(req, 200);
    }
    fh_req_suspend(req, answer, d, delivery_free);
    if (fh_inbox_submit(app, "xero", d->ev, d->n, FH_XERO_JOB_INBOX, committed, req) != FH_OK) {
        d->rc = FH_ERR;
        fh_req_resume(req);
    }
    return FH_OK;
}
