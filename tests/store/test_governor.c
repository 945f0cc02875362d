/* test_governor.c - the rate governor's reservations (fh_gov_acquire / fh_gov_release) on the
 * store given by DATABASE_URL (default: a fresh SQLite file in /tmp): calls in flight are rows of
 * rate_calls, counted against the limit, gone when released, and expired after the call's
 * timeout when their process never released them (at once when it was a process of this host
 * that is gone); the minute window counts every reservation.
 * tests/e2e/xero_inflight.test.mjs shows two processes keeping one limit together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define HARNESS_SUITE "governor"
#include "harness.h"

#include "fh/fh_connector.h"

#define NOW 1800000000000LL
#define CALL_MS 30000

static const struct fh_gov_limits limits = {.minute = 5,
                                            .day = 1000,
                                            .app_minute = 1000,
                                            .concurrent = 2,
                                            .time_scale = 1,
                                            .call_ms = CALL_MS};

static int64_t in_flight(const char *scope)
{
    struct fh_param p[] = {FH_PT(scope)};
    struct fh_rows rows;
    assert_int_equal(
        fh_store_exec(st, "SELECT count(*) FROM rate_calls WHERE scope = $1", p, 1, &rows), 1);
    int64_t n = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return n;
}

static void test_calls_in_flight_are_counted_until_released(void **state)
{
    FH_UNUSED(state);
    struct fh_gov_ticket a, b, c, other;
    int64_t wait = 0;
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &a), FH_OK);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + 1, &wait, &b), FH_OK);
    assert_true(a.held && b.held && a.call_id != b.call_id);
    assert_int_equal(in_flight("xero:t1"), 2);

    /* the third waits a moment; another tenant and another partner are not held back */
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + 2, &wait, &c), FH_E_RETRY);
    assert_false(c.held);
    assert_int_equal(wait, NOW + 2 + 100);
    assert_int_equal(fh_gov_acquire(st, "xero", "t2", &limits, NOW + 2, &wait, &other), FH_OK);
    fh_gov_release(st, &other);
    assert_int_equal(fh_gov_acquire(st, "zoho", "t1", &limits, NOW + 2, &wait, &other), FH_OK);
    fh_gov_release(st, &other);

    /* a release frees its slot, once */
    fh_gov_release(st, &a);
    assert_false(a.held);
    fh_gov_release(st, &a);
    assert_int_equal(in_flight("xero:t1"), 1);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + 3, &wait, &c), FH_OK);
    fh_gov_release(st, &b);
    fh_gov_release(st, &c);
    assert_int_equal(in_flight("xero:t1"), 0);
}

static void test_calls_never_released_expire_after_the_timeout(void **state)
{
    FH_UNUSED(state);
    struct fh_gov_ticket a, b, c;
    int64_t wait = 0;
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &a), FH_OK);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &b), FH_OK);
    /* their process died: the slots stay taken for the call's timeout and 5 s more */
    int64_t end = NOW + CALL_MS + 5000;
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, end - 1, &wait, &c), FH_E_RETRY);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, end, &wait, &c), FH_OK);
    assert_int_equal(in_flight("xero:t1"), 1); /* the two expired rows are gone */
    fh_gov_release(st, &c);
}

/* A holder like the governor's: "<host> <pid namespace>:<pid>". */
static void holder_of(const char *host, long pid, char *out, size_t n)
{
    char ns[64];
    ssize_t k = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    assert_true(k > 0);
    ns[k] = '\0';
    snprintf(out, n, "%s %s:%ld", host, ns, pid);
}

static void add_call(const char *holder, int64_t expires_at)
{
    struct fh_param p[] = {FH_PT("xero:t1"), FH_PT(holder), FH_PI(expires_at)};
    assert_int_equal(fh_store_exec(st,
                                   "INSERT INTO rate_calls (scope, holder, expires_at) "
                                   "VALUES ($1, $2, $3)",
                                   p, 3, NULL),
                     1);
}

static void test_calls_of_a_process_gone_are_dropped_at_once(void **state)
{
    FH_UNUSED(state);
    char host[100] = "";
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    char gone[200], elsewhere[200], alive[200];
    holder_of(host, (long)child, gone, sizeof(gone));
    holder_of("another-host", (long)child, elsewhere, sizeof(elsewhere));
    holder_of(host, (long)getppid(), alive, sizeof(alive));
    add_call(gone, NOW + 60000);
    add_call(elsewhere, NOW + 60000);
    assert_int_equal(in_flight("xero:t1"), 2);

    /* the gone process's call no longer counts; the other host's does until it expires */
    struct fh_gov_ticket a, b;
    int64_t wait = 0;
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &a), FH_OK);
    assert_int_equal(in_flight("xero:t1"), 2);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &b), FH_E_RETRY);
    fh_gov_release(st, &a);

    /* a living process of this host keeps its calls */
    add_call(alive, NOW + 60000);
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW, &wait, &b), FH_E_RETRY);
    assert_int_equal(in_flight("xero:t1"), 2);
}

static void test_the_minute_window_counts_each_reservation(void **state)
{
    FH_UNUSED(state);
    struct fh_gov_ticket t;
    int64_t wait = 0;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + i, &wait, &t), FH_OK);
        fh_gov_release(st, &t);
    }
    /* the sixth waits for the window's end (60 s made 2 % longer) */
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + 10, &wait, &t), FH_E_RETRY);
    assert_int_equal(wait, NOW + 61200);
    assert_int_equal(in_flight("xero:t1"), 0); /* a refused reservation takes no slot */
    assert_int_equal(fh_gov_acquire(st, "xero", "t1", &limits, NOW + 61200, &wait, &t), FH_OK);
    fh_gov_release(st, &t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_calls_in_flight_are_counted_until_released, harness_setup),
        cmocka_unit_test_setup(test_calls_never_released_expire_after_the_timeout, harness_setup),
        cmocka_unit_test_setup(test_calls_of_a_process_gone_are_dropped_at_once, harness_setup),
        cmocka_unit_test_setup(test_the_minute_window_counts_each_reservation, harness_setup),
    };
    return cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
}
