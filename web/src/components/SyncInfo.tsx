// Facts about how an integration syncs: its fiscalization trigger (Xero), its
// data center and which invoices it fiscalizes (Zoho Books), what its
// write-back leaves on the partner's documents, its tax mapping
// and certificate, when it last synced with its platform, the progress of its
// first backfill while that runs, and why its syncs fail while they do. Shown
// in the integration's details row.
import { formatDate, formatShortDateTime } from '../format';
import { triggerLabel, writeBackLabel } from '../integrations';
import type { Integration } from '../types';
import { DATA_CENTERS, fiscalizeLabel } from '../zoho';

interface Props {
  integration: Integration;
}

const count = new Intl.NumberFormat('en-GB');

/** How the platform's taxes become V-SDC labels, in a few words. */
function taxMappingText(it: Integration): string {
  const n = Object.keys(it.settings?.tax_mapping ?? {}).length;
  const label = it.settings?.default_label || 'A';
  return n === 0 ? `Not set: every line takes label ${label}` : `${n === 1 ? '1 tax' : `${n} taxes`} mapped, others ${label}`;
}

/** Days before expiry from which the row warns that the certificate needs its successor. */
export const CERT_WARN_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

function daysLeft(it: Integration): number | null {
  const t = it.certificate_expires_at ? Date.parse(it.certificate_expires_at) : Number.NaN;
  return Number.isNaN(t) ? null : Math.ceil((t - Date.now()) / DAY_MS);
}

function certificateProblem(it: Integration): boolean {
  const left = daysLeft(it);
  return (
    it.certificate_status === 'revoked' || it.certificate_status === 'refused' || (left !== null && left <= CERT_WARN_DAYS)
  );
}

/** After the UID: its expiry, and what to do when it is revoked, expired or about to expire. */
function certificateNote(it: Integration): string {
  const left = daysLeft(it);
  const when = it.certificate_expires_at ? formatDate(it.certificate_expires_at) : '';
  if (it.certificate_status === 'revoked')
    return ' is revoked: invoices cannot be signed. Upload a valid certificate and use Change certificate.';
  if (it.certificate_status === 'refused')
    return ` was refused by the V-SDC: invoices fail until it signs again. Upload a valid certificate and use Change certificate.${
      it.certificate_refused_reason ? ` ${it.certificate_refused_reason}` : ''
    }`;
  if (left !== null && left <= 0)
    return ` expired on ${when}: invoices cannot be signed. Upload its successor and use Change certificate.`;
  if (left !== null && left <= CERT_WARN_DAYS)
    return ` expires on ${when} (in ${left === 1 ? '1 day' : `${left} days`}): upload its successor and use Change certificate.`;
  return when ? ` · expires ${when}` : '';
}

export function SyncInfo({ integration: it }: Props) {
  const bf = it.backfill;
  const running = bf?.state === 'running';
  const queued = bf?.state === 'pending';
  return (
    <dl class="row-facts">
      {it.type === 'xero' && (
        <div class="row-fact" data-testid="trigger">
          <dt>Trigger</dt>
          <dd>{triggerLabel(it.settings?.trigger)}</dd>
        </div>
      )}
      {it.type === 'zoho_books' && (
        <>
          <div class="row-fact" data-testid="fiscalize">
            <dt>Fiscalize</dt>
            <dd>{fiscalizeLabel(it.settings?.fiscalize)}</dd>
          </div>
          <div class="row-fact" data-testid="data-center">
            <dt>Data center</dt>
            <dd>{DATA_CENTERS.find((d) => d.value === it.settings?.data_center)?.region ?? it.settings?.data_center ?? ''}</dd>
          </div>
        </>
      )}
      <div class="row-fact" data-testid="last-sync">
        <dt>Last sync</dt>
        <dd>
          {it.last_sync_at ? (
            <time dateTime={it.last_sync_at}>{formatShortDateTime(it.last_sync_at)}</time>
          ) : (
            'Not yet'
          )}
        </dd>
      </div>
      {(it.type === 'xero' || it.type === 'zoho_books') && (
        <div class="row-fact" data-testid="write-back">
          <dt>Write-back</dt>
          <dd>{writeBackLabel(it)}</dd>
        </div>
      )}
      {(it.type === 'xero' || it.type === 'zoho_books') && (
        <div class="row-fact" data-testid="tax-mapping">
          <dt>Tax mapping</dt>
          <dd>{taxMappingText(it)}</dd>
        </div>
      )}
      {it.certificate_uid && (
        <div class={certificateProblem(it) ? 'row-fact row-fact--problem' : 'row-fact'} data-testid="certificate">
          <dt>Certificate</dt>
          <dd>
            <code>{it.certificate_uid}</code>
            {certificateNote(it)}
          </dd>
        </div>
      )}
      {it.status === 'active' && it.sync_error && (
        <div class="row-fact row-fact--problem" data-testid="sync-error">
          <dt>Sync failed</dt>
          <dd>
            {it.sync_error.message}
            {it.sync_error.since && (
              <>
                {' '}
                since <time dateTime={it.sync_error.since}>{formatShortDateTime(it.sync_error.since)}</time>
              </>
            )}
            . fiscalhub keeps trying; Test Connection checks the connection.
          </dd>
        </div>
      )}
      {(running || queued) && bf && (
        <div class="row-fact" data-testid="backfill">
          <dt>Backfill</dt>
          <dd class="backfill">
            {queued
              ? 'Queued'
              : `${count.format(bf.done)}${bf.total !== null ? ` of ${count.format(bf.total)}` : ''} invoices`}
            {running && bf.total !== null && bf.total > 0 && (
              <progress class="backfill-bar" max={bf.total} value={Math.min(bf.done, bf.total)} aria-hidden="true" />
            )}
          </dd>
        </div>
      )}
    </dl>
  );
}
