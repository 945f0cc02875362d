// Integration status: Active is green, everything else gray, with the
// server's status word shown as text so colour is never the only signal.
import { Badge } from './Badge';

interface Props {
  status: string;
}

const LABELS: Record<string, string> = {
  active: 'Active',
  inactive: 'Inactive',
};

export function StatusBadge({ status }: Props) {
  const label = LABELS[status] ?? status.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  return (
    <Badge tone={status === 'active' ? 'success' : 'neutral'} dot>
      {label}
    </Badge>
  );
}
