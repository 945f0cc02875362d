// The taxes the V-SDC calculated for a signed invoice, per tax label.
import { formatAmount, formatRate } from '../format';
import type { TaxItem } from '../types';

interface Props {
  items: TaxItem[];
}

export function TaxItemsTable({ items }: Props) {
  return (
    <table class="table table--compact" aria-labelledby="tax-items-heading">
      <thead>
        <tr>
          <th scope="col">Label</th>
          <th scope="col">Category</th>
          <th scope="col" class="num">
            Rate
          </th>
          <th scope="col" class="num">
            Tax
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((t, i) => (
          <tr key={`${t.label ?? ''}-${i}`}>
            <td>
              <code>{t.label ?? '—'}</code>
            </td>
            <td>{t.category_name ?? ''}</td>
            <td class="num">{formatRate(t.rate)}</td>
            <td class="num">{formatAmount(t.amount)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
