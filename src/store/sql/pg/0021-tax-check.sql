-- The tax check (src/fiscal/tax_check.c): the tax total the source document states (connectors:
-- Xero's TotalTax, Zoho's tax_total; the APIs: source_tax_total), and once signed the V-SDC's
-- (the sum of its taxItems), both in ten-thousandths, NULL when unknown; tax_mismatch when they
-- differ by more than rounding. The partial index serves the integration's warning (mismatches
-- signed since its tax mapping changed, integrations.tax_mapping_at) and holds only mismatches.
ALTER TABLE fiscal_invoices ADD COLUMN source_tax BIGINT;
ALTER TABLE fiscal_invoices ADD COLUMN vsdc_tax BIGINT;
ALTER TABLE fiscal_invoices ADD COLUMN tax_mismatch INTEGER NOT NULL DEFAULT 0
    CHECK (tax_mismatch IN (0, 1));
CREATE INDEX fiscal_invoices_tax_mismatch ON fiscal_invoices (integration_id, signed_at)
    WHERE tax_mismatch = 1;
ALTER TABLE integrations ADD COLUMN tax_mapping_at BIGINT;
