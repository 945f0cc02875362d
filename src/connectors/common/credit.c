/* credit.c - what a credit note needs from the invoice it credits, for every connector.
 *
 * A credit note becomes a Refund that references the original's fiscal invoice (its V-SDC number
 * and time), so it can be fiscalized only once the original is signed. fh_conn_credited reads
 * the original by its source key; while it is pending (or on hold, or failed until a user retries
 * it) the credit note waits: fh_conn_credited shows the wait on the original (fh_fiscal_wait_begin,
 * ended once the credit note goes on), and
 * fh_conn_wait_original parks the credit note's job (fh_fiscal_wait_park), so the original's
 * signature makes it due at once. Without that wake (a failed original waits for a user's retry;
 * a wait recorded before the job was parked), the next look comes after as long as it has
 * waited so far, at least WAIT_FIRST_MS and at most WAIT_MAX_GAP_MS, so a long wait costs a few
 * partner calls an hour, not one every few seconds; after WAIT_GIVE_UP_MS the job ends with the
 * reason.
 *
 * An original with no fiscal invoice at all waits too: the credit itself can make it due (a
 * credit note paying a "payment"-trigger invoice in full, whose fiscalization then races the
 * credit note's), or it is paid and fiscalized days later. Such a wait looks again only during
 * its first WAIT_NONE_LOOKS_MS and is then left to the wake alone until WAIT_GIVE_UP_MS, when it
 * ends quietly (an invoice from before the integration has no fiscal number to refund): a credit
 * note of an invoice fiscalhub never fiscalizes costs a few partner calls, not one an hour. The
 * original's row exists from its submission, well before its signature, and the park reads it
 * under a lock the signature must wait for (waits.c), so the wake is missed only by an original
 * submitted and signed within the park's own transaction.
 *
 * An invoice voided at its source after it was fiscalized is cancelled the same way
 * (fh_conn_void_refund): a Refund of everything the signed sale held, built from the canonical
 * invoice that was signed (not from the voided document, which may have been edited since), so
 * the refund matches the sale item for item, referencing it like a credit note's. What refunds
 * of the same sale refunded before is taken off (a credit note applied to the invoice, then taken
 * off it again so that it could be voided: fh_fiscal_refund_rest); a sale refunded in full gets
 * no refund from its void. A void of an
 * invoice with no fiscal invoice waits until VOID_RACE_MS after the void (its change time at the
 * partner when known, else the first look), only for the wake: the invoice's
 * fiscalization may have read it just before the void and be about to submit the sale (approved
 * and voided within a second), and that sale's signature then wakes the void, which refunds it.
 * Otherwise the void looks once more when the window has passed (one partner call) and ends
 * with nothing to refund: a voided invoice is never fiscalized afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fh/fh_connector.h"
#include "fh/fh_fiscal.h"

enum {
    WAIT_FIRST_MS = 2000,
    WAIT_MAX_GAP_MS = 15 * 60 * 1000,
    WAIT_NONE_LOOKS_MS = 60 * 1000,
    VOID_RACE_MS = 10 * 60 * 1000,
};
#define WAIT_GIVE_UP_MS (30LL * 24 * 3600 * 1000)

/* The original's V-SDC number and time by its source key, or why not (yet); with canonical, also
 * its canonical invoice once signed (new reference). */
static enum fh_conn_original original(struct fh_store *st, int64_t org_id, const char *original_key,
                                      char *number, size_t nsize, char *time, size_t tsize,
                                      json_t **canonical, char *why, size_t whysize)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(original_key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           canonical ? "SELECT status, invoice_number, sdc_time, canonical FROM "
                                       "fiscal_invoices WHERE org_id = $1 AND source_key = $2"
                                     : "SELECT status, invoice_number, sdc_time FROM "
                                       "fiscal_invoices WHERE org_id = $1 AND source_key = $2",
                           p, 2, &rows);
    enum fh_conn_original res = FH_ORIGINAL_SIGNED;
    number[0] = time[0] = '\0';
    const char *status = qs > 0 && fh_rows_get(&rows, 0, 0) ? fh_rows_get(&rows, 0, 0) : "";
    if (qs < 0) {
        res = FH_ORIGINAL_ERROR;
        snprintf(why, whysize, "store error");
    } else if (qs == 0) {
        res = FH_ORIGINAL_NONE;
        snprintf(why, whysize, "the credited invoice was never fiscalized");
    } else if (strcmp(status, "pending") == 0) {
        res = FH_ORIGINAL_WAIT;
        snprintf(why, whysize, "the credited invoice is not signed yet");
    } else if (strcmp(status, "signed") == 0) {
        fh_strlcpy(number, fh_rows_get(&rows, 0, 1) ? fh_rows_get(&rows, 0, 1) : "", nsize);
        fh_strlcpy(time, fh_rows_get(&rows, 0, 2) ? fh_rows_get(&rows, 0, 2) : "", tsize);
        if (canonical && fh_rows_get(&rows, 0, 3))
            *canonical = json_loads(fh_rows_get(&rows, 0, 3), 0, NULL);
    } else { /* failed: a user's retry may still sign it, and the credit note follows */
        res = FH_ORIGINAL_WAIT;
        snprintf(why, whysize, "the credited invoice's fiscalization failed; waiting for a retry");
    }
    fh_rows_free(&rows);
    return res;
}

