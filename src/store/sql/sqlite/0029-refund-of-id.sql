-- The sale a public API refund was checked against (src/fiscal/submit.c): a user's retry of
-- such a refund after it failed is checked again against what is left of that sale, so a failed
-- refund retried after others were made cannot take the sale below nothing. NULL for every other
-- invoice (the connectors' credit notes follow their partner's amounts). Refunds stored before
-- find their sale by its V-SDC number.
ALTER TABLE fiscal_invoices ADD COLUMN refund_of_id INTEGER;
UPDATE fiscal_invoices AS r SET refund_of_id = (
        SELECT s.id FROM fiscal_invoices AS s
        WHERE s.org_id = r.org_id AND s.invoice_number = r.refund_of AND s.status = 'signed'
        ORDER BY s.id LIMIT 1)
    WHERE r.refund_of IS NOT NULL AND r.source_key LIKE 'custom:%';
