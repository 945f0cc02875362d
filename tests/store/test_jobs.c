/* test_jobs.c - the job queue, scheduler and runner on the store given by DATABASE_URL (default:
 * a fresh SQLite file in /tmp). Every test starts from empty tables. Times are passed in
 * explicitly wherever the API takes `now`, so lease expiry and backoff need no sleeping. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HARNESS_SUITE "jobs"
#include "harness.h"

#include "fh/fh_crypto.h"
#include "fh/fh_jobs.h"


/* ---- helpers ---- */

static int64_t count_rows(const char *sql, const char *arg)
{
    struct fh_param p[] = {FH_PT(arg)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, arg ? 1 : 0, &rows);
    assert_int_equal(qs, 1);
    int64_t n = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return n;
}

static int64_t enqueue(const char *kind, const char *ukey, int64_t run_at, int max_attempts)
{
    struct fh_enqueue e = {
        .kind = kind, .ukey = ukey, .run_at = run_at, .max_attempts = max_attempts};
    bool created = false;
    int64_t id = 0;
    assert_int_equal(fh_job_enqueue(st, NULL, &e, &created, &id), FH_OK);
    assert_true(created);
    return id;
}

static int64_t claim_id(const struct fh_queue_cfg *cfg, const char *const *kinds, size_t n,
                        const char *owner, int64_t now)
{
    struct fh_job job = {0};
    enum fh_rc rc = fh_job_claim(st, cfg, kinds, n, owner, now, &job);
    if (rc == FH_E_NOTFOUND)
        return 0;
    assert_int_equal(rc, FH_OK);
    int64_t id = job.id;
    fh_job_free(&job);
    return id;
}

/* Polls the queue until done and dead reach the wanted counts; false on timeout. */
static bool wait_for(int64_t done, int64_t dead, int64_t timeout_ms)
{
    int64_t until = fh_mono_ms() + timeout_ms;
    while (fh_mono_ms() < until) {
        struct fh_queue_depth d;
        assert_int_equal(fh_queue_depth(st, fh_now_ms(), &d), FH_OK);
        if (d.done >= done && d.dead >= dead)
            return d.done == done && d.dead == dead;
        fh_sleep_ms(20);
    }
    return false;
}

/* Outcomes of runners r[0..n): the counters are bumped just after the store write, so poll until
 * they add up to total (or 10 s pass); returns the sum. */
static struct fh_job_outcomes outcomes_when(struct fh_runner **r, size_t n, uint64_t total)
{
    struct fh_job_outcomes sum;
    int64_t until = fh_mono_ms() + 10000;
    for (;;) {
        memset(&sum, 0, sizeof(sum));
        for (size_t i = 0; i < n; i++) {
            struct fh_job_outcomes o;
            fh_runner_outcomes(r[i], &o);
            sum.done += o.done;
            sum.retried += o.retried;
            sum.dead += o.dead;
            sum.lost_lease += o.lost_lease;
            sum.deferred += o.deferred;
        }
        if (sum.done + sum.retried + sum.dead + sum.lost_lease + sum.deferred >= total ||
            fh_mono_ms() > until)
            return sum;
        fh_sleep_ms(5);
    }
}

/* ---- enqueue ---- */

static void test_enqueue_same_key_is_noop(void **state)
{
    FH_UNUSED(state);
    struct fh_enqueue e = {.kind = "fiscalize", .ukey = "inv:1", .payload = "{\"a\":1}"};
    bool created = false;
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(fh_job_enqueue(st, NULL, &e, &created, &id1), FH_OK);
    assert_true(created);
    assert_true(id1 > 0);
    e.payload = "{\"a\":2}";
    assert_int_equal(fh_job_enqueue(st, NULL, &e, &created, &id2), FH_OK);
    assert_false(created);
    assert_int_equal(id1, id2);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE ukey = $1", "inv:1"), 1);

    struct fh_job job = {0};
    assert_int_equal(fh_job_get_by_key(st, "inv:1", &job), FH_OK);
    assert_int_equal(job.id, id1);
    assert_string_equal(job.payload, "{\"a\":1}"); /* the first enqueue wins */
    assert_int_equal(job.state, FH_JOB_READY);
    assert_int_equal(job.attempts, 0);
    assert_int_equal(job.max_attempts, 8);
    fh_job_free(&job);

    /* NULL keys never conflict; an empty payload is "{}" */
    int64_t a = enqueue("k", NULL, 0, 0), b = enqueue("k", NULL, 0, 0);
    assert_true(a != b);
    assert_int_equal(fh_job_get(st, b, &job), FH_OK);
    assert_string_equal(job.payload, "{}");
    assert_null(job.ukey);
    fh_job_free(&job);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs", NULL), 3);

    struct fh_enqueue bad = {.kind = ""};
    assert_int_equal(fh_job_enqueue(st, NULL, &bad, NULL, NULL), FH_E_INPUT);
    assert_int_equal(fh_job_get(st, 999999, &job), FH_E_NOTFOUND);
}

/* ---- claim ---- */

static void test_claim_run_at_kinds_order(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    int64_t t = fh_now_ms();
    int64_t x1 = enqueue("x", NULL, t - 30, 0);
    int64_t y1 = enqueue("y", NULL, t - 20, 0);
    int64_t x2 = enqueue("x", NULL, t - 10, 0);
    int64_t x3 = enqueue("x", NULL, t + 50000, 0); /* not due yet */
    int64_t x4 = enqueue("x", NULL, t - 10, 0);    /* same run_at as x2: id orders */

    struct fh_queue_depth d;
    assert_int_equal(fh_queue_depth(st, t, &d), FH_OK);
    assert_int_equal(d.ready, 5);
    assert_int_equal(d.due_ready, 4);

    const char *xs[] = {"x"};
    struct fh_job job = {0};
    assert_int_equal(fh_job_claim(st, &cfg, xs, 1, "A", t, &job), FH_OK);
    assert_int_equal(job.id, x1);
    assert_int_equal(job.state, FH_JOB_RUNNING);
    assert_int_equal(job.attempts, 1);
    assert_string_equal(job.lease_owner, "A");
    assert_int_equal(job.lease_until, t + cfg.lease_ms);
    fh_job_free(&job);
    assert_int_equal(claim_id(&cfg, xs, 1, "A", t), x2);
    assert_int_equal(claim_id(&cfg, xs, 1, "A", t), x4);
    assert_int_equal(claim_id(&cfg, xs, 1, "A", t), 0); /* x3 in the future, y1 filtered */

    const char *yz[] = {"y", "z"};
    assert_int_equal(claim_id(&cfg, yz, 2, "A", t), y1);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t), 0);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t + 50000), x3); /* leases still valid */

    assert_int_equal(fh_queue_depth(st, t, &d), FH_OK);
    assert_int_equal(d.ready, 0);
    assert_int_equal(d.running, 5);
}

