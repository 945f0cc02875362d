/* tick_bench.c - benchmark 4's helper: many Xero integrations in a store without 10,000 OAuth
 * consents, and the work of one scheduler tick measured in isolation.
 *
 *   fh-bench-tick seed <n>                 adds n active Xero integrations (one organization, one
 *                                          certificate row without secrets), all synced just now
 *   fh-bench-tick tick <due> <rounds>      per round: makes <due> of them due for polling and the
 *                                          xero.poll schedule due, then measures one scheduler
 *                                          tick (fh_scheduler_tick) plus the xero.poll job it
 *                                          enqueued (fh_xero_job_poll); then one idle tick
 *
 * The store is DATABASE_URL (migrated on open). The integrations are rows written directly with
 * SQL, as the OAuth callback leaves them (type xero, status active, a tenant id, the
 * certificate), without tokens: nothing here calls Xero. Run `tick` under
 *   valgrind --tool=callgrind --collect-atstart=no
 * and only the measured parts are counted (CALLGRIND_TOGGLE_COLLECT around them), each dumped
 * on its own ("poll", then "idle", per round): the instruction count of a tick is
 * deterministic, unlike its time on a shared machine. The helper also prints wall-clock times
 * and what each tick did as one JSON line per round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "fh/fh_config.h"
#include "fh/fh_crypto.h"
#include "fh/fh_http.h"
#include "fh/fh_jobs.h"
#include "fh/fh_xero.h"

#define POLL_MS (300 * 1000)

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int exec(struct fh_store *st, const char *sql, const struct fh_param *p, size_t n)
{
    int qs = fh_store_exec(st, sql, p, n, NULL);
    if (qs < 0) {
        fprintf(stderr, "failed: %s\n", sql);
        exit(1);
    }
    return qs;
}

static int64_t scalar(struct fh_store *st, const char *sql)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, NULL, 0, &rows);
    int64_t v = qs > 0 ? fh_rows_i64(&rows, 0, 0, -1) : -1;
    fh_rows_free(&rows);
    return v;
}

struct seed_ctx {
    long n;
    int64_t now;
};

static int seed_tx(struct fh_store *st, void *cls)
{
    struct seed_ctx *c = cls;
    struct fh_param t[] = {FH_PI(c->now)};
    exec(st,
         "INSERT INTO tenants (code, name, created_at) SELECT 'TN-BENCH', 'bench', $1 "
         "WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE code = 'TN-BENCH')",
         t, 1);
    exec(st,
         "INSERT INTO organizations (tenant_id, code, name, created_at) "
         "SELECT id, 'OR-BENCH', 'bench', $1 FROM tenants WHERE code = 'TN-BENCH' "
         "AND NOT EXISTS (SELECT 1 FROM organizations WHERE code = 'OR-BENCH')",
         t, 1);
    exec(st,
         "INSERT INTO certificates (org_id, uid, taxpayer_name, tin, location_name, address, "
         "vsdc_url, api_url, not_after, status, created_at) "
         "SELECT id, 'BENCH001', 'bench', '100000001', 'bench', 'bench', 'https://127.0.0.1:1', "
         "'https://127.0.0.1:1', $1 + 31536000000, 'active', $1 FROM organizations "
         "WHERE code = 'OR-BENCH' AND NOT EXISTS (SELECT 1 FROM certificates WHERE uid = 'BENCH001')",
         t, 1);
    int64_t base = scalar(st, "SELECT COALESCE(MAX(id), 0) FROM integrations");
    for (long i = 0; i < c->n; i++) {
        char uid[32], tenant[64];
        snprintf(uid, sizeof(uid), "IN-B%06lld", (long long)(base + i + 1));
        snprintf(tenant, sizeof(tenant), "00000000-0000-4000-8000-%012lld", (long long)(base + i + 1));
        struct fh_param p[] = {FH_PT(uid), FH_PT(tenant), FH_PI(c->now)};
        exec(st,
             "INSERT INTO integrations (org_id, uid, type, status, created_at, certificate_id, "
             "settings, tenant_id, tenant_name, connected_at, last_sync_at, backfill_state, "
             "updated_at) SELECT o.id, $1, 'xero', 'active', $3, c.id, '{\"trigger\":\"payment\"}', "
             "$2, 'Bench Org', $3, $3, 'done', $3 FROM organizations o JOIN certificates c "
             "ON c.org_id = o.id WHERE o.code = 'OR-BENCH' AND c.uid = 'BENCH001'",
             p, FH_ARRAY_LEN(p));
    }
    return 1;
}

/* The state before a round: nothing queued, <due> integrations last synced long ago, the poll
 * schedule due now. */
