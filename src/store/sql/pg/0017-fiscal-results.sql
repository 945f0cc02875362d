-- The V-SDC's answer to a signed invoice, verbatim, in a table of its own (src/fiscal/rows.c
-- fiscal_row_sign writes it in the transaction that signs the row; it never changes). At about
-- 17 KB, most of it the QR code in base64, it took four overflow pages in the middle of every
-- signed fiscal_invoices row, which every read of a later column (signed_at, usage_month, ...)
-- walked and every update that changed the row's size wrote again (PostgreSQL keeps such values out of
-- line anyway; the table is the same on both backends).
CREATE TABLE fiscal_results (
    invoice_id BIGINT PRIMARY KEY REFERENCES fiscal_invoices(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
INSERT INTO fiscal_results (invoice_id, body)
    SELECT id, vsdc_result FROM fiscal_invoices WHERE vsdc_result IS NOT NULL;
ALTER TABLE fiscal_invoices DROP COLUMN vsdc_result;
