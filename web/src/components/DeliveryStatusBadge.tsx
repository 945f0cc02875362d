// A delivery's state: Delivered green, Failed red, Pending (retrying) amber,
// always with the word so colour is never the only signal.
import { Badge } from './Badge';

export function DeliveryStatusBadge({ status }: { status: string }) {
  if (status === 'delivered')
    return (
      <Badge tone="success" dot>
        Delivered
      </Badge>
    );
  if (status === 'failed')
    return (
      <Badge tone="danger" dot>
        Failed
      </Badge>
    );
  return (
    <Badge tone="warning" dot>
      Pending
    </Badge>
  );
}
