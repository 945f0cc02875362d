/* integ.c - integration rows: loading, settings, and the JSON the integrations API shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fh/fh_billing.h"
#include "fh/fh_cert.h"
#include "fh/fh_connector.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_json.h"

#define INTEG_COLS                                                                                 \
    "i.id, i.org_id, i.certificate_id, i.uid, i.type, i.status, c.uid, i.tenant_id, "              \
    "i.tenant_name, i.connection_id, i.settings, i.tenants, i.sync_cursor, i.created_at"

void fh_integ_free(struct fh_integ *in)
{
    if (!in)
        return;
    json_decref(in->settings);
    json_decref(in->tenants);
    memset(in, 0, sizeof(*in));
}

static void copy(char *dst, size_t n, const char *src)
{
    fh_strlcpy(dst, src ? src : "", n);
}

static void from_row(const struct fh_rows *r, struct fh_integ *out)
{
    memset(out, 0, sizeof(*out));
    out->id = fh_rows_i64(r, 0, 0, 0);
    out->org_id = fh_rows_i64(r, 0, 1, 0);
    out->certificate_id = fh_rows_i64(r, 0, 2, 0);
    copy(out->uid, sizeof(out->uid), fh_rows_get(r, 0, 3));
    copy(out->type, sizeof(out->type), fh_rows_get(r, 0, 4));
    copy(out->status, sizeof(out->status), fh_rows_get(r, 0, 5));
    copy(out->certificate_uid, sizeof(out->certificate_uid), fh_rows_get(r, 0, 6));
    copy(out->tenant_id, sizeof(out->tenant_id), fh_rows_get(r, 0, 7));
    copy(out->tenant_name, sizeof(out->tenant_name), fh_rows_get(r, 0, 8));
    copy(out->connection_id, sizeof(out->connection_id), fh_rows_get(r, 0, 9));
    json_error_t je;
    const char *s = fh_rows_get(r, 0, 10);
    out->settings = s ? json_loads(s, 0, &je) : NULL;
    if (!json_is_object(out->settings)) {
        json_decref(out->settings);
        out->settings = json_object();
    }
    const char *t = fh_rows_get(r, 0, 11);
    out->tenants = t ? json_loads(t, 0, &je) : NULL;
    out->sync_cursor = fh_rows_i64(r, 0, 12, 0);
    out->created_at = fh_rows_i64(r, 0, 13, 0);
}

static enum fh_rc load(struct fh_store *st, const char *where, const struct fh_param *p, size_t n,
                       struct fh_integ *out)
{
    char sql[700];
    snprintf(sql, sizeof(sql),
             "SELECT " INTEG_COLS " FROM integrations i LEFT JOIN certificates c "
             "ON c.id = i.certificate_id WHERE %s",
             where);
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, n, &rows);
    if (qs > 0)
        from_row(&rows, out);
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

enum fh_rc fh_integ_load(struct fh_store *st, int64_t org_id, const char *uid, struct fh_integ *out)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(uid)};
    return load(st, "i.org_id = $1 AND i.uid = $2", p, 2, out);
}

enum fh_rc fh_integ_load_id(struct fh_store *st, int64_t id, struct fh_integ *out)
{
    struct fh_param p[] = {FH_PI(id)};
    return load(st, "i.id = $1", p, 1, out);
}

bool fh_integ_sync_running(struct fh_store *st, const char *kind, int64_t integration_id)
{
    char like[96];
    snprintf(like, sizeof(like), "%s:%lld:%%", kind, (long long)integration_id);
    struct fh_param p[] = {FH_PT(kind), FH_PT(like)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id FROM jobs WHERE state IN ('ready', 'running') AND "
                           "kind = $1 AND ukey LIKE $2 LIMIT 1",
                           p, 2, &rows);
    fh_rows_free(&rows);
    return qs != 0;
}

void fh_integ_sync_failed(struct fh_store *st, int64_t integration_id, const char *why, int64_t now)
{
    struct fh_param p[] = {FH_PI(integration_id), FH_PT(why && why[0] ? why : "the sync failed"),
                           FH_PI(now)};
    fh_store_exec(
        st,
        "UPDATE integrations SET sync_error = $2, sync_error_at = COALESCE(sync_error_at, "
        "$3) WHERE id = $1 AND status = 'active'",
        p, FH_ARRAY_LEN(p), NULL);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum fh_rc fh_integ_syncs_running(struct fh_store *st, const char *kind, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    struct fh_param p[] = {FH_PT(kind)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT ukey FROM jobs WHERE state IN ('ready', 'running') AND "
                           "kind = $1 AND ukey IS NOT NULL",
                           p, 1, &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    size_t klen = strlen(kind);
    *ids = fh_calloc(rows.nrows + 1, sizeof(**ids));
    for (size_t i = 0; i < rows.nrows; i++) {
        const char *k = fh_rows_get(&rows, i, 0);
        int64_t id;
        char digits[24];
        if (strncmp(k, kind, klen) != 0 || k[klen] != ':')
            continue;
        size_t d = strspn(k + klen + 1, "0123456789");
        if (d == 0 || d >= sizeof(digits) || k[klen + 1 + d] != ':')
            continue;
        memcpy(digits, k + klen + 1, d);
        digits[d] = '\0';
        if (fh_parse_i64(digits, &id))
            (*ids)[(*n)++] = id;
    }
    fh_rows_free(&rows);
    qsort(*ids, *n, sizeof(**ids), cmp_id);
    return FH_OK;
}

bool fh_ids_contain(const int64_t *ids, size_t n, int64_t id)
{
    return n && bsearch(&id, ids, n, sizeof(*ids), cmp_id) != NULL;
}

bool fh_integ_not_active(const struct fh_integ *in, const char *partner, char *message,
                         size_t msgsize)
{
    if (strcmp(in->status, "active") == 0)
        return false;
    if (strcmp(in->status, "pending") == 0)
        snprintf(message, msgsize, "Not connected yet: finish Connect %s (consent) first.",
                 partner);
    else
        snprintf(message, msgsize, "The integration is inactive; reconnect it to %s.", partner);
    return true;
}

void fh_integ_call_failed(struct fh_store *st, int64_t integration_id, enum fh_call_failure f,
                          const char *partner, int64_t retry_at, const char *why, char *message,
                          size_t msgsize)
{
    if (f == FH_CALL_INACTIVE) {
        struct fh_param p[] = {FH_PI(integration_id)};
        struct fh_rows rows;
        int qs =
            fh_store_exec(st, "SELECT status_reason FROM integrations WHERE id = $1", p, 1, &rows);
        snprintf(message, msgsize, "%s",
                 qs > 0 && fh_rows_get(&rows, 0, 0) ? fh_rows_get(&rows, 0, 0) : why);
        fh_rows_free(&rows);
    } else if (f == FH_CALL_WAIT) {
        int64_t s = (retry_at - fh_now_ms() + 999) / 1000;
        snprintf(message, msgsize,
                 "%s's rate limit for this organization is reached (%s); try again in %lld s.",
                 partner, why, (long long)(s > 0 ? s : 1));
    } else {
        snprintf(message, msgsize, "%s.", why);
    }
}

const char *fh_integ_trigger(const struct fh_integ *in)
{
    const char *t = json_string_value(json_object_get(in->settings, "trigger"));
    return t && strcmp(t, "approval") == 0 ? "approval" : "payment";
}

static enum fh_rc bad(struct fh_json_error *err, const char *detail)
{
    err->ec = FH_EC_JSON_FIELD_INVALID;
    fh_strlcpy(err->detail, detail, sizeof(err->detail));
    return FH_E_INPUT;
}

static bool label_ok(const char *s)
{
    /* one Unicode character: 1..4 bytes, the first not a continuation byte, no control */
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 4 || (unsigned char)s[0] < 0x21 || (s[0] & 0xC0) == 0x80)
        return false;
    size_t want = (unsigned char)s[0] < 0x80   ? 1
                  : (unsigned char)s[0] < 0xE0 ? 2
                  : (unsigned char)s[0] < 0xF0 ? 3
                                               : 4;
    return n == want;
}

