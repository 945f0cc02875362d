/* events.c - outgoing events: created inside the transaction of the change they report, fanned
 * out to the subscribed Custom / Webhook endpoints as one delivery row and one job each.
 *
 * Why in the same transaction: the event row, its deliveries and their jobs commit together with
 * the status change (the fiscal invoice signed or failed, an integration's new status). A crash
 * before the commit loses both, a crash after keeps both; there is no window in which the change
 * is visible but its event is missing, or an event exists for a change that rolled back. The
 * hooks cost one indexed SELECT when the organization has no endpoint.
 *
 * Who receives what: invoice events go to the active Custom / Webhook integrations tied to the
 * invoice's certificate (an integration is tied to one certificate; that is the taxpayer
 * location whose invoices it follows), whatever the invoice's source (public API, Xero, ...).
 * integration.status_changed goes to every active endpoint of the organization.
 *
 * The event body is built once, stored verbatim and sent byte for byte on every attempt and every
 * Redeliver, so its "id" never changes and the signature always covers what the receiver got:
 *   {"id": "evt_...", "type": "...", "created_at": "...", "api_version": "v1",
 *    "organization": "OR-...", "data": {...}}                       (docs/api/webhooks.md) */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"
#include "fh/fh_events.h"

#define DELIVER_MAX_ATTEMPTS 10 /* job attempts for store trouble; delivery retries are ours */

void fh_cursor_encode(int64_t id, char *out, size_t outsize)
{
    char raw[32];
    int n = snprintf(raw, sizeof(raw), "c1:%lld", (long long)id);
    sodium_bin2base64(out, outsize, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool fh_cursor_decode(const char *cursor, int64_t *id)
{
    size_t n = cursor ? strlen(cursor) : 0;
    if (n == 0 || n > 40)
        return false;
    unsigned char raw[32];
    size_t len = 0;
    if (sodium_base642bin(raw, sizeof(raw) - 1, cursor, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    raw[len] = '\0';
    return len > 3 && memcmp(raw, "c1:", 3) == 0 && fh_parse_i64((char *)raw + 3, id) && *id > 0;
}

json_t *fh_cursor_page(const struct fh_rows *rows, int64_t limit, const char *name,
                       json_t *(*item)(const struct fh_rows *rows, size_t i))
{
    json_t *list = json_array();
    size_t shown = rows->nrows > (size_t)limit ? (size_t)limit : rows->nrows;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, item(rows, i));
    json_t *next = json_null();
    if (rows->nrows > shown) {
        char c[40];
        fh_cursor_encode(fh_rows_i64(rows, shown - 1, 0, 0), c, sizeof(c));
        next = json_string(c);
    }
    return json_pack("{s:o, s:o}", name, list, "next_cursor", next);
}

/* Integration ids of the endpoints in rows (column 0). */
struct targets {
    int64_t ids[64];
    size_t n;
};

static int load_targets(struct fh_store *st, const char *sql, const struct fh_param *p, size_t np,
                        struct targets *t)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, np, &rows);
    t->n = 0;
    for (size_t i = 0; qs > 0 && i < rows.nrows && t->n < FH_ARRAY_LEN(t->ids); i++)
        t->ids[t->n++] = fh_rows_i64(&rows, i, 0, 0);
    fh_rows_free(&rows);
    return qs;
}

static int org_code(struct fh_store *st, int64_t org_id, char *out, size_t outsize)
{
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT code FROM organizations WHERE id = $1", p, 1, &rows);
    if (qs > 0)
        fh_strlcpy(out, fh_rows_get(&rows, 0, 0) ?: "", outsize);
    fh_rows_free(&rows);
    return qs;
}

/* One delivery row and its first job. */
static int add_delivery(struct fh_store *st, int64_t event_row, int64_t integration_id, int64_t now)
{
    struct fh_param p[] = {FH_PI(event_row), FH_PI(integration_id), FH_PI(now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "INSERT INTO webhook_deliveries (event_row, integration_id, status, "
                           "attempts, window_start, next_attempt_at, created_at, updated_at) "
                           "VALUES ($1, $2, 'pending', 0, $3, $3, $3, $3) RETURNING id",
                           p, 3, &rows);
    int64_t id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    char key[64], payload[80];
    snprintf(key, sizeof(key), "webhook:%lld:1", (long long)id);
    snprintf(payload, sizeof(payload), "{\"delivery_id\":%lld,\"attempt\":1}", (long long)id);
    struct fh_enqueue e = {.kind = FH_WEBHOOK_JOB_KIND,
                           .ukey = key,
                           .payload = payload,
                           .run_at = now,
                           .max_attempts = DELIVER_MAX_ATTEMPTS};
    enum fh_rc rc = fh_job_enqueue(st, NULL, &e, NULL, NULL);
    return fh_rc_qs(rc);
}

/* Stores the event (takes data) and one delivery per target. */
static int emit(struct fh_store *st, int64_t org_id, const char *type, json_t *data,
                const struct targets *t, int64_t now)
{
    char code[32] = "", event_id[40], created[32];
    int qs = org_code(st, org_id, code, sizeof(code));
    if (qs < 0) {
        json_decref(data);
        return qs;
    }
    memcpy(event_id, "evt_", 4);
    fh_random_token(18, event_id + 4, sizeof(event_id) - 4);
    fh_time_fmt(now, created, sizeof(created));
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", event_id, "type", type, "created_at",
                  created, "api_version", "v1", "organization", code, "data", data);
    char *body = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!body)
        return FH_QS_HARD;
    struct fh_param p[] = {FH_PT(event_id), FH_PI(org_id), FH_PT(type), FH_PT(body), FH_PI(now)};
    struct fh_rows rows;
    qs = fh_store_exec(st,
                       "INSERT INTO webhook_events (event_id, org_id, type, body, created_at) "
                       "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                       p, FH_ARRAY_LEN(p), &rows);
    free(body);
    int64_t row = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    for (size_t i = 0; i < t->n; i++) {
        qs = add_delivery(st, row, t->ids[i], now);
        if (qs < 0)
            return qs;
    }
    return (int)t->n;
}

/* An endpoint is subscribed to a type when ',' || events || ',' contains ',<type>,'. The LIKE
 * pattern is built in SQL from the type ('%,' || $n || ',%'), not bound whole: SQLite
 * re-prepares a statement whose LIKE pattern is a bare parameter every time that parameter is
 * bound (4% of fiscalhub's CPU in the fiscalization benchmark, bench/README.md). */

int fh_events_invoice_outcome(struct fh_store *st, int64_t invoice_id, int64_t now)
{
    struct fh_param p[] = {FH_PI(invoice_id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st, "SELECT status, org_id FROM fiscal_invoices WHERE id = $1", p, 1, &rows);
    const char *status = qs > 0 ? fh_rows_get(&rows, 0, 0) : NULL;
    const char *type = !status                         ? NULL
                       : strcmp(status, "signed") == 0 ? FH_EVENT_INVOICE_FISCALIZED
                       : strcmp(status, "failed") == 0 ? FH_EVENT_INVOICE_FAILED
                                                       : NULL;
    int64_t org_id = qs > 0 ? fh_rows_i64(&rows, 0, 1, 0) : 0;
    fh_rows_free(&rows);
    if (qs <= 0 || !type)
        return qs < 0 ? qs : 0;
    struct fh_param q[] = {FH_PI(invoice_id), FH_PI(org_id), FH_PT(type)};
    struct targets t;
    qs = load_targets(
        st,
        "SELECT w.integration_id FROM webhook_endpoints w "
        "JOIN integrations i ON i.id = w.integration_id "
        "JOIN fiscal_invoices f ON f.id = $1 AND f.certificate_id = i.certificate_id "
        "WHERE w.org_id = $2 AND i.status = 'active' AND "
        "(',' || w.events || ',') LIKE '%,' || CAST($3 AS TEXT) || ',%' ORDER BY w.integration_id",
        q, 3, &t);
    if (qs <= 0)
        return qs;
    json_t *inv = NULL;
    enum fh_rc rc = fh_public_invoice_get(st, 0, invoice_id, false, &inv);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    return emit(st, org_id, type, json_pack("{s:o}", "invoice", inv), &t, now);
}

int fh_events_integration_changed(struct fh_store *st, int64_t integration_id, const char *previous,
                                  int64_t now)
{
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT i.org_id, i.uid, i.type, i.status, i.status_reason, c.uid "
                           "FROM integrations i LEFT JOIN certificates c ON c.id = "
                           "i.certificate_id WHERE i.id = $1",
                           p, 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs < 0 ? qs : 0;
    }
    int64_t org_id = fh_rows_i64(&rows, 0, 0, 0);
    const char *status = fh_rows_get(&rows, 0, 3);
    if (previous && status && strcmp(previous, status) == 0) {
        fh_rows_free(&rows);
        return 0;
    }
    struct fh_param q[] = {FH_PI(org_id), FH_PT(FH_EVENT_INTEGRATION_STATUS)};
    struct targets t;
    qs = load_targets(
        st,
        "SELECT w.integration_id FROM webhook_endpoints w "
        "JOIN integrations i ON i.id = w.integration_id WHERE w.org_id = $1 AND "
        "i.status = 'active' AND (',' || w.events || ',') LIKE '%,' || CAST($2 AS TEXT) || ',%' "
        "ORDER BY w.integration_id",
        q, 2, &t);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs;
    }
    json_t *integ = json_object();
    static const char *const names[] = {"uid", "type", "status", "status_reason",
                                        "certificate_uid"};
    for (size_t i = 0; i < FH_ARRAY_LEN(names); i++) {
        const char *v = fh_rows_get(&rows, 0, i + 1);
        json_object_set_new(integ, names[i], v ? json_string(v) : json_null());
    }
    fh_rows_free(&rows);
    json_t *data = json_pack("{s:o, s:o}", "integration", integ, "previous_status",
                             previous ? json_string(previous) : json_null());
    return emit(st, org_id, FH_EVENT_INTEGRATION_STATUS, data, &t, now);
}

