/* invoice_json.c - fiscal invoices as the public API (/api/v1) and the outgoing events show
 * them. A summary for lists; the details add the transaction type, the canonical invoice as
 * stored and the fiscal result read from the V-SDC's answer (counters, the V-SDC signature, the
 * journal, tax items, optionally the QR code). Amounts are decimal strings, times RFC 3339 UTC.
 *
 * Lists page by id, newest first, with an opaque cursor (the last id shown): inserts never shift
 * a page that follows, unlike offsets. Every query is scoped by the integration, so another
 * integration's (or tenant's) invoice reads exactly like a missing one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_crypto.h"
#include "fh/fh_events.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"

#define COLS                                                                                       \
    "f.id, " FH_BILLING_STATUS_SQL(                                                                \
        "f") ", f.invoice_type, f.source_key, f.source_ref, f.source_url, f.request_id, "          \
             "i.uid, c.uid, f.invoice_number, f.sdc_time, f.total_amount, f.verification_url, "    \
             "COALESCE(f.hold_reason, f.last_error), f.created_at, f.updated_at, f.signed_at, "    \
             "f.tax_mismatch, f.source_tax, f.vsdc_tax, f.hold_reason"
#define FROM                                                                                       \
    " FROM fiscal_invoices f LEFT JOIN integrations i ON i.id = f.integration_id "                 \
    "LEFT JOIN certificates c ON c.id = f.certificate_id "
/* The V-SDC's answer: fiscal_results, or where answers stored before it wait to move there. */
#define RESULT_JOIN "LEFT JOIN fiscal_results r ON r.invoice_id = f.id "
#define RESULT_COL "COALESCE(r.body, f.vsdc_result)"
enum { N_COLS = 21 };

/* "api:X" (session API) and "custom:<uid>:X" (public API) carry the caller's source_id. */
static json_t *source_id_json(const char *key)
{
    if (!key)
        return json_null();
    if (fh_starts_with(key, "api:"))
        return json_string(key + 4);
    if (fh_starts_with(key, "custom:")) {
        const char *colon = strchr(key + 7, ':');
        const char *bang = strchr(key + 7, '!');
        if (colon && (!bang || colon < bang))
            return json_string(colon + 1);
    }
    return json_null();
}

static json_t *summary(const struct fh_rows *r, size_t i)
{
    const char *type = fh_rows_get(r, i, 2);
    bool fiscal = type && (strcmp(type, "normal") == 0 || strcmp(type, "advance") == 0);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(fh_rows_i64(r, i, 0, 0)));
    json_object_set_new(o, "status", fh_json_str_or_null(fh_rows_get(r, i, 1)));
    json_object_set_new(o, "invoice_type", fh_json_str_or_null(type));
    json_object_set_new(o, "fiscal", json_boolean(fiscal));
    json_object_set_new(o, "source_id", source_id_json(fh_rows_get(r, i, 3)));
    json_object_set_new(o, "source_ref", fh_json_str_or_null(fh_rows_get(r, i, 4)));
    json_object_set_new(o, "source_url", fh_json_str_or_null(fh_rows_get(r, i, 5)));
    json_object_set_new(o, "request_id", fh_json_str_or_null(fh_rows_get(r, i, 6)));
    json_object_set_new(o, "integration", fh_json_str_or_null(fh_rows_get(r, i, 7)));
    json_object_set_new(o, "certificate_uid", fh_json_str_or_null(fh_rows_get(r, i, 8)));
    json_object_set_new(o, "invoice_number", fh_json_str_or_null(fh_rows_get(r, i, 9)));
    json_object_set_new(o, "sdc_time", fh_json_str_or_null(fh_rows_get(r, i, 10)));
    json_object_set_new(o, "total_amount", fh_fiscal_decimal_json(fh_rows_i64(r, i, 11, 0)));
    json_object_set_new(o, "verification_url", fh_json_str_or_null(fh_rows_get(r, i, 12)));
    json_object_set_new(o, "last_error", fh_json_str_or_null(fh_rows_get(r, i, 13)));
    json_object_set_new(o, "created_at", fh_json_time_cell(r, i, 14));
    json_object_set_new(o, "updated_at", fh_json_time_cell(r, i, 15));
    json_object_set_new(o, "signed_at", fh_json_time_cell(r, i, 16));
    json_object_set_new(o, "tax_mismatch", json_boolean(fh_rows_i64(r, i, 17, 0) != 0));
    json_object_set_new(o, "source_tax_total", fh_fiscal_decimal_cell(r, i, 18));
    json_object_set_new(o, "vsdc_tax_total", fh_fiscal_decimal_cell(r, i, 19));
    const char *st = fh_rows_get(r, i, 1), *hold = fh_rows_get(r, i, 20);
    bool held = st && strcmp(st, "on_hold") == 0 && hold;
    const char *kind = held ? fh_billing_hold_kind(hold) : NULL;
    json_object_set_new(o, "hold_reason", held ? json_string(hold) : json_null());
    json_object_set_new(o, "hold_kind", kind ? json_string(kind) : json_null());
    return o;
}

void fh_public_source_key(const char *integration_uid, const char *source_id, char *out,
                          size_t outsize)
{
    if (source_id) {
        snprintf(out, outsize, "custom:%s:%s", integration_uid, source_id);
        return;
    }
    char rnd[32];
    fh_random_token(16, rnd, sizeof(rnd));
    snprintf(out, outsize, "custom:%s!%s", integration_uid, rnd);
}

