/* store.c - backend-independent part of the store: per-thread connections, transactions with
 * retry, migrations.
 *
 * Connections: each thread gets its own backend connection through a pthread key, opened on
 * first use. The store also keeps every open connection on a list so that fh_store_close() can
 * close connections of threads that are still alive; a thread that exits first closes its own
 * (the key's destructor) and unlinks it.
 *
 * Transactions: fh_store_run_tx() runs a function between begin and commit and retries the
 * whole function on FH_QS_SOFT, with a short randomized pause, so callers write their change
 * once and never see a conflict. A run_tx inside a run_tx on the same thread joins the outer
 * one (only the outermost commits or retries).
 *
 * Group commit (group.c): fh_store_group_tx() runs a function in a transaction shared with the
 * other callers of the moment, committed by the store's committer thread, which this file
 * starts on first use and fh_store_close() stops.
 */
#include "fh/fh_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fh/fh_crypto.h"
#include "store_internal.h"

struct conn_slot {
    struct fh_db *db;
    struct fh_store *st;
    int tx_depth;
    struct conn_slot *next;
};

struct fh_store {
    const struct fh_store_ops *ops;
    enum fh_backend backend;
    char *url;
    pthread_key_t key;
    pthread_mutex_t lock;
    struct conn_slot *slots;
    atomic_uint_fast64_t retries;
    pthread_mutex_t group_lock; /* starting the committer */
    _Atomic(struct fh_group *) group;
    bool group_failed; /* under group_lock: it could not start; callers commit alone */
};

