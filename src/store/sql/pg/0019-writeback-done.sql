-- When the invoice's write-back job finished (src/connectors/common/jobs.c fh_writeback_job):
-- done jobs are deleted after a week, and the invoice's details still say when its fiscal
-- result reached the source.
ALTER TABLE fiscal_invoices ADD COLUMN writeback_done_at BIGINT;
