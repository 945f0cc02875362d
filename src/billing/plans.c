/* plans.c - tiers, the billing clock, an organization's plan, and seats.
 *
 * The plan in force is read from billing_subscriptions (one row per organization); no row is the
 * free trial. Numbers (invoices a month, polling intervals, the trial allowance) are settings
 * (fh_config), so an operator can change them without a release. A seat is held by every
 * integration that is not removed: a pending setup becomes active without asking again, and an
 * inactive one comes back with Reconnect, so both keep their seat until removed.
 *
 * Creating an integration (of any type) asks fh_billing_seat_check_or_reply first (a clear 402
 * before any work), and the transaction that inserts it asks again with fh_billing_seat_claim_tx,
 * which locks the organization's row (PostgreSQL; SQLite runs one write transaction at a time),
 * so two creations - in one process or in several sharing the database - cannot both take the
 * last seat. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "billing_internal.h"

static const char *const tier_names[] = {"trial", "starter", "growth", "scale"};
static const char *const tier_labels[] = {"Free trial", "Starter", "Growth", "Scale"};

const char *fh_tier_name(enum fh_tier t)
{
    return (unsigned)t < FH_ARRAY_LEN(tier_names) ? tier_names[t] : "trial";
}

const char *fh_tier_label(enum fh_tier t)
{
    return (unsigned)t < FH_ARRAY_LEN(tier_labels) ? tier_labels[t] : "Free trial";
}

bool fh_tier_parse(const char *s, enum fh_tier *out)
{
    for (int t = FH_TIER_STARTER; s && t <= FH_TIER_SCALE; t++) {
        if (strcasecmp(s, tier_names[t]) == 0) {
            *out = (enum fh_tier)t;
            return true;
        }
    }
    return false;
}

int64_t fh_tier_invoice_limit(const struct fh_config *cfg, enum fh_tier t)
{
    if (t == FH_TIER_TRIAL || (unsigned)t > FH_TIER_SCALE)
        return cfg->trial_invoices;
    return cfg->tier_invoices[t];
}

void fh_tier_sync_speed(const struct fh_config *cfg, enum fh_tier t, struct fh_sync_speed *out)
{
    switch (t) {
    case FH_TIER_STARTER:
        *out = (struct fh_sync_speed){FH_SYNC_POLLING, cfg->tier_poll_ms[1], -1};
        break;
    case FH_TIER_GROWTH:
        *out = (struct fh_sync_speed){FH_SYNC_NEAR_REALTIME, cfg->tier_poll_ms[2],
                                      cfg->growth_webhook_delay_ms};
        break;
    default: /* Scale, and the trial: a trial shows the product at its best */
        *out = (struct fh_sync_speed){FH_SYNC_REALTIME, cfg->tier_poll_ms[3], 0};
        break;
    }
}

enum fh_tier fh_tier_of_name(const char *s)
{
    enum fh_tier t;
    return s && fh_tier_parse(s, &t) ? t : FH_TIER_TRIAL;
}

int64_t fh_sync_poll_ms(const struct fh_config *cfg, enum fh_tier t, int64_t override_ms,
                        int64_t floor_ms)
{
    if (override_ms > 0)
        return override_ms;
    struct fh_sync_speed s;
    fh_tier_sync_speed(cfg, t, &s);
    return s.poll_ms < floor_ms ? floor_ms : s.poll_ms;
}

int64_t fh_sync_poll_tick_ms(const struct fh_config *cfg, int64_t override_ms)
{
    int64_t tick = 60 * 1000;
    for (int t = FH_TIER_TRIAL; t <= FH_TIER_SCALE; t++) {
        int64_t every = fh_sync_poll_ms(cfg, (enum fh_tier)t, override_ms, 0);
        if (every > 0 && every < tick)
            tick = every;
    }
    return tick;
}

int64_t fh_billing_now(const struct fh_config *cfg)
{
    return fh_now_ms() + (cfg ? cfg->billing_clock_offset_ms : 0);
}

void fh_billing_month(int64_t ms, char out[8])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 8, "%04d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1);
}

int64_t fh_billing_add_months(int64_t ms, int64_t months)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int64_t m = (int64_t)tm.tm_mon + months;
    tm.tm_year += (int)(m / 12);
    tm.tm_mon = (int)(m % 12);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = tm.tm_year + 1900;
    int last = days[tm.tm_mon] + (tm.tm_mon == 1 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    if (tm.tm_mday > last)
        tm.tm_mday = last;
    return (int64_t)timegm(&tm) * 1000 + ms % 1000;
}