static void prepare_round(struct fh_store *st, long due, int64_t now)
{
    struct fh_param p[] = {FH_PI(now), FH_PI(due), FH_PI(now - 2 * POLL_MS)};
    exec(st, "DELETE FROM jobs", NULL, 0);
    exec(st, "UPDATE integrations SET last_sync_at = $1 WHERE type = 'xero'", p, 1);
    exec(st,
         "UPDATE integrations SET last_sync_at = $3 WHERE id IN "
         "(SELECT id FROM integrations WHERE type = 'xero' ORDER BY id LIMIT $2)",
         p, FH_ARRAY_LEN(p));
    exec(st, "DELETE FROM schedules WHERE name <> 'xero.poll'", NULL, 0);
    if (fh_schedule_upsert(st, FH_XERO_JOB_POLL, FH_XERO_JOB_POLL, "{}", POLL_MS, now - 1) != FH_OK)
        exit(1);
    exec(st, "UPDATE schedules SET next_run_at = $1 - 1 WHERE name = 'xero.poll'", p, 1);
}

static int cmd_tick(struct fh_store *st, long due, int rounds)
{
    struct fh_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.xero_poll_ms = POLL_MS;
    struct fh_app app;
    memset(&app, 0, sizeof(app));
    app.cfg = &cfg;
    app.store = st;
    fh_queue_cfg_defaults(&app.qcfg);
    long total = scalar(st, "SELECT count(*) FROM integrations WHERE type = 'xero'");
    const char *kinds[] = {FH_XERO_JOB_POLL};
    for (int r = 0; r < rounds; r++) {
        int64_t now = fh_now_ms();
        prepare_round(st, due, now);
        int fired = 0;
        char err[256] = "";
        struct fh_job job = {0};
        int64_t t0 = mono_us();
        CALLGRIND_TOGGLE_COLLECT;
        enum fh_rc rc = fh_scheduler_tick(st, &app.qcfg, now, &fired);
        if (rc == FH_OK)
            rc = fh_job_claim(st, &app.qcfg, kinds, 1, "bench", now, &job);
        if (rc == FH_OK)
            rc = fh_xero_job_poll(&app, st, &job, err, sizeof(err));
        if (rc == FH_OK)
            rc = fh_job_complete(st, job.id, "bench", now);
        CALLGRIND_TOGGLE_COLLECT;
        CALLGRIND_DUMP_STATS_AT("poll");
        int64_t busy_us = mono_us() - t0;
        fh_job_free(&job);
        if (rc != FH_OK) {
            fprintf(stderr, "poll round failed (rc %d) %s\n", (int)rc, err);
            return 1;
        }
        long queued = (long)scalar(st, "SELECT count(*) FROM jobs WHERE kind = 'xero.sync'");
        /* an idle tick: nothing is due */
        int idle_fired = 0;
        t0 = mono_us();
        CALLGRIND_TOGGLE_COLLECT;
        fh_scheduler_tick(st, &app.qcfg, now + 1, &idle_fired);
        CALLGRIND_TOGGLE_COLLECT;
        CALLGRIND_DUMP_STATS_AT("idle");
        int64_t idle_us = mono_us() - t0;
        printf("{\"integrations\": %ld, \"due\": %ld, \"round\": %d, \"jobs_fired\": %d, "
               "\"syncs_queued\": %ld, \"poll_us\": %lld, \"idle_fired\": %d, \"idle_us\": %lld}\n",
               total, due, r, fired, queued, (long long)busy_us, idle_fired, (long long)idle_us);
        if (queued != due) {
            fprintf(stderr, "expected %ld syncs, got %ld\n", due, queued);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s seed <n> | tick <due> <rounds>   (store: DATABASE_URL)\n",
                argv[0]);
        return 2;
    }
    const char *url = getenv("DATABASE_URL");
    if (!url || !url[0] || fh_crypto_init() != FH_OK)
        return 2;
    fh_log_set_level(FH_LOG_WARN);
    struct fh_store *st = NULL;
    if (fh_store_open(url, &st) != FH_OK || fh_store_migrate(st) != FH_OK)
        return 1;
    int ec = 0;
    if (strcmp(argv[1], "seed") == 0) {
        struct seed_ctx c = {.n = atol(argv[2]), .now = fh_now_ms()};
        ec = fh_store_run_tx(st, seed_tx, &c) >= 0 ? 0 : 1;
        printf("{\"integrations\": %lld}\n",
               (long long)scalar(st, "SELECT count(*) FROM integrations WHERE type = 'xero'"));
    } else if (strcmp(argv[1], "tick") == 0 && argc == 4) {
        ec = cmd_tick(st, atol(argv[2]), atoi(argv[3]));
    } else {
        ec = 2;
    }
    fh_store_close(st);
    return ec;
}
