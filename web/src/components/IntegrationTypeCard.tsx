// One integration type on the Create Integration page. A type that can be
// connected brings its own action (Xero: Connect Xero); the others say
// "Coming soon" on a disabled button described by the page's note.
import type { ComponentChildren } from 'preact';
import { Badge } from './Badge';
import { TypeIcon } from './TypeIcon';

interface Props {
  type: string;
  name: string;
  description: string;
  premium?: boolean;
  /** Shown under the description (e.g. the steps of the connection). */
  details?: ComponentChildren;
  /** The card's action; without it the card is "Coming soon". */
  action?: ComponentChildren;
}

export function IntegrationTypeCard({ type, name, description, premium, details, action }: Props) {
  const headingId = `type-${type}-name`;
  return (
    <li class={action ? 'type-card type-card--live' : 'type-card'} data-type={type}>
      <div class="type-card-head">
        <TypeIcon type={type} />
        <h2 class="type-card-name" id={headingId}>
          {name}
        </h2>
        {premium && <Badge tone="premium">Premium</Badge>}
      </div>
      <p class="type-card-description">{description}</p>
      {details}
      {action ?? (
        <button type="button" class="btn btn--secondary type-card-action" disabled aria-describedby="connect-unavailable">
          Coming soon
        </button>
      )}
    </li>
  );
}