static void test_expired_lease_is_claimed_again(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.lease_ms = 1000;
    int64_t t = fh_now_ms();
    int64_t id = enqueue("k", "dies", t, 0);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t), id); /* A "dies" holding it */
    assert_int_equal(claim_id(&cfg, NULL, 0, "B", t + 999), 0);
    assert_int_equal(claim_id(&cfg, NULL, 0, "B", t + 1000), 0); /* lease_until is exclusive */

    struct fh_job job = {0};
    assert_int_equal(fh_job_claim(st, &cfg, NULL, 0, "B", t + 1001, &job), FH_OK);
    assert_int_equal(job.id, id);
    assert_int_equal(job.attempts, 2);
    assert_string_equal(job.lease_owner, "B");
    fh_job_free(&job);

    /* A comes back: every write it attempts is refused */
    assert_int_equal(fh_job_complete(st, id, "A", t + 1002), FH_E_CONFLICT);
    assert_int_equal(fh_job_heartbeat(st, &cfg, id, "A", t + 1002), FH_E_CONFLICT);
    assert_int_equal(fh_job_fail(st, &cfg, id, "A", "x", true, t + 1002, NULL), FH_E_CONFLICT);
    assert_int_equal(fh_job_complete(st, id, "B", t + 1003), FH_OK);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_DONE);
    assert_string_equal(job.lease_owner, "B");
    fh_job_free(&job);
    assert_int_equal(fh_job_complete(st, id, "B", t + 1004), FH_E_CONFLICT); /* not twice */
}

static void test_expired_last_attempt_goes_dead(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.lease_ms = 1000;
    int64_t t = fh_now_ms();
    int64_t id = enqueue("k", NULL, t, 2);
    int64_t other = enqueue("k", NULL, t + 5000, 0);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t), id);
    assert_int_equal(claim_id(&cfg, NULL, 0, "B", t + 2000), id);
    /* B dies too, on the last attempt: the next claim dead-letters it and takes the next job */
    assert_int_equal(claim_id(&cfg, NULL, 0, "C", t + 5000), other);

    struct fh_job job = {0};
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_DEAD);
    assert_int_equal(job.attempts, 2);
    assert_non_null(job.last_error);
    assert_non_null(strstr(job.last_error, "lease expired"));
    fh_job_free(&job);
    assert_int_equal(fh_job_complete(st, id, "B", t + 5001), FH_E_CONFLICT);

    assert_int_equal(fh_job_retry_dead(st, NULL, id, t + 6000), FH_OK);
    assert_int_equal(claim_id(&cfg, NULL, 0, "D", t + 6000), id);
}

static void test_heartbeat_extends_lease(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.lease_ms = 1000;
    int64_t t = fh_now_ms();
    int64_t id = enqueue("k", NULL, t, 0);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t), id);
    assert_int_equal(fh_job_heartbeat(st, &cfg, id, "A", t + 900), FH_OK);
    assert_int_equal(claim_id(&cfg, NULL, 0, "B", t + 1500), 0);
    struct fh_job job = {0};
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.lease_until, t + 1900);
    fh_job_free(&job);
    assert_int_equal(claim_id(&cfg, NULL, 0, "B", t + 1901), id);
}

/* ---- retry, backoff, dead letter ---- */

static void test_retry_backoff_then_dead(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.backoff_base_ms = 1000;
    int64_t t = fh_now_ms();
    int64_t id = enqueue("k", NULL, t, 3);
    struct fh_job job = {0};
    bool dead = true;

    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t), id);
    assert_int_equal(fh_job_fail(st, &cfg, id, "A", "boom 1", true, t, &dead), FH_OK);
    assert_false(dead);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_READY);
    assert_in_range(job.run_at, t + 750, t + 1250);
    int64_t t2 = job.run_at;
    fh_job_free(&job);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t2 - 1), 0);

    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t2), id);
    assert_int_equal(fh_job_fail(st, &cfg, id, "A", "boom 2", true, t2, &dead), FH_OK);
    assert_false(dead);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_in_range(job.run_at, t2 + 1500, t2 + 2500); /* doubled */
    int64_t t3 = job.run_at;
    fh_job_free(&job);

    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t3), id);
    assert_int_equal(fh_job_fail(st, &cfg, id, "A", "boom 3", true, t3, &dead), FH_OK);
    assert_true(dead);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_DEAD);
    assert_int_equal(job.attempts, 3);
    assert_string_equal(job.last_error, "boom 3");
    fh_job_free(&job);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t3 + 10000000), 0);

    assert_int_equal(fh_job_retry_dead(st, NULL, id, t3 + 10), FH_OK);
    /* not dead any more */
    assert_int_equal(fh_job_retry_dead(st, NULL, id, t3 + 10), FH_E_NOTFOUND);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_READY);
    assert_int_equal(job.attempts, 0);
    assert_int_equal(job.run_at, t3 + 10);
    assert_string_equal(job.last_error, "boom 3"); /* kept for the record */
    fh_job_free(&job);
    assert_int_equal(claim_id(&cfg, NULL, 0, "A", t3 + 10), id);
}

