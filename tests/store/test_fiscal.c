/* test_fiscal.c - the fiscal job's store statements on the store given by DATABASE_URL (default:
 * a fresh SQLite file in /tmp): the claim of the invoice's job marks its attempt, and storing a
 * signed result completes the job, each in one transaction, so no run can sign an invoice twice
 * or lose its result, whatever stops between the V-SDC's answer and the commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HARNESS_SUITE "fiscal"
#include "harness.h"

#include "../../src/fiscal/fiscal_internal.h"
#include "fh/fh_crypto.h"
#include "fh/fh_http.h"
#include "fh/fh_jobs.h"

static const struct fh_queue_cfg qcfg = {.lease_ms = 1000};
static const char *const kinds[] = {FH_FISCAL_JOB_KIND};
static const int64_t T0 = 1700000000000;

/* ---- helpers ---- */

static int64_t insert_id(const char *sql, const struct fh_param *p, size_t n)
{
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st, sql, p, n, &rows), 1);
    int64_t id = fh_rows_i64(&rows, 0, 0, 0);
    fh_rows_free(&rows);
    return id;
}

/* A pending invoice with its job, as fh_fiscal_submit leaves them. */
static int64_t pending_invoice(void)
{
    int64_t tenant = insert_id(
        "INSERT INTO tenants (code, name, created_at) VALUES ('t', 'T', 1) RETURNING id", NULL, 0);
    struct fh_param t[] = {FH_PI(tenant)};
    int64_t org = insert_id("INSERT INTO organizations (tenant_id, code, name, created_at) "
                            "VALUES ($1, 'o', 'O', 1) RETURNING id",
                            t, 1);
    struct fh_param o[] = {FH_PI(org), FH_PI(T0 * 2)};
    int64_t cert = insert_id(
        "INSERT INTO certificates (org_id, uid, taxpayer_name, tin, location_name, address, "
        "vsdc_url, api_url, not_after, status, created_at) VALUES ($1, 'AB12CD34', 'T', '1', "
        "'L', 'A', 'https://v', 'https://a', $2, 'active', 1) RETURNING id",
        o, 2);
    struct fh_param f[] = {FH_PI(org), FH_PI(cert), FH_PI(T0)};
    int64_t id = insert_id(
        "INSERT INTO fiscal_invoices (org_id, certificate_id, source_key, request_id, canonical, "
        "invoice_type, status, attempts, uncertain, total_amount, created_at, updated_at) "
        "VALUES ($1, $2, 'api:1', 'r1', '{}', 'Normal', 'pending', 0, 0, 100, $3, $3) "
        "RETURNING id",
        f, 3);
    char ukey[48], payload[64];
    snprintf(ukey, sizeof(ukey), "fiscal:%lld", (long long)id);
    snprintf(payload, sizeof(payload), "{\"invoice_id\": %lld}", (long long)id);
    struct fh_enqueue e = {
        .kind = FH_FISCAL_JOB_KIND, .ukey = ukey, .payload = payload, .run_at = T0};
    assert_int_equal(fh_job_enqueue(st, &qcfg, &e, NULL, NULL), FH_OK);
    return id;
}

static void claim(const char *owner, int64_t now, struct fh_job *job)
{
    assert_int_equal(fh_job_claim(st, &qcfg, kinds, 1, owner, now, job), FH_OK);
}

/* The V-SDC's answer for a signed invoice (the fields fh_tc_classify_http picks out). */
static struct fh_tc_reply answer(const char *number)
{
    struct fh_tc_reply r = {.outcome = FH_TC_OK, .http_status = 200};
    r.invoice_number = fh_strdup(number);
    r.sdc_time = fh_strdup("2024-05-01T10:00:00.000+02:00");
    r.verification_url = fh_strdup("https://v/?vl=x");
    r.body = fh_asprintf("{\"invoiceNumber\":\"%s\"}", number);
    r.len = strlen(r.body);
    return r;
}

struct row {
    char status[16], number[32];
    int64_t uncertain;
    bool has_result;
};

