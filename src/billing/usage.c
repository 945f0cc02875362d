/* usage.c - usage counters, invoices on hold, and their release.
 *
 * Counting. An invoice is counted when its fiscalization is about to reach the V-SDC: the
 * fiscal job calls fh_billing_admit inside the transaction that commits the attempt (engine.c,
 * step 4), so the counter and the attempt commit together. Only fiscal invoices (normal and
 * advance, the `fiscal` flag) count; training, proforma and copy do not. The organization's row
 * (integration_id 0) is raised with a conditional UPDATE ... WHERE invoices < limit, so
 * concurrent workers can never count past the limit. An invoice is counted once (usage_month
 * remembers the month); a definite refusal by the V-SDC (failed, not uncertain) gives the count
 * back in the transaction that records the failure, because nothing was fiscalized. An attempt
 * whose outcome stays unknown keeps its count: the V-SDC may have signed it.
 *
 * Holding. When the plan does not allow an invoice (the month's limit is used up; or the licence
 * expired, or the invoice's integration is over the plan's seats - then every invoice waits,
 * fiscal or not), the same transaction keeps the invoice pending with hold_reason set (the API
 * shows status "on_hold" and the reason) and the job ends without sending anything. Nothing is
 * dropped. Seats are held oldest integration first (see plans.c): when a plan loses seats (a key
 * with fewer, a change in Stripe's customer portal) the newest integrations keep syncing, and
 * their invoices wait until they have a seat again.
 *
 * Releasing. fh_billing_release clears the hold of as many held invoices as the plan allows now
 * (oldest first) and enqueues their jobs in one transaction; the job admits each again, so a
 * release that races another never over-counts. It runs from the "billing.release" job: every
 * FISCALHUB_BILLING_RELEASE_SECONDS for all organizations with held invoices (a new month), and
 * at once for one organization when its plan changes (a key activated, a checkout completed, a
 * renewal paid) or an integration is removed (a seat is freed): that job is enqueued in the same
 * transaction as the change. Invoices of integrations over the seats are not released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "fh/fh_fiscal.h"

static bool type_is_fiscal(const char *t)
{
    return t && (strcmp(t, "normal") == 0 || strcmp(t, "advance") == 0);
}

static int bump(struct fh_store *st, int64_t org_id, const char *month, int64_t integration_id,
                int64_t delta)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(month), FH_PI(integration_id), FH_PI(delta)};
    return fh_store_exec(
        st,
        "INSERT INTO billing_usage (org_id, month, integration_id, invoices) "
        "VALUES ($1, $2, $3, CASE WHEN CAST($4 AS BIGINT) > 0 THEN CAST($4 AS BIGINT) "
        "ELSE 0 END) ON CONFLICT (org_id, month, integration_id) DO UPDATE SET "
        "invoices = CASE WHEN billing_usage.invoices + CAST($4 AS BIGINT) < 0 "
        "THEN 0 ELSE billing_usage.invoices + CAST($4 AS BIGINT) END",
        p, FH_ARRAY_LEN(p), NULL);
}

/* Counts one invoice in month unless the organization's total reached limit (-1: no limit).
 * Returns 1 counted, 0 limit reached, or FH_QS_*. */
static int count_one(struct fh_store *st, int64_t id, int64_t org_id, int64_t integration_id,
                     const char *month, int64_t limit)
{
    struct fh_param p[] = {FH_PI(org_id), FH_PT(month), FH_PI(limit)};
    int qs = fh_store_exec(st,
                           "INSERT INTO billing_usage (org_id, month, integration_id, invoices) "
                           "VALUES ($1, $2, 0, 0) ON CONFLICT (org_id, month, integration_id) "
                           "DO NOTHING",
                           p, 2, NULL);
    if (qs >= 0)
        qs = fh_store_exec(st,
                           "UPDATE billing_usage SET invoices = invoices + 1 WHERE org_id = $1 "
                           "AND month = $2 AND integration_id = 0 AND "
                           "(CAST($3 AS BIGINT) < 0 OR invoices < CAST($3 AS BIGINT))",
                           p, 3, NULL);
    if (qs <= 0)
        return qs;
    if (integration_id > 0 && (qs = bump(st, org_id, month, integration_id, 1)) < 0)
        return qs;
    struct fh_param u[] = {FH_PI(id), FH_PT(month)};
    qs = fh_store_exec(st,
                       "UPDATE fiscal_invoices SET usage_month = $2, hold_reason = NULL "
                       "WHERE id = $1",
                       u, 2, NULL);
    return qs < 0 ? qs : 1;
}

