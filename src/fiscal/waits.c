/* waits.c - documents waiting for an invoice of their organization to be signed (table
 * fiscal_waits). A connector records the wait when it defers such a document and ends it when
 * the document goes on (or gives up); the invoice's details list what waits for it, so a user
 * looking at a failed invoice learns that retrying it also lets its credit note through. */
#include "fiscal_internal.h"

enum fh_rc fh_fiscal_wait_begin(struct fh_store *st, int64_t org_id, const char *waiting_key,
                                const char *original_key, const char *ref, int64_t integration_id,
                                int64_t now)
{
    struct fh_param p[] = {FH_PI(org_id),
                           FH_PT(waiting_key),
                           FH_PT(original_key),
                           ref && ref[0] ? FH_PT(ref) : FH_PNULL,
                           integration_id > 0 ? FH_PI(integration_id) : FH_PNULL,
                           FH_PI(now)};
    int qs = fh_store_exec(st,
                           "INSERT INTO fiscal_waits (org_id, waiting_key, original_key, ref, "
                           "integration_id, since) VALUES ($1, $2, $3, $4, $5, $6) "
                           "ON CONFLICT (org_id, waiting_key) DO UPDATE SET "
                           "original_key = excluded.original_key, ref = excluded.ref",
                           p, FH_ARRAY_LEN(p), NULL);
    return fh_qs_rc(qs);
}

enum fh_rc fh_fiscal_wait_end(struct fh_store *st, int64_t org_id, const char *waiting_key)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(waiting_key)};
    int qs = fh_store_exec(st, "DELETE FROM fiscal_waits WHERE org_id = $1 AND waiting_key = $2", p,
                           FH_ARRAY_LEN(p), NULL);
    return fh_qs_rc(qs);
}

json_t *fiscal_waits_json(struct fh_store *st, int64_t org_id, const char *original_key)
{
    json_t *list = json_array();
    if (!original_key)
        return list;
    struct fh_param p[] = {FH_PI(org_id), FH_PT(original_key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT w.ref, i.uid, w.since FROM fiscal_waits w "
                           "LEFT JOIN integrations i ON i.id = w.integration_id "
                           "WHERE w.org_id = $1 AND w.original_key = $2 "
                           "AND (i.id IS NULL OR i.status <> 'removed') ORDER BY w.since",
                           p, FH_ARRAY_LEN(p), &rows);
    for (size_t i = 0; qs > 0 && i < rows.nrows; i++) {
        char since[32];
        fh_time_fmt(fh_rows_i64(&rows, i, 2, 0), since, sizeof(since));
        json_array_append_new(
            list, json_pack("{s:o, s:o, s:s}", "ref", fh_json_str_or_null(fh_rows_get(&rows, i, 0)),
                            "integration", fh_json_str_or_null(fh_rows_get(&rows, i, 1)), "since",
                            since));
    }
    fh_rows_free(&rows);
    return list;
}
