// The certificate a Custom Integration or Custom / Webhook integration is
// tied to: a <select> of the organization's active, unexpired certificates.
// While they load, and when there is none, it says so (with a link to the
// Certificates page, where one is uploaded).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { certificates as certificatesApi } from '../certificates';
import { formatDate, isPast } from '../format';
import type { Certificate } from '../types';
import { Link } from './Link';
import { Loading } from './Loading';
import { RetryAlert } from './LoadState';

interface Props {
  id: string;
  orgCode: string;
  value: string | null;
  onChange: (uid: string | null) => void;
  disabled?: boolean;
  hint: string;
}

const usable = (c: Certificate) => c.status === 'active' && !isPast(c.expires_at);

export function CertificateSelect({ id, orgCode, value, onChange, disabled, hint }: Props) {
  const [list, setList] = useState<Certificate[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    certificatesApi
      .list(orgCode, ctl.signal)
      .then((r) => {
        const active = r.certificates.filter(usable);
        setList(active);
        // The newest certificate is the likely one.
        if (!value || !active.some((c) => c.uid === value)) onChange(active[active.length - 1]?.uid ?? null);
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof ApiError ? e.message : 'Could not load the certificates.');
      });
    return () => ctl.abort();
  }, [orgCode, nonce]);

  if (error) {
    return (
      <RetryAlert message={error} onRetry={() => setNonce((n) => n + 1)} />
    );
  }
  if (list === null) return <Loading label="Loading certificates…" />;
  if (list.length === 0) {
    return (
      <p class="choice-empty" id={`${id}-none`}>
        <strong>This organization has no active certificate.</strong> Upload one on the{' '}
        <Link href="/integrations/certificates">Certificates</Link> page first.
      </p>
    );
  }
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        Certificate
      </label>
      <select
        id={id}
        class="field-input"
        value={value ?? ''}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value || null)}
      >
        {list.map((c) => (
          <option key={c.uid} value={c.uid}>
            {c.uid} · {c.taxpayer}
            {c.location ? `, ${c.location}` : ''} · expires {formatDate(c.expires_at)}
          </option>
        ))}
      </select>
      <p class="field-hint" id={hintId}>
        {hint}
      </p>
    </div>
  );
}
