/* test_poll.c - the polls' choice of integrations (fh_xero_job_poll, fh_zoho_job_poll) on the
 * store given by DATABASE_URL (default: a fresh SQLite file in /tmp): which integrations get a
 * poll sync, by their tier's interval, read through the integrations_poll index and one pass
 * over the syncs in progress (bench/footprint.mjs measures that its work follows the due
 * integrations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HARNESS_SUITE "poll"
#include "harness.h"

#include "fh/fh_config.h"
#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"
#include "fh/fh_xero.h"
#include "fh/fh_zoho.h"

#define POLL_MS 300000

static struct fh_config cfg;
static struct fh_app app;

static int group_setup(void **state)
{
    if (harness_group_setup(state) != 0)
        return -1;
    cfg.xero_poll_ms = POLL_MS;
    cfg.tier_poll_ms[1] = 900000; /* the defaults: Starter, Growth, Scale */
    cfg.tier_poll_ms[2] = 300000;
    cfg.tier_poll_ms[3] = 60000;
    app.cfg = &cfg;
    app.store = st;
    fh_queue_cfg_defaults(&app.qcfg);
    return 0;
}

static void exec(const char *sql, const struct fh_param *p, size_t n)
{
    assert_true(fh_store_exec(st, sql, p, n, NULL) >= 0);
}

static int setup(void **state)
{
    if (harness_setup(state) != 0)
        return -1;
    struct fh_param t[] = {FH_PI(fh_now_ms())};
    exec("INSERT INTO tenants (code, name, created_at) VALUES ('TN-P', 'p', $1)", t, 1);
    exec("INSERT INTO organizations (tenant_id, code, name, created_at) "
         "SELECT id, 'OR-P', 'p', $1 FROM tenants",
         t, 1);
    return 0;
}

/* An integration of type, status, tier, sync mode (NULL: none) and last sync (-1: never);
 * returns its id. */
static int64_t integ_in(const char *type, const char *status, const char *tier, const char *mode,
                        int64_t last_sync)
{
    static int seq;
    char uid[16];
    snprintf(uid, sizeof(uid), "IN-P%05d", ++seq);
    struct fh_param p[] = {FH_PT(uid),
                           FH_PT(type),
                           FH_PT(status),
                           last_sync < 0 ? FH_PNULL : FH_PI(last_sync),
                           FH_PI(fh_now_ms()),
                           FH_PT(tier),
                           mode ? FH_PT(mode) : FH_PNULL};
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st,
                                   "INSERT INTO integrations (org_id, uid, type, status, "
                                   "last_sync_at, created_at, sync_tier, sync_mode, "
                                   "webhooks_seen_at) SELECT id, $1, $2, $3, $4, $5, $6, $7, $5 "
                                   "FROM organizations RETURNING id",
                                   p, FH_ARRAY_LEN(p), &rows),
                     1);
    int64_t id = fh_rows_i64(&rows, 0, 0, 0);
    fh_rows_free(&rows);
    return id;
}

static int64_t integ(const char *type, const char *status, int64_t last_sync)
{
    return integ_in(type, status, "trial", NULL, last_sync);
}

static void poll(void)
{
    struct fh_job job = {0};
    char err[200] = "";
    assert_int_equal(fh_xero_job_poll(&app, st, &job, err, sizeof(err)), FH_OK);
}

/* Poll syncs of integration id: ready ones with key <kind>:<id>:poll:... */
static int64_t polls_of_kind(const char *kind, int64_t id)
{
    char like[64];
    snprintf(like, sizeof(like), "%s:%lld:poll:%%", kind, (long long)id);
    struct fh_param p[] = {FH_PT(like)};
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st, "SELECT count(*) FROM jobs WHERE ukey LIKE $1", p, 1, &rows),
                     1);
    int64_t n = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return n;
}

static int64_t polls_of(int64_t id)
{
    return polls_of_kind(FH_XERO_JOB_SYNC, id);
}

static void test_poll_takes_the_due_ones(void **state)
{
    FH_UNUSED(state);
    int64_t now = fh_now_ms();
    int64_t old = integ("xero", "active", now - POLL_MS);
    int64_t never = integ("xero", "active", -1);
    int64_t fresh = integ("xero", "active", now - 1000);
    int64_t inactive = integ("xero", "inactive", now - POLL_MS);
    int64_t other = integ("zoho_books", "active", now - POLL_MS);
    int64_t paging = integ("xero", "active", now - POLL_MS);
    char key[64];
    snprintf(key, sizeof(key), "xero.sync:%lld:backfill", (long long)paging);
    struct fh_enqueue e = {.kind = FH_XERO_JOB_SYNC, .ukey = key, .payload = "{}"};
    assert_int_equal(fh_job_enqueue(st, &app.qcfg, &e, NULL, NULL), FH_OK);
    /* a sync key of another integration whose id starts with paging's digits is not paging's */
    snprintf(key, sizeof(key), "xero.sync:%lld0:poll:1", (long long)paging);
    e.ukey = key;
    assert_int_equal(fh_job_enqueue(st, &app.qcfg, &e, NULL, NULL), FH_OK);
    poll();
    assert_int_equal(polls_of(old), 1);
    assert_int_equal(polls_of(never), 1);
    assert_int_equal(polls_of(fresh), 0);
    assert_int_equal(polls_of(inactive), 0);
    assert_int_equal(polls_of(other), 0);
    assert_int_equal(polls_of(paging), 0);
    /* again in the same slot: the same keys, nothing new */
    poll();
    assert_int_equal(polls_of(old), 1);
    assert_int_equal(polls_of(never), 1);
}

