/* submit.c - the entry points that create and re-arm fiscalization: fh_fiscal_submit() and the
 * user retry fh_fiscal_retry().
 *
 * Submitting validates the canonical invoice, checks the certificate (it belongs to the
 * organization, is active and not expired), derives the RequestId, and in ONE transaction
 * inserts the row (ON CONFLICT (org_id, source_key) DO NOTHING RETURNING id) and enqueues its
 * job with the unique key "fiscal:<id>" (fh_job_enqueue joins the transaction). A second submit
 * of the same source returns the existing invoice; no second row, job or RequestId can appear.
 *
 * A retry moves a failed invoice (or a pending one whose job died, e.g. its last attempt's lease
 * expired) back to pending and revives its dead job, in one transaction. The job then runs the
 * same protocol as always: if an earlier attempt's outcome is unknown it asks the V-SDC for the
 * RequestId before posting, so a retried invoice is never fiscalized twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_cert.h"
#include "fiscal_internal.h"

struct submit_ctx {
    struct fh_app *app;
    const struct fh_fiscal_submit_in *in;
    int64_t certificate_id;
    const char *request_id, *canonical, *invoice_type;
    const char *refund_of; /* the referent of a normal refund, else NULL */
    const struct fh_fiscal_invoice *inv;
    int64_t total, now;
    struct fh_fiscal_submit_out *out;
    char refused[200]; /* set when a refund does not fit in its sale (in->refund_of_id) */
};

static int read_existing(struct fh_store *st, int64_t org_id, const char *source_key,
                         struct fh_fiscal_submit_out *out)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(source_key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id, request_id, status FROM fiscal_invoices "
                           "WHERE org_id = $1 AND source_key = $2",
                           p, 2, &rows);
    if (qs > 0) {
        out->id = fh_rows_i64(&rows, 0, 0, 0);
        out->created = false;
        fh_strlcpy(out->request_id, fh_rows_get(&rows, 0, 1), sizeof(out->request_id));
        fh_strlcpy(out->status, fh_rows_get(&rows, 0, 2), sizeof(out->status));
    }
    fh_rows_free(&rows);
    return qs;
}

/* uncertain for a new row: 1 while a recovery after a restore lasts (restore.c), so its first
 * attempt asks the V-SDC whether it was signed after the backup was taken. $11 is now. */
#define RECOVERING_SQL                                                                             \
    "CASE WHEN EXISTS (SELECT 1 FROM store_state WHERE key = 'recovery_until' AND value > $11) "   \
    "THEN 1 ELSE 0 END"

/* Whether the normal refund inv, referring to referent, fits in what is left of the signed sale
 * sale_id of org, the refund under except_key not counted (fh_fiscal_refund_fits): 0 it fits, 1
 * with why set when it does not, < 0 store errors. lock: as fh_fiscal_refund_left. */
static int refund_refused(struct fh_store *st, int64_t org_id, int64_t sale_id,
                          const char *except_key, const char *referent,
                          const struct fh_fiscal_invoice *inv, char *why, size_t whysize)
{
    struct fh_fiscal_sale_left s;
    enum fh_rc rc = fh_fiscal_refund_left(st, org_id, sale_id, except_key, true, &s);
    if (rc == FH_E_NOTFOUND || (rc == FH_OK && strcmp(s.number, referent) != 0)) {
        fh_fiscal_sale_left_free(&s);
        snprintf(why, whysize, "the refunded invoice is not a signed sale");
        return 1;
    }
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    bool fits = fh_fiscal_refund_fits(&s, inv, why, whysize);
    fh_fiscal_sale_left_free(&s);
    return fits ? 0 : 1;
}

/* A public API refund must fit in what is left of its sale: checked with the sale's row locked
 * (PostgreSQL) in the transaction that stores it, so two refunds of one sale cannot both take
 * its last part. 1 with c->refused set when it does not fit (nothing written), 2 when this
 * source was submitted before (it stands, as any repeated submission). */