static void test_backoff_cap_jitter_and_permanent_failure(void **state)
{
    FH_UNUSED(state);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.backoff_base_ms = 1000;
    cfg.backoff_max_ms = 1500;
    int64_t t = fh_now_ms();
    enum { N = 20 };
    int64_t ids[N], first = 0;
    bool spread = false;
    for (int i = 0; i < N; i++)
        ids[i] = enqueue("k", NULL, t, 10);
    /* three failed attempts each: 1000, 2000 -> capped 1500, 4000 -> capped 1500 */
    for (int round = 0; round < 3; round++) {
        int64_t now = t + round * 10000;
        for (int i = 0; i < N; i++) {
            int64_t id = claim_id(&cfg, NULL, 0, "A", now);
            assert_true(id >= ids[0] && id <= ids[N - 1]);
            assert_int_equal(fh_job_fail(st, &cfg, id, "A", "x", true, now, NULL), FH_OK);
        }
        assert_int_equal(claim_id(&cfg, NULL, 0, "A", now), 0); /* all twenty were claimed */
        for (int i = 0; i < N; i++) {
            struct fh_job job = {0};
            assert_int_equal(fh_job_get(st, ids[i], &job), FH_OK);
            assert_int_equal(job.attempts, round + 1);
            int64_t d = round == 0 ? 1000 : 1500;
            assert_in_range(job.run_at, now + d - d / 4, now + d + d / 4);
            if (i == 0)
                first = job.run_at;
            else if (job.run_at != first)
                spread = true;
            fh_job_free(&job);
        }
    }
    assert_true(spread); /* jitter: 60 failures did not all land on one instant */

    int64_t id = enqueue("k", NULL, t, 5);
    const char *ks[] = {"k"};
    bool dead = false;
    assert_int_equal(claim_id(&cfg, ks, 1, "A", t - 1), 0);
    assert_int_equal(claim_id(&cfg, ks, 1, "A", t), id);
    assert_int_equal(fh_job_fail(st, &cfg, id, "A", "bad input", false, t, &dead), FH_OK);
    assert_true(dead); /* not retryable: dead at the first attempt */
}

/* ---- concurrency: no job runs twice or concurrently ---- */

enum { RACE_JOBS = 200 };
static atomic_int race_busy[RACE_JOBS];
static atomic_int race_runs[RACE_JOBS];
static atomic_int race_overlaps;
static atomic_int race_finished;

static int race_index(const struct fh_job *job)
{
    int64_t i = -1;
    if (!job->ukey || !fh_starts_with(job->ukey, "race:") || !fh_parse_i64(job->ukey + 5, &i) ||
        i < 0 || i >= RACE_JOBS)
        return -1;
    return (int)i;
}

/* The body of a racing handler: flags the job busy, does a little work, counts the run. */
static bool race_body(const struct fh_job *job)
{
    int i = race_index(job);
    if (i < 0)
        return false;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&race_busy[i], &expected, 1))
        atomic_fetch_add(&race_overlaps, 1);
    atomic_fetch_add(&race_runs[i], 1);
    usleep(200);
    atomic_store(&race_busy[i], 0);
    return true;
}

static void race_reset(void)
{
    for (int i = 0; i < RACE_JOBS; i++) {
        atomic_store(&race_busy[i], 0);
        atomic_store(&race_runs[i], 0);
    }
    atomic_store(&race_overlaps, 0);
    atomic_store(&race_finished, 0);
}

static void race_enqueue(void)
{
    int64_t t = fh_now_ms();
    for (int i = 0; i < RACE_JOBS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "race:%d", i);
        enqueue("race", key, t - RACE_JOBS + i, 0);
    }
}

static void race_check(void)
{
    assert_int_equal(atomic_load(&race_overlaps), 0);
    for (int i = 0; i < RACE_JOBS; i++)
        assert_int_equal(atomic_load(&race_runs[i]), 1);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE state = $1", "done"), RACE_JOBS);
}

static void *claimer_main(void *arg)
{
    char owner[32];
    snprintf(owner, sizeof(owner), "claimer-%d", (int)(intptr_t)arg);
    int64_t until = fh_mono_ms() + 60000;
    while (atomic_load(&race_finished) < RACE_JOBS && fh_mono_ms() < until) {
        struct fh_job job = {0};
        enum fh_rc rc = fh_job_claim(st, NULL, NULL, 0, owner, fh_now_ms(), &job);
        if (rc == FH_E_NOTFOUND) {
            fh_sleep_ms(1);
            continue;
        }
        if (rc != FH_OK)
            continue;
        if (race_body(&job) && fh_job_complete(st, job.id, owner, fh_now_ms()) == FH_OK)
            atomic_fetch_add(&race_finished, 1);
        fh_job_free(&job);
    }
    return NULL;
}

static void test_concurrent_claimers_never_share_a_job(void **state)
{
    FH_UNUSED(state);
    race_reset();
    race_enqueue();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, claimer_main, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&race_finished), RACE_JOBS);
    race_check();
}

static enum fh_rc race_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                               size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    if (!race_body(job)) {
        snprintf(err, errsize, "not a race job");
        return FH_ERR;
    }
    return FH_OK;
}