static void slot_unlink(struct fh_store *st, struct conn_slot *slot)
{
    pthread_mutex_lock(&st->lock);
    for (struct conn_slot **p = &st->slots; *p; p = &(*p)->next) {
        if (*p == slot) {
            *p = slot->next;
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
}

static void slot_destroy(void *p)
{
    struct conn_slot *slot = p;
    slot_unlink(slot->st, slot);
    slot->st->ops->disconnect(slot->db);
    free(slot);
}

/* Returns the calling thread's slot, connecting on first use; NULL if the backend is down. */
static struct conn_slot *thread_slot(struct fh_store *st)
{
    struct conn_slot *slot = pthread_getspecific(st->key);
    if (slot)
        return slot;
    struct fh_db *db = NULL;
    if (st->ops->connect(st->url, &db) != FH_OK)
        return NULL;
    slot = fh_calloc(1, sizeof(*slot));
    slot->db = db;
    slot->st = st;
    pthread_mutex_lock(&st->lock);
    slot->next = st->slots;
    st->slots = slot;
    pthread_mutex_unlock(&st->lock);
    pthread_setspecific(st->key, slot);
    return slot;
}

/* Drops the calling thread's connection (after a hard error it may be broken). */
static void thread_slot_drop(struct fh_store *st, struct conn_slot *slot)
{
    pthread_setspecific(st->key, NULL);
    slot_destroy(slot);
}

enum fh_rc fh_store_open(const char *url, struct fh_store **out)
{
    struct fh_store *st = fh_calloc(1, sizeof(*st));
    if (fh_starts_with(url, "postgres://") || fh_starts_with(url, "postgresql://")) {
        st->ops = &fh_store_pg_ops;
        st->backend = FH_STORE_PG;
    } else {
        st->ops = &fh_store_sqlite_ops;
        st->backend = FH_STORE_SQLITE;
    }
    st->url = fh_strdup(url);
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->group_lock, NULL);
    pthread_key_create(&st->key, slot_destroy);
    if (!thread_slot(st)) {
        fh_log(FH_LOG_ERROR, "store_open", "cannot connect to the %s store", st->ops->name);
        fh_store_close(st);
        return FH_ERR;
    }
    *out = st;
    return FH_OK;
}

void fh_store_close(struct fh_store *st)
{
    if (!st)
        return;
    fh_group_stop(atomic_load(&st->group)); /* its thread's connection closes as it ends */
    pthread_key_delete(st->key);
    pthread_mutex_lock(&st->lock);
    struct conn_slot *s = st->slots;
    st->slots = NULL;
    pthread_mutex_unlock(&st->lock);
    while (s) {
        struct conn_slot *next = s->next;
        st->ops->disconnect(s->db);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->group_lock);
    free(st->url);
    free(st);
}

enum fh_backend fh_store_backend(const struct fh_store *st)
{
    return st->backend;
}

const char *fh_store_sql(const struct fh_store *st, const char *sqlite_sql, const char *pg_sql)
{
    return st->backend == FH_STORE_PG ? pg_sql : sqlite_sql;
}

/* ---- a full disk (fh_store_full_since) ---- */
static _Atomic int64_t full_since, full_last;

void fh_store_note_full(void)
{
    int64_t now = fh_now_ms(), none = 0;
    atomic_store(&full_last, now);
    if (atomic_compare_exchange_strong(&full_since, &none, now))
        fh_log(FH_LOG_ERROR, "store_full",
               "the store is out of disk space: writes fail (503, code 5004) until space is freed");
}

int64_t fh_store_full_since(void)
{
    return atomic_load_explicit(&full_since, memory_order_relaxed);
}

/* A write committed. Space was found again, unless a write was refused within the last second:
 * what a failed request undoes (a DELETE) commits on a full disk too. */
static void store_written(void)
{
    if (atomic_load_explicit(&full_since, memory_order_relaxed) &&
        fh_now_ms() - atomic_load(&full_last) >= 1000 && atomic_exchange(&full_since, 0) != 0)
        fh_log(FH_LOG_INFO, "store_full", "the store writes again");
}

/* A plain read: running it again cannot change anything (nothing of ours has side effects in a
 * SELECT, and FOR UPDATE only means something inside a transaction). */
static bool read_only(const char *sql)
{
    return strncasecmp(sql, "SELECT", 6) == 0 && !strstr(sql, "FOR UPDATE");
}

int fh_store_exec(struct fh_store *st, const char *sql, const struct fh_param *params,
                  size_t nparams, struct fh_rows *rows)
{
    struct conn_slot *slot = thread_slot(st);
    if (rows)
        memset(rows, 0, sizeof(*rows));
    if (!slot)
        return FH_QS_SOFT;
    int qs = st->ops->exec(slot->db, sql, params, nparams, rows);
    /* A read outside a transaction that met a lost connection (PostgreSQL restarted: the first
     * statement on each old connection finds out) runs once more, on a new connection, instead
     * of failing its request; a write's outcome would be unknown, so it reports FH_QS_SOFT. */
    if (qs == FH_QS_SOFT && slot->tx_depth == 0 && read_only(sql))
        qs = st->ops->exec(slot->db, sql, params, nparams, rows);
    if (qs == FH_QS_HARD && slot->tx_depth == 0 && st->ops->exec(slot->db, "SELECT 1", NULL, 0, NULL) < 0)
        thread_slot_drop(st, slot); /* connection is broken: reconnect next time */
    if (qs >= 0 && fh_store_full_since() && slot->tx_depth == 0 && !read_only(sql))
        store_written();
    return qs;
}

enum fh_rc fh_store_ping(struct fh_store *st)
{
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT 1", NULL, 0, &rows);
    fh_rows_free(&rows);
    return qs == 1 ? FH_OK : FH_ERR;
}

static void backoff_pause(int attempt)
{
    int64_t base = 2 << (attempt < 6 ? attempt : 6); /* 4 ms .. 128 ms */
    fh_sleep_ms(base / 2 + (int64_t)fh_random_uniform((uint32_t)(base / 2 + 1)));
}

int fh_store_run_tx(struct fh_store *st, fh_tx_fn fn, void *cls)
{
    struct conn_slot *slot = thread_slot(st);
    if (slot && slot->tx_depth > 0)
        return fn(st, cls);
    int qs = FH_QS_SOFT;
    for (int attempt = 0; attempt < 10; attempt++) {
        if (attempt > 0) {
            atomic_fetch_add(&st->retries, 1);
            backoff_pause(attempt);
        }
        slot = thread_slot(st);
        if (!slot) {
            qs = FH_QS_SOFT;
            continue;
        }
        qs = st->ops->begin(slot->db);
        if (qs < 0) {
            if (qs == FH_QS_HARD)
                thread_slot_drop(st, slot);
            continue;
        }
        slot->tx_depth = 1;
        qs = fn(st, cls);
        slot->tx_depth = 0;
        if (qs < 0) {
            st->ops->rollback(slot->db);
            if (qs == FH_QS_HARD)
                return qs;
            continue;
        }
        int cq = st->ops->commit(slot->db);
        if (cq >= 0) {
            store_written();
            return qs;
        }
        st->ops->rollback(slot->db);
        qs = cq;
        if (cq == FH_QS_HARD)
            return cq;
    }
    fh_log(FH_LOG_WARN, "store_tx", "transaction gave up after repeated conflicts");
    return qs;
}

bool fh_store_in_tx(struct fh_store *st)
{
    struct conn_slot *slot = pthread_getspecific(st->key);
    return slot && slot->tx_depth > 0;
}

int fh_store_tx_begin(struct fh_store *st)
{
    struct conn_slot *slot = thread_slot(st);
    if (!slot)
        return FH_QS_SOFT;
    int qs = st->ops->begin(slot->db);
    if (qs < 0) {
        if (qs == FH_QS_HARD)
            thread_slot_drop(st, slot);
        return qs;
    }
    slot->tx_depth = 1;
    return 0;
}

int fh_store_tx_end(struct fh_store *st, bool commit)
{
    struct conn_slot *slot = pthread_getspecific(st->key);
    slot->tx_depth = 0;
    if (!commit) {
        st->ops->rollback(slot->db);
        return 0;
    }
    int cq = st->ops->commit(slot->db);
    if (cq < 0)
        st->ops->rollback(slot->db);
    else
        store_written();
    return cq;
}

struct fh_group *fh_store_group(struct fh_store *st)
{
    struct fh_group *g = atomic_load(&st->group);
    if (g)
        return g;
    pthread_mutex_lock(&st->group_lock);
    g = atomic_load(&st->group);
    if (!g && !st->group_failed) {
        g = fh_group_start(st);
        st->group_failed = !g;
        atomic_store(&st->group, g);
    }
    pthread_mutex_unlock(&st->group_lock);
    return g;
}

struct fh_group *fh_store_group_peek(struct fh_store *st)
{
    return atomic_load(&st->group);
}

uint64_t fh_store_tx_retries(const struct fh_store *st)
{
    return atomic_load(&((struct fh_store *)st)->retries);
}

/* ---- rows ---- */

const char *fh_rows_get(const struct fh_rows *r, size_t row, size_t col)
{
    if (!r->cells || row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->cells[row * r->ncols + col];
}

int64_t fh_rows_i64(const struct fh_rows *r, size_t row, size_t col, int64_t def)
{
    const char *s = fh_rows_get(r, row, col);
    int64_t v;
    if (!s || !fh_parse_i64(s, &v))
        return def;
    return v;
}

void fh_rows_push(struct fh_rows *r, const char *const *cells)
{
    r->cells = fh_realloc(r->cells, (r->nrows + 1) * r->ncols * sizeof(char *));
    for (size_t c = 0; c < r->ncols; c++)
        r->cells[r->nrows * r->ncols + c] = cells[c] ? fh_strdup(cells[c]) : NULL;
    r->nrows++;
}

void fh_rows_free(struct fh_rows *r)
{
    if (!r->cells) {
        r->nrows = 0;
        return;
    }
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->nrows = 0;
}

/* ---- migrations ---- */

/* Under the migration lock: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a
 * concurrent creator (it fails with a unique violation in pg_type). */
static int create_migrations_table(struct fh_store *st, void *cls)
{
    FH_UNUSED(cls);
    struct conn_slot *slot = thread_slot(st);
    if (st->ops->migration_lock) {
        int qs = st->ops->migration_lock(slot->db);
        if (qs < 0)
            return qs;
    }
    return fh_store_exec(st,
                         "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                         "name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                         NULL, 0, NULL);
}

static int migrations_table(struct fh_store *st)
{
    return fh_store_run_tx(st, create_migrations_table, NULL);
}

int fh_store_schema_version(struct fh_store *st)
{
    struct fh_rows rows;
    if (migrations_table(st) < 0)
        return -1;
    int qs = fh_store_exec(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0, &rows);
    int v = qs == 1 ? (int)fh_rows_i64(&rows, 0, 0, -1) : -1;
    fh_rows_free(&rows);
    return v;
}

struct migrate_ctx {
    const struct fh_migration *m;
    bool applied;
};

static int migrate_one(struct fh_store *st, void *cls)
{
    struct migrate_ctx *ctx = cls;
    struct conn_slot *slot = thread_slot(st);
    if (st->ops->migration_lock) {
        int qs = st->ops->migration_lock(slot->db);
        if (qs < 0)
            return qs;
    }
    struct fh_param p[] = {FH_PI(ctx->m->version)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT version FROM schema_migrations WHERE version = $1", p, 1, &rows);
    fh_rows_free(&rows);
    if (qs != 0)
        return qs < 0 ? qs : 0; /* already applied by someone else */
    qs = st->ops->exec_script(slot->db, ctx->m->sql);
    if (qs < 0) {
        fh_log(FH_LOG_ERROR, "migrate", "migration %04d-%s failed", ctx->m->version, ctx->m->name);
        return qs;
    }
    struct fh_param ins[] = {FH_PI(ctx->m->version), FH_PT(ctx->m->name), FH_PI(fh_now_ms())};
    qs = fh_store_exec(st, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                       ins, 3, NULL);
    if (qs < 0)
        return qs;
    ctx->applied = true;
    return 1;
}

enum fh_rc fh_store_migrate(struct fh_store *st)
{
    if (migrations_table(st) < 0)
        return FH_ERR;
    size_t n;
    const struct fh_migration *list = fh_store_migrations(st->backend, &n);
    for (size_t i = 0; i < n; i++) {
        struct migrate_ctx ctx = {.m = &list[i]};
        if (fh_store_run_tx(st, migrate_one, &ctx) < 0)
            return FH_ERR;
        if (ctx.applied)
            fh_log(FH_LOG_INFO, "migrate", "applied %04d-%s", list[i].version, list[i].name);
    }
    return FH_OK;
}

enum fh_rc fh_store_reset_for_tests(struct fh_store *st)
{
    const char *sql = fh_store_sql(
        st,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()");
    struct fh_rows rows;
    if (fh_store_exec(st, sql, NULL, 0, &rows) < 0)
        return FH_ERR;
    struct conn_slot *slot = thread_slot(st);
    enum fh_rc rc = FH_OK;
    if (st->backend == FH_STORE_SQLITE)
        st->ops->exec_script(slot->db, "PRAGMA foreign_keys = OFF");
    for (size_t i = 0; i < rows.nrows; i++) {
        char *drop = fh_asprintf("DROP TABLE IF EXISTS \"%s\"%s", fh_rows_get(&rows, i, 0),
                                 st->backend == FH_STORE_PG ? " CASCADE" : "");
        if (st->ops->exec_script(slot->db, drop) < 0)
            rc = FH_ERR;
        free(drop);
    }
    if (st->backend == FH_STORE_SQLITE)
        st->ops->exec_script(slot->db, "PRAGMA foreign_keys = ON");
    fh_rows_free(&rows);
    return rc;
}
