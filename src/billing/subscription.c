/* subscription.c - writing an organization's subscription (keys and Stripe both land here), and
 * the tier its integrations sync at. */
#include "billing_internal.h"

int billing_subscription_set(struct fh_store *st, const struct fh_queue_cfg *qcfg,
                             const struct billing_set *s)
{
    struct fh_param p[] = {
        FH_PI(s->org_id),       FH_PT(fh_tier_name(s->tier)), FH_PI(s->seats),
        FH_PT(s->source),       FH_PT(s->key_hint),           FH_PI(s->starts_at),
        FH_PI(s->expires_at),   FH_PT(s->interval),           FH_PT(s->customer),
        FH_PT(s->subscription), FH_PT(s->stripe_status),      FH_PI(s->now)};
    int qs = fh_store_exec(
        st,
        "INSERT INTO billing_subscriptions (org_id, tier, seats, source, key_hint, starts_at, "
        "expires_at, billing_interval, stripe_customer, stripe_subscription, stripe_status, "
        "cancel_at_period_end, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "0, $12) ON CONFLICT (org_id) DO UPDATE SET tier = excluded.tier, seats = excluded.seats, "
        "source = excluded.source, key_hint = excluded.key_hint, starts_at = excluded.starts_at, "
        "expires_at = CASE WHEN billing_subscriptions.expires_at > excluded.expires_at THEN "
        "billing_subscriptions.expires_at ELSE excluded.expires_at END, "
        "billing_interval = COALESCE(excluded.billing_interval, "
        "billing_subscriptions.billing_interval), "
        "stripe_customer = COALESCE(excluded.stripe_customer, "
        "billing_subscriptions.stripe_customer), "
        "stripe_subscription = COALESCE(excluded.stripe_subscription, "
        "billing_subscriptions.stripe_subscription), "
        "stripe_status = COALESCE(excluded.stripe_status, billing_subscriptions.stripe_status), "
        "cancel_at_period_end = CASE WHEN excluded.source = 'key' THEN 0 ELSE "
        "billing_subscriptions.cancel_at_period_end END, updated_at = excluded.updated_at",
        p, FH_ARRAY_LEN(p), NULL);
    return qs < 0 ? qs : billing_tier_apply(st, qcfg, s->org_id, s->tier, s->now);
}

int billing_tier_apply(struct fh_store *st, const struct fh_queue_cfg *qcfg, int64_t org_id,
                       enum fh_tier tier, int64_t now)
{
    /* The integrations sync at the new tier's speed from now on; a Zoho integration in webhook
     * mode polls again when the tier takes no webhooks (src/connectors/zoho/jobs.c). */
    struct fh_param t[] = {FH_PI(org_id), FH_PT(fh_tier_name(tier))};
    int qs = fh_store_exec(st,
                           "UPDATE integrations SET sync_tier = $2, sync_mode = CASE WHEN $2 = "
                           "'starter' AND sync_mode = 'webhook' THEN 'polling' ELSE sync_mode END "
                           "WHERE org_id = $1",
                           t, 2, NULL);
    if (qs < 0)
        return qs;
    return fh_billing_release_soon(st, qcfg, org_id, now);
}
