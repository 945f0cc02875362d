/* fh_store.h - the store: one vtable, two backends (SQLite, PostgreSQL).
 *
 * Each thread uses its own backend connection, opened on first use and kept until the thread
 * ends or the store is closed, so callers pass the store, never a connection. SQL text is
 * shared between backends wherever possible: parameters are written $1, $2, ... in both, all
 * values travel as text or int64, times are Unix milliseconds (int64) passed in from C, and
 * booleans are integers 0/1. Where the dialects differ, fh_store_backend() picks the text.
 *
 * Results are four-valued (enum fh_qs): hard error, retryable (serialization failure, deadlock,
 * SQLITE_BUSY), none (0 rows), found (> 0 rows). Every multi-step change runs inside
 * fh_store_run_tx(), which retries the whole function on a retryable result.
 */
#ifndef FH_STORE_H
#define FH_STORE_H

#include "fh/fh_common.h"

enum fh_qs {
    FH_QS_HARD = -2, /* hard error: logged, do not retry */
    FH_QS_SOFT = -1, /* transient conflict: retry the transaction */
    FH_QS_NONE = 0,  /* success, no rows */
    FH_QS_ONE = 1,   /* success, >= 1 rows (the value is the row count) */
};

/* A transaction's or statement's result as a return code: FH_OK (>= 0), FH_E_RETRY (soft),
 * FH_ERR (hard). */
static inline enum fh_rc fh_qs_rc(int qs)
{
    return qs >= 0 ? FH_OK : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
}

/* The same for a statement that reads or changes one row: FH_E_NOTFOUND when it found none. */
static inline enum fh_rc fh_qs_found_rc(int qs)
{
    return qs == 0 ? FH_E_NOTFOUND : fh_qs_rc(qs);
}

/* A return code as a transaction function's result: FH_OK one row (commit), FH_E_RETRY a soft
 * failure (the transaction runs again), anything else a hard one (rolled back). */
static inline int fh_rc_qs(enum fh_rc rc)
{
    return rc == FH_OK ? FH_QS_ONE : rc == FH_E_RETRY ? FH_QS_SOFT : FH_QS_HARD;
}

enum fh_backend { FH_STORE_SQLITE, FH_STORE_PG };

enum fh_param_type { FH_P_NULL, FH_P_TEXT, FH_P_I64 };
struct fh_param {
    enum fh_param_type type;
    const char *text;
    int64_t i64;
};
static inline struct fh_param fh_param_text(const char *s)
{
    struct fh_param p = {.type = s ? FH_P_TEXT : FH_P_NULL, .text = s};
    return p;
}
#define FH_PT(s) fh_param_text(s)
#define FH_PI(v) ((struct fh_param){.type = FH_P_I64, .i64 = (v)})
#define FH_PNULL ((struct fh_param){.type = FH_P_NULL})

/* A materialized result: every cell as text (NULL for SQL NULL). */
struct fh_rows {
    size_t nrows;
    size_t ncols;
    char **cells; /* nrows * ncols, row-major, owned */
};
const char *fh_rows_get(const struct fh_rows *r, size_t row, size_t col);
/* Returns def for NULL or non-integer cells. */
int64_t fh_rows_i64(const struct fh_rows *r, size_t row, size_t col, int64_t def);
void fh_rows_free(struct fh_rows *r);
/* Backends: append one row of ncols cells (each copied, NULL allowed). */
void fh_rows_push(struct fh_rows *r, const char *const *cells);

struct fh_store;
struct fh_db; /* one backend connection, owned by one thread */

struct fh_store_ops {
    const char *name;
    enum fh_rc (*connect)(const char *url, struct fh_db **out);
    void (*disconnect)(struct fh_db *db);
    /* One statement. rows may be NULL. Returns the number of rows returned (rows != NULL) or
     * affected (rows == NULL), or FH_QS_SOFT / FH_QS_HARD. On error rows is left empty. */
    int (*exec)(struct fh_db *db, const char *sql, const struct fh_param *params, size_t nparams,
                struct fh_rows *rows);
    /* Several statements, no parameters (migrations). */
    int (*exec_script)(struct fh_db *db, const char *sql);
    int (*begin)(struct fh_db *db);  /* SQLite: BEGIN IMMEDIATE; PG: BEGIN */
    int (*commit)(struct fh_db *db); /* may return FH_QS_SOFT */
    void (*rollback)(struct fh_db *db);
    /* Serializes migrations across processes (PG advisory lock); may be NULL. */
    int (*migration_lock)(struct fh_db *db);
};

extern const struct fh_store_ops fh_store_sqlite_ops;
extern const struct fh_store_ops fh_store_pg_ops;

/* Opens a store for url: "postgres://..." / "postgresql://..." selects PostgreSQL, anything
 * else is a SQLite file path. Connects once to check reachability. Caller closes. */
enum fh_rc fh_store_open(const char *url, struct fh_store **out);
void fh_store_close(struct fh_store *st);
/* SQLite connections opened from now on commit with PRAGMA synchronous = FULL (true, the
 * default: a commit is on the disk before it returns) or NORMAL (WAL appends reach the disk at
 * checkpoints: a commit survives a crash of the process, not of the machine). */
