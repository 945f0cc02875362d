-- Zoho Books credit notes: when the credit-note listing was last refused (a consent given before
-- fiscalhub asked for the credit-note scopes). Syncs skip the listing while this is newer than the
-- consent (connected_at), so no poll spends a token refresh on a scope the consent lacks.
ALTER TABLE integrations ADD COLUMN creditnotes_refused_at BIGINT;
