// The lines and payments of an invoice as it was submitted.
import { formatAmount } from '../format';
import { paymentMethodLabel } from '../labels';
import type { CanonicalInvoice } from '../types';

interface Props {
  invoice: CanonicalInvoice;
}

export function InvoiceItemsTable({ invoice }: Props) {
  const items = invoice.items ?? [];
  const payments = invoice.payments ?? [];
  return (
    <>
      <table class="table table--compact" aria-labelledby="items-heading">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" class="num">
              Quantity
            </th>
            <th scope="col" class="num">
              Unit price
            </th>
            <th scope="col">Labels</th>
            <th scope="col" class="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((it, i) => (
            <tr key={i}>
              <td>
                <span class="cell-main">{it.name}</span>
                {it.gtin && <span class="cell-sub">GTIN {it.gtin}</span>}
              </td>
              <td class="num">{it.quantity}</td>
              <td class="num">{formatAmount(it.unit_price)}</td>
              <td>
                <code>{(it.labels ?? []).join(', ')}</code>
              </td>
              <td class="num">{formatAmount(it.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {payments.length > 0 && (
        <p class="payments">
          Paid by{' '}
          {payments.map((p, i) => (
            <span key={i}>
              {i > 0 && ', '}
              {paymentMethodLabel(p.method)} {formatAmount(p.amount)}
            </span>
          ))}
        </p>
      )}
    </>
  );
}