static void test_concurrent_runners_never_share_a_job(void **state)
{
    FH_UNUSED(state);
    race_reset();
    race_enqueue();
    struct fh_job_kind kinds[] = {{"race", race_handler, NULL, NULL, false, 0}};
    struct fh_runner *r[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(fh_runner_start(st, NULL, kinds, 1, 2, 0, false, 0, &r[i]), FH_OK);
    bool ok = wait_for(RACE_JOBS, 0, 60000);
    struct fh_job_outcomes o = outcomes_when(r, 4, RACE_JOBS);
    for (int i = 0; i < 4; i++)
        fh_runner_stop(r[i]);
    assert_true(ok);
    assert_int_equal(o.done, RACE_JOBS);
    assert_int_equal(o.retried + o.dead + o.lost_lease, 0);
    race_check();
}

/* ---- scheduler ---- */

static const int64_t T0 = 1700000000000;
static const int64_t IV = 60000;

struct tick_arg {
    pthread_barrier_t *barrier;
    int64_t now;
    int count;
    enum fh_rc rc;
};

static void *ticker_main(void *arg)
{
    struct tick_arg *a = arg;
    pthread_barrier_wait(a->barrier);
    a->rc = fh_scheduler_tick(st, NULL, a->now, &a->count);
    return NULL;
}

static void test_schedule_fires_once_per_slot(void **state)
{
    FH_UNUSED(state);
    assert_int_equal(fh_schedule_upsert(st, "poll", "poll-kind", "{\"p\":1}", IV, T0), FH_OK);
    pthread_barrier_t barrier;
    for (int k = 0; k < 10; k++) {
        pthread_barrier_init(&barrier, NULL, 2);
        struct tick_arg a[2] = {{&barrier, T0 + k * IV + k, 0, FH_ERR},
                                {&barrier, T0 + k * IV + k, 0, FH_ERR}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&th[i], NULL, ticker_main, &a[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
        assert_int_equal(a[0].rc, FH_OK);
        assert_int_equal(a[1].rc, FH_OK);
        assert_int_equal(a[0].count + a[1].count, 1);
    }
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1", "poll-kind"), 10);
    struct fh_job job = {0};
    char key[64];
    snprintf(key, sizeof(key), "sched:poll:%lld", (long long)(T0 + 9 * IV));
    assert_int_equal(fh_job_get_by_key(st, key, &job), FH_OK);
    assert_string_equal(job.payload, "{\"p\":1}");
    fh_job_free(&job);

    int n = -1;
    assert_int_equal(fh_scheduler_tick(st, NULL, T0 + 9 * IV + 100, &n), FH_OK);
    assert_int_equal(n, 0); /* same slot again */

    /* five slots missed: one job, for the latest slot, and the next run is the slot after */
    assert_int_equal(fh_scheduler_tick(st, NULL, T0 + 15 * IV + 5, &n), FH_OK);
    assert_int_equal(n, 1);
    snprintf(key, sizeof(key), "sched:poll:%lld", (long long)(T0 + 15 * IV));
    assert_int_equal(fh_job_get_by_key(st, key, &job), FH_OK);
    fh_job_free(&job);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1", "poll-kind"), 11);
    assert_int_equal(count_rows("SELECT next_run_at FROM schedules WHERE name = $1", "poll"),
                     T0 + 16 * IV);
    assert_int_equal(fh_scheduler_tick(st, NULL, T0 + 16 * IV - 1, &n), FH_OK);
    assert_int_equal(n, 0);
}

struct upsert_ctx {
    int64_t now;
};

static int upsert_many_tx(struct fh_store *s, void *cls)
{
    struct upsert_ctx *c = cls;
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "s%04d", i);
        int64_t first = (i % 333 == 7) ? c->now - 1 : c->now + 1000 + i;
        if (fh_schedule_upsert(s, name, "k", NULL, IV, first) != FH_OK)
            return FH_QS_HARD;
    }
    return 0;
}

static void test_tick_touches_only_due_schedules(void **state)
{
    FH_UNUSED(state);
    struct upsert_ctx c = {.now = T0};
    assert_int_equal(fh_store_run_tx(st, upsert_many_tx, &c), 0);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM schedules", NULL), 1000);
    int n = -1;
    assert_int_equal(fh_scheduler_tick(st, NULL, T0, &n), FH_OK);
    assert_int_equal(n, 3); /* s0007, s0340, s0673 */
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs", NULL), 3);
    assert_int_equal(fh_scheduler_tick(st, NULL, T0, &n), FH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(
        count_rows("SELECT COUNT(*) FROM schedules WHERE next_run_at = $1", "1700000059999"), 3);
}

static void test_schedule_upsert_updates(void **state)
{
    FH_UNUSED(state);
    assert_int_equal(fh_schedule_upsert(st, "rep", "k", NULL, 3600000, T0), FH_OK);
    int n = 0;
    assert_int_equal(fh_scheduler_tick(st, NULL, T0, &n), FH_OK);
    assert_int_equal(n, 1);
    /* re-declaring with a later first run keeps the next run */
    assert_int_equal(fh_schedule_upsert(st, "rep", "k", NULL, 3600000, T0 + 99999999), FH_OK);
    assert_int_equal(count_rows("SELECT next_run_at FROM schedules WHERE name = $1", "rep"),
                     T0 + 3600000);
    /* a shorter interval pulls the next run in to last run + new interval */
    assert_int_equal(fh_schedule_upsert(st, "rep", "k2", NULL, IV, T0 + 99999999), FH_OK);
    assert_int_equal(count_rows("SELECT next_run_at FROM schedules WHERE name = $1", "rep"),
                     T0 + IV);
    assert_int_equal(fh_schedule_upsert(st, "rep", "k2", NULL, 2 * IV, T0), FH_OK);
    assert_int_equal(count_rows("SELECT next_run_at FROM schedules WHERE name = $1", "rep"),
                     T0 + IV);
    assert_int_equal(fh_schedule_upsert(st, "rep", "k2", NULL, 0, T0), FH_E_INPUT);
}

/* ---- runner ---- */

static atomic_int ok_calls, flaky_calls, bad_calls;

static enum fh_rc ok_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                             size_t errsize)
{
    FH_UNUSED(s);
    FH_UNUSED(err);
    FH_UNUSED(errsize);
    FH_UNUSED(job);
    atomic_fetch_add((atomic_int *)cls, 1);
    return FH_OK;
}

static enum fh_rc flaky_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                                size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    atomic_fetch_add(&flaky_calls, 1);
    if (job->attempts == 1) {
        snprintf(err, errsize, "partner answered 503");
        return FH_E_RETRY;
    }
    return FH_OK;
}

static enum fh_rc bad_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                              size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    FH_UNUSED(job);
    atomic_fetch_add(&bad_calls, 1);
    snprintf(err, errsize, "invoice has no lines");
    return FH_E_INPUT;
}

/* Simulates another worker taking the job over while this handler runs. */
static enum fh_rc stolen_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                                 size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(err);
    FH_UNUSED(errsize);
    struct fh_param p[] = {FH_PI(job->id)};
    int qs =
        fh_store_exec(s, "UPDATE jobs SET lease_owner = 'someone-else' WHERE id = $1", p, 1, NULL);
    return qs == 1 ? FH_OK : FH_ERR;
}