static enum fh_rc check_mapping(const char *name, json_t *m, struct fh_json_error *err)
{
    if (!json_is_object(m) || json_object_size(m) > FH_TAX_MAPPING_MAX) {
        snprintf(err->detail, sizeof(err->detail),
                 "settings.%s must be an object of at most %d tax: label entries", name,
                 FH_TAX_MAPPING_MAX);
        err->ec = FH_EC_JSON_FIELD_INVALID;
        return FH_E_INPUT;
    }
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        if (strlen(k) == 0 || strlen(k) > 50 || !label_ok(json_string_value(v))) {
            snprintf(err->detail, sizeof(err->detail),
                     "settings.%s.%.50s must map to one tax label character", name, k);
            err->ec = FH_EC_JSON_FIELD_INVALID;
            return FH_E_INPUT;
        }
    }
    return FH_OK;
}

static enum fh_rc check_enum(const struct fh_setting_spec *sp, json_t *v, struct fh_json_error *err)
{
    const char *t = json_string_value(v);
    for (size_t i = 0; t && sp->choices[i]; i++)
        if (strcmp(t, sp->choices[i]) == 0)
            return FH_OK;
    struct fh_buf b;
    fh_buf_init(&b, sizeof(err->detail) - 1);
    fh_buf_appendf(&b, "settings.%s must be one of", sp->name);
    for (size_t i = 0; sp->choices[i]; i++)
        fh_buf_appendf(&b, "%s \"%s\"", i ? "," : "", sp->choices[i]);
    fh_strlcpy(err->detail, b.data ? b.data : "", sizeof(err->detail));
    fh_buf_free(&b);
    err->ec = FH_EC_JSON_FIELD_INVALID;
    return FH_E_INPUT;
}

