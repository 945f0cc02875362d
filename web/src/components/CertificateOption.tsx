// One certificate as a radio choice: the taxpayer and location as its label,
// the UID, TIN and expiry as its description. Used where a certificate is
// chosen for an integration (Connect, Change certificate).
import type { ComponentChildren } from 'preact';
import { formatDate } from '../format';
import type { Certificate } from '../types';
import { RadioOption } from './RadioOption';

interface Props {
  /** Prefix of the input's id (`${idPrefix}-${uid}`). */
  idPrefix: string;
  certificate: Certificate;
  checked: boolean;
  onSelect: (uid: string) => void;
  disabled?: boolean;
  /** After the taxpayer and location, e.g. " (current)". */
  note?: ComponentChildren;
}

export function CertificateOption({ idPrefix, certificate: c, checked, onSelect, disabled, note }: Props) {
  return (
    <RadioOption
      id={`${idPrefix}-${c.uid}`}
      name="certificate"
      value={c.uid}
      checked={checked}
      onSelect={onSelect}
      disabled={disabled}
      label={
        <>
          {c.taxpayer}
          {c.location ? `, ${c.location}` : ''}
          {note}
        </>
      }
      description={
        <>
          <code>{c.uid}</code>
          {c.tin ? ` · TIN ${c.tin}` : ''} · expires {formatDate(c.expires_at)}
        </>
      }
    />
  );
}