static struct row row_of(int64_t id)
{
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st,
                                   "SELECT f.status, f.uncertain, f.invoice_number, r.body FROM "
                                   "fiscal_invoices f LEFT JOIN fiscal_results r "
                                   "ON r.invoice_id = f.id WHERE f.id = $1",
                                   p, 1, &rows),
                     1);
    struct row r = {0};
    fh_strlcpy(r.status, fh_rows_get(&rows, 0, 0), sizeof(r.status));
    r.uncertain = fh_rows_i64(&rows, 0, 1, -1);
    const char *n = fh_rows_get(&rows, 0, 2);
    fh_strlcpy(r.number, n ? n : "", sizeof(r.number));
    r.has_result = fh_rows_get(&rows, 0, 3) != NULL;
    fh_rows_free(&rows);
    return r;
}

static enum fh_job_state job_state(int64_t job_id)
{
    struct fh_job j;
    assert_int_equal(fh_job_get(st, job_id, &j), FH_OK);
    enum fh_job_state s = j.state;
    fh_job_free(&j);
    return s;
}

/* ---- tests ---- */

static void test_sign_completes_the_job_in_the_same_commit(void **state)
{
    FH_UNUSED(state);
    int64_t id = pending_invoice();
    struct fh_job job;
    claim("w1", T0, &job);
    assert_int_equal(fiscal_row_begin_attempt(st, id, 0, T0), 1);
    struct fh_tc_reply r = answer("N-1");
    bool completed = false;
    assert_int_equal(
        fiscal_row_sign(st, &(struct fiscal_row){.id = id}, &r, &job, T0 + 1, &completed), 1);
    assert_true(completed);
    struct row row = row_of(id);
    assert_string_equal(row.status, "signed");
    assert_int_equal(row.uncertain, 0);
    assert_string_equal(row.number, "N-1");
    assert_true(row.has_result);
    assert_int_equal(job_state(job.id), FH_JOB_DONE);
    /* nothing is left to run: no later claim can post the invoice again */
    struct fh_job again;
    assert_int_equal(fh_job_claim(st, &qcfg, kinds, 1, "w2", T0 + 100000, &again), FH_E_NOTFOUND);
    fh_tc_reply_free(&r);
    fh_job_free(&job);
}

static void exec_ok(const char *sql, const struct fh_param *p, size_t n)
{
    assert_true(fh_store_exec(st, sql, p, n, NULL) >= 0);
}

static int64_t scalar_of(const char *sql, const struct fh_param *p, size_t n)
{
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st, sql, p, n, &rows), 1);
    int64_t v = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return v;
}

/* Answers stored before migration 17 (in fiscal_invoices.vsdc_result) are read where they are
 * until the sweep moves them, a batch per transaction, unchanged, to fiscal_results. */
static void test_old_answers_move_to_their_table(void **state)
{
    FH_UNUSED(state);
    int64_t ids[3];
    ids[0] = pending_invoice();
    for (int i = 1; i < 3; i++) {
        struct fh_param k[] = {FH_PI(i)};
        ids[i] = insert_id("INSERT INTO fiscal_invoices (org_id, certificate_id, source_key, "
                           "request_id, canonical, invoice_type, status, total_amount, "
                           "created_at, updated_at) SELECT org_id, certificate_id, 'api:x' || "
                           "$1, 'rx' || $1, '{}', 'Normal', 'pending', 5, 1, 1 FROM "
                           "fiscal_invoices WHERE id = (SELECT min(id) FROM fiscal_invoices) "
                           "RETURNING id",
                           k, 1);
    }
    char body[3][80];
    for (int i = 0; i < 3; i++) {
        snprintf(body[i], sizeof(body[i]),
                 "{\"invoiceNumber\":\"N-%d\",\"verificationQRCode\":\"R0lGODlh\"}", i);
        struct fh_param p[] = {FH_PI(ids[i]), FH_PT(body[i])};
        exec_ok("UPDATE fiscal_invoices SET status = 'signed', vsdc_result = $2 WHERE id = $1", p,
                2);
    }
    int64_t org = scalar_of("SELECT org_id FROM fiscal_invoices WHERE id = $1",
                            (struct fh_param[]){FH_PI(ids[0])}, 1);
    json_t *d = NULL;
    assert_int_equal(fh_fiscal_get_json(st, org, ids[1], &d), FH_OK);
    assert_string_equal(json_string_value(json_object_get(d, "vsdc_result")), body[1]);
    json_decref(d);

    int64_t moved = 0;
    assert_int_equal(fh_fiscal_results_move(st, 2, &moved), FH_OK); /* batches of 2, 1 */
    assert_int_equal(moved, 3);
    for (int i = 0; i < 3; i++) {
        struct fh_param k[] = {FH_PI(ids[i])};
        struct fh_rows rows;
        assert_int_equal(fh_store_exec(st,
                                       "SELECT r.body, f.vsdc_result FROM fiscal_invoices f "
                                       "JOIN fiscal_results r ON r.invoice_id = f.id "
                                       "WHERE f.id = $1",
                                       k, 1, &rows),
                         1);
        assert_string_equal(fh_rows_get(&rows, 0, 0), body[i]);
        assert_null(fh_rows_get(&rows, 0, 1));
        fh_rows_free(&rows);
        assert_true(row_of(ids[i]).has_result);
    }
    assert_int_equal(fh_fiscal_get_json(st, org, ids[1], &d), FH_OK);
    assert_string_equal(json_string_value(json_object_get(d, "vsdc_result")), body[1]);
    json_decref(d);
    assert_int_equal(fh_fiscal_results_move(st, 2, &moved), FH_OK); /* nothing left */
    assert_int_equal(moved, 0);
    /* an answer goes with its invoice */
    struct fh_param k[] = {FH_PI(ids[0])};
    exec_ok("DELETE FROM fiscal_invoices WHERE id = $1", k, 1);
    assert_int_equal(scalar_of("SELECT count(*) FROM fiscal_results", NULL, 0), 2);
}

