/* queue.c - the durable job queue: enqueue, claim with a lease, complete, fail with backoff,
 * dead letter.
 *
 * A job is one row of `jobs` (see src/store/sql/<backend>/0002-jobs.sql). Its life:
 *
 *   enqueue -> ready --claim--> running --complete--> done
 *                ^                 |  \--fail, attempts left--> ready (run_at = now + backoff)
 *                |                 |---fail, not retryable or attempts used up--> dead
 *                |                 \---lease expired--> claimed again by anyone (attempts + 1)
 *                \------------ fh_job_retry_dead (attempts reset) ------------ dead
 *
 * Enqueueing is `INSERT ... ON CONFLICT (ukey) DO NOTHING RETURNING id`, so a unique key makes it
 * idempotent; on a conflict the existing row's id is read back.
 *
 * Claiming is one atomic UPDATE of the row picked by a sub-select (PostgreSQL adds FOR UPDATE
 * SKIP LOCKED so concurrent claimers pass each other instead of queueing; on SQLite the
 * statement runs in a BEGIN IMMEDIATE transaction, which serializes writers). Two sub-selects
 * are tried in turn, each an ordered index read of (state, run_at, id) that stops at the first
 * row: first a running job whose lease has expired (its worker died or hung; these are few,
 * at most one per worker that vanished), then the ready job with the smallest (run_at, id).
 * A plain read of the same index first tells whether any lease expired at all, and the
 * UPDATE for expired leases runs only then.
 * One OR-ed sub-select would have to sort every due row of a backlog on each claim.
 *
 * Lease expiry policy: a job whose lease expired counts the lost run as an attempt. When that
 * lost run was already its last attempt (attempts >= max_attempts), the claiming statement
 * does not run it again but moves it to dead with last_error "lease expired on the last of N
 * attempts", keeping the last owner in lease_owner; the claim then looks for another job. So a
 * job that crashes its worker every time ends dead after max_attempts runs.
 *
 * A kind may have a prepare hook that runs inside the claiming transaction, so that the first
 * writes of a run commit with its claim (the fiscal job marks its attempt that way), and
 * fh_job_complete_tx completes a job inside the caller's transaction, so that a handler's result
 * and the job's end are one commit (the fiscal job stores the V-SDC's answer that way); for a
 * job run by the runner it also claims the worker's next job there (with its prepare hook), so a
 * busy worker commits once per job for the end of one and the start of the next.
 *
 * Ownership: heartbeat, complete and fail only touch a row that is still running under the
 * caller's owner id, so a worker that lost its lease (and whose job was claimed again) gets
 * FH_E_CONFLICT and cannot overwrite the new owner's result. lease_owner keeps the last owner
 * after the job leaves 'running' (for diagnosis); lease_until is NULL whenever the job is not
 * running.
 *
 * Backoff after a failed attempt n (1-based): base * 2^(n-1), capped at backoff_max_ms, then
 * +-25% uniform jitter so that jobs failing together do not come back together.
 *
 * Lanes: claims take the oldest due job first, so one organization's burst (thousands of
 * invoices approved at once) would hold every worker until it drained while another
 * organization's single invoice waited behind it. A job may name a lane (the fiscal jobs: their
 * organization); at most lane_window jobs of a lane are due or running at once, and the lane's
 * others wait *held*: ready with run_at = HELD_AT, never due, so the claim's index read never
 * sees them. Whenever a lane's job leaves its window (done, dead, released, or back off after a
 * failure) the same transaction lets the lane's oldest held job in, due at now: it joins the
 * tail of the queue, behind whatever other lanes queued meanwhile, so busy lanes take turns
 * and a new lane waits for at most the windows already queued. A lane alone keeps every worker
 * busy when its window is at least the number of workers. Jobs in backoff or deferred to a
 * later run_at hold no turn, so they neither block their lane nor wait for it when due again
 * (the window is a bound kept at each admission, not an invariant). One departure lets one job
 * in; fh_job_lanes_refill (every 10 s, from the scheduler thread) fills what departures did not
 * (a window made larger, a job that ended some other way).
 */
#include "fh/fh_jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_crypto.h"

#define JOB_COLS                                                                                   \
    "id, kind, ukey, payload, attempts, max_attempts, run_at, lease_until, lease_owner, "          \
    "last_error, state, lane"

enum {
    MAX_KIND_LEN = 64,
    MAX_UKEY_LEN = 256,
    MAX_OWNER_LEN = 200,
    MAX_PAYLOAD_LEN = 256 * 1024,
    MAX_ERROR_LEN = 1000,
    MAX_CLAIM_KINDS = 64,
    MAX_EXPIRED_PER_CLAIM = 32, /* dead-lettered by one claim before it gives up on them */
    MAX_LANE_LEN = 64,
    MAX_LANE_WINDOW = 100000,
    REFILL_LANES_MAX = 1000, /* lanes one fh_job_lanes_refill looks at */
};

