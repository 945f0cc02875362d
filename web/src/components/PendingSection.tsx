// Setups that were started but not finished: the integration exists
// (certificate and trigger chosen) but Xero's consent was not completed, or
// the consent authorized several organisations and none is chosen yet.
// Resume runs the consent again (POST .../connect, then Xero); Choose the
// organisation opens the tenant page; Remove discards the setup.
import type { PendingIntegration } from '../types';
import { Icon } from './Icon';
import { PendingItem } from './PendingItem';

interface Props {
  orgCode: string;
  pending: PendingIntegration[];
  canManage: boolean;
  onRemove: (p: PendingIntegration) => void;
}

export function PendingSection({ orgCode, pending, canManage, onRemove }: Props) {
  return (
    <section class="panel panel--pending" aria-labelledby="pending-heading">
      <div class="panel-header">
        <h2 id="pending-heading" class="panel-title">
          <Icon name="clock" />
          Pending
        </h2>
        <p class="panel-subtitle">Setups you started but did not finish.</p>
      </div>
      <ul class="pending-list">
        {pending.map((p, i) => (
          <PendingItem key={p.uid ?? i} orgCode={orgCode} p={p} canManage={canManage} onRemove={onRemove} />
        ))}
      </ul>
    </section>
  );
}
