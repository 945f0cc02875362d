-- Custom Integration and Custom / Webhook (src/auth/apikeys.c, src/events/): API keys, the
-- Idempotency-Key records of the public API, outgoing webhook endpoints, events and deliveries.
-- Times are Unix ms; secrets are sealed text ("v1:") or, for API key secrets, SHA-256 hashes.

-- API keys of Custom Integrations. client_id is public ("ck_" + random); the secret ("cs_" + 32
-- random bytes) is shown once and only its SHA-256 (hex) is kept. last_used_at is written at most
-- once a minute per key. A revoked key (revoked_at set) never authenticates again.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_integration ON api_keys (integration_id, id);

-- Idempotency-Key records of the public API, per integration: the SHA-256 of the request
-- (method, path, body) and the first answer, committed in the same transaction as its effect.
CREATE TABLE api_idempotency (
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (integration_id, idem_key)
) STRICT;
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);

-- Public API listing: cursor paging by id within an integration.
CREATE INDEX fiscal_invoices_integration_id ON fiscal_invoices (integration_id, id);

-- The outgoing endpoint of a Custom / Webhook integration (one per integration). Custom headers
-- (a JSON array of {name, value}) and the signing secret are sealed; header_names is for display.
-- events: the event types it receives, comma-separated.
CREATE TABLE webhook_endpoints (
    integration_id INTEGER PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    headers_sealed TEXT,
    header_names TEXT NOT NULL DEFAULT '',
    secret_sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

-- One outgoing event: its JSON body exactly as sent and its stable id, created in the same
-- transaction as the change it reports.
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- One event to one endpoint: pending until a 2xx answer (delivered) or until the retry window
-- ends (failed). attempts counts POSTs begun; window_start is when the current round of retries
-- began (creation or the last Redeliver). The last attempt's outcome is copied here for the log.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    event_row INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    redeliveries INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_attempt_at INTEGER,
    last_http_status INTEGER,
    last_latency_ms INTEGER,
    last_error TEXT,
    last_response TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (event_row, integration_id)
) STRICT;
CREATE INDEX webhook_deliveries_integration ON webhook_deliveries (integration_id, id);

-- The delivery log: one row per POST begun, written before it is sent and completed after, so a
-- worker that dies mid-call leaves an attempt without outcome rather than no attempt at all.
-- round: 0 for the first delivery, n after the n-th Redeliver.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    http_status INTEGER,
    latency_ms INTEGER,
    error TEXT,
    response_excerpt TEXT,
    UNIQUE (delivery_id, attempt)
) STRICT;
