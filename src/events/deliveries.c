/* deliveries.c - the delivery log of a Custom / Webhook endpoint (one row per event sent to it,
 * with its attempts), Redeliver, and the hourly sweep of old events and Idempotency-Keys.
 *
 * Redeliver sends the same stored body (same event id) again: the delivery goes back to pending
 * with a new retry window and the next attempt number, as a new job. It is refused while the
 * delivery is still pending, so two rounds of one delivery never run at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_events.h"
#include "fh/fh_json.h"

#define DELIVERY_COLS                                                                              \
    "d.id, e.event_id, e.type, d.status, d.attempts, d.redeliveries, d.created_at, "               \
    "d.last_attempt_at, d.last_http_status, d.last_latency_ms, d.last_error, d.last_response, "    \
    "d.delivered_at, d.next_attempt_at"

static json_t *int_or_null(const struct fh_rows *r, size_t row, size_t col)
{
    return fh_rows_get(r, row, col) ? json_integer(fh_rows_i64(r, row, col, 0)) : json_null();
}

static json_t *delivery_json(const struct fh_rows *r, size_t i)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(fh_rows_i64(r, i, 0, 0)));
    json_object_set_new(o, "event_id", fh_json_str_or_null(fh_rows_get(r, i, 1)));
    json_object_set_new(o, "event_type", fh_json_str_or_null(fh_rows_get(r, i, 2)));
    json_object_set_new(o, "status", fh_json_str_or_null(fh_rows_get(r, i, 3)));
    json_object_set_new(o, "attempts", json_integer(fh_rows_i64(r, i, 4, 0)));
    json_object_set_new(o, "redeliveries", json_integer(fh_rows_i64(r, i, 5, 0)));
    json_object_set_new(o, "created_at", fh_json_time_cell(r, i, 6));
    json_object_set_new(o, "last_attempt_at", fh_json_time_cell(r, i, 7));
    json_object_set_new(o, "last_http_status", int_or_null(r, i, 8));
    json_object_set_new(o, "last_latency_ms", int_or_null(r, i, 9));
    json_object_set_new(o, "last_error", fh_json_str_or_null(fh_rows_get(r, i, 10)));
    json_object_set_new(o, "last_response", fh_json_str_or_null(fh_rows_get(r, i, 11)));
    json_object_set_new(o, "delivered_at", fh_json_time_cell(r, i, 12));
    json_object_set_new(o, "next_attempt_at", fh_json_time_cell(r, i, 13));
    return o;
}

enum fh_rc fh_webhook_deliveries_json(struct fh_store *st, int64_t integration_id,
                                      const char *cursor, int64_t limit, json_t **out)
{
    int64_t before = 0;
    if (cursor && !fh_cursor_decode(cursor, &before))
        return FH_E_INPUT;
    struct fh_param p[] = {FH_PI(integration_id), FH_PI(before), FH_PI(limit + 1)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        "SELECT " DELIVERY_COLS " FROM webhook_deliveries d JOIN webhook_events "
        "e ON e.id = d.event_row WHERE d.integration_id = $1 AND "
        "(CAST($2 AS BIGINT) = 0 OR d.id < CAST($2 AS BIGINT)) ORDER BY d.id DESC LIMIT $3",
        p, 3, &rows);
    if (qs < 0) {
        fh_rows_free(&rows);
        return fh_qs_rc(qs);
    }
    *out = fh_cursor_page(&rows, limit, "deliveries", delivery_json);
    fh_rows_free(&rows);
    return FH_OK;
}

static json_t *attempts_json(const struct fh_rows *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "attempt", json_integer(fh_rows_i64(r, i, 0, 0)));
        json_object_set_new(o, "round", json_integer(fh_rows_i64(r, i, 1, 0)));
        json_object_set_new(o, "started_at", fh_json_time_cell(r, i, 2));
        json_object_set_new(o, "finished_at", fh_json_time_cell(r, i, 3));
        json_object_set_new(o, "http_status", int_or_null(r, i, 4));
        json_object_set_new(o, "latency_ms", int_or_null(r, i, 5));
        json_object_set_new(o, "error", fh_json_str_or_null(fh_rows_get(r, i, 6)));
        json_object_set_new(o, "response_excerpt", fh_json_str_or_null(fh_rows_get(r, i, 7)));
        json_array_append_new(list, o);
    }
    return list;
}

enum fh_rc fh_webhook_delivery_json(struct fh_store *st, int64_t integration_id,
                                    int64_t delivery_id, json_t **out)
{
    struct fh_param p[] = {FH_PI(delivery_id), FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT " DELIVERY_COLS " FROM webhook_deliveries d JOIN webhook_events "
                           "e ON e.id = d.event_row WHERE d.id = $1 AND d.integration_id = $2",
                           p, 2, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    json_t *o = delivery_json(&rows, 0);
    fh_rows_free(&rows);
    qs = fh_store_exec(st,
                       "SELECT attempt, round, started_at, finished_at, http_status, latency_ms, "
                       "error, response_excerpt FROM webhook_attempts WHERE delivery_id = $1 "
                       "ORDER BY attempt DESC LIMIT 100",
                       p, 1, &rows);
    if (qs < 0) {
        json_decref(o);
        fh_rows_free(&rows);
        return fh_qs_rc(qs);
    }
    json_object_set_new(o, "attempt_log", attempts_json(&rows));
    fh_rows_free(&rows);
    *out = o;
    return FH_OK;
}

/* ---- Redeliver ---- */

