-- The Xero poll (src/connectors/xero/jobs.c) reads the active integrations due for polling
-- through this index, so its work follows the due ones, not all of them (bench/footprint.mjs).
-- Never synced (NULL) counts as 0, i.e. due.
CREATE INDEX integrations_poll ON integrations (type, status, (COALESCE(last_sync_at, 0)));