/* ---- list ---- */

static size_t build_where(const struct fh_public_filter *f, struct fh_buf *w, struct fh_param *p,
                          const char *key)
{
    size_t n = 0;
    p[n++] = FH_PI(f->integration_id);
    fh_buf_appendf(w, "WHERE f.integration_id = $1");
    if (f->status) {
        p[n++] = FH_PT(f->status);
        fh_buf_appendf(w, " AND " FH_BILLING_STATUS_SQL("f") " = $%zu", n);
    }
    if (f->invoice_type) {
        p[n++] = FH_PT(f->invoice_type);
        fh_buf_appendf(w, " AND f.invoice_type = $%zu", n);
    }
    if (f->source_id) { /* the key is exact: "custom:<uid>:<source_id>" */
        p[n++] = FH_PT(key);
        fh_buf_appendf(w, " AND f.source_key = $%zu", n);
    }
    if (f->from_ms) {
        p[n++] = FH_PI(f->from_ms);
        fh_buf_appendf(w, " AND f.created_at >= $%zu", n);
    }
    if (f->to_ms) {
        p[n++] = FH_PI(f->to_ms);
        fh_buf_appendf(w, " AND f.created_at < $%zu", n);
    }
    if (f->tax_mismatch)
        fh_buf_appendf(w, " AND f.tax_mismatch = 1");
    if (f->before_id) {
        p[n++] = FH_PI(f->before_id);
        fh_buf_appendf(w, " AND f.id < $%zu", n);
    }
    return n;
}

static enum fh_rc integration_uid(struct fh_store *st, int64_t id, char *out, size_t outsize)
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT uid FROM integrations WHERE id = $1", p, 1, &rows);
    if (qs > 0)
        fh_strlcpy(out, fh_rows_get(&rows, 0, 0) ?: "", outsize);
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

enum fh_rc fh_public_invoice_list(struct fh_store *st, const struct fh_public_filter *f,
                                  json_t **out)
{
    char key[300] = "", uid[16] = "";
    if (f->source_id) {
        enum fh_rc rc = integration_uid(st, f->integration_id, uid, sizeof(uid));
        if (rc != FH_OK)
            return rc;
        fh_public_source_key(uid, f->source_id, key, sizeof(key));
    }
    struct fh_param p[10];
    struct fh_buf w, q;
    fh_buf_init(&w, 4096);
    fh_buf_init(&q, 8192);
    size_t n = build_where(f, &w, p, key);
    p[n] = FH_PI(f->limit + 1); /* one more tells whether there is a next page */
    fh_buf_appendf(&q, "SELECT " COLS FROM "%s ORDER BY f.id DESC LIMIT $%zu", w.data, n + 1);
    struct fh_rows rows;
    int qs = fh_store_exec(st, q.data, p, n + 1, &rows);
    fh_buf_free(&w);
    fh_buf_free(&q);
    if (qs < 0) {
        fh_rows_free(&rows);
        return fh_qs_rc(qs);
    }
    *out = fh_cursor_page(&rows, f->limit, "invoices", summary);
    fh_rows_free(&rows);
    return FH_OK;
}

/* ---- details ---- */

/* The fiscal result read from the V-SDC's answer (NULL before signing: null). */
static json_t *result_json(const char *vsdc_result, bool with_qr)
{
    json_t *r = vsdc_result ? json_loads(vsdc_result, 0, NULL) : NULL;
    if (!json_is_object(r)) {
        json_decref(r);
        return json_null();
    }
    json_t *o = json_object();
    fh_fiscal_result_fields(o, r);
    fh_json_copy_scalar(o, "signature", r, "signature");
    fh_json_copy_scalar(o, "encrypted_internal_data", r, "encryptedInternalData");
    json_object_set_new(o, "total_amount",
                        fh_fiscal_vsdc_amount_json(json_object_get(r, "totalAmount")));
    if (with_qr)
        fh_json_copy_scalar(o, "qr_gif_base64", r, "verificationQRCode");
    json_decref(r);
    return o;
}

enum fh_rc fh_public_invoice_get(struct fh_store *st, int64_t integration_id, int64_t id,
                                 bool with_qr, json_t **out)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           integration_id > 0
                               ? "SELECT " COLS ", f.canonical, " RESULT_COL FROM RESULT_JOIN
                                 "WHERE f.id = $1 AND f.integration_id = $2"
                               : "SELECT " COLS ", f.canonical, " RESULT_COL FROM RESULT_JOIN
                                 "WHERE f.id = $1",
                           p, integration_id > 0 ? 2 : 1, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    json_t *o = summary(&rows, 0);
    const char *canonical = fh_rows_get(&rows, 0, N_COLS);
    json_t *inv = canonical ? json_loads(canonical, 0, NULL) : NULL;
    json_t *tt = json_object_get(inv, "transaction_type");
    json_object_set_new(o, "transaction_type", tt ? json_incref(tt) : json_null());
    json_object_set_new(o, "invoice", inv ? inv : json_null());
    json_object_set_new(o, "result", result_json(fh_rows_get(&rows, 0, N_COLS + 1), with_qr));
    fh_rows_free(&rows);
    *out = o;
    return FH_OK;
}
