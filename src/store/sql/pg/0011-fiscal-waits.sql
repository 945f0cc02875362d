-- Documents that wait for another invoice of their organization to be signed before they can be
-- fiscalized: a Xero credit note refers to the fiscal number of the invoice it credits. The
-- portal shows them on that invoice (src/fiscal/waits.c). A row lives while its document waits.
CREATE TABLE fiscal_waits (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    waiting_key TEXT NOT NULL,
    original_key TEXT NOT NULL,
    ref TEXT,
    integration_id BIGINT REFERENCES integrations(id) ON DELETE CASCADE,
    since BIGINT NOT NULL,
    PRIMARY KEY (org_id, waiting_key)
);
CREATE INDEX fiscal_waits_original ON fiscal_waits (org_id, original_key);
