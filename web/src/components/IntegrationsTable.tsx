// The organization's integrations: UID, Type (icon + name), Created,
// Invoices (monthly) against the plan limit, and Status.
import { formatDate, ratio } from '../format';
import type { Integration, Usage } from '../types';
import { Badge } from './Badge';
import { StatusBadge } from './StatusBadge';
import { TypeIcon } from './TypeIcon';

interface Props {
  integrations: Integration[];
  usage: Usage;
}

export function IntegrationsTable({ integrations, usage }: Props) {
  return (
    <section class="panel" aria-labelledby="integrations-heading">
      <div class="panel-header">
        <h2 id="integrations-heading" class="panel-title">
          Connected platforms
        </h2>
      </div>
      <div class="table-scroll">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">UID</th>
              <th scope="col">Type</th>
              <th scope="col">Created</th>
              <th scope="col" class="num">
                Invoices (monthly)
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {integrations.map((it) => (
              <tr key={it.uid}>
                <td>
                  <code class="uid">{it.uid}</code>
                </td>
                <td>
                  <span class="type-cell">
                    <TypeIcon type={it.type} />
                    {it.type_name || it.type}
                  </span>
                </td>
                <td>
                  <time dateTime={it.created_at}>{formatDate(it.created_at)}</time>
                </td>
                <td class="num">{ratio(it.invoices_this_month, usage.invoice_limit)}</td>
                <td>
                  <span class="status-cell">
                    <StatusBadge status={it.status} />
                    {usage.trial && (
                      <Badge tone="info">
                        Trial {it.invoices_this_month}/{usage.invoice_limit}
                      </Badge>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
