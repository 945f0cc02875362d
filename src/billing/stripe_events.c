/* stripe_events.c - applying verified Stripe webhook events, each once (by event id), in one
 * transaction with the plan change it causes, committed before Stripe gets its 2xx.
 *
 *   checkout.session.completed     the session fiscalhub created (stripe_checkouts) completed:
 *                                  the organization's plan becomes its tier and seats, paid
 *                                  through Stripe, until the subscription's period end (from an
 *                                  invoice.paid seen earlier, else a calendar month or year).
 *   invoice.paid                   a period was paid (the first one, or a renewal): the expiry
 *                                  moves to the end of the period its lines paid for.
 *   customer.subscription.updated  status (active, past_due), cancel at period end, the
 *                                  current period's end while active, and the tier, seats and
 *                                  interval of its item's price and quantity (changed in the
 *                                  customer portal).
 *   customer.subscription.deleted  the subscription ended: the plan expires at ended_at.
 *
 * Events arrive in any order and possibly more than once: stripe_subscriptions keeps what the
 * events said about each subscription, whether or not its organization is known yet, and every
 * expiry change only moves forward (except the end of a deleted subscription). A plan change
 * enqueues a release of the organization's invoices on hold in the same transaction. */
#include <stdio.h>
#include <string.h>

#include "billing_internal.h"

struct event_ctx {
    struct fh_app *app;
    const char *id, *type;
    json_t *obj;
    int64_t now;
    char outcome[64];
};

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jsec_ms(json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k)) * 1000;
}

/* Records what an event says about subscription sub; org_id 0 keeps the known one. */
static int sub_upsert(struct fh_store *st, const char *sub, int64_t org_id, const char *customer,
                      const char *status, int64_t period_end, int64_t now)
{
    struct fh_param p[] = {FH_PT(sub),        org_id ? FH_PI(org_id) : FH_PNULL,
                           FH_PT(customer),   FH_PT(status),
                           FH_PI(period_end), FH_PI(now)};
    return fh_store_exec(
        st,
        "INSERT INTO stripe_subscriptions (subscription_id, org_id, customer, status, period_end, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subscription_id) DO UPDATE SET "
        "org_id = COALESCE(excluded.org_id, stripe_subscriptions.org_id), "
        "customer = COALESCE(excluded.customer, stripe_subscriptions.customer), "
        "status = COALESCE(excluded.status, stripe_subscriptions.status), "
        "period_end = CASE WHEN excluded.period_end > stripe_subscriptions.period_end THEN "
        "excluded.period_end ELSE stripe_subscriptions.period_end END, updated_at = $6",
        p, FH_ARRAY_LEN(p), NULL);
}

/* The organization whose plan is paid by subscription sub (0: none yet). */
static int sub_org(struct fh_store *st, const char *sub, int64_t *org_id, int64_t *period_end)
{
    struct fh_param p[] = {FH_PT(sub)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT org_id, period_end FROM stripe_subscriptions "
                           "WHERE subscription_id = $1",
                           p, 1, &rows);
    *org_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    *period_end = qs > 0 ? fh_rows_i64(&rows, 0, 1, 0) : 0;
    fh_rows_free(&rows);
    return qs;
}

static int checkout_completed(struct fh_store *st, struct event_ctx *c)
{
    const char *session = jstr(c->obj, "id"), *sub = jstr(c->obj, "subscription");
    const char *customer = jstr(c->obj, "customer");
    struct fh_param p[] = {FH_PT(session), FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "UPDATE stripe_checkouts SET completed_at = $2 WHERE session_id = $1 "
                           "RETURNING org_id, tier, seats, billing_interval",
                           p, 2, &rows);
    if (qs <= 0 || !sub) {
        fh_rows_free(&rows);
        fh_strlcpy(c->outcome, qs == 0 ? "ignored: not our session" : "ignored", 64);
        return qs < 0 ? qs : 0;
    }
    struct billing_set s = {.org_id = fh_rows_i64(&rows, 0, 0, 0),
                            .seats = fh_rows_i64(&rows, 0, 2, 1),
                            .starts_at = c->now,
                            .now = c->now,
                            .source = "stripe",
                            .customer = customer,
                            .subscription = sub,
                            .stripe_status = "active"};
    char interval[8];
    fh_strlcpy(interval, fh_rows_get(&rows, 0, 3), sizeof(interval));
    if (!fh_tier_parse(fh_rows_get(&rows, 0, 1), &s.tier))
        s.tier = FH_TIER_STARTER;
    fh_rows_free(&rows);
    s.interval = interval;
    int64_t known_org, period_end;
    if ((qs = sub_org(st, sub, &known_org, &period_end)) < 0)
        return qs;
    int64_t fallback = fh_billing_add_months(c->now, strcmp(interval, "year") == 0 ? 12 : 1);
    s.expires_at = period_end > c->now ? period_end : fallback;
    if ((qs = sub_upsert(st, sub, s.org_id, customer, "active", 0, c->now)) < 0)
        return qs;
    snprintf(c->outcome, 64, "plan: %s, %lld seats", fh_tier_name(s.tier), (long long)s.seats);
    return billing_subscription_set(st, &c->app->qcfg, &s);
}

