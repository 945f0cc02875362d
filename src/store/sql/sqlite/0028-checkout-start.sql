-- A checkout being started, one per organization at a time (src/billing/stripe.c): the start
-- expires the organization's open sessions and then creates its own, and two starts at once
-- could each find none to expire and both leave an open session. started_at lets a start that
-- died (the process killed during its Stripe calls) be taken over after two minutes.
CREATE TABLE stripe_checkout_starts (
    org_id INTEGER PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL
) STRICT;
