/* restore.c - exactly once after a store is restored from a backup.
 *
 * A backup forgets what happened after it was taken. An invoice signed at the V-SDC after that
 * moment is pending in the restored store (or missing: the source sends it again, a sync finds
 * it again), and a POST would sign it a second time - whether the V-SDC answers a RequestId it
 * knows with the stored result is not documented (spec §7.4). Its RequestId is derived from the
 * source (request_id.c), so a GET finds that earlier signature. A recovery therefore makes
 *   - every fiscal invoice not signed in the store uncertain (the next attempt asks first), and
 *   - every fiscal invoice submitted until recovery_until start uncertain (submit.c),
 * at the price of one GET per invoice while it lasts. It begins at the first start on a copy
 * written by `fiscalhub admin backup` (store_state.backup_taken_at, src/store/backup.c), or by
 * `fiscalhub admin restored` after a restore by other means (pg_restore, a copied file). */
#include <stdio.h>
#include <string.h>

#include "fiscal_internal.h"

static const char UPSERT[] = "INSERT INTO store_state (key, value) VALUES ($1, $2) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

static int put(struct fh_store *st, const char *key, int64_t value)
{
    struct fh_param p[] = {FH_PT(key), FH_PI(value)};
    return fh_store_exec(st, UPSERT, p, 2, NULL);
}

/* The value of key, 0 when absent. */
static int get(struct fh_store *st, const char *key, int64_t *value)
{
    struct fh_param p[] = {FH_PT(key)};
    struct fh_rows rows;
    int qs = fh_store_exec(st, "SELECT value FROM store_state WHERE key = $1", p, 1, &rows);
    *value = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    return qs;
}

struct recovery_ctx {
    int64_t taken_at, now, until;
    bool from_mark; /* begin only when the store holds backup_taken_at */
    struct fh_fiscal_recovery *out;
};

static int begin_tx(struct fh_store *st, void *cls)
{
    struct recovery_ctx *c = cls;
    struct fh_fiscal_recovery *out = c->out;
    memset(out, 0, sizeof(*out));
    int qs;
    if (c->from_mark) {
        qs = get(st, "backup_taken_at", &c->taken_at);
        if (qs <= 0)
            return qs;
        qs = fh_store_exec(st, "DELETE FROM store_state WHERE key = 'backup_taken_at'", NULL, 0,
                           NULL);
        if (qs < 0)
            return qs;
    }
    if (c->until <= c->now) { /* ends a recovery */
        return fh_store_exec(st, "DELETE FROM store_state WHERE key = 'recovery_until'", NULL, 0,
                             NULL);
    }
    if ((qs = put(st, "restored_at", c->now)) < 0 ||
        (qs = put(st, "restored_from", c->taken_at)) < 0 ||
        (qs = put(st, "recovery_until", c->until)) < 0)
        return qs;
    struct fh_param p[] = {FH_PI(c->now)};
    struct fh_rows rows;
    qs = fh_store_exec(st,
                       "UPDATE fiscal_invoices SET uncertain = 1, updated_at = $1 "
                       "WHERE status <> 'signed' AND uncertain = 0 RETURNING id",
                       p, 1, &rows);
    out->marked = (int64_t)rows.nrows;
    fh_rows_free(&rows);
    if (qs < 0)
        return qs;
    out->begun = true;
    out->taken_at = c->taken_at;
    out->until = c->until;
    return 1;
}

enum fh_rc fh_fiscal_recovery_begin(struct fh_store *st, int64_t taken_at, int64_t now,
                                    int64_t until, struct fh_fiscal_recovery *out)
{
    struct recovery_ctx c = {.taken_at = taken_at, .now = now, .until = until, .out = out};
    return fh_store_run_tx(st, begin_tx, &c) < 0 ? FH_ERR : FH_OK;
}

enum fh_rc fh_fiscal_recovery_check(struct fh_store *st, int64_t now,
                                    struct fh_fiscal_recovery *out)
{
    struct recovery_ctx c = {
        .now = now, .until = now + FH_FISCAL_RECOVERY_MS, .from_mark = true, .out = out};
    if (fh_store_run_tx(st, begin_tx, &c) < 0)
        return FH_ERR;
    if (out->begun)
        return FH_OK;
    int64_t until = 0;
    if (get(st, "recovery_until", &until) < 0 ||
        (until > now && (get(st, "restored_from", &out->taken_at) < 0)))
        return FH_ERR;
    out->until = until > now ? until : 0;
    return FH_OK;
}

bool fh_fiscal_recovering(struct fh_store *st, int64_t now)
{
    int64_t until = 0;
    return get(st, "recovery_until", &until) < 0 || until > now;
}

void fh_fiscal_recovery_log(const struct fh_fiscal_recovery *r)
{
    if (!r->until)
        return;
    char until[32], taken[32] = "an unknown time";
    fh_time_fmt(r->until, until, sizeof(until));
    if (r->taken_at)
        fh_time_fmt(r->taken_at, taken, sizeof(taken));
    if (r->begun)
        fh_log(FH_LOG_WARN, "restore",
               "the store was restored from a backup taken at %s: %lld fiscal invoices not "
               "signed in it, and every one submitted until %s, are looked up at the V-SDC "
               "before they are posted (fiscalhub admin restored --days N changes the time)",
               taken, (long long)r->marked, until);
    else
        fh_log(FH_LOG_INFO, "restore",
               "recovery from the backup taken at %s: new fiscal invoices are looked up at the "
               "V-SDC before they are posted until %s",
               taken, until);
}
