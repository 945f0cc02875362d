/* runner.c - worker threads that run claimed jobs, a heartbeat thread that keeps their leases,
 * and an optional scheduler thread.
 *
 * Workers come in two sets: the general ones claim every kind; the reserved ones claim only the
 * kinds marked reserved, so that such work (fiscalization) never waits behind a queue of other
 * kinds' jobs that each hold a worker for a long call (a customer's endpoint that does not
 * answer, a partner's API that hangs). A reserved kind is claimed by both sets.
 *
 * Each worker has its own owner id (host:pid:w<n>:<random>, unique across restarts and hosts)
 * and loops: claim a due job of the registered kinds (running the kind's prepare hook, if any, in
 * the claiming transaction) -> run its handler -> complete, or fail (FH_E_RETRY: retried after
 * backoff; FH_LATER: the handler put the job back itself, no attempt spent; any other failure:
 * dead at once). A handler that returns
 * FH_DONE has completed the job in its own transaction with its result (fh_job_complete_tx),
 * and the runner records nothing more; that transaction also claimed the worker's next job
 * (struct fh_job_claimer), which the worker runs next without a claim of its own. When nothing is
 * due it sleeps POLL_MS on a condition variable, which fh_runner_stop() and the scheduler thread
 * (after enqueueing) broadcast, so stopping never waits out a poll interval.
 *
 * Leases: while a handler runs, the heartbeat thread extends its lease every lease_ms / 3, so a
 * handler may run longer than one lease without being claimed by another worker; a worker that
 * dies stops heartbeating and its lease expires. A handler that hangs therefore holds its job
 * as long as the process lives: handlers must bound their own work (every outbound call has a
 * timeout). A worker whose job was claimed by someone else anyway (its heartbeats were late,
 * e.g. the store was unreachable for a lease) gets FH_E_CONFLICT on complete/fail; the result
 * is discarded and counted as lost_lease.
 *
 * Stopping: stop claiming and scheduling, let running handlers finish (their leases still
 * heartbeated), join the workers, then the heartbeat thread.
 *
 * Logs never carry payloads (they may hold private ids): a failure is logged with the job's id,
 * kind, attempt and the handler's error text, which handlers must keep free of payload data.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fh/fh_crypto.h"
#include "fh/fh_jobs.h"

enum {
    POLL_MS = 150,
    LANES_REFILL_MS = 10000, /* the scheduler thread's fh_job_lanes_refill */
    STORE_DOWN_PAUSE_MS = 1000,
    MAX_THREADS = 256,
    MAX_KINDS = 64,
    ERR_SIZE = 512,
};

struct worker {
    struct fh_runner *r;
    pthread_t thread;
    int index;
    bool reserved;
    char owner[160];
    _Atomic int64_t current; /* id of the job being run, 0 when idle (read by the heartbeat) */
};

struct fh_runner {
    struct fh_store *st;
    struct fh_queue_cfg cfg;
    struct fh_job_kind *kinds;
    const char **names;    /* every kind */
    const char **reserved; /* the reserved kinds */
    size_t nkinds, nreserved_kinds;
    struct worker *workers;
    int nstarted;
    bool with_scheduler, sched_started, hb_started;
    int64_t tick_ms;
    pthread_t sched_thread, hb_thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;    /* under lock: workers and scheduler stop */
    bool hb_stopping; /* under lock: the heartbeat stops (after the workers are joined) */
    atomic_uint_fast64_t done, retried, dead, lost_lease, deferred;
};

/* Waits up to ms, or until *flag is set; with early, also returns on the first broadcast.
 * Returns false when *flag is set. */
static bool nap(struct fh_runner *r, const bool *flag, int64_t ms, bool early)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (!*flag) {
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) != 0 || early)
            break;
    }
    bool go_on = !*flag;
    pthread_mutex_unlock(&r->lock);
    return go_on;
}

static bool flag_get(struct fh_runner *r, const bool *flag)
{
    pthread_mutex_lock(&r->lock);
    bool v = *flag;
    pthread_mutex_unlock(&r->lock);
    return v;
}

