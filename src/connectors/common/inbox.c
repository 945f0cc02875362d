/* inbox.c - the webhook inbox and job deferral.
 *
 * A verified webhook delivery becomes inbox rows plus a processing job, in one transaction,
 * before the partner gets its 200: nothing accepted lives only in memory. The job's unique key
 * is derived from a row id of the commit, so it is new for every commit.
 *
 * The transaction goes through the store's group commit (fh_store_group_submit /
 * fh_store_group_tx, src/store/group.c): the deliveries of the moment share one COMMIT, and its
 * sync, with whatever else is committing then (fiscal results, API submissions). A webhook
 * handler uses fh_inbox_submit and suspends its connection instead of holding an HTTP thread, so
 * a commit carries every delivery in flight. The processing job drains all of its source's
 * unprocessed rows, so one per source and shared transaction is enough: a delivery that finds
 * one enqueued earlier in the same transaction (fh_store_group_batch_id) adds none. A batch the
 * store refuses is run again one delivery at a time (group.c), so a bad delivery fails alone and
 * enqueues its own job. Neither function may be called inside a transaction.
 *
 * The processing job drains the source's unprocessed rows (fh_inbox_drain): one transaction per
 * row does the partner's work for it (typically: queue a document job with a unique key) and
 * marks it processed, so a crash in between repeats one row at most, harmlessly.
 *
 * Deferral: a job that must wait (rate limits, a refresh by someone else, a fiscal invoice not
 * signed yet) enqueues its successor due at the earliest useful time and completes; the wait
 * costs no attempt. The successor's key is "<base>~<n>" with n counted in the payload's
 * "defer", so repeating the run (after a lost lease) enqueues the same successor once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"

/* One delivery: on fh_inbox_commit's stack, or allocated by fh_inbox_submit until reported. */
struct delivery {
    struct fh_app *app;
    const char *source, *kind;
    const struct fh_inbox_event *ev;
    size_t n;
    int64_t now;
    void (*done)(void *cls, enum fh_rc rc);
    void *cls;
};

/* Writes one delivery's rows (inside the caller's transaction); *first gets the id of a row. */
static int write_rows(struct fh_store *st, const struct delivery *c, int64_t *first)
{
    *first = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct fh_inbox_event *e = &c->ev[i];
        struct fh_param p[] = {
            FH_PT(c->source),      FH_PT(e->tenant_id),
            FH_PT(e->category),    FH_PT(e->event_type),
            FH_PT(e->resource_id), FH_PT(e->event_at),
            FH_PI(c->now),         e->integration_id ? FH_PI(e->integration_id) : FH_PNULL};
        int qs;
        if (*first) { /* one row id is enough */
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

/* The processing jobs enqueued in this committer thread's shared transactions: (source, kind)
 * and the transaction's id. A few entries suffice (one per source and job kind). */
enum { SEEN_MAX = 8 };
static _Thread_local struct seen {
    const struct fh_store *st;
    char source[32], kind[32];
    uint64_t batch;
} seen[SEEN_MAX];

static struct seen *seen_slot(const struct fh_store *st, const struct delivery *c)
{
    struct seen *oldest = &seen[0];
    for (int i = 0; i < SEEN_MAX; i++) {
        if (seen[i].st == st && strcmp(seen[i].source, c->source) == 0 &&
            strcmp(seen[i].kind, c->kind) == 0)
            return &seen[i];
        if (seen[i].batch < oldest->batch)
            oldest = &seen[i];
    }
    *oldest = (struct seen){.st = st};
    fh_strlcpy(oldest->source, c->source, sizeof(oldest->source));
    fh_strlcpy(oldest->kind, c->kind, sizeof(oldest->kind));
    return oldest;
}

/* The delivery's rows, and its source's processing job keyed by a row id of this commit unless
 * an earlier delivery of the same shared transaction enqueued it. */
static int delivery_tx(struct fh_store *st, void *cls)
{
    struct delivery *c = cls;
    int64_t id = 0;
    int qs = write_rows(st, c, &id);
    if (qs < 0)
        return qs;
    uint64_t batch = fh_store_group_batch_id();
    struct seen *s = batch ? seen_slot(st, c) : NULL;
    if (s && s->batch == batch)
        return 1;
    char key[96];
    snprintf(key, sizeof(key), "%s:inbox:%lld", c->source, (long long)id);
    struct fh_enqueue e = {.kind = c->kind, .ukey = key, .payload = "{}"};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    if (s)
        s->batch = batch;
    return 1;
}

static void delivery_done(void *cls, int qs)
{
    struct delivery *c = cls;
    c->done(c->cls, fh_qs_rc(qs));
    free(c);
}

enum fh_rc fh_inbox_submit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind, void (*done)(void *cls, enum fh_rc rc),
                           void *cls)
{
    if (n == 0)
        return FH_E_INPUT;
    struct delivery *c = fh_calloc(1, sizeof(*c));
    *c = (struct delivery){.app = app,
                           .source = source,
                           .kind = job_kind,
                           .ev = ev,
                           .n = n,
                           .now = fh_now_ms(),
                           .done = done,
                           .cls = cls};
    if (fh_store_group_submit(app->store, delivery_tx, c, delivery_done, c) != FH_OK) {
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
    struct delivery c = {
        .app = app, .source = source, .kind = job_kind, .ev = ev, .n = n, .now = fh_now_ms()};
    return fh_qs_rc(fh_store_group_tx(app->store, delivery_tx, &c));
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
                           .max_attempts = job->max_attempts,
                           .lane = job->lane};
    enum fh_rc rc = fh_job_enqueue(app->store, &app->qcfg, &e, NULL, NULL);
    free(payload);
    return rc;
}