static enum fh_rc check_setting(const struct fh_setting_spec *sp, json_t *v,
                                struct fh_json_error *err)
{
    char what[120];
    switch (sp->kind) {
    case FH_SET_ENUM:
        return check_enum(sp, v, err);
    case FH_SET_TAX_MAPPING:
        return check_mapping(sp->name, v, err);
    case FH_SET_LABEL:
        if (label_ok(json_string_value(v)))
            return FH_OK;
        snprintf(what, sizeof(what), "settings.%s must be one tax label character", sp->name);
        return bad(err, what);
    case FH_SET_DAYS:
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 365)
            return FH_OK;
        snprintf(what, sizeof(what), "settings.%s must be an integer from 0 to 365", sp->name);
        return bad(err, what);
    default:
        if (json_is_boolean(v))
            return FH_OK;
        snprintf(what, sizeof(what), "settings.%s must be true or false", sp->name);
        return bad(err, what);
    }
}

enum fh_rc fh_integ_settings_apply(const struct fh_setting_spec *specs, json_t *base, json_t *in,
                                   json_t **out, struct fh_json_error *err)
{
    memset(err, 0, sizeof(*err));
    json_t *s = base ? json_deep_copy(base) : json_object();
    const char *k;
    json_t *v;
    enum fh_rc rc = FH_OK;
    json_object_foreach(in, k, v)
    {
        const struct fh_setting_spec *sp = specs;
        while (sp->name && strcmp(sp->name, k) != 0)
            sp++;
        if (!sp->name) {
            err->ec = FH_EC_JSON_UNKNOWN_FIELD;
            snprintf(err->detail, sizeof(err->detail), "unknown field settings.%.60s", k);
            rc = FH_E_INPUT;
        } else {
            rc = check_setting(sp, v, err);
        }
        if (rc != FH_OK)
            break;
        json_object_set(s, k, v);
    }
    if (rc != FH_OK) {
        json_decref(s);
        return rc;
    }
    for (const struct fh_setting_spec *sp = specs; sp->name; sp++)
        if (sp->kind == FH_SET_ENUM && !json_object_get(s, sp->name))
            json_object_set_new(s, sp->name, json_string(sp->choices[0]));
    *out = s;
    return FH_OK;
}

