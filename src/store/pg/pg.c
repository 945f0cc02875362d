/* pg.c - PostgreSQL backend of the store, over libpq.
 *
 * Statements run with PQexecParams in text format: $n is params[n-1], int64 values travel as
 * decimal text and NULL as a null pointer, and every parameter is left untyped (OID 0) so the
 * server infers its type from the context, much like SQLite's loose typing. The SQLite backend
 * ignores parameters that a statement does not mention; PostgreSQL would reject them ("could not
 * determine data type of parameter $n"), so exec scans the SQL text for $n outside quotes and
 * comments, sends only params 1..highest-used, and types the unused ones in between as text.
 *
 * Transactions are READ COMMITTED: correctness comes from unique constraints and row locks
 * (SELECT ... FOR UPDATE), not from serializable isolation. Serialization failures, deadlocks,
 * lock timeouts and a lost connection are retryable (FH_QS_SOFT); fh_store_run_tx rolls back
 * and runs the function again. A connection lost during COMMIT is not: the server may have
 * committed, so the transaction fails (FH_QS_HARD) rather than run twice; callers are built to
 * be repeated later (jobs are retried, API calls carry idempotency keys, partners redeliver).
 *
 * A lost connection is re-established with PQreset on the next statement that runs outside a
 * transaction (begin included), never in the middle of one: a transaction whose connection
 * died keeps failing with FH_QS_SOFT until it is rolled back, so nothing of it is half-applied
 * on a new session (fh_store_exec runs a plain SELECT that met a lost connection once more, so a
 * server restart costs the requests that come next nothing; tests/e2e/pg_restart.test.mjs).
 * Notices are dropped. Error logs name the SQLSTATE and the start of the SQL,
 * never parameter values, which may be secrets.
 */
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store_internal.h"

#define MAX_COLS 64
#define MAX_PARAMS 65535 /* the protocol's limit */
#define TEXT_OID 25
#define NUM_LEN 24 /* "-9223372036854775808" and NUL fit */

struct fh_db {
    PGconn *conn;
    bool in_tx; /* between begin and commit/rollback */
};

/* Length of a libpq message without its trailing newline. */
static int msg_len(const char *msg)
{
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    return n > 1000 ? 1000 : (int)n;
}

static void drop_notice(void *arg, const char *message)
{
    FH_UNUSED(arg);
    FH_UNUSED(message);
}

/* Per-session settings, applied after every (re)connect. */
static bool session_setup(PGconn *conn)
{
    PQsetNoticeProcessor(conn, drop_notice, NULL);
    PGresult *res = PQexec(conn, "SET client_min_messages = warning");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

static enum fh_rc pg_connect(const char *url, struct fh_db **out)
{
    /* Our defaults come first; anything the URL sets overrides them (expand_dbname). */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const vals[] = {"10", "fiscalhub", url, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        fh_log(FH_LOG_ERROR, "pg_connect", "out of memory");
        return FH_ERR;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        /* The message names host and port, never the password. */
        fh_log(FH_LOG_ERROR, "pg_connect", "%.*s", msg_len(PQerrorMessage(conn)),
               PQerrorMessage(conn));
        PQfinish(conn);
        return FH_ERR;
    }
    if (!session_setup(conn)) {
        fh_log(FH_LOG_ERROR, "pg_connect", "session setup failed: %.*s",
               msg_len(PQerrorMessage(conn)), PQerrorMessage(conn));
        PQfinish(conn);
        return FH_ERR;
    }
    struct fh_db *db = fh_calloc(1, sizeof(*db));
    db->conn = conn;
    *out = db;
    return FH_OK;
}

/* Safe on a broken connection: PQfinish only closes the socket and frees. */
static void pg_disconnect(struct fh_db *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    free(db);
}

/* Before a statement: repairs a lost connection unless a transaction was open on it.
 * Returns false if the connection is still unusable. */
static bool ensure_conn(struct fh_db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK)
        return true;
    if (db->in_tx)
        return false; /* the transaction is gone; wait for the rollback */
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK || !session_setup(db->conn)) {
        fh_log(FH_LOG_WARN, "pg", "reconnect failed: %.*s", msg_len(PQerrorMessage(db->conn)),
               PQerrorMessage(db->conn));
        return false;
    }
    fh_log(FH_LOG_INFO, "pg", "reconnected");
    return true;
}