static void test_runner_end_to_end(void **state)
{
    FH_UNUSED(state);
    atomic_store(&ok_calls, 0);
    atomic_store(&flaky_calls, 0);
    atomic_store(&bad_calls, 0);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.backoff_base_ms = 20;
    cfg.backoff_max_ms = 100;
    struct fh_job_kind kinds[] = {{"ok", ok_handler, &ok_calls, NULL, false, 0},
                                  {"flaky", flaky_handler, NULL, NULL, false, 0},
                                  {"bad", bad_handler, NULL, NULL, false, 0},
                                  {"stolen", stolen_handler, NULL, NULL, false, 0}};
    struct fh_runner *r = NULL;
    assert_int_equal(fh_runner_start(st, &cfg, kinds, 4, 2, 0, false, 0, &r), FH_OK);
    for (int i = 0; i < 50; i++)
        enqueue("ok", NULL, 0, 0);
    for (int i = 0; i < 5; i++)
        enqueue("flaky", NULL, 0, 0);
    int64_t bad = enqueue("bad", NULL, 0, 0);
    enqueue("other-kind", NULL, 0, 0); /* no handler here: never claimed */
    int64_t stolen = enqueue("stolen", NULL, 0, 0);
    bool ok = wait_for(55, 1, 30000);
    /* 55 done, 5 retried, 1 dead, and the stolen job (still 'running' under its new owner) */
    struct fh_job_outcomes o = outcomes_when(&r, 1, 62);
    fh_runner_stop(r);
    assert_true(ok);
    assert_int_equal(o.done, 55);
    assert_int_equal(o.retried, 5);
    assert_int_equal(o.dead, 1);
    assert_int_equal(o.lost_lease, 1);
    assert_int_equal(atomic_load(&ok_calls), 50);
    assert_int_equal(atomic_load(&flaky_calls), 10);
    assert_int_equal(atomic_load(&bad_calls), 1);

    struct fh_job job = {0};
    assert_int_equal(fh_job_get(st, bad, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_DEAD);
    assert_int_equal(job.attempts, 1);
    assert_string_equal(job.last_error, "invoice has no lines");
    fh_job_free(&job);
    assert_int_equal(fh_job_get(st, stolen, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_RUNNING);
    assert_string_equal(job.lease_owner, "someone-else");
    fh_job_free(&job);
    assert_int_equal(
        count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state = 'ready'", "other-kind"),
        1);
}

/* ---- a handler that completes its own job ---- */

struct self_ctx {
    const struct fh_job *job;
    int completed;
};

/* The handler's result (a follow-up job) and the job's end, in one transaction. */
static int self_tx(struct fh_store *s, void *cls)
{
    struct self_ctx *c = cls;
    char ukey[48];
    snprintf(ukey, sizeof(ukey), "followup:%lld", (long long)c->job->id);
    struct fh_enqueue e = {.kind = "followup", .ukey = ukey};
    if (fh_job_enqueue(s, NULL, &e, NULL, NULL) != FH_OK)
        return FH_QS_HARD;
    c->completed = fh_job_complete_tx(s, c->job, fh_now_ms());
    return c->completed < 0 ? c->completed : 1;
}

static enum fh_rc self_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                               size_t errsize)
{
    FH_UNUSED(cls);
    struct self_ctx c = {.job = job};
    if (fh_store_run_tx(s, self_tx, &c) < 0) {
        snprintf(err, errsize, "store");
        return FH_E_RETRY;
    }
    return c.completed == 1 ? FH_DONE : FH_E_CONFLICT;
}

static void test_complete_in_the_handlers_transaction(void **state)
{
    FH_UNUSED(state);
    /* directly: completed with the caller's writes; 0 for an owner that lost the lease, the
     * caller's writes committing all the same */
    const char *const kinds[] = {"self"};
    int64_t id = enqueue("self", NULL, 0, 0);
    struct fh_job job;
    assert_int_equal(fh_job_claim(st, NULL, kinds, 1, "w1", fh_now_ms(), &job), FH_OK);
    struct fh_job stale = job;
    stale.lease_owner = "w0";
    struct self_ctx c = {.job = &stale};
    assert_int_equal(fh_store_run_tx(st, self_tx, &c), 1);
    assert_int_equal(c.completed, 0);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1", "followup"), 1);
    struct fh_job now;
    assert_int_equal(fh_job_get(st, id, &now), FH_OK);
    assert_int_equal(now.state, FH_JOB_RUNNING);
    fh_job_free(&now);
    c.job = &job;
    assert_int_equal(fh_store_run_tx(st, self_tx, &c), 1);
    assert_int_equal(c.completed, 1);
    assert_int_equal(fh_job_get(st, id, &now), FH_OK);
    assert_int_equal(now.state, FH_JOB_DONE);
    assert_int_equal(now.lease_until, 0);
    fh_job_free(&now);
    fh_job_free(&job);
    /* through the runner: FH_DONE counts as done and records nothing more */
    struct fh_job_kind k[] = {{"self", self_handler, NULL, NULL, false, 0}};
    struct fh_runner *r = NULL;
    assert_int_equal(fh_runner_start(st, NULL, k, 1, 2, 0, false, 0, &r), FH_OK);
    for (int i = 0; i < 20; i++)
        enqueue("self", NULL, 0, 0);
    bool ok = wait_for(21, 0, 30000);
    struct fh_job_outcomes o = outcomes_when(&r, 1, 20);
    fh_runner_stop(r);
    assert_true(ok);
    assert_int_equal(o.done, 20);
    assert_int_equal(o.retried + o.dead + o.lost_lease, 0);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1", "followup"), 21);
}

/* A failing handler transaction: completes the job (claiming the next), then rolls back. */
static int failing_self_tx(struct fh_store *s, void *cls)
{
    struct self_ctx *c = cls;
    c->completed = fh_job_complete_tx(s, c->job, fh_now_ms());
    return FH_QS_HARD;
}

/* The end of a job and the claim of the worker's next one are one commit: both or neither. */
static void test_complete_claims_the_next_job(void **state)
{
    FH_UNUSED(state);
    const char *const kinds[] = {"self"};
    int64_t first = enqueue("self", NULL, 0, 0);
    int64_t second = enqueue("self", NULL, 0, 0);
    struct fh_job job;
    assert_int_equal(fh_job_claim(st, NULL, kinds, 1, "w1", fh_now_ms(), &job), FH_OK);
    assert_int_equal(job.id, first);
    struct fh_job_claimer cl = {.kinds = kinds, .nkinds = 1, .owner = "w1"};
    job.claimer = &cl;
    struct self_ctx c = {.job = &job};
    assert_true(fh_store_run_tx(st, failing_self_tx, &c) < 0);
    assert_int_equal(cl.next.id, second); /* claimed in the transaction that rolled back ... */
    fh_job_free(&cl.next);
    struct fh_job now;
    assert_int_equal(fh_job_get(st, second, &now), FH_OK);
    assert_int_equal(now.state, FH_JOB_READY); /* ... so it is not claimed */
    fh_job_free(&now);
    assert_int_equal(fh_store_run_tx(st, self_tx, &c), 1);
    assert_int_equal(c.completed, 1);
    assert_int_equal(cl.next.id, second);
    assert_int_equal(cl.next.state, FH_JOB_RUNNING);
    assert_int_equal(cl.next.attempts, 1);
    assert_int_equal(fh_job_get(st, second, &now), FH_OK);
    assert_int_equal(now.state, FH_JOB_RUNNING);
    assert_string_equal(now.lease_owner, "w1");
    fh_job_free(&now);
    assert_int_equal(fh_job_get(st, first, &now), FH_OK);
    assert_int_equal(now.state, FH_JOB_DONE);
    fh_job_free(&now);
    /* nothing left: the next end claims nothing */
    struct fh_job next = cl.next;
    memset(&cl.next, 0, sizeof(cl.next));
    next.claimer = &cl;
    c.job = &next;
    assert_int_equal(fh_store_run_tx(st, self_tx, &c), 1);
    assert_int_equal(cl.next.id, 0);
    fh_job_free(&next);
    fh_job_free(&job);
}

static void test_runner_stop_is_prompt(void **state)
{
    FH_UNUSED(state);
    struct fh_job_kind kinds[] = {{"ok", ok_handler, &ok_calls, NULL, false, 0}};
    struct fh_runner *r = NULL;
    /* the scheduler ticks hourly: stop must wake it rather than wait */
    assert_int_equal(fh_runner_start(st, NULL, kinds, 1, 2, 0, true, 3600000, &r), FH_OK);
    fh_sleep_ms(50);
    int64_t t = fh_mono_ms();
    fh_runner_stop(r);
    assert_in_range(fh_mono_ms() - t, 0, 2000);
    assert_int_equal(fh_runner_start(st, NULL, kinds, 0, 2, 0, false, 0, &r), FH_E_INPUT);
    assert_int_equal(fh_runner_start(st, NULL, kinds, 1, 0, 0, false, 0, &r), FH_E_INPUT);
}

static atomic_int slow_started;

static enum fh_rc slow_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                               size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    FH_UNUSED(job);
    FH_UNUSED(err);
    FH_UNUSED(errsize);
    atomic_store(&slow_started, 1);
    fh_sleep_ms(1200);
    return FH_OK;
}

