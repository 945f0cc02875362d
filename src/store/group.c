/* group.c - group commit: transactions shared by the callers of the moment.
 *
 * fh_store_group_tx(st, fn, cls) runs fn in a transaction like fh_store_run_tx, but one COMMIT
 * (one WAL append and sync on SQLite, one round trip on PostgreSQL) serves every caller waiting
 * at that moment. One committer thread per store, started with the first call and stopped and
 * joined by fh_store_close, takes every queued item (up to GROUP_MAX_ITEMS), runs BEGIN, each fn
 * in arrival order on its own (the committer's) connection, COMMIT, and only then reports each
 * item's result. Items that arrive meanwhile wait for the next commit, so an idle store commits
 * a lone caller at once, with no added delay, and a busy one commits many callers at a time.
 *
 * When a fn of the batch fails (returns < 0) or the COMMIT fails with a retryable result, the
 * batch is rolled back and every caller runs its fn alone with fh_store_run_tx on its own
 * thread: a bad item fails alone, the others commit, and SOFT results are retried as always.
 * A COMMIT that fails hard has an unknown outcome (PostgreSQL: the connection was lost during
 * it), so every item of the batch gets FH_QS_HARD and nothing is run again, as with
 * fh_store_run_tx. A lone item that fails hard in its batch reports that result directly.
 *
 * The contract for fn (fh_store.h): it may run more than once (in a batch that is then rolled
 * back, then alone; and retried on SOFT), so it must reset whatever it reports through cls at
 * its start; the fns of one batch see each other's writes as if they had committed one after
 * another; fn runs on the committer thread, so it must not rely on thread-local state of its
 * caller (the caller's log request id is carried over) and must not wait for another caller of
 * fh_store_group_tx. A call made while the calling thread is inside a transaction (including
 * a fn running on the committer) joins that transaction and just runs fn. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "store_internal.h"

enum { GROUP_MAX_ITEMS = 256 };

enum item_state { ITEM_QUEUED, ITEM_DONE, ITEM_ALONE };

/* One caller's request: on a waiting caller's stack (fh_store_group_tx), or allocated by
 * fh_store_group_submit (done_fn set) and freed once reported. */
struct group_item {
    fh_tx_fn fn;
    void *cls;
    void (*done_fn)(void *done_cls, int qs);
    void *done_cls;
    char request_id[40];
    int qs;                  /* the result, written by the committer before it publishes state */
    enum item_state outcome; /* the committer's, until published as state */
    enum item_state state;   /* under the group's lock */
    pthread_cond_t done;     /* its caller waits here (one per caller: no herd to wake) */
    struct group_item *next;
};

struct fh_group {
    struct fh_store *st;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* the committer waits here for items */
    struct group_item *head, **tail;
    bool stopping;
    atomic_uint_fast64_t commits, committed, alone;
};

/* With g->lock held: unlinks up to GROUP_MAX_ITEMS queued items, in arrival order. */
static struct group_item *take_batch(struct fh_group *g, size_t *n)
{
    struct group_item *batch = g->head, *last = g->head;
    *n = 1;
    while (last->next && *n < GROUP_MAX_ITEMS) {
        last = last->next;
        (*n)++;
    }
    g->head = last->next;
    if (!g->head)
        g->tail = &g->head;
    last->next = NULL;
    return batch;
}

static void set_all(struct group_item *batch, int qs, enum item_state s)
{
    for (struct group_item *c = batch; c; c = c->next) {
        c->qs = qs;
        c->outcome = s;
    }
}

/* The batch the calling committer thread is running (0: none); ids are unique in the process. */
static _Thread_local uint64_t current_batch;
static atomic_uint_fast64_t batch_ids;

uint64_t fh_store_group_batch_id(void)
{
    return current_batch;
}

static void run_batch_tx(struct fh_group *g, struct group_item *batch, size_t n);

/* Runs the batch in one transaction on the committer's connection; sets every item's qs and
 * state (not yet published: the caller does that under the lock). */
static void run_batch(struct fh_group *g, struct group_item *batch, size_t n)
{
    current_batch = atomic_fetch_add(&batch_ids, 1) + 1;
    run_batch_tx(g, batch, n);
    current_batch = 0;
}

static void run_batch_tx(struct fh_group *g, struct group_item *batch, size_t n)
{
    struct fh_store *st = g->st;
    int qs = fh_store_tx_begin(st);
    if (qs < 0) {
        set_all(batch, qs, ITEM_ALONE);
        return;
    }
    struct group_item *failed = NULL;
    for (struct group_item *c = batch; c && !failed; c = c->next) {
        fh_log_set_request_id(c->request_id);
        c->qs = c->fn(st, c->cls);
        c->outcome = ITEM_DONE;
        if (c->qs < 0)
            failed = c;
    }
    fh_log_set_request_id(NULL);
    if (!failed) {
        int cq = fh_store_tx_end(st, true);
        if (cq >= 0) {
            atomic_fetch_add(&g->commits, 1);
            atomic_fetch_add(&g->committed, n);
            return;
        }
        if (cq == FH_QS_HARD) { /* the commit's outcome is unknown: nothing may run again */
            set_all(batch, cq, ITEM_DONE);
            return;
        }
    } else {
        fh_store_tx_end(st, false);
        if (n == 1 && failed->qs == FH_QS_HARD)
            return; /* a lone item's hard failure is its result */
    }
    atomic_fetch_add(&g->alone, n);
    set_all(batch, FH_QS_SOFT, ITEM_ALONE);
}

