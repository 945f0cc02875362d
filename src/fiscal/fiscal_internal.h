/* fiscal_internal.h - pieces shared by the files of src/fiscal/ (not a public interface). */
#ifndef FH_FISCAL_INTERNAL_H
#define FH_FISCAL_INTERNAL_H

#include "fh/fh_crypto.h"
#include "fh/fh_fiscal.h"
#include "fh/fh_jobs.h"
#include "taxcore/taxcore.h"

/* The columns of a fiscal_invoices row that the job needs. */
struct fiscal_row {
    int64_t id, org_id, certificate_id;
    char request_id[FH_FISCAL_REQUEST_ID_LEN + 1];
    char status[16];
    int attempts;
    bool uncertain;
    int64_t retry_since; /* attempts without a definite answer since (0: none) */
    char *canonical;     /* owned */
    bool has_source_tax; /* the source document's tax total is known (tax_check.c) */
    int64_t source_tax;
};
void fiscal_row_free(struct fiscal_row *r);

/* waits.c: what waits for the invoice with source key original_key, oldest first:
 * [{"ref", "integration", "since"}] (a new array; empty when nothing waits). */
json_t *fiscal_waits_json(struct fh_store *st, int64_t org_id, const char *original_key);
/* In the transaction that signs the invoice with source key original_key: the parked jobs of
 * the documents waiting for it (fh_fiscal_wait_park) become due at once. 1, or FH_QS_*. */
int fiscal_waits_wake(struct fh_store *st, int64_t org_id, const char *original_key, int64_t now);

/* rows.c: one statement each; each returns rows affected (>= 0) or FH_QS_SOFT / FH_QS_HARD. */
int fiscal_row_load(struct fh_store *st, int64_t id, struct fiscal_row *out);
/* Commits "an attempt is about to reach the V-SDC": uncertain = 1, attempts + 1, but only while
 * the row is pending and still has seen_attempts (0 rows: someone else moved it). */
int fiscal_row_begin_attempt(struct fh_store *st, int64_t id, int seen_attempts, int64_t now);
/* fiscal_row_begin_attempt in one transaction with the invoice's usage count (src/billing):
 * when the plan does not allow the invoice now, it is put on hold instead, *held is set and
 * nothing else changes (returns >= 0). cfg NULL: no licensing (unit tests). */
int fiscal_row_begin_billed(struct fh_store *st, const struct fh_config *cfg, int64_t id,
                            int seen_attempts, int64_t now, bool *held);
/* fiscal_row_begin_billed inside the caller's transaction (the job's claim, engine.c): 1 when
 * the attempt is marked, or on hold (*held set); FH_QS_SOFT when the row moved since it was read
 * (the caller's transaction is run again), or a store error. */
int fiscal_row_begin_in_tx(struct fh_store *st, const struct fh_config *cfg, int64_t id,
                           int seen_attempts, int64_t now, bool *held);
/* Stores the V-SDC's FH_TC_OK answer r (the body verbatim and the fields read from it), never
 * over a signed row, and in the same transaction completes job (fh_job_complete_tx; NULL: no
 * job). *completed tells whether the job was completed (false when its lease was lost). */
int fiscal_row_sign(struct fh_store *st, const struct fiscal_row *row, const struct fh_tc_reply *r,
                    const struct fh_job *job, int64_t now, bool *completed);

/* tax_check.c: the tax total of the V-SDC's answer result (the sum of its taxItems) in
 * *vsdc_tax, and in *mismatch whether it differs from source_tax (the source document's) by more
 * than rounding allows for the canonical invoice's items. False when the answer has no tax items
 * to read (nothing is checked then). */
bool fiscal_tax_check(const char *result, const char *canonical, int64_t source_tax,
                      int64_t *vsdc_tax, bool *mismatch);
/* Pending -> failed with reason; uncertain: 0 or 1 to set, -1 to keep. */
int fiscal_row_fail(struct fh_store *st, int64_t id, const char *reason, int uncertain,
                    int64_t now);
/* Records the reason of a transient failure on a pending row (status unchanged), and since when
 * such failures have gone on (retry_since, kept when already set). */
int fiscal_row_note(struct fh_store *st, int64_t id, const char *reason, int64_t now);

/* cert_cache.c: opened certificate secrets by (certificate id, stamp); see its top comment.
 * The stamp is the sealed cells' nonces (fh_cert_secret_load builds it). */
#define FISCAL_CERT_STAMP_SIZE 112
/* On a hit, points out's secrets into the cache (out->held set) and returns true. */
bool fiscal_cert_cache_get(int64_t id, const char *stamp, const uint8_t key[FH_MASTER_KEY_BYTES],
                           struct fh_cert_secret *out);
/* Moves s's opened secrets (owned copies, wiped and freed here) into a new entry for (id, stamp)
 * and points s into it. Without locked memory, or without secrets, s is left as it is. */
void fiscal_cert_cache_put(int64_t id, const char *stamp, const uint8_t key[FH_MASTER_KEY_BYTES],
                           struct fh_cert_secret *s);
/* Gives back the reference of a fh_cert_secret's held. */
void fiscal_cert_cache_release(void *held);
/* Drops the entry of certificate id (revoked). */
void fiscal_cert_cache_forget(int64_t id);

/* The V-SDC client settings from the app's configuration. */
void fiscal_tc_settings(const struct fh_app *app, struct fh_tc_settings *out);

#endif