#define HELD_AT FH_JOB_HELD_AT

void fh_queue_cfg_defaults(struct fh_queue_cfg *cfg)
{
    cfg->default_max_attempts = 8;
    cfg->lease_ms = 60000;
    cfg->backoff_base_ms = 1000;
    cfg->backoff_max_ms = 3600000;
    cfg->lane_window = 16;
}

void fh_queue_cfg_effective(const struct fh_queue_cfg *in, struct fh_queue_cfg *out)
{
    struct fh_queue_cfg d;
    fh_queue_cfg_defaults(&d);
    *out = in ? *in : d;
    if (out->default_max_attempts <= 0)
        out->default_max_attempts = d.default_max_attempts;
    if (out->lease_ms <= 0)
        out->lease_ms = d.lease_ms;
    if (out->backoff_base_ms <= 0)
        out->backoff_base_ms = d.backoff_base_ms;
    if (out->backoff_max_ms <= 0)
        out->backoff_max_ms = d.backoff_max_ms;
    if (out->lane_window <= 0)
        out->lane_window = d.lane_window;
    if (out->lane_window > MAX_LANE_WINDOW)
        out->lane_window = MAX_LANE_WINDOW;
}

static bool str_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

void fh_job_free(struct fh_job *job)
{
    if (!job)
        return;
    free(job->kind);
    free(job->ukey);
    free(job->payload);
    free(job->lease_owner);
    free(job->last_error);
    free(job->lane);
    memset(job, 0, sizeof(*job));
}

static char *dup_or_null(const char *s)
{
    return s ? fh_strdup(s) : NULL;
}

static enum fh_job_state state_parse(const char *s)
{
    if (!s || strcmp(s, "ready") == 0)
        return FH_JOB_READY;
    if (strcmp(s, "running") == 0)
        return FH_JOB_RUNNING;
    if (strcmp(s, "done") == 0)
        return FH_JOB_DONE;
    return FH_JOB_DEAD;
}

/* Fills out from a row selected with JOB_COLS. */
static void job_from_row(const struct fh_rows *r, size_t row, struct fh_job *out)
{
    memset(out, 0, sizeof(*out));
    out->id = fh_rows_i64(r, row, 0, 0);
    out->kind = fh_strdup(fh_rows_get(r, row, 1) ? fh_rows_get(r, row, 1) : "");
    out->ukey = dup_or_null(fh_rows_get(r, row, 2));
    out->payload = fh_strdup(fh_rows_get(r, row, 3) ? fh_rows_get(r, row, 3) : "{}");
    out->attempts = (int)fh_rows_i64(r, row, 4, 0);
    out->max_attempts = (int)fh_rows_i64(r, row, 5, 0);
    out->run_at = fh_rows_i64(r, row, 6, 0);
    out->lease_until = fh_rows_i64(r, row, 7, 0);
    out->lease_owner = dup_or_null(fh_rows_get(r, row, 8));
    out->last_error = dup_or_null(fh_rows_get(r, row, 9));
    out->state = state_parse(fh_rows_get(r, row, 10));
    out->lane = dup_or_null(fh_rows_get(r, row, 11));
}

/* One write statement in its own transaction (or the caller's); returns rows affected or qs. */
struct stmt_ctx {
    const char *sql;
    const struct fh_param *params;
    size_t nparams;
};

static int stmt_tx(struct fh_store *st, void *cls)
{
    struct stmt_ctx *c = cls;
    return fh_store_exec(st, c->sql, c->params, c->nparams, NULL);
}

static int exec_write(struct fh_store *st, const char *sql, const struct fh_param *params, size_t n)
{
    struct stmt_ctx c = {.sql = sql, .params = params, .nparams = n};
    return fh_store_run_tx(st, stmt_tx, &c);
}

/* ---- lanes ---- */

/* The lane's jobs holding a turn (running, or ready and due at now; counted up to window) into
 * *turns, and whether any is held into *held. 1, or a negative qs. */
