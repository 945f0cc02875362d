/* harness.h - what every store suite does around its tests: the store under test is the one
 * DATABASE_URL names (tests/run.sh runs each suite once per backend), or a fresh SQLite file in
 * /tmp named after the suite, removed with its WAL and shared memory at the end; each test
 * starts on an empty, migrated store. A suite defines HARNESS_SUITE (its name) before including
 * this file and uses the fixtures below, or its own that call them. */
#ifndef FH_TEST_STORE_HARNESS_H
#define FH_TEST_STORE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fh/fh_crypto.h"
#include "fh/fh_store.h"

static char harness_sqlite_path[128];

/* The store under test. */
static struct fh_store *st;

/* Also initializes crypto and keeps the log to errors. */
static inline int harness_open(const char *suite)
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
    return fh_store_open(url, &st) == FH_OK ? 0 : -1;
}

static inline void harness_close(void)
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

static inline int harness_reset(void)
{
    return fh_store_reset_for_tests(st) == FH_OK && fh_store_migrate(st) == FH_OK ? 0 : -1;
}

/* cmocka fixtures of a suite named HARNESS_SUITE (defined before the include): the group opens
 * the store and closes it, each test starts on an empty, migrated store. */
static int harness_group_setup(void **state)
{
    FH_UNUSED(state);
    return harness_open(HARNESS_SUITE);
}

static int harness_group_teardown(void **state)
{
    FH_UNUSED(state);
    harness_close();
    return 0;
}

static int harness_setup(void **state)
{
    FH_UNUSED(state);
    return harness_reset();
}

#endif
