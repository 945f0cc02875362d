// Create key: a label for people ("POS till 1"), then the new key's Client ID
// and secret, shown this once. Done closes the dialog; the secret is gone.
import { useState } from 'preact/hooks';
import { customApi, type NewApiKey } from '../custom';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal, ModalActions } from './Modal';
import { SecretReveal } from './SecretReveal';
import { TextField } from './TextField';

interface Props {
  orgCode: string;
  uid: string;
  onCreated: () => void;
  onClose: () => void;
}

export function CreateApiKeyDialog({ orgCode, uid, onCreated, onClose }: Props) {
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [key, setKey] = useState<NewApiKey | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const l = label.trim();
    setInvalid(l ? null : 'Give the key a label, e.g. the till or system that uses it.');
    if (!l) return;
    setBusy(true);
    setError(null);
    try {
      const k = await customApi.createKey(orgCode, uid, l);
      setKey(k);
      setBusy(false);
      onCreated();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (key) {
    return (
      <Modal
        id="api-key-created"
        title="API key created"
        onClose={onClose}
        footer={
          <button type="button" class="btn btn--primary" id="api-key-done" onClick={onClose}>
            Done
          </button>
        }
      >
        <p class="modal-text">
          Your software authenticates with HTTP Basic: the Client ID as user name and the secret as password.
        </p>
        <SecretReveal
          what="secret"
          values={[
            ['api-key-client-id', 'Client ID', key.client_id],
            ['api-key-secret', 'Secret', key.client_secret],
          ]}
        />
      </Modal>
    );
  }

  return (
    <Modal
      id="create-api-key"
      title="Create API key"
      onClose={onClose}
      busy={busy}
      initialFocus="api-key-label"
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="create-api-key-form"
          busyLabel="Creating…"
          label="Create key"
        />
      }
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The key could not be created; please try again." />}
      <form id="create-api-key-form" class="form" aria-label="Create API key" noValidate onSubmit={submit}>
        <TextField
          id="api-key-label"
          label="Label"
          hint="Who uses this key, for people reading this list (at most 100 characters)."
          maxLength={100}
          value={label}
          error={invalid}
          disabled={busy}
          onInput={setLabel}
        />
      </form>
    </Modal>
  );
}
