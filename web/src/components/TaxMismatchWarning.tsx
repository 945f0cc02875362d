// Under an integration's row (Xero, Zoho Books): its signed invoices whose
// V-SDC VAT differs from the source document's since its tax mapping last
// changed (Integration.tax_mismatches), the last one's reference and both
// amounts, "Check tax mapping", which opens the row's Tax mapping dialog, and
// "Show the invoices" (POS Invoices filtered to them).
// A partner tax left unmapped takes the default label, whose rate is usually
// not the tax's; saving the mapping clears the warning until an invoice
// differs again.
import { formatAmount, plural } from '../format';
import { oauthPlatform } from '../integrations';
import type { Integration } from '../types';
import { MANAGE_DENIED } from './IntegrationActions';
import { Link } from './Link';
import { Warning } from './Warning';

interface Props {
  integration: Integration;
  canManage: boolean;
  onTaxMapping: (it: Integration) => void;
}

/**
 * "1 invoice signed with VAT that differs from Xero’s (last: INV-0042, Xero 240.00, V-SDC 118.8991)."
 * For a Custom Integration the source is what the customer's software stated ("stated 20.00").
 */
export function taxMismatchText(it: Integration): string {
  const m = it.tax_mismatches;
  if (!m) return '';
  const platform = oauthPlatform(it.type)?.name ?? null;
  const last = m.last;
  const ref = last ? last.source_ref || `#${last.id}` : '';
  const amounts = last
    ? [
        last.source_tax_total !== null ? `${platform ?? 'stated'} ${formatAmount(last.source_tax_total)}` : '',
        last.vsdc_tax_total !== null ? `V-SDC ${formatAmount(last.vsdc_tax_total)}` : '',
      ].filter(Boolean)
    : [];
  const detail = last ? ` (last: ${[ref, ...amounts].join(', ')})` : '';
  const from = platform ? `${platform}’s` : 'the tax total your software stated';
  return `${plural(m.count, 'invoice', 'invoices')} signed with VAT that differs from ${from}${detail}.`;
}

/** POS Invoices filtered to the integration's invoices whose VAT differs (all of them, also older ones). */
function ShowInvoices({ uid }: { uid: string }) {
  return (
    <Link href={`/pos/invoices?integration=${encodeURIComponent(uid)}&tax_mismatch=true`} class="btn btn--secondary btn--small">
      Show the invoices<span class="visually-hidden"> of {uid} whose VAT differs</span>
    </Link>
  );
}

export function TaxMismatchWarning({ integration: it, canManage, onTaxMapping }: Props) {
  if (!it.tax_mismatches) return null;
  const platform = oauthPlatform(it.type);
  if (!platform) {
    // A Custom Integration: the labels come from the customer's software, not from a mapping here.
    return (
      <div class="integration-warning">
        <Warning testId="tax-mismatch" title={`${taxMismatchText(it)} Check the tax labels your software sends.`}>
          <p class="alert-detail">
            Each item's labels decide its VAT at the V-SDC; source_tax_total is what your software states. Invoices
            already signed stay as they are.
          </p>
          <div class="alert-actions">
            <ShowInvoices uid={it.uid} />
          </div>
        </Warning>
      </div>
    );
  }
  const denied = !canManage ? MANAGE_DENIED : it.status !== 'active' ? `Reconnect to ${platform.name} first.` : null;
  return (
    <div class="integration-warning">
      <Warning testId="tax-mismatch" title={`${taxMismatchText(it)} Check the tax mapping.`}>
        <p class="alert-detail">
          A tax without a mapping takes the default label, whose rate may not be the tax’s. Invoices already signed
          stay as they are.
        </p>
        <div class="alert-actions">
          <button
            type="button"
            class="btn btn--secondary btn--small"
            disabled={denied !== null}
            title={denied ?? undefined}
            onClick={() => onTaxMapping(it)}
          >
            Check tax mapping<span class="visually-hidden"> {it.uid}</span>
          </button>
          <ShowInvoices uid={it.uid} />
        </div>
      </Warning>
    </div>
  );
}
