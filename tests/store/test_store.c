/* test_store.c - the generic store against the backend named by DATABASE_URL (a fresh SQLite
 * file under /tmp when unset). Each run starts from an empty database: open, reset, migrate.
 * Scratch tables (test_values, test_counter) are created here in SQL valid on both backends. */
#include <limits.h>
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

#define THREADS 8
#define INCREMENTS 50

static char *db_url;
static char sqlite_path[256];

static struct fh_store *store_of(void **state)
{
    return *state;
}

static int exec0(struct fh_store *st, const char *sql)
{
    return fh_store_exec(st, sql, NULL, 0, NULL);
}

/* Runs a one-cell query and returns the cell as int64 (def when absent or NULL). */
static int64_t query_i64(struct fh_store *st, const char *sql, const struct fh_param *p, size_t n,
                         int64_t def)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, sql, p, n, &rows);
    assert_true(qs >= 0);
    int64_t v = fh_rows_i64(&rows, 0, 0, def);
    fh_rows_free(&rows);
    return v;
}

static int64_t count_rows(struct fh_store *st, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
    return query_i64(st, sql, NULL, 0, -1);
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
        snprintf(sqlite_path, sizeof(sqlite_path), "/tmp/fh-test-store-%ld.db", (long)getpid());
        remove_sqlite_files();
        db_url = fh_strdup(sqlite_path);
    }
    struct fh_store *st = NULL;
    if (fh_store_open(db_url, &st) != FH_OK)
        return -1;
    if (fh_store_reset_for_tests(st) != FH_OK || fh_store_migrate(st) != FH_OK) {
        fh_store_close(st);
        return -1;
    }
    const char *ddl[] = {
        "CREATE TABLE IF NOT EXISTS test_values (id BIGINT PRIMARY KEY, t TEXT, n BIGINT)",
        "CREATE TABLE IF NOT EXISTS test_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(ddl); i++) {
        if (exec0(st, ddl[i]) < 0) {
            fh_store_close(st);
            return -1;
        }
    }
    *state = st;
    return 0;
}

static int group_teardown(void **state)
{
    fh_store_close(*state);
    remove_sqlite_files();
    free(db_url);
    return 0;
}

/* Every test starts with empty scratch tables. */
static int test_setup(void **state)
{
    struct fh_store *st = store_of(state);
    const char *sql[] = {"DELETE FROM test_values", "DELETE FROM test_counter",
                         "DELETE FROM organizations", "DELETE FROM tenants"};
    for (size_t i = 0; i < FH_ARRAY_LEN(sql); i++) {
        if (exec0(st, sql[i]) < 0)
            return -1;
    }
    return 0;
}

static struct fh_store *sync_store;

static void test_migrations_idempotent(void **state)
{
    struct fh_store *st = store_of(state);
    int v = fh_store_schema_version(st);
    assert_true(v > 0);
    int64_t applied = count_rows(st, "schema_migrations");
    assert_true(applied > 0);
    assert_int_equal(fh_store_migrate(st), FH_OK);
    assert_int_equal(fh_store_schema_version(st), v);
    assert_int_equal(count_rows(st, "schema_migrations"), applied);
    /* The tables of 0001 exist and start empty. */
    assert_int_equal(count_rows(st, "tenants"), 0);
    assert_int_equal(count_rows(st, "integrations"), 0);
}

static void insert_value(struct fh_store *st, int64_t id, struct fh_param t, struct fh_param n)
{
    struct fh_param p[] = {FH_PI(id), t, n};
    assert_int_equal(
        fh_store_exec(st, "INSERT INTO test_values (id, t, n) VALUES ($1, $2, $3)", p, 3, NULL), 1);
}