static bool is_retryable(const char *state)
{
    return strcmp(state, "40001") == 0      /* serialization_failure */
           || strcmp(state, "40P01") == 0   /* deadlock_detected */
           || strcmp(state, "55P03") == 0   /* lock_not_available */
           || strncmp(state, "08", 2) == 0; /* connection exception */
}

/* Maps a failed result (res may be NULL) to FH_QS_SOFT or FH_QS_HARD and logs hard errors. */
static int classify(struct fh_db *db, const PGresult *res, const char *sql)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        fh_log(FH_LOG_WARN, "pg", "connection lost (in: %.120s)", sql);
        return FH_QS_SOFT;
    }
    if (state && is_retryable(state))
        return FH_QS_SOFT;
    if (state && strcmp(state, "53100") == 0) /* disk_full */
        fh_store_note_full();
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(db->conn);
    /* Data exceptions (class 22) quote the offending value, which may be a secret. */
    if (state && strncmp(state, "22", 2) == 0)
        msg = "data exception (message withheld: it may quote a parameter value)";
    fh_log(FH_LOG_ERROR, "pg", "SQLSTATE %s: %.*s (in: %.120s)", state ? state : "?????",
           msg_len(msg), msg, sql);
    return FH_QS_HARD;
}

/* Skips a quoted run starting at s[0] == q ('...' or "..."; a doubled quote escapes itself, and
 * in E'...' strings a backslash escapes the next character). Returns the position just past the
 * closing quote (or the end of the text). */
static const char *skip_quoted(const char *s, char q, bool backslash)
{
    for (s++; *s; s++) {
        if (backslash && *s == '\\' && s[1]) {
            s++;
        } else if (*s == q) {
            if (s[1] != q)
                return s + 1;
            s++;
        }
    }
    return s;
}

/* Skips a dollar-quoted string $tag$...$tag$ if one starts at s; else returns s. */
static const char *skip_dollar_quoted(const char *s)
{
    size_t taglen = 1;
    while (s[taglen] == '_' || (s[taglen] >= 'a' && s[taglen] <= 'z') ||
           (s[taglen] >= 'A' && s[taglen] <= 'Z') ||
           (taglen > 1 && s[taglen] >= '0' && s[taglen] <= '9'))
        taglen++;
    if (s[taglen] != '$')
        return s;
    taglen++;
    const char *end = s + taglen;
    while ((end = strchr(end, '$')) != NULL) {
        if (strncmp(end, s, taglen) == 0)
            return end + taglen;
        end++;
    }
    return s + strlen(s);
}

static bool is_ident_char(char c)
{
    return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

/* Scans sql for parameter references $n outside quotes and comments. Marks used[n-1] for n <=
 * cap and returns the highest n seen (which may exceed cap). */
static size_t scan_params(const char *sql, bool *used, size_t cap)
{
    size_t highest = 0;
    const char *s = sql;
    while (*s) {
        if (*s == '\'' || *s == '"') {
            bool estr = *s == '\'' && s > sql && (s[-1] == 'E' || s[-1] == 'e') &&
                        (s - 1 == sql || !is_ident_char(s[-2]));
            s = skip_quoted(s, *s, estr);
        } else if (s[0] == '-' && s[1] == '-') {
            s += strcspn(s, "\n");
        } else if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            s = end ? end + 2 : s + strlen(s);
        } else if (*s == '$' && (s == sql || !is_ident_char(s[-1]))) {
            if (s[1] < '0' || s[1] > '9') {
                const char *next = skip_dollar_quoted(s);
                s = next == s ? s + 1 : next;
                continue;
            }
            size_t n = 0;
            for (s++; *s >= '0' && *s <= '9'; s++)
                n = n > MAX_PARAMS ? n : n * 10 + (size_t)(*s - '0');
            if (n >= 1 && n <= cap)
                used[n - 1] = true;
            if (n > highest)
                highest = n;
        } else {
            s++;
        }
    }
    return highest;
}

static int fill_rows(const PGresult *res, struct fh_rows *rows, const char *sql)
{
    int nrows = PQntuples(res);
    int ncols = PQnfields(res);
    if (ncols > MAX_COLS) {
        fh_log(FH_LOG_ERROR, "pg", "more than %d result columns (in: %.120s)", MAX_COLS, sql);
        return FH_QS_HARD;
    }
    rows->ncols = (size_t)ncols;
    const char *cells[MAX_COLS];
    for (int r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++)
            cells[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
        fh_rows_push(rows, cells);
    }
    return nrows;
}

