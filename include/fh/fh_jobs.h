/* fh_jobs.h - the durable job queue, the runner (worker threads) and the scheduler.
 *
 * A job is a row (kind, unique key, JSON payload, run_at, attempts, lease). Enqueueing with a
 * key that already exists is a no-op, so "one job per source invoice" is a unique key. Workers
 * claim a due job with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED); a worker that dies leaves
 * the lease to expire and the job is claimed again, so every handler must be safe to re-run.
 * A failed attempt is retried after an exponential backoff with jitter; after max_attempts the
 * job is dead (dead-lettered) with its last error kept. Periodic jobs are rows in `schedules`
 * that the scheduler turns into ordinary jobs when due (key = name + slot time, so several
 * schedulers never enqueue the same run twice).
 *
 * Every `now` below is Unix ms from the caller (the runner passes fh_now_ms()); the store's clock
 * is never used. A cfg argument may be NULL, and fields left at 0 take the defaults. The design
 * (claim order, lease-expiry policy, backoff) is described at the top of src/jobs/queue.c. */
#ifndef FH_JOBS_H
#define FH_JOBS_H

#include "fh/fh_store.h"

enum fh_job_state { FH_JOB_READY, FH_JOB_RUNNING, FH_JOB_DONE, FH_JOB_DEAD };

struct fh_job_claimer;

struct fh_job {
    int64_t id;
    char *kind;
    char *ukey;    /* may be NULL */
    char *payload; /* JSON text, never NULL ("{}" when empty) */
    int attempts;  /* including the current one once claimed */
    int max_attempts;
    int64_t run_at;
    int64_t lease_until; /* 0 unless running */
    char *lease_owner; /* the current owner while running, else the last one (NULL if never run) */
    char *last_error;  /* may be NULL; kept when the job is retried or revived */
    enum fh_job_state state;
    char *lane;   /* may be NULL (see struct fh_enqueue) */
    int prepared; /* what the kind's prepare hook returned when it was claimed (0: no hook) */
    /* Set by the runner on the job it runs (else NULL): fh_job_complete_tx claims the worker's
     * next job with it, in the same transaction. */
    struct fh_job_claimer *claimer;
};
void fh_job_free(struct fh_job *job); /* frees the members, not the struct */

/* run_at of a ready job waiting for its lane's turn (see struct fh_enqueue): never due (the year
 * 128,000). */
#define FH_JOB_HELD_AT INT64_C(4000000000000000)

struct fh_enqueue {
    const char *kind;
    const char *ukey;    /* NULL: no uniqueness */
    const char *payload; /* NULL: "{}" */
    int64_t run_at;      /* 0: now */
    int max_attempts;    /* 0: the configured default */
    /* NULL: none. Jobs of one lane (an organization's fiscalizations) take turns with other
     * lanes': at most lane_window of them are due or running at once, the others wait their
     * turn in submission order and join the queue's tail as earlier ones end (queue.c). */
    const char *lane;
};

struct fh_queue_cfg {
    int default_max_attempts; /* default 8 */
    int64_t lease_ms;         /* default 60000 */
    int64_t backoff_base_ms; /* default 1000: delay = base * 2^(attempts-1), capped, +-25% jitter */
    int64_t backoff_max_ms;  /* default 3600000 */
    int lane_window;         /* default 16: a lane's jobs due or running at once */
};
void fh_queue_cfg_defaults(struct fh_queue_cfg *cfg);
/* Copies cfg (NULL: defaults) into out, with defaults for fields left at zero or below (and the
 * lane window capped): what every queue function applies to the configuration it is given. */
void fh_queue_cfg_effective(const struct fh_queue_cfg *cfg, struct fh_queue_cfg *out);

/* Inserts a job; *created (may be NULL) tells whether a new row was made (false: the key
 * existed, the row is left as it was and *id is its id). Joins the caller's transaction when
 * called inside fh_store_run_tx. FH_E_INPUT for an empty kind or key, FH_E_LIMIT past the bounds
 * (kind 64 bytes, key 256, payload 256 KiB). */
enum fh_rc fh_job_enqueue(struct fh_store *st, const struct fh_queue_cfg *cfg,
                          const struct fh_enqueue *e, bool *created, int64_t *id);
/* Claims the next due job (ready and run_at <= now, or running with an expired lease) of one of
 * the nkinds kinds (kinds NULL: any kind; at most 64 kinds) for owner, setting the lease and
 * incrementing attempts. Expired leases go first, then ready jobs by (run_at, id). A job whose
 * lease expired on its last attempt is not run again: the claim moves it to dead ("lease expired
 * on the last of N attempts") and takes the next job. FH_E_NOTFOUND when none is due. On success
 * the caller owns out's members (fh_job_free). */
