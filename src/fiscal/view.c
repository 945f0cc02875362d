/* view.c - fiscal invoices as the API shows them: the list (filters, paging, newest first) and
 * the details (canonical invoice, and what the V-SDC returned: journal, QR, tax items, counters,
 * and the body verbatim). Amounts are decimal strings, times RFC 3339. Every query is scoped by
 * the organization, so another tenant's id reads exactly like a missing one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_billing.h"
#include "fh/fh_json.h"
#include "fiscal_internal.h"

#define SUMMARY_COLS                                                                               \
    "f.id, f.request_id, " FH_BILLING_STATUS_SQL(                                                  \
        "f") ", f.invoice_type, f.source_ref, f.source_url, i.uid, c.uid, "                        \
             "f.invoice_number, f.sdc_time, f.total_amount, f.verification_url, f.attempts, "      \
             "f.uncertain, "                                                                       \
             "f.last_error, f.created_at, f.updated_at, f.signed_at, f.source_key, "               \
             "f.hold_reason, "                                                                     \
             "f.tax_mismatch"
#define SUMMARY_FROM                                                                               \
    " FROM fiscal_invoices f LEFT JOIN integrations i ON i.id = f.integration_id "                 \
    "LEFT JOIN certificates c ON c.id = f.certificate_id "
enum { N_SUMMARY_COLS = 21 };

static json_t *summary(const struct fh_rows *r, size_t row)
{
    const char *type = fh_rows_get(r, row, 3);
    bool fiscal = type && (strcmp(type, "normal") == 0 || strcmp(type, "advance") == 0);
    const char *key = fh_rows_get(r, row, 18);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(fh_rows_i64(r, row, 0, 0)));
    json_object_set_new(o, "request_id", fh_json_str_or_null(fh_rows_get(r, row, 1)));
    json_object_set_new(o, "status", fh_json_str_or_null(fh_rows_get(r, row, 2)));
    json_object_set_new(o, "invoice_type", fh_json_str_or_null(type));
    json_object_set_new(o, "fiscal", json_boolean(fiscal));
    json_object_set_new(o, "source_id",
                        key && fh_starts_with(key, "api:") ? json_string(key + 4) : json_null());
    json_object_set_new(o, "source_ref", fh_json_str_or_null(fh_rows_get(r, row, 4)));
    json_object_set_new(o, "source_url", fh_json_str_or_null(fh_rows_get(r, row, 5)));
    json_object_set_new(o, "integration", fh_json_str_or_null(fh_rows_get(r, row, 6)));
    json_object_set_new(o, "certificate_uid", fh_json_str_or_null(fh_rows_get(r, row, 7)));
    json_object_set_new(o, "invoice_number", fh_json_str_or_null(fh_rows_get(r, row, 8)));
    json_object_set_new(o, "sdc_time", fh_json_str_or_null(fh_rows_get(r, row, 9)));
    json_object_set_new(o, "total_amount", fh_fiscal_decimal_json(fh_rows_i64(r, row, 10, 0)));
    json_object_set_new(o, "verification_url", fh_json_str_or_null(fh_rows_get(r, row, 11)));
    json_object_set_new(o, "attempts", json_integer(fh_rows_i64(r, row, 12, 0)));
    json_object_set_new(o, "uncertain", json_boolean(fh_rows_i64(r, row, 13, 0) != 0));
    json_object_set_new(o, "last_error", fh_json_str_or_null(fh_rows_get(r, row, 14)));
    json_object_set_new(o, "created_at", fh_json_time_cell(r, row, 15));
    json_object_set_new(o, "updated_at", fh_json_time_cell(r, row, 16));
    json_object_set_new(o, "signed_at", fh_json_time_cell(r, row, 17));
    json_object_set_new(o, "hold_reason", fh_json_str_or_null(fh_rows_get(r, row, 19)));
    const char *kind = fh_billing_hold_kind(fh_rows_get(r, row, 19));
    json_object_set_new(o, "hold_kind", kind ? json_string(kind) : json_null());
    json_object_set_new(o, "tax_mismatch", json_boolean(fh_rows_i64(r, row, 20, 0) != 0));
    return o;
}

/* WHERE clause and parameters of a filter; $1 is the organization. */
static size_t build_where(const struct fh_fiscal_filter *f, int64_t org_id, struct fh_buf *w,
                          struct fh_param *p)
{
    size_t n = 0;
    p[n++] = FH_PI(org_id);
    fh_buf_appendf(w, "WHERE f.org_id = $1");
    if (f->status) {
        p[n++] = FH_PT(f->status);
        fh_buf_appendf(w, " AND " FH_BILLING_STATUS_SQL("f") " = $%zu", n);
    }
    if (f->integration_uid) {
        p[n++] = FH_PT(f->integration_uid);
        fh_buf_appendf(w,
                       " AND f.integration_id IN (SELECT id FROM integrations "
                       "WHERE org_id = $1 AND uid = $%zu)",
                       n);
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
    return n;
}

/* The WHERE clause of a filter with its parameters, and how many invoices match it. */
struct where {
    struct fh_buf text;
    struct fh_param p[8];
    size_t n;
};

static int count_where(struct fh_store *st, int64_t org_id, const struct fh_fiscal_filter *f,
                       struct where *w, int64_t *total)
{
    fh_buf_init(&w->text, 4096);
    w->n = build_where(f, org_id, &w->text, w->p);
    char *q = fh_asprintf("SELECT COUNT(*) FROM fiscal_invoices f %s", w->text.data);
    struct fh_rows rows;
    int qs = fh_store_exec(st, q, w->p, w->n, &rows);
    *total = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    free(q);
    return qs;
}

enum fh_rc fh_fiscal_list_json(struct fh_store *st, int64_t org_id,
                               const struct fh_fiscal_filter *f, json_t **out)
{
    struct where w;
    int64_t total = 0;
    struct fh_rows rows;
    int qs = count_where(st, org_id, f, &w, &total);
    if (qs >= 0) {
        size_t n = w.n;
        w.p[n] = FH_PI(f->page_size);
        w.p[n + 1] = FH_PI((f->page - 1) * f->page_size);
        char *q = fh_asprintf("SELECT " SUMMARY_COLS SUMMARY_FROM "%s "
                              "ORDER BY f.created_at DESC, f.id DESC LIMIT $%zu OFFSET $%zu",
                              w.text.data, n + 1, n + 2);
        qs = fh_store_exec(st, q, w.p, n + 2, &rows);
        free(q);
    }
    fh_buf_free(&w.text);
    if (qs < 0)
        return fh_qs_rc(qs);
    json_t *list = json_array();
    for (size_t i = 0; i < rows.nrows; i++)
        json_array_append_new(list, summary(&rows, i));
    fh_rows_free(&rows);
    *out = json_pack("{s:o, s:I, s:I, s:I}", "invoices", list, "total", (json_int_t)total, "page",
                     (json_int_t)f->page, "page_size", (json_int_t)f->page_size);
    return FH_OK;
}

enum fh_rc fh_fiscal_ids(struct fh_store *st, int64_t org_id, const struct fh_fiscal_filter *f,
                         int64_t limit, int64_t **ids, size_t *n, int64_t *total)
{
    *ids = NULL;
    *n = 0;
    struct where w;
    struct fh_rows rows;
    int qs = count_where(st, org_id, f, &w, total);
    if (qs >= 0) {
        w.p[w.n] = FH_PI(limit);
        char *q = fh_asprintf("SELECT f.id FROM fiscal_invoices f %s ORDER BY f.id LIMIT $%zu",
                              w.text.data, w.n + 1);
        qs = fh_store_exec(st, q, w.p, w.n + 1, &rows);
        free(q);
    }
    fh_buf_free(&w.text);
    if (qs < 0)
        return fh_qs_rc(qs);
    *ids = fh_calloc(rows.nrows + 1, sizeof(**ids));
    for (size_t i = 0; i < rows.nrows; i++)
        (*ids)[(*n)++] = fh_rows_i64(&rows, i, 0, 0);
    fh_rows_free(&rows);
    return FH_OK;
}

/* ---- CSV export ---- */

/* One CSV field (RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled).
 * Text from outside (references, error messages) that a spreadsheet would take for a formula,
 * starting with = + - @ or a tab, gets a leading apostrophe (OWASP's advice on CSV injection). */
static bool csv_field(struct fh_buf *b, const char *v, bool text, bool last)
{
    v = v ? v : "";
    bool quote = strpbrk(v, ",\"\r\n") != NULL, ok = true;
    if (quote)
        ok = fh_buf_append(b, "\"", 1) == FH_OK;
    if (text && v[0] && strchr("=+-@\t", v[0]))
        ok = ok && fh_buf_append(b, "'", 1) == FH_OK;
    for (const char *q = v; ok && *q; q++) {
        const char *end = strchr(q, '"');
        size_t n = end ? (size_t)(end - q) + 1 : strlen(q);
        ok = fh_buf_append(b, q, n) == FH_OK && (!end || fh_buf_append(b, "\"", 1) == FH_OK);
        q += n - 1;
    }
    if (quote)
        ok = ok && fh_buf_append(b, "\"", 1) == FH_OK;
    return ok && fh_buf_append(b, last ? "\r\n" : ",", last ? 2 : 1) == FH_OK;
}

static bool csv_time(struct fh_buf *b, const struct fh_rows *r, size_t row, size_t col)
{
    char t[32] = "";
    if (fh_rows_get(r, row, col))
        fh_time_fmt(fh_rows_i64(r, row, col, 0), t, sizeof(t));
    return csv_field(b, t, false, false);
}

static const char CSV_HEADER[] =
    "id,created_at,status,invoice_type,transaction_type,source_id,source_ref,integration,"
    "certificate_uid,invoice_number,sdc_time,total_amount,signed_at,verification_url,"
    "last_error\r\n";

/* One invoice's line; false when out's limit cut it short. */
static bool csv_row(struct fh_buf *b, const struct fh_rows *r, size_t i)
{
    const char *key = fh_rows_get(r, i, 18);
    char total[40];
    fh_fiscal_decimal(fh_rows_i64(r, i, 10, 0), total, sizeof(total));
    return csv_field(b, fh_rows_get(r, i, 0), false, false) && csv_time(b, r, i, 15) &&
           csv_field(b, fh_rows_get(r, i, 2), false, false) &&
           csv_field(b, fh_rows_get(r, i, 3), false, false) &&
           csv_field(b, fh_rows_get(r, i, N_SUMMARY_COLS), false, false) &&
           csv_field(b, key && fh_starts_with(key, "api:") ? key + 4 : NULL, true, false) &&
           csv_field(b, fh_rows_get(r, i, 4), true, false) &&
           csv_field(b, fh_rows_get(r, i, 6), false, false) &&
           csv_field(b, fh_rows_get(r, i, 7), false, false) &&
           csv_field(b, fh_rows_get(r, i, 8), false, false) &&
           csv_field(b, fh_rows_get(r, i, 9), false, false) && csv_field(b, total, false, false) &&
           csv_time(b, r, i, 17) && csv_field(b, fh_rows_get(r, i, 11), true, false) &&
           csv_field(b, fh_rows_get(r, i, 14), true, true);
}

/* An export in progress: the filter's strings copied (the request's may be gone between pages),
 * the page query, and where the last page ended. */
struct fh_fiscal_csv {
    struct fh_store *st;
    char *status, *integration_uid;
    struct where w;
    char *query;
    int64_t after_at, after_id;
    bool header_sent, ended;
};

struct fh_fiscal_csv *fh_fiscal_csv_open(struct fh_store *st, int64_t org_id,
                                         const struct fh_fiscal_filter *f)
{
    struct fh_fiscal_csv *c = fh_calloc(1, sizeof(*c));
    c->st = st;
    c->status = f->status ? fh_strdup(f->status) : NULL;
    c->integration_uid = f->integration_uid ? fh_strdup(f->integration_uid) : NULL;
    struct fh_fiscal_filter own = *f;
    own.status = c->status;
    own.integration_uid = c->integration_uid;
    fh_buf_init(&c->w.text, 4096);
    c->w.n = build_where(&own, org_id, &c->w.text, c->w.p);
    /* oldest first, a page at a time after the last (created_at, id) */
    c->query =
        fh_asprintf("SELECT " SUMMARY_COLS ", %s" SUMMARY_FROM "%s AND (f.created_at > $%zu OR "
                    "(f.created_at = $%zu AND f.id > $%zu)) ORDER BY f.created_at, f.id LIMIT %d",
                    fh_store_sql(st, "json_extract(f.canonical, '$.transaction_type')",
                                 "f.canonical::json->>'transaction_type'"),
                    c->w.text.data, c->w.n + 1, c->w.n + 1, c->w.n + 2, FH_FISCAL_CSV_PAGE);
    c->after_at = -1;
    return c;
}

enum fh_rc fh_fiscal_csv_next(struct fh_fiscal_csv *c, struct fh_buf *out, bool *end)
{
    *end = c->ended;
    if (c->ended)
        return FH_OK;
    if (!c->header_sent && fh_buf_append(out, CSV_HEADER, sizeof(CSV_HEADER) - 1) != FH_OK)
        return FH_ERR;
    c->header_sent = true;
    struct fh_rows rows;
    c->w.p[c->w.n] = FH_PI(c->after_at);
    c->w.p[c->w.n + 1] = FH_PI(c->after_id);
    int qs = fh_store_exec(c->st, c->query, c->w.p, c->w.n + 2, &rows);
    if (qs < 0) {
        fh_rows_free(&rows);
        return fh_qs_rc(qs);
    }
    bool fits = true;
    for (size_t i = 0; fits && i < rows.nrows; i++)
        fits = csv_row(out, &rows, i);
    if (rows.nrows > 0) {
        c->after_at = fh_rows_i64(&rows, rows.nrows - 1, 15, 0);
        c->after_id = fh_rows_i64(&rows, rows.nrows - 1, 0, 0);
    }
    c->ended = *end = rows.nrows < FH_FISCAL_CSV_PAGE;
    fh_rows_free(&rows);
    return fits ? FH_OK : FH_E_LIMIT;
}

void fh_fiscal_csv_free(struct fh_fiscal_csv *c)
{
    if (!c)
        return;
    free(c->query);
    fh_buf_free(&c->w.text);
    free(c->status);
    free(c->integration_uid);
    free(c);
}

/* ---- details ---- */

/* V-SDC amounts have at most 4 decimals, so rounding the double recovers them exactly. */
bool fh_fiscal_vsdc_amount(json_t *v, int64_t *out)
{
    if (!json_is_number(v) || fabs(json_number_value(v)) >= 1e11)
        return false;
    *out = (int64_t)llround(json_number_value(v) * 10000.0);
    return true;
}

json_t *fh_fiscal_vsdc_amount_json(json_t *v)
{
    int64_t a;
    return fh_fiscal_vsdc_amount(v, &a) ? fh_fiscal_decimal_json(a) : json_null();
}

static json_t *tax_items(json_t *result)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(result, "taxItems"), i, t)
    {
        json_t *o = json_object();
        json_object_set_new(o, "label",
                            fh_json_str_or_null(json_string_value(json_object_get(t, "label"))));
        json_object_set_new(
            o, "category_name",
            fh_json_str_or_null(json_string_value(json_object_get(t, "categoryName"))));
        json_t *ct = json_object_get(t, "categoryType");
        json_object_set_new(o, "category_type",
                            json_is_integer(ct) ? json_incref(ct) : json_null());
        json_object_set_new(o, "rate", fh_fiscal_vsdc_amount_json(json_object_get(t, "rate")));
        json_object_set_new(o, "amount", fh_fiscal_vsdc_amount_json(json_object_get(t, "amount")));
        json_array_append_new(out, o);
    }
    return out;
}

