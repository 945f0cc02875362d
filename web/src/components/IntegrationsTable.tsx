// The organization's integrations: UID, Type (icon + name, with the Xero
// organisation or Zoho Books organization), Created, Invoices (monthly)
// against the plan limit, and Status (with why an integration is inactive).
// Each integration is a <tbody> of two rows: those columns, then a details
// row with its settings, last sync and backfill progress, and its actions, so
// that four actions fit next to the facts without the table scrolling
// sideways; under them, a warning when invoices were signed with VAT that
// differs from the source's (TaxMismatchWarning), and one when partner
// documents could not be fiscalized (NotFiscalizedWarning, with Look again).
// When the plan holds an integration's invoices (the licence expired, the
// month's invoice limit used up, or this integration over the seat limit),
// the Status cell says so and what releases them (docs/api/billing.md).
import { formatDate, plural, ratio } from '../format';
import { platformOrg } from '../integrations';
import type { Integration, Usage } from '../types';
import { Badge } from './Badge';
import { IntegrationActions } from './IntegrationActions';
import { Link } from './Link';
import { NotFiscalizedWarning } from './NotFiscalizedWarning';
import { StatusBadge } from './StatusBadge';
import { SyncInfo } from './SyncInfo';
import { TaxMismatchWarning } from './TaxMismatchWarning';
import { TypeIcon } from './TypeIcon';

interface Props {
  orgCode: string;
  integrations: Integration[];
  usage: Usage;
  canManage: boolean;
  canOperate: boolean;
  onChanged: () => void;
  /** Look again was queued for an integration's documents not fiscalized. */
  onLookedAgain: () => void;
  onChangeSettings: (it: Integration) => void;
  onTaxMapping: (it: Integration) => void;
  onChangeCertificate: (it: Integration) => void;
  onRemove: (it: Integration) => void;
}

const COLUMNS = 5;

interface PlanHold {
  badge: string;
  tone: 'danger' | 'warning';
  note: string;
}

/** What the plan holds back on this integration, most pressing first; null when nothing. */
function planHold(it: Integration, usage: Usage): PlanHold | null {
  if (usage.expired)
    return {
      badge: 'Licence expired',
      tone: 'danger',
      note: 'Its invoices wait on hold until the plan is renewed or a new key is activated.',
    };
  if (it.over_seat_limit)
    return {
      badge: 'Over seat limit',
      tone: 'warning',
      note: `The plan has ${plural(usage.connection_limit, 'seat', 'seats')}, held by older integrations: this one keeps syncing, and its invoices wait on hold until it has a seat. Remove another integration, or get more seats.`,
    };
  if (usage.invoice_limit >= 0 && usage.invoices_this_month >= usage.invoice_limit)
    return {
      badge: 'Invoice limit reached',
      tone: 'warning',
      note: 'New fiscal invoices wait on hold until the new month (UTC), or until a plan with a higher monthly limit is activated.',
    };
  return null;
}

export function IntegrationsTable({
  orgCode,
  integrations,
  usage,
  canManage,
  canOperate,
  onChanged,
  onLookedAgain,
  onChangeSettings,
  onTaxMapping,
  onChangeCertificate,
  onRemove,
}: Props) {
  return (
    <section class="panel" aria-labelledby="integrations-heading">
      <div class="panel-header">
        <h2 id="integrations-heading" class="panel-title">
          Connected platforms
        </h2>
      </div>
      <div class="table-scroll">
        <table class="table table--integrations" aria-labelledby="integrations-heading">
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
          {integrations.map((it) => {
            const hold = planHold(it, usage);
            return (
              <tbody key={it.uid} data-uid={it.uid} class={it.status === 'inactive' ? 'integration integration--inactive' : 'integration'}>
                <tr class="integration-main">
                  <td class="nowrap">
                    <code class="uid">{it.uid}</code>
                  </td>
                  <td>
                    <span class="type-cell">
                      <TypeIcon type={it.type} />
                      <span>
                        <span class="cell-main">{it.type_name || it.type}</span>
                        {it.tenant_name && (
                          <span class="cell-sub" data-testid="tenant">
                            {it.tenant_name}
                          </span>
                        )}
                      </span>
                    </span>
                  </td>
                  <td class="nowrap">
                    <time dateTime={it.created_at}>{formatDate(it.created_at)}</time>
                  </td>
                  <td class="num">{ratio(it.invoices_this_month, usage.invoice_limit)}</td>
                  <td>
                    <span class="status-cell">
                      <StatusBadge status={it.status} />
                      {it.status === 'active' && it.sync_error && <Badge tone="warning">Sync failed</Badge>}
                      {it.tax_mismatches && <Badge tone="warning">VAT differs</Badge>}
                      {!!it.not_fiscalized?.count && <Badge tone="warning">Not fiscalized</Badge>}
                      {!!it.invoices_failed && (
                        <Link
                          href={`/pos/invoices?status=failed&integration=${encodeURIComponent(it.uid)}`}
                          class="badge-link"
                        >
                          <Badge tone="danger">{plural(it.invoices_failed, 'invoice failed', 'invoices failed')}</Badge>
                        </Link>
                      )}
                      {hold && <Badge tone={hold.tone}>{hold.badge}</Badge>}
                      {usage.trial && (
                        <Badge tone="info">
                          Trial {it.invoices_this_month}/{usage.invoice_limit.toLocaleString('en-GB')}
                        </Badge>
                      )}
                    </span>
                    {it.status === 'inactive' && (
                      <span class="cell-sub status-reason" data-testid="status-reason">
                        {it.status_reason || 'The connection stopped working; reconnect to resume syncing.'}
                      </span>
                    )}
                    {hold && (
                      <span class="cell-sub plan-hold" data-testid="plan-hold">
                        {hold.note} <Link href="/billing">Billing</Link>
                      </span>
                    )}
                    {it.tenant_choice_pending && (
                      <span class="cell-sub">
                        <Link href={`/integrations/${encodeURIComponent(it.uid)}/tenant`}>Choose the {platformOrg(it.type)}</Link>
                      </span>
                    )}
                  </td>
                </tr>
                <tr class="integration-details">
                  <td colSpan={COLUMNS}>
                    <div class="integration-details-inner">
                      <SyncInfo integration={it} />
                      <IntegrationActions
                        orgCode={orgCode}
                        integration={it}
                        canManage={canManage}
                        canOperate={canOperate}
                        onChanged={onChanged}
                        onChangeSettings={onChangeSettings}
                        onTaxMapping={onTaxMapping}
                        onChangeCertificate={onChangeCertificate}
                        onRemove={onRemove}
                      />
                    </div>
                    <TaxMismatchWarning integration={it} canManage={canManage} onTaxMapping={onTaxMapping} />
                    <NotFiscalizedWarning orgCode={orgCode} integration={it} canOperate={canOperate} onLookedAgain={onLookedAgain} />
                  </td>
                </tr>
              </tbody>
            );
          })}
        </table>
      </div>
    </section>
  );
}
