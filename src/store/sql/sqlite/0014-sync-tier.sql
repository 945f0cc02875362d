-- How fast an integration syncs follows its organization's tier (src/billing/plans.c,
-- fh_tier_sync_speed): the polls (src/connectors/common/jobs.c) read the due integrations of
-- each tier through integrations_poll, so the tier is kept on the row, written when the
-- integration is created and whenever the organization's subscription changes
-- (src/billing/subscription.c). 'trial' until a subscription exists.
ALTER TABLE integrations ADD COLUMN sync_tier TEXT NOT NULL DEFAULT 'trial';
UPDATE integrations SET sync_tier = (SELECT s.tier FROM billing_subscriptions s
                                     WHERE s.org_id = integrations.org_id)
 WHERE org_id IN (SELECT org_id FROM billing_subscriptions);
DROP INDEX integrations_poll;
CREATE INDEX integrations_poll ON integrations (type, status, sync_tier, (COALESCE(last_sync_at, 0)));
