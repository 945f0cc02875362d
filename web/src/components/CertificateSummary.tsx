// The certificate chosen in step 1 of a connection, shown at the top of the
// step 2 dialog, with Change (back to step 1) while the integration does not
// exist yet.
import type { Certificate } from '../types';
import { Icon } from './Icon';

interface Props {
  certificate: Certificate;
  /** Absent: no Change button. */
  onChange?: () => void;
  disabled?: boolean;
}

export function CertificateSummary({ certificate, onChange, disabled }: Props) {
  return (
    <div class="cert-summary">
      <Icon name="shield" />
      <div class="cert-summary-text">
        <span class="cert-summary-label">Certificate</span>
        <span class="cert-summary-value">
          {certificate.taxpayer}
          {certificate.location ? `, ${certificate.location}` : ''} · <code>{certificate.uid}</code>
        </span>
      </div>
      {onChange && (
        <button type="button" class="btn btn--ghost btn--small" onClick={onChange} disabled={disabled}>
          Change<span class="visually-hidden"> certificate</span>
        </button>
      )}
    </div>
  );
}