static void test_roundtrip_types(void **state)
{
    struct fh_store *st = store_of(state);
    const int64_t nums[] = {INT64_MAX, INT64_MIN, -1, 0, 42, -9000000000000};
    for (size_t i = 0; i < FH_ARRAY_LEN(nums); i++)
        insert_value(st, (int64_t)i + 1, FH_PT("text"), FH_PI(nums[i]));
    insert_value(st, 100, FH_PNULL, FH_PNULL);
    insert_value(st, 101, FH_PT(""), FH_PI(7));

    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT id, t, n FROM test_values WHERE id < 100 ORDER BY id", NULL,
                           0, &rows);
    assert_int_equal(qs, (int)FH_ARRAY_LEN(nums));
    assert_int_equal(rows.nrows, FH_ARRAY_LEN(nums));
    assert_int_equal(rows.ncols, 3);
    for (size_t i = 0; i < FH_ARRAY_LEN(nums); i++) {
        assert_string_equal(fh_rows_get(&rows, i, 1), "text");
        assert_true(fh_rows_i64(&rows, i, 2, 12345) == nums[i]);
        assert_true(fh_rows_i64(&rows, i, 0, 0) == (int64_t)i + 1);
    }
    assert_string_equal(fh_rows_get(&rows, 0, 2), "9223372036854775807");
    assert_string_equal(fh_rows_get(&rows, 1, 2), "-9223372036854775808");
    fh_rows_free(&rows);

    qs = fh_store_exec(st, "SELECT t, n FROM test_values WHERE id = $1",
                       (struct fh_param[]){FH_PI(100)}, 1, &rows);
    assert_int_equal(qs, 1);
    assert_null(fh_rows_get(&rows, 0, 0));
    assert_null(fh_rows_get(&rows, 0, 1));
    assert_true(fh_rows_i64(&rows, 0, 1, -77) == -77);
    fh_rows_free(&rows);

    qs = fh_store_exec(st, "SELECT t FROM test_values WHERE id = $1",
                       (struct fh_param[]){FH_PI(101)}, 1, &rows);
    assert_int_equal(qs, 1);
    assert_non_null(fh_rows_get(&rows, 0, 0)); /* empty text is not NULL */
    assert_string_equal(fh_rows_get(&rows, 0, 0), "");
    fh_rows_free(&rows);

    /* int64 parameters in comparisons, including the extremes. */
    struct fh_param p[] = {FH_PI(INT64_MIN)};
    assert_int_equal(query_i64(st, "SELECT id FROM test_values WHERE n = $1", p, 1, -1), 2);
    p[0] = FH_PI(-1);
    assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM test_values WHERE n < $1", p, 1, -1), 2);
    assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM test_values WHERE n IS NULL", NULL, 0, -1),
                     1);

    /* UPDATE and DELETE report affected rows when no result is asked for. */
    p[0] = FH_PI(50);
    assert_int_equal(
        fh_store_exec(st, "UPDATE test_values SET n = n + 1 WHERE id BETWEEN 3 AND $1", p, 1, NULL),
        4);
    assert_int_equal(fh_store_exec(st, "DELETE FROM test_values WHERE id = 999", NULL, 0, NULL), 0);
}

