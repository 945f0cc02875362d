/* scheduler.c - periodic jobs: rows of `schedules` turned into ordinary jobs when due.
 *
 * A schedule fires on the slots next_run_at + k * interval_ms. A tick at `now` reads the due
 * schedules through the next_run_at index (a batch at a time, so its work grows with the due
 * schedules, not with all of them), and for each enqueues one job for the latest slot <= now and
 * moves next_run_at to the slot after it. Slots missed while no scheduler ran (downtime, a long
 * pause) are skipped, not enqueued as a backlog: a periodic job is "do this now", and one run
 * catches up.
 *
 * The job's unique key is "sched:" + name + ":" + slot time, so two schedulers ticking at once
 * (several processes on one PostgreSQL database) can never enqueue the same slot twice: the
 * second insert is a no-op. Each batch is one transaction; on PostgreSQL the due rows are read
 * FOR UPDATE SKIP LOCKED so concurrent schedulers split the work instead of waiting, and on
 * SQLite BEGIN IMMEDIATE serializes them. The advance of next_run_at is also guarded by its old
 * value, so a scheduler working from a stale read cannot move a schedule backwards.
 */
#include "fh/fh_jobs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_NAME_LEN = 100,
    MAX_KIND_LEN = 64,
    MAX_PAYLOAD_LEN = 64 * 1024,
    TICK_BATCH = 100,
    TICK_MAX_BATCHES = 100,
};

static bool str_ok(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

enum fh_rc fh_schedule_upsert(struct fh_store *st, const char *name, const char *kind,
                              const char *payload, int64_t interval_ms, int64_t first_run_at)
{
    if (!str_ok(name, MAX_NAME_LEN) || !str_ok(kind, MAX_KIND_LEN) || interval_ms <= 0)
        return FH_E_INPUT;
    if (payload && strlen(payload) > MAX_PAYLOAD_LEN)
        return FH_E_LIMIT;
    /* An existing schedule keeps its next run, except that a shorter interval pulls the next
     * run in to (last run + new interval), the last run being next_run_at - old interval. */
    struct fh_param p[] = {FH_PT(name), FH_PT(kind), FH_PT(payload ? payload : "{}"),
                           FH_PI(interval_ms), FH_PI(first_run_at ? first_run_at : fh_now_ms())};
    int qs = fh_store_exec(
        st,
        "INSERT INTO schedules (name, kind, payload, interval_ms, next_run_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET "
        "kind = excluded.kind, payload = excluded.payload, interval_ms = excluded.interval_ms, "
        "next_run_at = CASE WHEN excluded.interval_ms < schedules.interval_ms "
        "THEN schedules.next_run_at - schedules.interval_ms + excluded.interval_ms "
        "ELSE schedules.next_run_at END",
        p, FH_ARRAY_LEN(p), NULL);
    if (qs == FH_QS_SOFT)
        return FH_E_RETRY;
    return qs < 0 ? FH_ERR : FH_OK;
}

struct tick_ctx {
    const struct fh_queue_cfg *cfg;
    int64_t now;
    int count;    /* jobs enqueued by this batch */
    size_t found; /* due schedules seen by this batch */
};

static int enqueue_rc_qs(enum fh_rc rc)
{
    if (rc == FH_OK)
        return 0;
    return fh_rc_qs(rc);
}

/* Enqueues row i's latest due slot and advances the schedule past now. */
static int fire_one(struct fh_store *st, struct tick_ctx *c, const struct fh_rows *rows, size_t i)
{
    const char *name = fh_rows_get(rows, i, 0);
    int64_t interval = fh_rows_i64(rows, i, 3, 0);
    int64_t next = fh_rows_i64(rows, i, 4, 0);
    if (!name || interval <= 0)
        return FH_QS_HARD;
    int64_t slot = next + (c->now - next) / interval * interval;
    char *ukey = fh_asprintf("sched:%s:%" PRId64, name, slot);
    struct fh_enqueue e = {.kind = fh_rows_get(rows, i, 1),
                           .ukey = ukey,
                           .payload = fh_rows_get(rows, i, 2),
                           .run_at = c->now};
    bool created = false;
    int qs = enqueue_rc_qs(fh_job_enqueue(st, c->cfg, &e, &created, NULL));
    free(ukey);
    if (qs < 0)
        return qs;
    if (created)
        c->count++;
    struct fh_param p[] = {FH_PT(name), FH_PI(next), FH_PI(slot + interval)};
    qs = fh_store_exec(st,
                       "UPDATE schedules SET next_run_at = $3 WHERE name = $1 AND next_run_at = $2",
                       p, FH_ARRAY_LEN(p), NULL);
    return qs < 0 ? qs : 0;
}

static int tick_tx(struct fh_store *st, void *cls)
{
    struct tick_ctx *c = cls;
    c->count = 0;
    c->found = 0;
    struct fh_param p[] = {FH_PI(c->now), FH_PI(TICK_BATCH)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st,
        fh_store_sql(st,
                     "SELECT name, kind, payload, interval_ms, next_run_at FROM schedules "
                     "WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT $2",
                     "SELECT name, kind, payload, interval_ms, next_run_at FROM schedules "
                     "WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT $2 "
                     "FOR UPDATE SKIP LOCKED"),
        p, FH_ARRAY_LEN(p), &rows);
    if (qs < 0)
        return qs;
    c->found = rows.nrows;
    for (size_t i = 0; i < rows.nrows && qs >= 0; i++)
        qs = fire_one(st, c, &rows, i);
    fh_rows_free(&rows);
    return qs < 0 ? qs : c->count;
}

enum fh_rc fh_scheduler_tick(struct fh_store *st, const struct fh_queue_cfg *cfg, int64_t now,
                             int *count)
{
    int total = 0;
    enum fh_rc rc = FH_OK;
    for (int batch = 0; batch < TICK_MAX_BATCHES; batch++) {
        struct tick_ctx ctx = {.cfg = cfg, .now = now};
        int qs = fh_store_run_tx(st, tick_tx, &ctx);
        if (qs < 0) {
            rc = fh_qs_rc(qs);
            break;
        }
        total += ctx.count;
        if (ctx.found < TICK_BATCH)
            break;
    }
    if (count)
        *count = total;
    return rc;
}
