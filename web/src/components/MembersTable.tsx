// The organization's members: name, email and role. Who may manage members
// changes a role with the row's select (the owner role only when they are an
// owner themselves) and removes a member; the signed-in user's row says "You".
// The only owner can be neither removed nor given another role (the server
// would refuse), so their role is text with the reason and their Remove is
// disabled with it.
import { ROLES, roleLabel, type Member, type Role } from '../team';
import { Badge } from './Badge';

interface Props {
  members: Member[];
  meId: number;
  /** members.manage */
  canManage: boolean;
  /** The signed-in user is an owner: may give and take the owner role. */
  isOwner: boolean;
  deniedReason: string;
  /** The user whose role change is in flight (its select is disabled). */
  busyId: number | null;
  onRole: (m: Member, role: Role) => void;
  onRemove: (m: Member) => void;
}

export function MembersTable({ members, meId, canManage, isOwner, deniedReason, busyId, onRole, onRemove }: Props) {
  const owners = members.filter((m) => m.role === 'owner').length;
  return (
    <section class="panel" aria-labelledby="members-heading">
      <div class="panel-header">
        <h2 id="members-heading" class="panel-title">
          Members
        </h2>
      </div>
      <div class="table-scroll">
        <table class="table" aria-labelledby="members-heading">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const owner = m.role === 'owner';
              const editable = canManage && (isOwner || !owner);
              const lastOwner = owner && owners === 1;
              const removeWhy = !canManage
                ? deniedReason
                : lastOwner
                  ? 'The only owner cannot be removed; make someone else an owner first.'
                  : !editable
                    ? 'Only an owner can remove an owner.'
                    : undefined;
              const roles = ROLES.filter((r) => isOwner || r !== 'owner' || owner);
              const selectId = `member-role-${m.user_id}`;
              return (
                <tr key={m.user_id} data-user-id={m.user_id}>
                  <td>
                    <span class="cell-main">{m.name}</span> {m.user_id === meId && <Badge tone="info">You</Badge>}
                  </td>
                  <td>{m.email}</td>
                  <td>
                    {editable && lastOwner ? (
                      <>
                        <span data-testid="member-role">{roleLabel(m.role)}</span>
                        <span class="field-hint">The only owner: make someone else an owner to change this role.</span>
                      </>
                    ) : editable ? (
                      <>
                        <label class="visually-hidden" for={selectId}>
                          Role of {m.name}
                        </label>
                        <select
                          id={selectId}
                          class="field-input field-input--compact"
                          value={m.role}
                          disabled={busyId !== null}
                          onChange={(e) => onRole(m, (e.currentTarget as HTMLSelectElement).value as Role)}
                        >
                          {roles.map((r) => (
                            <option key={r} value={r}>
                              {roleLabel(r)}
                            </option>
                          ))}
                        </select>
                      </>
                    ) : (
                      <span data-testid="member-role">{roleLabel(m.role)}</span>
                    )}
                  </td>
                  <td class="num">
                    <button
                      type="button"
                      class="btn btn--secondary btn--small btn--danger-text"
                      disabled={removeWhy !== undefined}
                      title={removeWhy}
                      onClick={() => onRemove(m)}
                    >
                      Remove<span class="visually-hidden"> {m.name}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
