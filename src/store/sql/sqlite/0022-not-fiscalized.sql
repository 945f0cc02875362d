-- Partner documents fiscalhub could not fiscalize (the mapping or the submission refused them:
-- a negative line, too many items, ...), one row per document and integration under the
-- document's source key, with the latest reason. The integration's warning (not_fiscalized,
-- docs/api/integrations.md) shows them; a row goes when its document is fiscalized or no
-- longer needs to be (src/connectors/common/refused.c).
CREATE TABLE refused_documents (
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    doc_key TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (integration_id, doc_key)
);
CREATE INDEX refused_documents_recent ON refused_documents (integration_id, seen_at);