void fh_fiscal_result_fields(json_t *dst, json_t *r)
{
    fh_json_copy_scalar(dst, "invoice_counter", r, "invoiceCounter");
    fh_json_copy_scalar(dst, "total_counter", r, "totalCounter");
    fh_json_copy_scalar(dst, "transaction_type_counter", r, "transactionTypeCounter");
    fh_json_copy_scalar(dst, "requested_by", r, "requestedBy");
    fh_json_copy_scalar(dst, "signed_by", r, "signedBy");
    fh_json_copy_scalar(dst, "journal", r, "journal");
    fh_json_copy_scalar(dst, "messages", r, "messages");
    json_object_set_new(dst, "tax_items", tax_items(r));
}

/* Adds what the V-SDC returned (result is the stored body, may be NULL). */
static void add_result(json_t *o, const char *result)
{
    json_t *r = result ? json_loads(result, 0, NULL) : NULL;
    fh_fiscal_result_fields(o, r);
    fh_json_copy_scalar(o, "qr_gif_base64", r, "verificationQRCode");
    json_object_set_new(o, "vsdc_total_amount",
                        fh_fiscal_vsdc_amount_json(json_object_get(r, "totalAmount")));
    json_object_set_new(o, "vsdc_result", fh_json_str_or_null(result));
    json_decref(r);
}

