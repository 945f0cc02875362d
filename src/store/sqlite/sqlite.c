/* sqlite.c - SQLite backend of the store: WAL, foreign keys on, busy timeout, and
 * BEGIN IMMEDIATE for transactions so writers queue on the lock instead of failing to upgrade.
 * Parameters are written $1..$n; they are bound by name, so the order of first use in the SQL
 * text does not matter (a cached statement keeps the index of each $k, looked up once).
 * SQLITE_BUSY / SQLITE_LOCKED are retryable (FH_QS_SOFT).
 *
 * Statement cache: each connection keeps its last STMT_CACHE prepared statements, looked up by
 * SQL text (hash, then exact compare), so a statement the code runs again is not parsed and
 * planned again; compiling SQL was a fifth of fiscalhub's CPU time in the fiscalization
 * benchmark (bench/README.md). A cached statement is always reset and its bindings cleared
 * after use, so it holds no read transaction open. SQLite re-prepares a cached statement by
 * itself when the schema changed (SQLITE_PREPARE_PERSISTENT, sqlite3_prepare_v3). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store_internal.h"

enum { STMT_CACHE = 64, MAPPED_PARAMS = 32 };

struct cached_stmt {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *stmt;
    uint64_t used; /* the connection's use counter when last used (least recently used goes) */
    /* index[k] is the statement's parameter index of $k+1 (0: not used), for k < nmapped;
     * parameters past MAPPED_PARAMS are looked up by name */
    uint8_t index[MAPPED_PARAMS];
    size_t nmapped;
};

struct fh_db {
    sqlite3 *h;
    struct cached_stmt cache[STMT_CACHE];
    uint64_t uses;
};

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Records which parameter index each of $1..$MAPPED_PARAMS has in c->stmt: SQLite numbers
 * named parameters in order of first appearance, so "$2 ... $1" gives $2 the index 1. */
static void map_params(struct cached_stmt *c)
{
    memset(c->index, 0, sizeof(c->index));
    c->nmapped = MAPPED_PARAMS;
    int count = sqlite3_bind_parameter_count(c->stmt);
    for (int i = 1; i <= count; i++) {
        const char *name = sqlite3_bind_parameter_name(c->stmt, i);
        char *end = NULL;
        long k = name && name[0] == '$' ? strtol(name + 1, &end, 10) : 0;
        if (k >= 1 && k <= MAPPED_PARAMS && end && !*end && i <= UINT8_MAX)
            c->index[k - 1] = (uint8_t)i;
        else
            c->nmapped = 0; /* another name, or past the map: every parameter by name */
    }
}

/* A prepared statement of sql from the cache, or newly prepared and cached (evicting the least
 * recently used one). Returns an SQLite result code. */
static int stmt_get(struct fh_db *db, const char *sql, struct cached_stmt **out)
{
    uint64_t h = sql_hash(sql);
    struct cached_stmt *victim = &db->cache[0];
    db->uses++;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct cached_stmt *c = &db->cache[i];
        if (c->stmt && c->hash == h && strcmp(c->sql, sql) == 0) {
            c->used = db->uses;
            *out = c;
            return SQLITE_OK;
        }
        if (!c->stmt || (victim->stmt && c->used < victim->used))
            victim = c;
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (victim->stmt) {
        sqlite3_finalize(victim->stmt);
        free(victim->sql);
    }
    *victim =
        (struct cached_stmt){.hash = h, .sql = fh_strdup(sql), .stmt = stmt, .used = db->uses};
    map_params(victim);
    *out = victim;
    return SQLITE_OK;
}

static void stmt_cache_clear(struct fh_db *db)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (db->cache[i].stmt) {
            sqlite3_finalize(db->cache[i].stmt);
            free(db->cache[i].sql);
        }
        db->cache[i] = (struct cached_stmt){0};
    }
}

static atomic_bool sync_full = true;
static _Atomic int64_t max_mb;

void fh_store_sqlite_sync_full(bool full)
{
    atomic_store(&sync_full, full);
}

void fh_store_sqlite_max_mb(int64_t mb)
{
    atomic_store(&max_mb, mb);
}

/* SQLite keeps memory statistics by default: every allocation of every connection takes one
 * process-wide mutex, which the committer, the workers and the HTTP threads then queue on. The
 * statistics are never read, so they are off (bench/README.md, benchmark 2). sqlite3_config
 * only works before SQLite initializes, hence once, before the first connection. */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;

static void sqlite_configure(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        fh_log(FH_LOG_WARN, "sqlite_config", "memory statistics stay on (SQLite was initialized)");
}