enum fh_rc fh_job_claim(struct fh_store *st, const struct fh_queue_cfg *cfg,
                        const char *const *kinds, size_t nkinds, const char *owner, int64_t now,
                        struct fh_job *out);
/* A prepare hook runs inside the transaction that claims job, after the claim, so that the
 * first writes of a run commit with the claim instead of in a transaction of their own. It may
 * write; it returns a value >= 0, kept in job->prepared for the handler, or a negative qs, which
 * rolls the claim back (FH_QS_SOFT: the claim is tried again at once). A job it cannot prepare
 * must be left to the handler (return 0), never fail the claim: that job would come first at
 * every claim. It must not call out of the process. */
typedef int (*fh_job_prepare)(void *cls, struct fh_store *st, struct fh_job *job);
/* fh_job_claim with prepare (may be NULL) run on the claimed job in the same transaction. */
enum fh_rc fh_job_claim_prepared(struct fh_store *st, const struct fh_queue_cfg *cfg,
                                 const char *const *kinds, size_t nkinds, const char *owner,
                                 int64_t now, fh_job_prepare prepare, void *prepare_cls,
                                 struct fh_job *out);
/* How a worker claims (the arguments of fh_job_claim_prepared), and the next job it claimed
 * when a handler's fh_job_complete_tx completed the current one (next.id 0: none). The claim
 * of next is part of the handler's transaction: it holds only if that transaction committed,
 * which a handler says by returning FH_DONE. */
struct fh_job_claimer {
    const struct fh_queue_cfg *cfg;
    const char *const *kinds;
    size_t nkinds;
    const char *owner;
    fh_job_prepare prepare;
    void *prepare_cls;
    struct fh_job next; /* owned */
};
/* Extends the lease of a running job still held by owner. FH_E_CONFLICT if lost. */
enum fh_rc fh_job_heartbeat(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                            const char *owner, int64_t now);
/* Marks done; FH_E_CONFLICT if owner no longer holds the lease. */
enum fh_rc fh_job_complete(struct fh_store *st, int64_t id, const char *owner, int64_t now);
/* Marks a claimed job done inside the caller's transaction (run by fh_store_run_tx), so that a
 * handler's result and the end of its job commit together, in one transaction instead of two.
 * Returns 1 when done; 0 when job->lease_owner no longer holds the job (its lease was lost and
 * another run may own it: the caller's own writes stand or fall on their own); else a negative
 * qs. A handler whose transaction committed after 1 returns FH_DONE (see fh_job_handler). With
 * job->claimer set (the runner's jobs), a done job is followed by the claim of the worker's next
 * job in the same transaction (job->claimer->next). */
int fh_job_complete_tx(struct fh_store *st, const struct fh_job *job, int64_t now);
/* Records a failed attempt: back to ready after backoff, or dead when attempts are exhausted
 * or retryable is false. *dead (may be NULL) tells which. */
enum fh_rc fh_job_fail(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                       const char *owner, const char *error, bool retryable, int64_t now,
                       bool *dead);
/* Puts a running job back to ready at run_at without spending an attempt (the claim's count is
 * given back), with reason as last_error: a handler that cannot start its work yet (its
 * endpoint is busy) and returns FH_LATER. The same row waits, so fh_job_wake can bring it
 * forward (fh_job_defer of fh_connector.h instead queues a successor with a new payload).
 * FH_E_CONFLICT if owner no longer holds the job. */
enum fh_rc fh_job_release(struct fh_store *st, int64_t id, const char *owner, int64_t run_at,
                          const char *reason, int64_t now);
/* Makes a ready job of kind (NULL: any) due at once, not later than now: it runs at run_at (<=
 * now; a smaller run_at puts it ahead of the jobs already due, which claims take oldest first).
 * For a deferred job whose wait ended early; a job held for its lane's turn stays held. Joins the
 * caller's transaction. FH_E_NOTFOUND when there is no such job waiting (it ran meanwhile). */
enum fh_rc fh_job_wake(struct fh_store *st, int64_t id, const char *kind, int64_t run_at,
                       int64_t now);
/* Puts a dead job back to ready at now with attempts reset (user-initiated retry); a lane's job
 * waits for its lane's turn like a new one. FH_E_NOTFOUND when no dead job has that id. */
enum fh_rc fh_job_retry_dead(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t id,
                             int64_t now);