/* Moves the plan's expiry (forward only) and status for subscription sub, then releases. */
static int extend(struct fh_store *st, struct event_ctx *c, const char *sub, int64_t until,
                  const char *status, int cancel_flag)
{
    int64_t org_id, period_end;
    int qs = sub_org(st, sub, &org_id, &period_end);
    if (qs < 0 || org_id == 0) {
        fh_strlcpy(c->outcome, "recorded", 64);
        return qs < 0 ? qs : 0;
    }
    struct fh_param p[] = {FH_PI(org_id), FH_PT(sub),         FH_PI(until),
                           FH_PT(status), FH_PI(cancel_flag), FH_PI(c->now)};
    qs = fh_store_exec(st,
                       "UPDATE billing_subscriptions SET expires_at = CASE WHEN expires_at > $3 "
                       "THEN expires_at ELSE $3 END, stripe_status = COALESCE($4, stripe_status), "
                       "cancel_at_period_end = CASE WHEN CAST($5 AS BIGINT) < 0 THEN "
                       "cancel_at_period_end ELSE CAST($5 AS BIGINT) END, updated_at = $6 "
                       "WHERE org_id = $1 AND stripe_subscription = $2",
                       p, FH_ARRAY_LEN(p), NULL);
    if (qs <= 0) {
        fh_strlcpy(c->outcome, "recorded: the plan is no longer this subscription", 64);
        return qs;
    }
    fh_strlcpy(c->outcome, "plan updated", 64);
    return fh_billing_release_soon(st, &c->app->qcfg, org_id, c->now);
}

static int invoice_paid(struct fh_store *st, struct event_ctx *c)
{
    const char *sub = jstr(c->obj, "subscription");
    if (!sub) {
        fh_strlcpy(c->outcome, "ignored: no subscription", 64);
        return 0;
    }
    int64_t end = 0;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(json_object_get(c->obj, "lines"), "data"), i, line)
    {
        int64_t e = jsec_ms(json_object_get(line, "period"), "end");
        end = e > end ? e : end;
    }
    int qs = sub_upsert(st, sub, 0, jstr(c->obj, "customer"), NULL, end, c->now);
    return qs < 0 ? qs : extend(st, c, sub, end, "active", -1);
}

/* A subscription's seats or price changed (in the customer portal, or by Stripe's API): the
 * plan it pays takes its tier, seats and interval. A price FISCALHUB_STRIPE_PRICES does not
 * name changes nothing (it is logged): fiscalhub cannot tell what it buys. */
static int plan_changed(struct fh_store *st, struct event_ctx *c, const char *sub)
{
    json_t *items = json_object_get(json_object_get(c->obj, "items"), "data");
    json_t *item = json_array_get(items, 0);
    const char *price = jstr(json_object_get(item, "price"), "id");
    json_int_t seats = json_integer_value(json_object_get(item, "quantity"));
    if (!price || json_array_size(items) != 1 || seats < 1)
        return 0;
    enum fh_tier tier;
    char interval[8];
    if (!billing_price_plan(c->app->cfg->stripe_prices, price, &tier, interval)) {
        fh_log(FH_LOG_WARN, "stripe_event",
               "%s: subscription %s has price %.100s, which no tier "
               "of FISCALHUB_STRIPE_PRICES names: the plan is left as it was",
               c->id, sub, price);
        return 0;
    }
    struct fh_param p[] = {FH_PT(sub), FH_PT(fh_tier_name(tier)), FH_PI(seats), FH_PT(interval),
                           FH_PI(c->now)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "UPDATE billing_subscriptions SET tier = $2, seats = $3, "
                           "billing_interval = $4, updated_at = $5 WHERE stripe_subscription = $1 "
                           "AND source = 'stripe' AND (tier <> $2 OR seats <> $3 OR "
                           "billing_interval IS NULL OR billing_interval <> $4) RETURNING org_id",
                           p, FH_ARRAY_LEN(p), &rows);
    int64_t org_id = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    if (qs <= 0)
        return qs;
    snprintf(c->outcome, 64, "plan: %s, %lld seats", fh_tier_name(tier), (long long)seats);
    return billing_tier_apply(st, &c->app->qcfg, org_id, tier, c->now);
}

