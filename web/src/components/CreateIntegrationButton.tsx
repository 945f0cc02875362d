// Opens the Create Integration page - once the organization's usage (GET .../integrations, as
// the usage panel shows it) says a seat is free. With every seat in use, or the licence expired,
// it opens the seat-limit dialog (SeatLimitHost) at once instead, so nobody uploads a
// certificate and fills in settings only to be refused at the end. When the usage cannot be read
// it goes on to the page: the server's 402 on creating stays the backstop. Disabled, with the
// reason in its title and in text next to it, when the user's role lacks integrations.manage.
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { seatRefusal, showSeatLimit, type SeatRefusal } from '../billing';
import { portal } from '../portal';
import { navigate } from '../router';
import { Icon } from './Icon';

interface Props {
  orgCode: string;
  canManage: boolean;
  role?: string;
  showReason?: boolean;
}

export const CREATE_DENIED_REASON = 'Only admins and owners of this organization can create integrations.';

export function CreateIntegrationButton({ orgCode, canManage, role, showReason }: Props) {
  const reasonId = 'create-integration-reason';
  const checking = useRef(false);
  const [busy, setBusy] = useState(false);

  const create = async () => {
    if (checking.current) return;
    checking.current = true;
    setBusy(true);
    let refusal: SeatRefusal | null = null;
    let signedOut = false;
    try {
      refusal = seatRefusal((await portal.integrations(orgCode)).usage);
    } catch (e) {
      signedOut = e instanceof ApiError && e.status === 401; // the app goes to the log-in page
    }
    checking.current = false;
    setBusy(false);
    if (signedOut) return;
    if (refusal) showSeatLimit(refusal);
    else navigate('/integrations/new');
  };

  return (
    <div class="create-integration">
      <button
        type="button"
        class="btn btn--primary"
        disabled={!canManage}
        title={canManage ? undefined : CREATE_DENIED_REASON}
        aria-describedby={!canManage && showReason ? reasonId : undefined}
        aria-busy={busy ? 'true' : undefined}
        onClick={create}
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