static int lane_state(struct fh_store *st, const char *lane, int64_t now, int window,
                      int64_t *turns, bool *held)
{
    struct fh_param p[] = {FH_PT(lane), FH_PI(now), FH_PI(window), FH_PI(HELD_AT)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE lane = $1 AND state = 'running' "
        "LIMIT $3) r) + (SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE lane = $1 AND "
        "state = 'ready' AND run_at <= $2 LIMIT $3) d), (SELECT COUNT(*) FROM (SELECT 1 FROM "
        "jobs WHERE lane = $1 AND state = 'ready' AND run_at = $4 LIMIT 1) h)",
        p, FH_ARRAY_LEN(p), &rows);
    if (qs > 0) {
        *turns = fh_rows_i64(&rows, 0, 0, 0);
        *held = fh_rows_i64(&rows, 0, 1, 0) > 0;
    }
    fh_rows_free(&rows);
    return qs < 0 ? qs : 1;
}

/* Lets the lane's n oldest held jobs in, due at now (in the caller's transaction). Returns how
 * many, or a negative qs. */
static int lane_promote(struct fh_store *st, const char *lane, int64_t n, int64_t now)
{
    if (!lane || n <= 0)
        return 0;
    struct fh_param p[] = {FH_PT(lane), FH_PI(now), FH_PI(HELD_AT), FH_PI(n)};
    return fh_store_exec(
        st,
        fh_store_sql(st,
                     "UPDATE jobs SET run_at = $2, updated_at = $2 WHERE id IN (SELECT id FROM "
                     "jobs WHERE lane = $1 AND state = 'ready' AND run_at = $3 ORDER BY id "
                     "LIMIT $4)",
                     "WITH w AS (SELECT id FROM jobs WHERE lane = $1 AND state = 'ready' AND "
                     "run_at = $3 ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) "
                     "UPDATE jobs SET run_at = $2, updated_at = $2 FROM w WHERE jobs.id = w.id"),
        p, FH_ARRAY_LEN(p), NULL);
}

/* Lets the lane's oldest held jobs in as far as its window has room. */
static int lane_refill(struct fh_store *st, const struct fh_queue_cfg *cfg, const char *lane,
                       int64_t now)
{
    int64_t turns = 0;
    bool held = false;
    int qs = lane_state(st, lane, now, cfg->lane_window, &turns, &held);
    if (qs < 0 || !held)
        return qs < 0 ? qs : 0;
    return lane_promote(st, lane, cfg->lane_window - turns, now);
}

/* The run_at a job of lane asking for run_at gets: HELD_AT when it would be due now but its
 * lane's window is full, or older jobs of the lane are still waiting (their turn comes first). */
static int lane_admit(struct fh_store *st, const struct fh_queue_cfg *cfg, const char *lane,
                      int64_t run_at, int64_t now, int64_t *out)
{
    *out = run_at;
    if (!lane || run_at > now)
        return 1;
    int64_t turns = 0;
    bool held = false;
    int qs = lane_state(st, lane, now, cfg->lane_window, &turns, &held);
    if (qs > 0 && (held || turns >= cfg->lane_window))
        *out = HELD_AT;
    return qs;
}

struct refill_ctx {
    struct fh_queue_cfg cfg;
    int64_t now;
    int promoted;
};

static int refill_all_tx(struct fh_store *st, void *cls)
{
    struct refill_ctx *c = cls;
    c->promoted = 0;
    struct fh_param p[] = {FH_PI(HELD_AT), FH_PI(REFILL_LANES_MAX)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT DISTINCT lane FROM jobs WHERE state = 'ready' AND run_at = $1 "
                           "AND lane IS NOT NULL LIMIT $2",
                           p, FH_ARRAY_LEN(p), &rows);
    for (size_t i = 0; qs >= 0 && i < rows.nrows; i++) {
        int n = lane_refill(st, &c->cfg, fh_rows_get(&rows, i, 0), c->now);
        if (n < 0)
            qs = n;
        else
            c->promoted += n;
    }
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_job_lanes_refill(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t now,
                               int *promoted)
{
    struct refill_ctx ctx = {.now = now};
    fh_queue_cfg_effective(cfg, &ctx.cfg);
    enum fh_rc rc = fh_qs_rc(fh_store_run_tx(st, refill_all_tx, &ctx));
    if (rc == FH_OK && promoted)
        *promoted = ctx.promoted;
    return rc;
}

/* ---- enqueue ---- */

struct enqueue_ctx {
    const struct fh_enqueue *e;
    const struct fh_queue_cfg *cfg;
    int64_t run_at, now;
    int max_attempts;
    bool created;
    int64_t id;
};

static int enqueue_tx(struct fh_store *st, void *cls)
{
    struct enqueue_ctx *c = cls;
    int64_t run_at;
    int qs = lane_admit(st, c->cfg, c->e->lane, c->run_at, c->now, &run_at);
    if (qs < 0)
        return qs;
    struct fh_param p[] = {FH_PT(c->e->kind),
                           FH_PT(c->e->ukey),
                           FH_PT(c->e->payload ? c->e->payload : "{}"),
                           FH_PI(run_at),
                           FH_PI(c->max_attempts),
                           FH_PI(c->now),
                           c->e->lane ? FH_PT(c->e->lane) : FH_PNULL};
    struct fh_rows rows;
    qs = fh_store_exec(st,
                       "INSERT INTO jobs (kind, ukey, payload, state, run_at, attempts, "
                       "max_attempts, created_at, updated_at, lane) "
                       "VALUES ($1, $2, $3, 'ready', $4, 0, $5, $6, $6, $7) "
                       "ON CONFLICT (ukey) DO NOTHING RETURNING id",
                       p, FH_ARRAY_LEN(p), &rows);
    c->created = qs > 0;
    c->id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs != 0)
        return qs;
    /* The key exists: read the existing job's id. */
    struct fh_param k[] = {FH_PT(c->e->ukey)};
    qs = fh_store_exec(st, "SELECT id FROM jobs WHERE ukey = $1", k, 1, &rows);
    if (qs > 0)
        c->id = fh_rows_i64(&rows, 0, 0, 0);
    fh_rows_free(&rows);
    return qs == 0 ? FH_QS_SOFT : qs; /* 0: the conflicting row vanished (rolled back); retry */
}

