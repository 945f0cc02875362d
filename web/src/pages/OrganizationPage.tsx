// Account → Organization: its name (owners rename it and create further
// organizations in the tenant), who belongs to it and with which role.
// Admins and owners add members, change roles and remove members; only owners
// give or take the owner role, and the last owner keeps it (the server says
// so when asked). A change to the signed-in user's own role or membership,
// or to the organization's name, reloads what the portal shows them.
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { AddMemberDialog } from '../components/AddMemberDialog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { GuardedButton } from '../components/GuardedButton';
import { LoadState } from '../components/LoadState';
import { MembersTable } from '../components/MembersTable';
import { OrgNameDialog } from '../components/OrgNameDialog';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { can, storeOrgCode } from '../session';
import { aRole, orgs, ROLE_HINTS, ROLES, roleLabel, team, type Member, type Role } from '../team';
import type { Me, OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  me: Me;
  org: OrgMembership;
  /** The signed-in user's own role or membership, or an organization's name, changed. */
  onMeChanged: () => void;
}

const OWNERS_ONLY = 'Only owners of this organization can rename it.';

export const MANAGE_MEMBERS_DENIED = 'Only admins and owners of this organization can manage its members.';

export function OrganizationPage({ me, org, onMeChanged }: Props) {
  useTitle('Organization');
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
  const [naming, setNaming] = useState<'rename' | 'create' | null>(null);
  const ownsOne = me.orgs.some((o) => o.role === 'owner');

  const changeRole = async (m: Member, role: Role) => {
    setNote(null);
    setRoleError(null);
    setBusyId(m.user_id);
    try {
      const r = await team.setRole(org.code, m.user_id, role);
      setNote(`${r.name} is now ${aRole(r.role)}.`);
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
        title="Organization"
        description={`${org.name}: its name, the people who may use it in fiscalhub, and what their role lets them do.`}
        actions={addButton}
      />
      <StatusNote message={note} />

      <section class="panel" aria-labelledby="org-heading">
        <div class="panel-header">
          <h2 id="org-heading" class="panel-title">
            Details
          </h2>
        </div>
        <div class="panel-pad org-details">
          <dl class="facts">
            <div class="fact">
              <dt>Name</dt>
              <dd data-testid="org-name">{org.name}</dd>
            </div>
            <div class="fact">
              <dt>Organization Code</dt>
              <dd>
                <code class="uid">{org.code}</code>
              </dd>
            </div>
            <div class="fact">
              <dt>Tenant</dt>
              <dd>
                {me.tenant.name} (<code class="uid">{me.tenant.code}</code>)
              </dd>
            </div>
          </dl>
          <div class="org-actions">
            <button
              type="button"
              class="btn btn--secondary btn--small"
              disabled={!can(org, 'org.manage')}
              title={can(org, 'org.manage') ? undefined : OWNERS_ONLY}
              onClick={() => {
                setNote(null);
                setNaming('rename');
              }}
            >
              Rename
            </button>
            <button
              type="button"
              class="btn btn--secondary btn--small"
              disabled={!ownsOne}
              title={ownsOne ? undefined : 'Only an owner of one of your organizations can create another.'}
              onClick={() => {
                setNote(null);
                setNaming('create');
              }}
            >
              New organization
            </button>
          </div>
        </div>
      </section>
      {roleError !== null && <ApiErrorAlert error={roleError} fallback="The role could not be changed; please try again." />}

      <LoadState loading={loading} error={error} label="Loading members…" onRetry={reload} />
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

      {naming === 'rename' && (
        <OrgNameDialog
          id="rename-org"
          title={`Rename ${org.name}`}
          initial={org.name}
          hint="As your team knows it; invoices and certificates keep the taxpayer's name from the certificate."
          submitLabel="Rename"
          busyLabel="Renaming…"
          onClose={() => setNaming(null)}
          onSave={async (name) => {
            const o = await orgs.rename(org.code, name);
            setNaming(null);
            setNote(`The organization is now called ${o.name}.`);
            onMeChanged();
          }}
        />
      )}
      {naming === 'create' && (
        <OrgNameDialog
          id="create-org"
          title="New organization"
          initial=""
          hint={`Another organization of ${me.tenant.name}, e.g. a branch with its own certificates and integrations. You are its owner; add its members here once it is created.`}
          submitLabel="Create organization"
          busyLabel="Creating…"
          onClose={() => setNaming(null)}
          onSave={async (name) => {
            const o = await orgs.create(name);
            setNaming(null);
            storeOrgCode(o.code);
            onMeChanged();
          }}
        />
      )}

      {adding && (
        <AddMemberDialog
          orgCode={org.code}
          orgName={org.name}
          isOwner={isOwner}
          onClose={() => setAdding(false)}
          onAdded={(m) => {
            setAdding(false);
            setNote(`${m.name} (${m.email}) added as ${aRole(m.role)}.`);
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
