// One page of fiscal invoices: fiscal number, source, total, date (SDC time
// once signed, else when received), status (with the last error of a failed
// one, the start of the hold reason of one on hold, or "VAT differs" when the
// V-SDC's VAT is not the source document's) and Details.
import { formatAmount, formatDateTime, formatShortDateTime } from '../format';
import { invoiceTypeLabel } from '../labels';
import type { FiscalInvoiceSummary } from '../types';
import { Badge } from './Badge';
import { FiscalStatusBadge } from './FiscalStatusBadge';

interface Props {
  invoices: FiscalInvoiceSummary[];
  integrationName: (uid: string | null | undefined) => string | null;
  onOpen: (invoice: FiscalInvoiceSummary) => void;
}

export function invoiceName(inv: FiscalInvoiceSummary): string {
  return inv.invoice_number || inv.source_ref || `#${inv.id}`;
}

export function FiscalInvoicesTable({ invoices, integrationName, onOpen }: Props) {
  return (
    <div class="table-scroll">
      <table class="table table--dense" aria-label="Fiscal invoices">
        <thead>
          <tr>
            <th scope="col">Fiscal invoice number</th>
            <th scope="col">Source</th>
            <th scope="col" class="num">
              Total
            </th>
            <th scope="col">Date</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((inv) => {
            const via = integrationName(inv.integration);
            // Signed: when the V-SDC signed it; otherwise when fiscalhub received it.
            const date = inv.sdc_time || inv.created_at;
            return (
              <tr key={inv.id} data-id={inv.id}>
                <td>
                  {inv.invoice_number ? (
                    <code class="uid nowrap">{inv.invoice_number}</code>
                  ) : (
                    <span class="text-muted">Not signed</span>
                  )}
                  {inv.fiscal === false && <span class="cell-sub">{invoiceTypeLabel(inv.invoice_type)}: not a fiscal receipt</span>}
                </td>
                <td>
                  <span class="cell-main">{inv.source_ref || '—'}</span>
                  <span class="cell-sub">{via ?? 'API'}</span>
                </td>
                <td class="num">{formatAmount(inv.total_amount)}</td>
                <td class="nowrap">
                  <time dateTime={date} title={`${inv.sdc_time ? 'SDC time' : 'Received'} ${formatDateTime(date)}`}>
                    {formatShortDateTime(date)}
                  </time>
                </td>
                <td>
                  <span class="status-cell">
                    <FiscalStatusBadge status={inv.status} />
                    {inv.tax_mismatch && (
                      <span data-testid="tax-mismatch-badge" title="The V-SDC’s VAT differs from the source document’s; see Details.">
                        <Badge tone="warning">
                          VAT differs<span class="visually-hidden"> from the source document</span>
                        </Badge>
                      </span>
                    )}
                  </span>
                  {inv.status === 'failed' && inv.last_error && (
                    <span class="cell-sub cell-error" title={inv.last_error}>
                      {inv.last_error}
                    </span>
                  )}
                  {inv.status === 'on_hold' && inv.hold_reason && (
                    <span class="cell-sub cell-hold" title={inv.hold_reason}>
                      {inv.hold_reason}
                    </span>
                  )}
                </td>
                <td class="actions">
                  <button
                    type="button"
                    class="btn btn--secondary btn--small"
                    aria-label={`Details of invoice ${invoiceName(inv)}`}
                    onClick={() => onOpen(inv)}
                  >
                    Details
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
