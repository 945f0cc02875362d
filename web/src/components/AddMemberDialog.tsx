// Add member: an email and a role. A person without an account yet also gets
// a name and an initial password, which the adding admin passes on to them
// (fiscalhub sends no email); someone who already has an account in this
// tenant keeps theirs. The owner role is offered to owners only.
import { useState } from 'preact/hooks';
import { ROLE_HINTS, ROLES, roleLabel, team, type Member, type Role } from '../team';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal, ModalActions } from './Modal';
import { TextField } from './TextField';

interface Props {
  orgCode: string;
  orgName: string;
  isOwner: boolean;
  onAdded: (m: Member) => void;
  onClose: () => void;
}

export function AddMemberDialog({ orgCode, orgName, isOwner, onAdded, onClose }: Props) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<Record<string, string>>({});

  const submit = async (e: Event) => {
    e.preventDefault();
    const bad: Record<string, string> = {};
    if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) bad.email = 'Enter their email address.';
    if (password && password.length < 10) bad.password = 'At least 10 characters.';
    if (!!name.trim() !== !!password) bad[name.trim() ? 'password' : 'name'] = 'Give both a name and a password, or neither.';
    setInvalid(bad);
    if (Object.keys(bad).length) return;
    setBusy(true);
    setError(null);
    try {
      const m = await team.add(orgCode, {
        email: email.trim(),
        role,
        ...(name.trim() ? { name: name.trim(), password } : {}),
      });
      onAdded(m);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const roles = ROLES.filter((r) => isOwner || r !== 'owner');
  return (
    <Modal
      id="add-member"
      title={`Add a member to ${orgName}`}
      onClose={onClose}
      busy={busy}
      initialFocus="member-email"
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="add-member-form"
          busyLabel="Adding…"
          label="Add member"
        />
      }
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The member could not be added; please try again." />}
      <form id="add-member-form" class="form" aria-label="Add member" noValidate onSubmit={submit}>
        <TextField
          id="member-email"
          label="Email"
          type="email"
          autoComplete="off"
          maxLength={254}
          value={email}
          error={invalid.email}
          disabled={busy}
          onInput={setEmail}
        />
        <div class="field">
          <label class="field-label" for="member-role">
            Role
          </label>
          <select
            id="member-role"
            class="field-input"
            value={role}
            disabled={busy}
            aria-describedby="member-role-hint"
            onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
          <p class="field-hint" id="member-role-hint">
            {roleLabel(role)}: {ROLE_HINTS[role]}.
          </p>
        </div>
        <p class="modal-text">
          For someone without a fiscalhub account yet, also give their name and a first password; fiscalhub sends no
          email, so tell them the password yourself. They can change it under Your account.
        </p>
        <TextField
          id="member-name"
          label="Name (new account only)"
          required={false}
          maxLength={100}
          value={name}
          error={invalid.name}
          disabled={busy}
          onInput={setName}
        />
        <TextField
          id="member-password"
          label="First password (new account only)"
          type="password"
          autoComplete="new-password"
          required={false}
          maxLength={200}
          hint="At least 10 characters."
          value={password}
          error={invalid.password}
          disabled={busy}
          onInput={setPassword}
        />
      </form>
    </Modal>
  );
}