static void *committer_main(void *arg)
{
    struct fh_group *g = arg;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->head && !g->stopping)
            pthread_cond_wait(&g->work, &g->lock);
        if (!g->head)
            break;
        size_t n;
        struct group_item *batch = take_batch(g, &n);
        pthread_mutex_unlock(&g->lock);
        run_batch(g, batch, n);
        /* submitted items are reported here, those sent back first run alone on this thread;
         * the waiting callers are woken under the lock */
        struct group_item *waiting = NULL, **wt = &waiting;
        for (struct group_item *c = batch, *next; c; c = next) {
            next = c->next;
            if (!c->done_fn) {
                *wt = c;
                wt = &c->next;
                continue;
            }
            fh_log_set_request_id(c->request_id);
            int qs = c->outcome == ITEM_ALONE ? fh_store_run_tx(g->st, c->fn, c->cls) : c->qs;
            fh_log_set_request_id(NULL);
            c->done_fn(c->done_cls, qs);
            free(c);
        }
        *wt = NULL;
        batch = waiting;
        pthread_mutex_lock(&g->lock);
        for (struct group_item *c = batch, *next; c; c = next) {
            next = c->next; /* once the lock is released, the caller may return (item gone) */
            c->state = c->outcome;
            pthread_cond_signal(&c->done);
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct fh_group *fh_group_start(struct fh_store *st)
{
    struct fh_group *g = fh_calloc(1, sizeof(*g));
    g->st = st;
    g->tail = &g->head;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->work, NULL);
    if (pthread_create(&g->thread, NULL, committer_main, g) != 0) {
        fh_log(FH_LOG_ERROR, "store_group", "%s", "cannot start the committer thread");
        pthread_cond_destroy(&g->work);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void fh_group_stop(struct fh_group *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL); /* it commits what is queued first */
    if (atomic_load(&g->commits) > 0)
        fh_log(FH_LOG_INFO, "store_group",
               "%llu transactions in %llu group commits; %llu ran alone after their batch failed",
               (unsigned long long)atomic_load(&g->committed),
               (unsigned long long)atomic_load(&g->commits),
               (unsigned long long)atomic_load(&g->alone));
    pthread_cond_destroy(&g->work);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

int fh_store_group_tx(struct fh_store *st, fh_tx_fn fn, void *cls)
{
    if (fh_store_in_tx(st))
        return fn(st, cls);
    struct fh_group *g = fh_store_group(st);
    if (!g)
        return fh_store_run_tx(st, fn, cls);
    struct group_item me = {.fn = fn, .cls = cls, .state = ITEM_QUEUED};
    fh_strlcpy(me.request_id, fh_log_request_id(), sizeof(me.request_id));
    pthread_mutex_lock(&g->lock);
    if (g->stopping) {
        pthread_mutex_unlock(&g->lock);
        return fh_store_run_tx(st, fn, cls);
    }
    pthread_cond_init(&me.done, NULL);
    *g->tail = &me;
    g->tail = &me.next;
    pthread_cond_signal(&g->work);
    while (me.state == ITEM_QUEUED)
        pthread_cond_wait(&me.done, &g->lock);
    pthread_mutex_unlock(&g->lock);
    pthread_cond_destroy(&me.done);
    if (me.state == ITEM_ALONE)
        return fh_store_run_tx(st, fn, cls);
    return me.qs;
}

enum fh_rc fh_store_group_submit(struct fh_store *st, fh_tx_fn fn, void *cls,
                                 void (*done)(void *done_cls, int qs), void *done_cls)
{
    if (fh_store_in_tx(st)) {
        fh_log(FH_LOG_ERROR, "store_group", "%s", "fh_store_group_submit inside a transaction");
        return FH_ERR;
    }
    struct fh_group *g = fh_store_group(st);
    struct group_item *c = fh_calloc(1, sizeof(*c));
    *c = (struct group_item){
        .fn = fn, .cls = cls, .done_fn = done, .done_cls = done_cls, .state = ITEM_QUEUED};
    fh_strlcpy(c->request_id, fh_log_request_id(), sizeof(c->request_id));
    if (g) {
        pthread_mutex_lock(&g->lock);
        if (!g->stopping) {
            *g->tail = c;
            g->tail = &c->next;
            pthread_cond_signal(&g->work);
            pthread_mutex_unlock(&g->lock);
            return FH_OK;
        }
        pthread_mutex_unlock(&g->lock);
    }
    free(c); /* no committer: the transaction runs here */
    done(done_cls, fh_store_run_tx(st, fn, cls));
    return FH_OK;
}

void fh_store_group_stats(struct fh_store *st, struct fh_store_group_stats *out)
{
    struct fh_group *g = fh_store_group_peek(st);
    out->commits = g ? atomic_load(&g->commits) : 0;
    out->committed = g ? atomic_load(&g->committed) : 0;
    out->alone = g ? atomic_load(&g->alone) : 0;
}