static void wake_all(struct fh_runner *r)
{
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static const struct fh_job_kind *find_kind(const struct fh_runner *r, const char *kind)
{
    for (size_t i = 0; i < r->nkinds; i++)
        if (strcmp(r->kinds[i].kind, kind) == 0)
            return &r->kinds[i];
    return NULL;
}

/* Records the handler's result; counts the outcome. */
static void finish_job(struct worker *w, const struct fh_job *job, enum fh_rc hrc, char *err)
{
    struct fh_runner *r = w->r;
    int64_t now = fh_now_ms();
    enum fh_rc rc;
    bool dead = false;
    if (hrc == FH_DONE) { /* the handler's own transaction completed the job */
        atomic_fetch_add(&r->done, 1);
        return;
    }
    if (hrc == FH_LATER) { /* the handler put it back (fh_job_release) */
        atomic_fetch_add(&r->deferred, 1);
        return;
    }
    if (hrc == FH_OK) {
        rc = fh_job_complete(r->st, job->id, w->owner, now);
    } else {
        if (!err[0])
            snprintf(err, ERR_SIZE, "handler failed (rc %d)", (int)hrc);
        struct fh_queue_cfg cfg = r->cfg;
        const struct fh_job_kind *k = find_kind(r, job->kind);
        if (k && k->backoff_max_ms > 0 && k->backoff_max_ms < cfg.backoff_max_ms)
            cfg.backoff_max_ms = k->backoff_max_ms;
        rc = fh_job_fail(r->st, &cfg, job->id, w->owner, err, hrc == FH_E_RETRY, now, &dead);
    }
    if (rc == FH_E_CONFLICT) {
        atomic_fetch_add(&r->lost_lease, 1);
        fh_log(FH_LOG_WARN, "job_lost_lease",
               "job %lld (%s): lease lost during the run; result discarded", (long long)job->id,
               job->kind);
        return;
    }
    if (rc != FH_OK) {
        fh_log(FH_LOG_ERROR, "job_record",
               "job %lld (%s): could not record the outcome; it runs again after its lease",
               (long long)job->id, job->kind);
        return;
    }
    if (hrc == FH_OK) {
        atomic_fetch_add(&r->done, 1);
        return;
    }
    atomic_fetch_add(dead ? &r->dead : &r->retried, 1);
    fh_log(dead ? FH_LOG_ERROR : FH_LOG_WARN, dead ? "job_dead" : "job_retry",
           "job %lld (%s) attempt %d/%d failed%s: %s", (long long)job->id, job->kind, job->attempts,
           job->max_attempts, dead ? ", dead" : ", will retry", err);
}

/* The claimed job's prepare hook, if its kind has one (fh_job_prepare). */
static int prepare_job(void *cls, struct fh_store *st, struct fh_job *job)
{
    const struct fh_job_kind *k = find_kind(cls, job->kind);
    return k && k->prepare ? k->prepare(k->cls, st, job) : 0;
}

/* Runs job's handler and records its outcome; returns the handler's result. */
static enum fh_rc run_job(struct worker *w, const struct fh_job *job)
{
    char err[ERR_SIZE] = "";
    const struct fh_job_kind *k = find_kind(w->r, job->kind);
    atomic_store(&w->current, job->id);
    enum fh_rc hrc;
    if (k) {
        hrc = k->handler(k->cls, w->r->st, job, err, sizeof(err));
        err[sizeof(err) - 1] = '\0';
    } else {
        hrc = FH_ERR;
        snprintf(err, sizeof(err), "no handler for this kind");
    }
    atomic_store(&w->current, 0);
    finish_job(w, job, hrc, err);
    return hrc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct fh_runner *r = w->r;
    bool store_down = false;
    const char **kinds = w->reserved ? r->reserved : r->names;
    size_t nkinds = w->reserved ? r->nreserved_kinds : r->nkinds;
    struct fh_job_claimer cl = {.cfg = &r->cfg,
                                .kinds = kinds,
                                .nkinds = nkinds,
                                .owner = w->owner,
                                .prepare = prepare_job,
                                .prepare_cls = r};
    /* a job claimed with the last one's end runs even when stopping: it is ours already */
    while (cl.next.id || !flag_get(r, &r->stopping)) {
        struct fh_job job = {0};
        enum fh_rc rc = FH_OK;
        if (cl.next.id) {
            job = cl.next;
            memset(&cl.next, 0, sizeof(cl.next));
        } else {
            rc = fh_job_claim_prepared(r->st, &r->cfg, kinds, nkinds, w->owner, fh_now_ms(),
                                       prepare_job, r, &job);
        }
        if (rc == FH_OK) {
            store_down = false;
            job.claimer = &cl;
            if (run_job(w, &job) != FH_DONE) /* next was claimed in a transaction that failed */
                fh_job_free(&cl.next);
            fh_job_free(&job);
        } else if (rc == FH_E_NOTFOUND) {
            store_down = false;
            nap(r, &r->stopping, POLL_MS, true);
        } else {
            if (!store_down)
                fh_log(FH_LOG_WARN, "job_claim", "worker %d cannot claim jobs (rc %d); retrying",
                       w->index, (int)rc);
            store_down = true;
            nap(r, &r->stopping, STORE_DOWN_PAUSE_MS, false);
        }
    }
    return NULL;
}

static void *heartbeat_main(void *arg)
{
    struct fh_runner *r = arg;
    int64_t every = r->cfg.lease_ms / 3 > 10 ? r->cfg.lease_ms / 3 : 10;
    while (nap(r, &r->hb_stopping, every, false)) {
        for (int i = 0; i < r->nstarted; i++) {
            struct worker *w = &r->workers[i];
            int64_t id = atomic_load(&w->current);
            if (id == 0)
                continue;
            enum fh_rc rc = fh_job_heartbeat(r->st, &r->cfg, id, w->owner, fh_now_ms());
            /* FH_E_CONFLICT also happens when the job finished meanwhile; the worker's own
             * complete/fail tells a real loss. */
            if (rc != FH_OK && rc != FH_E_CONFLICT)
                fh_log(FH_LOG_WARN, "job_heartbeat", "job %lld: lease not extended (rc %d)",
                       (long long)id, (int)rc);
        }
    }
    return NULL;
}

static void *scheduler_main(void *arg)
{
    struct fh_runner *r = arg;
    bool failing = false;
    int64_t refilled = 0;
    do {
        int n = 0;
        int64_t now = fh_now_ms();
        enum fh_rc rc = fh_scheduler_tick(r->st, &r->cfg, now, &n);
        if (rc != FH_OK && !failing)
            fh_log(FH_LOG_WARN, "scheduler_tick", "scheduler tick failed (rc %d)", (int)rc);
        failing = rc != FH_OK;
        if (rc == FH_OK && now - refilled >= LANES_REFILL_MS) {
            int promoted = 0;
            refilled = now;
            if (fh_job_lanes_refill(r->st, &r->cfg, now, &promoted) == FH_OK && promoted > 0)
                n += promoted;
        }
        if (n > 0)
            wake_all(r);
    } while (nap(r, &r->stopping, r->tick_ms, false));
    return NULL;
}

static void make_owner(struct worker *w)
{
    char host[64] = "host";
    if (gethostname(host, sizeof(host)) != 0)
        fh_strlcpy(host, "host", sizeof(host));
    host[sizeof(host) - 1] = '\0';
    char rnd[16];
    fh_random_token(6, rnd, sizeof(rnd));
    snprintf(w->owner, sizeof(w->owner), "%s:%ld:w%d:%s", host, (long)getpid(), w->index, rnd);
}

static enum fh_rc check_args(const struct fh_job_kind *kinds, size_t nkinds, int nthreads,
                             int nreserved, bool with_scheduler)
{
    if (nthreads < 0 || nreserved < 0 || nthreads > MAX_THREADS || nreserved > MAX_THREADS ||
        nthreads + nreserved > MAX_THREADS || nkinds > MAX_KINDS)
        return FH_E_LIMIT;
    if ((nthreads + nreserved == 0 && !with_scheduler) ||
        (nthreads + nreserved > 0 && nkinds == 0) || (nkinds > 0 && !kinds))
        return FH_E_INPUT;
    bool any_reserved = false;
    for (size_t i = 0; i < nkinds; i++) {
        if (!kinds[i].kind || !kinds[i].kind[0] || !kinds[i].handler)
            return FH_E_INPUT;
        any_reserved = any_reserved || kinds[i].reserved;
    }
    return nreserved > 0 && !any_reserved ? FH_E_INPUT : FH_OK;
}

static void runner_free(struct fh_runner *r)
{
    for (size_t i = 0; i < r->nkinds; i++)
        free((char *)r->kinds[i].kind);
    free(r->kinds);
    free(r->names);
    free(r->reserved);
    free(r->workers);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static struct fh_runner *runner_new(struct fh_store *st, const struct fh_queue_cfg *cfg,
                                    const struct fh_job_kind *kinds, size_t nkinds, int nthreads)
{
    struct fh_runner *r = fh_calloc(1, sizeof(*r));
    r->st = st;
    fh_queue_cfg_effective(cfg, &r->cfg); /* every field, so none is dropped */
    r->nkinds = nkinds;
    r->kinds = fh_calloc(nkinds + 1, sizeof(*r->kinds));
    r->names = fh_calloc(nkinds + 1, sizeof(*r->names));
    r->reserved = fh_calloc(nkinds + 1, sizeof(*r->reserved));
    for (size_t i = 0; i < nkinds; i++) {
        r->kinds[i] = kinds[i];
        r->kinds[i].kind = fh_strdup(kinds[i].kind);
        r->names[i] = r->kinds[i].kind;
        if (kinds[i].reserved)
            r->reserved[r->nreserved_kinds++] = r->kinds[i].kind;
    }
    r->workers = fh_calloc((size_t)nthreads + 1, sizeof(*r->workers));
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}

enum fh_rc fh_runner_start(struct fh_store *st, const struct fh_queue_cfg *cfg,
                           const struct fh_job_kind *kinds, size_t nkinds, int nthreads,
                           int nreserved, bool with_scheduler, int64_t tick_ms,
                           struct fh_runner **out)
{
    enum fh_rc rc = check_args(kinds, nkinds, nthreads, nreserved, with_scheduler);
    if (rc != FH_OK)
        return rc;
    struct fh_runner *r = runner_new(st, cfg, kinds, nkinds, nthreads + nreserved);
    r->with_scheduler = with_scheduler;
    r->tick_ms = tick_ms > 0 ? tick_ms : 1000;
    for (int i = 0; i < nthreads + nreserved; i++) {
        struct worker *w = &r->workers[i];
        w->r = r;
        w->index = i;
        w->reserved = i >= nthreads;
        make_owner(w);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            goto fail;
        r->nstarted++;
    }
    if (nthreads + nreserved > 0) {
        if (pthread_create(&r->hb_thread, NULL, heartbeat_main, r) != 0)
            goto fail;
        r->hb_started = true;
    }
    if (with_scheduler) {
        if (pthread_create(&r->sched_thread, NULL, scheduler_main, r) != 0)
            goto fail;
        r->sched_started = true;
    }
    *out = r;
    return FH_OK;
fail:
    fh_log(FH_LOG_ERROR, "runner_start", "cannot start a runner thread");
    fh_runner_stop(r);
    return FH_ERR;
}

void fh_runner_stop(struct fh_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (r->sched_started)
        pthread_join(r->sched_thread, NULL);
    for (int i = 0; i < r->nstarted; i++)
        pthread_join(r->workers[i].thread, NULL);
    pthread_mutex_lock(&r->lock);
    r->hb_stopping = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (r->hb_started)
        pthread_join(r->hb_thread, NULL);
    runner_free(r);
}

void fh_runner_outcomes(struct fh_runner *r, struct fh_job_outcomes *out)
{
    out->done = atomic_load(&r->done);
    out->retried = atomic_load(&r->retried);
    out->dead = atomic_load(&r->dead);
    out->lost_lease = atomic_load(&r->lost_lease);
    out->deferred = atomic_load(&r->deferred);
}
