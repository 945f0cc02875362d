// Opens the Create Integration page. Disabled, with the reason in its title
// and in text next to it, when the user's role lacks integrations.manage.
import { navigate } from '../router';
import { Icon } from './Icon';

interface Props {
  canManage: boolean;
  role?: string;
  showReason?: boolean;
}

export const CREATE_DENIED_REASON = 'Only admins and owners of this organization can create integrations.';

export function CreateIntegrationButton({ canManage, role, showReason }: Props) {
  const reasonId = 'create-integration-reason';
  return (
    <div class="create-integration">
      <button
        type="button"
        class="btn btn--primary"
        disabled={!canManage}
        title={canManage ? undefined : CREATE_DENIED_REASON}
        aria-describedby={!canManage && showReason ? reasonId : undefined}
        onClick={() => navigate('/integrations/new')}
      >
        <Icon name="plus" />
        Create Integration
      </button>
      {!canManage && showReason && (
        <p class="create-integration-reason" id={reasonId}>
          {role ? `Your role here is ${role}. ` : ''}
          {CREATE_DENIED_REASON}
        </p>
      )}
    </div>
  );
}