/* The job cannot be completed: the result is not stored either (one transaction), the row stays
 * uncertain, and the run after the lease asks the V-SDC first and signs once. */
static void test_no_result_without_the_job_end(void **state)
{
    FH_UNUSED(state);
    int64_t id = pending_invoice();
    struct fh_job job;
    claim("w1", T0, &job);
    assert_int_equal(fiscal_row_begin_attempt(st, id, 0, T0), 1);
    struct fh_tc_reply r = answer("N-1");
    struct fh_job broken = job;
    broken.lease_owner = NULL; /* the completing statement fails inside the transaction */
    bool completed = true;
    assert_true(
        fiscal_row_sign(st, &(struct fiscal_row){.id = id}, &r, &broken, T0 + 1, &completed) < 0);
    assert_false(completed);
    struct row row = row_of(id);
    assert_string_equal(row.status, "pending");
    assert_int_equal(row.uncertain, 1);
    assert_false(row.has_result);
    assert_int_equal(job_state(job.id), FH_JOB_RUNNING);
    /* as after a crash before the commit: the lease runs out and the job is claimed again */
    struct fh_job next;
    claim("w2", T0 + 2000, &next);
    assert_int_equal(next.id, job.id);
    assert_int_equal(next.attempts, 2);
    assert_int_equal(row_of(id).uncertain, 1); /* the next run asks the V-SDC before posting */
    struct fh_tc_reply found = answer("N-1");
    assert_int_equal(
        fiscal_row_sign(st, &(struct fiscal_row){.id = id}, &found, &next, T0 + 2001, &completed),
        1);
    assert_true(completed);
    assert_string_equal(row_of(id).status, "signed");
    assert_int_equal(job_state(job.id), FH_JOB_DONE);
    fh_tc_reply_free(&r);
    fh_tc_reply_free(&found);
    fh_job_free(&job);
    fh_job_free(&next);
}

/* A run that lost its lease still stores the answer it got (the V-SDC signed it); the job is
 * left to its new owner, which finds the invoice signed and posts nothing. A late answer over a
 * signed row changes nothing. */
