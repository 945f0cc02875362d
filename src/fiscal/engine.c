/* engine.c - the "fiscal.submit" job: sign one stored invoice at the V-SDC, exactly once.
 *
 * The RequestId is derived from the source and stored with the row before anything is sent.
 * One attempt (one run of the job) does:
 *
 *   1. Load the row. Signed: done. Failed: the job ends (dead) - only a user retry, which puts
 *      the row back to pending and revives the job, runs it again.
 *   2. Load the certificate (active, not expired) and rebuild the request body from the
 *      canonical invoice (deterministic: the same body for every attempt).
 *   3. If the row is uncertain (an earlier attempt may have reached the V-SDC):
 *      GET /api/v3/invoices/{RequestId} first. Found: store that result, signed, done.
 *      404: go on to post. Anything transient: retry later, without posting.
 *   4. COMMIT uncertain = 1 and attempts + 1 (guarded by the attempts we read, so two runs
 *      of one invoice cannot both pass this point for the same attempt), then POST. The same
 *      transaction counts the invoice in the plan's monthly usage, or, when the plan does not
 *      allow it (limit reached, licence expired), puts it on hold and the job ends unsent.
 *      When the row is not uncertain and its certificate active, this is done by the prepare
 *      hook in the transaction that claims the job (fh_fiscal_job_prepare), so claim and mark
 *      are one commit; a failure before the POST then takes the mark back (uncertain = 0).
 *   5. 200: store the body verbatim, signed, uncertain = 0, and complete the job in the same
 *      transaction (the handler returns FH_DONE). A definite refusal (400 with
 *      modelState, 401/403, ...): failed with the reason, uncertain = 0, job ends, no retry.
 *      Unknown outcome (timeout, reset, 408/429/5xx, cut answer): keep uncertain = 1, record the
 *      reason and return FH_E_RETRY; the queue backs off with jitter (at most
 *      FH_FISCAL_BACKOFF_MAX_MS). Such failures go on for FISCALHUB_FISCAL_RETRY_SECONDS (24 h)
 *      from the first one (retry_since), so an outage of the V-SDC delays invoices instead of
 *      failing them; after that, or on the job's last attempt, the row becomes failed with the
 *      last reason (still uncertain, so a user retry asks before it posts).
 *
 * A crash anywhere leaves either uncertain = 0 with nothing sent, or uncertain = 1, and the next
 * run asks first. Storing a result is guarded by status <> 'signed', so a signed row's result
 * never changes. Error texts recorded on the job and the row name codes and fields, never PACs,
 * passwords or invoice contents. See docs/internals/fiscal.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_cert.h"
#include "fiscal_internal.h"

/* What the prepare hook did in the claiming transaction (job->prepared). */
enum { PREP_NONE = 0, PREP_BEGUN = 1, PREP_HELD = 2 };

struct attempt {
    struct fh_app *app;
    struct fh_store *st;
    const struct fh_job *job;
    bool begun; /* the claim marked this attempt (PREP_BEGUN): nothing asked, nothing to mark */
    struct fiscal_row *row;
    struct fh_cert_secret cert;
    struct fh_tc_settings tcs;
    char *body;
    char *err;
    size_t errsize;
};

static enum fh_rc store_trouble(struct attempt *a, const char *what)
{
    snprintf(a->err, a->errsize, "store error while %s", what);
    return FH_E_RETRY;
}

/* uncertain for a failure before anything was sent: the claim's mark is taken back (0), an
 * earlier attempt's kept (-1). */
static int unsent(const struct attempt *a)
{
    return a->begun ? 0 : -1;
}

/* A definite end: the row fails with reason and the job is not retried. */
static enum fh_rc fail_for_good(struct attempt *a, const char *reason, int uncertain)
{
    int qs = fiscal_row_fail(a->st, a->row->id, reason, uncertain, fh_now_ms());
    if (qs < 0)
        return store_trouble(a, "recording a failure");
    if (qs == 0) /* no longer pending: another run finished it */
        return FH_OK;
    snprintf(a->err, a->errsize, "%s", reason);
    return FH_ERR;
}

/* "3 h", "25 min", "40 s". */
static void span_text(int64_t ms, char *out, size_t size)
{
    int64_t s = ms / 1000;
    if (s >= 3 * 3600)
        snprintf(out, size, "%lld h", (long long)(s / 3600));
    else if (s >= 120)
        snprintf(out, size, "%lld min", (long long)(s / 60));
    else
        snprintf(out, size, "%lld s", (long long)s);
}

/* An unknown outcome: retry later, or fail once such outcomes have gone on for the retry window,
 * or on the job's last attempt (uncertain kept). */
