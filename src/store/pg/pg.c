/* pg.c - PostgreSQL backend of the store (placeholder until the backend lands). */
#include "../store_internal.h"

static enum fh_rc pg_connect(const char *url, struct fh_db **out)
{
    FH_UNUSED(url);
    FH_UNUSED(out);
    fh_log(FH_LOG_ERROR, "pg", "the PostgreSQL backend is not built yet");
    return FH_ERR;
}

static void pg_disconnect(struct fh_db *db)
{
    FH_UNUSED(db);
}

static int pg_exec(struct fh_db *db, const char *sql, const struct fh_param *params, size_t n,
                   struct fh_rows *rows)
{
    FH_UNUSED(db);
    FH_UNUSED(sql);
    FH_UNUSED(params);
    FH_UNUSED(n);
    FH_UNUSED(rows);
    return FH_QS_HARD;
}

static int pg_script(struct fh_db *db, const char *sql)
{
    FH_UNUSED(db);
    FH_UNUSED(sql);
    return FH_QS_HARD;
}

static int pg_noarg(struct fh_db *db)
{
    FH_UNUSED(db);
    return FH_QS_HARD;
}

static void pg_rollback(struct fh_db *db)
{
    FH_UNUSED(db);
}

const struct fh_store_ops fh_store_pg_ops = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .exec_script = pg_script,
    .begin = pg_noarg,
    .commit = pg_noarg,
    .rollback = pg_rollback,
    .migration_lock = NULL,
};