static int refund_check(struct fh_store *st, struct submit_ctx *c)
{
    const struct fh_fiscal_submit_in *in = c->in;
    int qs = read_existing(st, in->org_id, in->source_key, c->out);
    if (qs != 0)
        return qs < 0 ? qs : 2;
    qs = refund_refused(st, in->org_id, in->refund_of_id, NULL, c->refund_of, c->inv, c->refused,
                        sizeof(c->refused));
    return qs < 0 ? qs : 1;
}

static int submit_tx(struct fh_store *st, void *cls)
{
    struct submit_ctx *c = cls;
    const struct fh_fiscal_submit_in *in = c->in;
    c->refused[0] = '\0';
    if (in->refund_of_id > 0 && c->refund_of) {
        int qs = refund_check(st, c);
        if (qs != 1 || c->refused[0])
            return qs == 2 ? 1 : qs;
    }
    struct fh_param p[] = {FH_PI(in->org_id),
                           FH_PI(c->certificate_id),
                           in->integration_id ? FH_PI(in->integration_id) : FH_PNULL,
                           FH_PT(in->source_key),
                           FH_PT(in->source_ref),
                           FH_PT(in->source_url),
                           FH_PT(c->request_id),
                           FH_PT(c->canonical),
                           FH_PT(c->invoice_type),
                           FH_PI(c->total),
                           FH_PI(c->now),
                           in->has_source_tax ? FH_PI(in->source_tax) : FH_PNULL,
                           FH_PT(c->refund_of),
                           in->refund_of_id > 0 && c->refund_of ? FH_PI(in->refund_of_id)
                                                                : FH_PNULL};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        "INSERT INTO fiscal_invoices (org_id, certificate_id, integration_id, source_key, "
        "source_ref, source_url, request_id, canonical, invoice_type, status, attempts, uncertain, "
        "total_amount, created_at, updated_at, source_tax, refund_of, refund_of_id) VALUES ($1, "
        "$2, "
        "$3, $4, $5, $6, $7, $8, $9, 'pending', 0, " RECOVERING_SQL
        ", $10, $11, $11, $12, $13, $14) ON CONFLICT (org_id, source_key) DO NOTHING RETURNING id",
        p, FH_ARRAY_LEN(p), &rows);
    int64_t id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs < 0)
        return qs;
    if (qs == 0) { /* submitted meanwhile by someone else */
        qs = read_existing(st, in->org_id, in->source_key, c->out);
        return qs == 0 ? FH_QS_SOFT : qs;
    }
    char ukey[48], payload[64], lane[FH_FISCAL_LANE_SIZE];
    snprintf(ukey, sizeof(ukey), "fiscal:%lld", (long long)id);
    snprintf(payload, sizeof(payload), "{\"invoice_id\": %lld}", (long long)id);
    fh_fiscal_lane(in->org_id, lane);
    struct fh_enqueue e = {.kind = FH_FISCAL_JOB_KIND,
                           .ukey = ukey,
                           .payload = payload,
                           .max_attempts = c->app->cfg ? c->app->cfg->fiscal_max_attempts : 0,
                           .lane = lane};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    c->out->id = id;
    c->out->created = true;
    fh_strlcpy(c->out->request_id, c->request_id, sizeof(c->out->request_id));
    fh_strlcpy(c->out->status, "pending", sizeof(c->out->status));
    return 1;
}

static enum fh_rc input_error(struct fh_json_error *err, enum fh_ec ec, const char *detail)
{
    err->ec = ec;
    fh_strlcpy(err->detail, detail, sizeof(err->detail));
    return FH_E_INPUT;
}

