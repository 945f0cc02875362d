// Account → Team: who belongs to the organization and with which role.
// Admins and owners add members, change roles and remove members; only owners
// give or take the owner role, and the last owner keeps it (the server says
// so when asked). A change to the signed-in user's own role or membership
// reloads what they may do.
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { AddMemberDialog } from '../components/AddMemberDialog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { GuardedButton } from '../components/GuardedButton';
import { Loading } from '../components/Loading';
import { MembersTable } from '../components/MembersTable';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { can } from '../session';
import { ROLE_HINTS, ROLES, roleLabel, team, type Member, type Role } from '../team';
import type { Me, OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  me: Me;
  org: OrgMembership;
  /** The signed-in user's own role or membership changed. */
  onMeChanged: () => void;
}

export const MANAGE_MEMBERS_DENIED = 'Only admins and owners of this organization can manage its members.';

export function TeamPage({ me, org, onMeChanged }: Props) {
  useTitle('Team');
  const canManage = can(org, 'members.manage');
  const isOwner = org.role === 'owner';
  const { data, error, loading, reload } = useResource(
    org.code,
    (signal) => team.members(org.code, signal),
    'Could not load the members.',
  );
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [roleError, setRoleError] = useState<unknown>(null);

  const changeRole = async (m: Member, role: Role) => {
    setNote(null);
    setRoleError(null);
    setBusyId(m.user_id);
    try {
      const r = await team.setRole(org.code, m.user_id, role);
      setNote(`${r.name} is now ${/^[aeiou]/i.test(r.role) ? 'an' : 'a'} ${roleLabel(r.role).toLowerCase()}.`);
      if (m.user_id === me.user.id) onMeChanged();
    } catch (e) {
      setRoleError(e);
    }
    setBusyId(null);
    reload();
  };

  const addButton = (
    <GuardedButton
      id="add-member-button"
      allowed={canManage}
      reason={MANAGE_MEMBERS_DENIED}
      role={org.role}
      showReason
      icon="plus"
      onClick={() => {
        setNote(null);
        setAdding(true);
      }}
    >
      Add member
    </GuardedButton>
  );

  return (
    <>
      <PageHeader
        title="Team"
        description={`The people who may use ${org.name} in fiscalhub, and what their role lets them do.`}
        actions={addButton}
      />
      <StatusNote message={note} />
      {roleError !== null && <ApiErrorAlert error={roleError} fallback="The role could not be changed; please try again." />}

      {loading && <Loading label="Loading members…" />}
      {error && (
        <ErrorAlert message={error}>
          <button type="button" class="btn btn--secondary btn--small" onClick={reload}>
            Try again
          </button>
        </ErrorAlert>
      )}
      {data && (
        <MembersTable
          members={data.members}
          meId={me.user.id}
          canManage={canManage}
          isOwner={isOwner}
          deniedReason={MANAGE_MEMBERS_DENIED}
          busyId={busyId}
          onRole={changeRole}
          onRemove={(m) => {
            setNote(null);
            setRoleError(null);
            setRemoving(m);
          }}
        />
      )}

      <section class="panel" aria-labelledby="roles-heading">
        <div class="panel-header">
          <h2 id="roles-heading" class="panel-title">
            Roles
          </h2>
        </div>
        <dl class="role-list panel-pad">
          {ROLES.map((r) => (
            <div key={r}>
              <dt>{roleLabel(r)}</dt>
              <dd>{ROLE_HINTS[r].replace(/^./, (c) => c.toUpperCase())}.</dd>
            </div>
          ))}
        </dl>
      </section>

      {adding && (
        <AddMemberDialog
          orgCode={org.code}
          orgName={org.name}
          isOwner={isOwner}
          onClose={() => setAdding(false)}
          onAdded={(m) => {
            setAdding(false);
            setNote(`${m.name} (${m.email}) added as ${/^[aeiou]/i.test(m.role) ? 'an' : 'a'} ${roleLabel(m.role).toLowerCase()}.`);
            reload();
          }}
        />
      )}

      {removing && (
        <ConfirmDialog
          id="remove-member"
          title={`Remove ${removing.name} from ${org.name}?`}
          confirmLabel="Remove member"
          busyLabel="Removing…"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await team.remove(org.code, removing.user_id);
            const self = removing.user_id === me.user.id;
            setRemoving(null);
            setNote(`${removing.name} was removed from ${org.name}.`);
            if (self) onMeChanged();
            else reload();
          }}
        >
          {removing.user_id === me.user.id ? (
            <p>You will no longer see {org.name} or anything in it.</p>
          ) : (
            <p>
              {removing.name} ({removing.email}) loses access to {org.name} at once. Their account stays, with any other
              organizations it belongs to.
            </p>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}
