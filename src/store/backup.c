/* backup.c - a consistent copy of a SQLite store, taken while fiscalhub runs.
 *
 * VACUUM INTO writes the copy from one read transaction, so it is a snapshot of one moment
 * (the WAL's committed frames included) and writers go on meanwhile. It goes to "<path>.partial"
 * first; the copy then gets its mark (store_state.backup_taken_at, which the first start on it
 * finds: src/fiscal/restore.c), is synced, and only then renamed to path, and the directory
 * synced: path either does not exist or holds a whole, marked backup. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fh/fh_store.h"

static bool sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static bool sync_parent(const char *path)
{
    char *copy = fh_strdup(path);
    bool ok = sync_path(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    return ok;
}

/* Marks the copy at path as a backup taken at taken_at. */
static enum fh_rc mark_copy(const char *path, int64_t taken_at)
{
    struct fh_store *copy = NULL;
    if (fh_store_open(path, &copy) != FH_OK)
        return FH_ERR;
    struct fh_param p[] = {FH_PI(taken_at)};
    int qs = fh_store_exec(copy,
                           "INSERT INTO store_state (key, value) VALUES ('backup_taken_at', $1) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           p, 1, NULL);
    fh_store_close(copy); /* the last connection: SQLite checkpoints and removes the WAL */
    return qs < 0 ? FH_ERR : FH_OK;
}

static void remove_partial(const char *partial)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[FH_STORE_BACKUP_PATH_MAX + 16];
    for (size_t i = 0; i < FH_ARRAY_LEN(suffix); i++) {
        snprintf(p, sizeof(p), "%s%s", partial, suffix[i]);
        unlink(p);
    }
}

enum fh_rc fh_store_backup(struct fh_store *st, const char *path, int64_t taken_at, int64_t *bytes,
                           char *why, size_t whysize)
{
    why[0] = '\0';
    if (fh_store_backend(st) != FH_STORE_SQLITE) {
        snprintf(why, whysize, "the store is PostgreSQL: back it up with pg_dump");
        return FH_E_INPUT;
    }
    if (strlen(path) > FH_STORE_BACKUP_PATH_MAX) {
        snprintf(why, whysize, "the path is longer than %d bytes", FH_STORE_BACKUP_PATH_MAX);
        return FH_E_INPUT;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 || errno != ENOENT) {
        if (errno == ENOENT || stat(path, &sb) == 0)
            snprintf(why, whysize, "%s already exists; give a new file", path);
        else
            snprintf(why, whysize, "cannot check %s: %s", path, strerror(errno));
        return FH_E_INPUT;
    }
    char partial[FH_STORE_BACKUP_PATH_MAX + 16];
    snprintf(partial, sizeof(partial), "%s.partial", path);
    remove_partial(partial); /* left by an interrupted backup */
    struct fh_param p[] = {FH_PT(partial)};
    if (fh_store_exec(st, "VACUUM INTO $1", p, 1, NULL) < 0) {
        snprintf(why, whysize, "SQLite could not write %s (see the log)", partial);
        remove_partial(partial);
        return FH_ERR;
    }
    const char *failed = mark_copy(partial, taken_at) != FH_OK ? "mark"
                         : !sync_path(partial, O_RDONLY)       ? "sync"
                         : stat(partial, &sb) != 0             ? "read the size of"
                         : rename(partial, path) != 0          ? "rename"
                                                               : NULL;
    if (failed) {
        snprintf(why, whysize, "could not %s %s (%s)", failed, partial, strerror(errno));
        remove_partial(partial);
        return FH_ERR;
    }
    if (!sync_parent(path))
        fh_log(FH_LOG_WARN, "backup", "could not sync the directory of %s", path);
    *bytes = (int64_t)sb.st_size;
    return FH_OK;
}
