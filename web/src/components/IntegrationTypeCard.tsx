// One integration type on the Create Integration page. Connecting is not
// built yet, so the button says so and is disabled.
import { Badge } from './Badge';
import { TypeIcon } from './TypeIcon';

interface Props {
  type: string;
  name: string;
  description: string;
  premium?: boolean;
}

export function IntegrationTypeCard({ type, name, description, premium }: Props) {
  const headingId = `type-${type}-name`;
  return (
    <li class="type-card">
      <div class="type-card-head">
        <TypeIcon type={type} />
        <h2 class="type-card-name" id={headingId}>
          {name}
        </h2>
        {premium && <Badge tone="premium">Premium</Badge>}
      </div>
      <p class="type-card-description">{description}</p>
      <button type="button" class="btn btn--secondary type-card-action" disabled aria-describedby="connect-unavailable">
        Coming soon
      </button>
    </li>
  );
}
