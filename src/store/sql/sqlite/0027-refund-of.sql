-- The sale a normal refund refunds (its referent_document_number), so that the refund of a voided
-- invoice takes off what earlier refunds of the same sale refunded (src/connectors/common/credit.c,
-- src/fiscal/refund_rest.c). The partial index holds refunds only.
ALTER TABLE fiscal_invoices ADD COLUMN refund_of TEXT;
UPDATE fiscal_invoices SET refund_of = json_extract(canonical, '$.referent_document_number')
    WHERE json_extract(canonical, '$.transaction_type') = 'refund'
      AND json_extract(canonical, '$.invoice_type') = 'normal';
CREATE INDEX fiscal_invoices_refund_of ON fiscal_invoices (org_id, refund_of)
    WHERE refund_of IS NOT NULL;
