// The organization's taxpayer certificates: UID, taxpayer (and TIN),
// location (and address), expiry (red once past), status (with the V-SDC's
// reason and what to do when it refused the certificate), when uploaded, and
// Revoke for those not yet revoked.
import { formatDate, formatDateTime, isPast } from '../format';
import type { Certificate } from '../types';
import { CertificateStatusBadge } from './CertificateStatusBadge';

interface Props {
  certificates: Certificate[];
  canManage: boolean;
  deniedReason: string;
  onRevoke: (certificate: Certificate) => void;
}

export function CertificatesTable({ certificates, canManage, deniedReason, onRevoke }: Props) {
  return (
    <section class="panel" aria-labelledby="certificates-heading">
      <div class="panel-header">
        <h2 id="certificates-heading" class="panel-title">
          Taxpayer certificates
        </h2>
      </div>
      <div class="table-scroll">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">UID</th>
              <th scope="col">Taxpayer</th>
              <th scope="col">Location</th>
              <th scope="col">Expires</th>
              <th scope="col">Status</th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {certificates.map((c) => {
              const expired = c.status === 'expired' || isPast(c.expires_at);
              return (
                <tr key={c.uid} data-uid={c.uid}>
                  <td>
                    <code class="uid">{c.uid}</code>
                  </td>
                  <td>
                    <span class="cell-main">{c.taxpayer}</span>
                    {c.tin && <span class="cell-sub">TIN {c.tin}</span>}
                  </td>
                  <td>
                    <span class="cell-main">{c.location || '—'}</span>
                    {c.address && <span class="cell-sub">{c.address}</span>}
                  </td>
                  <td class="nowrap">
                    <time
                      dateTime={c.expires_at}
                      class={expired ? 'text-danger cell-strong' : undefined}
                      data-testid="cert-expiry"
                    >
                      {formatDate(c.expires_at)}
                    </time>
                  </td>
                  <td>
                    <CertificateStatusBadge status={c.status} />
                    {c.status === 'refused' && (
                      <span class="cell-sub" data-testid="cert-refused">
                        {c.refused_at && (
                          <>
                            Since <time dateTime={c.refused_at}>{formatDateTime(c.refused_at)}</time>:{' '}
                          </>
                        )}
                        {c.refused_reason} Invoices fail until it signs again: upload a valid certificate and
                        use Change certificate on its integrations.
                      </span>
                    )}
                  </td>
                  <td class="nowrap">
                    <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
                  </td>
                  <td class="actions">
                    {c.status !== 'revoked' && (
                      <button
                        type="button"
                        class="btn btn--secondary btn--small"
                        disabled={!canManage}
                        title={canManage ? undefined : deniedReason}
                        aria-label={`Revoke certificate ${c.uid}`}
                        onClick={() => onRevoke(c)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
