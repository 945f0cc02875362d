/* inbox.c - the webhook inbox (with group commit) and job deferral.
 *
 * A verified webhook delivery becomes inbox rows plus a processing job, in one transaction,
 * before the partner gets its 200: nothing accepted lives only in memory. The job's unique key
 * is derived from a first row id of the commit, so it is new for every commit.
 *
 * Group commit: deliveries arriving together share one transaction. A caller queues its
 * delivery and waits; the first waiter that finds no commit running becomes the leader, takes
 * every queued delivery of its store (up to GC_MAX_EVENTS events), writes them all in one
 * transaction on its own connection - their rows, and one processing job per source, since that
 * job drains all of the source's unprocessed rows - and wakes each waiter with the outcome only
 * after the COMMIT returned. Deliveries that arrive meanwhile queue for the next leader, so under
 * load one commit (one WAL append, one lock hand-over) serves many requests, and an idle server
 * commits a lone delivery at once, with no added delay. If the shared transaction fails for good,
 * the leader commits each delivery of the batch on its own, so one bad delivery fails alone.
 * Because it may commit on another thread's connection, fh_inbox_commit must not be called
 * inside a transaction (its rows would not be part of it).
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

/* One queued delivery; lives on its caller's stack until done. */
struct gc_item {
    struct fh_app *app;
    const char *source, *kind;
    const struct fh_inbox_event *ev;
    size_t n;
    int64_t now;
    int64_t first; /* the delivery's first row id, once written */
    int qs;        /* outcome (a store result), valid once done */
    bool done;
    struct gc_item *next;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct gc_item *head;
    bool committing; /* a leader is writing a batch */
} gc = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Writes one delivery's rows (inside the caller's transaction); *first gets the first row id. */
static int write_rows(struct fh_store *st, const struct gc_item *c, int64_t *first)
{
    *first = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct fh_inbox_event *e = &c->ev[i];
        struct fh_param p[] = {
            FH_PT(c->source),      FH_PT(e->tenant_id),
            FH_PT(e->category),    FH_PT(e->event_type),
            FH_PT(e->resource_id), FH_PT(e->event_at),
            FH_PI(c->now),         e->integration_id ? FH_PI(e->integration_id) : FH_PNULL};
        struct fh_rows rows;
        int qs = fh_store_exec(st,
                               "INSERT INTO inbox_events (source, tenant_id, category, event_type, "
                               "resource_id, event_at, received_at, integration_id) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                               p, FH_ARRAY_LEN(p), &rows);
        if (qs > 0 && !*first)
            *first = fh_rows_i64(&rows, 0, 0, 0);
        fh_rows_free(&rows);
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
    for (struct gc_item *c = cls; c; c = c->next) {
        int qs = write_rows(st, c, &c->first);
        if (qs < 0)
            return qs;
    }
    for (struct gc_item *c = cls; c; c = c->next) {
        bool seen = false; /* an earlier delivery of the batch has the same source and job */
        for (struct gc_item *b = cls; b != c && !seen; b = b->next)
            seen = strcmp(b->source, c->source) == 0 && strcmp(b->kind, c->kind) == 0;
        int qs = seen ? 1 : enqueue_drain(st, c, c->first);
        if (qs < 0)
            return qs;
    }
    return 1;
}

static int item_tx(struct fh_store *st, void *cls)
{
    struct gc_item *c = cls;
    int qs = write_rows(st, c, &c->first);
    return qs < 0 ? qs : enqueue_drain(st, c, c->first);
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

/* With gc.lock held: unlinks the queued items of st (at least one, the oldest first, up to
 * GC_MAX_EVENTS events) and returns them in arrival order. */
static struct gc_item *take_batch(struct fh_store *st)
{
    struct gc_item *batch = NULL, **tail = &batch;
    size_t events = 0;
    for (struct gc_item **p = &gc.head; *p;) {
        struct gc_item *c = *p;
        if (c->app->store != st || (batch && events + c->n > GC_MAX_EVENTS)) {
            p = &c->next;
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

enum fh_rc fh_inbox_commit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind)
{
    if (n == 0)
        return FH_OK;
    struct gc_item me = {
        .app = app, .source = source, .kind = job_kind, .ev = ev, .n = n, .now = fh_now_ms()};
    pthread_mutex_lock(&gc.lock);
    struct gc_item **p = &gc.head;
    while (*p)
        p = &(*p)->next;
    *p = &me; /* appended: batches keep arrival order */
    while (!me.done) {
        if (gc.committing) {
            pthread_cond_wait(&gc.cond, &gc.lock);
            continue;
        }
        gc.committing = true;
        struct gc_item *batch = take_batch(app->store);
        pthread_mutex_unlock(&gc.lock);
        commit_batch(batch);
        pthread_mutex_lock(&gc.lock);
        for (struct gc_item *c = batch, *next; c; c = next) {
            next = c->next; /* a woken caller may return (and its item vanish) once done is set */
            c->done = true;
        }
        gc.committing = false;
        pthread_cond_broadcast(&gc.cond);
    }
    pthread_mutex_unlock(&gc.lock);
    return me.qs >= 0 ? FH_OK : me.qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
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
