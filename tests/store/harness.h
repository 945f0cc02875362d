/* harness.h - what every store suite does around its tests: the store under test is the one
 * DATABASE_URL names (tests/run.sh runs each suite once per backend), or a fresh SQLite file in
 * /tmp named after the suite, removed with its WAL and shared memory at the end; each test
 * starts on an empty, migrated store. */
#ifndef FH_TEST_STORE_HARNESS_H
#define FH_TEST_STORE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fh/fh_crypto.h"
#include "fh/fh_store.h"

static char harness_sqlite_path[128];

/* Also initializes crypto and keeps the log to errors. */
static inline int harness_open(const char *suite, struct fh_store **st)
{
    if (fh_crypto_init() != FH_OK)
        return -1;
    fh_log_set_level(FH_LOG_ERROR);
    const char *url = getenv("DATABASE_URL");
    if (!url || !url[0]) {
        snprintf(harness_sqlite_path, sizeof(harness_sqlite_path), "/tmp/fh-test-%s-%ld.db", suite,
                 (long)getpid());
        url = harness_sqlite_path;
    }
    return fh_store_open(url, st) == FH_OK ? 0 : -1;
}

static inline void harness_close(struct fh_store *st)
{
    fh_store_close(st);
    if (!harness_sqlite_path[0])
        return;
    char p[160];
    unlink(harness_sqlite_path);
    snprintf(p, sizeof(p), "%s-wal", harness_sqlite_path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", harness_sqlite_path);
    unlink(p);
}

static inline int harness_reset(struct fh_store *st)
{
    return fh_store_reset_for_tests(st) == FH_OK && fh_store_migrate(st) == FH_OK ? 0 : -1;
}

#endif