static void test_params_order_and_reuse(void **state)
{
    struct fh_store *st = store_of(state);
    struct fh_rows rows;
    struct fh_param p[] = {FH_PT("a"), FH_PT("b"), FH_PT("c")};
    /* $2 before $1, $1 twice, $3 passed but unused. */
    int qs = fh_store_exec(st, "SELECT $2, $1, $1", p, 3, &rows);
    assert_int_equal(qs, 1);
    assert_string_equal(fh_rows_get(&rows, 0, 0), "b");
    assert_string_equal(fh_rows_get(&rows, 0, 1), "a");
    assert_string_equal(fh_rows_get(&rows, 0, 2), "a");
    fh_rows_free(&rows);

    /* A gap: $1 and $3 used, $2 not. */
    qs = fh_store_exec(st, "SELECT $3, $1", p, 3, &rows);
    assert_int_equal(qs, 1);
    assert_string_equal(fh_rows_get(&rows, 0, 0), "c");
    assert_string_equal(fh_rows_get(&rows, 0, 1), "a");
    fh_rows_free(&rows);

    /* The same int64 parameter in two columns, text parameter first in the list. */
    struct fh_param q[] = {FH_PT("reused"), FH_PI(77), FH_PI(-5)};
    assert_int_equal(
        fh_store_exec(st, "INSERT INTO test_values (n, t, id) VALUES ($2, $1, $2)", q, 3, NULL), 1);
    qs = fh_store_exec(st, "SELECT id, t, n FROM test_values WHERE id = $2 AND n = $2 AND t = $1",
                       q, 3, &rows);
    assert_int_equal(qs, 1);
    assert_true(fh_rows_i64(&rows, 0, 0, 0) == 77);
    assert_string_equal(fh_rows_get(&rows, 0, 1), "reused");
    assert_true(fh_rows_i64(&rows, 0, 2, 0) == 77);
    fh_rows_free(&rows);

    /* "$1" inside a string literal is text, not a parameter. */
    qs = fh_store_exec(st, "SELECT '$1 and $2', $1", (struct fh_param[]){FH_PT("x")}, 1, &rows);
    assert_int_equal(qs, 1);
    assert_string_equal(fh_rows_get(&rows, 0, 0), "$1 and $2");
    assert_string_equal(fh_rows_get(&rows, 0, 1), "x");
    fh_rows_free(&rows);

    /* Nor in comments or quoted identifiers. */
    qs = fh_store_exec(st, "SELECT $1 AS \"a$2\" /* $3 */ -- $4\n", (struct fh_param[]){FH_PT("y")},
                       1, &rows);
    assert_int_equal(qs, 1);
    assert_string_equal(fh_rows_get(&rows, 0, 0), "y");
    fh_rows_free(&rows);

    /* Forty parameters, used from the last down, run twice with other values (the second run
     * binds through what the first one learnt about the statement): $33..$40 are past the
     * 32 an SQLite statement maps up front. */
    char sql[600] = "SELECT ";
    for (int i = 40; i >= 1; i--)
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s$%d", i < 40 ? ", " : "", i);
    for (int run = 0; run < 2; run++) {
        struct fh_param many[40];
        for (int i = 0; i < 40; i++)
            many[i] = FH_PI((int64_t)(i + 1) * (run ? -3 : 7));
        qs = fh_store_exec(st, sql, many, 40, &rows);
        assert_int_equal(qs, 1);
        for (int col = 0; col < 40; col++)
            assert_true(fh_rows_i64(&rows, 0, (size_t)col, 0) ==
                        (int64_t)(40 - col) * (run ? -3 : 7));
        fh_rows_free(&rows);
    }
}

static void test_params_verbatim(void **state)
{
    struct fh_store *st = store_of(state);
    const char *const values[] = {
        "O'Reilly",
        "''",
        "\"double\" quotes",
        "'; DROP TABLE test_values; --",
        "Robert'); DROP TABLE tenants;--",
        "1 OR 1=1",
        "$1 $2 ?1 :name @x",
        "back\\slash \\n \\x00",
        "\xc5\xbdito \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\xa7\xbe",
        "tab\tnew\nline\r",
        "%s%n%x",
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(values); i++)
        insert_value(st, (int64_t)i + 1, FH_PT(values[i]), FH_PI((int64_t)i));
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT t FROM test_values ORDER BY id", NULL, 0, &rows);
    assert_int_equal(qs, (int)FH_ARRAY_LEN(values));
    for (size_t i = 0; i < FH_ARRAY_LEN(values); i++)
        assert_string_equal(fh_rows_get(&rows, i, 0), values[i]);
    fh_rows_free(&rows);
    /* Lookups by the same strings find exactly one row each. */
    for (size_t i = 0; i < FH_ARRAY_LEN(values); i++) {
        struct fh_param p[] = {FH_PT(values[i])};
        assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM test_values WHERE t = $1", p, 1, -1),
                         1);
    }
    assert_int_equal(count_rows(st, "tenants"), 0); /* still there */
}

static int insert_tenant(struct fh_store *st, const char *code, int64_t *id)
{
    struct fh_param p[] = {FH_PT(code), FH_PT("Tenant"), FH_PI(fh_now_ms())};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3) "
                           "ON CONFLICT DO NOTHING RETURNING id",
                           p, 3, &rows);
    if (qs == 1 && id)
        *id = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return qs;
}

/* The same SQL text again and again (the SQLite backend caches prepared statements): fresh
 * bindings every time (none left over from the last run), a failed run leaves the statement
 * usable, more distinct statements than the cache holds, a table dropped and made again with
 * other columns, and no read transaction left open by a finished SELECT. */
