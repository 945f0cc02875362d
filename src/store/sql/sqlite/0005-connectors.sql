-- Connectors (src/connectors/): what an OAuth integration needs on its row, the OAuth consent
-- states, the webhook inbox and the rate governor's windows. Tokens are sealed under the master
-- key ("v1:" text). token_version grows with every stored token pair; refresh_lease_* is the
-- per-connection refresh lease (single flight across processes, docs/internals/connectors.md).
ALTER TABLE integrations ADD COLUMN certificate_id INTEGER REFERENCES certificates(id);
ALTER TABLE integrations ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE integrations ADD COLUMN status_reason TEXT;
ALTER TABLE integrations ADD COLUMN tenant_id TEXT;
ALTER TABLE integrations ADD COLUMN tenant_name TEXT;
ALTER TABLE integrations ADD COLUMN connection_id TEXT;
ALTER TABLE integrations ADD COLUMN tenants TEXT;
ALTER TABLE integrations ADD COLUMN access_sealed TEXT;
ALTER TABLE integrations ADD COLUMN refresh_sealed TEXT;
ALTER TABLE integrations ADD COLUMN access_expires_at INTEGER;
ALTER TABLE integrations ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN refresh_lease_until INTEGER;
ALTER TABLE integrations ADD COLUMN refresh_lease_owner TEXT;
ALTER TABLE integrations ADD COLUMN connected_at INTEGER;
ALTER TABLE integrations ADD COLUMN last_sync_at INTEGER;
ALTER TABLE integrations ADD COLUMN webhooks_seen_at INTEGER;
ALTER TABLE integrations ADD COLUMN sync_cursor INTEGER;
ALTER TABLE integrations ADD COLUMN backfill_state TEXT;
ALTER TABLE integrations ADD COLUMN backfill_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN backfill_total INTEGER;
ALTER TABLE integrations ADD COLUMN removed_at INTEGER;
ALTER TABLE integrations ADD COLUMN updated_at INTEGER;
CREATE INDEX integrations_tenant ON integrations (type, tenant_id);

-- One row per started consent. Only the SHA-256 of the state travels back to us in the clear;
-- the PKCE verifier is sealed. Single use (used_at), short expiry, bound to the session hash.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    session_hash TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

-- Webhook inbox: one row per accepted event, committed before the partner gets its 200.
CREATE TABLE inbox_events (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    category TEXT NOT NULL,
    event_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    event_at TEXT,
    received_at INTEGER NOT NULL,
    processed_at INTEGER
) STRICT;
CREATE INDEX inbox_events_open ON inbox_events (processed_at, id);

-- Rate governor: one fixed window per scope ("xero:<tenant>:min", "xero:<tenant>:day",
-- "xero:app:min"); blocked_until holds a partner's Retry-After.
CREATE TABLE rate_windows (
    scope TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL DEFAULT 0
) STRICT;
