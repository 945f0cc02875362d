-- Fiscal invoices (src/fiscal/engine.c): one row per source document of an organization, from
-- submission to the V-SDC's signed result. request_id is derived from (org, source_key) and is
-- stored before the first POST. uncertain = 1 while an attempt's outcome is unknown (the next
-- attempt asks the V-SDC for the RequestId before posting again). vsdc_result is the V-SDC's 200
-- body verbatim; once status is 'signed' the result columns never change. Amounts are integer
-- ten-thousandths; times Unix ms.
CREATE TABLE fiscal_invoices (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    certificate_id INTEGER NOT NULL REFERENCES certificates(id),
    integration_id INTEGER REFERENCES integrations(id) ON DELETE SET NULL,
    source_key TEXT NOT NULL,
    source_ref TEXT,
    source_url TEXT,
    request_id TEXT NOT NULL UNIQUE,
    canonical TEXT NOT NULL,
    invoice_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'signed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1)),
    last_error TEXT,
    vsdc_result TEXT,
    invoice_number TEXT,
    sdc_time TEXT,
    total_amount INTEGER NOT NULL,
    verification_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    signed_at INTEGER,
    UNIQUE (org_id, source_key)
) STRICT;
-- Listing: newest first per organization, optionally by status or integration.
CREATE INDEX fiscal_invoices_org ON fiscal_invoices (org_id, created_at, id);
CREATE INDEX fiscal_invoices_status ON fiscal_invoices (org_id, status, created_at, id);
CREATE INDEX fiscal_invoices_integration ON fiscal_invoices (integration_id, created_at, id);