void fh_store_sqlite_sync_full(bool full);
/* SQLite connections opened from now on let the database file grow to at most mb MiB (PRAGMA
 * max_page_count; 0: no limit): beyond it writes fail as on a full disk. */
void fh_store_sqlite_max_mb(int64_t mb);
/* Since when (ms) the store refuses writes for lack of space: a full disk (SQLite SQLITE_FULL,
 * also at its size limit; PostgreSQL SQLSTATE 53100), 0 when it does not. Set by the first
 * refused write, cleared by the first commit that succeeds a second or more after the last
 * refused one (a failed request's undoing commits on a full disk too); one per process. Error
 * replies that a store failure causes then say so (src/http/reply.c: 503, code 5004). */
int64_t fh_store_full_since(void);
enum fh_backend fh_store_backend(const struct fh_store *st);

/* Applies pending migrations of this backend in order; safe to run concurrently. */
enum fh_rc fh_store_migrate(struct fh_store *st);
/* Highest applied migration number, or -1 on error. */
int fh_store_schema_version(struct fh_store *st);
/* Writes a consistent copy of a SQLite store to path (which must not exist) while others go on
 * writing, marked as a backup taken at taken_at (store_state.backup_taken_at: the first start on
 * it begins a recovery, src/fiscal/restore.c); *bytes is its size. FH_E_INPUT (PostgreSQL, path
 * exists) and FH_ERR say why in why. */
#define FH_STORE_BACKUP_PATH_MAX 4000
enum fh_rc fh_store_backup(struct fh_store *st, const char *path, int64_t taken_at, int64_t *bytes,
                           char *why, size_t whysize);
/* Drops every table (tests only). */
enum fh_rc fh_store_reset_for_tests(struct fh_store *st);

/* Runs one statement on the calling thread's connection (see fh_store_ops.exec). */
int fh_store_exec(struct fh_store *st, const char *sql, const struct fh_param *params,
                  size_t nparams, struct fh_rows *rows);
/* Picks SQL text by backend. */
const char *fh_store_sql(const struct fh_store *st, const char *sqlite_sql, const char *pg_sql);
/* Cheap reachability check (SELECT 1). */
enum fh_rc fh_store_ping(struct fh_store *st);

/* Runs fn in a transaction, retrying up to 10 times when it (or the commit) returns
 * FH_QS_SOFT. fn returns FH_QS_HARD to roll back, anything >= 0 to commit. Calls nested inside
 * an open transaction on the same thread join it. Returns fn's final result. */
typedef int (*fh_tx_fn)(struct fh_store *st, void *cls);
int fh_store_run_tx(struct fh_store *st, fh_tx_fn fn, void *cls);
/* Transactions retried since start (metrics, tests). */
uint64_t fh_store_tx_retries(const struct fh_store *st);

/* Group commit: runs fn in a transaction shared with the other callers of the moment, and
 * returns fn's result once that transaction committed (src/store/group.c). One committer thread
 * per store (started by the first call, stopped by fh_store_close) runs BEGIN, every queued fn
 * in arrival order on its own connection, COMMIT. If a fn fails or the commit fails, the batch
 * is rolled back and each caller runs its fn alone with fh_store_run_tx, so a bad one fails
 * alone and conflicts are retried as there. A call inside an open transaction on the calling
 * thread joins it. Contract for fn, beyond fh_store_run_tx's:
 *   - it may run more than once (in a batch rolled back, then alone), so it resets what it
 *     reports through cls at its start;
 *   - the fns of one batch see each other's writes, as if committed one after another;
 *   - it runs on the committer thread: no thread-local state of the caller (the log request id
 *     is carried over), and it must not wait for another caller of fh_store_group_tx. The
 *     committer itself never calls fh_store_group_tx outside a fn (inside one, it joins).
 * Do not call it while holding a lock that another caller's fn may take. */
int fh_store_group_tx(struct fh_store *st, fh_tx_fn fn, void *cls);
/* The same without waiting (for a caller that must not hold its thread, such as a suspended
 * HTTP request): queues fn and returns; done(done_cls, qs) is called once with fn's result
 * after the commit, on the committer's thread (a fn sent back runs alone there first). With no
 * committer running, fn runs here and done is called before this returns. FH_ERR (done never
 * called) when called inside a transaction. */
enum fh_rc fh_store_group_submit(struct fh_store *st, fh_tx_fn fn, void *cls,
                                 void (*done)(void *done_cls, int qs), void *done_cls);
/* Inside a fn run by a committer: the id of its shared transaction (unique in the process), so
 * fns can do once per transaction what one of them already did; 0 when fn runs alone. */
uint64_t fh_store_group_batch_id(void);
struct fh_store_group_stats {
    uint64_t commits;   /* shared transactions committed */
    uint64_t committed; /* fns whose result they committed */
    uint64_t alone;     /* fns sent back to run alone (their batch failed) */
};
void fh_store_group_stats(struct fh_store *st, struct fh_store_group_stats *out);

#endif
