// One name for an organization: Rename (PATCH /api/orgs/{org}) and New
// organization (POST /api/orgs) ask only this. The caller's save runs inside
// the dialog; a refusal stays in it.
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal, ModalActions } from './Modal';
import { TextField } from './TextField';

interface Props {
  id: string;
  title: string;
  initial: string;
  hint: string;
  submitLabel: string;
  busyLabel: string;
  onSave: (name: string) => Promise<void>;
  onClose: () => void;
}

export function OrgNameDialog({ id, title, initial, hint, submitLabel, busyLabel, onSave, onClose }: Props) {
  const [name, setName] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const formId = `${id}-form`;
  const fieldId = `${id}-name`;

  const submit = async (e: Event) => {
    e.preventDefault();
    const n = name.trim();
    setInvalid(n ? null : 'Give the organization a name.');
    if (!n) return;
    setBusy(true);
    setError(null);
    try {
      await onSave(n);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      id={id}
      title={title}
      onClose={onClose}
      busy={busy}
      initialFocus={fieldId}
      footer={<ModalActions onCancel={onClose} busy={busy} form={formId} busyLabel={busyLabel} label={submitLabel} />}
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The organization could not be saved; please try again." />}
      <form id={formId} class="form" aria-label={title} noValidate onSubmit={submit}>
        <TextField
          id={fieldId}
          label="Organization name"
          hint={hint}
          maxLength={200}
          value={name}
          error={invalid}
          disabled={busy}
          onInput={setName}
        />
      </form>
    </Modal>
  );
}
