-- Licensing (src/billing/, docs/internals/billing.md): subscriptions, activation keys, usage
-- counters, invoices on hold, and the Stripe state. Times are Unix ms.

-- One subscription per organization; none means the free trial. source 'key' keeps the masked
-- key (key_hint); 'stripe' the customer and subscription ids. expires_at only moves forward.
CREATE TABLE billing_subscriptions (
    org_id INTEGER PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    tier TEXT NOT NULL CHECK (tier IN ('starter', 'growth', 'scale')),
    seats INTEGER NOT NULL CHECK (seats > 0),
    source TEXT NOT NULL CHECK (source IN ('key', 'stripe')),
    key_hint TEXT,
    starts_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    billing_interval TEXT,
    stripe_customer TEXT,
    stripe_subscription TEXT,
    stripe_status TEXT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX billing_subscriptions_stripe ON billing_subscriptions (stripe_subscription);

-- Reseller activation keys, stored only as a keyed hash (HMAC-SHA256 under the master key of the
-- normalized key) with the last four characters for display. Single use: redeemed_at is set by
-- one conditional UPDATE (... WHERE redeemed_at IS NULL). redeem_by ends the redemption window.
CREATE TABLE activation_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('starter', 'growth', 'scale')),
    seats INTEGER NOT NULL CHECK (seats > 0),
    months INTEGER NOT NULL CHECK (months > 0),
    issuer TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    redeem_by INTEGER NOT NULL,
    redeemed_at INTEGER,
    redeemed_org_id INTEGER REFERENCES organizations(id) ON DELETE SET NULL,
    redeemed_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL
) STRICT;

-- Fiscal invoices counted per calendar month (UTC, "YYYY-MM"): integration_id 0 is the
-- organization's total. Updated in the same transaction as the fiscalization step it counts.
CREATE TABLE billing_usage (
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    month TEXT NOT NULL,
    integration_id INTEGER NOT NULL,
    invoices INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, month, integration_id)
) STRICT;

-- An invoice on hold is pending with hold_reason set (the API shows status "on_hold");
-- usage_month is the month it was counted in (NULL: not counted).
ALTER TABLE fiscal_invoices ADD COLUMN hold_reason TEXT;
ALTER TABLE fiscal_invoices ADD COLUMN held_at INTEGER;
ALTER TABLE fiscal_invoices ADD COLUMN usage_month TEXT;
CREATE INDEX fiscal_invoices_held ON fiscal_invoices (org_id, id) WHERE hold_reason IS NOT NULL;

-- Checkout sessions fiscalhub created: what was bought, for whom.
CREATE TABLE stripe_checkouts (
    session_id TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    tier TEXT NOT NULL,
    seats INTEGER NOT NULL,
    billing_interval TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    completed_at INTEGER
) STRICT;

-- Stripe subscriptions as the webhooks told them (an invoice.paid may arrive before its
-- checkout.session.completed: the period is kept here and applied when the org is known).
CREATE TABLE stripe_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    org_id INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
    customer TEXT,
    status TEXT,
    period_end INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

-- Webhook events applied, by id (Stripe may deliver one event more than once).
CREATE TABLE stripe_events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