static enum fh_rc transient(struct attempt *a, const char *reason)
{
    int64_t window = a->app->cfg ? a->app->cfg->fiscal_retry_ms : 0;
    int64_t since = a->row->retry_since, now = fh_now_ms();
    if (a->job->attempts >= a->job->max_attempts ||
        (window > 0 && since > 0 && now - since >= window)) {
        char msg[760], span[32];
        span_text(since > 0 ? now - since : 0, span, sizeof(span));
        snprintf(msg, sizeof(msg), "Gave up after %d attempts in %s without an answer. Last: %s",
                 a->job->attempts, span, reason);
        return fail_for_good(a, msg, -1);
    }
    fiscal_row_note(a->st, a->row->id, reason, fh_now_ms()); /* best effort */
    snprintf(a->err, a->errsize, "%s", reason);
    return FH_E_RETRY;
}

/* The result, its events and the job's end in one transaction (rows.c). */
static enum fh_rc signed_with(struct attempt *a, const struct fh_tc_reply *r)
{
    bool completed = false;
    int qs = fiscal_row_sign(a->st, a->row, r, a->job, fh_now_ms(), &completed);
    if (qs < 0) /* the row stays uncertain: the next attempt finds the invoice by GET */
        return store_trouble(a, "storing the signed result");
    if (!completed) { /* the result is stored; the runner finds the lease lost and says so */
        snprintf(a->err, a->errsize, "signed, but the job's lease was lost meanwhile");
        return FH_E_CONFLICT;
    }
    return FH_DONE;
}

/* A 2310 refusal is clearer with the labels the V-SDC does define. */
static void explain_labels(struct attempt *a, char *reason, size_t size)
{
    if (!strstr(reason, "(2310)"))
        return;
    json_t *status = NULL;
    if (fh_tc_status_cached(&a->tcs, &a->cert, &status) != FH_OK)
        return;
    char labels[200];
    fh_tc_status_labels(status, labels, sizeof(labels));
    json_decref(status);
    size_t n = strlen(reason);
    if (labels[0] && n + 40 < size)
        snprintf(reason + n, size - n, " The V-SDC defines the labels %s.", labels);
}

/* Step 4 when the claim did not do it: commit the mark of the attempt. FH_OK: post. */
static enum fh_rc mark_attempt(struct attempt *a, bool *held)
{
    int qs = fiscal_row_begin_billed(a->st, a->app->cfg, a->row->id, a->row->attempts, fh_now_ms(),
                                     held);
    if (qs < 0)
        return store_trouble(a, "marking the attempt");
    if (qs == 0 && !*held) {
        snprintf(a->err, a->errsize, "the invoice changed during the attempt; trying again");
        return FH_E_RETRY;
    }
    return FH_OK;
}

/* What the V-SDC's answer says about the certificate: refused (shown on the certificate until
 * it signs again), or accepted after a refusal. */
static void note_certificate(struct attempt *a, const struct fh_tc_reply *r)
{
    if (r->outcome == FH_TC_REJECTED && r->cert_refused)
        fh_cert_refused(a->st, a->cert.id, r->reason, fh_now_ms());
    else if (r->outcome == FH_TC_OK && a->cert.refused)
        fh_cert_refused(a->st, a->cert.id, NULL, fh_now_ms());
}

static enum fh_rc post_invoice(struct attempt *a)
{
    bool held = false;
    enum fh_rc mrc = a->begun ? FH_OK : mark_attempt(a, &held);
    if (mrc != FH_OK)
        return mrc;
    if (held) /* on hold (src/billing/usage.c): nothing sent; a release runs it again */
        return FH_OK;
    struct fh_tc_reply r;
    fh_tc_call(&a->tcs, &a->cert, FH_TC_POST_INVOICE, a->row->request_id, a->body, &r);
    note_certificate(a, &r);
    enum fh_rc rc;
    if (r.outcome == FH_TC_OK) {
        rc = signed_with(a, &r);
    } else if (r.outcome == FH_TC_REJECTED) {
        explain_labels(a, r.reason, sizeof(r.reason));
        rc = fail_for_good(a, r.reason, 0);
    } else {
        rc = transient(a, r.reason[0] ? r.reason : "The V-SDC gave no usable answer.");
    }
    fh_tc_reply_free(&r);
    return rc;
}

/* Step 3: did an earlier attempt sign it? FH_E_NOTFOUND: no, post. */
static enum fh_rc ask_first(struct attempt *a)
{
    struct fh_tc_reply r;
    fh_tc_call(&a->tcs, &a->cert, FH_TC_GET_INVOICE, a->row->request_id, NULL, &r);
    note_certificate(a, &r);
    enum fh_rc rc;
    if (r.outcome == FH_TC_OK) {
        rc = signed_with(a, &r);
    } else if (r.outcome == FH_TC_NONE) {
        rc = FH_E_NOTFOUND;
    } else if (r.outcome == FH_TC_REJECTED) {
        char msg[700];
        snprintf(msg, sizeof(msg), "%s An earlier attempt's outcome is unknown.", r.reason);
        rc = fail_for_good(a, msg, 1);
    } else {
        rc = transient(a, r.reason);
    }
    fh_tc_reply_free(&r);
    return rc;
}