enum fh_rc fh_job_enqueue(struct fh_store *st, const struct fh_queue_cfg *cfg,
                          const struct fh_enqueue *e, bool *created, int64_t *id)
{
    if (!str_ok(e->kind, MAX_KIND_LEN) || e->max_attempts < 0 || (e->ukey && !e->ukey[0]))
        return FH_E_INPUT;
    if (e->lane && !e->lane[0])
        return FH_E_INPUT;
    if ((e->ukey && strlen(e->ukey) > MAX_UKEY_LEN) ||
        (e->payload && strlen(e->payload) > MAX_PAYLOAD_LEN) ||
        (e->lane && strlen(e->lane) > MAX_LANE_LEN))
        return FH_E_LIMIT;
    struct fh_queue_cfg c;
    fh_queue_cfg_effective(cfg, &c);
    struct enqueue_ctx ctx = {.e = e, .cfg = &c, .now = fh_now_ms()};
    ctx.run_at = e->run_at ? e->run_at : ctx.now;
    ctx.max_attempts = e->max_attempts ? e->max_attempts : c.default_max_attempts;
    enum fh_rc rc = fh_qs_rc(fh_store_run_tx(st, enqueue_tx, &ctx));
    if (rc != FH_OK)
        return rc;
    if (created)
        *created = ctx.created;
    if (id)
        *id = ctx.id;
    return FH_OK;
}

/* ---- claim ---- */

/* Builds the claiming UPDATE. expired: take a running job whose lease ran out (and dead-letter
 * it when that was its last attempt); otherwise the first due ready job.
 * Parameters: $1 owner, $2 now, $3 new lease_until, $4.. kinds. */
static char *claim_sql(bool pg, bool expired, size_t nkinds)
{
    struct fh_buf b;
    fh_buf_init(&b, 8192);
    const char *last = "state = 'running' AND attempts >= max_attempts";
    fh_buf_appendf(&b,
                   "UPDATE jobs SET state = CASE WHEN %s THEN 'dead' ELSE 'running' END, "
                   "last_error = CASE WHEN %s THEN 'lease expired on the last of ' || "
                   "max_attempts || ' attempts' ELSE last_error END, "
                   "lease_owner = CASE WHEN %s THEN lease_owner ELSE $1 END, "
                   "lease_until = CASE WHEN %s THEN NULL ELSE CAST($3 AS BIGINT) END, "
                   "attempts = CASE WHEN %s THEN attempts ELSE attempts + 1 END, "
                   "updated_at = $2 WHERE id = (SELECT id FROM jobs WHERE ",
                   last, last, last, last, last);
    if (expired)
        fh_buf_appendf(&b, "state = 'running' AND lease_until < $2");
    else
        fh_buf_appendf(&b, "state = 'ready' AND run_at <= $2");
    if (nkinds > 0) {
        fh_buf_appendf(&b, " AND kind IN (");
        for (size_t i = 0; i < nkinds; i++)
            fh_buf_appendf(&b, "%s$%zu", i ? ", " : "", i + 4);
        fh_buf_appendf(&b, ")");
    }
    fh_buf_appendf(&b, " ORDER BY %s, id LIMIT 1%s) RETURNING " JOB_COLS,
                   expired ? "lease_until" : "run_at", pg ? " FOR UPDATE SKIP LOCKED" : "");
    return fh_buf_steal(&b);
}

/* claim_sql's text for (backend, expired, nkinds), built once and kept for the process: it
 * depends on nothing else, and building it was about 1% of a busy worker's CPU. */
