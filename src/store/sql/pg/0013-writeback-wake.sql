-- The write-back job that waits for a fiscal invoice's outcome (src/connectors/common/jobs.c):
-- the transaction that signs or fails the invoice makes that job due at once
-- (src/fiscal/rows.c), so a note reaches the accounting platform right after the signature
-- instead of at the write-back's next look. Not a foreign key: done jobs are pruned.
ALTER TABLE fiscal_invoices ADD COLUMN writeback_job BIGINT;
