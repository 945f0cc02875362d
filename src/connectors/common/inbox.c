/* inbox.c - the webhook inbox (with group commit) and job deferral.
 *
 * A verified webhook delivery becomes inbox rows plus a processing job, in one transaction,
 * before the partner gets its 200: nothing accepted lives only in memory. The job's unique key
 * is derived from a row id of the commit, so it is new for every commit.
 *
 * Group commit: one committer thread per process writes every delivery. A caller queues its
 * delivery (fh_inbox_submit: with a function called once it is committed or failed, so an HTTP
 * handler can suspend its connection instead of holding a thread; fh_inbox_commit: waiting for
 * the outcome). The committer takes every queued delivery of one store (up to GC_MAX_EVENTS
 * events), writes them all in one transaction on its own connection - their rows, and one
 * processing job per source, since that job drains all of the source's unprocessed rows - and
 * reports each outcome only after the COMMIT returned. Deliveries that arrive meanwhile queue
 * for the next commit, so under load one commit (one WAL append, one lock hand-over) serves
 * every request in flight, and an idle server commits a lone delivery at once, with no added
 * delay. If the shared transaction fails for good, the committer commits each delivery of the
 * batch on its own, so one bad delivery fails alone. Because it commits on the committer's
 * connection, fh_inbox_commit must not be called inside a transaction (its rows would not be
 * part of it). The thread starts with the first delivery and lives as long as the process.
 *
 * The processing job drains the source's unprocessed rows (fh_inbox_drain): one transaction per
 * row does the partner's work for it (typically: queue a document job with a unique key) and
 * marks it processed, so a crash in between repeats one row at most, harmlessly.
 *
 * Deferral: a job that must wait (rate limits, a refresh by someone else, a fiscal invoice not
 * signed yet) enqueues its successor due at the earliest useful time and completes; the wait
 * costs no attempt. The successor's key is "<base>~<n>" with n counted in the payload's
 * "defer", so repeating the run (after a lost lease) enqueues the same successor once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"

enum { GC_MAX_EVENTS = 2000 };

/* One queued delivery: on its waiting caller's stack (fh_inbox_commit, done_fn NULL) or
 * allocated by fh_inbox_submit and freed once reported. */
struct gc_item {
    struct fh_app *app;
    const char *source, *kind;
    const struct fh_inbox_event *ev;
    size_t n;
    int64_t now;
    int qs; /* outcome (a store result), valid once done */
    bool done;
    void (*done_fn)(void *cls, enum fh_rc rc);
    void *cls;
    struct gc_item *next;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* the committer waits here for deliveries */
    pthread_cond_t done; /* waiting callers wait here for their outcome */
    struct gc_item *head, **tail;
    pthread_once_t once;
    bool started;
} gc = {.lock = PTHREAD_MUTEX_INITIALIZER,
        .work = PTHREAD_COND_INITIALIZER,
        .done = PTHREAD_COND_INITIALIZER,
        .tail = &gc.head,
        .once = PTHREAD_ONCE_INIT};
/* Writes one delivery's rows (inside the caller's transaction); while *first is 0, it gets the
 * id of a row written (a row id of the commit, for the job's key). */
static int write_rows(struct fh_store *st, const struct gc_item *c, int64_t *first)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct fh_inbox_event *e = &c->ev[i];
        struct fh_param p[] = {
            FH_PT(c->source),      FH_PT(e->tenant_id),
            FH_PT(e->category),    FH_PT(e->event_type),
            FH_PT(e->resource_id), FH_PT(e->event_at),
            FH_PI(c->now),         e->integration_id ? FH_PI(e->integration_id) : FH_PNULL};
        int qs;
        if (*first) { /* one row id of the commit is enough */
            qs = fh_store_exec(st,
                               "INSERT INTO inbox_events (source, tenant_id, category, event_type, "
                               "resource_id, event_at, received_at, integration_id) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                               p, FH_ARRAY_LEN(p), NULL);
        } else {
            struct fh_rows rows;
            qs = fh_store_exec(st,
                               "INSERT INTO inbox_events (source, tenant_id, category, event_type, "
                               "resource_id, event_at, received_at, integration_id) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                               p, FH_ARRAY_LEN(p), &rows);
            if (qs > 0)
                *first = fh_rows_i64(&rows, 0, 0, 0);
            fh_rows_free(&rows);
        }
        if (qs < 0)
            return qs;
    }
    return 1;
}

/* The processing job of c's source, keyed by a row id of this commit. The job drains every
 * unprocessed row of the source (fh_inbox_drain), so one job per source and commit is enough. */