static const char *claim_sql_cached(bool pg, bool expired, size_t nkinds)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char *texts[2][2][MAX_CLAIM_KINDS + 1];
    pthread_mutex_lock(&lock);
    char **t = &texts[pg][expired][nkinds];
    if (!*t)
        *t = claim_sql(pg, expired, nkinds);
    pthread_mutex_unlock(&lock);
    return *t;
}

struct claim_ctx {
    const struct fh_queue_cfg *cfg;
    int64_t now;
    const char *sql_expired, *sql_ready;
    fh_job_prepare prepare;
    void *prepare_cls;
    struct fh_param *params;
    size_t nparams;
    struct fh_job job;
    bool found;
    int64_t dead_ids[MAX_EXPIRED_PER_CLAIM];
    size_t ndead;
};

/* 1 when some running job's lease has expired (of any kind), 0 when none, < 0 on error: the
 * claim's UPDATE for expired leases costs several times this read, and nearly always finds
 * nothing. $2 is the claim's now. */
static int any_expired(struct fh_store *st, const struct claim_ctx *c)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT id FROM jobs WHERE state = 'running' AND lease_until < $2 "
                           "LIMIT 1",
                           c->params, c->nparams, &rows);
    fh_rows_free(&rows);
    return qs;
}

static int claim_tx(struct fh_store *st, void *cls)
{
    struct claim_ctx *c = cls;
    fh_job_free(&c->job);
    c->found = false;
    c->ndead = 0;
    struct fh_rows rows;
    int some = any_expired(st, c);
    if (some < 0)
        return some;
    for (size_t i = some ? 0 : MAX_EXPIRED_PER_CLAIM; i <= MAX_EXPIRED_PER_CLAIM; i++) {
        bool expired = i < MAX_EXPIRED_PER_CLAIM;
        int qs = fh_store_exec(st, expired ? c->sql_expired : c->sql_ready, c->params, c->nparams,
                               &rows);
        if (qs < 0)
            return qs;
        if (qs == 0) {
            if (!expired)
                return 0;
            i = MAX_EXPIRED_PER_CLAIM - 1; /* no expired lease left: go to the ready jobs */
            continue;
        }
        job_from_row(&rows, 0, &c->job);
        fh_rows_free(&rows);
        if (c->job.state == FH_JOB_RUNNING) {
            int pq = c->prepare ? c->prepare(c->prepare_cls, st, &c->job) : 0;
            if (pq < 0)
                return pq;
            c->job.prepared = pq;
            c->found = true;
            return 1;
        }
        c->dead_ids[c->ndead++] = c->job.id;               /* its last attempt's lease expired */
        int rq = lane_promote(st, c->job.lane, 1, c->now); /* one out, one in */
        fh_job_free(&c->job);
        if (rq < 0)
            return rq;
    }
    return 0;
}

enum fh_rc fh_job_claim(struct fh_store *st, const struct fh_queue_cfg *cfg,
                        const char *const *kinds, size_t nkinds, const char *owner, int64_t now,
                        struct fh_job *out)
{
    return fh_job_claim_prepared(st, cfg, kinds, nkinds, owner, now, NULL, NULL, out);
}

/* ctx for claiming one of kinds for owner at now; params holds 3 + nkinds parameters. */
static enum fh_rc claim_setup(struct fh_store *st, const struct fh_queue_cfg *cfg,
                              const char *const *kinds, size_t nkinds, const char *owner,
                              int64_t now, struct fh_param *params, struct claim_ctx *ctx)
{
    if (!str_ok(owner, MAX_OWNER_LEN) || (nkinds > 0 && !kinds))
        return FH_E_INPUT;
    if (!kinds)
        nkinds = 0;
    if (nkinds > MAX_CLAIM_KINDS)
        return FH_E_LIMIT;
    struct fh_queue_cfg c;
    fh_queue_cfg_effective(cfg, &c);
    bool pg = fh_store_backend(st) == FH_STORE_PG;
    params[0] = FH_PT(owner);
    params[1] = FH_PI(now);
    params[2] = FH_PI(now + c.lease_ms);
    for (size_t i = 0; i < nkinds; i++)
        params[3 + i] = FH_PT(kinds[i]);
    ctx->cfg = cfg;
    ctx->now = now;
    ctx->params = params;
    ctx->nparams = 3 + nkinds;
    ctx->sql_expired = claim_sql_cached(pg, true, nkinds);
    ctx->sql_ready = claim_sql_cached(pg, false, nkinds);
    return FH_OK;
}

