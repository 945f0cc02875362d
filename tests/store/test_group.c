/* test_group.c - group commit (fh_store_group_tx, src/store/group.c) against the backend named
 * by DATABASE_URL (a fresh SQLite file under /tmp when unset): results reported only once
 * committed, commits shared by concurrent callers, a failing fn failing alone, nested calls
 * joining, fh_store_group_submit reporting on the committer after the commit (and refused inside
 * a transaction), and fh_store_close stopping the committer thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fh/fh_store.h"

#define THREADS 16
#define CALLS 20

static char *db_url;
static char sqlite_path[256];

static int64_t query_i64(struct fh_store *st, const char *sql, int64_t arg)
{
    struct fh_param p[] = {FH_PI(arg)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, strstr(sql, "$1") ? 1 : 0, &rows);
    assert_true(qs >= 0);
    int64_t v = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return v;
}

static int64_t count_id(struct fh_store *st, int64_t id)
{
    return query_i64(st, "SELECT COUNT(*) FROM test_group WHERE id = $1", id);
}

static void remove_sqlite_files(void)
{
    if (!sqlite_path[0])
        return;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < FH_ARRAY_LEN(suffixes); i++) {
        char p[300];
        snprintf(p, sizeof(p), "%s%s", sqlite_path, suffixes[i]);
        unlink(p);
    }
}

static int group_setup(void **state)
{
    const char *env = getenv("DATABASE_URL");
    if (env && env[0]) {
        db_url = fh_strdup(env);
    } else {
        snprintf(sqlite_path, sizeof(sqlite_path), "/tmp/fh-test-group-%ld.db", (long)getpid());
        remove_sqlite_files();
        db_url = fh_strdup(sqlite_path);
    }
    struct fh_store *st = NULL;
    if (fh_store_open(db_url, &st) != FH_OK)
        return -1;
    if (fh_store_exec(st, "DROP TABLE IF EXISTS test_group", NULL, 0, NULL) < 0 ||
        fh_store_exec(st, "CREATE TABLE test_group (id BIGINT PRIMARY KEY, seen BIGINT)", NULL, 0,
                      NULL) < 0) {
        fh_store_close(st);
        return -1;
    }
    *state = st;
    return 0;
}

static int group_teardown(void **state)
{
    struct fh_store *st = *state;
    fh_store_exec(st, "DROP TABLE IF EXISTS test_group", NULL, 0, NULL);
    fh_store_close(st);
    remove_sqlite_files();
    free(db_url);
    return 0;
}

static int test_setup(void **state)
{
    return fh_store_exec(*state, "DELETE FROM test_group", NULL, 0, NULL) < 0 ? -1 : 0;
}

/* ---- one insert per call ---- */

struct insert {
    int64_t id;
    int64_t seen_id; /* > 0: store in seen whether that row exists when this fn runs */
    int result;      /* returned after the insert when >= 0 or FH_QS_HARD */
    int soft_first;  /* return FH_QS_SOFT on the first n runs */
    int runs;
    useconds_t pause;
};

static int insert_tx(struct fh_store *st, void *cls)
{
    struct insert *c = cls;
    c->runs++;
    int64_t seen = c->seen_id > 0 ? count_id(st, c->seen_id) : 0;
    struct fh_param p[] = {FH_PI(c->id), FH_PI(seen)};
    int qs = fh_store_exec(st, "INSERT INTO test_group (id, seen) VALUES ($1, $2)", p, 2, NULL);
    if (qs < 0)
        return qs;
    if (c->pause)
        usleep(c->pause);
    if (c->soft_first >= c->runs)
        return FH_QS_SOFT;
    return c->result;
}

struct caller {
    struct fh_store *st;
    int64_t first_id;
    int calls;
    int failures; /* told OK but not found from the caller's own connection, or not told OK */
};

static void *caller_main(void *arg)
{
    struct caller *w = arg;
    for (int i = 0; i < w->calls; i++) {
        struct insert c = {.id = w->first_id + i, .result = 1, .pause = 500};
        if (fh_store_group_tx(w->st, insert_tx, &c) != 1 || count_id(w->st, c.id) != 1)
            w->failures++;
    }
    return NULL;
}