struct redeliver_ctx {
    int64_t integration_id, id, now;
    bool found, pending;
};

static int redeliver_tx(struct fh_store *st, void *cls)
{
    struct redeliver_ctx *c = cls;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->integration_id), FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT status, attempts FROM webhook_deliveries WHERE id = $1 AND "
                           "integration_id = $2",
                           p, 2, &rows);
    c->found = qs > 0;
    c->pending = qs > 0 && strcmp(fh_rows_get(&rows, 0, 0) ?: "", "pending") == 0;
    int64_t attempts = qs > 0 ? fh_rows_i64(&rows, 0, 1, 0) : 0;
    fh_rows_free(&rows);
    if (qs <= 0 || c->pending)
        return qs;
    qs = fh_store_exec(st,
                       "UPDATE webhook_deliveries SET status = 'pending', redeliveries = "
                       "redeliveries + 1, window_start = $3, next_attempt_at = $3, "
                       "delivered_at = NULL, updated_at = $3 WHERE id = $1 AND integration_id = $2 "
                       "AND status <> 'pending'",
                       p, 3, NULL);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_SOFT;
    char key[64], payload[80];
    snprintf(key, sizeof(key), "webhook:%lld:%lld", (long long)c->id, (long long)attempts + 1);
    snprintf(payload, sizeof(payload), "{\"delivery_id\":%lld,\"attempt\":%lld}", (long long)c->id,
             (long long)attempts + 1);
    struct fh_enqueue e = {.kind = FH_WEBHOOK_JOB_KIND,
                           .ukey = key,
                           .payload = payload,
                           .run_at = c->now,
                           .max_attempts = 10};
    enum fh_rc rc = fh_job_enqueue(st, NULL, &e, NULL, NULL);
    return fh_rc_qs(rc);
}

enum fh_rc fh_webhook_redeliver(struct fh_app *app, int64_t integration_id, int64_t delivery_id)
{
    struct redeliver_ctx c = {
        .integration_id = integration_id, .id = delivery_id, .now = fh_now_ms()};
    int qs = fh_store_run_tx(app->store, redeliver_tx, &c);
    if (qs < 0)
        return fh_qs_rc(qs);
    if (!c.found)
        return FH_E_NOTFOUND;
    return c.pending ? FH_E_CONFLICT : FH_OK;
}

/* ---- sweep ---- */

enum fh_rc fh_custom_job_sweep(void *cls, struct fh_store *st, const struct fh_job *job, char *err,
                               size_t errsize)
{
    FH_UNUSED(job);
    struct fh_app *app = cls;
    const struct fh_config *cfg = app ? app->cfg : NULL;
    int64_t now = fh_now_ms();
    int64_t ttl = cfg && cfg->idempotency_ttl_ms > 0 ? cfg->idempotency_ttl_ms : 86400000LL;
    int64_t keep = cfg && cfg->webhook_log_ms > 0 ? cfg->webhook_log_ms : 30LL * 86400000;
    struct fh_param a[] = {FH_PI(now - ttl)}, b[] = {FH_PI(now - keep)};
    if (fh_store_exec(st, "DELETE FROM api_idempotency WHERE created_at < $1", a, 1, NULL) < 0 ||
        fh_store_exec(st,
                      "DELETE FROM webhook_events WHERE created_at < $1 AND NOT EXISTS (SELECT 1 "
                      "FROM webhook_deliveries d WHERE d.event_row = webhook_events.id AND "
                      "d.status = 'pending')",
                      b, 1, NULL) < 0) {
        snprintf(err, errsize, "store error while sweeping events and idempotency keys");
        return FH_E_RETRY;
    }
    return FH_OK;
}