static void log_dead(const struct claim_ctx *ctx)
{
    for (size_t i = 0; i < ctx->ndead; i++)
        fh_log(FH_LOG_WARN, "job_dead", "job %lld: lease expired on its last attempt",
               (long long)ctx->dead_ids[i]);
}

enum fh_rc fh_job_claim_prepared(struct fh_store *st, const struct fh_queue_cfg *cfg,
                                 const char *const *kinds, size_t nkinds, const char *owner,
                                 int64_t now, fh_job_prepare prepare, void *prepare_cls,
                                 struct fh_job *out)
{
    struct fh_param params[3 + MAX_CLAIM_KINDS];
    struct claim_ctx ctx = {.prepare = prepare, .prepare_cls = prepare_cls};
    enum fh_rc rc = claim_setup(st, cfg, kinds, nkinds, owner, now, params, &ctx);
    if (rc != FH_OK)
        return rc;
    rc = fh_qs_rc(fh_store_run_tx(st, claim_tx, &ctx));
    if (rc != FH_OK) {
        fh_job_free(&ctx.job);
        return rc;
    }
    log_dead(&ctx);
    if (!ctx.found)
        return FH_E_NOTFOUND;
    *out = ctx.job;
    return FH_OK;
}

/* In the caller's transaction: the claimer's next job into cl->next (id 0: none due). */
static int claim_next(struct fh_store *st, struct fh_job_claimer *cl, int64_t now)
{
    fh_job_free(&cl->next);
    struct fh_param params[3 + MAX_CLAIM_KINDS];
    struct claim_ctx ctx = {.prepare = cl->prepare, .prepare_cls = cl->prepare_cls};
    if (claim_setup(st, cl->cfg, cl->kinds, cl->nkinds, cl->owner, now, params, &ctx) != FH_OK)
        return 0;
    int qs = claim_tx(st, &ctx);
    if (qs < 0) {
        fh_job_free(&ctx.job);
        return qs;
    }
    log_dead(&ctx);
    if (ctx.found)
        cl->next = ctx.job;
    return 0;
}

/* ---- outcome of a run ---- */

enum fh_rc fh_job_heartbeat(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                            const char *owner, int64_t now)
{
    if (!str_ok(owner, MAX_OWNER_LEN))
        return FH_E_INPUT;
    struct fh_queue_cfg c;
    fh_queue_cfg_effective(cfg, &c);
    struct fh_param p[] = {FH_PI(id), FH_PT(owner), FH_PI(now + c.lease_ms), FH_PI(now)};
    int qs = exec_write(st,
                        "UPDATE jobs SET lease_until = $3, updated_at = $4 "
                        "WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                        p, FH_ARRAY_LEN(p));
    if (qs == 0)
        return FH_E_CONFLICT;
    return fh_qs_rc(qs);
}

/* A job that left its lane's window (by sql, whose parameters are p and which returns the lane
 * of the row it changed): the lane's oldest held job gets its turn, in the same transaction (one
 * out, one in: admission keeps the window, so a departure frees one turn). Returns sql's result
 * (rows changed), or a negative qs. */
static int leave_window(struct fh_store *st, const char *sql, const struct fh_param *p, size_t np,
                        int64_t now)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, np, &rows);
    const char *lane = qs > 0 ? fh_rows_get(&rows, 0, 0) : NULL;
    int rq = lane_promote(st, lane, 1, now);
    fh_rows_free(&rows);
    return rq < 0 ? rq : qs;
}

#define COMPLETE_SQL                                                                               \
    "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = $3 "                         \
    "WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING lane"

struct leave_ctx {
    const char *sql;
    const struct fh_param *p;
    size_t np;
    int64_t now;
};

static int leave_tx(struct fh_store *st, void *cls)
{
    struct leave_ctx *c = cls;
    return leave_window(st, c->sql, c->p, c->np, c->now);
}

/* leave_window in a transaction of its own (or the caller's); 0 rows: FH_E_CONFLICT. */
static enum fh_rc leave_write(struct fh_store *st, const char *sql, const struct fh_param *p,
                              size_t np, int64_t now)
{
    struct leave_ctx c = {.sql = sql, .p = p, .np = np, .now = now};
    int qs = fh_store_run_tx(st, leave_tx, &c);
    if (qs == 0)
        return FH_E_CONFLICT;
    return fh_qs_rc(qs);
}

enum fh_rc fh_job_complete(struct fh_store *st, int64_t id, const char *owner, int64_t now)
{
    if (!str_ok(owner, MAX_OWNER_LEN))
        return FH_E_INPUT;
    struct fh_param p[] = {FH_PI(id), FH_PT(owner), FH_PI(now)};
    return leave_write(st, COMPLETE_SQL, p, FH_ARRAY_LEN(p), now);
}