static void test_lost_lease_keeps_the_result(void **state)
{
    FH_UNUSED(state);
    int64_t id = pending_invoice();
    struct fh_job first, second;
    claim("w1", T0, &first);
    assert_int_equal(fiscal_row_begin_attempt(st, id, 0, T0), 1);
    claim("w2", T0 + 2000, &second); /* w1's lease ran out while it waited for the V-SDC */
    struct fh_tc_reply r = answer("N-1");
    bool completed = true;
    assert_int_equal(
        fiscal_row_sign(st, &(struct fiscal_row){.id = id}, &r, &first, T0 + 2001, &completed), 1);
    assert_false(completed);
    assert_string_equal(row_of(id).status, "signed");
    assert_int_equal(job_state(second.id), FH_JOB_RUNNING);
    struct fiscal_row fr; /* what w2's run reads: signed, so it is done without a call */
    assert_int_equal(fiscal_row_load(st, id, &fr), 1);
    assert_string_equal(fr.status, "signed");
    fiscal_row_free(&fr);
    struct fh_tc_reply late = answer("N-2");
    assert_int_equal(
        fiscal_row_sign(st, &(struct fiscal_row){.id = id}, &late, &second, T0 + 2002, &completed),
        0);
    assert_true(completed);
    assert_string_equal(row_of(id).number, "N-1");
    assert_int_equal(job_state(second.id), FH_JOB_DONE);
    fh_tc_reply_free(&r);
    fh_tc_reply_free(&late);
    fh_job_free(&first);
    fh_job_free(&second);
}

/* The claim marks the attempt in its own transaction when the invoice can be posted at once
 * (fh_fiscal_job_prepare): one commit for both. An uncertain row is left to the handler, which
 * asks the V-SDC first; so is an invoice whose certificate was revoked. */
static void test_claim_marks_the_attempt(void **state)
{
    FH_UNUSED(state);
    struct fh_app app = {.store = st};
    int64_t id = pending_invoice();
    struct fh_job job;
    assert_int_equal(
        fh_job_claim_prepared(st, &qcfg, kinds, 1, "w1", T0, fh_fiscal_job_prepare, &app, &job),
        FH_OK);
    assert_int_equal(job.prepared, 1);
    struct fiscal_row fr;
    assert_int_equal(fiscal_row_load(st, id, &fr), 1);
    assert_true(fr.uncertain);
    assert_int_equal(fr.attempts, 1);
    fiscal_row_free(&fr);
    /* the run died before the V-SDC answered: the next claim marks nothing, the run asks first */
    struct fh_job next;
    assert_int_equal(fh_job_claim_prepared(st, &qcfg, kinds, 1, "w2", T0 + 2000,
                                           fh_fiscal_job_prepare, &app, &next),
                     FH_OK);
    assert_int_equal(next.id, job.id);
    assert_int_equal(next.prepared, 0);
    assert_int_equal(fiscal_row_load(st, id, &fr), 1);
    assert_int_equal(fr.attempts, 1);
    fiscal_row_free(&fr);
    fh_job_free(&job);
    fh_job_free(&next);
    /* a revoked certificate: nothing marked, the handler fails the invoice */
    assert_int_equal(fh_store_exec(st, "UPDATE certificates SET status = 'revoked'", NULL, 0, NULL),
                     1);
    assert_int_equal(fh_store_exec(st,
                                   "UPDATE fiscal_invoices SET uncertain = 0, attempts = 0, "
                                   "status = 'pending'",
                                   NULL, 0, NULL),
                     1);
    assert_int_equal(
        fh_store_exec(st, "UPDATE jobs SET state = 'ready', lease_until = NULL", NULL, 0, NULL), 1);
    assert_int_equal(fh_job_claim_prepared(st, &qcfg, kinds, 1, "w3", T0 + 4000,
                                           fh_fiscal_job_prepare, &app, &next),
                     FH_OK);
    assert_int_equal(next.prepared, 0);
    assert_int_equal(row_of(id).uncertain, 0);
    fh_job_free(&next);
}

/* A copy of the pending invoice id with another source, in status. */
static int64_t sibling(int64_t id, const char *source, const char *status)
{
    struct fh_param p[] = {FH_PI(id), FH_PT(source), FH_PT(status)};
    return insert_id(
        "INSERT INTO fiscal_invoices (org_id, certificate_id, source_key, request_id, canonical, "
        "invoice_type, status, attempts, uncertain, total_amount, created_at, updated_at) "
        "SELECT org_id, certificate_id, $2, $2, canonical, invoice_type, $3, 1, 0, total_amount, "
        "created_at, updated_at FROM fiscal_invoices WHERE id = $1 RETURNING id",
        p, 3);
}

