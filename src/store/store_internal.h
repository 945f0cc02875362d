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

/* A backend's write refused for lack of space (fh_store_full_since); logged once. */
void fh_store_note_full(void);

/* ---- group commit (group.c) ---- */
struct fh_group;
/* Starts a store's committer thread; NULL if it cannot. */
struct fh_group *fh_group_start(struct fh_store *st);
/* Commits what is queued, stops and joins the committer, frees g (NULL: nothing). */
void fh_group_stop(struct fh_group *g);
/* The store's group, started on first use (NULL if the thread cannot start). */
struct fh_group *fh_store_group(struct fh_store *st);
/* The store's group if started, else NULL. */
struct fh_group *fh_store_group_peek(struct fh_store *st);
/* Whether the calling thread is inside a transaction of st. */
bool fh_store_in_tx(struct fh_store *st);
/* BEGIN on the calling thread's connection (a store result); calls from fns then join it. */
int fh_store_tx_begin(struct fh_store *st);
/* COMMIT (commit) or ROLLBACK the transaction fh_store_tx_begin opened; returns the commit's
 * result (rolled back when it failed), 0 for a rollback. */
int fh_store_tx_end(struct fh_store *st, bool commit);

#endif