enum fh_rc fh_integ_settings_merge(json_t *base, json_t *in, json_t **out,
                                   struct fh_json_error *err)
{
    static const char *const triggers[] = {"payment", "approval", NULL};
    static const struct fh_setting_spec xero[] = {
        {"trigger", FH_SET_ENUM, triggers},
        {"tax_mapping", FH_SET_TAX_MAPPING, NULL},
        {"default_label", FH_SET_LABEL, NULL},
        {"backfill_days", FH_SET_DAYS, NULL},
        {"attach_qr", FH_SET_BOOL, NULL},
        {"attach_journal", FH_SET_BOOL, NULL},
        {NULL, FH_SET_BOOL, NULL},
    };
    return fh_integ_settings_apply(xero, base, in, out, err);
}

/* ---- the JSON of docs/api/integrations.md ---- */

static const char *type_name(const char *type)
{
    static const char *const names[][2] = {
        {"xero", "Xero"},
        {"zoho_books", "Zoho Books"},
        {"webhook", "Custom / Webhook"},
        {"custom", "Custom Integration"},
    };
    for (size_t i = 0; type && i < FH_ARRAY_LEN(names); i++)
        if (strcmp(type, names[i][0]) == 0)
            return names[i][1];
    return type ? type : "";
}

/* The month's invoices are the plan's usage counter (billing_usage, src/billing/usage.c): one
 * row, where counting the signed invoices read every invoice of the integration (about 1 s for
 * 200,000 on SQLite). The failed ones are counted through fiscal_invoices_status (org, status:
 * few rows); the unary plus keeps SQLite from choosing the integration's index instead. */
#define LIST_COLS                                                                                  \
    "i.uid, i.type, i.status, i.created_at, c.uid, i.settings, i.status_reason, i.tenant_id, "     \
    "i.tenant_name, i.connected_at, i.last_sync_at, i.webhooks_seen_at, i.backfill_state, "        \
    "i.backfill_done, i.backfill_total, i.tenants, "                                               \
    "(SELECT u.invoices FROM billing_usage u WHERE u.org_id = i.org_id AND u.month = $2 AND "      \
    "u.integration_id = i.id), "                                                                   \
    "i.sync_mode, i.last_polled_at, i.sync_error, i.sync_error_at, "                               \
    "(SELECT COUNT(*) FROM fiscal_invoices f WHERE f.org_id = i.org_id AND f.status = 'failed' "   \
    "AND +f.integration_id = i.id), c.not_after, c.status, "                                       \
    "i.id, "                                                                                       \
    "(SELECT COUNT(*) FROM fiscal_invoices f WHERE f.integration_id = i.id AND "                   \
    "f.tax_mismatch = 1 AND f.signed_at > COALESCE(i.tax_mapping_at, 0)), "                        \
    "(SELECT COUNT(*) FROM refused_documents d WHERE d.integration_id = i.id), "                   \
    "c.refused_at, c.refused_reason"

