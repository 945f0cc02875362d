/* refused.c - partner documents fiscalhub could not fiscalize, kept for the integration's warning.
 *
 * A document the mapping or the submission refuses (a negative line, more items than the V-SDC
 * takes, ...) used to reach only the log. Now it is a row of refused_documents under its source
 * key, with its number and the reason, shown on the integration as not_fiscalized
 * (docs/api/integrations.md). Every later look at the document (a webhook or a poll after it
 * changed) replaces the reason or, once it is fiscalized or no longer needs to be (voided, back
 * to draft), removes the row. Best effort: a store error here only costs the warning, never the
 * document's own processing. */
#include <stdlib.h>

#include "fh/fh_connector.h"

#define REF_MAX 255
#define REASON_MAX 400

void fh_conn_refused(struct fh_store *st, const struct fh_integ *in, const char *key,
                     const char *ref, const char *why)
{
    char *r = fh_conn_text(ref && ref[0] ? ref : key, REF_MAX);
    char *w = fh_conn_text(why && why[0] ? why : "refused", REASON_MAX);
    struct fh_param p[] = {FH_PI(in->id), FH_PT(key), FH_PT(r), FH_PT(w), FH_PI(fh_now_ms())};
    int qs = fh_store_exec(st,
                           "INSERT INTO refused_documents (integration_id, doc_key, source_ref, "
                           "reason, seen_at) VALUES ($1, $2, $3, $4, $5) "
                           "ON CONFLICT (integration_id, doc_key) DO UPDATE SET "
                           "source_ref = excluded.source_ref, reason = excluded.reason, "
                           "seen_at = excluded.seen_at",
                           p, FH_ARRAY_LEN(p), NULL);
    free(r);
    free(w);
    if (qs < 0)
        fh_log(FH_LOG_WARN, "refused_document", "integration %s: cannot record a refused document",
               in->uid);
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