/* A store restored from a backup (its mark in store_state) begins a recovery at its first check:
 * the invoices not signed become uncertain, so the claim leaves them to the handler, which asks
 * the V-SDC first; signed ones stay as they are. The mark is consumed: later checks report the
 * recovery in force without marking again, until it ends or its time passes. */
static void test_restore_makes_unsigned_invoices_ask_first(void **state)
{
    FH_UNUSED(state);
    struct fh_app app = {.store = st};
    int64_t pending = pending_invoice();
    int64_t done = sibling(pending, "api:2", "signed"),
            failed = sibling(pending, "api:3", "failed");
    struct fh_fiscal_recovery r;
    assert_int_equal(fh_fiscal_recovery_check(st, T0, &r), FH_OK); /* no mark: nothing */
    assert_false(r.begun);
    assert_int_equal(r.until, 0);
    assert_int_equal(row_of(pending).uncertain, 0);

    struct fh_param p[] = {FH_PI(T0 - 1000)};
    assert_int_equal(fh_store_exec(st,
                                   "INSERT INTO store_state (key, value) "
                                   "VALUES ('backup_taken_at', $1)",
                                   p, 1, NULL),
                     1);
    assert_int_equal(fh_fiscal_recovery_check(st, T0, &r), FH_OK);
    assert_true(r.begun);
    assert_int_equal(r.taken_at, T0 - 1000);
    assert_int_equal(r.until, T0 + FH_FISCAL_RECOVERY_MS);
    assert_int_equal(r.marked, 2);
    assert_int_equal(row_of(pending).uncertain, 1);
    assert_int_equal(row_of(failed).uncertain, 1);
    assert_int_equal(row_of(done).uncertain, 0);
    struct fh_job job;
    assert_int_equal(
        fh_job_claim_prepared(st, &qcfg, kinds, 1, "w1", T0, fh_fiscal_job_prepare, &app, &job),
        FH_OK);
    assert_int_equal(job.prepared, 0); /* nothing marked: the handler asks first */
    fh_job_free(&job);

    assert_int_equal(fh_fiscal_recovery_check(st, T0 + 1, &r), FH_OK);
    assert_false(r.begun);
    assert_int_equal(r.until, T0 + FH_FISCAL_RECOVERY_MS);
    assert_int_equal(r.taken_at, T0 - 1000);
    assert_int_equal(fh_fiscal_recovery_check(st, T0 + FH_FISCAL_RECOVERY_MS, &r), FH_OK);
    assert_int_equal(r.until, 0); /* its time passed */

    /* by hand: a day more, then ended */
    assert_int_equal(fh_fiscal_recovery_begin(st, 0, T0 + 2, T0 + 2 + 86400000, &r), FH_OK);
    assert_true(r.begun);
    assert_int_equal(r.marked, 0); /* already uncertain */
    assert_int_equal(fh_fiscal_recovery_check(st, T0 + 3, &r), FH_OK);
    assert_int_equal(r.until, T0 + 2 + 86400000);
    assert_int_equal(r.taken_at, 0);
    assert_int_equal(fh_fiscal_recovery_begin(st, 0, T0 + 4, T0 + 4, &r), FH_OK);
    assert_false(r.begun);
    assert_int_equal(fh_fiscal_recovery_check(st, T0 + 5, &r), FH_OK);
    assert_int_equal(r.until, 0);
}

/* The CSV export reads a page of FH_FISCAL_CSV_PAGE invoices per call, oldest first by
 * (created_at, id), so invoices sharing a creation time across a page's edge are neither lost
 * nor repeated; the filter's strings are the export's own copies. */