static json_t *row_json(const struct fh_rows *r, size_t i, int64_t now)
{
    json_error_t je;
    const char *s = fh_rows_get(r, i, 5);
    json_t *settings = s ? json_loads(s, 0, &je) : NULL;
    if (!json_is_object(settings)) {
        json_decref(settings);
        settings = json_object();
    }
    json_t *o = json_object();
    json_object_set_new(o, "uid", fh_json_str_or_null(fh_rows_get(r, i, 0)));
    json_object_set_new(o, "type", fh_json_str_or_null(fh_rows_get(r, i, 1)));
    json_object_set_new(o, "type_name", json_string(type_name(fh_rows_get(r, i, 1))));
    json_object_set_new(o, "status", fh_json_str_or_null(fh_rows_get(r, i, 2)));
    json_object_set_new(o, "status_reason", fh_json_str_or_null(fh_rows_get(r, i, 6)));
    json_object_set_new(o, "certificate_uid", fh_json_str_or_null(fh_rows_get(r, i, 4)));
    json_object_set_new(o, "settings", settings);
    json_object_set_new(o, "tenant_id", fh_json_str_or_null(fh_rows_get(r, i, 7)));
    json_object_set_new(o, "tenant_name", fh_json_str_or_null(fh_rows_get(r, i, 8)));
    json_object_set_new(o, "created_at", fh_json_time_cell(r, i, 3));
    json_object_set_new(o, "connected_at", fh_json_time_cell(r, i, 9));
    json_object_set_new(o, "last_sync_at", fh_json_time_cell(r, i, 10));
    json_object_set_new(o, "webhooks_seen_at", fh_json_time_cell(r, i, 11));
    json_t *bf = json_object();
    json_object_set_new(bf, "state", fh_json_str_or_null(fh_rows_get(r, i, 12)));
    json_object_set_new(bf, "done", json_integer(fh_rows_i64(r, i, 13, 0)));
    json_object_set_new(
        bf, "total", fh_rows_get(r, i, 14) ? json_integer(fh_rows_i64(r, i, 14, 0)) : json_null());
    json_object_set_new(o, "backfill", bf);
    json_object_set_new(o, "tenant_choice_pending", json_boolean(fh_rows_get(r, i, 15) != NULL));
    json_object_set_new(o, "invoices_this_month", json_integer(fh_rows_i64(r, i, 16, 0)));
    json_object_set_new(o, "sync_mode", fh_json_str_or_null(fh_rows_get(r, i, 17)));
    json_object_set_new(o, "last_polled_at", fh_json_time_cell(r, i, 18));
    const char *sync_error = fh_rows_get(r, i, 19);
    json_object_set_new(o, "sync_error",
                        sync_error ? json_pack("{s:s, s:o}", "message", sync_error, "since",
                                               fh_json_time_cell(r, i, 20))
                                   : json_null());
    json_object_set_new(o, "invoices_failed", json_integer(fh_rows_i64(r, i, 21, 0)));
    json_object_set_new(o, "certificate_expires_at", fh_json_time_cell(r, i, 22));
    const char *cert = fh_cert_shown_status(fh_rows_get(r, i, 23), fh_rows_i64(r, i, 22, 0),
                                            fh_rows_get(r, i, 27) != NULL, now);
    json_object_set_new(o, "certificate_status", fh_json_str_or_null(cert));
    bool refused = cert && strcmp(cert, "refused") == 0;
    json_object_set_new(o, "certificate_refused_reason",
                        fh_json_str_or_null(refused ? fh_rows_get(r, i, 28) : NULL));
    return o;
}

/* The integration's tax-mismatch warning (docs/api/integrations.md): null, or how many of its
 * invoices were signed with other VAT than their source states (src/fiscal/tax_check.c) since
 * its tax mapping last changed, and the latest of them. */
static enum fh_rc tax_mismatches(struct fh_store *st, json_t *o, int64_t id, int64_t count)
{
    if (count == 0) {
        json_object_set_new(o, "tax_mismatches", json_null());
        return FH_OK;
    }
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st,
                      "SELECT f.id, f.source_ref, f.source_tax, f.vsdc_tax, f.signed_at FROM "
                      "fiscal_invoices f WHERE f.integration_id = $1 AND f.tax_mismatch = 1 AND "
                      "f.signed_at > COALESCE((SELECT tax_mapping_at FROM integrations "
                      "WHERE id = $1), 0) "
                      "ORDER BY f.signed_at DESC, f.id DESC LIMIT 1",
                      p, 1, &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    json_t *last = json_null();
    if (qs > 0)
        last = json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)fh_rows_i64(&rows, 0, 0, 0),
                         "source_ref", fh_json_str_or_null(fh_rows_get(&rows, 0, 1)),
                         "source_tax_total", fh_fiscal_decimal_cell(&rows, 0, 2), "vsdc_tax_total",
                         fh_fiscal_decimal_cell(&rows, 0, 3), "signed_at",
                         fh_json_time_cell(&rows, 0, 4));
    fh_rows_free(&rows);
    json_object_set_new(o, "tax_mismatches",
                        json_pack("{s:I, s:o}", "count", (json_int_t)count, "last", last));
    return FH_OK;
}