static void test_statement_reuse(void **state)
{
    struct fh_store *st = store_of(state);
    const char *ins = "INSERT INTO test_values (id, t, n) VALUES ($1, $2, $3)";
    for (int64_t i = 1; i <= 5; i++) {
        struct fh_param p[] = {FH_PI(i), FH_PT(i % 2 ? "odd" : "even"), FH_PI(i * 10)};
        assert_int_equal(fh_store_exec(st, ins, p, 3, NULL), 1);
    }
    if (fh_store_backend(st) == FH_STORE_SQLITE) {
        /* $3 not passed this time (SQLite binds NULL; PostgreSQL refuses): NULL, not the 50 of
         * the last run */
        struct fh_param two[] = {FH_PI(6), FH_PT("six")};
        assert_int_equal(fh_store_exec(st, ins, two, 2, NULL), 1);
        assert_int_equal(query_i64(st, "SELECT COALESCE(n, -1) FROM test_values WHERE id = $1",
                                   (struct fh_param[]){FH_PI(6)}, 1, 0),
                         -1);
    }
    /* a duplicate key fails; the same statement works afterwards */
    struct fh_param dup[] = {FH_PI(1), FH_PT("dup"), FH_PI(1)};
    assert_true(fh_store_exec(st, ins, dup, 3, NULL) < 0);
    struct fh_param ok[] = {FH_PI(7), FH_PT("seven"), FH_PI(70)};
    assert_int_equal(fh_store_exec(st, ins, ok, 3, NULL), 1);
    const char *sel = "SELECT n FROM test_values WHERE id = $1";
    for (int64_t i = 1; i <= 5; i++)
        assert_true(query_i64(st, sel, (struct fh_param[]){FH_PI(i)}, 1, 0) == i * 10);
    /* 100 distinct statements, then the first ones again */
    for (int k = 0; k < 100; k++) {
        char sql[80];
        snprintf(sql, sizeof(sql), "SELECT %d + n FROM test_values WHERE id = $1", k);
        assert_true(query_i64(st, sql, (struct fh_param[]){FH_PI(2)}, 1, 0) == k + 20);
    }
    assert_true(query_i64(st, sel, (struct fh_param[]){FH_PI(3)}, 1, 0) == 30);
    /* the schema changes under a statement used before */
    const char *sel2 = "SELECT b FROM test_reprepare WHERE a = $1";
    assert_true(exec0(st, "CREATE TABLE test_reprepare (a BIGINT, b BIGINT)") >= 0);
    assert_true(exec0(st, "INSERT INTO test_reprepare (a, b) VALUES (1, 2)") >= 0);
    assert_true(query_i64(st, sel2, (struct fh_param[]){FH_PI(1)}, 1, 0) == 2);
    assert_true(exec0(st, "DROP TABLE test_reprepare") >= 0);
    assert_true(exec0(st, "CREATE TABLE test_reprepare (z TEXT, a BIGINT, b BIGINT)") >= 0);
    assert_true(exec0(st, "INSERT INTO test_reprepare (z, a, b) VALUES ('x', 1, 3)") >= 0);
    assert_true(query_i64(st, sel2, (struct fh_param[]){FH_PI(1)}, 1, 0) == 3);
    assert_true(exec0(st, "DROP TABLE test_reprepare") >= 0);
    if (fh_store_backend(st) == FH_STORE_SQLITE) {
        /* nothing holds a read transaction: a TRUNCATE checkpoint completes (busy = 0) */
        struct fh_rows rows;
        assert_int_equal(fh_store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, 0, &rows), 1);
        assert_true(fh_rows_i64(&rows, 0, 0, -1) == 0);
        fh_rows_free(&rows);
    }
}

static void test_unique_on_conflict(void **state)
{
    struct fh_store *st = store_of(state);
    int64_t id = -1;
    assert_int_equal(insert_tenant(st, "uniq-1", &id), 1);
    assert_true(id > 0);
    assert_int_equal(insert_tenant(st, "uniq-1", NULL), FH_QS_NONE);
    int64_t id2 = -1;
    assert_int_equal(insert_tenant(st, "uniq-2", &id2), 1);
    assert_true(id2 > id);
    struct fh_param p[] = {FH_PT("uniq-1")};
    assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM tenants WHERE code = $1", p, 1, -1), 1);
    /* Without ON CONFLICT the duplicate is a hard error. */
    struct fh_param dup[] = {FH_PT("uniq-1"), FH_PT("again"), FH_PI(1)};
    assert_int_equal(
        fh_store_exec(st, "INSERT INTO tenants (code, name, created_at) VALUES ($1, $2, $3)", dup,
                      3, NULL),
        FH_QS_HARD);
}