/* Concurrent callers told OK find their row at once from another connection (their own thread's,
 * not the committer's), and they shared commits: fewer commits than calls. */
static void test_group_concurrent_callers_share_commits(void **state)
{
    struct fh_store *st = *state;
    struct fh_store_group_stats before, after;
    fh_store_group_stats(st, &before);
    pthread_t threads[THREADS];
    struct caller callers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        callers[i] = (struct caller){.st = st, .first_id = 1000 * (i + 1), .calls = CALLS};
        assert_int_equal(pthread_create(&threads[i], NULL, caller_main, &callers[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        failures += callers[i].failures;
    }
    assert_int_equal(failures, 0);
    assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM test_group", 0), THREADS * CALLS);
    fh_store_group_stats(st, &after);
    uint64_t commits = after.commits - before.commits;
    assert_int_equal(after.committed - before.committed, THREADS * CALLS);
    assert_int_equal(after.alone, before.alone);
    print_message("# %d callers x %d calls: %llu commits\n", THREADS, CALLS,
                  (unsigned long long)commits);
    assert_true(commits > 0);
    assert_true(commits * 2 <= THREADS * CALLS); /* each commit served two or more on average */
}

/* ---- a batch held at a gate, so that the callers queued meanwhile form the next one ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_reached;

static int gate_tx(struct fh_store *st, void *cls)
{
    FH_UNUSED(st);
    FH_UNUSED(cls);
    pthread_mutex_lock(&gate_lock);
    gate_reached = true;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return 0;
}

static void *gate_main(void *arg)
{
    fh_store_group_tx(arg, gate_tx, NULL);
    return NULL;
}

struct queued {
    struct fh_store *st;
    struct insert c;
    int qs;
};

static void *queued_main(void *arg)
{
    struct queued *q = arg;
    q->qs = fh_store_group_tx(q->st, insert_tx, &q->c);
    return NULL;
}

/* Starts the gate's caller and waits until the committer is inside its fn. */
static void gate_close(struct fh_store *st, pthread_t *t)
{
    gate_open = gate_reached = false;
    assert_int_equal(pthread_create(t, NULL, gate_main, st), 0);
    pthread_mutex_lock(&gate_lock);
    while (!gate_reached)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void gate_release(pthread_t t)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(t, NULL);
}

/* Queues n callers one after another (in that order) while the committer is held. */
static void queue_behind_gate(struct fh_store *st, struct queued *q, pthread_t *threads, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        q[i].st = st;
        assert_int_equal(pthread_create(&threads[i], NULL, queued_main, &q[i]), 0);
        usleep(20000); /* queued before the next one */
    }
}

/* One fn of a batch fails: it fails alone (its insert undone), the others of its batch commit. */
static void test_group_failing_fn_fails_alone(void **state)
{
    struct fh_store *st = *state;
    struct fh_store_group_stats before, after;
    fh_store_group_stats(st, &before);
    pthread_t gate, threads[5];
    struct queued q[5] = {
        {.c = {.id = 1, .result = 1}},
        {.c = {.id = 2, .result = 1}},
        {.c = {.id = 3, .result = FH_QS_HARD}}, /* the bad one */
        {.c = {.id = 4, .result = 1, .soft_first = 1}},
        {.c = {.id = 5, .result = 1}},
    };
    gate_close(st, &gate);
    queue_behind_gate(st, q, threads, 5);
    gate_release(gate);
    for (size_t i = 0; i < 5; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(q[0].qs, 1);
    assert_int_equal(q[1].qs, 1);
    assert_int_equal(q[2].qs, FH_QS_HARD);
    assert_int_equal(q[3].qs, 1);
    assert_int_equal(q[4].qs, 1);
    assert_int_equal(count_id(st, 1), 1);
    assert_int_equal(count_id(st, 2), 1);
    assert_int_equal(count_id(st, 3), 0);
    assert_int_equal(count_id(st, 4), 1);
    assert_int_equal(count_id(st, 5), 1);
    /* ran in the shared transaction (up to the bad one), then alone */
    assert_int_equal(q[0].c.runs, 2);
    assert_int_equal(q[2].c.runs, 2);
    assert_int_equal(q[4].c.runs, 1);
    fh_store_group_stats(st, &after);
    assert_int_equal(after.alone - before.alone, 5);
}

/* A batch whose fns all succeed is one commit; a retryable result sends the caller to run alone,
 * retried there. */
static void test_group_batch_is_one_commit(void **state)
{
    struct fh_store *st = *state;
    pthread_t gate, threads[4];
    struct queued q[4] = {
        {.c = {.id = 11, .result = 1}},
        {.c = {.id = 12, .seen_id = 11, .result = 1}},
        {.c = {.id = 13, .result = 1}},
        {.c = {.id = 14, .result = 1}},
    };
    gate_close(st, &gate);
    struct fh_store_group_stats before, after;
    fh_store_group_stats(st, &before);
    queue_behind_gate(st, q, threads, 4);
    gate_release(gate);
    for (size_t i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(q[i].qs, 1);
        assert_int_equal(q[i].c.runs, 1);
    }
    fh_store_group_stats(st, &after);
    assert_int_equal(after.commits - before.commits, 2); /* the gate's, then the four */
    assert_int_equal(after.committed - before.committed, 5);
    assert_int_equal(query_i64(st, "SELECT seen FROM test_group WHERE id = 12", 0), 1);

    /* alone, a SOFT result is retried like fh_store_run_tx does */
    struct insert soft = {.id = 15, .result = 1, .soft_first = 2};
    assert_int_equal(fh_store_group_tx(st, insert_tx, &soft), 1);
    assert_int_equal(soft.runs, 3);
    assert_int_equal(count_id(st, 15), 1);
}

struct nested {
    struct insert inner;
    int outer_result;
};

static int nested_tx(struct fh_store *st, void *cls)
{
    struct nested *n = cls;
    n->inner.runs = 0;
    int qs = fh_store_group_tx(st, insert_tx, &n->inner);
    return qs < 0 ? qs : n->outer_result;
}

/* A call inside a transaction joins it: undone with it, committed with it, never queued. Inside a
 * group fn (on the committer) too. */
static void test_group_nested_joins(void **state)
{
    struct fh_store *st = *state;
    struct fh_store_group_stats before, after;
    fh_store_group_stats(st, &before);
    struct nested bad = {.inner = {.id = 21, .result = 1}, .outer_result = FH_QS_HARD};
    assert_int_equal(fh_store_run_tx(st, nested_tx, &bad), FH_QS_HARD);
    assert_int_equal(bad.inner.runs, 1);
    assert_int_equal(count_id(st, 21), 0);
    struct nested ok = {.inner = {.id = 22, .result = 1}, .outer_result = 7};
    assert_int_equal(fh_store_run_tx(st, nested_tx, &ok), 7);
    assert_int_equal(count_id(st, 22), 1);
    fh_store_group_stats(st, &after);
    assert_int_equal(after.committed, before.committed); /* the committer saw none of them */

    struct nested in_group = {.inner = {.id = 23, .result = 1}, .outer_result = 1};
    assert_int_equal(fh_store_group_tx(st, nested_tx, &in_group), 1);
    assert_int_equal(in_group.inner.runs, 1);
    assert_int_equal(count_id(st, 23), 1);
}

static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    int n = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* fh_store_close stops and joins an idle committer (and closes its connection: ASan/LSan). */
static void test_group_close_stops_committer(void **state)
{
    FH_UNUSED(state);
    int threads = thread_count();
    struct fh_store *st = NULL;
    assert_int_equal(fh_store_open(db_url, &st), FH_OK);
    struct insert c = {.id = 31, .result = 1};
    assert_int_equal(fh_store_group_tx(st, insert_tx, &c), 1);
    assert_int_equal(thread_count(), threads + 1); /* the committer, now idle */
    fh_store_close(st);
    assert_int_equal(thread_count(), threads);
    /* a store that never used it starts none */
    assert_int_equal(fh_store_open(db_url, &st), FH_OK);
    assert_int_equal(thread_count(), threads);
    fh_store_close(st);
}

/* ---- fh_store_group_submit: reported later, on the committer's thread ---- */

enum { SUBMITS = 100 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int reported;
    int qs[SUBMITS];
    uint64_t batch[SUBMITS]; /* fh_store_group_batch_id as the fn saw it */
} sub = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

struct submitted {
    struct insert c;
    int index;
};

static int submitted_tx(struct fh_store *st, void *cls)
{
    struct submitted *s = cls;
    sub.batch[s->index] = fh_store_group_batch_id();
    return insert_tx(st, &s->c);
}

static void submitted_done(void *cls, int qs)
{
    struct submitted *s = cls;
    pthread_mutex_lock(&sub.lock);
    sub.qs[s->index] = qs;
    sub.reported++;
    pthread_cond_broadcast(&sub.cond);
    pthread_mutex_unlock(&sub.lock);
}

/* Submits SUBMITS inserts from this thread without waiting (every tenth failing hard when
 * failing), then waits until each was reported. */
static void submit_all(struct fh_store *st, bool failing)
{
    static struct submitted s[SUBMITS];
    sub.reported = 0;
    for (int i = 0; i < SUBMITS; i++) {
        bool bad = failing && i % 10 == 3;
        s[i] =
            (struct submitted){.c = {.id = 1000 + i, .result = bad ? FH_QS_HARD : 1}, .index = i};
        sub.batch[i] = 0;
        assert_int_equal(fh_store_group_submit(st, submitted_tx, &s[i], submitted_done, &s[i]),
                         FH_OK);
    }
    pthread_mutex_lock(&sub.lock);
    while (sub.reported < SUBMITS)
        pthread_cond_wait(&sub.cond, &sub.lock);
    pthread_mutex_unlock(&sub.lock);
}

static void test_group_submit_reports_after_commit(void **state)
{
    struct fh_store *st = *state;
    struct fh_store_group_stats before, after;
    fh_store_group_stats(st, &before);
    submit_all(st, false);
    for (int i = 0; i < SUBMITS; i++) {
        assert_int_equal(sub.qs[i], 1);
        assert_int_equal(count_id(st, 1000 + i), 1); /* reported: visible to another connection */
        assert_true(sub.batch[i] > 0);               /* ran in a shared transaction */
    }
    fh_store_group_stats(st, &after);
    assert_int_equal(after.committed - before.committed, SUBMITS);
    assert_true(after.commits - before.commits < SUBMITS / 2); /* queued together: shared */
}

static void test_group_submitted_failure_fails_alone(void **state)
{
    struct fh_store *st = *state;
    submit_all(st, true);
    for (int i = 0; i < SUBMITS; i++) {
        bool bad = i % 10 == 3;
        assert_int_equal(sub.qs[i], bad ? FH_QS_HARD : 1);
        assert_int_equal(count_id(st, 1000 + i), bad ? 0 : 1);
    }
}

static int submit_inside_tx(struct fh_store *st, void *cls)
{
    FH_UNUSED(cls);
    static struct submitted s = {.c = {.id = 1, .result = 1}};
    return fh_store_group_submit(st, submitted_tx, &s, submitted_done, &s) == FH_ERR ? 1
                                                                                     : FH_QS_HARD;
}

static void test_group_submit_refused_inside_tx(void **state)
{
    assert_int_equal(fh_store_run_tx(*state, submit_inside_tx, NULL), 1);
    assert_int_equal(fh_store_group_batch_id(), 0); /* not on a committer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_group_concurrent_callers_share_commits, test_setup),
        cmocka_unit_test_setup(test_group_failing_fn_fails_alone, test_setup),
        cmocka_unit_test_setup(test_group_batch_is_one_commit, test_setup),
        cmocka_unit_test_setup(test_group_nested_joins, test_setup),
        cmocka_unit_test_setup(test_group_submit_reports_after_commit, test_setup),
        cmocka_unit_test_setup(test_group_submitted_failure_fails_alone, test_setup),
        cmocka_unit_test_setup(test_group_submit_refused_inside_tx, test_setup),
        cmocka_unit_test_setup(test_group_close_stops_committer, test_setup),
    };
    return cmocka_run_group_tests_name("store_group", tests, group_setup, group_teardown);
}