static void test_csv_export_pages(void **state)
{
    FH_UNUSED(state);
    enum { N = 2 * FH_FISCAL_CSV_PAGE + 500 };
    int64_t first = pending_invoice();
    int64_t org = scalar_of("SELECT org_id FROM fiscal_invoices WHERE id = $1",
                            (struct fh_param[]){FH_PI(first)}, 1);
    /* three invoices per millisecond, inserted newest first so ids do not follow the times */
    struct fh_param p[] = {FH_PI(N - 1), FH_PI(T0)};
    exec_ok("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
            "INSERT INTO fiscal_invoices (org_id, certificate_id, source_key, request_id, "
            "canonical, invoice_type, status, total_amount, source_ref, created_at, updated_at) "
            "SELECT f.org_id, f.certificate_id, 'api:s' || n.i, 'rs' || n.i, '{}', 'Normal', "
            "CASE WHEN n.i % 100 = 0 THEN 'failed' ELSE 'pending' END, 12345, 'ref, \"' || n.i, "
            "CAST($2 AS BIGINT) + ($1 - n.i) / 3, 1 FROM n, fiscal_invoices f ORDER BY n.i",
            p, 2);
    char status[16] = "failed";
    struct fh_fiscal_filter f = {.status = status};
    struct fh_fiscal_csv *failed = fh_fiscal_csv_open(st, org, &f);
    struct fh_fiscal_csv *all = fh_fiscal_csv_open(st, org, &(struct fh_fiscal_filter){0});
    fh_strlcpy(status, "signed", sizeof(status));

    struct fh_buf out;
    fh_buf_init(&out, 1 << 20);
    bool end = false;
    int pieces = 0;
    while (!end) {
        size_t before = out.len;
        assert_int_equal(fh_fiscal_csv_next(all, &out, &end), FH_OK);
        size_t lines = 0;
        for (size_t i = before; i < out.len; i++)
            lines += out.data[i] == '\n';
        assert_true(lines <= FH_FISCAL_CSV_PAGE + 1);
        pieces++;
    }
    assert_int_equal(pieces, 3);
    assert_int_equal(fh_fiscal_csv_next(all, &out, &end), FH_OK); /* ended stays ended */
    assert_true(end);
    /* one line per invoice after the header, each once, in (created_at, id) order */
    struct fh_rows rows;
    assert_int_equal(
        fh_store_exec(st, "SELECT id FROM fiscal_invoices ORDER BY created_at, id", NULL, 0, &rows),
        N);
    char *line = strstr(out.data, "\r\n") + 2;
    for (size_t i = 0; i < rows.nrows; i++) {
        char *e = strstr(line, "\r\n");
        assert_non_null(e);
        *e = '\0';
        assert_int_equal(strtoll(line, NULL, 10), fh_rows_i64(&rows, i, 0, 0));
        if (i > 0)
            assert_non_null(strstr(line, ",\"ref, \"\"")); /* quoted, the quote doubled */
        line = e + 2;
    }
    assert_int_equal(*line, '\0');
    fh_rows_free(&rows);

    fh_buf_reset(&out);
    assert_int_equal(fh_fiscal_csv_next(failed, &out, &end), FH_OK);
    assert_true(end);
    size_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.data[i] == '\n';
    assert_int_equal(lines, 1 + (N - 1) / 100);
    fh_buf_free(&out);

    /* a page that does not fit says so instead of ending cut short */
    struct fh_fiscal_csv *small = fh_fiscal_csv_open(st, org, &(struct fh_fiscal_filter){0});
    fh_buf_init(&out, 4096);
    assert_int_equal(fh_fiscal_csv_next(small, &out, &end), FH_E_LIMIT);
    fh_buf_free(&out);
    fh_fiscal_csv_free(small);
    fh_fiscal_csv_free(failed);
    fh_fiscal_csv_free(all);
}

/* The tax check: the V-SDC's tax total (its taxItems) against the source document's, rounding
 * allowed (a cent per item), recorded in the signing transaction. */