struct tx_ctx {
    int64_t first_id;
    int result; /* what fn returns after its inserts */
    bool nested;
    bool swallow_error;
};

static int tx_insert_two(struct fh_store *st, void *cls)
{
    struct tx_ctx *ctx = cls;
    insert_value(st, ctx->first_id, FH_PT("tx"), FH_PI(1));
    if (ctx->swallow_error) {
        /* A duplicate key fails; the function ignores it (don't do this in real code). */
        struct fh_param p[] = {FH_PI(ctx->first_id)};
        int qs = fh_store_exec(st, "INSERT INTO test_values (id) VALUES ($1)", p, 1, NULL);
        assert_int_equal(qs, FH_QS_HARD);
        return ctx->result;
    }
    if (ctx->nested) {
        struct tx_ctx inner = {.first_id = ctx->first_id + 1, .result = 1};
        return fh_store_run_tx(st, tx_insert_two, &inner) < 0 ? FH_QS_HARD : ctx->result;
    }
    insert_value(st, ctx->first_id + 1, FH_PT("tx"), FH_PI(2));
    return ctx->result;
}

static void test_tx_commit_and_rollback(void **state)
{
    struct fh_store *st = store_of(state);
    struct tx_ctx ok = {.first_id = 1, .result = 7};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &ok), 7);
    assert_int_equal(count_rows(st, "test_values"), 2);

    struct tx_ctx bad = {.first_id = 10, .result = FH_QS_HARD};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &bad), FH_QS_HARD);
    assert_int_equal(count_rows(st, "test_values"), 2); /* neither row of the failed one */
    struct fh_param p[] = {FH_PI(10)};
    assert_int_equal(query_i64(st, "SELECT COUNT(*) FROM test_values WHERE id >= $1", p, 1, -1), 0);

    /* Connection still usable after the rollback. */
    assert_int_equal(fh_store_ping(st), FH_OK);
}

static void test_tx_swallowed_error(void **state)
{
    struct fh_store *st = store_of(state);
    struct tx_ctx ctx = {.first_id = 20, .result = 1, .swallow_error = true};
    int qs = fh_store_run_tx(st, tx_insert_two, &ctx);
    if (fh_store_backend(st) == FH_STORE_PG) {
        /* PostgreSQL aborts the whole transaction on the failed statement; the commit must not
         * pretend otherwise. */
        assert_int_equal(qs, FH_QS_HARD);
        assert_int_equal(count_rows(st, "test_values"), 0);
    } else {
        /* SQLite only undoes the failed statement. */
        assert_int_equal(qs, 1);
        assert_int_equal(count_rows(st, "test_values"), 1);
    }
    assert_int_equal(fh_store_ping(st), FH_OK);
}

static void test_tx_nested_joins(void **state)
{
    struct fh_store *st = store_of(state);
    /* The inner run_tx succeeds, the outer fails: the inner rows must go too. */
    struct tx_ctx bad = {.first_id = 1, .result = FH_QS_HARD, .nested = true};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &bad), FH_QS_HARD);
    assert_int_equal(count_rows(st, "test_values"), 0);

    /* Both succeed: the outer row and the inner two are committed. */
    struct tx_ctx ok = {.first_id = 5, .result = 3, .nested = true};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &ok), 3);
    assert_int_equal(count_rows(st, "test_values"), 3);
}

static int tx_increment(struct fh_store *st, void *cls)
{
    FH_UNUSED(cls);
    struct fh_rows rows;
    const char *sel = fh_store_sql(st, "SELECT n FROM test_counter WHERE id = 1",
                                   "SELECT n FROM test_counter WHERE id = 1 FOR UPDATE");
    int qs = fh_store_exec(st, sel, NULL, 0, &rows);
    if (qs < 0)
        return qs;
    int64_t n = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    if (qs != 1 || n < 0)
        return FH_QS_HARD;
    struct fh_param p[] = {FH_PI(n + 1)};
    qs = fh_store_exec(st, "UPDATE test_counter SET n = $1 WHERE id = 1", p, 1, NULL);
    if (qs < 0)
        return qs;
    return qs == 1 ? 1 : FH_QS_HARD;
}

struct worker {
    struct fh_store *st;
    int failures;
};