/* Where the fiscal result stands at the invoice's source (an integration's write-back job;
 * null when there is none, as for the public API's invoices). Done jobs are pruned (the
 * maintenance sweep), so a job that is gone was done, at done_at (fiscal_invoices.
 * writeback_done_at, taken over; null when not recorded); a released job gives its attempt back,
 * so attempts > 0 on a ready job means failed tries. */
static json_t *writeback_json(struct fh_store *st, int64_t job_id, json_t *done_at)
{
    if (job_id <= 0) {
        json_decref(done_at);
        return json_null();
    }
    struct fh_param p[] = {FH_PI(job_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st, "SELECT state, attempts, last_error, updated_at FROM jobs WHERE id = $1", p, 1, &rows);
    if (qs == 0)
        return json_pack("{s:s, s:n, s:o}", "state", "done", "error", "at", done_at);
    json_decref(done_at);
    if (qs < 0)
        return json_null();
    const char *state = fh_rows_get(&rows, 0, 0);
    bool failed = strcmp(state, "dead") == 0, done = strcmp(state, "done") == 0;
    bool retrying = strcmp(state, "ready") == 0 && fh_rows_i64(&rows, 0, 1, 0) > 0;
    json_t *o = json_pack("{s:s, s:o, s:o}", "state",
                          failed     ? "failed"
                          : done     ? "done"
                          : retrying ? "retrying"
                                     : "pending",
                          "error",
                          fh_json_str_or_null(failed || retrying ? fh_rows_get(&rows, 0, 2) : NULL),
                          "at", failed || done ? fh_json_time_cell(&rows, 0, 3) : json_null());
    fh_rows_free(&rows);
    return o;
}

enum fh_rc fh_fiscal_get_json(struct fh_store *st, int64_t org_id, int64_t id, json_t **out)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT " SUMMARY_COLS
                           ", f.canonical, COALESCE(r.body, f.vsdc_result), f.writeback_job, "
                           "f.writeback_done_at, f.source_tax, f.vsdc_tax" SUMMARY_FROM
                           "LEFT JOIN fiscal_results r ON r.invoice_id = f.id "
                           "WHERE f.id = $1 AND f.org_id = $2",
                           p, 2, &rows);
    if (qs <= 0) {
        fh_rows_free(&rows);
        return fh_qs_found_rc(qs);
    }
    json_t *o = summary(&rows, 0);
    json_t *inv = json_loads(
        fh_rows_get(&rows, 0, N_SUMMARY_COLS) ? fh_rows_get(&rows, 0, N_SUMMARY_COLS) : "null", 0,
        NULL);
    json_object_set_new(o, "transaction_type",
                        json_incref(json_object_get(inv, "transaction_type")
                                        ? json_object_get(inv, "transaction_type")
                                        : json_null()));
    json_object_set_new(o, "invoice", inv ? inv : json_null());
    add_result(o, fh_rows_get(&rows, 0, N_SUMMARY_COLS + 1));
    json_object_set_new(o, "refunds_waiting",
                        fiscal_waits_json(st, org_id, fh_rows_get(&rows, 0, 18)));
    json_object_set_new(o, "writeback",
                        writeback_json(st, fh_rows_i64(&rows, 0, N_SUMMARY_COLS + 2, 0),
                                       fh_json_time_cell(&rows, 0, N_SUMMARY_COLS + 3)));
    json_object_set_new(o, "source_tax_total",
                        fh_fiscal_decimal_cell(&rows, 0, N_SUMMARY_COLS + 4));
    json_object_set_new(o, "vsdc_tax_total", fh_fiscal_decimal_cell(&rows, 0, N_SUMMARY_COLS + 5));
    fh_rows_free(&rows);
    *out = o;
    return FH_OK;
}
