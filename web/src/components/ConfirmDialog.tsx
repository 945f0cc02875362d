// "Are you sure?" for actions that cannot be undone (revoke, remove). The
// action runs inside the dialog: while it is in flight both buttons are
// disabled; a failure is shown in the dialog (role="alert") and the dialog
// stays open so the user can try again or cancel.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from './ApiErrorAlert';
import { Modal, ModalActions } from './Modal';

interface Props {
  id: string;
  title: string;
  confirmLabel: string;
  busyLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}

export function ConfirmDialog({ id, title, confirmLabel, busyLabel, danger, onConfirm, onClose, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Modal
      id={id}
      title={title}
      onClose={onClose}
      busy={busy}
      initialFocus={`${id}-cancel`}
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          cancelId={`${id}-cancel`}
          onConfirm={confirm}
          danger={danger}
          busyLabel={busyLabel}
          label={confirmLabel}
        />
      }
    >
      {error !== null && <ApiErrorAlert error={error} fallback="The request failed; please try again." />}
      <div class="modal-text">{children}</div>
    </Modal>
  );
}