static void *increment_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < INCREMENTS; i++) {
        if (fh_store_run_tx(w->st, tx_increment, NULL) != 1)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_increments(void **state)
{
    struct fh_store *st = store_of(state);
    assert_int_equal(exec0(st, "INSERT INTO test_counter (id, n) VALUES (1, 0)"), 1);
    uint64_t retries_before = fh_store_tx_retries(st);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.st = st};
        assert_int_equal(pthread_create(&threads[i], NULL, increment_worker, &workers[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        failures += workers[i].failures;
    }
    assert_int_equal(failures, 0);
    assert_int_equal(query_i64(st, "SELECT n FROM test_counter WHERE id = 1", NULL, 0, -1),
                     THREADS * INCREMENTS);
    print_message("# %d x %d increments, %llu transaction retries\n", THREADS, INCREMENTS,
                  (unsigned long long)(fh_store_tx_retries(st) - retries_before));
}

static void test_foreign_keys(void **state)
{
    struct fh_store *st = store_of(state);
    struct fh_param p[] = {FH_PI(999999), FH_PT("org-fk"), FH_PT("Org"), FH_PI(fh_now_ms())};
    const char *sql = "INSERT INTO organizations (tenant_id, code, name, created_at) "
                      "VALUES ($1, $2, $3, $4)";
    assert_int_equal(fh_store_exec(st, sql, p, 4, NULL), FH_QS_HARD);
    assert_int_equal(count_rows(st, "organizations"), 0);
    /* With a real tenant it goes in. */
    int64_t tid = -1;
    assert_int_equal(insert_tenant(st, "fk-tenant", &tid), 1);
    p[0] = FH_PI(tid);
    assert_int_equal(fh_store_exec(st, sql, p, 4, NULL), 1);
    assert_int_equal(count_rows(st, "organizations"), 1);
}

static void *read_synchronous(void *arg)
{
    struct fh_rows rows;
    int64_t *out = arg;
    *out = -1;
    if (fh_store_exec(sync_store, "PRAGMA synchronous", NULL, 0, &rows) == 1)
        *out = fh_rows_i64(&rows, 0, 0, -1);
    fh_rows_free(&rows);
    return NULL;
}

/* SQLite commits are synced to disk (FULL = 2) unless NORMAL (1) was chosen; a new thread opens
 * a new connection, which takes the setting of the time. Checkpoints every 10,000 WAL pages. */
static void test_sqlite_synchronous(void **state)
{
    sync_store = store_of(state);
    if (fh_store_backend(sync_store) != FH_STORE_SQLITE)
        return; /* a SQLite setting; PostgreSQL commits are always synced */
    int64_t mode = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_synchronous, &mode), 0);
    pthread_join(t, NULL);
    assert_int_equal(mode, 2);
    assert_int_equal(query_i64(sync_store, "PRAGMA wal_autocheckpoint", NULL, 0, -1), 10000);
    fh_store_sqlite_sync_full(false);
    assert_int_equal(pthread_create(&t, NULL, read_synchronous, &mode), 0);
    pthread_join(t, NULL);
    fh_store_sqlite_sync_full(true);
    assert_int_equal(mode, 1);
}

static void test_ping(void **state)
{
    assert_int_equal(fh_store_ping(store_of(state)), FH_OK);
}

static void test_unreachable(void **state)
{
    struct fh_store *bad = NULL;
    if (fh_store_backend(store_of(state)) == FH_STORE_PG) {
        /* Nothing listens on port 1. */
        assert_int_equal(
            fh_store_open("postgres://fiscalhub@127.0.0.1:1/nope?connect_timeout=3", &bad), FH_ERR);
    } else {
        assert_int_equal(fh_store_open("/nonexistent-dir/sub/store.db", &bad), FH_ERR);
    }
    assert_null(bad);
}

static void *migrate_worker(void *arg)
{
    struct worker *w = arg;
    if (fh_store_migrate(w->st) != FH_OK)
        w->failures++;
    return NULL;
}