/* The waiter's wait for original_key shown (res WAIT) or ended (SIGNED, NONE); best effort. */
static void wait_show(const struct fh_conn_waiter *w, const char *original_key,
                      enum fh_conn_original res)
{
    struct fh_store *st = w->app->store;
    if (res == FH_ORIGINAL_WAIT)
        fh_fiscal_wait_begin(st, w->in->org_id, w->key, original_key, w->ref, w->in->id,
                             fh_now_ms());
    else if (res != FH_ORIGINAL_ERROR)
        fh_fiscal_wait_end(st, w->in->org_id, w->key);
}

enum fh_conn_original fh_conn_credited(const struct fh_conn_waiter *w, const char *original_key,
                                       char *number, size_t nsize, char *time, size_t tsize,
                                       char *why, size_t whysize)
{
    enum fh_conn_original res = original(w->app->store, w->in->org_id, original_key, number, nsize,
                                         time, tsize, NULL, why, whysize);
    if (res == FH_ORIGINAL_NONE) /* its fiscalization may be on its way, or come later */
        res = FH_ORIGINAL_WAIT;
    wait_show(w, original_key, res);
    return res;
}

/* The sale *inv (signed as number) less what the refunds referencing it, other than the void's
 * own (void_key), refunded: credit notes applied to the invoice before the credit was taken off
 * it again and the invoice voided. NONE when they refunded all of it. */
static enum fh_conn_original take_off_refunds(struct fh_store *st, int64_t org_id,
                                              const char *void_key, const char *number,
                                              json_t **inv, char *why, size_t whysize)
{
    struct fh_fiscal_invoice sale;
    struct fh_json_error err;
    size_t n = 0;
    bool left = true;
    enum fh_rc rc = fh_fiscal_invoice_parse(*inv, &sale, &err) == FH_OK ? FH_OK : FH_ERR;
    bool parsed = rc == FH_OK;
    if (parsed)
        rc =
            fh_fiscal_take_off_refunds(st, org_id, number, void_key, false, &sale, NULL, &n, &left);
    enum fh_conn_original res = FH_ORIGINAL_SIGNED;
    if (rc != FH_OK) {
        res = FH_ORIGINAL_ERROR;
        snprintf(why, whysize, "%s",
                 rc == FH_ERR ? "store error: a stored invoice does not parse" : "store error");
    } else if (!left) {
        res = FH_ORIGINAL_NONE;
        snprintf(why, whysize, "the voided invoice's sale was refunded in full before the void");
    } else if (n > 0) { /* none: the sale as it was signed */
        json_decref(*inv);
        *inv = fh_fiscal_invoice_json(&sale);
    }
    if (res != FH_ORIGINAL_SIGNED) {
        json_decref(*inv);
        *inv = NULL;
    }
    if (parsed)
        fh_fiscal_invoice_free(&sale);
    return res;
}

/* The Refund of the signed normal sale under original_key, less what earlier refunds of it
 * refunded, or why not. */
static enum fh_conn_original void_refund(struct fh_store *st, int64_t org_id,
                                         const char *original_key, const char *void_key,
                                         json_t **refund, bool *never, char *why, size_t whysize)
{
    char number[64], time[64];
    json_t *inv = NULL;
    enum fh_conn_original res = original(st, org_id, original_key, number, sizeof(number), time,
                                         sizeof(time), &inv, why, whysize);
    if (res == FH_ORIGINAL_NONE) {
        *never = true;
        snprintf(why, whysize, "the voided invoice was never fiscalized");
    }
    if (res != FH_ORIGINAL_SIGNED)
        return res;
    const char *tt = json_string_value(json_object_get(inv, "transaction_type"));
    const char *type = json_string_value(json_object_get(inv, "invoice_type"));
    if (!json_is_object(inv) || (tt && strcmp(tt, "sale") != 0) ||
        (type && strcmp(type, "normal") != 0)) {
        json_decref(inv);
        snprintf(why, whysize, "the voided invoice's fiscal invoice is not a normal sale");
        return FH_ORIGINAL_NONE;
    }
    res = take_off_refunds(st, org_id, void_key, number, &inv, why, whysize);
    if (res != FH_ORIGINAL_SIGNED)
        return res;
    json_object_set_new(inv, "transaction_type", json_string("refund"));
    json_object_set_new(inv, "referent_document_number", json_string(number));
    json_object_set_new(inv, "referent_document_time", json_string(time));
    *refund = inv;
    return FH_ORIGINAL_SIGNED;
}

