-- When each refused document was first refused (src/connectors/common/refused.c). The
-- integration's warning lists the newest refusals first by it: seen_at moves whenever a document
-- is looked at and refused again (a poll that reads it once more, Look again), which put old
-- refusals back among "the latest ten". It stays while the row does; a document fiscalized
-- and refused again later starts a new row.
ALTER TABLE refused_documents ADD COLUMN first_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE refused_documents SET first_seen_at = seen_at;
DROP INDEX refused_documents_recent;
CREATE INDEX refused_documents_recent ON refused_documents (integration_id, first_seen_at);