/* Several migrate runs at once on an empty database: all succeed, each migration applies once. */
static void test_concurrent_migrate(void **state)
{
    struct fh_store *st = store_of(state);
    int64_t applied = count_rows(st, "schema_migrations");
    assert_int_equal(fh_store_reset_for_tests(st), FH_OK);
    pthread_t threads[4];
    struct worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){.st = st};
        assert_int_equal(pthread_create(&threads[i], NULL, migrate_worker, &workers[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        failures += workers[i].failures;
    }
    assert_int_equal(failures, 0);
    assert_int_equal(count_rows(st, "schema_migrations"), applied);
    assert_int_equal(count_rows(st, "tenants"), 0);
}

static void test_pg_reconnect(void **state)
{
    struct fh_store *st = store_of(state);
    if (fh_store_backend(st) != FH_STORE_PG)
        skip();
    /* The server ends our own session: the statement is retryable, the next one reconnects. */
    int qs = exec0(st, "SELECT pg_terminate_backend(pg_backend_pid())");
    assert_int_equal(qs, FH_QS_SOFT);
    assert_int_equal(fh_store_ping(st), FH_OK);
    struct tx_ctx ok = {.first_id = 1, .result = 1};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &ok), 1);
    assert_int_equal(count_rows(st, "test_values"), 2);
}

struct killer {
    struct fh_store *st;
    int64_t pid;
};

/* On its own connection: ends the session pid and waits until it is gone. */
static void *kill_session(void *arg)
{
    struct killer *k = arg;
    struct fh_param p[] = {FH_PI(k->pid)};
    query_i64(k->st, "SELECT pg_terminate_backend($1::int)", p, 1, -1);
    for (int i = 0; i < 500; i++) {
        if (query_i64(k->st, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", p, 1,
                      -1) == 0)
            break;
        fh_sleep_ms(10);
    }
    return NULL;
}

static int lost_at_commit_calls;

/* Inserts a row, then has another connection end this session: the COMMIT that follows meets a
 * dead connection. */
static int tx_lost_at_commit(struct fh_store *st, void *cls)
{
    FH_UNUSED(cls);
    lost_at_commit_calls++;
    insert_value(st, 1, FH_PT("lost"), FH_PI(1));
    struct killer k = {.st = st, .pid = query_i64(st, "SELECT pg_backend_pid()", NULL, 0, -1)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, kill_session, &k), 0);
    pthread_join(t, NULL);
    return 1;
}

/* A connection lost during COMMIT leaves the outcome unknown (the server may have committed):
 * the transaction fails hard instead of running its function a second time. */
static void test_pg_commit_lost_is_not_retried(void **state)
{
    struct fh_store *st = store_of(state);
    if (fh_store_backend(st) != FH_STORE_PG)
        return; /* SQLite commits in-process: there is no connection to lose */
    lost_at_commit_calls = 0;
    assert_int_equal(fh_store_run_tx(st, tx_lost_at_commit, NULL), FH_QS_HARD);
    assert_int_equal(lost_at_commit_calls, 1);
    /* the next transaction reconnects */
    struct tx_ctx ok = {.first_id = 10, .result = 1};
    assert_int_equal(fh_store_run_tx(st, tx_insert_two, &ok), 1);
    assert_int_equal(count_rows(st, "test_values"), 2); /* the lost one never committed here */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_migrations_idempotent, test_setup),
        cmocka_unit_test_setup(test_roundtrip_types, test_setup),
        cmocka_unit_test_setup(test_params_order_and_reuse, test_setup),
        cmocka_unit_test_setup(test_params_verbatim, test_setup),
        cmocka_unit_test_setup(test_statement_reuse, test_setup),
        cmocka_unit_test_setup(test_unique_on_conflict, test_setup),
        cmocka_unit_test_setup(test_tx_commit_and_rollback, test_setup),
        cmocka_unit_test_setup(test_tx_swallowed_error, test_setup),
        cmocka_unit_test_setup(test_tx_nested_joins, test_setup),
        cmocka_unit_test_setup(test_concurrent_increments, test_setup),
        cmocka_unit_test_setup(test_foreign_keys, test_setup),
        cmocka_unit_test_setup(test_sqlite_synchronous, test_setup),
        cmocka_unit_test_setup(test_ping, test_setup),
        cmocka_unit_test_setup(test_unreachable, test_setup),
        cmocka_unit_test_setup(test_pg_reconnect, test_setup),
        cmocka_unit_test_setup(test_pg_commit_lost_is_not_retried, test_setup),
        cmocka_unit_test_setup(test_concurrent_migrate, test_setup), /* drops the scratch tables */
    };
    return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
