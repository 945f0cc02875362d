// Setups that were started but not finished (e.g. certificate uploaded, OAuth
// not completed). Resuming needs the connection flow, which is not built yet,
// so Resume is shown disabled with that reason.
import { formatDate } from '../format';
import type { PendingIntegration } from '../types';
import { Icon } from './Icon';
import { TypeIcon } from './TypeIcon';

interface Props {
  pending: PendingIntegration[];
}

const RESUME_UNAVAILABLE = 'Resuming a setup is not available yet in this version of fiscalhub.';

export function PendingSection({ pending }: Props) {
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
          <li class="pending-item" key={p.uid ?? i}>
            <TypeIcon type={p.type ?? ''} />
            <div class="pending-text">
              <span class="pending-name">{p.type_name ?? p.type ?? 'Integration'}</span>
              <span class="pending-meta">
                {p.uid && <code>{p.uid}</code>}
                {p.step && <span> · {p.step}</span>}
                {p.created_at && (
                  <span>
                    {' '}
                    · started <time dateTime={p.created_at}>{formatDate(p.created_at)}</time>
                  </span>
                )}
              </span>
            </div>
            <button type="button" class="btn btn--secondary btn--small" disabled title={RESUME_UNAVAILABLE}>
              Resume
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
