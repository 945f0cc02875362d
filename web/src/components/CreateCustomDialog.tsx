// Create Integration → Custom Integration: the certificate its invoices are
// signed with. Creating it makes it active at once; its API Keys page is
// where the software's credentials are issued.
import { useState } from 'preact/hooks';
import { customApi } from '../custom';
import type { Integration } from '../types';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CertificateSelect } from './CertificateSelect';
import { Modal, ModalActions } from './Modal';

interface Props {
  orgCode: string;
  onCreated: (it: Integration) => void;
  onClose: () => void;
}

export function CreateCustomDialog({ orgCode, onCreated, onClose }: Props) {
  const [cert, setCert] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!cert) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await customApi.createCustom(orgCode, cert));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      id="create-custom"
      title="Create a Custom Integration"
      onClose={onClose}
      busy={busy}
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="create-custom-form"
          disabled={!cert}
          busyLabel="Creating…"
          label="Create integration"
        />
      }
    >
      <p class="modal-text">
        Your own software submits invoices to fiscalhub’s REST API with API keys of this integration. Every invoice it
        submits is fiscalized with the certificate you choose here.
      </p>
      {error !== null && <ApiErrorAlert error={error} fallback="The integration could not be created; please try again." />}
      <form id="create-custom-form" class="form" aria-label="Create a Custom Integration" onSubmit={submit}>
        <CertificateSelect
          id="create-custom-certificate"
          orgCode={orgCode}
          value={cert}
          onChange={setCert}
          disabled={busy}
          hint="The taxpayer certificate that signs this integration’s invoices."
        />
      </form>
    </Modal>
  );
}
