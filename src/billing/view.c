/* view.c - the plan as the API shows it: GET /api/orgs/{org}/billing, and the `usage` object
 * (plus each integration's monthly count and trial badge) of GET .../integrations. Counts come
 * from the usage counters, so they are the numbers the limits are enforced with. */
#include <stdio.h>
#include <string.h>

#include "billing_internal.h"

static json_t *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char t[32];
    fh_time_fmt(ms, t, sizeof(t));
    return json_string(t);
}

static json_t *sync_json(const struct fh_config *cfg, enum fh_tier t)
{
    static const char *const modes[] = {"polling", "near_realtime", "realtime"};
    struct fh_sync_speed s;
    fh_tier_sync_speed(cfg, t, &s);
    return json_pack("{s:s, s:I, s:o}", "mode", modes[s.mode], "poll_seconds",
                     (json_int_t)(s.poll_ms / 1000), "webhook_delay_seconds",
                     s.webhook_delay_ms < 0 ? json_null()
                                            : json_integer(s.webhook_delay_ms / 1000));
}

static json_t *tier_json(const struct fh_config *cfg, enum fh_tier t)
{
    return json_pack("{s:s, s:s, s:I, s:o}", "tier", fh_tier_name(t), "name", fh_tier_label(t),
                     "invoice_limit", (json_int_t)fh_tier_invoice_limit(cfg, t), "sync",
                     sync_json(cfg, t));
}

static enum fh_rc on_hold(struct fh_store *st, int64_t org_id, int64_t *out)
{
    struct fh_param p[] = {FH_PI(org_id)};
    struct fh_rows rows;
    int qs = fh_store_exec(st,
                           "SELECT COUNT(*) FROM fiscal_invoices WHERE org_id = $1 AND "
                           "hold_reason IS NOT NULL AND status = 'pending'",
                           p, 1, &rows);
    *out = qs > 0 ? fh_rows_i64(&rows, 0, 0, 0) : 0;
    fh_rows_free(&rows);
    return fh_qs_rc(qs);
}

struct counts {
    struct fh_plan plan;
    int64_t now, seats_used, used, held;
};

static enum fh_rc load_counts(struct fh_app *app, int64_t org_id, struct counts *c)
{
    c->now = fh_billing_now(app->cfg);
    enum fh_rc rc = fh_billing_plan(app->store, app->cfg, org_id, c->now, &c->plan);
    if (rc == FH_OK)
        rc = fh_billing_seats_used(app->store, org_id, &c->seats_used);
    if (rc == FH_OK)
        rc = fh_billing_used(app->store, org_id, 0, c->now, &c->used);
    if (rc == FH_OK)
        rc = on_hold(app->store, org_id, &c->held);
    return rc;
}

enum fh_rc fh_billing_json(struct fh_app *app, int64_t org_id, json_t **out)
{
    struct counts c;
    enum fh_rc rc = load_counts(app, org_id, &c);
    if (rc != FH_OK)
        return rc;
    const struct fh_plan *p = &c.plan;
    json_t *plan = tier_json(app->cfg, p->tier);
    json_object_set_new(plan, "trial", json_boolean(p->trial));
    json_object_set_new(plan, "seats", json_integer(p->seats));
    json_t *stripe = json_null();
    if (strcmp(p->source, "stripe") == 0 || p->has_customer)
        stripe =
            json_pack("{s:s?, s:s?, s:b, s:b}", "interval", p->interval[0] ? p->interval : NULL,
                      "status", p->stripe_status[0] ? p->stripe_status : NULL,
                      "cancel_at_period_end", p->cancel_at_period_end, "portal", p->has_customer);
    json_t *tiers = json_array();
    for (int t = FH_TIER_STARTER; t <= FH_TIER_SCALE; t++)
        json_array_append_new(tiers, tier_json(app->cfg, (enum fh_tier)t));
    char month[8];
    fh_billing_month(c.now, month);
    *out = json_pack("{s:o, s:s, s:s?, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:s, s:o, s:o}", "plan",
                     plan, "source", p->source, "key", p->key_hint[0] ? p->key_hint : NULL,
                     "starts_at", time_or_null(p->starts_at), "expires_at",
                     time_or_null(p->expires_at), "expired", p->expired, "seats_used",
                     (json_int_t)c.seats_used, "invoices_this_month", (json_int_t)c.used,
                     "invoice_limit", (json_int_t)p->invoice_limit, "invoices_on_hold",
                     (json_int_t)c.held, "month", month, "stripe", stripe, "tiers", tiers);
    return *out ? FH_OK : FH_ERR;
}

enum fh_rc fh_billing_usage_json(struct fh_app *app, int64_t org_id, json_t *integrations,
                                 json_t **usage)
{
    struct counts c;
    enum fh_rc rc = load_counts(app, org_id, &c);
    if (rc != FH_OK)
        return rc;
    size_t i;
    json_t *item;
    /* integrations lists every one not removed, oldest first: the first plan.seats hold a seat */
    json_array_foreach(integrations, i, item)
    {
        json_object_set_new(item, "over_seat_limit", json_boolean((int64_t)i >= c.plan.seats));
        /* the item's own counter (fh_integ_list_json reads billing_usage) */
        int64_t n = json_integer_value(json_object_get(item, "invoices_this_month"));
        char badge[64];
        snprintf(badge, sizeof(badge), "Trial %lld/%lld", (long long)n,
                 (long long)c.plan.invoice_limit);
        json_object_set_new(item, "trial_badge", c.plan.trial ? json_string(badge) : json_null());
    }
    const struct fh_plan *p = &c.plan;
    *usage = json_pack(
        "{s:I, s:I, s:I, s:I, s:b, s:o, s:s, s:s, s:b, s:I}", "active_connections",
        (json_int_t)c.seats_used, "connection_limit", (json_int_t)p->seats, "invoices_this_month",
        (json_int_t)c.used, "invoice_limit", (json_int_t)p->invoice_limit, "trial", p->trial,
        "expires_at", time_or_null(p->expires_at), "tier", fh_tier_name(p->tier), "tier_name",
        fh_tier_label(p->tier), "expired", p->expired, "invoices_on_hold", (json_int_t)c.held);
    return *usage ? FH_OK : FH_ERR;
}