static int subscription_changed(struct fh_store *st, struct event_ctx *c, bool deleted)
{
    const char *sub = jstr(c->obj, "id"), *status = jstr(c->obj, "status");
    if (!sub) {
        fh_strlcpy(c->outcome, "ignored: no id", 64);
        return 0;
    }
    bool active = status && strcmp(status, "active") == 0;
    int64_t end = active ? jsec_ms(c->obj, "current_period_end") : 0;
    int qs = sub_upsert(st, sub, 0, jstr(c->obj, "customer"), status, end, c->now);
    if (qs < 0)
        return qs;
    if (!deleted) {
        qs = extend(st, c, sub, end, status,
                    json_is_true(json_object_get(c->obj, "cancel_at_period_end")));
        return qs < 0 ? qs : plan_changed(st, c, sub);
    }
    int64_t ended = jsec_ms(c->obj, "ended_at");
    struct fh_param p[] = {FH_PT(sub), FH_PI(ended ? ended : c->now), FH_PI(c->now)};
    qs = fh_store_exec(st,
                       "UPDATE billing_subscriptions SET stripe_status = 'canceled', "
                       "cancel_at_period_end = 0, expires_at = CASE WHEN expires_at < $2 THEN "
                       "expires_at ELSE $2 END, updated_at = $3 WHERE stripe_subscription = $1",
                       p, FH_ARRAY_LEN(p), NULL);
    fh_strlcpy(c->outcome, qs > 0 ? "plan ends" : "recorded", 64);
    return qs;
}

static int event_tx(struct fh_store *st, void *cls)
{
    struct event_ctx *c = cls;
    struct fh_param p[] = {FH_PT(c->id), FH_PT(c->type), FH_PI(c->now)};
    int qs = fh_store_exec(st,
                           "INSERT INTO stripe_events (event_id, type, outcome, received_at) "
                           "VALUES ($1, $2, '', $3) ON CONFLICT (event_id) DO NOTHING",
                           p, 3, NULL);
    if (qs <= 0) {
        fh_strlcpy(c->outcome, "duplicate", 64);
        return qs;
    }
    if (strcmp(c->type, "checkout.session.completed") == 0)
        qs = checkout_completed(st, c);
    else if (strcmp(c->type, "invoice.paid") == 0)
        qs = invoice_paid(st, c);
    else if (strcmp(c->type, "customer.subscription.updated") == 0)
        qs = subscription_changed(st, c, false);
    else if (strcmp(c->type, "customer.subscription.deleted") == 0)
        qs = subscription_changed(st, c, true);
    else
        fh_strlcpy(c->outcome, "ignored", 64);
    if (qs < 0)
        return qs;
    struct fh_param o[] = {FH_PT(c->id), FH_PT(c->outcome)};
    return fh_store_exec(st, "UPDATE stripe_events SET outcome = $2 WHERE event_id = $1", o, 2,
                         NULL);
}

enum fh_rc fh_stripe_event_apply(struct fh_app *app, const char *body, size_t len, char *outcome,
                                 size_t outcomesize)
{
    json_t *ev = json_loadb(body, len, 0, NULL);
    struct event_ctx c = {.app = app,
                          .id = jstr(ev, "id"),
                          .type = jstr(ev, "type"),
                          .obj = json_object_get(json_object_get(ev, "data"), "object"),
                          .now = fh_billing_now(app->cfg)};
    if (!c.id || !c.type || !json_is_object(c.obj) || strlen(c.id) > 255 || strlen(c.type) > 100) {
        json_decref(ev);
        return FH_E_INPUT;
    }
    int qs = fh_store_run_tx(app->store, event_tx, &c);
    if (qs >= 0)
        fh_log(FH_LOG_INFO, "stripe_event", "%s %s: %s", c.type, c.id, c.outcome);
    fh_strlcpy(outcome, c.outcome, outcomesize);
    json_decref(ev);
    return fh_qs_rc(qs);
}
