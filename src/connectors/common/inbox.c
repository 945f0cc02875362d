/* inbox.c - the webhook inbox and job deferral.
 *
 * A verified webhook delivery becomes inbox rows plus one processing job, in one transaction,
 * before the partner gets its 200: nothing accepted lives only in memory. The job's unique key
 * is derived from the first row's id, so it is new for every delivery.
 *
 * Deferral: a job that must wait (rate limits, a refresh by someone else, a fiscal invoice not
 * signed yet) enqueues its successor due at the earliest useful time and completes; the wait
 * costs no attempt. The successor's key is "<base>~<n>" with n counted in the payload's
 * "defer", so repeating the run (after a lost lease) enqueues the same successor once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"

struct inbox_ctx {
    struct fh_app *app;
    const char *source, *kind;
    const struct fh_inbox_event *ev;
    size_t n;
    int64_t now;
};

static int inbox_tx(struct fh_store *st, void *cls)
{
    struct inbox_ctx *c = cls;
    int64_t first = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct fh_inbox_event *e = &c->ev[i];
        struct fh_param p[] = {FH_PT(c->source),     FH_PT(e->tenant_id),   FH_PT(e->category),
                               FH_PT(e->event_type), FH_PT(e->resource_id), FH_PT(e->event_at),
                               FH_PI(c->now)};
        struct fh_rows rows;
        int qs =
            fh_store_exec(st,
                          "INSERT INTO inbox_events (source, tenant_id, category, event_type, "
                          "resource_id, event_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                          "RETURNING id",
                          p, FH_ARRAY_LEN(p), &rows);
        if (qs > 0 && !first)
            first = fh_rows_i64(&rows, 0, 0, 0);
        fh_rows_free(&rows);
        if (qs < 0)
            return qs;
    }
    char key[96];
    snprintf(key, sizeof(key), "%s:inbox:%lld", c->source, (long long)first);
    struct fh_enqueue e = {.kind = c->kind, .ukey = key, .payload = "{}"};
    enum fh_rc rc = fh_job_enqueue(st, &c->app->qcfg, &e, NULL, NULL);
    return rc == FH_OK ? 1 : rc == FH_E_RETRY ? FH_QS_SOFT : FH_QS_HARD;
}

enum fh_rc fh_inbox_commit(struct fh_app *app, const char *source, const struct fh_inbox_event *ev,
                           size_t n, const char *job_kind)
{
    if (n == 0)
        return FH_OK;
    struct inbox_ctx c = {
        .app = app, .source = source, .kind = job_kind, .ev = ev, .n = n, .now = fh_now_ms()};
    int qs = fh_store_run_tx(app->store, inbox_tx, &c);
    return qs >= 0 ? FH_OK : qs == FH_QS_SOFT ? FH_E_RETRY : FH_ERR;
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