/* Whether the integration is over the plan's seats: the organization's integrations that are not
 * removed hold the seats oldest first (created_at, id), so after the plan lost seats the newest
 * ones wait. Returns 1 over, 0 within (or removed, or no integration), or FH_QS_*. */
static int over_seats(struct fh_store *st, int64_t integration_id, int64_t seats)
{
    if (integration_id <= 0)
        return 0;
    struct fh_param p[] = {FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT COUNT(*) FROM integrations o JOIN integrations me ON "
                           "o.org_id = me.org_id WHERE me.id = $1 AND me.status <> 'removed' AND "
                           "o.status <> 'removed' AND (o.created_at < me.created_at OR "
                           "(o.created_at = me.created_at AND o.id < me.id))",
                           p, 1, &rows);
    if (qs > 0) /* the integrations that hold a seat before this one */
        qs = fh_rows_i64(&rows, 0, 0, 0) >= seats;
    fh_rows_free(&rows);
    return qs;
}

static int hold(struct fh_store *st, int64_t id, const char *reason)
{
    int64_t now = fh_now_ms();
    struct fh_param p[] = {FH_PI(id), FH_PT(reason), FH_PI(now)};
    return fh_store_exec(st,
                         "UPDATE fiscal_invoices SET hold_reason = $2, updated_at = $3, held_at = "
                         "CASE WHEN held_at IS NOT NULL AND held_at >= $3 THEN held_at + 1 "
                         "ELSE $3 END WHERE id = $1",
                         p, FH_ARRAY_LEN(p), NULL);
}

static int unhold(struct fh_store *st, int64_t id)
{
    struct fh_param p[] = {FH_PI(id)};
    return fh_store_exec(st,
                         "UPDATE fiscal_invoices SET hold_reason = NULL WHERE id = $1 AND "
                         "hold_reason IS NOT NULL",
                         p, 1, NULL);
}

struct inv_row {
    int64_t org_id, integration_id;
    char type[16], month[8], status[16];
    bool counted, uncertain;
};

