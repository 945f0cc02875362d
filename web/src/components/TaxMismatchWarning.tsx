// Under an integration's row (Xero, Zoho Books): its signed invoices whose
// V-SDC VAT differs from the source document's since its tax mapping last
// changed (Integration.tax_mismatches), the last one's reference and both
// amounts, and "Check tax mapping", which opens the row's Tax mapping dialog.
// A partner tax left unmapped takes the default label, whose rate is usually
// not the tax's; saving the mapping clears the warning until an invoice
// differs again.
import { formatAmount, plural } from '../format';
import { oauthPlatform } from '../integrations';
import type { Integration } from '../types';
import { MANAGE_DENIED } from './IntegrationActions';
import { Warning } from './Warning';

interface Props {
  integration: Integration;
  canManage: boolean;
  onTaxMapping: (it: Integration) => void;
}

/** "1 invoice signed with VAT that differs from Xero’s (last: INV-0042, Xero 240.00, V-SDC 118.8991)." */
export function taxMismatchText(it: Integration): string {
  const m = it.tax_mismatches;
  if (!m) return '';
  const source = it.type_name || oauthPlatform(it.type)?.name || 'the source';
  const last = m.last;
  const ref = last ? last.source_ref || `#${last.id}` : '';
  const amounts = last
    ? [
        last.source_tax_total !== null ? `${source} ${formatAmount(last.source_tax_total)}` : '',
        last.vsdc_tax_total !== null ? `V-SDC ${formatAmount(last.vsdc_tax_total)}` : '',
      ].filter(Boolean)
    : [];
  const detail = last ? ` (last: ${[ref, ...amounts].join(', ')})` : '';
  return `${plural(m.count, 'invoice', 'invoices')} signed with VAT that differs from ${source}’s${detail}.`;
}

export function TaxMismatchWarning({ integration: it, canManage, onTaxMapping }: Props) {
  if (!it.tax_mismatches) return null;
  const platform = oauthPlatform(it.type);
  const denied = !canManage ? MANAGE_DENIED : it.status !== 'active' ? `Reconnect to ${platform?.name ?? 'the platform'} first.` : null;
  return (
    <div class="integration-warning">
      <Warning testId="tax-mismatch" title={`${taxMismatchText(it)} Check the tax mapping.`}>
        <p class="alert-detail">
          A tax without a mapping takes the default label, whose rate may not be the tax’s. Invoices already signed
          stay as they are.
        </p>
        <button
          type="button"
          class="btn btn--secondary btn--small"
          disabled={denied !== null}
          title={denied ?? undefined}
          onClick={() => onTaxMapping(it)}
        >
          Check tax mapping<span class="visually-hidden"> {it.uid}</span>
        </button>
      </Warning>
    </div>
  );
}
