/* store_internal.h - shared between store.c, the backends and the generated migration table. */
#ifndef FH_STORE_INTERNAL_H
#define FH_STORE_INTERNAL_H

#include "fh/fh_store.h"

struct fh_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Migrations of a backend, sorted by version (generated from src/store/sql/<backend>/). */
const struct fh_migration *fh_store_migrations(enum fh_backend b, size_t *count);

#endif