struct update_ctx {
    int64_t id, now;
    const char *sql;
    const struct fh_param *p;
    size_t n;
};

static int status_of(struct fh_store *st, int64_t id, char out[16])
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT status FROM integrations WHERE id = $1", p, 1, &rows);
    out[0] = '\0';
    if (qs > 0)
        fh_strlcpy(out, fh_rows_get(&rows, 0, 0) ?: "", 16);
    fh_rows_free(&rows);
    return qs;
}

static int update_tx(struct fh_store *st, void *cls)
{
    struct update_ctx *c = cls;
    char before[16], after[16];
    int qs = status_of(st, c->id, before);
    if (qs < 0)
        return qs;
    int changed = fh_store_exec(st, c->sql, c->p, c->n, NULL);
    if (changed <= 0)
        return changed;
    qs = status_of(st, c->id, after);
    if (qs < 0)
        return qs;
    if (strcmp(before, after) != 0) {
        qs = fh_events_integration_changed(st, c->id, before[0] ? before : NULL, c->now);
        if (qs < 0)
            return qs;
    }
    return changed;
}

int fh_events_integration_update(struct fh_store *st, int64_t integration_id, const char *sql,
                                 const struct fh_param *p, size_t n, int64_t now)
{
    struct update_ctx c = {.id = integration_id, .now = now, .sql = sql, .p = p, .n = n};
    return fh_store_run_tx(st, update_tx, &c);
}