static int affected_rows(PGresult *res)
{
    int64_t n;
    const char *s = PQcmdTuples(res);
    if (!s[0] || !fh_parse_i64(s, &n) || n < 0)
        return 0;
    return n > INT_MAX ? INT_MAX : (int)n;
}

static int pg_exec(struct fh_db *db, const char *sql, const struct fh_param *params, size_t n,
                   struct fh_rows *rows)
{
    if (rows)
        memset(rows, 0, sizeof(*rows));
    size_t cap = n < MAX_PARAMS ? n : MAX_PARAMS;
    bool *used = fh_calloc(cap ? cap : 1, sizeof(*used));
    size_t count = scan_params(sql, used, cap);
    const char **values = NULL;
    Oid *types = NULL;
    char *nums = NULL; /* count decimal buffers of NUM_LEN bytes */
    PGresult *res = NULL;
    int qs;
    if (count > cap) {
        fh_log(FH_LOG_ERROR, "pg", "statement uses $%zu but %zu parameters were given (in: %.120s)",
               count, n, sql);
        qs = FH_QS_HARD;
        goto out;
    }
    if (!ensure_conn(db)) {
        qs = FH_QS_SOFT;
        goto out;
    }
    if (count > 0) {
        values = fh_calloc(count, sizeof(*values));
        types = fh_calloc(count, sizeof(*types));
        nums = fh_calloc(count, NUM_LEN);
    }
    for (size_t i = 0; i < count; i++) {
        types[i] = used[i] ? 0 : TEXT_OID; /* an unused $n must still have a type */
        switch (params[i].type) {
        case FH_P_TEXT:
            values[i] = params[i].text;
            break;
        case FH_P_I64:
            snprintf(nums + i * NUM_LEN, NUM_LEN, "%lld", (long long)params[i].i64);
            values[i] = nums + i * NUM_LEN;
            break;
        default:
            values[i] = NULL;
            break;
        }
    }
    res = PQexecParams(db->conn, sql, (int)count, types, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        qs = rows ? fill_rows(res, rows, sql) : affected_rows(res);
        if (qs < 0)
            fh_rows_free(rows);
    } else {
        qs = classify(db, res, sql);
    }
out:
    PQclear(res);
    free(nums);
    free(types);
    free(values);
    free(used);
    return qs;
}

/* Runs sql (one or more statements, no parameters) and returns 0 or an error; if tag is not
 * NULL, copies the last command's status tag into it. */
static int run_simple(struct fh_db *db, const char *sql, char *tag, size_t tagsize)
{
    if (!ensure_conn(db))
        return FH_QS_SOFT;
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int qs = 0;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        if (tag)
            fh_strlcpy(tag, PQcmdStatus(res), tagsize);
    } else {
        qs = classify(db, res, sql);
    }
    PQclear(res);
    return qs;
}

static int pg_exec_script(struct fh_db *db, const char *sql)
{
    return run_simple(db, sql, NULL, 0);
}

static int pg_begin(struct fh_db *db)
{
    int qs = run_simple(db, "BEGIN", NULL, 0);
    if (qs == 0)
        db->in_tx = true;
    return qs;
}

static int pg_commit(struct fh_db *db)
{
    char tag[32] = "";
    int qs = run_simple(db, "COMMIT", tag, sizeof(tag));
    if (qs < 0 && PQstatus(db->conn) != CONNECTION_OK) {
        /* The server may have committed before the connection went: running the transaction
         * again could apply it twice, so its caller gets a failure, not a retry. */
        fh_log(FH_LOG_ERROR, "pg", "%s", "connection lost during COMMIT: outcome unknown");
        return FH_QS_HARD;
    }
    if (qs < 0)
        return qs; /* in_tx stays set until the caller's rollback */
    db->in_tx = false;
    /* COMMIT of a transaction that an earlier statement aborted silently rolls back. */
    if (strcmp(tag, "ROLLBACK") == 0) {
        fh_log(FH_LOG_ERROR, "pg",
               "commit rolled back: a statement in the transaction failed and was ignored");
        return FH_QS_HARD;
    }
    return 0;
}

static void pg_rollback(struct fh_db *db)
{
    db->in_tx = false;
    if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
}

static int pg_migration_lock(struct fh_db *db)
{
    return run_simple(db, "SELECT pg_advisory_xact_lock(727274)", NULL, 0);
}

const struct fh_store_ops fh_store_pg_ops = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .migration_lock = pg_migration_lock,
};