static void test_runner_heartbeat_keeps_long_job(void **state)
{
    FH_UNUSED(state);
    atomic_store(&slow_started, 0);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.lease_ms = 300; /* four leases shorter than the handler */
    struct fh_job_kind kinds[] = {{"slow", slow_handler, NULL, NULL, false, 0}};
    int64_t id = enqueue("slow", NULL, 0, 0);
    struct fh_runner *r = NULL;
    assert_int_equal(fh_runner_start(st, &cfg, kinds, 1, 1, 0, false, 0, &r), FH_OK);
    int64_t until = fh_mono_ms() + 10000;
    while (!atomic_load(&slow_started) && fh_mono_ms() < until)
        fh_sleep_ms(5);
    assert_true(atomic_load(&slow_started));
    int stolen = 0;
    for (int i = 0; i < 16; i++) { /* ~800 ms of a thief trying to take it */
        if (claim_id(&cfg, NULL, 0, "thief", fh_now_ms()) == id)
            stolen++;
        fh_sleep_ms(50);
    }
    bool ok = wait_for(1, 0, 10000);
    struct fh_job_outcomes o = outcomes_when(&r, 1, 1);
    fh_runner_stop(r);
    assert_int_equal(stolen, 0);
    assert_true(ok);
    assert_int_equal(o.done, 1);
    assert_int_equal(o.lost_lease, 0);
}

static void test_runner_runs_schedules(void **state)
{
    FH_UNUSED(state);
    atomic_store(&ok_calls, 0);
    int64_t now = fh_now_ms();
    assert_int_equal(fh_schedule_upsert(st, "hourly", "ok", NULL, 3600000, now - 1), FH_OK);
    struct fh_job_kind kinds[] = {{"ok", ok_handler, &ok_calls, NULL, false, 0}};
    struct fh_runner *r = NULL;
    assert_int_equal(fh_runner_start(st, NULL, kinds, 1, 1, 0, true, 20, &r), FH_OK);
    bool ok = wait_for(1, 0, 10000);
    fh_sleep_ms(150); /* several more ticks: still one run this hour */
    fh_runner_stop(r);
    assert_true(ok);
    assert_int_equal(atomic_load(&ok_calls), 1);
    assert_int_equal(count_rows("SELECT COUNT(*) FROM jobs WHERE kind = $1", "ok"), 1);
}

