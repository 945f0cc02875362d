-- What fiscalhub needs to look at a refused document again (after the cause is fixed outside
-- the document, e.g. a valid certificate chosen) and to link it: the document's kind
-- ('invoice' | 'credit_note'), its id at the partner and its page there (NULL when none).
-- Rows from before have no id and are looked at again only when the document changes.
ALTER TABLE refused_documents ADD COLUMN kind TEXT;
ALTER TABLE refused_documents ADD COLUMN doc_id TEXT;
ALTER TABLE refused_documents ADD COLUMN source_url TEXT;