/* The integration's documents fiscalhub could not fiscalize (common/refused.c,
 * docs/api/integrations.md): null, or how many and the latest REFUSED_RECENT of them. */
#define REFUSED_RECENT 10
static enum fh_rc refused(struct fh_store *st, json_t *o, int64_t id, int64_t count)
{
    if (count == 0) {
        json_object_set_new(o, "not_fiscalized", json_null());
        return FH_OK;
    }
    struct fh_param p[] = {FH_PI(id), FH_PI(REFUSED_RECENT)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT source_ref, reason, seen_at, kind, source_url, first_seen_at "
                           "FROM refused_documents WHERE integration_id = $1 "
                           "ORDER BY first_seen_at DESC, doc_key LIMIT $2",
                           p, 2, &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    json_t *recent = json_array();
    for (size_t i = 0; i < rows.nrows; i++)
        json_array_append_new(recent,
                              json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "source_ref",
                                        fh_json_str_or_null(fh_rows_get(&rows, i, 0)), "reason",
                                        fh_json_str_or_null(fh_rows_get(&rows, i, 1)), "seen_at",
                                        fh_json_time_cell(&rows, i, 2), "first_seen_at",
                                        fh_json_time_cell(&rows, i, 5), "kind",
                                        fh_json_str_or_null(fh_rows_get(&rows, i, 3)), "source_url",
                                        fh_json_str_or_null(fh_rows_get(&rows, i, 4))));
    fh_rows_free(&rows);
    json_object_set_new(o, "not_fiscalized",
                        json_pack("{s:I, s:o}", "count", (json_int_t)count, "recent", recent));
    return FH_OK;
}

enum fh_rc fh_integ_list_json(struct fh_store *st, int64_t org_id, const char *uid, int64_t now,
                              json_t **out)
{
    char month[8];
    fh_billing_month(now, month);
    struct fh_param p[] = {FH_PI(org_id), FH_PT(month), FH_PT(uid)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st,
                      uid ? "SELECT " LIST_COLS " FROM integrations i LEFT JOIN certificates c "
                            "ON c.id = i.certificate_id WHERE i.org_id = $1 AND i.uid = $3"
                          : "SELECT " LIST_COLS " FROM integrations i LEFT JOIN certificates c "
                            "ON c.id = i.certificate_id WHERE i.org_id = $1 AND "
                            "i.status <> 'removed' ORDER BY i.created_at, i.id",
                      p, uid ? 3 : 2, &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    enum fh_rc rc = FH_OK;
    json_t *list = json_array();
    for (size_t i = 0; i < rows.nrows && rc == FH_OK; i++) {
        json_t *o = row_json(&rows, i, now);
        json_array_append_new(list, o);
        rc = tax_mismatches(st, o, fh_rows_i64(&rows, i, 24, 0), fh_rows_i64(&rows, i, 25, 0));
        if (rc == FH_OK)
            rc = refused(st, o, fh_rows_i64(&rows, i, 24, 0), fh_rows_i64(&rows, i, 26, 0));
    }
    fh_rows_free(&rows);
    if (rc != FH_OK) {
        json_decref(list);
        return rc;
    }
    *out = uid ? json_incref(json_array_get(list, 0)) : json_incref(list);
    json_decref(list);
    return FH_OK;
}
