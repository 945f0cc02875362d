-- PostgreSQL twin of sql/sqlite/0007-zoho.sql.
-- Zoho Books (src/connectors/zoho/) and what the connectors' common code keeps for it.
-- data_center: the Zoho data center whose accounts server issued the tokens ("eu", "com", ...);
-- api_domain: the API host the token answer named (every call goes there); tenant_plan: the
-- organization's plan at consent (its daily API limit); sync_mode: "webhook" while Zoho's
-- workflow webhook arrives, else "polling" (Zoho only); last_polled_at: the last completed poll.
-- webhook_key: the random path segment of the integration's own webhook URL
-- (/webhooks/zoho/<key>); webhook_secret_sealed: the signing secret, sealed like the tokens.
ALTER TABLE integrations ADD COLUMN data_center TEXT;
ALTER TABLE integrations ADD COLUMN api_domain TEXT;
ALTER TABLE integrations ADD COLUMN tenant_plan TEXT;
ALTER TABLE integrations ADD COLUMN sync_mode TEXT;
ALTER TABLE integrations ADD COLUMN last_polled_at BIGINT;
ALTER TABLE integrations ADD COLUMN webhook_key TEXT;
ALTER TABLE integrations ADD COLUMN webhook_secret_sealed TEXT;
ALTER TABLE integrations ADD COLUMN webhook_rotated_at BIGINT;
CREATE UNIQUE INDEX integrations_webhook_key ON integrations (webhook_key);

-- The integration a webhook delivery was addressed to, when its URL names one (Zoho).
ALTER TABLE inbox_events ADD COLUMN integration_id BIGINT;