static void test_release_and_wake(void **state)
{
    FH_UNUSED(state);
    const char *const kinds[] = {"later"};
    int64_t now = 1000000;
    int64_t id = enqueue("later", NULL, now, 3);
    assert_int_equal(claim_id(NULL, kinds, 1, "w1", now), id);
    /* a wrong owner cannot put it back; the owner can, and the attempt is given back */
    assert_int_equal(fh_job_release(st, id, "w2", now + 3600000, "busy", now), FH_E_CONFLICT);
    assert_int_equal(fh_job_release(st, id, "w1", now + 3600000, "busy", now), FH_OK);
    struct fh_job job = {0};
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.state, FH_JOB_READY);
    assert_int_equal(job.attempts, 0);
    assert_int_equal(job.run_at, now + 3600000);
    assert_string_equal(job.last_error, "busy");
    fh_job_free(&job);
    assert_int_equal(claim_id(NULL, kinds, 1, "w1", now + 1), 0); /* not due */
    /* a wake of another kind, or of a job not waiting, changes nothing */
    assert_int_equal(fh_job_wake(st, id, "other", now + 2, now + 2), FH_E_NOTFOUND);
    int64_t other = enqueue("later", NULL, now - 500, 3); /* due before the wake */
    assert_int_equal(fh_job_wake(st, id, "later", 0, now + 2), FH_OK); /* to the head */
    assert_int_equal(claim_id(NULL, kinds, 1, "w1", now + 2), id);
    assert_int_equal(fh_job_wake(st, id, "later", now + 3, now + 3), FH_E_NOTFOUND); /* running */
    assert_int_equal(claim_id(NULL, kinds, 1, "w2", now + 3), other);
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    assert_int_equal(job.attempts, 1);
    fh_job_free(&job);
    /* released as often as it likes, it never runs out of attempts */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fh_job_release(st, id, "w1", now + 10, "busy", now + 3), FH_OK);
        assert_int_equal(claim_id(NULL, kinds, 1, "w1", now + 10), id);
    }
    assert_int_equal(fh_job_complete(st, id, "w1", now + 11), FH_OK);
}

static int64_t enqueue_lane(const struct fh_queue_cfg *cfg, const char *lane, int64_t run_at)
{
    struct fh_enqueue e = {.kind = "lane", .run_at = run_at, .lane = lane};
    int64_t id = 0;
    assert_int_equal(fh_job_enqueue(st, cfg, &e, NULL, &id), FH_OK);
    return id;
}

static int64_t run_at_of(int64_t id)
{
    struct fh_job job = {0};
    assert_int_equal(fh_job_get(st, id, &job), FH_OK);
    int64_t t = job.run_at;
    fh_job_free(&job);
    return t;
}

static int64_t held_count(void)
{
    struct fh_queue_depth d;
    assert_int_equal(fh_queue_depth(st, fh_now_ms(), &d), FH_OK);
    return d.held;
}

/* A lane's jobs beyond its window wait held, and join the queue's tail as the lane's earlier
 * ones end (done, backing off, dead), so another lane's job queued meanwhile goes first. */
static void test_lanes_take_turns(void **state)
{
    FH_UNUSED(state);
    const char *const kinds[] = {"lane"};
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.lane_window = 2;
    int64_t a[6];
    for (int i = 1; i <= 5; i++)
        a[i] = enqueue_lane(&cfg, "org:1", 0);
    assert_int_equal(held_count(), 3);
    int64_t b1 = enqueue_lane(&cfg, "org:2", 0);
    int64_t t = fh_now_ms() + 100000;
    assert_int_equal(claim_id(&cfg, kinds, 1, "w", t), a[1]);
    assert_int_equal(claim_id(&cfg, kinds, 1, "w", t), a[2]);
    /* a[1] ends: a[3] gets its turn, due now, behind org 2's job queued before */
    assert_int_equal(fh_job_complete(st, a[1], "w", t + 1), FH_OK);
    assert_int_equal(run_at_of(a[3]), t + 1);
    assert_int_equal(claim_id(&cfg, kinds, 1, "w", t + 2), b1);
    assert_int_equal(claim_id(&cfg, kinds, 1, "w", t + 2), a[3]);
    assert_int_equal(claim_id(&cfg, kinds, 1, "w", t + 2), 0); /* a[4], a[5] wait */
    /* backing off leaves the window (a[4] in); dying too (a[5] in) */
    bool dead = true;
    assert_int_equal(fh_job_fail(st, &cfg, a[2], "w", "x", true, t + 3, &dead), FH_OK);
    assert_false(dead);
    assert_int_equal(run_at_of(a[4]), t + 3);
    assert_int_equal(fh_job_fail(st, &cfg, a[3], "w", "x", false, t + 4, &dead), FH_OK);
    assert_true(dead);
    assert_int_equal(run_at_of(a[5]), t + 4);
    assert_int_equal(held_count(), 0);
    /* a revived job waits for its lane's turn like a new one */
    assert_int_equal(fh_job_retry_dead(st, &cfg, a[3], t + 5), FH_OK);
    assert_true(run_at_of(a[3]) > t + 1000LL * 86400 * 365 * 1000);
    /* one asked for later is not held */
    a[0] = enqueue_lane(&cfg, "org:1", t + 1000000);
    assert_int_equal(run_at_of(a[0]), t + 1000000);
    /* a larger window lets the waiting one in at the next refill */
    int promoted = -1;
    assert_int_equal(fh_job_lanes_refill(st, &cfg, t + 6, &promoted), FH_OK);
    assert_int_equal(promoted, 0);
    cfg.lane_window = 10;
    assert_int_equal(fh_job_lanes_refill(st, &cfg, t + 6, &promoted), FH_OK);
    assert_int_equal(promoted, 1);
    assert_int_equal(run_at_of(a[3]), t + 6);
    assert_int_equal(held_count(), 0);
    /* a job of no lane is never held */
    cfg.lane_window = 1;
    int64_t plain = enqueue("lane", NULL, 0, 3);
    assert_true(run_at_of(plain) <= fh_now_ms());
}

static atomic_int blocked_running, blocked_max, blocked_go, vital_calls, later_calls;

static enum fh_rc blocked_handler(void *cls, struct fh_store *s, const struct fh_job *job,
                                  char *err, size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    FH_UNUSED(job);
    FH_UNUSED(err);
    FH_UNUSED(errsize);
    int n = atomic_fetch_add(&blocked_running, 1) + 1;
    int m = atomic_load(&blocked_max);
    while (n > m && !atomic_compare_exchange_weak(&blocked_max, &m, n))
        ;
    int64_t until = fh_mono_ms() + 20000;
    while (!atomic_load(&blocked_go) && fh_mono_ms() < until)
        fh_sleep_ms(5);
    atomic_fetch_sub(&blocked_running, 1);
    return FH_OK;
}

static enum fh_rc vital_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                                size_t errsize)
{
    FH_UNUSED(cls);
    FH_UNUSED(s);
    FH_UNUSED(job);
    FH_UNUSED(err);
    FH_UNUSED(errsize);
    atomic_fetch_add(&vital_calls, 1);
    return FH_OK;
}