/* FISCALHUB_SQLITE_MAX_MB: the file's pages at most (max_page_count counts pages). */
static void size_limit(sqlite3 *h, int64_t mb)
{
    sqlite3_stmt *st = NULL;
    int64_t page = 4096;
    if (sqlite3_prepare_v2(h, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
        page = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %lld",
             (long long)(mb * 1048576 / page));
    sqlite3_stmt *set = NULL;
    if (sqlite3_prepare_v2(h, pragma, -1, &set, NULL) == SQLITE_OK)
        sqlite3_step(set);
    sqlite3_finalize(set);
}

static enum fh_rc sq_connect(const char *url, struct fh_db **out)
{
    pthread_once(&sqlite_configured, sqlite_configure);
    const char *path = url;
    if (fh_starts_with(path, "sqlite://"))
        path += strlen("sqlite://");
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(
        path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fh_log(FH_LOG_ERROR, "sqlite_open", "%s: %s", path,
               h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return FH_ERR;
    }
    sqlite3_busy_timeout(h, 5000);
    char *err = NULL;
    /* A checkpoint every 10,000 WAL pages (about 40 MB) rather than SQLite's 1,000: pages
     * written again and again (indexes, the jobs table) are copied back to the database file
     * once per checkpoint instead of ten times (bench/README.md). */
    rc = sqlite3_exec(h,
                      atomic_load(&sync_full)
                          ? "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
                            "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 10000;"
                          : "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
                            "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 10000;",
                      NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fh_log(FH_LOG_ERROR, "sqlite_open", "%s: %s", path, err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        sqlite3_close(h);
        return FH_ERR;
    }
    if (atomic_load(&max_mb) > 0)
        size_limit(h, atomic_load(&max_mb));
    struct fh_db *db = fh_calloc(1, sizeof(*db));
    db->h = h;
    *out = db;
    return FH_OK;
}

static void sq_disconnect(struct fh_db *db)
{
    if (!db)
        return;
    stmt_cache_clear(db);
    sqlite3_close_v2(db->h);
    free(db);
}

static int classify(struct fh_db *db, int rc, const char *sql)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return FH_QS_SOFT;
    if (prim == SQLITE_FULL)
        fh_store_note_full();
    fh_log(FH_LOG_ERROR, "sqlite", "%s (in: %.120s)", sqlite3_errmsg(db->h), sql);
    return FH_QS_HARD;
}

/* The index of $i+1 in c's statement, 0 when the statement does not use it. */
static int param_index(const struct cached_stmt *c, size_t i)
{
    if (i < c->nmapped)
        return c->index[i];
    char name[24];
    snprintf(name, sizeof(name), "$%zu", i + 1);
    return sqlite3_bind_parameter_index(c->stmt, name);
}

static int bind_params(struct fh_db *db, const struct cached_stmt *c, const struct fh_param *params,
                       size_t n, const char *sql)
{
    sqlite3_stmt *stmt = c->stmt;
    for (size_t i = 0; i < n; i++) {
        int idx = param_index(c, i);
        if (idx == 0)
            continue; /* parameter not used by this statement */
        int rc;
        switch (params[i].type) {
        case FH_P_TEXT:
            rc = sqlite3_bind_text(stmt, idx, params[i].text, -1, SQLITE_TRANSIENT);
            break;
        case FH_P_I64:
            rc = sqlite3_bind_int64(stmt, idx, params[i].i64);
            break;
        default:
            rc = sqlite3_bind_null(stmt, idx);
            break;
        }
        if (rc != SQLITE_OK)
            return classify(db, rc, sql);
    }
    return 0;
}

static int sq_exec(struct fh_db *db, const char *sql, const struct fh_param *params, size_t n,
                   struct fh_rows *rows)
{
    struct cached_stmt *cs = NULL;
    int rc = stmt_get(db, sql, &cs);
    if (rc != SQLITE_OK)
        return classify(db, rc, sql);
    sqlite3_stmt *stmt = cs->stmt;
    int qs = bind_params(db, cs, params, n, sql);
    if (qs < 0)
        goto out;
    if (rows) {
        memset(rows, 0, sizeof(*rows));
        rows->ncols = (size_t)sqlite3_column_count(stmt);
        if (rows->ncols > 64) {
            fh_log(FH_LOG_ERROR, "sqlite", "more than 64 result columns (in: %.120s)", sql);
            qs = FH_QS_HARD;
            goto out;
        }
    }
    int count = 0;
    const char *cells[64];
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (rows) {
            for (size_t c = 0; c < rows->ncols; c++)
                cells[c] = (const char *)sqlite3_column_text(stmt, (int)c);
            fh_rows_push(rows, cells);
        }
        count++;
    }
    if (rc != SQLITE_DONE) {
        if (rows)
            fh_rows_free(rows);
        qs = classify(db, rc, sql);
        goto out;
    }
    qs = rows ? count : sqlite3_changes(db->h);
out:
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return qs;
}

static int sq_exec_script(struct fh_db *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        int prim = rc & 0xff;
        if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
            sqlite3_free(err);
            return FH_QS_SOFT;
        }
        if (prim == SQLITE_FULL)
            fh_store_note_full();
        fh_log(FH_LOG_ERROR, "sqlite", "%s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return FH_QS_HARD;
    }
    return 0;
}

static int sq_begin(struct fh_db *db)
{
    int qs = sq_exec(db, "BEGIN IMMEDIATE", NULL, 0, NULL);
    return qs < 0 ? qs : 0;
}

static int sq_commit(struct fh_db *db)
{
    int qs = sq_exec(db, "COMMIT", NULL, 0, NULL);
    return qs < 0 ? qs : 0;
}

static void sq_rollback(struct fh_db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

const struct fh_store_ops fh_store_sqlite_ops = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .migration_lock = NULL,
};