/* The certificate (org, uid) must exist, be active and not expired. */
static enum fh_rc check_certificate(struct fh_app *app, int64_t org_id, const char *uid,
                                    int64_t now, int64_t *cert_id, struct fh_json_error *err)
{
    if (!uid || !fh_cert_uid_valid(uid))
        return input_error(err, FH_EC_JSON_FIELD_INVALID,
                           "certificate_uid must be 1 to 15 letters, digits, '-' or '_'");
    enum fh_rc rc = fh_cert_find(app->store, org_id, uid, cert_id);
    if (rc == FH_E_NOTFOUND)
        return input_error(err, FH_EC_FISCAL_CERT_UNKNOWN,
                           "certificate_uid names no certificate of this organization");
    if (rc != FH_OK)
        return rc;
    char status[16];
    int64_t not_after = 0;
    rc = fh_cert_state(app->store, *cert_id, status, &not_after);
    if (rc != FH_OK)
        return rc == FH_E_NOTFOUND ? input_error(err, FH_EC_FISCAL_CERT_UNKNOWN,
                                                 "certificate_uid names no certificate")
                                   : rc;
    bool active = strcmp(status, "active") == 0, expired = not_after <= now;
    if (!active)
        return input_error(err, FH_EC_FISCAL_CERT_INACTIVE,
                           "certificate_uid: the certificate is revoked");
    if (expired)
        return input_error(err, FH_EC_FISCAL_CERT_INACTIVE,
                           "certificate_uid: the certificate has expired");
    return FH_OK;
}

