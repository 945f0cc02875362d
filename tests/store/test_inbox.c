/* test_inbox.c - the webhook inbox's group commit (src/connectors/common/inbox.c) on the store
 * given by DATABASE_URL (default: a fresh SQLite file in /tmp).
 *
 * What must hold whatever the batching does: fh_inbox_commit returns FH_OK only once the
 * delivery's rows and a processing job are committed (visible to any other connection), every
 * delivery gets exactly its own rows, and a delivery the store refuses fails alone without
 * taking the deliveries batched with it down; fh_inbox_submit reports each delivery once, only
 * after its commit, and deliveries queued by one thread share commits. */
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

#define HARNESS_SUITE "inbox"
#include "harness.h"

#include "fh/fh_connector.h"
#include "fh/fh_crypto.h"

enum { THREADS = 12, PER_THREAD = 40 };

static struct fh_app app;

static int group_setup(void **state)
{
    if (harness_group_setup(state) != 0)
        return -1;
    app.store = st;
    fh_queue_cfg_defaults(&app.qcfg);
    return 0;
}

/* A count read on the calling thread's own connection. */
static int64_t count(const char *sql, const char *arg)
{
    struct fh_param p[] = {FH_PT(arg)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, arg ? 1 : 0, &rows);
    int64_t n = qs == 1 ? fh_rows_i64(&rows, 0, 0, -1) : -1;
    fh_rows_free(&rows);
    return n;
}

struct worker {
    int index;
    bool poison_odd; /* odd deliveries carry a resource id the store refuses */
    atomic_int ok, failed, unseen, wrong_rows;
};

/* Commits PER_THREAD deliveries of 1-3 events; after every FH_OK, reads on this thread's own
 * connection that the rows are there (the commit may have run on another thread's). */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char rid[64];
        bool poison = w->poison_odd && i % 2 == 1;
        snprintf(rid, sizeof(rid), "%s-%d-%d", poison ? "poison" : "res", w->index, i);
        size_t n = 1 + (size_t)(i % 3);
        struct fh_inbox_event ev[3];
        for (size_t k = 0; k < n; k++)
            ev[k] = (struct fh_inbox_event){.tenant_id = "tenant-1",
                                            .category = "INVOICE",
                                            .event_type = "UPDATE",
                                            .resource_id = rid,
                                            .event_at = "2026-01-01T00:00:00"};
        enum fh_rc rc = fh_inbox_commit(&app, "xero", ev, n, "xero.inbox");
        int64_t rows = count("SELECT count(*) FROM inbox_events WHERE resource_id = $1", rid);
        if (rc != FH_OK) {
            atomic_fetch_add(&w->failed, 1);
            if (rows != 0 || !poison)
                atomic_fetch_add(&w->wrong_rows, 1);
            continue;
        }
        atomic_fetch_add(&w->ok, 1);
        if (rows == 0)
            atomic_fetch_add(&w->unseen, 1); /* acknowledged but not committed */
        else if (rows != (int64_t)n || poison)
            atomic_fetch_add(&w->wrong_rows, 1);
    }
    return NULL;
}

static void run_workers(struct worker *w, bool poison)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].index = i;
        w[i].poison_odd = poison;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

static void test_acknowledged_means_committed(void **state)
{
    FH_UNUSED(state);
    struct worker w[THREADS];
    memset(w, 0, sizeof(w));
    run_workers(w, false);
    int64_t events = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(atomic_load(&w[i].ok), PER_THREAD);
        assert_int_equal(atomic_load(&w[i].failed), 0);
        assert_int_equal(atomic_load(&w[i].unseen), 0);
        assert_int_equal(atomic_load(&w[i].wrong_rows), 0);
    }
    for (int i = 0; i < PER_THREAD; i++)
        events += THREADS * (1 + i % 3);
    assert_int_equal(count("SELECT count(*) FROM inbox_events", NULL), events);
    /* one processing job per commit (it drains every unprocessed row), keyed by a row of it */
    int64_t jobs = count("SELECT count(*) FROM jobs WHERE kind = 'xero.inbox'", NULL);
    assert_true(jobs >= 1 && jobs <= THREADS * PER_THREAD);
    assert_int_equal(count("SELECT count(*) FROM jobs j WHERE kind = 'xero.inbox' AND NOT EXISTS "
                           "(SELECT 1 FROM inbox_events e WHERE j.ukey = 'xero:inbox:' || e.id)",
                           NULL),
                     0);
    assert_int_equal(count("SELECT count(DISTINCT resource_id) FROM inbox_events", NULL),
                     THREADS * PER_THREAD);
}

static void add_poison_trigger(void)
{
    if (fh_store_backend(st) == FH_STORE_SQLITE) {
        assert_true(fh_store_exec(st,
                                  "CREATE TRIGGER inbox_poison BEFORE INSERT ON inbox_events "
                                  "WHEN NEW.resource_id LIKE 'poison-%' "
                                  "BEGIN SELECT RAISE(ABORT, 'poison'); END",
                                  NULL, 0, NULL) >= 0);
        return;
    }
    assert_true(fh_store_exec(st,
                              "CREATE OR REPLACE FUNCTION inbox_poison() RETURNS trigger AS $f$ "
                              "BEGIN IF NEW.resource_id LIKE 'poison-%' THEN "
                              "RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $f$ "
                              "LANGUAGE plpgsql",
                              NULL, 0, NULL) >= 0);
    assert_true(fh_store_exec(st,
                              "CREATE TRIGGER inbox_poison BEFORE INSERT ON inbox_events "
                              "FOR EACH ROW EXECUTE FUNCTION inbox_poison()",
                              NULL, 0, NULL) >= 0);
}