static void test_poll_many_in_batches(void **state)
{
    FH_UNUSED(state);
    int64_t first = 0;
    for (int i = 0; i < 250; i++) {
        int64_t id = integ("xero", "active", -1);
        if (!first)
            first = id;
    }
    poll();
    struct fh_rows rows;
    assert_int_equal(fh_store_exec(st,
                                   "SELECT count(*) FROM jobs WHERE kind = 'xero.sync' AND "
                                   "state = 'ready'",
                                   NULL, 0, &rows),
                     1);
    assert_int_equal(fh_rows_i64(&rows, 0, 0, -1), 250);
    fh_rows_free(&rows);
    assert_int_equal(polls_of(first), 1);
}

/* Without a partner setting each integration polls at its tier's interval (Starter 15 min,
 * Growth 5, Scale and the trial 1), less half the one-minute tick; a Zoho integration in
 * webhook mode only after FISCALHUB_ZOHO_WEBHOOK_POLL_SECONDS. */
static void test_poll_follows_the_tier(void **state)
{
    FH_UNUSED(state);
    cfg.xero_poll_ms = 0;
    int64_t now = fh_now_ms(), min = 60 * 1000;
    int64_t starter_recent = integ_in("xero", "active", "starter", NULL, now - 10 * min);
    int64_t starter_old = integ_in("xero", "active", "starter", NULL, now - 15 * min);
    int64_t growth_recent = integ_in("xero", "active", "growth", NULL, now - 4 * min);
    int64_t growth_old = integ_in("xero", "active", "growth", NULL, now - 5 * min);
    int64_t scale_recent = integ_in("xero", "active", "scale", NULL, now - 20 * 1000);
    int64_t scale_old = integ_in("xero", "active", "scale", NULL, now - min);
    int64_t trial_old = integ_in("xero", "active", "trial", NULL, now - min);
    int64_t zoho_polling = integ_in("zoho_books", "active", "scale", "polling", now - 7 * min);
    int64_t zoho_polling_recent =
        integ_in("zoho_books", "active", "scale", "polling", now - 3 * min);
    int64_t zoho_hooked = integ_in("zoho_books", "active", "scale", "webhook", now - 10 * min);
    int64_t zoho_hooked_old =
        integ_in("zoho_books", "active", "scale", "webhook", now - 7 * 3600000LL);
    poll();
    assert_int_equal(polls_of(starter_recent), 0);
    assert_int_equal(polls_of(starter_old), 1);
    assert_int_equal(polls_of(growth_recent), 0);
    assert_int_equal(polls_of(growth_old), 1);
    assert_int_equal(polls_of(scale_recent), 0);
    assert_int_equal(polls_of(scale_old), 1);
    assert_int_equal(polls_of(trial_old), 1);
    assert_int_equal(polls_of(zoho_polling), 0); /* the Xero poll takes only Xero's */
    cfg.zoho_poll_ms = 0;
    cfg.zoho_min_poll_ms = 6 * min; /* Zoho: never more often than that, whatever the tier */
    cfg.zoho_webhook_poll_ms = 6 * 3600000LL;
    struct fh_job job = {0};
    char err[200] = "";
    assert_int_equal(fh_zoho_job_poll(&app, st, &job, err, sizeof(err)), FH_OK);
    assert_int_equal(polls_of_kind(FH_ZOHO_JOB_SYNC, zoho_polling), 1);
    assert_int_equal(polls_of_kind(FH_ZOHO_JOB_SYNC, zoho_polling_recent), 0);
    assert_int_equal(polls_of_kind(FH_ZOHO_JOB_SYNC, zoho_hooked), 0);
    assert_int_equal(polls_of_kind(FH_ZOHO_JOB_SYNC, zoho_hooked_old), 1);
    /* FISCALHUB_XERO_POLL_SECONDS replaces every tier's interval */
    cfg.xero_poll_ms = 20 * min;
    int64_t scale_15 = integ_in("xero", "active", "scale", NULL, now - 15 * min);
    poll();
    assert_int_equal(polls_of(scale_15), 0);
    cfg.xero_poll_ms = POLL_MS;
}

static void test_ids_contain(void **state)
{
    FH_UNUSED(state);
    int64_t ids[] = {2, 5, 9, 40};
    assert_true(fh_ids_contain(ids, 4, 2));
    assert_true(fh_ids_contain(ids, 4, 40));
    assert_false(fh_ids_contain(ids, 4, 4));
    assert_false(fh_ids_contain(ids, 0, 2));
    assert_false(fh_ids_contain(NULL, 0, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_poll_takes_the_due_ones, setup),
        cmocka_unit_test_setup(test_poll_many_in_batches, setup),
        cmocka_unit_test_setup(test_poll_follows_the_tier, setup),
        cmocka_unit_test(test_ids_contain),
    };
    return cmocka_run_group_tests(tests, group_setup, harness_group_teardown);
}