static int enqueue_drain(struct fh_store *st, const struct gc_item *c, int64_t first)
{
    char key[96];
    snprintf(key, sizeof(key), "%s:inbox:%lld", c->source, (long long)first);
    struct fh_enqueue e = {.kind = c->kind, .ukey = key, .payload = "{}"};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : rc == FH_E_RETRY ? FH_QS_SOFT : FH_QS_HARD;
}

static int batch_tx(struct fh_store *st, void *cls)
{
    int64_t id = 0;
    for (struct gc_item *c = cls; c; c = c->next) {
        int qs = write_rows(st, c, &id);
        if (qs < 0)
            return qs;
    }
    for (struct gc_item *c = cls; c; c = c->next) {
        bool seen = false; /* an earlier delivery of the batch has the same source and job */
        for (struct gc_item *b = cls; b != c && !seen; b = b->next)
            seen = strcmp(b->source, c->source) == 0 && strcmp(b->kind, c->kind) == 0;
        int qs = seen ? 1 : enqueue_drain(st, c, id);
        if (qs < 0)
            return qs;
    }
    return 1;
}

static int item_tx(struct fh_store *st, void *cls)
{
    struct gc_item *c = cls;
    int64_t id = 0;
    int qs = write_rows(st, c, &id);
    return qs < 0 ? qs : enqueue_drain(st, c, id);
}

/* Leader: commits the batch (a list linked by next), then sets every item's outcome. */
static void commit_batch(struct gc_item *batch)
{
    struct fh_store *st = batch->app->store;
    int qs = fh_store_run_tx(st, batch_tx, batch);
    if (qs < 0 && batch->next) {
        for (struct gc_item *c = batch; c; c = c->next)
            c->qs = fh_store_run_tx(st, item_tx, c);
        return;
    }
    for (struct gc_item *c = batch; c; c = c->next)
        c->qs = qs;
}

/* With gc.lock held: unlinks the queued items of the oldest item's store (up to GC_MAX_EVENTS
 * events, at least one) and returns them in arrival order. */
static struct gc_item *take_batch(void)
{
    struct fh_store *st = gc.head->app->store;
    struct gc_item *batch = NULL, **tail = &batch;
    size_t events = 0;
    gc.tail = &gc.head;
    for (struct gc_item **p = &gc.head; *p;) {
        struct gc_item *c = *p;
        if (c->app->store != st || (batch && events + c->n > GC_MAX_EVENTS)) {
            p = &c->next;
            gc.tail = p;
            continue;
        }
        *p = c->next;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
        events += c->n;
    }
    return batch;
}

static enum fh_rc item_rc(const struct gc_item *c)
{
    return c->qs >= 0 ? FH_OK : c->qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
}

static void *committer_main(void *arg)
{
    FH_UNUSED(arg);
    pthread_mutex_lock(&gc.lock);
    for (;;) {
        while (!gc.head)
            pthread_cond_wait(&gc.work, &gc.lock);
        struct gc_item *batch = take_batch();
        pthread_mutex_unlock(&gc.lock);
        commit_batch(batch);
        bool waiters = false;
        for (struct gc_item *c = batch, *next; c; c = next) {
            next = c->next; /* a reported item may vanish */
            if (c->done_fn) {
                c->done_fn(c->cls, item_rc(c));
                free(c);
            } else {
                waiters = true;
            }
        }
        pthread_mutex_lock(&gc.lock);
        if (waiters) {
            for (struct gc_item *c = batch, *next; c; c = next) {
                next = c->next;
                if (!c->done_fn)
                    c->done = true; /* its caller may return (and the item vanish) from here on */
            }
            pthread_cond_broadcast(&gc.done);
        }
    }
    return NULL;
}

static void committer_start(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    gc.started = pthread_create(&t, &attr, committer_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!gc.started)
        fh_log(FH_LOG_ERROR, "inbox", "%s", "cannot start the committer thread");
}

/* Queues c (gc.lock held by the caller); false when there is no committer to take it. */
static bool enqueue_locked(struct gc_item *c)
{
    if (!gc.started)
        return false;
    c->next = NULL;
    *gc.tail = c; /* appended: batches keep arrival order */
    gc.tail = &c->next;
    pthread_cond_signal(&gc.work);
    return true;
}