static void plan_from_row(const struct fh_config *cfg, const struct fh_rows *r, int64_t now,
                          struct fh_plan *p)
{
    if (!fh_tier_parse(fh_rows_get(r, 0, 0), &p->tier))
        p->tier = FH_TIER_STARTER;
    p->trial = false;
    p->seats = fh_rows_i64(r, 0, 1, 1);
    fh_strlcpy(p->source, fh_rows_get(r, 0, 2) ? fh_rows_get(r, 0, 2) : "key", sizeof(p->source));
    fh_strlcpy(p->key_hint, fh_rows_get(r, 0, 3) ? fh_rows_get(r, 0, 3) : "", sizeof(p->key_hint));
    p->starts_at = fh_rows_i64(r, 0, 4, 0);
    p->expires_at = fh_rows_i64(r, 0, 5, 0);
    fh_strlcpy(p->interval, fh_rows_get(r, 0, 6) ? fh_rows_get(r, 0, 6) : "", sizeof(p->interval));
    fh_strlcpy(p->stripe_status, fh_rows_get(r, 0, 7) ? fh_rows_get(r, 0, 7) : "",
               sizeof(p->stripe_status));
    p->cancel_at_period_end = fh_rows_i64(r, 0, 8, 0) != 0;
    p->has_customer = fh_rows_get(r, 0, 9) != NULL;
    p->expired = p->expires_at <= now;
    p->invoice_limit = fh_tier_invoice_limit(cfg, p->tier);
}

enum fh_rc fh_billing_plan(struct fh_store *st, const struct fh_config *cfg, int64_t org_id,
                           int64_t now, struct fh_plan *out)
{
    memset(out, 0, sizeof(*out));
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT tier, seats, source, key_hint, starts_at, expires_at, "
                           "billing_interval, stripe_status, cancel_at_period_end, "
                           "stripe_customer FROM billing_subscriptions WHERE org_id = $1",
                           p, 1, &rows);
    if (qs > 0) {
        plan_from_row(cfg, &rows, now, out);
    } else if (qs == 0) {
        out->tier = FH_TIER_TRIAL;
        out->trial = true;
        out->seats = cfg->trial_connections;
        out->invoice_limit = cfg->trial_invoices;
        fh_strlcpy(out->source, "trial", sizeof(out->source));
    }
    fh_rows_free(&rows);
    return fh_qs_rc(qs);
}

enum fh_rc fh_billing_seats_used(struct fh_store *st, int64_t org_id, int64_t *out)
{
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT COUNT(*) FROM integrations WHERE org_id = $1 AND "
                           "status <> 'removed'",
                           p, 1, &rows);
    *out = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    return fh_qs_rc(qs);
}

int fh_billing_seat_claim_tx(struct fh_store *st, const struct fh_config *cfg, int64_t org_id,
                             enum fh_ec *refused)
{
    *refused = 0;
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           fh_store_sql(st, "SELECT id FROM organizations WHERE id = $1",
                                        "SELECT id FROM organizations WHERE id = $1 FOR UPDATE"),
                           p, 1, &rows);
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs < 0 ? qs : FH_QS_HARD;
    struct fh_plan plan;
    int64_t used = 0;
    enum fh_rc rc = fh_billing_plan(st, cfg, org_id, fh_billing_now(cfg), &plan);
    if (rc == FH_OK)
        rc = fh_billing_seats_used(st, org_id, &used);
    if (rc != FH_OK)
        return fh_rc_qs(rc);
    if (plan.expired || used >= plan.seats) {
        *refused = plan.expired ? FH_EC_BILLING_EXPIRED : FH_EC_BILLING_SEATS_FULL;
        return 0;
    }
    return 1;
}

enum fh_rc fh_billing_seat_check_or_reply(struct fh_req *req)
{
    struct fh_app *app = req->app;
    struct fh_plan plan;
    int64_t used = 0;
    enum fh_rc rc =
        fh_billing_plan(app->store, app->cfg, req->org.id, fh_billing_now(app->cfg), &plan);
    if (rc == FH_OK)
        rc = fh_billing_seats_used(app->store, req->org.id, &used);
    if (rc != FH_OK)
        return fh_reply_error(req, rc == FH_E_RETRY ? FH_EC_STORE_UNAVAILABLE : FH_EC_INTERNAL,
                              "%s", "cannot read the plan"),
               FH_ERR;
    if (plan.expired) {
        char when[32];
        fh_time_fmt(plan.expires_at, when, sizeof(when));
        fh_reply_error(req, FH_EC_BILLING_EXPIRED, "the %s plan expired at %s; nothing was created",
                       fh_tier_label(plan.tier), when);
        return FH_ERR;
    }
    if (used >= plan.seats) {
        fh_reply_error(req, FH_EC_BILLING_SEATS_FULL,
                       "%lld of %lld seat%s of the %s plan %s in use; nothing was created",
                       (long long)used, (long long)plan.seats, plan.seats == 1 ? "" : "s",
                       fh_tier_label(plan.tier), used == 1 ? "is" : "are");
        return FH_ERR;
    }
    return FH_OK;
}