static void test_tax_check_on_signing(void **state)
{
    FH_UNUSED(state);
    const char *two = "{\"items\": [{}, {}]}";
    int64_t vsdc = 0;
    bool mismatch = true;
    /* Xero's 20 % on 120.00 and 60.00 gross: 30.00; a V-SDC label of 20 %: 19.9999 + 10.0001 */
    const char *same = "{\"taxItems\": [{\"label\": \"A\", \"amount\": 19.9999}, "
                       "{\"label\": \"B\", \"amount\": 10.0001}]}";
    assert_true(fiscal_tax_check(same, two, 300000, &vsdc, &mismatch));
    assert_int_equal(vsdc, 300000);
    assert_false(mismatch);
    assert_true(fiscal_tax_check(same, two, 300000 + 200, &vsdc, &mismatch)); /* 2 cents, 2 items */
    assert_false(mismatch);
    assert_true(fiscal_tax_check(same, two, 300000 + 201, &vsdc, &mismatch));
    assert_true(mismatch);
    assert_true(fiscal_tax_check(same, "{}", 300000 - 101, &vsdc, &mismatch)); /* at least 1 cent */
    assert_true(mismatch);
    assert_false(fiscal_tax_check("{\"invoiceNumber\": \"N\"}", two, 0, &vsdc, &mismatch));
    assert_false(mismatch);
    assert_false(
        fiscal_tax_check("{\"taxItems\": [{\"amount\": \"9\"}]}", two, 0, &vsdc, &mismatch));

    /* signed with a source tax of 20.00 while the V-SDC computed 9 % of 120.00 */
    int64_t id = pending_invoice();
    struct fh_param p[] = {FH_PI(id)};
    assert_int_equal(fh_store_exec(st,
                                   "UPDATE fiscal_invoices SET source_tax = 200000 WHERE id = $1",
                                   p, 1, NULL),
                     1);
    struct fh_job job;
    claim("w1", T0, &job);
    struct fiscal_row fr;
    assert_int_equal(fiscal_row_load(st, id, &fr), 1);
    assert_true(fr.has_source_tax);
    assert_int_equal(fr.source_tax, 200000);
    struct fh_tc_reply r = answer("N-1");
    free(r.body);
    r.body = fh_strdup("{\"invoiceNumber\": \"N-1\", \"taxItems\": [{\"amount\": 9.9083}]}");
    bool completed = false;
    assert_int_equal(fiscal_row_sign(st, &fr, &r, &job, T0 + 1, &completed), 1);
    struct fh_rows rows;
    assert_int_equal(
        fh_store_exec(st, "SELECT vsdc_tax, tax_mismatch FROM fiscal_invoices WHERE id = $1", p, 1,
                      &rows),
        1);
    assert_int_equal(fh_rows_i64(&rows, 0, 0, 0), 99083);
    assert_int_equal(fh_rows_i64(&rows, 0, 1, 0), 1);
    fh_rows_free(&rows);
    fiscal_row_free(&fr);
    fh_tc_reply_free(&r);
    fh_job_free(&job);
}

/* Without a source tax nothing is computed or flagged. */
static void test_no_tax_check_without_a_source_tax(void **state)
{
    FH_UNUSED(state);
    int64_t id = pending_invoice();
    struct fh_job job;
    claim("w1", T0, &job);
    struct fiscal_row fr;
    assert_int_equal(fiscal_row_load(st, id, &fr), 1);
    assert_false(fr.has_source_tax);
    struct fh_tc_reply r = answer("N-1");
    free(r.body);
    r.body = fh_strdup("{\"invoiceNumber\": \"N-1\", \"taxItems\": [{\"amount\": 9.9083}]}");
    bool completed = false;
    assert_int_equal(fiscal_row_sign(st, &fr, &r, &job, T0 + 1, &completed), 1);
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    assert_int_equal(
        fh_store_exec(st, "SELECT vsdc_tax, tax_mismatch FROM fiscal_invoices WHERE id = $1", p, 1,
                      &rows),
        1);
    assert_null(fh_rows_get(&rows, 0, 0));
    assert_int_equal(fh_rows_i64(&rows, 0, 1, -1), 0);
    fh_rows_free(&rows);
    fiscal_row_free(&fr);
    fh_tc_reply_free(&r);
    fh_job_free(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sign_completes_the_job_in_the_same_commit, harness_setup),
        cmocka_unit_test_setup(test_no_result_without_the_job_end, harness_setup),
        cmocka_unit_test_setup(test_old_answers_move_to_their_table, harness_setup),
        cmocka_unit_test_setup(test_lost_lease_keeps_the_result, harness_setup),
        cmocka_unit_test_setup(test_claim_marks_the_attempt, harness_setup),
        cmocka_unit_test_setup(test_restore_makes_unsigned_invoices_ask_first, harness_setup),
        cmocka_unit_test_setup(test_csv_export_pages, harness_setup),
        cmocka_unit_test_setup(test_tax_check_on_signing, harness_setup),
        cmocka_unit_test_setup(test_no_tax_check_without_a_source_tax, harness_setup),
    };
    return cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
}
