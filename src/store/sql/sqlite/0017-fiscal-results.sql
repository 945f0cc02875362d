-- The V-SDC's answer to a signed invoice, verbatim, in a table of its own (src/fiscal/rows.c
-- fiscal_row_sign writes it in the transaction that signs the row; it never changes). At about
-- 17 KB, most of it the QR code in base64, it took four overflow pages in the middle of every
-- signed fiscal_invoices row, which every read of a later column (signed_at, usage_month, ...)
-- walked and every update that changed the row's size wrote again.
CREATE TABLE fiscal_results (
    invoice_id INTEGER PRIMARY KEY REFERENCES fiscal_invoices(id) ON DELETE CASCADE,
    body TEXT NOT NULL
) STRICT;
-- Answers stored before this migration stay in fiscal_invoices.vsdc_result until the
-- maintenance sweep moves them, a batch per transaction (fh_fiscal_results_move), so that an
-- upgrade neither rewrites the whole table in one transaction (a WAL as large as the store) nor
-- waits for it; readers take COALESCE(fiscal_results.body, vsdc_result) meanwhile. This index
-- finds the rows left to move, and is empty once they are all moved.
CREATE INDEX fiscal_invoices_old_result ON fiscal_invoices (id) WHERE vsdc_result IS NOT NULL;
