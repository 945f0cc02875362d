-- Checkout sessions fiscalhub expired at Stripe before opening a new one for the same
-- organization: at most one of them can be paid, so no organization ends up with two
-- subscriptions billing it (src/billing/stripe.c).
ALTER TABLE stripe_checkouts ADD COLUMN expired_at BIGINT;