/* Puts itself back once, then runs. */
static enum fh_rc later_handler(void *cls, struct fh_store *s, const struct fh_job *job, char *err,
                                size_t errsize)
{
    FH_UNUSED(cls);
    if (atomic_fetch_add(&later_calls, 1) > 0)
        return FH_OK;
    if (fh_job_release(s, job->id, job->lease_owner, fh_now_ms(), "not yet", fh_now_ms()) !=
        FH_OK) {
        snprintf(err, errsize, "release failed");
        return FH_E_RETRY;
    }
    return FH_LATER;
}

static void test_runner_reserved_workers(void **state)
{
    FH_UNUSED(state);
    atomic_store(&blocked_running, 0);
    atomic_store(&blocked_max, 0);
    atomic_store(&blocked_go, 0);
    atomic_store(&vital_calls, 0);
    atomic_store(&later_calls, 0);
    struct fh_job_kind kinds[] = {{"blocked", blocked_handler, NULL, NULL, false, 0},
                                  {"vital", vital_handler, NULL, NULL, true, 0},
                                  {"later", later_handler, NULL, NULL, false, 0}};
    struct fh_runner *r = NULL;
    /* reserved workers need a reserved kind */
    assert_int_equal(fh_runner_start(st, NULL, kinds, 1, 1, 1, false, 0, &r), FH_E_INPUT);
    assert_int_equal(fh_runner_start(st, NULL, kinds, 3, 0, 2, false, 0, &r), FH_OK);
    fh_runner_stop(r); /* reserved workers alone are a valid runner */
    int64_t now = fh_now_ms();
    for (int i = 0; i < 4; i++)
        enqueue("blocked", NULL, now - 10, 0);
    /* one general worker, two reserved ones */
    assert_int_equal(fh_runner_start(st, NULL, kinds, 3, 1, 2, false, 0, &r), FH_OK);
    int64_t until = fh_mono_ms() + 10000;
    while (atomic_load(&blocked_running) < 1 && fh_mono_ms() < until)
        fh_sleep_ms(5);
    for (int i = 0; i < 10; i++)
        enqueue("vital", NULL, 0, 0);
    bool vital_done = wait_for(10, 0, 10000); /* while the general worker is held */
    int held = atomic_load(&blocked_running);
    atomic_store(&blocked_go, 1);
    enqueue("later", NULL, 0, 0);
    bool all_done = wait_for(15, 0, 20000);
    struct fh_job_outcomes o = outcomes_when(&r, 1, 16);
    fh_runner_stop(r);
    assert_true(vital_done);
    assert_int_equal(held, 1);
    assert_int_equal(atomic_load(&vital_calls), 10);
    assert_int_equal(atomic_load(&blocked_max), 1); /* reserved workers never took one */
    assert_true(all_done);
    assert_int_equal(o.done, 15);
    assert_int_equal(o.deferred, 1);
    assert_int_equal(o.retried + o.dead + o.lost_lease, 0);
    assert_int_equal(atomic_load(&later_calls), 2);
    assert_int_equal(count_rows("SELECT MAX(attempts) FROM jobs WHERE kind = $1", "later"), 1);
}

static void test_runner_kind_backoff_cap(void **state)
{
    FH_UNUSED(state);
    atomic_store(&flaky_calls, 0);
    struct fh_queue_cfg cfg;
    fh_queue_cfg_defaults(&cfg);
    cfg.backoff_base_ms = 60000; /* the runner's first retry: 45..75 s */
    struct fh_job_kind kinds[] = {{"flaky", flaky_handler, NULL, NULL, false, 40}};
    enqueue("flaky", NULL, 0, 0);
    struct fh_runner *r = NULL;
    assert_int_equal(fh_runner_start(st, &cfg, kinds, 1, 1, 0, false, 0, &r), FH_OK);
    bool ok = wait_for(1, 0, 10000); /* the kind's cap: retried within 40 ms (+25 %) */
    fh_runner_stop(r);
    assert_true(ok);
    assert_int_equal(atomic_load(&flaky_calls), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_enqueue_same_key_is_noop, harness_setup),
        cmocka_unit_test_setup(test_claim_run_at_kinds_order, harness_setup),
        cmocka_unit_test_setup(test_expired_lease_is_claimed_again, harness_setup),
        cmocka_unit_test_setup(test_expired_last_attempt_goes_dead, harness_setup),
        cmocka_unit_test_setup(test_heartbeat_extends_lease, harness_setup),
        cmocka_unit_test_setup(test_retry_backoff_then_dead, harness_setup),
        cmocka_unit_test_setup(test_backoff_cap_jitter_and_permanent_failure, harness_setup),
        cmocka_unit_test_setup(test_concurrent_claimers_never_share_a_job, harness_setup),
        cmocka_unit_test_setup(test_concurrent_runners_never_share_a_job, harness_setup),
        cmocka_unit_test_setup(test_schedule_fires_once_per_slot, harness_setup),
        cmocka_unit_test_setup(test_tick_touches_only_due_schedules, harness_setup),
        cmocka_unit_test_setup(test_schedule_upsert_updates, harness_setup),
        cmocka_unit_test_setup(test_complete_in_the_handlers_transaction, harness_setup),
        cmocka_unit_test_setup(test_complete_claims_the_next_job, harness_setup),
        cmocka_unit_test_setup(test_runner_end_to_end, harness_setup),
        cmocka_unit_test_setup(test_runner_stop_is_prompt, harness_setup),
        cmocka_unit_test_setup(test_runner_heartbeat_keeps_long_job, harness_setup),
        cmocka_unit_test_setup(test_runner_runs_schedules, harness_setup),
        cmocka_unit_test_setup(test_release_and_wake, harness_setup),
        cmocka_unit_test_setup(test_lanes_take_turns, harness_setup),
        cmocka_unit_test_setup(test_runner_reserved_workers, harness_setup),
        cmocka_unit_test_setup(test_runner_kind_backoff_cap, harness_setup),
    };
    return cmocka_run_group_tests_name("jobs", tests, harness_group_setup, harness_group_teardown);
}
