// Fiscal invoice status: Signed green, Failed red, Pending blue, On hold amber
// (waiting for the plan to allow it); the word is always shown.
import { Badge, type BadgeTone } from './Badge';

interface Props {
  status: string;
}

const LOOK: Record<string, { label: string; tone: BadgeTone }> = {
  signed: { label: 'Signed', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
  pending: { label: 'Pending', tone: 'info' },
  on_hold: { label: 'On hold', tone: 'warning' },
};

export function FiscalStatusBadge({ status }: Props) {
  const look = LOOK[status] ?? { label: status, tone: 'neutral' as BadgeTone };
  return (
    <Badge tone={look.tone} dot>
      {look.label}
    </Badge>
  );
}