static void test_refused_delivery_fails_alone(void **state)
{
    FH_UNUSED(state);
    add_poison_trigger();
    struct worker w[THREADS];
    memset(w, 0, sizeof(w));
    run_workers(w, true);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(atomic_load(&w[i].ok), PER_THREAD / 2);
        assert_int_equal(atomic_load(&w[i].failed), PER_THREAD / 2);
        assert_int_equal(atomic_load(&w[i].unseen), 0);
        assert_int_equal(atomic_load(&w[i].wrong_rows), 0);
    }
    int64_t jobs = count("SELECT count(*) FROM jobs WHERE kind = 'xero.inbox'", NULL);
    assert_true(jobs >= 1 && jobs <= THREADS * PER_THREAD / 2);
    assert_int_equal(
        count("SELECT count(*) FROM inbox_events WHERE resource_id LIKE 'poison-%'", NULL), 0);
}

/* ---- fh_inbox_submit: deliveries queued without waiting, as suspended HTTP requests do ---- */

enum { SUBMITS = 300 };

struct submitted {
    char rid[48];
    struct fh_inbox_event ev;
    enum fh_rc rc;
    bool done;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    bool twice; /* a delivery reported more than once */
} sub = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void on_done(void *cls, enum fh_rc rc)
{
    struct submitted *d = cls;
    pthread_mutex_lock(&sub.lock);
    if (d->done)
        sub.twice = true;
    d->done = true;
    d->rc = rc;
    sub.done++;
    pthread_cond_broadcast(&sub.cond);
    pthread_mutex_unlock(&sub.lock);
}

/* Submits SUBMITS one-event deliveries from this thread without waiting (every third poisoned
 * when poison), then waits until each was reported once. */
static struct submitted *submit_all(bool poison)
{
    struct submitted *d = calloc(SUBMITS, sizeof(*d));
    sub.done = 0;
    sub.twice = false;
    for (int i = 0; i < SUBMITS; i++) {
        snprintf(d[i].rid, sizeof(d[i].rid), "%s-async-%d", poison && i % 3 == 0 ? "poison" : "res",
                 i);
        d[i].ev = (struct fh_inbox_event){.tenant_id = "tenant-1",
                                          .category = "INVOICE",
                                          .event_type = "UPDATE",
                                          .resource_id = d[i].rid};
        assert_int_equal(fh_inbox_submit(&app, "xero", &d[i].ev, 1, "xero.inbox", on_done, &d[i]),
                         FH_OK);
    }
    pthread_mutex_lock(&sub.lock);
    while (sub.done < SUBMITS)
        pthread_cond_wait(&sub.cond, &sub.lock);
    pthread_mutex_unlock(&sub.lock);
    assert_false(sub.twice);
    return d;
}

static void test_submitted_deliveries_share_commits(void **state)
{
    FH_UNUSED(state);
    struct submitted *d = submit_all(false);
    for (int i = 0; i < SUBMITS; i++) {
        assert_int_equal(d[i].rc, FH_OK);
        /* reported committed: visible on this thread's own connection */
        assert_int_equal(
            count("SELECT count(*) FROM inbox_events WHERE resource_id = $1", d[i].rid), 1);
    }
    /* one thread queued them all: batches are not bounded by the number of waiting threads */
    int64_t jobs = count("SELECT count(*) FROM jobs WHERE kind = 'xero.inbox'", NULL);
    assert_true(jobs >= 1 && jobs <= SUBMITS / 2);
    free(d);
}

static void test_submitted_refused_delivery_fails_alone(void **state)
{
    FH_UNUSED(state);
    add_poison_trigger();
    struct submitted *d = submit_all(true);
    for (int i = 0; i < SUBMITS; i++) {
        assert_int_equal(d[i].rc == FH_OK, i % 3 != 0);
        assert_int_equal(
            count("SELECT count(*) FROM inbox_events WHERE resource_id = $1", d[i].rid),
            i % 3 != 0);
    }
    free(d);
    assert_int_equal(fh_inbox_submit(&app, "xero", NULL, 0, "xero.inbox", on_done, NULL),
                     FH_E_INPUT);
}

static void test_empty_delivery_writes_nothing(void **state)
{
    FH_UNUSED(state);
    assert_int_equal(fh_inbox_commit(&app, "xero", NULL, 0, "xero.inbox"), FH_OK);
    assert_int_equal(count("SELECT count(*) FROM jobs", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_acknowledged_means_committed, harness_setup),
        cmocka_unit_test_setup(test_refused_delivery_fails_alone, harness_setup),
        cmocka_unit_test_setup(test_submitted_deliveries_share_commits, harness_setup),
        cmocka_unit_test_setup(test_submitted_refused_delivery_fails_alone, harness_setup),
        cmocka_unit_test_setup(test_empty_delivery_writes_nothing, harness_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, harness_group_teardown);
}
