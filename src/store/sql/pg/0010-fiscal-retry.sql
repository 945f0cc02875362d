-- Since when the invoice's attempts have ended without a definite answer (the V-SDC unreachable,
-- 5xx, timeouts); NULL while they have not. src/fiscal/engine.c keeps retrying such an invoice
-- for FISCALHUB_FISCAL_RETRY_SECONDS from this time, then fails it; a user retry starts afresh.
ALTER TABLE fiscal_invoices ADD COLUMN retry_since BIGINT;