enum fh_rc fh_inbox_submit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind, void (*done)(void *cls, enum fh_rc rc),
                           void *cls)
{
    if (n == 0)
        return FH_E_INPUT;
    pthread_once(&gc.once, committer_start);
    struct gc_item *c = fh_calloc(1, sizeof(*c));
    *c = (struct gc_item){.app = app,
                          .source = source,
                          .kind = job_kind,
                          .ev = ev,
                          .n = n,
                          .now = fh_now_ms(),
                          .done_fn = done,
                          .cls = cls};
    pthread_mutex_lock(&gc.lock);
    bool queued = enqueue_locked(c);
    pthread_mutex_unlock(&gc.lock);
    if (!queued) {
        free(c);
        return FH_ERR;
    }
    return FH_OK;
}

enum fh_rc fh_inbox_commit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind)
{
    if (n == 0)
        return FH_OK;
    pthread_once(&gc.once, committer_start);
    struct gc_item me = {
        .app = app, .source = source, .kind = job_kind, .ev = ev, .n = n, .now = fh_now_ms()};
    pthread_mutex_lock(&gc.lock);
    bool queued = enqueue_locked(&me);
    while (queued && !me.done)
        pthread_cond_wait(&gc.done, &gc.lock);
    pthread_mutex_unlock(&gc.lock);
    return queued ? item_rc(&me) : FH_ERR;
}

struct drain_ctx {
    const struct fh_inbox_row *row;
    int (*fn)(struct fh_store *st, const struct fh_inbox_row *r, void *cls);
    void *cls;
};

static int drain_tx(struct fh_store *st, void *cls)
{
    struct drain_ctx *c = cls;
    int qs = c->fn(st, c->row, c->cls);
    if (qs < 0)
        return qs;
    struct fh_param d[] = {FH_PI(c->row->id), FH_PI(fh_now_ms())};
    return fh_store_exec(st, "UPDATE inbox_events SET processed_at = $2 WHERE id = $1", d, 2, NULL);
}

enum fh_rc fh_inbox_drain(struct fh_app *app, const char *source,
                          int (*fn)(struct fh_store *st, const struct fh_inbox_row *r, void *cls),
                          void *cls, char *err, size_t errsize)
{
    struct fh_param s[] = {FH_PT(source)};
    for (int batch = 0; batch < 50; batch++) {
        struct fh_rows rows;
        int qs = fh_store_exec(app->store,
                               "SELECT id, integration_id, tenant_id, category, event_type, "
                               "resource_id, event_at FROM inbox_events WHERE source = $1 AND "
                               "processed_at IS NULL ORDER BY id LIMIT 200",
                               s, 1, &rows);
        if (qs <= 0) {
            fh_rows_free(&rows);
            if (qs < 0)
                fh_strlcpy(err, "store error reading the inbox", errsize);
            return qs < 0 ? FH_E_RETRY : FH_OK;
        }
        for (size_t i = 0; i < rows.nrows; i++) {
            struct fh_inbox_row r = {.id = fh_rows_i64(&rows, i, 0, 0),
                                     .integration_id = fh_rows_i64(&rows, i, 1, 0),
                                     .tenant_id = fh_rows_get(&rows, i, 2),
                                     .category = fh_rows_get(&rows, i, 3),
                                     .event_type = fh_rows_get(&rows, i, 4),
                                     .resource_id = fh_rows_get(&rows, i, 5),
                                     .event_at = fh_rows_get(&rows, i, 6)};
            struct drain_ctx c = {.row = &r, .fn = fn, .cls = cls};
            if (fh_store_run_tx(app->store, drain_tx, &c) < 0) {
                fh_rows_free(&rows);
                fh_strlcpy(err, "store error processing the inbox", errsize);
                return FH_E_RETRY;
            }
        }
        fh_rows_free(&rows);
    }
    return FH_OK;
}

enum fh_rc fh_job_defer(struct fh_app *app, const struct fh_job *job, json_t *new_payload,
                        int64_t run_at)
{
    json_error_t je;
    json_t *p = new_payload ? json_deep_copy(new_payload)
                            : json_loads(job->payload ? job->payload : "{}", 0, &je);
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    json_int_t n = json_integer_value(json_object_get(p, "defer")) + 1;
    json_object_set_new(p, "defer", json_integer(n));
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    char key[300];
    const char *base = job->ukey ? job->ukey : job->kind;
    const char *tilde = strrchr(base, '~');
    int blen = tilde ? (int)(tilde - base) : (int)strlen(base);
    snprintf(key, sizeof(key), "%.*s~%lld", blen > 240 ? 240 : blen, base, (long long)n);
    struct fh_enqueue e = {.kind = job->kind,
                           .ukey = key,
                           .payload = payload,
                           .run_at = run_at,
                           .max_attempts = job->max_attempts};
    enum fh_rc rc = fh_job_enqueue(app->store, &app->qcfg, &e, NULL, NULL);
    free(payload);
    return rc;
}