static int load_inv(struct fh_store *st, int64_t id, struct inv_row *r)
{
    memset(r, 0, sizeof(*r));
    struct fh_param p[] = {FH_PI(id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT org_id, integration_id, invoice_type, usage_month, status, "
                           "uncertain FROM fiscal_invoices WHERE id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        r->org_id = fh_rows_i64(&rows, 0, 0, 0);
        r->integration_id = fh_rows_i64(&rows, 0, 1, 0);
        fh_strlcpy(r->type, fh_rows_get(&rows, 0, 2) ? fh_rows_get(&rows, 0, 2) : "", 16);
        r->counted = fh_rows_get(&rows, 0, 3) != NULL;
        fh_strlcpy(r->month, r->counted ? fh_rows_get(&rows, 0, 3) : "", sizeof(r->month));
        fh_strlcpy(r->status, fh_rows_get(&rows, 0, 4) ? fh_rows_get(&rows, 0, 4) : "", 16);
        r->uncertain = fh_rows_i64(&rows, 0, 5, 0) != 0;
    }
    fh_rows_free(&rows);
    return qs;
}

/* The hold reasons' first words, which fh_billing_hold_kind reads back. */
#define HOLD_LIMIT "Invoice limit reached:"
#define HOLD_EXPIRED "Licence expired:"
#define HOLD_SEATS "Over the seat limit:"

static void limit_reason(const struct fh_plan *plan, const char *month, char *out, size_t n)
{
    snprintf(out, n,
             HOLD_LIMIT
             " the %s plan allows %lld fiscal invoice%s a month and %s "
             "used in %s. fiscalhub fiscalizes this invoice automatically next month, or as soon "
             "as you upgrade.",
             fh_tier_label(plan->tier), (long long)plan->invoice_limit,
             plan->invoice_limit == 1 ? "" : "s", plan->invoice_limit == 1 ? "it was" : "all were",
             month);
}

static void expired_reason(const struct fh_plan *plan, char *out, size_t n)
{
    char when[32];
    fh_time_fmt(plan->expires_at, when, sizeof(when));
    snprintf(out, n,
             HOLD_EXPIRED " the %s plan ended at %s. fiscalhub fiscalizes this invoice "
                          "automatically once the plan is renewed or a new key is activated.",
             fh_tier_label(plan->tier), when);
}

static void seats_reason(const struct fh_plan *plan, char *out, size_t n)
{
    snprintf(out, n,
             HOLD_SEATS
             " the %s plan has %lld seat%s, held by the integrations added "
             "before this one. fiscalhub fiscalizes this invoice automatically once this "
             "integration has a seat: remove another integration, or get more seats on Billing.",
             fh_tier_label(plan->tier), (long long)plan->seats, plan->seats == 1 ? "" : "s");
}

const char *fh_billing_hold_kind(const char *reason)
{
    if (!reason)
        return NULL;
    if (strncmp(reason, HOLD_SEATS, strlen(HOLD_SEATS)) == 0)
        return "seat_limit";
    if (strncmp(reason, HOLD_EXPIRED, strlen(HOLD_EXPIRED)) == 0)
        return "licence_expired";
    return "invoice_limit";
}

int fh_billing_admit(struct fh_store *st, const struct fh_config *cfg, int64_t invoice_id,
                     bool *held)
{
    *held = false;
    struct inv_row r;
    int qs = load_inv(st, invoice_id, &r);
    if (qs <= 0)
        return qs;
    if (r.counted) /* an earlier attempt counted it */
        return unhold(st, invoice_id);
    int64_t now = fh_billing_now(cfg);
    struct fh_plan plan;
    enum fh_rc rc = fh_billing_plan(st, cfg, r.org_id, now, &plan);
    if (rc != FH_OK)
        return billing_rc_qs(rc);
    char month[8], reason[400];
    fh_billing_month(now, month);
    if (plan.expired) {
        expired_reason(&plan, reason, sizeof(reason));
        *held = true;
        return hold(st, invoice_id, reason);
    }
    if ((qs = over_seats(st, r.integration_id, plan.seats)) != 0) {
        if (qs < 0)
            return qs;
        seats_reason(&plan, reason, sizeof(reason));
        *held = true;
        return hold(st, invoice_id, reason);
    }
    if (!type_is_fiscal(r.type))
        return unhold(st, invoice_id);
    qs = count_one(st, invoice_id, r.org_id, r.integration_id, month, plan.invoice_limit);
    if (qs != 0)
        return qs;
    limit_reason(&plan, month, reason, sizeof(reason));
    *held = true;
    return hold(st, invoice_id, reason);
}

int fh_billing_outcome(struct fh_store *st, int64_t invoice_id)
{
    struct inv_row r;
    int qs = load_inv(st, invoice_id, &r);
    if (qs <= 0)
        return qs;
    if (strcmp(r.status, "failed") == 0 && !r.uncertain && r.counted) {
        if ((qs = bump(st, r.org_id, r.month, 0, -1)) < 0)
            return qs;
        if (r.integration_id > 0 && (qs = bump(st, r.org_id, r.month, r.integration_id, -1)) < 0)
            return qs;
        struct fh_param p[] = {FH_PI(invoice_id)};
        return fh_store_exec(st, "UPDATE fiscal_invoices SET usage_month = NULL WHERE id = $1", p,
                             1, NULL);
    }
    if (strcmp(r.status, "signed") == 0 && !r.counted && type_is_fiscal(r.type)) {
        char month[8];
        fh_billing_month(fh_now_ms(), month);
        return count_one(st, invoice_id, r.org_id, r.integration_id, month, -1);
    }
    return 0;
}

enum fh_rc fh_billing_used(struct fh_store *st, int64_t org_id, int64_t integration_id, int64_t now,
                           int64_t *out)
{
    char month[8];
    fh_billing_month(now, month);
    struct fh_param p[] = {FH_PI(org_id), FH_PT(month), FH_PI(integration_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT invoices FROM billing_usage WHERE org_id = $1 AND month = $2 "
                           "AND integration_id = $3",
                           p, 3, &rows);
    *out = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    return fh_qs_rc(qs);
}