/* Step 2: the certificate must still be usable. FH_OK, or the attempt's end. */
static enum fh_rc load_certificate(struct attempt *a)
{
    enum fh_rc rc =
        fh_cert_secret_load(a->st, a->app->master_key, a->row->certificate_id, &a->cert);
    if (rc == FH_E_RETRY)
        return store_trouble(a, "loading the certificate");
    if (rc == FH_E_NOTFOUND)
        return fail_for_good(a, "The certificate of this invoice no longer exists.", unsent(a));
    if (rc != FH_OK)
        return fail_for_good(a,
                             "The certificate's secrets cannot be opened (was the master key "
                             "changed?).",
                             unsent(a));
    if (strcmp(a->cert.status, "active") != 0 || !a->cert.pfx || !a->cert.pac)
        return fail_for_good(a, "The certificate is revoked; upload a valid certificate.",
                             unsent(a));
    if (a->cert.not_after_ms <= fh_now_ms()) {
        char when[32], msg[160];
        fh_time_fmt(a->cert.not_after_ms, when, sizeof(when));
        snprintf(msg, sizeof(msg), "The certificate expired at %s; upload a valid one.", when);
        return fail_for_good(a, msg, unsent(a));
    }
    return FH_OK;
}

static enum fh_rc run_attempt(struct attempt *a)
{
    enum fh_rc rc = load_certificate(a);
    if (rc != FH_OK)
        return rc;
    json_t *cj = json_loads(a->row->canonical, 0, NULL);
    struct fh_fiscal_invoice inv;
    struct fh_json_error jerr;
    rc = fh_fiscal_invoice_parse(cj, &inv, &jerr);
    json_decref(cj);
    if (rc != FH_OK)
        return fail_for_good(a, "The stored invoice no longer passes validation.", unsent(a));
    a->body = fh_fiscal_vsdc_request(&inv);
    fh_fiscal_invoice_free(&inv);
    fiscal_tc_settings(a->app, &a->tcs);
    if (a->row->uncertain && !a->begun) {
        rc = ask_first(a);
        if (rc != FH_E_NOTFOUND)
            return rc;
    }
    return post_invoice(a);
}

static int64_t payload_invoice_id(const struct fh_job *job)
{
    json_t *p = json_loads(job->payload, 0, NULL);
    int64_t id = json_integer_value(json_object_get(p, "invoice_id"));
    json_decref(p);
    return id;
}

/* The certificate can sign now (active, not expired); its secrets are the handler's to open. */
static bool cert_usable(struct fh_store *st, int64_t cert_id)
{
    char status[16];
    int64_t not_after = 0;
    return fh_cert_state(st, cert_id, status, &not_after) == FH_OK &&
           strcmp(status, "active") == 0 && not_after > fh_now_ms();
}

int fh_fiscal_job_prepare(void *cls, struct fh_store *st, struct fh_job *job)
{
    struct fh_app *app = cls;
    struct fiscal_row row;
    int64_t id = payload_invoice_id(job);
    int qs = id > 0 ? fiscal_row_load(st, id, &row) : 0;
    if (qs <= 0) /* a missing row is the handler's to report */
        return qs < 0 ? qs : PREP_NONE;
    int rc = PREP_NONE;
    if (strcmp(row.status, "pending") == 0 && !row.uncertain &&
        cert_usable(st, row.certificate_id)) {
        bool held = false;
        qs =
            fiscal_row_begin_in_tx(st, app ? app->cfg : NULL, id, row.attempts, fh_now_ms(), &held);
        rc = qs < 0 ? qs : held ? PREP_HELD : PREP_BEGUN;
    }
    fiscal_row_free(&row);
    return rc;
}

enum fh_rc fh_fiscal_job_handler(void *cls, struct fh_store *st, const struct fh_job *job,
                                 char *err, size_t errsize)
{
    if (job->prepared == PREP_HELD) /* put on hold by the claim: nothing to send */
        return FH_OK;
    struct fiscal_row row;
    int64_t id = payload_invoice_id(job);
    int qs = id > 0 ? fiscal_row_load(st, id, &row) : 0;
    if (qs < 0) {
        snprintf(err, errsize, "store error while loading invoice %lld", (long long)id);
        return FH_E_RETRY;
    }
    if (qs == 0) {
        snprintf(err, errsize, "invoice %lld does not exist", (long long)id);
        return FH_ERR;
    }
    enum fh_rc rc;
    if (strcmp(row.status, "signed") == 0) {
        rc = FH_OK;
    } else if (strcmp(row.status, "failed") == 0) {
        snprintf(err, errsize, "invoice %lld is failed; a user retry runs it again", (long long)id);
        rc = FH_ERR;
    } else {
        struct attempt a = {.app = cls,
                            .st = st,
                            .job = job,
                            .begun = job->prepared == PREP_BEGUN,
                            .row = &row,
                            .err = err,
                            .errsize = errsize};
        rc = run_attempt(&a);
        free(a.body);
        fh_cert_secret_free(&a.cert);
    }
    fiscal_row_free(&row);
    return rc;
}

void fh_fiscal_shutdown(void)
{
    fh_tc_pool_shutdown();
    fh_tc_cache_clear();
    fh_cert_cache_clear();
}