/* Lets waiting jobs of every lane whose window has room take their turn (the queue does this
 * whenever a lane's job ends; this catches what ended otherwise, e.g. a window made larger).
 * *promoted (may be NULL) counts them. */
enum fh_rc fh_job_lanes_refill(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t now,
                               int *promoted);
enum fh_rc fh_job_get(struct fh_store *st, int64_t id, struct fh_job *out);
enum fh_rc fh_job_get_by_key(struct fh_store *st, const char *ukey, struct fh_job *out);
/* Counts by state (metrics: queue depth). due_ready counts ready jobs with run_at <= now, held
 * the ready jobs waiting for their lane's turn. */
struct fh_queue_depth {
    int64_t ready, due_ready, held, running, done, dead;
};
enum fh_rc fh_queue_depth(struct fh_store *st, int64_t now, struct fh_queue_depth *out);

/* ---- scheduler ---- */
/* Declares a periodic job first due at first_run_at (0: now), or updates an existing one's kind,
 * payload and interval: it keeps its next run (so re-declaring at every start does not fire it),
 * except that a shorter interval pulls the next run in to (last run + new interval).
 * FH_E_INPUT for an empty name (max 100 bytes) or kind, or interval_ms <= 0. */
enum fh_rc fh_schedule_upsert(struct fh_store *st, const char *name, const char *kind,
                              const char *payload, int64_t interval_ms, int64_t first_run_at);
/* Enqueues every schedule that is due at now and advances its next run; returns the number of
 * jobs enqueued in *count. Work per tick grows with due schedules, not with all schedules.
 * One job per schedule per tick, for the latest slot <= now (key "sched:<name>:<slot ms>");
 * missed slots are skipped, not enqueued as a backlog. */
enum fh_rc fh_scheduler_tick(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t now,
                             int *count);

/* ---- runner ---- */
/* A handler runs one claimed job. Return FH_OK (done), FH_DONE (done, and already recorded
 * with fh_job_complete_tx in the handler's own transaction), FH_LATER (put back with
 * fh_job_release, no attempt spent), FH_E_RETRY (retry later with err set), or any other failure
 * (dead at once, err set). err is a caller-provided buffer; its text is
 * logged and stored as last_error, so it must not contain payload data. The runner extends the
 * lease while the handler runs, so a handler must bound its own time (outbound timeouts):
 * one that hangs holds its job for as long as the process lives. Handlers run concurrently on
 * the worker threads and must be safe to re-run (a lost lease runs a job again). */
typedef enum fh_rc (*fh_job_handler)(void *cls, struct fh_store *st, const struct fh_job *job,
                                     char *err, size_t errsize);
struct fh_job_kind {
    const char *kind;
    fh_job_handler handler;
    void *cls;
    fh_job_prepare prepare; /* optional: run in the claiming transaction (cls as above) */
    /* Also run by the runner's reserved workers, which run nothing else: work that must not
     * wait behind other kinds' slow jobs (fiscalization behind a customer's hanging endpoint). */
    bool reserved;
    /* The longest retry delay of this kind (0: the runner's backoff_max_ms; the shorter wins). */
    int64_t backoff_max_ms;
};
/* Outcome counters for /metrics, counted after the store recorded the outcome; lost_lease: the
 * job was claimed by another owner meanwhile, so this run's result was discarded. */
struct fh_job_outcomes {
    uint64_t done, retried, dead, lost_lease, deferred;
};

struct fh_runner;
/* Starts nthreads workers that run every kind, nreserved more that run only the kinds marked
 * reserved (and, when with_scheduler, one scheduler thread ticking every tick_ms, 0: 1000), over
 * the given kinds (array and kind names copied; cls borrowed). Claims only kinds in the table.
 * A heartbeat thread extends the leases of running jobs every lease_ms / 3. Both counts may be
 * 0 for a scheduler-only runner. FH_E_INPUT / FH_E_LIMIT for bad arguments (more than 256
 * threads or 64 kinds; reserved workers without a reserved kind). The store must outlive the
 * runner. */
enum fh_rc fh_runner_start(struct fh_store *st, const struct fh_queue_cfg *cfg,
                           const struct fh_job_kind *kinds, size_t nkinds, int nthreads,
                           int nreserved, bool with_scheduler, int64_t tick_ms,
                           struct fh_runner **out);
/* Stops claiming and scheduling at once (sleeping threads are woken), waits for running
 * handlers to finish (their leases still extended), joins the threads, frees. NULL is a no-op. */
void fh_runner_stop(struct fh_runner *r);
void fh_runner_outcomes(struct fh_runner *r, struct fh_job_outcomes *out);

#endif