int fh_job_complete_tx(struct fh_store *st, const struct fh_job *job, int64_t now)
{
    if (!str_ok(job->lease_owner, MAX_OWNER_LEN))
        return FH_QS_HARD;
    struct fh_param p[] = {FH_PI(job->id), FH_PT(job->lease_owner), FH_PI(now)};
    int qs = leave_window(st, COMPLETE_SQL, p, FH_ARRAY_LEN(p), now);
    if (qs == 1 && job->claimer) { /* the worker's next job, in the same commit */
        int nq = claim_next(st, job->claimer, now);
        if (nq < 0)
            return nq;
    }
    return qs;
}

/* Delay before the attempt after failed attempt number attempts (1-based). */
static int64_t backoff_ms(const struct fh_queue_cfg *c, int attempts)
{
    int64_t d = c->backoff_base_ms;
    for (int i = 1; i < attempts && d < c->backoff_max_ms && d <= INT64_MAX / 2; i++)
        d *= 2;
    if (d > c->backoff_max_ms)
        d = c->backoff_max_ms;
    int64_t spread = d / 2; /* the jitter window: [d - d/4, d - d/4 + d/2] */
    if (spread > UINT32_MAX - 1)
        spread = UINT32_MAX - 1;
    return d - d / 4 + (int64_t)fh_random_uniform((uint32_t)spread + 1);
}

struct fail_ctx {
    const struct fh_queue_cfg *cfg;
    int64_t id, now;
    const char *owner, *error;
    bool retryable;
    bool dead, conflict;
};

static int fail_tx(struct fh_store *st, void *cls)
{
    struct fail_ctx *c = cls;
    struct fh_param k[] = {FH_PI(c->id), FH_PT(c->owner)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        fh_store_sql(st,
                     "SELECT attempts, max_attempts, run_at FROM jobs "
                     "WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                     "SELECT attempts, max_attempts, run_at FROM jobs "
                     "WHERE id = $1 AND lease_owner = $2 AND state = 'running' FOR UPDATE"),
        k, FH_ARRAY_LEN(k), &rows);
    c->conflict = qs == 0;
    if (qs <= 0) {
        fh_rows_free(&rows);
        return qs;
    }
    int attempts = (int)fh_rows_i64(&rows, 0, 0, 0);
    int max_attempts = (int)fh_rows_i64(&rows, 0, 1, 0);
    int64_t run_at = fh_rows_i64(&rows, 0, 2, c->now);
    fh_rows_free(&rows);
    c->dead = !c->retryable || attempts >= max_attempts;
    if (!c->dead)
        run_at = c->now + backoff_ms(c->cfg, attempts);
    char err[MAX_ERROR_LEN + 1];
    fh_strlcpy(err, c->error && c->error[0] ? c->error : "failed", sizeof(err));
    struct fh_param p[] = {FH_PI(c->id),
                           FH_PT(c->owner),
                           FH_PT(c->dead ? "dead" : "ready"),
                           FH_PI(run_at),
                           {.type = FH_P_TEXT, .text = err},
                           FH_PI(c->now)};
    qs = leave_window(st,
                      "UPDATE jobs SET state = $3, run_at = $4, last_error = $5, "
                      "lease_until = NULL, updated_at = $6 "
                      "WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING lane",
                      p, FH_ARRAY_LEN(p), c->now);
    return qs == 0 ? FH_QS_HARD : qs; /* the row is ours (locked): 0 cannot happen */
}

enum fh_rc fh_job_fail(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                       const char *owner, const char *error, bool retryable, int64_t now,
                       bool *dead)
{
    if (!str_ok(owner, MAX_OWNER_LEN))
        return FH_E_INPUT;
    struct fh_queue_cfg c;
    fh_queue_cfg_effective(cfg, &c);
    struct fail_ctx ctx = {
        .cfg = &c, .id = id, .now = now, .owner = owner, .error = error, .retryable = retryable};
    enum fh_rc rc = fh_qs_rc(fh_store_run_tx(st, fail_tx, &ctx));
    if (rc != FH_OK)
        return rc;
    if (ctx.conflict)
        return FH_E_CONFLICT;
    if (dead)
        *dead = ctx.dead;
    return FH_OK;
}

enum fh_rc fh_job_release(struct fh_store *st, int64_t id, const char *owner, int64_t run_at,
                          const char *reason, int64_t now)
{
    if (!str_ok(owner, MAX_OWNER_LEN))
        return FH_E_INPUT;
    char why[MAX_ERROR_LEN + 1];
    fh_strlcpy(why, reason && reason[0] ? reason : "deferred", sizeof(why));
    struct fh_param p[] = {
        FH_PI(id), FH_PT(owner), FH_PI(run_at), {.type = FH_P_TEXT, .text = why}, FH_PI(now)};
    return leave_write(st,
                       "UPDATE jobs SET state = 'ready', run_at = $3, last_error = $4, "
                       "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                       "lease_until = NULL, updated_at = $5 "
                       "WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING lane",
                       p, FH_ARRAY_LEN(p), now);
}

