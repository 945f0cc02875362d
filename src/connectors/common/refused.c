/* refused.c - partner documents fiscalhub could not fiscalize, kept for the integration's warning.
 *
 * A document the mapping or the submission refuses (a negative line, more items than the V-SDC
 * takes, ...) used to reach only the log. Now it is a row of refused_documents under its source
 * key, with its number and the reason, shown on the integration as not_fiscalized
 * (docs/api/integrations.md). Every later look at the document (a webhook or a poll after it
 * changed) replaces the reason or, once it is fiscalized or no longer needs to be (voided, back
 * to draft), removes the row. Best effort: a store error here only costs the warning, never the
 * document's own processing. A refusal whose cause lies outside the document (a revoked or
 * expired certificate) goes away with no edit of it: fh_conn_refused_again queues a look at
 * each one (the integration's Look again, and a change of its certificate). seen_at is the
 * latest refusal (a Look again's job key); first_seen_at, kept while the row lives, orders the
 * warning's list, so a document refused once more does not pass newer ones. */
#include <stdlib.h>

#include "fh/fh_connector.h"

#define REF_MAX 255
#define REASON_MAX 400

void fh_conn_refused(struct fh_store *st, const struct fh_integ *in,
                     const struct fh_conn_refusal *d)
{
    char *r = fh_conn_text(d->ref && d->ref[0] ? d->ref : d->doc_id ? d->doc_id : d->key, REF_MAX);
    char *w = fh_conn_text(d->why && d->why[0] ? d->why : "refused", REASON_MAX);
    struct fh_param p[] = {FH_PI(in->id),      FH_PT(d->key),  FH_PT(r),         FH_PT(w),
                           FH_PI(fh_now_ms()), FH_PT(d->kind), FH_PT(d->doc_id), FH_PT(d->url)};
    int qs = fh_store_exec(st,
                           "INSERT INTO refused_documents (integration_id, doc_key, source_ref, "
                           "reason, seen_at, first_seen_at, kind, doc_id, source_url) "
                           "VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) "
                           "ON CONFLICT (integration_id, doc_key) DO UPDATE SET "
                           "source_ref = excluded.source_ref, reason = excluded.reason, "
                           "seen_at = excluded.seen_at, kind = excluded.kind, "
                           "doc_id = excluded.doc_id, source_url = excluded.source_url",
                           p, FH_ARRAY_LEN(p), NULL);
    free(r);
    free(w);
    if (qs < 0)
        fh_log(FH_LOG_WARN, "refused_document", "integration %s: cannot record a refused document",
               in->uid);
}

enum fh_rc fh_conn_refused_again(struct fh_app *app, const struct fh_integ *in,
                                 fh_conn_again_fn again, int64_t *queued)
{
    *queued = 0;
    struct fh_param p[] = {FH_PI(in->id)};
    struct fh_rows rows;
    int qs = fh_store_exec(app->store,
                           "SELECT kind, doc_id, seen_at FROM refused_documents WHERE "
                           "integration_id = $1 AND doc_id IS NOT NULL ORDER BY seen_at",
                           p, 1, &rows);
    enum fh_rc rc = fh_qs_rc(qs);
    for (size_t i = 0; rc == FH_OK && i < rows.nrows; i++) {
        rc = again(app, in, fh_rows_get(&rows, i, 0), fh_rows_get(&rows, i, 1),
                   fh_rows_i64(&rows, i, 2, 0));
        *queued += rc == FH_OK;
    }
    fh_rows_free(&rows);
    return rc;
}

void fh_conn_settled(struct fh_store *st, const struct fh_integ *in, const char *key)
{
    /* Most integrations have none: a read decides whether a write is needed at all. */
    struct fh_param p[] = {FH_PI(in->id), FH_PT(key)};
    struct fh_rows rows;
    int qs = fh_store_exec(
        st, "SELECT 1 FROM refused_documents WHERE integration_id = $1 AND doc_key = $2", p, 2,
        &rows);
    fh_rows_free(&rows);
    if (qs > 0)
        fh_store_exec(st,
                      "DELETE FROM refused_documents WHERE integration_id = $1 AND doc_key = $2", p,
                      2, NULL);
}
