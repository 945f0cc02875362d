// Certificate status: Active green, Expired red, Refused (by the V-SDC) red,
// Revoked gray; the word is always shown, so colour is never the only signal.
import { Badge, type BadgeTone } from './Badge';

interface Props {
  status: string;
}

const LOOK: Record<string, { label: string; tone: BadgeTone }> = {
  active: { label: 'Active', tone: 'success' },
  expired: { label: 'Expired', tone: 'danger' },
  refused: { label: 'Refused by the V-SDC', tone: 'danger' },
  revoked: { label: 'Revoked', tone: 'neutral' },
};

export function CertificateStatusBadge({ status }: Props) {
  const look = LOOK[status] ?? { label: status, tone: 'neutral' as BadgeTone };
  return (
    <Badge tone={look.tone} dot>
      {look.label}
    </Badge>
  );
}