enum fh_conn_original fh_conn_void_refund(const struct fh_conn_waiter *w, const char *original_key,
                                          json_t **refund, char *why, size_t whysize)
{
    *refund = NULL;
    bool never = false;
    enum fh_conn_original res = void_refund(w->app->store, w->in->org_id, original_key, w->key,
                                            refund, &never, why, whysize);
    int64_t since = 0;
    if (never && fh_fiscal_wait_since(w->app->store, w->in->org_id, w->key, &since) != FH_OK) {
        snprintf(why, whysize, "store error");
        return FH_ORIGINAL_ERROR;
    }
    int64_t now = fh_now_ms(), start = since > 0 ? since : now;
    if (w->changed_at > 0 && w->changed_at < start)
        start = w->changed_at; /* a void made long ago races nothing */
    if (never && now - start < VOID_RACE_MS) {
        res = FH_ORIGINAL_WAIT; /* a sale read before the void may still be submitted */
        snprintf(why, whysize, "the voided invoice has no fiscal invoice; one may be on its way");
    }
    wait_show(w, original_key, res);
    return res;
}

int64_t fh_conn_wait_gap_ms(enum fh_conn_waiting doc, int64_t waited_ms, bool original_exists)
{
    if (!original_exists && doc == FH_CONN_VOID) /* the wake, or the end of the window */
        return (waited_ms < VOID_RACE_MS ? VOID_RACE_MS - waited_ms : 0) + WAIT_FIRST_MS;
    if (!original_exists && waited_ms >= WAIT_NONE_LOOKS_MS) /* the wake, or the give-up */
        return WAIT_GIVE_UP_MS - waited_ms + WAIT_FIRST_MS;
    return waited_ms < WAIT_FIRST_MS     ? WAIT_FIRST_MS
           : waited_ms > WAIT_MAX_GAP_MS ? WAIT_MAX_GAP_MS
                                         : waited_ms;
}

/* Since when waiting_key waits, and whether its original has a fiscal invoice (0 and true
 * without a recorded wait). */
static int wait_state(struct fh_store *st, int64_t org_id, const char *waiting_key, int64_t *since,
                      bool *exists)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(waiting_key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT w.since, (SELECT COUNT(*) FROM fiscal_invoices f WHERE "
                           "f.org_id = w.org_id AND f.source_key = w.original_key) "
                           "FROM fiscal_waits w WHERE w.org_id = $1 AND w.waiting_key = $2",
                           p, 2, &rows);
    *since = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    *exists = qs <= 0 || fh_rows_i64(&rows, 0, 1, 0) > 0;
    fh_rows_free(&rows);
    return qs;
}

enum fh_rc fh_conn_wait_original(struct fh_app *app, const struct fh_integ *in,
                                 const struct fh_job *job, enum fh_conn_waiting doc,
                                 const char *waiting_key, const char *why, char *err,
                                 size_t errsize)
{
    int64_t now = fh_now_ms(), since = 0;
    bool exists = true;
    if (wait_state(app->store, in->org_id, waiting_key, &since, &exists) < 0) {
        snprintf(err, errsize, "store error while waiting for the credited invoice");
        return FH_E_RETRY;
    }
    if (since <= 0)
        since = now;
    if (now - since > WAIT_GIVE_UP_MS) {
        fh_fiscal_wait_end(app->store, in->org_id, waiting_key); /* no longer shown as waiting */
        if (!exists) { /* never fiscalized: there is nothing to refund */
            fh_log(FH_LOG_INFO, "credit_note", "integration %s: %s is left after 30 days: %s",
                   in->uid, waiting_key, why);
            return FH_OK;
        }
        snprintf(err, errsize, "gave up after 30 days of waiting: %s", why);
        return FH_ERR;
    }
    enum fh_rc rc =
        fh_fiscal_wait_park(app->store, job, in->org_id, waiting_key,
                            now + fh_conn_wait_gap_ms(doc, now - since, exists), why, now);
    if (rc == FH_E_RETRY)
        snprintf(err, errsize, "store error while waiting for the credited invoice");
    return rc;
}