enum fh_rc fh_job_wake(struct fh_store *st, int64_t id, const char *kind, int64_t run_at,
                       int64_t now)
{
    struct fh_param p[] = {FH_PI(id), FH_PI(now), FH_PI(run_at < now ? run_at : now),
                           FH_PI(HELD_AT), FH_PT(kind)};
    int qs = exec_write(st,
                        kind ? "UPDATE jobs SET run_at = $3, updated_at = $2 WHERE id = $1 AND "
                               "state = 'ready' AND run_at > $2 AND run_at < $4 AND kind = $5"
                             : "UPDATE jobs SET run_at = $3, updated_at = $2 WHERE id = $1 AND "
                               "state = 'ready' AND run_at > $2 AND run_at < $4",
                        p, kind ? 5 : 4);
    return fh_qs_found_rc(qs);
}

struct revive_ctx {
    const struct fh_queue_cfg *cfg;
    int64_t id, now;
};

static int revive_tx(struct fh_store *st, void *cls)
{
    struct revive_ctx *c = cls;
    struct fh_param k[] = {FH_PI(c->id)};
    struct fh_rows rows;
    int qs =
        fh_store_exec(st, "SELECT lane FROM jobs WHERE id = $1 AND state = 'dead'", k, 1, &rows);
    int64_t run_at = c->now;
    if (qs > 0)
        qs = lane_admit(st, c->cfg, fh_rows_get(&rows, 0, 0), c->now, c->now, &run_at);
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(c->now), FH_PI(run_at)};
    return fh_store_exec(st,
                         "UPDATE jobs SET state = 'ready', attempts = 0, run_at = $3, "
                         "lease_until = NULL, updated_at = $2 WHERE id = $1 AND state = 'dead'",
                         p, FH_ARRAY_LEN(p), NULL);
}

enum fh_rc fh_job_retry_dead(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                             int64_t now)
{
    struct fh_queue_cfg c;
    fh_queue_cfg_effective(cfg, &c);
    struct revive_ctx ctx = {.cfg = &c, .id = id, .now = now};
    int qs = fh_store_run_tx(st, revive_tx, &ctx);
    return fh_qs_found_rc(qs);
}

/* ---- reads ---- */

static enum fh_rc get_one(struct fh_store *st, const char *sql, struct fh_param p,
                          struct fh_job *out)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, &p, 1, &rows);
    if (qs > 0)
        job_from_row(&rows, 0, out);
    fh_rows_free(&rows);
    return fh_qs_found_rc(qs);
}

enum fh_rc fh_job_get(struct fh_store *st, int64_t id, struct fh_job *out)
{
    return get_one(st, "SELECT " JOB_COLS " FROM jobs WHERE id = $1", FH_PI(id), out);
}

enum fh_rc fh_job_get_by_key(struct fh_store *st, const char *ukey, struct fh_job *out)
{
    if (!ukey)
        return FH_E_INPUT;
    return get_one(st, "SELECT " JOB_COLS " FROM jobs WHERE ukey = $1", FH_PT(ukey), out);
}

enum fh_rc fh_queue_depth(struct fh_store *st, int64_t now, struct fh_queue_depth *out)
{
    struct fh_param p[] = {FH_PI(now), FH_PI(HELD_AT)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT state, COUNT(*), SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END), "
                           "SUM(CASE WHEN run_at = $2 THEN 1 ELSE 0 END) FROM jobs GROUP BY state",
                           p, FH_ARRAY_LEN(p), &rows);
    if (qs < 0)
        return fh_qs_rc(qs);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < rows.nrows; i++) {
        const char *state = fh_rows_get(&rows, i, 0);
        int64_t n = fh_rows_i64(&rows, i, 1, 0);
        if (!state)
            continue;
        if (strcmp(state, "ready") == 0) {
            out->ready = n;
            out->due_ready = fh_rows_i64(&rows, i, 2, 0);
            out->held = fh_rows_i64(&rows, i, 3, 0);
        } else if (strcmp(state, "running") == 0) {
            out->running = n;
        } else if (strcmp(state, "done") == 0) {
            out->done = n;
        } else if (strcmp(state, "dead") == 0) {
            out->dead = n;
        }
    }
    fh_rows_free(&rows);
    return FH_OK;
}
