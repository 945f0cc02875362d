-- The job of a document waiting for its original (src/fiscal/waits.c): it waits as the same row
-- (fh_job_release), and the transaction that signs the original makes it due at once
-- (src/fiscal/rows.c), so a credit note follows its invoice's signature instead of its next look.
-- Not a foreign key: done jobs are pruned.
ALTER TABLE fiscal_waits ADD COLUMN job BIGINT;
