-- Why the integration's sync is failing, and since when (src/connectors/common/integ.c
-- fh_integ_sync_failed): set when a sync run fails (the partner answered 5xx, did not answer, or
-- the store failed), cleared when a sync completes. Rate-limit waits are not failures.
ALTER TABLE integrations ADD COLUMN sync_error TEXT;
ALTER TABLE integrations ADD COLUMN sync_error_at BIGINT;