static enum fh_rc org_code(struct fh_store *st, int64_t org_id, char *out, size_t outsize)
{
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT code FROM organizations WHERE id = $1", p, 1, &rows);
    if (qs > 0)
        fh_strlcpy(out, fh_rows_get(&rows, 0, 0), outsize);
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

static enum fh_rc store_new(struct fh_app *app, const struct fh_fiscal_submit_in *in,
                            const struct fh_fiscal_invoice *inv, int64_t cert_id, int64_t now,
                            struct fh_fiscal_submit_out *out, struct fh_json_error *err)
{
    char code[64], rid[FH_FISCAL_REQUEST_ID_LEN + 1];
    enum fh_rc rc = org_code(app->store, in->org_id, code, sizeof(code));
    if (rc != FH_OK)
        return rc;
    fh_fiscal_request_id(in->org_id, code, in->source_key, rid);
    json_t *cj = fh_fiscal_invoice_json(inv);
    char *canonical = json_dumps(cj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(cj);
    struct submit_ctx c = {.app = app,
                           .in = in,
                           .certificate_id = cert_id,
                           .request_id = rid,
                           .canonical = canonical,
                           .invoice_type = fh_invoice_type_name(inv->invoice_type),
                           .refund_of = inv->transaction_type == FH_TRANSACTION_REFUND &&
                                                inv->invoice_type == FH_INVOICE_NORMAL
                                            ? inv->referent_document_number
                                            : NULL,
                           .inv = inv,
                           .total = fh_fiscal_invoice_total(inv),
                           .now = now,
                           .out = out};
    int qs = fh_store_group_tx(app->store, submit_tx, &c);
    free(canonical);
    if (qs > 0 && c.refused[0])
        return input_error(err, FH_EC_REFUND_EXCEEDS, c.refused);
    return fh_qs_rc(qs);
}

enum fh_rc fh_fiscal_submit(struct fh_app *app, const struct fh_fiscal_submit_in *in,
                            struct fh_fiscal_submit_out *out, struct fh_json_error *err)
{
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    if (!in->source_key || !in->source_key[0] || strlen(in->source_key) > 200)
        return input_error(err, FH_EC_JSON_FIELD_INVALID, "source_key must be 1 to 200 bytes");
    struct fh_fiscal_invoice inv;
    enum fh_rc rc = fh_fiscal_invoice_parse(in->invoice, &inv, err);
    if (rc != FH_OK) { /* name the field from the submitted document's root */
        char d[sizeof(err->detail)];
        fh_strlcpy(d, err->detail, sizeof(d));
        snprintf(err->detail, sizeof(err->detail), "invoice%s%s",
                 fh_starts_with(d, "unknown field") ? ": " : ".", d);
        return rc;
    }
    int qs = read_existing(app->store, in->org_id, in->source_key, out);
    if (qs != 0) {
        fh_fiscal_invoice_free(&inv);
        return fh_qs_rc(qs);
    }
    int64_t now = fh_now_ms(), cert_id = 0;
    rc = check_certificate(app, in->org_id, in->certificate_uid, now, &cert_id, err);
    if (rc == FH_OK)
        rc = store_new(app, in, &inv, cert_id, now, out, err);
    fh_fiscal_invoice_free(&inv);
    return rc;
}

void fh_fiscal_lane(int64_t org_id, char *out)
{
    snprintf(out, FH_FISCAL_LANE_SIZE, "org:%lld", (long long)org_id);
}

/* ---- retry ---- */

struct retry_ctx {
    int64_t org_id, id, now;
    const struct fh_queue_cfg *qcfg;
    int max_attempts;
    enum fh_ec why; /* 0: re-armed */
    char detail[200]; /* why, for people, when it needs more than the invoice's id */
    bool found;
};

/* Revives the invoice's job: dead -> ready; missing -> enqueued. A job that is still ready or
 * running will pick the pending row up by itself. */
static int rearm_job(struct fh_store *st, struct retry_ctx *c)
{
    char ukey[48], payload[64];
    snprintf(ukey, sizeof(ukey), "fiscal:%lld", (long long)c->id);
    snprintf(payload, sizeof(payload), "{\"invoice_id\": %lld}", (long long)c->id);
    struct fh_job job = {0};
    enum fh_rc rc = fh_job_get_by_key(st, ukey, &job);
    enum fh_job_state state = job.state;
    int64_t job_id = job.id;
    fh_job_free(&job);
    if (rc == FH_OK && state == FH_JOB_DEAD)
        rc = fh_job_retry_dead(st, c->qcfg, job_id, c->now);
    else if (rc == FH_OK && state == FH_JOB_DONE) /* not expected: done means signed */
        snprintf(ukey, sizeof(ukey), "fiscal:%lld:%lld", (long long)c->id, (long long)c->now);
    if (rc == FH_E_NOTFOUND || (rc == FH_OK && state == FH_JOB_DONE)) {
        char lane[FH_FISCAL_LANE_SIZE];
        fh_fiscal_lane(c->org_id, lane);
        struct fh_enqueue e = {.kind = FH_FISCAL_JOB_KIND,
                               .ukey = ukey,
                               .payload = payload,
                               .max_attempts = c->max_attempts,
                               .lane = lane};
        rc = fh_job_enqueue(st, c->qcfg, &e, NULL, NULL);
    }
    return fh_rc_qs(rc);
}

/* A public API refund retried after it failed must still fit in what is left of its sale, other
 * refunds having been made meanwhile (its own not counted). Not for one whose outcome is unknown:
 * it counted against the sale all along, and only the V-SDC can say whether it was signed. rows:
 * the invoice's row as retry_tx reads it. 1 (c->why set when it does not fit), < 0 store. */
static int retry_refund_check(struct fh_store *st, struct retry_ctx *c, const struct fh_rows *rows)
{
    json_t *j = json_loads(fh_rows_get(rows, 0, 5), 0, NULL);
    struct fh_fiscal_invoice inv;
    struct fh_json_error err;
    bool parsed = j && fh_fiscal_invoice_parse(j, &inv, &err) == FH_OK;
    json_decref(j);
    if (!parsed)
        return FH_QS_HARD; /* stored invoices parse; anything else is the store's fault */
    const char *referent = fh_rows_get(rows, 0, 3);
    int qs = refund_refused(st, c->org_id, fh_rows_i64(rows, 0, 2, 0), fh_rows_get(rows, 0, 4),
                            referent ? referent : "", &inv, c->detail, sizeof(c->detail));
    fh_fiscal_invoice_free(&inv);
    if (qs == 1)
        c->why = FH_EC_REFUND_EXCEEDS;
    return qs < 0 ? qs : 1;
}

static int retry_tx(struct fh_store *st, void *cls)
{
    struct retry_ctx *c = cls;
    c->why = 0;
    c->found = false;
    c->detail[0] = '\0';
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT status, uncertain, refund_of_id, refund_of, source_key, "
                           "canonical FROM fiscal_invoices WHERE id = $1 AND org_id = $2",
                           p, 2, &rows);
    char status[16] = "";
    if (qs > 0) {
        fh_strlcpy(status, fh_rows_get(&rows, 0, 0), sizeof(status));
        if (strcmp(status, "signed") != 0 && !fh_rows_i64(&rows, 0, 1, 0) &&
            fh_rows_get(&rows, 0, 2))
            qs = retry_refund_check(st, c, &rows);
    }
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs;
    c->found = true;
    if (c->why) /* a refund that no longer fits */
        return 0;
    if (strcmp(status, "signed") == 0) {
        c->why = FH_EC_FISCAL_ALREADY_SIGNED;
        return 0;
    }
    if (strcmp(status, "pending") == 0) {
        char ukey[48];
        snprintf(ukey, sizeof(ukey), "fiscal:%lld", (long long)c->id);
        struct fh_job job = {0};
        enum fh_rc rc = fh_job_get_by_key(st, ukey, &job);
        bool alive = rc == FH_OK && (job.state == FH_JOB_READY || job.state == FH_JOB_RUNNING);
        fh_job_free(&job);
        if (rc != FH_OK && rc != FH_E_NOTFOUND)
            return fh_rc_qs(rc);
        if (alive) {
            c->why = FH_EC_FISCAL_IN_PROGRESS;
            return 0;
        }
    }
    struct fh_param u[] = {FH_PI(c->id), FH_PI(c->now)};
    qs = fh_store_exec(st,
                       "UPDATE fiscal_invoices SET status = 'pending', last_error = NULL, "
                       "retry_since = NULL, updated_at = $2 "
                       "WHERE id = $1 AND status IN ('failed', 'pending')",
                       u, 2, NULL);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_SOFT;
    return rearm_job(st, c);
}

enum fh_rc fh_fiscal_retry(struct fh_app *app, int64_t org_id, int64_t invoice_id, enum fh_ec *why,
                           char *detail, size_t dsize)
{
    struct retry_ctx c = {.org_id = org_id,
                          .id = invoice_id,
                          .now = fh_now_ms(),
                          .qcfg = &app->qcfg,
                          .max_attempts = app->cfg ? app->cfg->fiscal_max_attempts : 0};
    int qs = fh_store_run_tx(app->store, retry_tx, &c);
    if (qs < 0)
        return fh_qs_rc(qs);
    if (!c.found)
        return FH_E_NOTFOUND;
    if (c.why) {
        *why = c.why;
        if (detail)
            fh_strlcpy(detail, c.detail, dsize);
        return FH_E_CONFLICT;
    }
    return FH_OK;
}

enum fh_rc fh_fiscal_retry_failed(struct fh_app *app, int64_t org_id,
                                  const struct fh_fiscal_filter *f, int64_t *retried,
                                  int64_t *remaining)
{
    struct fh_fiscal_filter failed = *f;
    failed.status = "failed";
    *retried = *remaining = 0;
    int64_t *ids = NULL, total = 0;
    size_t n = 0;
    enum fh_rc rc =
        fh_fiscal_ids(app->store, org_id, &failed, FH_FISCAL_RETRY_BATCH, &ids, &n, &total);
    for (size_t i = 0; rc == FH_OK && i < n; i++) {
        enum fh_ec why;
        enum fh_rc one = fh_fiscal_retry(app, org_id, ids[i], &why, NULL, 0);
        if (one == FH_OK)
            (*retried)++;
        else if (one != FH_E_CONFLICT && one != FH_E_NOTFOUND) /* moved meanwhile: skipped */
            rc = one;
    }
    free(ids);
    if (rc == FH_OK) {
        int64_t *rest = NULL;
        rc = fh_fiscal_ids(app->store, org_id, &failed, 0, &rest, &n, remaining);
        free(rest);
    }
    if (*retried > 0)
        fh_log(FH_LOG_INFO, "fiscal_retry_failed", "org %lld: %lld failed invoices queued again",
               (long long)org_id, (long long)*retried);
    return rc;
}
